//! A deployed-stack run: spec resources bound to an existing queue are used, never created or
//! deleted, and a spec that would disturb the queue's data is refused unless allowed.

use std::process::Command;

use conform::services::SQS;
use conform::targets::{self, TargetChoice};
use conform::wire::WireClient;
use serde_json::json;

fn conform(args: &[&str]) -> (i32, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root).args(args).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bound_queue_is_used_untouched_and_protected() {
    let target = targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts");
    let endpoint = target.endpoint("sqs").unwrap().clone();
    let client = WireClient::default();
    let call = |action: &'static str, body: serde_json::Value| {
        let (client, endpoint) = (client.clone(), endpoint.clone());
        async move { client.call(&SQS, &endpoint, action, &body).await.expect("moto answers") }
    };
    let created = call("CreateQueue", json!({ "QueueName": "deployed-orders" })).await;
    let url = created.body["QueueUrl"].as_str().unwrap().to_owned();
    let reports = tempfile::tempdir().unwrap();
    let base = ["run", "fixtures/bind", "--endpoint", &endpoint.url, "--name", "deployed", "--no-snapshots"];
    let bind = format!("q={url}");
    let reports_dir = reports.path().to_str().unwrap();

    let (code, stderr) = conform(&[&base[..], &["--bind", &bind, "--reports", reports_dir]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 pass, 1 skipped"), "{stderr}");
    let depth = call("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"] })).await;
    assert_eq!(depth.body["Attributes"]["ApproximateNumberOfMessages"], "1", "the canary is in the bound queue, and nothing drained it");

    let (code, stderr) = conform(&[&base[..], &["--bind", &bind, "--reports", reports_dir, "--allow-destructive"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 pass"), "{stderr}");

    let still_there = call("GetQueueUrl", json!({ "QueueName": "deployed-orders" })).await;
    assert!(still_there.error.is_none(), "the bound queue was deleted");
    let queues = call("ListQueues", json!({})).await;
    assert_eq!(queues.body["QueueUrls"].as_array().map(Vec::len), Some(1), "no other queue was created or left: {:?}", queues.body);
    target.shutdown().await;
}
