//! `reports/evidence.{md,json}`: per spec, whether what AWS was recorded doing agrees with it.

use std::fmt::Write;

use crate::evidence::{SpecEvidence, Verdict};

const ORDER: [Verdict; 4] = [Verdict::RecordedAgrees, Verdict::RecordedContradicts, Verdict::RecordedUncompared, Verdict::DocumentedOnly];

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
    let _ = writeln!(md, "- *recorded-agrees*: every fact a cited recording shares with the spec agrees.");
    let _ = writeln!(md, "- *recorded-contradicts*: AWS was recorded doing something else (both values below).");
    let _ = writeln!(md, "- *recorded-uncompared*: recordings are cited, but none of their facts overlap the assertions.");
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
