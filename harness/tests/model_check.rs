//! Every response is held to AWS's service model: against an endpoint that answers with
//! deliberately wrong shapes, the run names each finding: operation, JSONPath, what the model says;
//! and what the official SDK cannot deserialize, with the SDK's error.

mod common;

use std::process::Command;

/// Canned answers by `X-Amz-Target` action; anything else gets `{}`.
fn answer(action: &str) -> (u16, &'static str) {
    match action {
        "ReceiveMessage" => (200, r#"{"Messages": {"MessageId": "m", "Body": "b"}}"#),
        "CreateQueue" => (200, r#"{"QueueUrl": 5}"#),
        "DescribeStreamSummary" => (200, r#"{"StreamDescriptionSummary": {"StreamName": "s", "StreamStatus": "WARMING_UP"}}"#),
        "GetRecords" => (200, r#"{"Records": [{"SequenceNumber": "1", "Data": "eA==", "PartitionKey": "k", "ApproximateArrivalTimestamp": "2026-12-01T10:00:00Z"}]}"#),
        "ListShards" => (200, r#"{"Shards": {"ShardId": "shardId-000000000000"}}"#),
        "SendMessage" => (200, r#"{"MessageId": "5fea7756-0ea4-451a-a703-a558b933e274", "MD5OfMessageBody": "6f8f57715090da2632453988d9a1501b"}"#),
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
  - call: sqs.SendMessage
    with: { QueueUrl: "http://127.0.0.1/000000000000/q", MessageBody: m }
  - call: kinesis.ListShards
    with: { StreamName: s }
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
    // The SDK an application uses cannot read a list that is an object, nor a number where a
    // string belongs: each is a finding naming the operation, with the SDK's error.
    for unparsed in [
        "step 1 sqs.ReceiveMessage: sdk: ReceiveMessage: service error: unhandled error: failed to parse JSON: expected start array or null",
        "step 2 sqs.CreateQueue: sdk: CreateQueue: ",
        "step 7 kinesis.ListShards: sdk: ListShards: ",
    ] {
        assert!(out.contains(&format!("SHAPE x/wrong-shapes: {unparsed}")), "missing `{unparsed}…` in:\n{out}");
    }
    // A well-formed answer, an error the SDK reads (declared or not), an enum value it does not
    // know and a timestamp as ISO text (aws-sdk-kinesis reads both leniently) are not SDK findings.
    for parsed in ["sdk: SendMessage", "sdk: DeleteMessage", "sdk: DescribeStreamSummary", "sdk: GetRecords"] {
        assert!(!out.contains(parsed), "unexpected `{parsed}` in:\n{out}");
    }
    // A CI gate that asks for it fails on findings nobody accepted.
    let (code, _) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(1));
    // Reviewed findings, accepted by path in the expectations file, no longer fail it.
    std::fs::create_dir_all(dir.path().join("expectations")).unwrap();
    let accepted = "target: wrong\nshape:\n  - spec: x/wrong-shapes\n    reason: a fake endpoint\n    paths: [$.Messages, $.QueueUrl, $.StreamDescriptionSummary.StreamStatus, $.StreamDescriptionSummary, $.Shards, sdk]\n";
    std::fs::write(dir.path().join("expectations/wrong.yaml"), accepted).unwrap();
    let (code, out) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(1), "two findings are still not accepted: {out}");
    assert!(out.contains("2 finding(s) not in the expectations file"), "{out}");
    std::fs::write(dir.path().join("expectations/wrong.yaml"), accepted.replace("    paths: [$.Messages, $.QueueUrl, $.StreamDescriptionSummary.StreamStatus, $.StreamDescriptionSummary, $.Shards, sdk]\n", "")).unwrap();
    let (code, out) = run(&["--fail-on-shape"]);
    assert_eq!(code, Some(0), "an entry without paths accepts all of the spec's findings: {out}");
}

/// Operations in the vendored models that the SDK versions in Cargo.lock do not have yet, and
/// SubscribeToShard, whose event stream a replayed body is not.
const NOT_IN_THE_SDKS: [&str; 17] = [
    "kinesis.AcknowledgeDeadLetterQueueRecords", "kinesis.AcknowledgeQueueRecords", "kinesis.CreateQueue",
    "kinesis.DeleteQueue", "kinesis.DescribeQueue", "kinesis.ListQueues", "kinesis.ReceiveDeadLetterQueueRecords",
    "kinesis.ReceiveQueueRecords", "kinesis.RestoreDeadLetterQueueRecords",
    "kinesis.UpdateDeadLetterQueueRecordsVisibility", "kinesis.UpdateQueue", "kinesis.UpdateQueueRecordsVisibility",
    "kinesis.SubscribeToShard", "dynamodb.CancelBulkOperation", "dynamodb.DescribeBulkOperation",
    "dynamodb.ListBulkOperations", "dynamodb.StartBulkPutItems",
];

/// Every modeled operation the SDKs have reaches its response deserializer with an empty request
/// (the endpoint parameters some require are filled in), so the SDK check never goes quiet.
#[tokio::test]
async fn every_operation_reaches_the_sdk_deserializer() {
    use conform::sdk_parse::{parse, Verdict};
    use conform::wire::{RawResponse, WireResponse};
    let empty = WireResponse {
        status: 200,
        body: serde_json::json!({}),
        error: None,
        request_id: None,
        elapsed: std::time::Duration::ZERO,
        raw: RawResponse { headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())], body: "{}".into() },
    };
    let mut checked = 0;
    for service in ["sqs", "kinesis", "dynamodb", "dynamodbstreams"] {
        for operation in conform::model::of(service).unwrap().operations.keys() {
            let verdict = parse(service, operation, &empty).await;
            if NOT_IN_THE_SDKS.contains(&format!("{service}.{operation}").as_str()) {
                assert_eq!(verdict, None, "{service}.{operation} is now in the SDK: dispatch it");
            } else {
                assert_eq!(verdict, Some(Verdict::Parsed), "{service}.{operation}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 23 + 44 + 58 + 4);
}
