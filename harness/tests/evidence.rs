//! The suite against what AWS was recorded doing (`fixtures/aws-recorded/`), offline.

use std::path::Path;
use std::process::Command;

fn conform(args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root).args(args).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn no_spec_contradicts_a_recording_it_cites() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = conform(&["evidence", "--reports", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("evidence.json")).unwrap()).unwrap();
    assert_eq!(report["counts"]["recorded-contradicts"], 0);
    // Floors on what is fully backed, not on citations: specs whose every asserting step a
    // recording of the same request covers, and the steps so covered.
    let agrees = report["counts"]["recorded-agrees"].as_u64().unwrap();
    assert!(agrees >= 520, "only {agrees} specs are fully covered by recordings: {stdout}");
    let covered: u64 = ["recorded-agrees", "weaker", "stronger"].iter().map(|v| report["steps"][v].as_u64().unwrap()).sum();
    assert!(covered >= 600, "only {covered} asserting steps are covered by recordings: {stdout}");
}

const SPEC: &str = "id: x/delay
title: t
source: https://example.com
resources:
  q: { sqs.queue: { fifo: true } }
steps:
  - call: sqs.SendMessage
    with: { QueueUrl: \"${q.url}\", MessageBody: x, MessageGroupId: g, DelaySeconds: 5 }
    expect_error: { code: InvalidParameterValue, status: 400 }
    evidence: [CITE]
";

const CORPUS: &str = "source: { repo: localstack/localstack, commit: abc, licence: Apache-2.0 }
recordings:
  - id: t/sqs/delay-rejected
    file: tests/aws/services/sqs/test_sqs.snapshot.json
    key: test_fifo_queue_send_message_with_delay_seconds_fails[sqs]
    service: sqs
    operation: SendMessage
    condition: FIFO queue, per-message DelaySeconds
    status: 400
    error:
      type: InvalidParameterValueException
      query_code: InvalidParameterValue
      message: Value 2 for parameter DelaySeconds is invalid.
    request: { DelaySeconds: 5 }
";

#[test]
fn check_rejects_an_evidence_id_that_is_not_in_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("delay.yaml");
    std::fs::write(&spec, SPEC.replace("CITE", "localstack/sqs-fifo/no-such-recording")).unwrap();
    let (code, _, stderr) = conform(&["check", spec.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("delay.yaml:10:16: `localstack/sqs-fifo/no-such-recording` is not a recording in the corpus"), "{stderr}");
}

#[test]
fn a_spec_that_contradicts_its_recording_fails_with_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus/t");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(corpus.join("sqs.yaml"), CORPUS).unwrap();
    let spec = dir.path().join("delay.yaml");
    std::fs::write(&spec, SPEC.replace("CITE", "t/sqs/delay-rejected")).unwrap();
    let corpus_dir = dir.path().join("corpus");
    let reports = dir.path().join("reports");
    let args = ["evidence", spec.to_str().unwrap(), "--corpus", corpus_dir.to_str().unwrap(), "--reports", reports.to_str().unwrap()];
    let (code, stdout, stderr) = conform(&args);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("code (__type): spec InvalidParameterValue / AWS InvalidParameterValueException"), "{stdout}");
    let md = std::fs::read_to_string(reports.join("evidence.md")).unwrap();
    assert!(md.contains("query code not asserted; AWS sent InvalidParameterValue"), "{md}");
    assert!(md.contains("message not asserted"), "{md}");

    // Asserting what AWS sent makes it agree.
    std::fs::write(&spec, SPEC.replace("CITE", "t/sqs/delay-rejected").replace(
        "code: InvalidParameterValue,",
        "code: InvalidParameterValueException, query_code: InvalidParameterValue, message: 'parameter DelaySeconds is invalid',",
    ))
    .unwrap();
    let (code, stdout, stderr) = conform(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 specs, 1 recordings: 1 recorded-agrees, 0 recorded-contradicts, 0 partly-recorded, 0 documented-only"), "{stdout}");
}

#[test]
fn a_recording_that_does_not_parse_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("t");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(corpus.join("sqs.yaml"), CORPUS.replace("status: 400", "status: four hundred")).unwrap();
    let (code, _, stderr) = conform(&["evidence", "--corpus", dir.path().to_str().unwrap(), "--reports", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("t/sqs.yaml:9:13: invalid u16"), "{stderr}");
}
