//! `conform sweep` against moto: only `conform-` resources are deleted, and sweeping again is fine.

use conform::services::{Service, DYNAMODB, KINESIS, SQS};
use conform::targets::{self, Target, TargetChoice};
use conform::wire::WireClient;
use serde_json::{json, Value};

async fn call(target: &Target, service: &Service, action: &str, request: Value) -> Value {
    let endpoint = target.endpoint(service.name).unwrap();
    let response = WireClient::default().call(service, endpoint, action, &request).await.expect("moto answers");
    assert!(response.error.is_none(), "{action}: {:?}", response.body);
    response.body
}

async fn sweep(url: &str) -> (i32, String, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(["sweep", "--older-than", "0s", "--endpoint", url])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

async fn queue_names(target: &Target) -> Vec<String> {
    let body = call(target, &SQS, "ListQueues", json!({})).await;
    let urls = body.get("QueueUrls").and_then(Value::as_array).cloned().unwrap_or_default();
    urls.iter().filter_map(Value::as_str).map(|u| u.rsplit('/').next().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_deletes_only_prefixed_resources_and_is_idempotent() {
    let target = targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts");
    for name in ["conform-old-q", "keep-me"] {
        call(&target, &SQS, "CreateQueue", json!({ "QueueName": name })).await;
    }
    call(&target, &KINESIS, "CreateStream", json!({ "StreamName": "conform-old-s", "ShardCount": 1 })).await;
    call(&target, &KINESIS, "CreateStream", json!({ "StreamName": "keep-stream", "ShardCount": 1 })).await;
    let table = |name: &str| {
        json!({
            "TableName": name,
            "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
            "AttributeDefinitions": [{ "AttributeName": "pk", "AttributeType": "S" }],
            "BillingMode": "PAY_PER_REQUEST",
        })
    };
    call(&target, &DYNAMODB, "CreateTable", table("conform-old-t")).await;
    call(&target, &DYNAMODB, "CreateTable", table("keep-table")).await;

    let url = target.endpoint("sqs").unwrap().url.clone();
    let (code, stdout, stderr) = sweep(&url).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("deleted sqs queue conform-old-q"), "{stdout}");
    assert!(stdout.contains("deleted kinesis stream conform-old-s"), "{stdout}");
    assert!(stdout.contains("deleted dynamodb table conform-old-t"), "{stdout}");
    assert!(!stdout.contains("keep"), "{stdout}");

    assert_eq!(queue_names(&target).await, ["keep-me"]);
    let streams = call(&target, &KINESIS, "ListStreams", json!({})).await;
    assert_eq!(streams["StreamNames"], json!(["keep-stream"]));
    let tables = call(&target, &DYNAMODB, "ListTables", json!({})).await;
    assert_eq!(tables["TableNames"], json!(["keep-table"]));

    let (code, stdout, stderr) = sweep(&url).await;
    assert_eq!(code, 0, "sweeping twice is harmless: {stdout}{stderr}");
    assert!(stderr.contains("nothing to sweep"), "{stderr}");
    target.shutdown().await;
}
