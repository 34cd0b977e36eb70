//! The conformance matrix: every target's latest results side by side.
//!
//! `conform run` leaves `reports/<target>/results.json` (a stable summary: no timings, messages
//! normalised); `conform matrix` collects them into `reports/matrix.json` (schema below),
//! `matrix.md` (counts per service and tier, for a README) and `matrix.html` (the page to work
//! with: `matrix_page.rs`).
//!
//! matrix.json schema (version 1):
//! `{ "schema": 1, "targets": [{ "name", "version" }],
//!    "specs": [{ "id", "title", "source", "file", "service", "tier", "cells": { "<target>": { "verdict", "message"?, "reason"?, "link"? } } }] }`

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::normalize::Normalizer;
use super::{Expectations, SpecResult, Verdict};

pub const TIERS: [&str; 3] = ["core", "complete", "strict"];

/// One target's results as `results.json` keeps them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetResults {
    pub target: String,
    pub version: Option<String>,
    pub specs: Vec<SpecRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpecRow {
    pub id: String,
    pub title: String,
    pub source: String,
    /// The spec's file, relative to where conform ran (`specs/sqs/basic/x.yaml`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    pub tags: Vec<String>,
    #[serde(flatten)]
    pub cell: Cell,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cell {
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the target diverges, from its expectations file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Where the target's responses depart from AWS's service model (`step finding`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_findings: Vec<String>,
}

impl TargetResults {
    pub fn from_run(target: &str, version: Option<&str>, results: &[SpecResult], expectations: &Expectations) -> Self {
        let specs = results
            .iter()
            .map(|r| {
                let divergence = expectations.divergence(&r.id);
                let verdict = expectations.judge(r);
                let normalizer = Normalizer::new(Some(r.prefix.clone()).filter(|p| !p.is_empty()));
                SpecRow {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    source: r.source.clone(),
                    file: r.file.clone(),
                    tags: r.tags.clone(),
                    cell: Cell {
                        verdict: verdict.as_str().into(),
                        // An expected divergence is explained by its reason; its message (with run-specific
                        // values) would only make two runs' files differ. New problems keep theirs.
                        message: r.message.as_ref().filter(|_| verdict.is_unexplained() || verdict == Verdict::SkippedAsGap).map(|m| {
                            normalizer.normalize(&[serde_json::Value::String(m.clone())])[0].as_str().unwrap_or_default().to_owned()
                        }),
                        reason: divergence.map(|d| d.reason.clone()),
                        link: divergence.and_then(|d| d.link.clone()),
                        model_findings: r.shape_findings().into_iter().map(|(step, f)| format!("{step} {f}")).collect(),
                    },
                }
            })
            .collect();
        Self { target: target.to_owned(), version: version.map(str::to_owned), specs }
    }

    /// Merges this run into what `path` already holds (a run of a subset keeps the other specs).
    pub fn save_merged(mut self, path: &Path) -> std::io::Result<()> {
        if let Some(old) = std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str::<TargetResults>(&t).ok()) {
            let fresh: std::collections::BTreeSet<String> = self.specs.iter().map(|s| s.id.clone()).collect();
            self.specs.extend(old.specs.into_iter().filter(|s| !fresh.contains(&s.id)));
        }
        self.save(path)
    }

    /// Writes these rows alone, sorted by spec id.
    pub fn save(mut self, path: &Path) -> std::io::Result<()> {
        self.specs.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&self).expect("results serialise") + "\n")
    }
}

impl TargetResults {
    /// Rows with just an id and a verdict each (for tests of what reads results).
    #[cfg(test)]
    pub(crate) fn of_verdicts(target: &str, verdicts: &[(&str, &str)]) -> Self {
        let row = |(id, verdict): &(&str, &str)| SpecRow {
            id: id.to_string(),
            title: "t".into(),
            source: "s".into(),
            file: String::new(),
            tags: Vec::new(),
            cell: Cell { verdict: verdict.to_string(), message: None, reason: None, link: None, model_findings: Vec::new() },
        };
        Self { target: target.into(), version: None, specs: verdicts.iter().map(row).collect() }
    }
}

/// Reads every `reports/*/results.json`.
pub fn collect(reports: &Path) -> Vec<TargetResults> {
    let mut all: Vec<TargetResults> = std::fs::read_dir(reports)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("results.json")).ok())
        .filter_map(|t| serde_json::from_str(&t).ok())
        .collect();
    // The recorded-AWS reference last: it is what the targets are measured against, not one of them.
    all.sort_by(|a, b| (a.target == super::REFERENCE).cmp(&(b.target == super::REFERENCE)).then(a.target.cmp(&b.target)));
    all
}

pub fn service(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

fn tier(tags: &[String]) -> &'static str {
    TIERS.into_iter().find(|t| tags.iter().any(|g| g == t)).unwrap_or("untiered")
}

