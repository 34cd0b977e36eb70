//! Known divergences per target (`reports/expectations/<target>.yaml`): which specs are expected
//! not to pass there, and why. A run is judged against them, so CI fails only on what is new.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SpecResult, Status};
use crate::spec::{parse_yaml, SpecErrors};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    pub target: String,
    #[serde(default)]
    pub divergences: Vec<Divergence>,
    /// Known model findings: responses of a spec that depart from AWS's service model in ways
    /// already reviewed (`paths`: the JSONPaths accepted; empty: all of the spec's findings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shape: Vec<Divergence>,
    /// The file's leading comment, kept when the file is rewritten: people write context there.
    #[serde(skip)]
    pub header: Option<String>,
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
    /// Where the divergence shows: the JSONPaths (as the failure reports them, e.g.
    /// `$.Messages`, or `error` for the error identity). A failure elsewhere is a new divergence.
    /// Empty: any failure of the spec is this divergence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Target versions the entry applies to, as a semver requirement (`<5.3`, `>=4.0, <4.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
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
    /// Listed as divergent, but failing somewhere the entry does not name (`paths`).
    NewDivergence,
    /// Listed as divergent, but passed: the entry is stale (or the target improved).
    UnexpectedPass,
    Error,
    Skipped,
    SkippedAsGap,
}

impl Verdict {
    /// Whether this outcome should fail a CI run.
    pub fn is_unexplained(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::NewDivergence | Verdict::UnexpectedPass | Verdict::Error)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::ExpectedDivergence => "expected-divergence",
            Verdict::Fail => "fail",
            Verdict::NewDivergence => "new-divergence",
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
            Ok(text) => {
                let mut expectations: Self = parse_yaml(&path.display().to_string(), &text)?;
                let header: String = text.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
                expectations.header = (!header.is_empty()).then_some(header);
                Ok(expectations)
            }
            Err(_) => Ok(Self { target: target.to_owned(), ..Self::default() }),
        }
    }

    /// Keeps the entries whose `versions` condition holds for this target version. A version
    /// that is not semver (or unknown) meets no condition: such entries then do not apply.
    pub fn for_version(mut self, version: Option<&str>) -> Self {
        let version = version.and_then(|v| semver::Version::parse(v).ok());
        self.divergences.retain(|d| match &d.versions {
            None => true,
            Some(req) => match (semver::VersionReq::parse(req), &version) {
                (Ok(req), Some(v)) => req.matches(v),
                _ => false,
            },
        });
        self
    }

    /// The spec's model findings (step, finding) that no `shape` entry accepts: new shape divergences.
    pub fn unexplained_shape(&self, result: &SpecResult) -> Vec<(String, String)> {
        let entry = self.shape_divergence(&result.id);
        let accepted = |finding: &str| {
            entry.is_some_and(|d| d.paths.is_empty() || d.paths.iter().any(|p| finding.starts_with(&format!("{p}: "))))
        };
        result.shape_findings().into_iter().filter(|(_, f)| !accepted(f)).collect()
    }

    pub fn shape_divergence(&self, spec: &str) -> Option<&Divergence> {
        entry_for(&self.shape, spec)
    }

    pub fn divergence(&self, spec: &str) -> Option<&Divergence> {
        entry_for(&self.divergences, spec)
    }

    pub fn judge(&self, result: &SpecResult) -> Verdict {
        let listed = self.divergence(&result.id);
        let explained = |d: &Divergence| d.paths.is_empty() || result.failed_path().is_some_and(|p| d.paths.iter().any(|x| x == p));
        match (result.status, listed) {
            (Status::Pass, None) => Verdict::Pass,
            (Status::Pass, Some(_)) => Verdict::UnexpectedPass,
            (Status::Fail | Status::Error, Some(d)) if explained(d) => Verdict::ExpectedDivergence,
            (Status::Fail | Status::Error, Some(_)) => Verdict::NewDivergence,
            (Status::Fail, None) => Verdict::Fail,
            (Status::Error, None) => Verdict::Error,
            (Status::Skipped, _) => Verdict::Skipped,
            (Status::SkippedAsGap, _) => Verdict::SkippedAsGap,
        }
    }

    /// The file rewritten from a run, for a human to review: failures nobody listed are added
    /// with a placeholder reason, entries whose spec passed or no longer exists are removed.
    /// Returns (added, removed).
    pub fn update_from(&mut self, verdicts: &[(String, Verdict)]) -> (usize, usize) {
        let before = self.divergences.len();
        let keep = |d: &Divergence| verdicts.iter().any(|(id, v)| covers(&d.spec, id) && *v != Verdict::UnexpectedPass);
        self.divergences.retain(keep);
        let removed = before - self.divergences.len();
        let mut added = 0;
        for (id, verdict) in verdicts {
            if matches!(verdict, Verdict::Fail | Verdict::Error) && self.divergence(id).is_none() {
                self.divergences.push(Divergence {
                    spec: id.clone(),
                    reason: format!("TODO: what {} does instead of AWS", self.target),
                    link: None,
                    paths: Vec::new(),
                    versions: None,
                });
                added += 1;
            }
        }
        self.divergences.sort_by(|a, b| a.spec.cmp(&b.spec));
        (added, removed)
    }

    /// The file's text: a header comment, then the entries.
    pub fn render(&self) -> String {
        let header = self.header.clone().unwrap_or_else(|| {
            format!(
                "# Known divergences of {} from AWS. Each entry names a spec that does not pass there, what the\n# target does instead, and a link where one exists. The spec stays true to AWS.\n",
                self.target
            )
        });
        let mut out = format!("{header}target: {}\ndivergences:\n", self.target);
        out += &render_entries(&self.divergences);
        if !self.shape.is_empty() {
            out += "# Responses that depart from AWS's service model (reviewed): `paths` are the JSONPaths accepted.\nshape:\n";
            out += &render_entries(&self.shape);
        }
        out
    }

    /// Entries naming specs that do not exist (renamed or deleted): worth a warning.
    pub fn stale<'a>(&'a self, known_ids: &'a [String]) -> impl Iterator<Item = &'a Divergence> {
        self.divergences.iter().chain(&self.shape).filter(move |d| !known_ids.iter().any(|id| covers(&d.spec, id)))
    }
}

