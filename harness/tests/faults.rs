//! A fault is not a verdict: a server error or a body that is not JSON makes a spec `error`, never
//! `fail`, and read-only calls are retried first.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static LIST_CALLS: AtomicUsize = AtomicUsize::new(0);
static CREATE_CALLS: AtomicUsize = AtomicUsize::new(0);

fn answer(action: &str) -> (u16, &'static str) {
    match action {
        // Fails twice, then answers: a retried read-only call.
        "ListQueues" if LIST_CALLS.fetch_add(1, Ordering::SeqCst) < 2 => (503, r#"{"__type": "ServiceUnavailable", "message": "busy"}"#),
        "ListQueues" => (200, r#"{"QueueUrls": []}"#),
        // Throttled once, as Kinesis does when too many streams are being created at once.
        "CreateStream" if CREATE_CALLS.fetch_add(1, Ordering::SeqCst) < 1 => {
            (400, r#"{"__type": "LimitExceededException", "message": "Limit for streams being created concurrently exceeded"}"#)
        }
        "SendMessage" => (500, r#"{"__type": "InternalError", "message": "boom"}"#),
        "GetQueueUrl" => (400, "<html>proxy error</html>"),
        _ => (200, "{}"),
    }
}

fn spec(step: &str) -> String {
    format!("id: x/fault\ntitle: t\nsource: https://example.com\nsteps:\n{step}")
}

#[test]
fn faults_are_errors_and_read_only_calls_are_retried() {
    let port = common::serve(answer);
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let run = |name: &str, step: &str| {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, spec(step)).unwrap();
        let json = dir.path().join(format!("{name}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root)
            .args(["run", path.to_str().unwrap(), "--endpoint", &format!("http://127.0.0.1:{port}"), "--name", "fake", "--no-snapshots"])
            .arg("--reports")
            .arg(dir.path())
            .arg("--json")
            .arg(&json)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        (report["results"][0]["status"].as_str().unwrap().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (status, out) = run("retried", "  - call: sqs.ListQueues\n    with: {}\n    expect: { $.QueueUrls: [] }\n");
    assert_eq!(status, "pass", "two 503s, then an answer: {out}");
    assert_eq!(LIST_CALLS.load(Ordering::SeqCst), 3);

    let (status, out) = run("throttled", "  - call: kinesis.CreateStream\n    with: { StreamName: s, ShardCount: 1 }\n");
    assert_eq!(status, "pass", "a throttled create is repeated: {out}");
    assert_eq!(CREATE_CALLS.load(Ordering::SeqCst), 2);

    let (status, out) = run("server-error", "  - call: sqs.SendMessage\n    with: { QueueUrl: q, MessageBody: b }\n");
    assert_eq!(status, "error", "{out}");
    assert!(out.contains("sqs.SendMessage: HTTP 500 boom: a fault, not a verdict"), "{out}");

    let (status, out) = run("garbage", "  - call: sqs.GetQueueUrl\n    with: { QueueName: q }\n    expect_error: { status: 400 }\n");
    assert_eq!(status, "error", "{out}");
    assert!(out.contains("with a body that is not JSON: \"<html>proxy error</html>\" (after 3 retries)"), "{out}");
}
