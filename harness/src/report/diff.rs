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
    let all: BTreeSet<String> = ids(a).union(&ids(b)).cloned().collect();
    all.into_iter()
        .map(|name| {
            let load = |t: &str| snapshot::load_body(&reports.join(t).join(format!("{name}.snap")));
            let differences = match (load(a), load(b)) {
                (Some(x), Some(y)) => diff(&x, &y),
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