/// The entry for a spec: its own, else its case table's (an entry naming a file with `cases:`
/// covers every case, e.g. an emulator without the operation they all call).
fn entry_for<'a>(entries: &'a [Divergence], spec: &str) -> Option<&'a Divergence> {
    entries.iter().find(|d| d.spec == spec).or_else(|| entries.iter().find(|d| covers(&d.spec, spec)))
}

/// Whether an entry naming `entry` covers spec `id`: itself, or a case of it (`<entry>/<case>`).
fn covers(entry: &str, id: &str) -> bool {
    id == entry || id.strip_prefix(entry).and_then(|rest| rest.strip_prefix('/')).is_some_and(|case| !case.contains('/'))
}

fn render_entries(entries: &[Divergence]) -> String {
        let mut out = String::new();
        for d in entries {
            out += &format!("  - spec: {}\n    reason: {}\n", d.spec, yaml_string(&d.reason));
            if let Some(link) = &d.link {
                out += &format!("    link: {link}\n");
            }
            if !d.paths.is_empty() {
                out += &format!("    paths: [{}]\n", d.paths.iter().map(|p| yaml_string(p)).collect::<Vec<_>>().join(", "));
            }
            if let Some(v) = &d.versions {
                out += &format!("    versions: {}\n", yaml_string(v));
            }
        }
        out
}

