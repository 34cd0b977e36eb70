//! `reports/evidence.{md,json}`: per spec and per step, whether what AWS was recorded doing agrees.

use std::fmt::Write;

use serde_json::{json, Value};

use super::matrix::{Cell, SpecRow, TargetResults};
use crate::evidence::compare::Kind;
use crate::evidence::{Corpus, Recording, SpecEvidence, StepEvidence, StepVerdict, Verdict};

const ORDER: [Verdict; 4] = [Verdict::RecordedAgrees, Verdict::RecordedContradicts, Verdict::PartlyRecorded, Verdict::DocumentedOnly];
const STEP_ORDER: [StepVerdict; 5] = [StepVerdict::Agrees, StepVerdict::Weaker, StepVerdict::Stronger, StepVerdict::Contradicts, StepVerdict::Uncited];
const KINDS: [(Kind, &str); 3] = [(Kind::Outcome, "outcome only"), (Kind::Identity, "error identity"), (Kind::Field, "fields")];

pub fn counts(results: &[SpecEvidence]) -> Vec<(Verdict, usize)> {
    ORDER.iter().map(|&v| (v, results.iter().filter(|r| r.verdict == v).count())).collect()
}

fn asserting(results: &[SpecEvidence]) -> impl Iterator<Item = &StepEvidence> {
    results.iter().flat_map(|r| &r.steps).filter(|s| s.asserting)
}

/// Asserting steps per verdict.
pub fn step_counts(results: &[SpecEvidence]) -> Vec<(StepVerdict, usize)> {
    STEP_ORDER.iter().map(|&v| (v, asserting(results).filter(|s| s.verdict == v).count())).collect()
}

/// Covered asserting steps by the strongest kind of fact a recording backs.
pub fn kind_counts(results: &[SpecEvidence]) -> Vec<(&'static str, usize)> {
    KINDS.iter().map(|&(k, name)| (name, asserting(results).filter(|s| s.kind == Some(k)).count())).collect()
}

/// `811 specs, 707 recordings: 160 recorded-agrees, 0 recorded-contradicts, …; 1500 asserting steps: …`
pub fn summary(results: &[SpecEvidence], recordings: usize) -> String {
    let join = |parts: Vec<String>| parts.join(", ");
    let specs = join(counts(results).iter().map(|(v, n)| format!("{n} {}", v.label())).collect());
    let steps = join(step_counts(results).iter().map(|(v, n)| format!("{n} {}", v.label())).collect());
    let kinds = join(kind_counts(results).iter().map(|(k, n)| format!("{n} {k}")).collect());
    let total = asserting(results).count();
    format!("{} specs, {recordings} recordings: {specs}; {total} asserting steps: {steps}; covered by kind: {kinds}", results.len())
}

pub fn json(results: &[SpecEvidence], recordings: usize) -> Value {
    let labelled = |pairs: Vec<(String, usize)>| pairs.into_iter().map(|(k, n)| (k, n.into())).collect::<serde_json::Map<String, Value>>();
    let counts = labelled(counts(results).iter().map(|(v, n)| (v.label().to_owned(), *n)).collect());
    let steps = labelled(step_counts(results).iter().map(|(v, n)| (v.label().to_owned(), *n)).collect());
    let kinds = labelled(kind_counts(results).iter().map(|(k, n)| ((*k).to_owned(), *n)).collect());
    json!({ "recordings": recordings, "counts": counts, "steps": steps, "kinds": kinds, "specs": results })
}

