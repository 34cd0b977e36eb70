//! `reports/<target>/history.jsonl`: a line per whole-suite run of a target (date, commit,
//! version, passes per service), so the matrix can show how a target's conformance moved.
//! A rerun on the same commit and version replaces that commit's line instead of adding one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::matrix::TargetResults;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// UTC date and time of the run, `2026-12-04T05:40:00Z`.
    pub date: String,
    /// The harness checkout's commit (`git rev-parse --short=12 HEAD`), when known.
    pub commit: Option<String>,
    pub version: Option<String>,
    /// Per service: (passes, specs).
    pub services: BTreeMap<String, (usize, usize)>,
}

impl Run {
    pub fn of(results: &TargetResults, date: String, commit: Option<String>) -> Self {
        let mut services: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for row in &results.specs {
            let counts = services.entry(super::matrix::service(&row.id).to_owned()).or_default();
            counts.0 += usize::from(row.cell.verdict == "pass");
            counts.1 += 1;
        }
        Self { date, commit, version: results.version.clone(), services }
    }

    /// Passes and specs over every service.
    pub fn total(&self) -> (usize, usize) {
        self.services.values().fold((0, 0), |(p, n), (pass, specs)| (p + pass, n + specs))
    }
}

pub fn path(reports: &Path, target: &str) -> std::path::PathBuf {
    reports.join(target).join("history.jsonl")
}

/// Every recorded run of `target`, oldest first (none when there is no file).
pub fn load(reports: &Path, target: &str) -> Vec<Run> {
    std::fs::read_to_string(path(reports, target))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Adds `run` to the target's history; a run of the same commit and version replaces its line.
pub fn record(reports: &Path, target: &str, run: Run) -> std::io::Result<()> {
    let mut runs = load(reports, target);
    if runs.last().is_some_and(|last| last.commit.is_some() && last.commit == run.commit && last.version == run.version) {
        runs.pop();
    }
    runs.push(run);
    let text: String = runs.iter().map(|r| serde_json::to_string(r).expect("a run serialises") + "\n").collect();
    std::fs::create_dir_all(reports.join(target))?;
    std::fs::write(path(reports, target), text)
}

/// The checkout's commit, if this is a git checkout and git is installed.
pub fn current_commit() -> Option<String> {
    let out = std::process::Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()).filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(verdicts: &[(&str, &str)]) -> TargetResults {
        TargetResults { version: Some("5".into()), ..TargetResults::of_verdicts("moto", verdicts) }
    }

    #[test]
    fn a_rerun_of_the_same_commit_replaces_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let run = |verdict: &str, commit: &str| Run::of(&results(&[("sqs/a", "pass"), ("sqs/b", verdict), ("kinesis/c", "fail")]), "d".into(), Some(commit.into()));
        record(dir.path(), "moto", run("fail", "aaa")).unwrap();
        record(dir.path(), "moto", run("pass", "bbb")).unwrap();
        record(dir.path(), "moto", run("fail", "bbb")).unwrap();
        let runs = load(dir.path(), "moto");
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].services["sqs"], (1, 2));
        assert_eq!(runs[1].total(), (1, 3));
    }
}
