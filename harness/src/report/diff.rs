//! Field-level differences between two targets' snapshots of the same spec.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::snapshot;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    /// JSONPath of the differing field, e.g. `$.exchanges[1].response.error.code`.
    pub path: String,
    /// `None` when the field is absent on that side.
    pub left: Option<Value>,
    pub right: Option<Value>,
}

/// Every leaf where `left` and `right` differ, in document order.
pub fn diff(left: &Value, right: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk("$".into(), Some(left), Some(right), &mut out);
    out
}

fn walk(path: String, left: Option<&Value>, right: Option<&Value>, out: &mut Vec<Difference>) {
    match (left, right) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    format!("{path}.{key}")
                } else {
                    format!("{path}['{}']", key.replace('\'', "\\'"))
                };
                walk(child, a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (Some(Value::String(a)), Some(Value::String(b))) if unnumbered(a) == unnumbered(b) => {}
        (a, b) if a != b => out.push(Difference { path, left: a.cloned(), right: b.cloned() }),
        _ => {}
    }
}

/// A snapshot string with its tokens' numbers left out: `<arn:2>` and `<arn:1>` name an ARN
/// each, numbered by first appearance, which shifts when one target answers with one ARN more.
fn unnumbered(text: &str) -> std::borrow::Cow<'_, str> {
    static TOKEN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"<([a-z][a-z0-9-]*):\d+>").expect("valid regex"));
    TOKEN.replace_all(text, "<$1>")
}

/// A partial reference (`aws-recorded`: only the facts recordings hold, per cited step) against a
/// target's snapshot: each reference exchange with the target's exchange of the same step, at the
/// fields the reference holds. A snapshot placeholder in the reference (`<uuid:1>`) means a value
/// was recorded but not kept, so any value there agrees.
pub fn diff_reference(reference: &Value, target: &Value) -> Vec<Difference> {
    let exchanges = |v: &Value| v["exchanges"].as_array().cloned().unwrap_or_default();
    let target_exchanges = exchanges(target);
    let mut out = Vec::new();
    for r in exchanges(reference) {
        let step = r["step"].as_str().unwrap_or_default();
        let found = target_exchanges.iter().find(|t| t["step"] == r["step"]).map(|t| &t["response"]);
        let path = format!("$['{step}'].response");
        match found {
            Some(t) => walk(path, Some(&r["response"]), project(&r["response"], Some(t)).as_ref(), &mut out),
            None => out.push(Difference { path, left: Some(r["response"].clone()), right: None }),
        }
    }
    out
}

fn project(reference: &Value, target: Option<&Value>) -> Option<Value> {
    let target = target?;
    let placeholder = |s: &str| s.starts_with('<') && s.ends_with('>');
    Some(match (reference, target) {
        (Value::Object(r), Value::Object(t)) => {
            Value::Object(r.keys().filter_map(|k| project(&r[k], t.get(k)).map(|v| (k.clone(), v))).collect())
        }
        (Value::Array(r), Value::Array(t)) if r.len() == t.len() => {
            Value::Array(r.iter().zip(t).filter_map(|(r, t)| project(r, Some(t))).collect())
        }
        (Value::String(s), _) if placeholder(s) => reference.clone(),
        _ => target.clone(),
    })
}

/// The differences between target `a`'s snapshot `x` and target `b`'s `y` of one spec: field by
/// field, or at the reference's own fields when either side is the `aws-recorded` reference.
pub fn between(a: &str, x: &Value, b: &str, y: &Value) -> Vec<Difference> {
    let reference = |t: &str| t == super::REFERENCE;
    if reference(a) {
        diff_reference(x, y)
    } else if reference(b) {
        diff_reference(y, x).into_iter().map(|d| Difference { left: d.right, right: d.left, ..d }).collect()
    } else {
        diff(x, y)
    }
}

/// Two targets' snapshots compared: the specs both ran, and how many ran on one side only
/// (a spec a target does not serve leaves no snapshot there).
#[derive(Debug, Default)]
pub struct Comparison {
    /// Per spec id run on both sides: the fields that differ (empty when none does).
    pub both: Vec<(String, Vec<Difference>)>,
    pub only_left: usize,
    pub only_right: usize,
}

