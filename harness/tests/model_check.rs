//! Every response is held to AWS's service model: against an endpoint that answers with
//! deliberately wrong shapes, the run names each finding: operation, JSONPath, what the model says.

mod common;

use std::process::Command;

/// Canned answers by `X-Amz-Target` action; anything else gets `{}`.
fn answer(action: &str) -> (u16, &'static str) {
    match action {
        "ReceiveMessage" => (200, r#"{"Messages": {"MessageId": "m", "Body": "b"}}"#),
        "CreateQueue" => (200, r#"{"QueueUrl": 5}"#),
        "DescribeStreamSummary" => (200, r#"{"StreamDescriptionSummary": {"StreamName": "s", "StreamStatus": "WARMING_UP"}}"#),
        "GetRecords" => (200, r#"{"Records": [{"SequenceNumber": "1", "Data": "eA==", "PartitionKey": "k", "ApproximateArrivalTimestamp": "2026-12-01T10:00:00Z"}]}"#),
        "DeleteMessage" => (400, r#"{"__type": "com.amazonaws.sqs#ResourceNotFoundException", "message": "no"}"#),
        _ => (200, "{}"),
    }
}

const SPEC: &str = r#"id: x/wrong-shapes
title: t
source: https://example.com
steps:
  - call: sqs.ReceiveMessage
    with: { QueueUrl: "http://127.0.0.1/000000000000/q" }
  - call: sqs.CreateQueue
    with: { QueueName: q }
  - call: kinesis.DescribeStreamSummary
    with: { StreamName: s }
  - call: kinesis.GetRecords
    with: { ShardIterator: i }
  - call: sqs.DeleteMessage
    with: { QueueUrl: "http://127.0.0.1/000000000000/q", ReceiptHandle: h }
    expect_error: { status: 400 }
"#;

#[test]
fn every_wrong_shape_is_a_finding_with_its_operation_path_and_model() {
    let port = common::serve(answer);
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("wrong.yaml");
    std::fs::write(&spec, SPEC).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root)
            .args(["run", spec.to_str().unwrap(), "--endpoint", &format!("http://127.0.0.1:{port}"), "--name", "wrong", "--no-snapshots"])
            .arg("--reports")
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "the spec's own assertions hold, so without --fail-on-shape the run passes: {out}");
    for expected in [
        "step 1 sqs.ReceiveMessage: $.Messages: a mapping where MessageList is a list",
        "step 2 sqs.CreateQueue: $.QueueUrl: an integer where String is a string",
        "step 3 kinesis.DescribeStreamSummary: $.StreamDescriptionSummary.StreamStatus: `WARMING_UP` is not one of StreamStatus's values",
        "step 3 kinesis.DescribeStreamSummary: $.StreamDescriptionSummary: required member `StreamARN` of StreamDescriptionSummary is missing",
        "step 4 kinesis.GetRecords: $.Records[0].ApproximateArrivalTimestamp: a string where Timestamp is a timestamp (epoch seconds)",
        "step 5 sqs.DeleteMessage: $.__type: `ResourceNotFoundException` is neither an error DeleteMessage declares nor a common error",
    ] {
        assert!(out.contains(&format!("SHAPE x/wrong-shapes: {expected}")), "missing `{expected}` in:\n{out}");
    }
    // A CI gate that asks for it fails on findings nobody accepted.
    let (code, _) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(1));
    // Reviewed findings, accepted by path in the expectations file, no longer fail it.
    std::fs::create_dir_all(dir.path().join("expectations")).unwrap();
    let accepted = "target: wrong\nshape:\n  - spec: x/wrong-shapes\n    reason: a fake endpoint\n    paths: [$.Messages, $.QueueUrl, $.StreamDescriptionSummary.StreamStatus, $.StreamDescriptionSummary]\n";
    std::fs::write(dir.path().join("expectations/wrong.yaml"), accepted).unwrap();
    let (code, out) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(1), "two findings are still not accepted: {out}");
    assert!(out.contains("2 finding(s) not in the expectations file"), "{out}");
    std::fs::write(dir.path().join("expectations/wrong.yaml"), accepted.replace("    paths: [$.Messages, $.QueueUrl, $.StreamDescriptionSummary.StreamStatus, $.StreamDescriptionSummary]\n", "")).unwrap();
    let (code, out) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(0), "an entry without paths accepts all of the spec's findings: {out}");
}
