//! Whether a cited recording answered the request a step sends.
//!
//! A recording's `request` excerpt states the members that matter to what AWS answered. Where the
//! step's request states the same member, the values must agree, or the citation is of another
//! situation: AWS accepting `maxReceiveCount: 1` says nothing about `maxReceiveCount: 0`. A member
//! only one side states is not compared (the step's queue name, the recording's key attribute
//! names), except a queue's or topic's `Attributes` setting, and a recorded `~` (null), which says
//! the request did not send the member, so a step sending it (`ConsistentRead: true`) is another
//! situation. Values that vary by run are not
//! compared: a `${variable}` in the spec and a snapshot placeholder (`<queue-url:1>`) in the
//! recording each match any text where they stand.

use std::borrow::Cow;

use regex::Regex;
use serde_json::Value;

use crate::check::matcher::brief;

/// A member the recording states and the step sends differently, or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, as a path into the request (`Attributes.DelaySeconds`).
    pub member: String,
    pub spec: String,
    pub recorded: String,
}

/// The members of the recorded excerpt that the step's request contradicts.
pub fn compare(recorded: &Value, request: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    member("", recorded, Some(request), &mut out);
    out
}

const NOT_SENT: &str = "(not sent)";

fn member(path: &str, recorded: &Value, spec: Option<&Value>, out: &mut Vec<Mismatch>) {
    let spec = spec.map(unwrap_generator);
    let spec = spec.as_deref();
    let mut differ = |spec: String| out.push(Mismatch { member: path.to_owned(), spec, recorded: shown(recorded) });
    if is_placeholder(recorded) {
        return; // a resource's identity: any run's value, sent however the step names it
    }
    match (recorded, spec) {
        (Value::Null, None | Some(Value::Null)) => {}
        (Value::Null, Some(s)) => differ(brief(s)),
        (_, None) if settings(path) => differ(NOT_SENT.into()),
        (_, None) => {} // stated by the recording alone: not compared
        (_, Some(Value::String(s))) if is_variable(s) => {} // a run-time value
        (Value::Object(r), Some(Value::Object(s))) => {
            for (key, value) in r {
                member(&join(path, key), value, s.get(key), out);
            }
        }
        (Value::Array(r), Some(Value::Array(s))) if r.len() == s.len() => {
            for (i, (rv, sv)) in r.iter().zip(s).enumerate() {
                member(&format!("{path}[{i}]"), rv, Some(sv), out);
            }
        }
        (Value::String(r), Some(Value::String(s))) if !glob_match(&tokens(s, &spec_var()), &tokens(r, &placeholder())) => {
            // A JSON document in a string (a redrive or filter policy) may be spaced differently.
            match documents(r, s) {
                Some((rd, sd)) => member(path, &rd, Some(&sd), out),
                None => differ(brief(&Value::String(s.clone()))),
            }
        }
        (r, Some(s)) if is_scalar(r) && is_scalar(s) && !glob_match(&tokens(&text(s), &spec_var()), &tokens(&text(r), &placeholder())) => {
            differ(brief(s));
        }
        (r, Some(s)) if is_scalar(r) && is_scalar(s) => {}
        (Value::Object(_) | Value::Array(_), Some(s)) => differ(brief(s)),
        (_, Some(s)) if !is_scalar(s) => differ(brief(s)),
        _ => {}
    }
}

