//! A `collect` step follows the cursor from answer to answer, judges the collection, and keeps
//! every call in the report; when the condition never holds it fails at the `until` line.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static READS: AtomicUsize = AtomicUsize::new(0);

/// One record per GetRecords, each answer naming the next iterator (`it-1`, `it-2`, …).
fn answer(action: &str) -> (u16, &'static str) {
    const PAGES: [&str; 4] = [
        r#"{"Records": [{"Data": "YQ==", "PartitionKey": "k", "SequenceNumber": "1"}], "NextShardIterator": "it-1", "MillisBehindLatest": 0}"#,
        r#"{"Records": [], "NextShardIterator": "it-2", "MillisBehindLatest": 0}"#,
        r#"{"Records": [{"Data": "Yg==", "PartitionKey": "k", "SequenceNumber": "2"}], "NextShardIterator": "it-3", "MillisBehindLatest": 0}"#,
        r#"{"Records": [{"Data": "Yw==", "PartitionKey": "k", "SequenceNumber": "3"}], "NextShardIterator": "it-4", "MillisBehindLatest": 0}"#,
    ];
    match action {
        "GetRecords" => (200, PAGES[READS.fetch_add(1, Ordering::SeqCst) % PAGES.len()]),
        _ => (200, "{}"),
    }
}

fn run(port: u16, dir: &Path, name: &str, collect: &str) -> serde_json::Value {
    let spec = format!(
        "id: x/{name}\ntitle: t\nsource: https://example.com\nsteps:\n  - call: kinesis.GetRecords\n    with: {{ ShardIterator: it-0 }}\n    collect: {collect}\n    expect:\n      $[*].Data: [YQ==, Yg==, Yw==]\n"
    );
    let (path, json) = (dir.join(format!("{name}.yaml")), dir.join(format!("{name}.json")));
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .args(["run", path.to_str().unwrap(), "--endpoint", &format!("http://127.0.0.1:{port}"), "--name", "fake", "--no-snapshots"])
        .arg("--reports")
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(json.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn collect_follows_the_cursor_and_judges_everything_gathered() {
    let port = common::serve(answer);
    let dir = tempfile::tempdir().unwrap();
    let cursor = "cursor: { from: $.NextShardIterator, to: ShardIterator }";

    let report = run(port, dir.path(), "gathered", &format!("{{ items: \"$.Records[*]\", until: {{ $: {{ length: 3 }} }}, timeout: 10s, {cursor} }}"));
    let result = &report["results"][0];
    assert_eq!(result["status"], "pass", "{}", result["message"]);
    let attempts = result["steps"][0]["attempts"].as_array().unwrap();
    let iterators: Vec<&str> = attempts.iter().map(|a| a["request"]["ShardIterator"].as_str().unwrap()).collect();
    assert_eq!(iterators, ["it-0", "it-1", "it-2", "it-3"], "each call takes the previous answer's cursor");
    assert_eq!(attempts.last().unwrap()["collected"].as_array().unwrap().len(), 3);

    let report = run(port, dir.path(), "never", &format!("{{ items: \"$.Records[*]\", until: {{ $: {{ length: 100 }} }}, timeout: 1s, interval: 50ms, {cursor} }}"));
    let result = &report["results"][0];
    assert_eq!(result["status"], "fail", "{}", result["message"]);
    let message = result["message"].as_str().unwrap();
    assert!(message.contains("`until` did not hold within the `collect` timeout") && message.contains("$: length: expected 100"), "{message}");
    let location = result["location"].as_str().unwrap();
    assert!(location.ends_with("never.yaml:7:48"), "at the `until` condition, not {location}");
}
