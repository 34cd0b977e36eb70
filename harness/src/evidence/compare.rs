//! One step against one recording: the situation (request), the outcome, the error's identity and
//! the response's fields, each fact as what the spec asserts and what AWS was recorded doing.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use super::corpus::{Protocol, Recording};
use super::situation;
use crate::check::matcher;
use crate::spec::{Call, Expectation, Matcher};

/// What a compared fact is about; a step's agreement is as strong as the strongest kind it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The request the recording answered: a mismatch means it is another situation.
    Situation,
    /// Error or success.
    Outcome,
    /// The error's `__type`, query code, status or message.
    Identity,
    /// A response field.
    Field,
}

/// One fact compared: what the spec asserts and what AWS was recorded doing.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub what: String,
    pub kind: Kind,
    pub spec: String,
    pub recorded: String,
    pub agrees: bool,
}

/// Everything one recording says about one step.
#[derive(Debug, Clone, Default)]
pub struct Compared {
    pub comparisons: Vec<Comparison>,
    /// Facts the recording states that the step does not assert.
    pub weaker: Vec<String>,
}

/// An assertion a step makes, named as its comparison is (`what`).
pub struct Assertion {
    pub what: String,
    pub kind: Kind,
    /// The asserted value, for the report.
    pub asserts: String,
}

/// Whether a step asserts anything beyond the call succeeding.
pub fn asserts(call: &Call) -> bool {
    call.expect_error.is_some() || !call.expect.is_empty()
}

/// What the step asserts, one entry per fact a recording could back.
pub fn assertions(call: &Call) -> Vec<Assertion> {
    let mut out = vec![Assertion { what: "outcome".into(), kind: Kind::Outcome, asserts: outcome(call.expect_error.is_some()) }];
    let mut add = |what: &str, kind: Kind, asserts: String| out.push(Assertion { what: what.into(), kind, asserts });
    if let Some(e) = &call.expect_error {
        e.code.iter().for_each(|c| add(CODE, Kind::Identity, c.clone()));
        e.query_code.iter().for_each(|c| add(QUERY_CODE, Kind::Identity, c.clone()));
        e.status.iter().for_each(|s| add(STATUS, Kind::Identity, s.to_string()));
        e.message.iter().for_each(|m| add(MESSAGE, Kind::Identity, format!("/{m}/")));
    }
    for e in &call.expect {
        add(&e.path.text, Kind::Field, matcher::describe(&e.matcher, &BTreeMap::new()));
    }
    out
}

const CODE: &str = "code (__type)";
const QUERY_CODE: &str = "query code";
const STATUS: &str = "status";
const MESSAGE: &str = "message";

fn outcome(failed: bool) -> String {
    if failed { "error" } else { "success" }.to_owned()
}

pub fn compare(call: &Call, rec: &Recording) -> Compared {
    let mut out = Compared::default();
    let mut fact = |what: &str, kind: Kind, spec: String, recorded: String, agrees: bool| {
        out.comparisons.push(Comparison { what: what.into(), kind, spec, recorded, agrees });
    };
    let called = format!("{}.{}", call.service.name, call.action);
    let recorded_call = format!("{}.{}", rec.service, rec.operation);
    if called != recorded_call {
        fact("operation", Kind::Situation, called, recorded_call, false);
        return out;
    }
    if let Some(excerpt) = &rec.request {
        let mismatches = situation::compare(excerpt, &call.request.to_json());
        if !mismatches.is_empty() {
            for m in mismatches {
                fact(&format!("request {} (cites a recording of another situation)", m.member), Kind::Situation, m.spec, m.recorded, false);
            }
            return out; // the answer to another request says nothing about this one
        }
    }
    // The outcome is the first fact: a step asserts the call fails or succeeds, and AWS did one.
    let recorded_failed = rec.error.is_some() || rec.status.is_some_and(|s| s >= 300);
    let failed = call.expect_error.is_some();
    fact("outcome", Kind::Outcome, outcome(failed), outcome(recorded_failed), failed == recorded_failed);
    match (&call.expect_error, &rec.error) {
        (Some(_), None) | (None, Some(_)) => {}
        (Some(expected), Some(recorded)) => {
            let mut pair = |what: &str, spec: &Option<String>, recorded: &Option<String>, applies: bool| match (spec, recorded) {
                (Some(s), Some(r)) => fact(what, Kind::Identity, s.clone(), r.clone(), s == r),
                (None, Some(r)) if applies => out.weaker.push(format!("{what} not asserted; AWS sent {r}")),
                _ => {}
            };
            pair(CODE, &expected.code, &recorded.error_type, rec.protocol == Protocol::Json);
            pair(QUERY_CODE, &expected.query_code, &recorded.query_code, true);
            pair(STATUS, &expected.status.map(|s| s.to_string()), &rec.status.map(|s| s.to_string()), true);
            match (&expected.message, &recorded.message) {
                (Some(re), Some(m)) => fact(MESSAGE, Kind::Identity, format!("/{re}/"), m.clone(), re.is_match(m)),
                (None, Some(m)) => out.weaker.push(format!("message not asserted; AWS sent {m:?}")),
                _ => {}
            }
        }
        (None, None) => {
            if let Some(response) = &rec.response {
                let empty = matches!(response, Value::Object(map) if map.is_empty());
                for expectation in &call.expect {
                    // A `collect` step's expectations judge a collection: here, the one recorded answer's.
                    let compared = match &call.collect {
                        Some(collect) => {
                            compare_response(expectation, &Value::Array(matcher::gather(&collect.items, response)), |_| empty)
                        }
                        None => compare_response(expectation, response, |path| rec.shows_absent(path)),
                    };
                    out.comparisons.extend(compared);
                }
            }
        }
    }
    out
}

/// A response matcher checked against the recorded response. A path the excerpt does not hold is
/// judged only where the recording shows it absent; otherwise the excerpt says nothing about it.
/// Matchers that need the run's variables, and values the snapshot replaced under a value
/// comparison, cannot be judged offline.
fn compare_response(expectation: &Expectation, response: &Value, shows_absent: impl Fn(&str) -> bool) -> Option<Comparison> {
    let selected = matcher::select(&expectation.path, response);
    let missing = match &selected {
        None => true,
        Some(Value::Array(items)) => items.is_empty() && !expectation.path.singular,
        Some(_) => false,
    };
    if missing && !shows_absent(&expectation.path.text) {
        return None;
    }
    if selected.as_ref().is_some_and(|v| has_placeholder(v) && !shape_only(&expectation.matcher)) || uses_variables(&expectation.matcher) {
        return None;
    }
    let recorded = match &selected {
        Some(v) if !missing => matcher::brief(v),
        _ => "absent".into(),
    };
    let what = expectation.path.text.clone();
    let (spec, agrees) = match matcher::evaluate(&expectation.matcher, selected.as_ref(), &BTreeMap::new()) {
        Ok(()) => (matcher::describe(&expectation.matcher, &BTreeMap::new()), true),
        Err(why) => (why, false),
    };
    Some(Comparison { what, kind: Kind::Field, spec, recorded, agrees })
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
