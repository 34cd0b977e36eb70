//! The audit's examples (issue 20), each a mutated spec or recording in a temp dir: `conform evidence`
//! exits 1 naming the spec, the step and both values, or reports the step for what it is.

use std::path::Path;
use std::process::{Command, Stdio};

fn conform(args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root).args(args).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

const SOURCE: &str = "source: { repo: localstack/localstack, commit: abc, licence: Apache-2.0 }\nrecordings:\n";

/// A recording in the schema's shape: `body` holds what follows `protocol:` (request, status, answer).
fn recording(id: &str, operation: &str, body: &str) -> String {
    let service = if operation.contains("Item") { "dynamodb" } else { "sqs" };
    format!(
        "  - id: t/audit/{id}\n    file: tests/x.snapshot.json\n    key: x\n    service: {service}\n    operation: {operation}\n    protocol: json\n    condition: the audit's example\n{body}"
    )
}

struct Run {
    code: i32,
    stdout: String,
    md: String,
    json: serde_json::Value,
}

/// Runs `conform evidence` on one spec against a corpus of the given recordings.
fn evidence(spec: &str, recordings: &[String]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("corpus/t")).unwrap();
    std::fs::write(dir.path().join("corpus/t/audit.yaml"), format!("{SOURCE}{}", recordings.join("\n"))).unwrap();
    let file = dir.path().join("spec.yaml");
    std::fs::write(&file, spec).unwrap();
    let (corpus, reports) = (dir.path().join("corpus"), dir.path().join("reports"));
    let args = ["evidence", file.to_str().unwrap(), "--corpus", corpus.to_str().unwrap(), "--reports", reports.to_str().unwrap()];
    let (code, stdout, stderr) = conform(&args);
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    let md = std::fs::read_to_string(reports.join("evidence.md")).unwrap();
    let json = serde_json::from_str(&std::fs::read_to_string(reports.join("evidence.json")).unwrap()).unwrap();
    Run { code, stdout, md, json }
}

fn spec(id: &str, resources: &str, steps: &str) -> String {
    format!("id: audit/{id}\ntitle: t\nsource: https://example.com\nresources:\n{resources}\nsteps:\n{steps}")
}

const QUEUE: &str = "  q: { sqs.queue: {} }";
const TABLE: &str = "  t: { dynamodb.table: { key: { pk: S } } }";

#[test]
fn a_rejection_step_citing_a_recording_of_another_redrive_policy_fails() {
    // max-receive-count-range: 0 is rejected, backed by AWS accepting maxReceiveCount 1.
    let steps = "  - name: 0 is rejected
    call: sqs.CreateQueue
    with:
      QueueName: \"${prefix}-zero\"
      Attributes: { RedrivePolicy: '{\"deadLetterTargetArn\":\"${q.arn}\",\"maxReceiveCount\":0}' }
    expect_error: { status: 400 }
    evidence: [t/audit/redrive-1]
";
    let rec = recording("redrive-1", "CreateQueue", "    request: { Attributes: { RedrivePolicy: '{\"deadLetterTargetArn\": \"<arn:1>\", \"maxReceiveCount\": 1}' } }\n    status: 400\n    error: { type: InvalidAttributeValue }\n");
    let run = evidence(&spec("dlq", QUEUE, steps), &[rec]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("CONTRADICTS audit/dlq 1 0 is rejected (sqs.CreateQueue) [t/audit/redrive-1] request Attributes.RedrivePolicy.maxReceiveCount (cites a recording of another situation): spec 0 / AWS 1"), "{}", run.stdout);

    // An error about another attribute altogether is another situation too.
    let rec = recording("redrive-1", "CreateQueue", "    request: { Attributes: { DelaySeconds: \"901\" } }\n    status: 400\n    error: { type: InvalidAttributeValue }\n");
    let run = evidence(&spec("dlq", QUEUE, steps), &[rec]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("[t/audit/redrive-1] request Attributes.DelaySeconds (cites a recording of another situation): spec (not sent) / AWS \"901\""), "{}", run.stdout);
}

