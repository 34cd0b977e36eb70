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
        (a, b) if a != b => out.push(Difference { path, left: a.cloned(), right: b.cloned() }),
        _ => {}
    }
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
    let reference = |t: &str| t == super::evidence::REFERENCE;
    if reference(a) {
        diff_reference(x, y)
    } else if reference(b) {
        diff_reference(y, x).into_iter().map(|d| Difference { left: d.right, right: d.left, ..d }).collect()
    } else {
        diff(x, y)
    }
}

/// Per spec id: the differences between `<reports>/<a>/` and `<reports>/<b>/`, for every spec
/// that has a snapshot on either side (a missing side shows as a difference at `$`).
pub fn compare_targets(reports: &Path, a: &str, b: &str) -> Vec<(String, Vec<Difference>)> {
    let ids = |target: &str| -> BTreeSet<String> {
        std::fs::read_dir(reports.join(target))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".snap")).map(str::to_owned))
            .collect()
    };
    let reference = |t: &str| t == super::evidence::REFERENCE;
    // The reference holds only specs with evidence: a target's other specs are not differences.
    let all: BTreeSet<String> = match (reference(a), reference(b)) {
        (true, _) => ids(a),
        (_, true) => ids(b),
        _ => ids(a).union(&ids(b)).cloned().collect(),
    };
    all.into_iter()
        .map(|name| {
            let load = |t: &str| snapshot::load_body(&reports.join(t).join(format!("{name}.snap")));
            let differences = match (load(a), load(b)) {
                (Some(x), Some(y)) => between(a, &x, b, &y),
                (x, y) => vec![Difference { path: "$".into(), left: x, right: y }],
            };
            (name.replace("__", "/"), differences)
        })
        .collect()
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
    }
}
