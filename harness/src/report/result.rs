//! What a run produced, spec by spec: the stable data every report format is written from.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::check::CheckResult;
use crate::wire::WireError;

/// The outcome of running one spec, before known divergences are taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    /// The target answered, and the answer contradicts the spec.
    Fail,
    /// Target or harness trouble (unreachable, resource setup failed, timed out): no verdict.
    Error,
    /// Not run: filtered out or interrupted.
    Skipped,
    /// Not run because the target lacks a service or capability the spec needs.
    SkippedAsGap,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::SkippedAsGap => "skipped-as-gap",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SpecResult {
    pub id: String,
    pub title: String,
    pub source: String,
    pub file: String,
    pub tags: Vec<String>,
    pub status: Status,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// Why it failed, errored or was skipped, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `file:line:col` of the step or expectation that decided a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The spec run's resource-name prefix, for normalising reports.
    #[serde(skip)]
    pub prefix: String,
    /// The spec's own normalisation rules (JSONPath → token kind).
    #[serde(skip)]
    pub normalize: Vec<(serde_json_path::JsonPath, String)>,
}

impl SpecResult {
    /// Every model finding of the run's responses, once each, with the step it came from:
    /// (`2 sqs.ReceiveMessage`, `$.Messages: a mapping where MessageList is a list`).
    pub fn shape_findings(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for step in &self.steps {
            for finding in step.attempts.iter().flat_map(|a| &a.shape) {
                let entry = (format!("{} {}", step.index + 1, step.description), finding.clone());
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
        out
    }

    /// How many responses were checked against the model.
    pub fn responses_checked(&self) -> usize {
        self.steps.iter().map(|s| s.attempts.len()).sum()
    }

    /// The check that decided a failure: the first failed check of the last attempt (`$.Messages`,
    /// or `error` for the error identity).
    pub fn failed_path(&self) -> Option<&str> {
        let last = self.steps.last()?.attempts.last()?;
        last.checks.iter().find(|c| !c.passed).map(|c| c.path.as_str())
    }

    pub fn not_run(spec: &crate::spec::Spec, status: Status, why: impl Into<String>) -> Self {
        Self {
            id: spec.id.clone(),
            title: spec.title.clone(),
            source: spec.source.clone(),
            file: spec.file.name.clone(),
            tags: spec.tags.clone(),
            status,
            duration: Duration::ZERO,
            message: Some(why.into()),
            location: None,
            steps: Vec::new(),
            prefix: String::new(),
            normalize: spec.normalize.iter().map(|(s, kind)| (s.query.clone(), kind.clone())).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub index: usize,
    pub description: String,
    /// `service.Action` of a call step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Kept in the snapshot report.
    pub snapshot: bool,
    /// Every request sent for this step: one, or one per `eventually` attempt and `repeat`.
    pub attempts: Vec<Attempt>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Which `repeat` iteration this attempt belongs to (0 without `repeat`).
    pub iteration: u32,
    pub request: Value,
    pub status: u16,
    pub response: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
    pub checks: Vec<CheckResult>,
    /// Where the response departs from AWS's model of the operation (`$.path: what the model says`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shape: Vec<String>,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
    /// On the last attempt of a `collect` step: everything gathered, which `expect` judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<Value>,
}

impl Attempt {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}