/// The spec ids (file stems) with an accepted snapshot under `<reports>/<target>/`.
pub fn snapshot_ids(reports: &Path, target: &str) -> BTreeSet<String> {
    std::fs::read_dir(reports.join(target))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".snap")).map(str::to_owned))
        .collect()
}

/// Compares `<reports>/<a>/` with `<reports>/<b>/` on the specs both hold a snapshot of.
pub fn compare_targets(reports: &Path, a: &str, b: &str) -> Comparison {
    let (left, right) = (snapshot_ids(reports, a), snapshot_ids(reports, b));
    let both = left
        .intersection(&right)
        .map(|name| {
            let load = |t: &str| snapshot::load_body(&reports.join(t).join(format!("{name}.snap")));
            let differences = match (load(a), load(b)) {
                (Some(x), Some(y)) => between(a, &x, b, &y),
                (x, y) => vec![Difference { path: "$".into(), left: x, right: y }],
            };
            (name.replace("__", "/"), differences)
        })
        .collect();
    // The reference holds only specs with evidence: a target's other specs are not its gaps.
    let reference = |t: &str| t == super::REFERENCE;
    Comparison {
        both,
        only_left: if reference(b) { 0 } else { left.difference(&right).count() },
        only_right: if reference(a) { 0 } else { right.difference(&left).count() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reference_is_compared_at_its_own_fields_and_step_only() {
        let reference = json!({"exchanges": [{"step": "2 sqs.SendMessage", "recording": "r",
            "response": {"status": 400, "error": {"code": "InvalidParameterValueException", "message": "<m:1>"}}}]});
        let target = json!({"exchanges": [
            {"step": "1 sqs.CreateQueue", "response": {"status": 200}},
            {"step": "2 sqs.SendMessage", "response": {"status": 400, "body": {}, "error": {"code": "InvalidParameterValue", "message": "no", "query_code": "X"}}}]});
        let d = diff_reference(&reference, &target);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path, "$['2 sqs.SendMessage'].response.error.code");
        assert_eq!(d[0].right, Some(json!("InvalidParameterValue")));
        let missing = diff_reference(&reference, &json!({"exchanges": []}));
        assert_eq!(missing[0].right, None);
    }

    #[test]
    fn reports_changed_missing_and_extra_fields_with_their_paths() {
        let a = json!({"exchanges": [{"response": {"status": 400, "error": {"code": "A"}}}], "x": 1});
        let b = json!({"exchanges": [{"response": {"status": 200}}, {"extra": true}], "x": 1});
        let d = diff(&a, &b);
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["$.exchanges[0].response.error", "$.exchanges[0].response.status", "$.exchanges[1]"]);
        assert_eq!(d[1].left, Some(json!(400)));
        assert_eq!(d[2].left, None);
        assert!(diff(&a, &a).is_empty());
        assert!(diff(&json!({"u": "<arn:2> in <queue-url:1>"}), &json!({"u": "<arn:1> in <queue-url:3>"})).is_empty());
        assert_eq!(diff(&json!({"u": "<arn:1>"}), &json!({"u": "<uuid:1>"})).len(), 1);
    }

    #[test]
    fn targets_are_compared_on_the_specs_both_ran() {
        let reports = tempfile::tempdir().unwrap();
        let snap = |target: &str, id: &str, body: &str| {
            std::fs::create_dir_all(reports.path().join(target)).unwrap();
            std::fs::write(reports.path().join(target).join(format!("{id}.snap")), format!("---\nsource: x\n---\n{body}\n")).unwrap();
        };
        snap("a", "s__same", r#"{"status": "pass"}"#);
        snap("b", "s__same", r#"{"status": "pass"}"#);
        snap("a", "s__differs", r#"{"status": "pass"}"#);
        snap("b", "s__differs", r#"{"status": "fail"}"#);
        snap("a", "s__only-a", r#"{"status": "pass"}"#);
        let c = compare_targets(reports.path(), "a", "b");
        assert_eq!(c.both.len(), 2);
        assert_eq!(c.both.iter().filter(|(_, d)| !d.is_empty()).map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["s/differs"]);
        assert_eq!((c.only_left, c.only_right), (1, 0));
    }
}
