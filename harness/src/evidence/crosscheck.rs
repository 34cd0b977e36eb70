//! Cross-checks each spec's assertions against the AWS recordings its steps cite.
//!
//! A recording is a fact about AWS, so a step that cites it must assert nothing it contradicts:
//! the same outcome (error or success), status, `__type`, query code, a message regex that matches
//! the recorded message, and response matchers that hold on the recorded response. Only what both
//! sides state is compared; what the recording states and the spec does not is reported as
//! *weaker than recorded*, so assertions can be tightened.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use super::corpus::{Corpus, Protocol, Recording};
use crate::check::matcher;
use crate::spec::{Action, Call, Matcher, Spec, SpecError};

/// What the recordings say about one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A cited recording contradicts an assertion.
    RecordedContradicts,
    /// Every fact a cited recording shares with the spec agrees (the outcome at least).
    RecordedAgrees,
    /// No step cites a recording: the spec rests on documentation.
    DocumentedOnly,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::RecordedContradicts => "recorded-contradicts",
            Self::RecordedAgrees => "recorded-agrees",
            Self::DocumentedOnly => "documented-only",
        }
    }
}

/// One fact compared: what the spec asserts and what AWS was recorded doing.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub what: String,
    pub spec: String,
    pub recorded: String,
    pub agrees: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CitedRecording {
    /// The step as snapshots label it: its number and what it does (`2 sqs.SendMessage`).
    pub step: String,
    pub recording: String,
    pub comparisons: Vec<Comparison>,
    /// Facts the recording states that the step does not assert.
    pub weaker: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpecEvidence {
    pub id: String,
    pub file: String,
    pub verdict: Verdict,
    pub cited: Vec<CitedRecording>,
}

/// Cites that name no recording: errors pointing at the spec, as `conform check` reports them.
pub fn unknown_citations(specs: &[Spec], corpus: &Corpus) -> Vec<SpecError> {
    let mut errors = Vec::new();
    for spec in specs {
        for call in calls(spec) {
            for cite in call.evidence.iter().filter(|c| corpus.get(&c.id).is_none()) {
                let mut e = SpecError::new(&spec.file, cite.span, format!("`{}` is not a recording in the corpus", cite.id));
                match crate::spec::source::did_you_mean(&cite.id, corpus.ids()) {
                    Some(best) => e.help(format!("did you mean `{best}`?")),
                    None => e.help(format!("recordings live in {}/", super::corpus::DEFAULT_DIR)),
                };
                errors.push(e);
            }
        }
    }
    errors
}

fn calls(spec: &Spec) -> impl Iterator<Item = &Call> {
    spec.steps.iter().filter_map(|s| match &s.action {
        Action::Call(call) => Some(call.as_ref()),
        _ => None,
    })
}

/// Judges every spec. Unknown ids must have been rejected first (`unknown_citations`).
pub fn crosscheck(specs: &[Spec], corpus: &Corpus) -> Vec<SpecEvidence> {
    specs.iter().map(|spec| judge_spec(spec, corpus)).collect()
}

fn judge_spec(spec: &Spec, corpus: &Corpus) -> SpecEvidence {
    let mut cited = Vec::new();
    for (index, step) in spec.steps.iter().enumerate() {
        let Action::Call(call) = &step.action else { continue };
        for cite in &call.evidence {
            let Some(recording) = corpus.get(&cite.id) else { continue };
            let (comparisons, weaker) = compare(call, recording);
            cited.push(CitedRecording {
                step: format!("{} {}", index + 1, step.describe()),
                recording: cite.id.clone(),
                comparisons,
                weaker,
            });
        }
    }
    let verdict = if cited.is_empty() {
        Verdict::DocumentedOnly
    } else if cited.iter().flat_map(|c| &c.comparisons).any(|c| !c.agrees) {
        Verdict::RecordedContradicts
    } else {
        Verdict::RecordedAgrees
    };
    SpecEvidence { id: spec.id.clone(), file: spec.file.name.clone(), verdict, cited }
}

fn compare(call: &Call, rec: &Recording) -> (Vec<Comparison>, Vec<String>) {
    let mut out = Vec::new();
    let mut weaker = Vec::new();
    let mut fact = |what: &str, spec: String, recorded: String, agrees: bool| {
        out.push(Comparison { what: what.into(), spec, recorded, agrees });
    };
    let called = format!("{}.{}", call.service.name, call.action);
    let recorded_call = format!("{}.{}", rec.service, rec.operation);
    if called != recorded_call {
        fact("operation", called, recorded_call, false);
        return (out, weaker);
    }
    // The outcome is the first fact: a step asserts the call fails or succeeds, and AWS did one.
    let recorded_failed = rec.error.is_some() || rec.status.is_some_and(|s| s >= 300);
    let outcome = |failed: bool| if failed { "error" } else { "success" }.to_owned();
    fact("outcome", outcome(call.expect_error.is_some()), outcome(recorded_failed), call.expect_error.is_some() == recorded_failed);
    match (&call.expect_error, &rec.error) {
        (Some(_), None) | (None, Some(_)) => {}
        (Some(expected), Some(recorded)) => {
            let mut pair = |what: &str, spec: &Option<String>, recorded: &Option<String>, applies: bool| match (spec, recorded) {
                (Some(s), Some(r)) => fact(what, s.clone(), r.clone(), s == r),
                (None, Some(r)) if applies => weaker.push(format!("{what} not asserted; AWS sent {r}")),
                _ => {}
            };
            pair("code (__type)", &expected.code, &recorded.error_type, rec.protocol == Protocol::Json);
            pair("query code", &expected.query_code, &recorded.query_code, true);
            pair("status", &expected.status.map(|s| s.to_string()), &rec.status.map(|s| s.to_string()), true);
            match (&expected.message, &recorded.message) {
                (Some(re), Some(m)) => fact("message", format!("/{re}/"), m.clone(), re.is_match(m)),
                (None, Some(m)) => weaker.push(format!("message not asserted; AWS sent {m:?}")),
                _ => {}
            }
        }
        (None, None) => {
            if let Some(response) = &rec.response {
                // A `collect` step's expectations judge a collection: here, the one recorded answer's.
                let judged = match &call.collect {
                    Some(collect) => Value::Array(matcher::gather(&collect.items, response)),
                    None => response.clone(),
                };
                for expectation in &call.expect {
                    if let Some(c) = compare_response(expectation, &judged) {
                        out.push(c);
                    }
                }
            }
        }
    }
    (out, weaker)
}

/// A response matcher checked against the recorded response, when the recording holds the value and
/// the matcher can be judged offline (no `${variables}`, no snapshot placeholders under a value
/// comparison).
fn compare_response(expectation: &crate::spec::Expectation, response: &Value) -> Option<Comparison> {
    let actual = matcher::select(&expectation.path, response)?;
    if matches!(&actual, Value::Array(items) if items.is_empty() && !expectation.path.singular) {
        return None; // the recording is an excerpt: a path it does not hold says nothing
    }
    // A matcher that needs variables the run would have captured cannot be judged offline (and
    // `not` would turn the missing value into a pass).
    if (has_placeholder(&actual) && !shape_only(&expectation.matcher)) || uses_variables(&expectation.matcher) {
        return None;
    }
    let vars = BTreeMap::new();
    match matcher::evaluate(&expectation.matcher, Some(&actual), &vars) {
        Ok(()) => Some(Comparison { what: expectation.path.text.clone(), spec: "holds".into(), recorded: matcher::brief(&actual), agrees: true }),
        Err(why) => Some(Comparison { what: expectation.path.text.clone(), spec: why, recorded: matcher::brief(&actual), agrees: false }),
    }
}

fn uses_variables(m: &Matcher) -> bool {
    let node = |n: &crate::spec::node::Node| !crate::spec::template::references(n).is_empty();
    match m {
        Matcher::Equals(n) | Matcher::Contains(n) | Matcher::Compare(_, n) => node(n),
        Matcher::OneOf(nodes) => nodes.iter().any(node),
        Matcher::RegexTemplate(_) => true,
        Matcher::Not(inner) | Matcher::Each(inner) | Matcher::Length(inner) => uses_variables(inner),
        Matcher::All(all) => all.iter().any(uses_variables),
        Matcher::Json(expectations) => expectations.iter().any(|e| uses_variables(&e.matcher)),
        Matcher::Regex(_) | Matcher::Type(_) | Matcher::Exists | Matcher::Absent | Matcher::Increasing => false,
    }
}

/// LocalStack snapshots replace varying values with `<kind:N>` tokens: present, value unknown.
fn has_placeholder(value: &Value) -> bool {
    let token = Regex::new(r"^<[a-z0-9_-]+(:\d+)?>$").expect("valid regex");
    match value {
        Value::String(s) => token.is_match(s),
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(map) => map.values().any(has_placeholder),
        _ => false,
    }
}

/// Matchers that hold or fail on a value's presence and shape alone.
fn shape_only(m: &Matcher) -> bool {
    match m {
        Matcher::Exists | Matcher::Absent | Matcher::Type(_) | Matcher::Length(_) => true,
        Matcher::Not(inner) | Matcher::Each(inner) => shape_only(inner),
        Matcher::All(all) => all.iter().all(shape_only),
        _ => false,
    }
}
