//! Snapshot reports: each spec's observed answers, normalised, stored per target as insta-format
//! `.snap` files (`reports/<target>/<spec id>.snap`), so `conform diff` can compare targets field
//! by field and changes are reviewed as plain diffs (`conform run --update` accepts them).
//!
//! What is kept: the steps marked `snapshot: true`, or every call step when none is marked; of a
//! step polled with `eventually`, only the final attempt of each `repeat` iteration, so the
//! number of polls does not make snapshots differ; of a `collect` step, what it gathered. Lists
//! whose order AWS does not define are sorted (`unordered.rs`). Workload analyses are kept only
//! when marked.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::normalize::Normalizer;
use super::unordered::sort_unordered;
use super::SpecResult;

/// Where and on what a snapshot was taken: the header of every file. No account id, no
/// credentials: only what identifies the target build.
pub struct Header<'a> {
    pub target: &'a str,
    pub version: Option<&'a str>,
    pub region: &'a str,
    pub date: &'a str,
}

/// What happened to one spec's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Unchanged,
    /// Written because `update` was set, or created the first time with `update`.
    Written,
    /// No accepted snapshot yet: a `.snap.new` waits for review.
    New(PathBuf),
    /// Differs from the accepted one: a `.snap.new` waits for review.
    Changed(PathBuf),
}

pub fn file_name(id: &str) -> String {
    format!("{}.snap", id.replace('/', "__"))
}

/// The normalised observations of a spec, the body of its snapshot.
pub fn body(result: &SpecResult) -> Value {
    let marked = result.steps.iter().any(|s| s.snapshot);
    let mut raw = Vec::new();
    let mut labels = Vec::new();
    for step in result.steps.iter().filter(|s| s.snapshot || (!marked && !s.description.starts_with("workload"))) {
        let mut last_per_iteration = std::collections::BTreeMap::new();
        for attempt in &step.attempts {
            last_per_iteration.insert(attempt.iteration, attempt);
        }
        for attempt in last_per_iteration.values() {
            labels.push(format!("{} {}", step.index + 1, step.description));
            raw.push(attempt.request.clone());
            // A `collect` step is judged on what it gathered, however many calls that took.
            let mut body = match &attempt.collected {
                Some(items) => json!({ "collected": items }),
                None => attempt.response.clone(),
            };
            if let Some(operation) = &step.operation {
                sort_unordered(operation, &mut body);
            }
            let mut response = json!({ "status": attempt.status, "body": body });
            if let Some(error) = &attempt.error {
                response["error"] = serde_json::to_value(error).expect("error serialises");
            }
            if !attempt.shape.is_empty() {
                response["model_findings"] = json!(attempt.shape);
            }
            raw.push(response);
        }
    }
    let normalizer = result
        .normalize
        .iter()
        .fold(Normalizer::new(Some(result.prefix.clone()).filter(|p| !p.is_empty())), |n, (path, kind)| n.with_path(path.clone(), kind));
    let normalized = normalizer.normalize(&raw);
    let exchanges: Vec<Value> = normalized
        .chunks(2)
        .zip(labels)
        .map(|(pair, step)| json!({ "step": step, "request": pair[0], "response": pair[1] }))
        .collect();
    json!({ "id": result.id, "status": result.status.as_str(), "exchanges": exchanges })
}

pub fn render(result: &SpecResult, header: &Header) -> String {
    let body = serde_json::to_string_pretty(&body(result)).expect("snapshot serialises");
    format!(
        "---\nsource: {}\nexpression: {}\ninfo:\n  target: {}\n  version: {}\n  region: {}\n  protocol: aws-json\n  harness: {}\n  date: {}\n---\n{body}\n",
        result.file,
        result.id,
        header.target,
        header.version.unwrap_or("unknown"),
        header.region,
        env!("CARGO_PKG_VERSION"),
        header.date,
    )
}

/// The body of a snapshot file: what is compared (the header may differ, e.g. by date).
pub fn body_of(text: &str) -> &str {
    text.splitn(3, "---\n").nth(2).unwrap_or(text)
}

