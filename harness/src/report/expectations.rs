//! Known divergences per target (`reports/expectations/<target>.yaml`): which specs are expected
//! not to pass there, and why. A run is judged against them, so CI fails only on what is new.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SpecResult, Status};
use crate::spec::{parse_yaml, SpecErrors};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    pub target: String,
    #[serde(default)]
    pub divergences: Vec<Divergence>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// The spec id.
    pub spec: String,
    /// What the target does instead of what AWS does.
    pub reason: String,
    /// An issue or commit about it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A result judged against the expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    /// Did not pass, as the expectations file says it would not.
    ExpectedDivergence,
    /// Failed, and nothing explains it: a regression or a new divergence.
    Fail,
    /// Listed as divergent, but passed: the entry is stale (or the target improved).
    UnexpectedPass,
    Error,
    Skipped,
    SkippedAsGap,
}

impl Verdict {
    /// Whether this outcome should fail a CI run.
    pub fn is_unexplained(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::UnexpectedPass | Verdict::Error)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::ExpectedDivergence => "expected-divergence",
            Verdict::Fail => "fail",
            Verdict::UnexpectedPass => "unexpected-pass",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
            Verdict::SkippedAsGap => "skipped-as-gap",
        }
    }
}

impl Expectations {
    pub fn path_for(reports: &Path, target: &str) -> PathBuf {
        reports.join("expectations").join(format!("{target}.yaml"))
    }

    /// Reads a target's expectations; a missing file means none.
    pub fn load(reports: &Path, target: &str) -> Result<Self, SpecErrors> {
        let path = Self::path_for(reports, target);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_yaml(&path.display().to_string(), &text),
            Err(_) => Ok(Self { target: target.to_owned(), divergences: Vec::new() }),
        }
    }

    pub fn divergence(&self, spec: &str) -> Option<&Divergence> {
        self.divergences.iter().find(|d| d.spec == spec)
    }

    pub fn judge(&self, result: &SpecResult) -> Verdict {
        let listed = self.divergence(&result.id).is_some();
        match (result.status, listed) {
            (Status::Pass, false) => Verdict::Pass,
            (Status::Pass, true) => Verdict::UnexpectedPass,
            (Status::Fail | Status::Error, true) => Verdict::ExpectedDivergence,
            (Status::Fail, false) => Verdict::Fail,
            (Status::Error, false) => Verdict::Error,
            (Status::Skipped, _) => Verdict::Skipped,
            (Status::SkippedAsGap, _) => Verdict::SkippedAsGap,
        }
    }

    /// Entries naming specs that do not exist (renamed or deleted): worth a warning.
    pub fn stale<'a>(&'a self, known_ids: &'a [String]) -> impl Iterator<Item = &'a Divergence> {
        self.divergences.iter().filter(move |d| !known_ids.contains(&d.spec))
    }
}

/// Counts of verdicts, in a stable order, for summaries.
pub fn tally(verdicts: impl IntoIterator<Item = Verdict>) -> BTreeMap<Verdict, usize> {
    let mut counts = BTreeMap::new();
    for v in verdicts {
        *counts.entry(v).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(id: &str, status: Status) -> SpecResult {
        SpecResult {
            id: id.into(),
            title: String::new(),
            source: String::new(),
            file: String::new(),
            tags: Vec::new(),
            status,
            duration: Duration::ZERO,
            message: None,
            location: None,
            steps: Vec::new(),
            prefix: String::new(),
        }
    }

    #[test]
    fn listed_failures_are_expected_and_listed_passes_are_not() {
        let e: Expectations = parse_yaml("m.yaml", "target: moto\ndivergences:\n  - spec: a\n    reason: r\n").unwrap();
        assert_eq!(e.judge(&result("a", Status::Fail)), Verdict::ExpectedDivergence);
        assert_eq!(e.judge(&result("a", Status::Error)), Verdict::ExpectedDivergence);
        assert_eq!(e.judge(&result("a", Status::Pass)), Verdict::UnexpectedPass);
        assert_eq!(e.judge(&result("b", Status::Fail)), Verdict::Fail);
        assert_eq!(e.judge(&result("b", Status::SkippedAsGap)), Verdict::SkippedAsGap);
        assert!(Verdict::UnexpectedPass.is_unexplained() && !Verdict::ExpectedDivergence.is_unexplained());
        assert_eq!(e.stale(&["b".to_string()]).count(), 1);
    }

    #[test]
    fn a_bad_entry_points_at_its_line() {
        let err = parse_yaml::<Expectations>("m.yaml", "target: moto\ndivergences:\n  - spec: a\n    reson: r\n").unwrap_err();
        assert!(err.errors[0].to_string().starts_with("m.yaml:4:5: unknown key `reson`"), "{}", err.errors[0]);
    }
}