/// Whether `path` is one setting of a queue's or topic's `Attributes`: each one set makes another
/// situation, so a setting the recording's request made and the step's does not is a mismatch (AWS
/// rejecting `DelaySeconds` says nothing about a `RedrivePolicy`).
fn settings(path: &str) -> bool {
    path.strip_prefix("Attributes.").is_some_and(|name| !name.contains('.'))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(v: &Value) -> String {
    if v.is_null() {
        NOT_SENT.into()
    } else {
        brief(v)
    }
}

/// `{ $string: x }` and `{ $number: x }` stand for `x`, `{ $text: n, pattern: p }` for `p` repeated
/// to `n` bytes; other generators are compared as written.
fn unwrap_generator(v: &Value) -> Cow<'_, Value> {
    match v {
        Value::Object(map) if map.len() == 1 => Cow::Borrowed(map.get("$string").or_else(|| map.get("$number")).unwrap_or(v)),
        Value::Object(map) if map.contains_key("$text") => {
            let bytes = map["$text"].as_u64().unwrap_or(0) as usize;
            let pattern = map.get("pattern").and_then(Value::as_str).unwrap_or("x");
            let text: String = pattern.chars().cycle().scan(0, |len, c| (*len < bytes).then(|| { *len += c.len_utf8(); c })).collect();
            if text.len() == bytes && !pattern.is_empty() { Cow::Owned(Value::String(text)) } else { Cow::Borrowed(v) }
        }
        _ => Cow::Borrowed(v),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Scalars compare as text: `"2"` in an SQS attribute and `2` in a recording are the same value.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn spec_var() -> Regex {
    Regex::new(r"\$\{[^}]*\}").expect("valid regex")
}

fn placeholder() -> Regex {
    Regex::new(r"<[A-Za-z0-9_-]+(:\d+)?>").expect("valid regex")
}

fn is_placeholder(v: &Value) -> bool {
    matches!(v, Value::String(s) if placeholder().find(s).is_some_and(|m| m.as_str() == s))
}

fn is_variable(s: &str) -> bool {
    spec_var().find(s).is_some_and(|m| m.as_str() == s)
}

/// Both strings as JSON documents, the spec's `${variables}` and the recording's placeholders
/// kept as strings that match anything.
fn documents(recorded: &str, spec: &str) -> Option<(Value, Value)> {
    let parse = |s: &str, re: &Regex| {
        let quoted = re.replace_all(s, |c: &regex::Captures| {
            let token = c.get(0).expect("whole match").as_str();
            let inside_quotes = s[..c.get(0).expect("whole match").start()].matches('"').count() % 2 == 1;
            if inside_quotes {
                token.to_owned()
            } else {
                format!("\"{token}\"")
            }
        });
        match serde_json::from_str::<Value>(&quoted) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => Some(v),
            _ => None,
        }
    };
    Some((parse(recorded, &placeholder())?, parse(spec, &spec_var())?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    Any,
}

fn tokens(s: &str, wildcard: &Regex) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut last = 0;
    for m in wildcard.find_iter(s) {
        out.extend(s[last..m.start()].chars().map(Tok::Char));
        out.push(Tok::Any);
        last = m.end();
    }
    out.extend(s[last..].chars().map(Tok::Char));
    out
}

/// Whether two texts with wildcards (each matching any text) can be the same text.
fn glob_match(a: &[Tok], b: &[Tok]) -> bool {
    // can[i][j]: a[i..] and b[j..] can match.
    let mut can = vec![vec![false; b.len() + 1]; a.len() + 1];
    can[a.len()][b.len()] = true;
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            if i == a.len() && j == b.len() {
                continue;
            }
            let (x, y) = (a.get(i), b.get(j));
            can[i][j] = match (x, y) {
                (Some(Tok::Any), _) => can[i + 1][j] || (j < b.len() && can[i][j + 1]),
                (_, Some(Tok::Any)) => can[i][j + 1] || (i < a.len() && can[i + 1][j]),
                (Some(Tok::Char(c)), Some(Tok::Char(d))) => c == d && can[i + 1][j + 1],
                _ => false,
            };
        }
    }
    can[0][0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn members(recorded: Value, spec: Value) -> Vec<String> {
        compare(&recorded, &spec).into_iter().map(|m| format!("{}: spec {} / AWS {}", m.member, m.spec, m.recorded)).collect()
    }

    #[test]
    fn a_member_both_state_with_another_value_or_sent_where_aws_had_none_is_another_situation() {
        let recorded = json!({ "Attributes": { "ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2" } });
        let spec = json!({ "QueueName": "${prefix}-zero", "Attributes": { "RedrivePolicy": "{}", "DelaySeconds": 2 } });
        assert_eq!(members(recorded.clone(), spec), ["Attributes.ReceiveMessageWaitTimeSeconds: spec (not sent) / AWS \"1\""]);
        let spec = json!({ "Attributes": { "ReceiveMessageWaitTimeSeconds": "20", "DelaySeconds": 2 } });
        assert_eq!(members(recorded, spec), ["Attributes.ReceiveMessageWaitTimeSeconds: spec \"20\" / AWS \"1\""]);
        assert!(members(json!({ "Key": { "a": { "S": "x" } } }), json!({ "Key": { "pk": { "S": "k" } } })).is_empty());
        assert_eq!(members(json!({ "ConsistentRead": null }), json!({ "ConsistentRead": true })), ["ConsistentRead: spec true / AWS (not sent)"]);
        assert_eq!(members(json!({ "Limit": 6 }), json!({ "Limit": 5 })), ["Limit: spec 5 / AWS 6"]);
    }

    #[test]
    fn run_time_values_match_anything() {
        let recorded = json!({ "QueueUrl": "<queue-url:1>", "QueueName": "queue-<id>.fifo", "Key": { "a": { "S": "<random-string:1>" } } });
        let spec = json!({ "QueueName": "${prefix}-q.fifo", "Key": { "a": { "S": "k1" } } });
        assert!(members(recorded, spec).is_empty());
        assert!(members(json!({ "Limit": 6 }), json!({ "Limit": "${n}" })).is_empty());
        assert!(members(json!({ "Limit": 6 }), json!({ "Limit": { "$number": "6" } })).is_empty());
        assert!(members(json!({ "StreamName": "ababa" }), json!({ "StreamName": { "$text": 5, "pattern": "ab" } })).is_empty());
        assert_eq!(members(json!({ "StreamName": "abab" }), json!({ "StreamName": { "$text": 5, "pattern": "ab" } })), ["StreamName: spec \"ababa\" / AWS \"abab\""]);
    }

    #[test]
    fn json_documents_in_strings_compare_as_documents() {
        let recorded = json!({ "RedrivePolicy": "{\"deadLetterTargetArn\": \"<arn:1>\", \"maxReceiveCount\": 1}" });
        assert!(members(recorded.clone(), json!({ "RedrivePolicy": "{\"deadLetterTargetArn\":\"${dlq.arn}\",\"maxReceiveCount\":1}" })).is_empty());
        assert_eq!(
            members(recorded, json!({ "RedrivePolicy": "{\"deadLetterTargetArn\":\"${dlq.arn}\",\"maxReceiveCount\":0}" })),
            ["RedrivePolicy.maxReceiveCount: spec 0 / AWS 1"]
        );
    }

    #[test]
    fn wildcards_on_both_sides() {
        let t = |s: &str| tokens(s, &Regex::new(r"\*").unwrap());
        assert!(glob_match(&t("queue-*.fifo"), &t("*-q.fifo")));
        assert!(!glob_match(&t("a*c"), &t("b*")));
        assert!(glob_match(&t("*"), &t("")));
    }
}