/// Compares a result with its accepted snapshot in `dir` and writes what review needs.
pub fn store(dir: &Path, result: &SpecResult, header: &Header, update: bool) -> std::io::Result<Stored> {
    let path = dir.join(file_name(&result.id));
    let pending = path.with_extension("snap.new");
    let rendered = render(result, header);
    let accepted = std::fs::read_to_string(&path).ok();
    if accepted.as_deref().is_some_and(|a| body_of(a) == body_of(&rendered)) {
        let _ = std::fs::remove_file(&pending);
        return Ok(Stored::Unchanged);
    }
    std::fs::create_dir_all(dir)?;
    if update {
        std::fs::write(&path, rendered)?;
        let _ = std::fs::remove_file(&pending);
        return Ok(Stored::Written);
    }
    std::fs::write(&pending, rendered)?;
    Ok(if accepted.is_some() { Stored::Changed(pending) } else { Stored::New(pending) })
}

/// Reads a stored snapshot's body as JSON, for comparisons between targets.
pub fn load_body(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(body_of(&text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Attempt, Status, StepRecord};
    use std::time::Duration;

    fn result(polls: usize) -> SpecResult {
        let attempt = |iteration, handle: &str| Attempt {
            iteration,
            request: json!({ "QueueUrl": "http://x/123456789012/conform-aaaaaa-3-q" }),
            status: 200,
            response: json!({ "Messages": [{ "ReceiptHandle": handle }] }),
            error: None,
            checks: Vec::new(),
            shape: Vec::new(),
            elapsed: Duration::from_millis(polls as u64),
            collected: None,
        };
        let mut attempts: Vec<Attempt> = (0..polls).map(|i| attempt(0, &format!("poll-{i}"))).collect();
        attempts.push(attempt(1, "second"));
        SpecResult {
            id: "sqs/x".into(),
            title: String::new(),
            source: String::new(),
            file: "specs/sqs/x.yaml".into(),
            tags: Vec::new(),
            status: Status::Pass,
            duration: Duration::from_millis(polls as u64),
            message: None,
            location: None,
            steps: vec![StepRecord { index: 0, description: "sqs.ReceiveMessage".into(), operation: Some("sqs.ReceiveMessage".into()), snapshot: false, attempts }],
            prefix: "conform-aaaaaa-3".into(),
            normalize: Vec::new(),
        }
    }

    fn header() -> Header<'static> {
        Header { target: "moto", version: Some("5.2.5"), region: "us-east-1", date: "2026-11-23" }
    }

    #[test]
    fn keeps_the_last_attempt_per_iteration_normalised() {
        let body = body(&result(3));
        let exchanges = body["exchanges"].as_array().unwrap();
        assert_eq!(exchanges.len(), 2);
        assert_eq!(exchanges[0]["request"]["QueueUrl"], "<queue-url:1>");
        assert_eq!(exchanges[1]["request"]["QueueUrl"], "<queue-url:1>");
        assert_eq!(exchanges[0]["response"]["body"]["Messages"][0]["ReceiptHandle"], "<receipt-handle:1>");
        assert_eq!(exchanges[1]["response"]["body"]["Messages"][0]["ReceiptHandle"], "<receipt-handle:2>");
    }

    #[test]
    fn two_runs_give_identical_files_and_changes_wait_for_review() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(store(dir.path(), &result(1), &header(), false).unwrap(), Stored::New(_)));
        assert_eq!(store(dir.path(), &result(2), &header(), true).unwrap(), Stored::Written);
        let first = std::fs::read(dir.path().join("sqs__x.snap")).unwrap();
        // Another run, polled a different number of times on another day: same file.
        let later = Header { date: "2026-11-24", ..header() };
        assert_eq!(store(dir.path(), &result(5), &later, false).unwrap(), Stored::Unchanged);
        assert_eq!(std::fs::read(dir.path().join("sqs__x.snap")).unwrap(), first);
        let mut changed = result(1);
        changed.status = Status::Fail;
        assert!(matches!(store(dir.path(), &changed, &header(), false).unwrap(), Stored::Changed(_)));
        assert!(dir.path().join("sqs__x.snap.new").exists());
        assert!(String::from_utf8(first).unwrap().starts_with("---\nsource: specs/sqs/x.yaml\nexpression: sqs/x\ninfo:\n  target: moto\n"));
    }
}