pub fn markdown(results: &[SpecEvidence], recordings: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Evidence: specs against recorded AWS behaviour\n");
    let _ = writeln!(md, "Written by `conform evidence` from `fixtures/aws-recorded/`. **{}**\n", summary(results, recordings));
    md.push_str(LEGEND);
    let total = asserting(results).count();
    let _ = writeln!(md, "\n## Asserting steps\n\n| verdict | steps |\n|---|---|");
    for (v, n) in step_counts(results) {
        let _ = writeln!(md, "| {} | {n} |", v.label());
    }
    let _ = writeln!(md, "| **all asserting steps** | {total} |\n\n| covered, compared by | steps |\n|---|---|");
    for (k, n) in kind_counts(results) {
        let _ = writeln!(md, "| {k} | {n} |");
    }
    md.push('\n');
    let rows = |md: &mut String, head: &str, rows: Vec<String>| {
        if !rows.is_empty() {
            let _ = writeln!(md, "{head}");
            rows.iter().for_each(|r| md.push_str(r));
            md.push('\n');
        }
    };
    let mut contradicted = Vec::new();
    for r in results {
        for c in r.cited() {
            for f in c.comparisons.iter().filter(|f| !f.agrees) {
                contradicted.push(format!("| `{}` | {} | `{}` | {} | {} | {} |\n", r.id, c.step, c.recording, cell(&f.what), cell(&f.spec), cell(&f.recorded)));
            }
        }
    }
    rows(&mut md, "## Contradicted\n\n| spec | step | recording | fact | spec asserts | AWS recorded |\n|---|---|---|---|---|---|", contradicted);
    let stronger = steps(results).filter(|(_, s)| s.verdict.covered() && !s.unbacked.is_empty());
    let stronger = stronger.map(|(r, s)| format!("| `{}` | {} | {} |\n", r.id, s.step, cell(&s.unbacked.join("; ")))).collect();
    rows(&mut md, "## Stronger than recorded\n\nAssertions of a covered step that no cited recording states.\n\n| spec | step | asserted, not recorded |\n|---|---|---|", stronger);
    let weaker = results.iter().flat_map(|r| r.cited().flat_map(move |c| c.weaker.iter().map(move |w| format!("| `{}` | {} | `{}` | {} |\n", r.id, c.step, c.recording, cell(w)))));
    rows(&mut md, "## Weaker than recorded\n\nFacts a cited recording states that the step does not assert.\n\n| spec | step | recording | not asserted |\n|---|---|---|---|", weaker.collect());
    let lacking = results.iter().flat_map(|r| r.cited().filter_map(move |c| c.not_evidence.map(|why| format!("| `{}` | {} | `{}` | {why} |\n", r.id, c.step, c.recording))));
    rows(&mut md, "## Citations that are not evidence\n\nThe recording keeps its fact only in prose: compared, but it covers no step.\n\n| spec | step | recording | lacks |\n|---|---|---|---|", lacking.collect());
    let _ = writeln!(md, "## Every step\n\nCall steps that assert more than success, or cite a recording.\n\n| spec | step | verdict | compared by | recordings |\n|---|---|---|---|---|");
    for (r, s) in steps(results) {
        let kind = s.kind.and_then(|k| KINDS.iter().find(|(kk, _)| *kk == k)).map_or("", |(_, name)| name);
        let verdict = if s.asserting { s.verdict.label().to_owned() } else { format!("{} (asserts success only)", s.verdict.label()) };
        let ids = s.cited.iter().map(|c| format!("`{}`", c.recording)).collect::<Vec<_>>().join(" ");
        let _ = writeln!(md, "| `{}` | {} | {verdict} | {kind} | {ids} |", r.id, s.step);
    }
    let _ = writeln!(md, "\n## Every spec\n\n| spec | verdict | asserting steps covered | recordings |\n|---|---|---|---|");
    for r in results {
        let asserting: Vec<&StepEvidence> = r.steps.iter().filter(|s| s.asserting).collect();
        let covered = asserting.iter().filter(|s| s.verdict.covered()).count();
        let mut ids: Vec<&str> = r.cited().map(|c| c.recording.as_str()).collect();
        ids.dedup();
        let ids = ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(" ");
        let _ = writeln!(md, "| `{}` | {} | {covered}/{} | {ids} |", r.id, r.verdict.label(), asserting.len());
    }
    md
}

const LEGEND: &str = "Per step (a call step asserting more than that it succeeds):

- *recorded-agrees*: a cited recording of the same situation (its request excerpt agrees with the step's
  request) backs every assertion: the outcome, and status, `__type`, query code, message and response
  fields, present or absent.
- *weaker*: as agrees, and a recording states facts the step does not assert.
- *stronger*: what is compared agrees, but the step asserts facts no cited recording states.
- *contradicts*: AWS was recorded doing something else, or the recording answered another request (both
  values below).
- *uncited*: no recording backs the step.

Per spec: *recorded-agrees* when every asserting step is covered (agrees, weaker or stronger),
*partly-recorded* when some are, *documented-only* when none is, *recorded-contradicts* when any
step is contradicted.
";

fn steps(results: &[SpecEvidence]) -> impl Iterator<Item = (&SpecEvidence, &StepEvidence)> {
    results.iter().flat_map(|r| r.steps.iter().map(move |s| (r, s)))
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
            let recorded: Vec<&Recording> = r.cited().filter_map(|c| corpus.get(&c.recording)).collect();
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

pub use super::REFERENCE;

/// The reference snapshot of one spec: for each cited step, the facts AWS was recorded answering,
/// shaped like a target's snapshot so `conform diff aws-recorded <target>` can compare them.
pub fn reference_snapshot(r: &SpecEvidence, corpus: &Corpus) -> Value {
    let exchanges: Vec<Value> = r
        .cited()
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
