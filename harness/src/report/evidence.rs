//! `reports/evidence.{md,json}`: per spec, whether what AWS was recorded doing agrees with it.

use std::fmt::Write;

use serde_json::{json, Value};

use super::matrix::{Cell, SpecRow, TargetResults};
use crate::evidence::{Corpus, Recording, SpecEvidence, Verdict};

const ORDER: [Verdict; 3] = [Verdict::RecordedAgrees, Verdict::RecordedContradicts, Verdict::DocumentedOnly];

pub fn counts(results: &[SpecEvidence]) -> Vec<(Verdict, usize)> {
    ORDER.iter().map(|&v| (v, results.iter().filter(|r| r.verdict == v).count())).collect()
}

/// `231 specs: 160 recorded-agrees, 0 recorded-contradicts, …`
pub fn summary(results: &[SpecEvidence], recordings: usize) -> String {
    let parts: Vec<String> = counts(results).iter().map(|(v, n)| format!("{n} {}", v.label())).collect();
    format!("{} specs, {recordings} recordings: {}", results.len(), parts.join(", "))
}

pub fn json(results: &[SpecEvidence], recordings: usize) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> = counts(results).iter().map(|(v, n)| (v.label().to_owned(), (*n).into())).collect();
    serde_json::json!({ "recordings": recordings, "counts": counts, "specs": results })
}

pub fn markdown(results: &[SpecEvidence], recordings: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Evidence: specs against recorded AWS behaviour\n");
    let _ = writeln!(md, "Written by `conform evidence` from `fixtures/aws-recorded/`. **{}**\n", summary(results, recordings));
    let _ = writeln!(md, "- *recorded-agrees*: every fact a cited recording shares with the spec agrees: the outcome (error or");
    let _ = writeln!(md, "  success) always, and status, `__type`, query code, message and response fields where both state them.");
    let _ = writeln!(md, "- *recorded-contradicts*: AWS was recorded doing something else (both values below).");
    let _ = writeln!(md, "- *documented-only*: no recording backs the spec; its documentation does.\n");
    let contradicted: Vec<&SpecEvidence> = results.iter().filter(|r| r.verdict == Verdict::RecordedContradicts).collect();
    if !contradicted.is_empty() {
        let _ = writeln!(md, "## Contradicted\n\n| spec | step | recording | fact | spec asserts | AWS recorded |\n|---|---|---|---|---|---|");
        for r in contradicted {
            for c in &r.cited {
                for f in c.comparisons.iter().filter(|f| !f.agrees) {
                    let _ = writeln!(md, "| `{}` | {} | `{}` | {} | {} | {} |", r.id, c.step, c.recording, cell(&f.what), cell(&f.spec), cell(&f.recorded));
                }
            }
        }
        md.push('\n');
    }
    let weaker: Vec<(&SpecEvidence, &str, &String)> =
        results.iter().flat_map(|r| r.cited.iter().flat_map(move |c| c.weaker.iter().map(move |w| (r, c.recording.as_str(), w)))).collect();
    if !weaker.is_empty() {
        let _ = writeln!(md, "## Weaker than recorded\n\nFacts a cited recording states that the step does not assert.\n\n| spec | recording | not asserted |\n|---|---|---|");
        for (r, recording, w) in weaker {
            let _ = writeln!(md, "| `{}` | `{recording}` | {} |", r.id, cell(w));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Every spec\n\n| spec | verdict | facts compared | recordings |\n|---|---|---|---|");
    for r in results {
        let compared: usize = r.cited.iter().map(|c| c.comparisons.len()).sum();
        let mut ids: Vec<&str> = r.cited.iter().map(|c| c.recording.as_str()).collect();
        ids.dedup();
        let ids = ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(" ");
        let _ = writeln!(md, "| `{}` | {} | {compared} | {ids} |", r.id, r.verdict.label());
    }
    md
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The `aws-recorded` column of the matrix: per spec, the evidence verdict and what AWS did.
pub fn reference_results(results: &[SpecEvidence], specs: &[crate::spec::Spec], corpus: &Corpus) -> TargetResults {
    let rows = results
        .iter()
        .zip(specs)
        .map(|(r, spec)| {
            let recorded: Vec<&Recording> = r.cited.iter().filter_map(|c| corpus.get(&c.recording)).collect();
            let message = recorded.iter().map(|rec| what_aws_did(rec)).collect::<Vec<_>>().join("; ");
            SpecRow {
                id: r.id.clone(),
                title: spec.title.clone(),
                source: spec.source.clone(),
                file: spec.file.name.clone(),
                tags: spec.tags.clone(),
                cell: Cell {
                    verdict: r.verdict.label().into(),
                    message: Some(message).filter(|m| !m.is_empty()),
                    reason: None,
                    link: recorded.first().map(|rec| source_link(rec)),
                    model_findings: Vec::new(),
                },
            }
        })
        .collect();
    TargetResults { target: REFERENCE.into(), version: Some(format!("{} recordings", corpus.recordings.len())), specs: rows }
}

/// The name the recordings report under, as a target would.
pub const REFERENCE: &str = "aws-recorded";

/// The reference snapshot of one spec: for each cited step, the facts AWS was recorded answering,
/// shaped like a target's snapshot so `conform diff aws-recorded <target>` can compare them.
pub fn reference_snapshot(r: &SpecEvidence, corpus: &Corpus) -> Value {
    let exchanges: Vec<Value> = r
        .cited
        .iter()
        .filter_map(|c| corpus.get(&c.recording).map(|rec| (c, rec)))
        .map(|(c, rec)| {
            let mut response = json!({});
            if let Some(status) = rec.status {
                response["status"] = status.into();
            }
            if let Some(e) = &rec.error {
                let mut error = json!({});
                for (key, value) in [("code", &e.error_type), ("query_code", &e.query_code), ("message", &e.message)] {
                    if let Some(v) = value {
                        error[key] = v.clone().into();
                    }
                }
                response["error"] = error;
            }
            if let Some(body) = &rec.response {
                response["body"] = body.clone();
            }
            json!({ "step": c.step, "recording": rec.id, "response": response })
        })
        .collect();
    json!({ "id": r.id, "status": r.verdict.label(), "exchanges": exchanges })
}

fn what_aws_did(rec: &Recording) -> String {
    let status = rec.status.map(|s| format!("HTTP {s} ")).unwrap_or_default();
    match &rec.error {
        Some(e) => {
            let identity = [e.error_type.as_deref(), e.query_code.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ");
            let message = e.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            format!("{}: {status}{identity}{message}", rec.operation)
        }
        None => format!("{}: {status}success", rec.operation),
    }
}

/// The recording's file at the commit it was read from.
pub fn source_link(rec: &Recording) -> String {
    format!("https://github.com/{}/blob/{}/{}", rec.source.repo, rec.source.commit, rec.file)
}
