//! A fault is not a verdict: a server error or a body that is not JSON makes a spec `error`, never
//! `fail`, and read-only calls are retried first.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIST_CALLS: AtomicUsize = AtomicUsize::new(0);
static SET_CALLS: AtomicUsize = AtomicUsize::new(0);
static CREATE_CALLS: AtomicUsize = AtomicUsize::new(0);
static DELETE_CALLS: AtomicUsize = AtomicUsize::new(0);

fn answer(action: &str) -> (u16, &'static str) {
    match action {
        // Fails twice, then answers: a retried read-only call.
        "ListQueues" if LIST_CALLS.fetch_add(1, Ordering::SeqCst) < 2 => (503, r#"{"__type": "ServiceUnavailable", "message": "busy"}"#),
        "ListQueues" => (200, r#"{"QueueUrls": []}"#),
        // Setting attributes twice leaves them as once: repeated after a lost answer.
        "SetQueueAttributes" if SET_CALLS.fetch_add(1, Ordering::SeqCst) < 1 => (200, "<html>gateway</html>"),
        // Throttled once, as Kinesis does when too many streams are being created at once.
        "CreateStream" if CREATE_CALLS.fetch_add(1, Ordering::SeqCst) < 1 => {
            (400, r#"{"__type": "LimitExceededException", "message": "Limit for streams being created concurrently exceeded"}"#)
        }
        "SendMessage" => (500, r#"{"__type": "InternalError", "message": "boom"}"#),
        "GetQueueUrl" => (400, "<html>proxy error</html>"),
        "CreateQueue" => (200, r#"{"QueueUrl": "http://127.0.0.1/000000000000/q"}"#),
        "GetQueueAttributes" => (200, r#"{"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q"}}"#),
        // The first run's delete is lost twice, then succeeds; every later delete fails.
        "DeleteQueue" => match DELETE_CALLS.fetch_add(1, Ordering::SeqCst) {
            0 => (503, r#"{"__type": "ServiceUnavailable", "message": "busy"}"#),
            1 => (200, "<html>gateway</html>"),
            2 => (200, "{}"),
            _ => (500, r#"{"__type": "InternalFailure", "message": "boom"}"#),
        },
        _ => (200, "{}"),
    }
}

fn spec(step: &str) -> String {
    format!("id: x/fault\ntitle: t\nsource: https://example.com\nsteps:\n{step}")
}

/// `conform run` of one spec file against the fake endpoint on `port`, reports under `dir`.
fn run_on_fake(port: u16, dir: &Path, spec: &Path, extra: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .args(["run", spec.to_str().unwrap(), "--endpoint", &format!("http://127.0.0.1:{port}"), "--name", "fake", "--no-snapshots"])
        .arg("--reports")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_delete_is_repeated_after_faults_and_one_that_keeps_failing_is_a_leak_in_every_report() {
    let port = common::serve(answer);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.yaml");
    std::fs::write(&path, "id: x/queue\ntitle: t\nsource: https://example.com\nresources:\n  q: { sqs.queue: {} }\nsteps:\n  - call: sqs.GetQueueAttributes\n    with: { QueueUrl: \"${q.url}\", AttributeNames: [QueueArn] }\n").unwrap();
    let run = |name: &str| {
        let (json, junit) = (dir.path().join(format!("{name}.json")), dir.path().join(format!("{name}.xml")));
        let out = run_on_fake(port, dir.path(), &path, &[Path::new("--json"), &json, Path::new("--junit"), &junit]);
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), report, std::fs::read_to_string(&junit).unwrap())
    };

    let (code, err, report, junit) = run("recovered");
    assert_eq!(DELETE_CALLS.load(Ordering::SeqCst), 3, "a 503 and a garbage 200 are repeated: {err}");
    assert_eq!((code, report["leaks"].as_array().unwrap().len()), (Some(0), 0), "{err}");
    assert!(!err.contains("LEAK") && !junit.contains("teardown"), "{err}");

    let (code, err, report, junit) = run("leaked");
    assert_eq!(DELETE_CALLS.load(Ordering::SeqCst), 7, "three retries after the first 500: {err}");
    assert_eq!(code, Some(1), "a leak fails the run: {err}");
    let leak = report["leaks"][0].as_str().unwrap();
    assert!(leak.contains("InternalFailure") || leak.contains("HTTP 500"), "{leak}");
    assert!(err.contains(&format!("LEAK  could not delete {leak}")), "{err}");
    assert!(junit.contains(r#"<testcase name="teardown""#) && junit.contains("1 resource(s) could not be deleted"), "{junit}");
}

#[test]
fn faults_are_errors_and_read_only_calls_are_retried() {
    let port = common::serve(answer);
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, step: &str| {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, spec(step)).unwrap();
        let json = dir.path().join(format!("{name}.json"));
        let out = run_on_fake(port, dir.path(), &path, &[Path::new("--json"), &json]);
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        (report["results"][0]["status"].as_str().unwrap().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (status, out) = run("retried", "  - call: sqs.ListQueues\n    with: {}\n    expect: { $.QueueUrls: [] }\n");
    assert_eq!(status, "pass", "two 503s, then an answer: {out}");
    assert_eq!(LIST_CALLS.load(Ordering::SeqCst), 3);

    let (status, out) = run("idempotent", "  - call: sqs.SetQueueAttributes\n    with: { QueueUrl: q, Attributes: { DelaySeconds: \"1\" } }\n");
    assert_eq!(status, "pass", "a garbage answer, then an answer: {out}");
    assert_eq!(SET_CALLS.load(Ordering::SeqCst), 2);

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

static LOST_DELETES: AtomicUsize = AtomicUsize::new(0);

/// CreateQueue never gets a usable answer, but the queue exists: the server made it.
fn lost_create(action: &str) -> (u16, &'static str) {
    match action {
        "CreateQueue" => (502, "<html>bad gateway</html>"),
        // Setup repeats the create after each fault, so teardown has several entries to find it by.
        "GetQueueUrl" if LOST_DELETES.load(Ordering::SeqCst) > 0 => (400, r#"{"__type": "QueueDoesNotExist", "message": "gone"}"#),
        "GetQueueUrl" => (200, r#"{"QueueUrl": "http://127.0.0.1/000000000000/made-anyway"}"#),
        "DeleteQueue" => {
            LOST_DELETES.fetch_add(1, Ordering::SeqCst);
            (200, "{}")
        }
        _ => (200, "{}"),
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_found_by_name_and_deleted() {
    let port = common::serve(lost_create);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lost.yaml");
    std::fs::write(&path, "id: x/lost\ntitle: t\nsource: https://example.com\nresources:\n  q: { sqs.queue: {} }\nsteps:\n  - call: sqs.ListQueues\n    with: {}\n").unwrap();
    let out = run_on_fake(port, dir.path(), &path, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the spec is an error: {err}");
    assert!(err.contains("ERROR") && err.contains("not JSON"), "{err}");
    assert_eq!(LOST_DELETES.load(Ordering::SeqCst), 1, "found by its name and deleted: {err}");
    assert!(!err.contains("LEAK"), "{err}");
}