#[test]
fn a_strongly_consistent_read_citing_an_eventually_consistent_one_fails() {
    let steps = "  - call: dynamodb.GetItem
    with: { TableName: \"${t.name}\", Key: { pk: { S: k } }, ConsistentRead: true }
    expect: { $.Item.rev.N: \"1\" }
    evidence: [t/audit/get]
";
    let rec = recording("get", "GetItem", "    request: { Key: { id: { S: id1 } }, ConsistentRead: ~ }\n    response: { Item: { id: { S: id1 }, rev: { N: \"1\" } } }\n");
    let run = evidence(&spec("consistent", TABLE, steps), &[rec]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("CONTRADICTS audit/consistent 1 dynamodb.GetItem [t/audit/get] request ConsistentRead (cites a recording of another situation): spec true / AWS (not sent)"), "{}", run.stdout);
}

const RECEIVE: &str = "  - call: sqs.ReceiveMessage
    with: { QueueUrl: \"${q.url}\", WaitTimeSeconds: 1 }
    expect: EXPECT
    evidence: [t/audit/receive]
";

#[test]
fn presence_counts_both_ways() {
    // Asserting a message is delivered where AWS answered `{}`.
    let delivered = spec("presence", QUEUE, &RECEIVE.replace("EXPECT", "\n      $.Messages[0].Body: hello"));
    let empty = recording("receive", "ReceiveMessage", "    request: { WaitTimeSeconds: 1 }\n    response: {}\n");
    let run = evidence(&delivered, std::slice::from_ref(&empty));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("CONTRADICTS audit/presence 1 sqs.ReceiveMessage [t/audit/receive] $.Messages[0].Body: spec expected \"hello\""), "{}", run.stdout);
    assert!(run.stdout.contains("/ AWS absent"), "{}", run.stdout);

    // The same through an `absent` list, the rest of the answer excerpted.
    let listed = recording("receive", "ReceiveMessage", "    request: { WaitTimeSeconds: 1 }\n    response: { ResponseMetadata: { HTTPStatusCode: 200 } }\n    absent: [$.Messages]\n");
    let run = evidence(&delivered, std::slice::from_ref(&listed));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("$.Messages[0].Body: spec expected \"hello\""), "{}", run.stdout);

    // The reverse: asserting none where AWS sent one.
    let none = spec("presence", QUEUE, &RECEIVE.replace("EXPECT", "{ $.Messages: { absent: true } }"));
    let sent = recording("receive", "ReceiveMessage", "    request: { WaitTimeSeconds: 1 }\n    response: { Messages: [{ Body: hello }] }\n");
    let run = evidence(&none, &[sent]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("CONTRADICTS audit/presence 1 sqs.ReceiveMessage [t/audit/receive] $.Messages: spec expected no value"), "{}", run.stdout);
    assert!(run.stdout.contains("/ AWS [{\"Body\":\"hello\"}]"), "{}", run.stdout);

    // And asserting none where AWS sent none agrees, compared as a field.
    for rec in [empty, listed] {
        let run = evidence(&none, &[rec]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(run.json["specs"][0]["steps"][0]["kind"], "field", "{}", run.json);
    }
}

#[test]
fn a_spec_agrees_only_when_every_asserting_step_is_covered() {
    let steps = "  - call: sqs.SendMessage
    with: { QueueUrl: \"${q.url}\", MessageBody: hello }
    expect: { $.MessageId: { type: string } }
    evidence: [t/audit/send]
  - call: sqs.ReceiveMessage
    with: { QueueUrl: \"${q.url}\", WaitTimeSeconds: 1 }
    expect:
      $.Messages[0].Body: hello
";
    let send = recording("send", "SendMessage", "    request: { MessageBody: hello }\n    response: { MessageId: \"<uuid:1>\" }\n");
    let run = evidence(&spec("partly", QUEUE, steps), &[send]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json["specs"][0]["verdict"], "partly-recorded");
    assert_eq!(run.json["steps"]["uncited"], 1);
    assert!(run.md.contains("| `audit/partly` | 2 sqs.ReceiveMessage | uncited |  |  |"), "{}", run.md);
    assert!(run.md.contains("| `audit/partly` | partly-recorded | 1/2 |"), "{}", run.md);
}

#[test]
fn steps_that_assert_nothing_or_cite_prose_are_not_evidence() {
    // A call that merely succeeds (SplitShard, MergeShards) asserts nothing a recording could back.
    let steps = "  - call: sqs.SendMessage
    with: { QueueUrl: \"${q.url}\", MessageBody: hello }
    evidence: [t/audit/send]
";
    let send = recording("send", "SendMessage", "    request: { MessageBody: hello }\n    response: { MessageId: \"<uuid:1>\" }\n");
    let run = evidence(&spec("nothing", QUEUE, steps), &[send]);
    assert_eq!(run.json["specs"][0]["verdict"], "documented-only", "{}", run.json);
    assert!(run.md.contains("(asserts success only)"), "{}", run.md);

    // A success recording whose fact is only in its prose `condition` covers nothing.
    let asserting = steps.replace("    evidence:", "    expect: { $.MessageId: { type: string } }\n    evidence:");
    let prose = recording("send", "SendMessage", "    request: { MessageBody: hello }\n    status: 200\n");
    let run = evidence(&spec("prose", QUEUE, &asserting), &[prose]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json["specs"][0]["verdict"], "documented-only", "{}", run.json);
    assert!(run.md.contains("| `audit/prose` | 1 sqs.SendMessage | `t/audit/send` | no response excerpt |"), "{}", run.md);
}

#[test]
fn error_fields_no_recording_holds_are_stronger_than_recorded() {
    let steps = "  - call: sqs.SendMessage
    with: { QueueUrl: \"${q.url}\", MessageBody: \"\" }
    expect_error: { code: InvalidParameterValue, status: 400, message: 'must be shorter' }
    evidence: [t/audit/empty-body]
";
    let rec = recording("empty-body", "SendMessage", "    request: { MessageBody: \"\" }\n    status: 400\n    error: { type: InvalidParameterValue }\n");
    let run = evidence(&spec("stronger", QUEUE, steps), &[rec]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json["specs"][0]["steps"][0]["verdict"], "stronger", "{}", run.json);
    assert_eq!(run.json["specs"][0]["steps"][0]["kind"], "identity", "{}", run.json);
    assert!(run.md.contains("| `audit/stronger` | 1 sqs.SendMessage | message: /must be shorter/ |"), "{}", run.md);

    // An error that only says "error" backs the outcome alone.
    let rec = recording("empty-body", "SendMessage", "    request: { MessageBody: \"\" }\n    status: 400\n    error: { message: must be shorter than 1 }\n");
    let run = evidence(&spec("stronger", QUEUE, steps), &[rec]);
    assert_eq!(run.json["specs"][0]["steps"][0]["verdict"], "uncited", "{}", run.json);
    assert!(run.md.contains("no error identity (type or query code)"), "{}", run.md);
}

#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(["evidence", "--reports", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head` that has read all it wants
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Ended as `ls | head` ends (SIGPIPE), or having ignored the closed pipe: never exit 101.
    use std::os::unix::process::ExitStatusExt;
    assert!(out.status.code() == Some(0) || out.status.signal() == Some(13), "{:?} {stderr}", out.status);
}