/// A YAML scalar: plain when safe, else double-quoted (JSON string syntax is valid YAML).
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| "!&*-?[]{}|>@`\"'%#,:".contains(c) || c.is_whitespace())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':');
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).expect("strings serialise")
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
            normalize: Vec::new(),
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

    fn failing_at(id: &str, path: &str) -> SpecResult {
        let mut r = result(id, Status::Fail);
        r.steps.push(crate::report::StepRecord {
            index: 0,
            description: String::new(),
            operation: None,
            snapshot: false,
            attempts: vec![crate::report::Attempt {
                iteration: 0,
                request: serde_json::Value::Null,
                status: 200,
                response: serde_json::Value::Null,
                error: None,
                checks: vec![crate::check::CheckResult { path: path.into(), passed: false, detail: None }],
                shape: Vec::new(),
                elapsed: Duration::ZERO,
                collected: None,
            }],
        });
        r
    }

    #[test]
    fn an_entry_for_a_case_table_covers_each_case_and_a_case_entry_wins() {
        let e: Expectations = parse_yaml("t.yaml", "target: t\ndivergences:\n  - spec: a/table\n    reason: no such operation\n  - spec: a/table/one\n    reason: this one differs\n").unwrap();
        assert_eq!(e.divergence("a/table/two").map(|d| d.reason.as_str()), Some("no such operation"));
        assert_eq!(e.divergence("a/table/one").map(|d| d.reason.as_str()), Some("this one differs"));
        assert!(e.divergence("a/table/two/deeper").is_none() && e.divergence("a/tables").is_none());
        assert_eq!(e.stale(&["a/table/two".to_string()]).count(), 1, "the case entry for a missing case is stale");
    }

    #[test]
    fn path_level_entries_flag_failures_elsewhere_as_new() {
        let e: Expectations = parse_yaml("m.yaml", "target: moto\ndivergences:\n  - spec: a\n    reason: r\n    paths: [$.Messages]\n").unwrap();
        assert_eq!(e.judge(&failing_at("a", "$.Messages")), Verdict::ExpectedDivergence);
        assert_eq!(e.judge(&failing_at("a", "error")), Verdict::NewDivergence);
        assert!(Verdict::NewDivergence.is_unexplained());
    }

    #[test]
    fn version_conditions_select_entries() {
        let text = "target: moto\ndivergences:\n  - spec: a\n    reason: r\n    versions: '<5.3'\n  - spec: b\n    reason: r\n";
        let e: Expectations = parse_yaml("m.yaml", text).unwrap();
        assert_eq!(e.for_version(Some("5.2.5")).divergences.len(), 2);
        let e: Expectations = parse_yaml("m.yaml", text).unwrap();
        assert_eq!(e.for_version(Some("5.3.0")).divergences.len(), 1);
    }

    #[test]
    fn update_adds_unexplained_failures_and_drops_stale_entries_and_round_trips() {
        let mut e: Expectations = parse_yaml("m.yaml", "target: moto\ndivergences:\n  - spec: a\n    reason: 'r: with colon'\n  - spec: gone\n    reason: r\n").unwrap();
        let verdicts = [("a".to_string(), Verdict::ExpectedDivergence), ("b".to_string(), Verdict::Fail), ("c".to_string(), Verdict::Pass)];
        assert_eq!(e.update_from(&verdicts), (1, 1));
        let text = e.render();
        let again: Expectations = parse_yaml("m.yaml", &text).unwrap();
        assert_eq!(again.divergences.iter().map(|d| d.spec.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(again.divergences[0].reason, "r: with colon");
        assert!(again.divergences[1].reason.starts_with("TODO"));
    }

    #[test]
    fn a_rewrite_keeps_the_files_own_header_comment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("expectations")).unwrap();
        let text = "# kinesalite serves Kinesis, dynalite DynamoDB.\ntarget: k+d\ndivergences:\n  - spec: a\n    reason: r\n";
        std::fs::write(dir.path().join("expectations/k+d.yaml"), text).unwrap();
        let mut e = Expectations::load(dir.path(), "k+d").unwrap();
        e.update_from(&[("a".to_string(), Verdict::ExpectedDivergence)]);
        assert_eq!(e.render(), text);
        assert!(Expectations::load(&dir.path().join("none"), "x").unwrap().render().starts_with("# Known divergences of x"));
    }

    #[test]
    fn a_bad_entry_points_at_its_line() {
        let err = parse_yaml::<Expectations>("m.yaml", "target: moto\ndivergences:\n  - spec: a\n    reson: r\n").unwrap_err();
        assert!(err.errors[0].to_string().starts_with("m.yaml:4:5: unknown key `reson`"), "{}", err.errors[0]);
    }
}