pub fn to_json(targets: &[TargetResults]) -> serde_json::Value {
    let mut specs: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    for t in targets {
        for row in &t.specs {
            let entry = specs.entry(&row.id).or_insert_with(|| {
                serde_json::json!({ "id": row.id, "title": row.title, "source": row.source, "file": row.file, "service": service(&row.id), "tier": tier(&row.tags), "cells": {} })
            });
            entry["cells"][&t.target] = serde_json::to_value(&row.cell).expect("cell serialises");
        }
    }
    serde_json::json!({
        "schema": 1,
        "targets": targets.iter().map(|t| serde_json::json!({ "name": t.target, "version": t.version })).collect::<Vec<_>>(),
        "specs": specs.into_values().collect::<Vec<_>>(),
    })
}

/// Per service and tier: passes out of specs run, per target.
pub fn to_markdown(targets: &[TargetResults]) -> String {
    // (service, tier) → target → (passes, specs run)
    type Counts<'a> = BTreeMap<&'a str, (usize, usize)>;
    let mut groups: BTreeMap<(String, &'static str), Counts> = BTreeMap::new();
    for t in targets {
        for row in &t.specs {
            let counts = groups.entry((service(&row.id).to_owned(), tier(&row.tags))).or_default().entry(&t.target).or_default();
            if let Some(passed) = counts_as_pass(&row.cell.verdict) {
                counts.1 += 1;
                counts.0 += usize::from(passed);
            }
        }
    }
    let mut out = String::from("| service | tier |");
    for t in targets {
        out += &format!(" {}{} |", t.target, t.version.as_ref().map(|v| format!(" {v}")).unwrap_or_default());
    }
    out += "\n| --- | --- |";
    out += &" --- |".repeat(targets.len());
    for ((service, tier), per_target) in &groups {
        out += &format!("\n| {service} | {tier} |");
        for t in targets {
            out += &match per_target.get(t.target.as_str()) {
                Some((pass, run)) if *run > 0 => format!(" {pass}/{run} ({:.0}%) |", 100.0 * *pass as f64 / *run as f64),
                _ => " – |".into(),
            };
        }
    }
    out += "\n\n| model check | specs run | specs whose responses break AWS's model | findings |\n| --- | --- | --- | --- |";
    for t in targets.iter().filter(|t| t.target != super::REFERENCE) {
        let run: Vec<&SpecRow> = t.specs.iter().filter(|r| !r.cell.verdict.starts_with("skipped")).collect();
        let flagged = run.iter().filter(|r| !r.cell.model_findings.is_empty()).count();
        let findings: usize = run.iter().map(|r| r.cell.model_findings.len()).sum();
        out += &format!("\n| {} | {} | {flagged} | {findings} |", t.target, run.len());
    }
    out + "\n\nA cell counts passes out of specs run (skipped and gaps excluded). Expected divergences are listed with reasons in `reports/expectations/<target>.yaml`. The `aws-recorded` column counts specs whose recorded AWS evidence agrees, out of specs with evidence (`conform evidence`).\n"
}

/// Whether a cell counts as a pass, or `None` when it does not count: skipped, or (in the
/// `aws-recorded` column) a spec without recorded evidence.
fn counts_as_pass(verdict: &str) -> Option<bool> {
    match verdict {
        "pass" | "recorded-agrees" => Some(true),
        v if v.starts_with("skipped") || v == "documented-only" => None,
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, verdicts: &[(&str, &str, &str)]) -> TargetResults {
        TargetResults {
            target: name.into(),
            version: Some("1".into()),
            specs: verdicts
                .iter()
                .map(|(id, tier, verdict)| SpecRow {
                    id: id.to_string(),
                    title: "t".into(),
                    source: "https://docs.aws.amazon.com/x".into(),
                    file: String::new(),
                    tags: vec![tier.to_string()],
                    cell: Cell { verdict: verdict.to_string(), message: None, reason: Some("r <b>".into()), link: None, model_findings: Vec::new() },
                })
                .collect(),
        }
    }

    #[test]
    fn matrix_counts_per_service_and_tier() {
        let targets = [
            target("a", &[("sqs/x", "core", "pass"), ("sqs/y", "core", "fail"), ("kinesis/z", "strict", "skipped-as-gap")]),
            target("b", &[("sqs/x", "core", "pass"), ("sqs/y", "core", "pass")]),
        ];
        let md = to_markdown(&targets);
        assert!(md.contains("| sqs | core | 1/2 (50%) | 2/2 (100%) |"), "{md}");
        assert!(md.contains("| kinesis | strict | – | – |"), "{md}");
        let json = to_json(&targets);
        assert_eq!(json["specs"][1]["cells"]["b"]["verdict"], "pass");
    }
}
