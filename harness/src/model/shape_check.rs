//! Does a JSON tree fit a model shape? One walk serves spec requests (YAML nodes, so findings point
//! at a line) and target responses (JSON values, so findings carry a JSONPath).

use serde_json::Value;

use super::{Model, Shape};
use crate::suggest::did_you_mean;

/// What a node is, whatever tree it belongs to.
pub enum TreeKind<'a, T> {
    Null,
    Bool,
    Integer(f64),
    Float,
    String(&'a str),
    Seq(Vec<&'a T>),
    Map(Vec<(&'a str, &'a T)>),
    /// A spec's generated list (`$list`): this many copies of one item.
    Repeated(usize, &'a T),
    /// A spec's generated string: of this many bytes (`$text`), or unknown until run time (`$string`).
    Text(Option<usize>),
    /// A spec's `$number`: known only at run time.
    Number,
}

pub trait Tree: Sized {
    fn kind(&self) -> TreeKind<'_, Self>;
}

impl Tree for Value {
    fn kind(&self) -> TreeKind<'_, Self> {
        match self {
            Value::Null => TreeKind::Null,
            Value::Bool(_) => TreeKind::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => TreeKind::Integer(n.as_f64().unwrap_or_default()),
            Value::Number(_) => TreeKind::Float,
            Value::String(s) => TreeKind::String(s),
            Value::Array(items) => TreeKind::Seq(items.iter().collect()),
            Value::Object(map) => TreeKind::Map(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        }
    }
}

/// Something in the tree that the model does not allow.
#[derive(Debug)]
pub struct Finding<'a, T> {
    /// JSONPath of the node, e.g. `$.Entries[0].Id`.
    pub path: String,
    pub at: &'a T,
    pub message: String,
    pub help: Option<String>,
}

/// Which of the model's constraints apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What a client sends: every constraint, ranges and lengths included.
    Request,
    /// What a service answers: ranges and lengths are left out. They are the model's input
    /// validation on shapes that outputs share; AWS itself answers `FailedRecordCount: 0` and
    /// `ShardLevelMetrics: []` against a stated minimum of 1 (recorded in LocalStack's
    /// AWS-validated snapshots), and SDKs do not check them on responses.
    Response,
}

/// Every way `tree` departs from the shape `shape` of `model`: unknown members, missing required
/// ones, wrong types, values outside the model's enums (and, for requests, ranges). A string that
/// is wholly a `${variable}` fits any shape: its value is known only at run time.
pub fn check<'a, T: Tree>(model: &Model, shape: &str, tree: &'a T, direction: Direction) -> Vec<Finding<'a, T>> {
    let mut out = Vec::new();
    walk(model, shape, tree, "$".into(), direction, &mut out);
    out
}

fn walk<'a, T: Tree>(model: &Model, shape_name: &str, tree: &'a T, path: String, direction: Direction, out: &mut Vec<Finding<'a, T>>) {
    let Some(shape) = model.shape(shape_name) else { return };
    let kind = tree.kind();
    if let TreeKind::String(s) = kind {
        if s.starts_with("${") && s.ends_with('}') && s.matches("${").count() == 1 {
            return;
        }
    }
    let mut finding = |message: String, help: Option<String>| out.push(Finding { path: path.clone(), at: tree, message, help });
    let range = |what: &str, n: f64, min: Option<f64>, max: Option<f64>| -> Option<String> {
        if direction == Direction::Response {
            return None;
        }
        match (min.filter(|m| n < *m), max.filter(|m| n > *m)) {
            (Some(m), _) => Some(format!("{what} {n} is below the model's minimum {m}")),
            (_, Some(m)) => Some(format!("{what} {n} is above the model's maximum {m}")),
            _ => None,
        }
    };
    match (shape, kind) {
        (_, TreeKind::Null) => {}
        (Shape::Structure { members, required, .. }, TreeKind::Map(entries)) => {
            for (key, value) in &entries {
                match members.get(*key) {
                    Some(member) => walk(model, &member.shape, *value, child(&path, key), direction, out),
                    // `__type` and `message` travel with every error body.
                    None if matches!(*key, "__type" | "message" | "Message") => {}
                    None => {
                        let help = did_you_mean(key, members.keys().map(String::as_str)).map(|b| format!("did you mean `{b}`?"));
                        out.push(Finding {
                            path: child(&path, key),
                            at: *value,
                            message: format!("`{key}` is not a member of {shape_name}"),
                            help: help.or_else(|| Some(format!("members: {}", members.keys().cloned().collect::<Vec<_>>().join(", ")))),
                        });
                    }
                }
            }
            // AWS leaves out empty collections even where the model says required: recorded
            // SendMessageBatch answers with `Successful` alone when nothing failed.
            let empty_collection = |name: &str| {
                direction == Direction::Response
                    && members.get(name).and_then(|m| model.shape(&m.shape)).is_some_and(|s| matches!(s, Shape::List { .. } | Shape::Map { .. }))
            };
            for name in required.iter().filter(|r| !entries.iter().any(|(k, _)| k == r) && !empty_collection(r)) {
                out.push(Finding { path: path.clone(), at: tree, message: format!("required member `{name}` of {shape_name} is missing"), help: None });
            }
        }
        (Shape::List { member, min, max, .. }, TreeKind::Repeated(count, item)) => {
            if let Some(problem) = range("length", count as f64, *min, *max) {
                finding(problem, None);
            }
            walk(model, &member.shape, item, format!("{path}[*]"), direction, out);
        }
        (Shape::String { min, max, .. }, TreeKind::Text(bytes)) => {
            if let Some(problem) = bytes.and_then(|n| range("length", n as f64, *min, *max)) {
                finding(problem, None);
            }
        }
        (Shape::Integer { .. } | Shape::Long { .. } | Shape::Double | Shape::Float | Shape::Timestamp, TreeKind::Number)
        | (Shape::Blob, TreeKind::Text(_)) => {}
        (Shape::List { member, min, max, .. }, TreeKind::Seq(items)) => {
            if let Some(problem) = range("length", items.len() as f64, *min, *max) {
                finding(problem, None);
            }
            for (i, item) in items.into_iter().enumerate() {
                walk(model, &member.shape, item, format!("{path}[{i}]"), direction, out);
            }
        }
        (Shape::Map { value, .. }, TreeKind::Map(entries)) => {
            for (key, v) in entries {
                walk(model, &value.shape, v, child(&path, key), direction, out);
            }
        }
        (Shape::String { values, min, max }, TreeKind::String(s)) => {
            if !values.is_empty() && !values.iter().any(|v| v == s) && !s.contains("${") {
                finding(format!("`{s}` is not one of {shape_name}'s values"), Some(format!("values: {}", values.join(", "))));
            } else if !s.contains("${") {
                if let Some(problem) = range("length", s.chars().count() as f64, *min, *max) {
                    finding(problem, None);
                }
            }
        }
        (Shape::Integer { min, max } | Shape::Long { min, max }, TreeKind::Integer(n)) => {
            if let Some(problem) = range("value", n, *min, *max) {
                finding(problem, None);
            }
        }
        (Shape::Double | Shape::Float, TreeKind::Integer(_) | TreeKind::Float)
        | (Shape::Boolean, TreeKind::Bool)
        | (Shape::Blob, TreeKind::String(_))
        | (Shape::Timestamp, TreeKind::Integer(_) | TreeKind::Float) => {}
        (shape, kind) => finding(format!("{} where {shape_name} is {}", describe(&kind), expected(shape)), None),
    }
}

fn child(path: &str, key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{key}")
    } else {
        format!("{path}['{}']", key.replace('\'', "\\'"))
    }
}

fn describe<T>(kind: &TreeKind<'_, T>) -> &'static str {
    match kind {
        TreeKind::Null => "null",
        TreeKind::Bool => "a boolean",
        TreeKind::Integer(_) => "an integer",
        TreeKind::Float => "a number",
        TreeKind::String(_) => "a string",
        TreeKind::Seq(_) => "a list",
        TreeKind::Map(_) => "a mapping",
        TreeKind::Repeated(..) => "a generated list",
        TreeKind::Text(_) => "a generated string",
        TreeKind::Number => "a generated number",
    }
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Shape::Structure { .. } => "a structure",
        Shape::List { .. } => "a list",
        Shape::Map { .. } => "a map",
        Shape::String { .. } => "a string",
        Shape::Integer { .. } | Shape::Long { .. } => "an integer",
        Shape::Double | Shape::Float => "a number",
        Shape::Boolean => "a boolean",
        Shape::Blob => "a blob (base64 string)",
        Shape::Timestamp => "a timestamp (epoch seconds)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(service: &str, shape: &str, value: Value) -> Vec<String> {
        let model = super::super::of(service).unwrap();
        check(model, shape, &value, Direction::Request).into_iter().map(|f| format!("{}: {}", f.path, f.message)).collect()
    }

    #[test]
    fn a_valid_request_has_no_findings() {
        let v = json!({ "QueueUrl": "${q.url}", "MessageBody": "x", "DelaySeconds": 5, "MessageAttributes": { "a": { "DataType": "String", "StringValue": "v" } } });
        assert_eq!(problems("sqs", "SendMessageRequest", v), Vec::<String>::new());
    }

    #[test]
    fn unknown_members_wrong_types_and_missing_required_ones_are_found() {
        let v = json!({ "QueueUrl": "u", "MesageBody": "x", "DelaySeconds": "5" });
        let p = problems("sqs", "SendMessageRequest", v);
        assert!(p.contains(&"$.MesageBody: `MesageBody` is not a member of SendMessageRequest".to_string()), "{p:?}");
        assert!(p.contains(&"$.DelaySeconds: a string where NullableInteger is an integer".to_string()), "{p:?}");
        assert!(p.contains(&"$: required member `MessageBody` of SendMessageRequest is missing".to_string()), "{p:?}");
    }

    #[test]
    fn responses_are_checked_against_outputs_and_declared_errors() {
        use super::super::check_response;
        let wrong = json!({ "Messages": { "MessageId": "m" } });
        assert_eq!(check_response("sqs", "ReceiveMessage", &wrong, None), ["$.Messages: a mapping where MessageList is a list"]);
        assert_eq!(check_response("sqs", "CreateQueue", &json!({}), None), Vec::<String>::new(), "QueueUrl is not required in the model");
        assert!(check_response("sqs", "SendMessage", &json!({}), Some("QueueDoesNotExist")).is_empty());
        assert!(check_response("sqs", "SendMessage", &json!({}), Some("ValidationException")).is_empty());
        // SQS's query-compatible JSON errors AWS sends without declaring them (aws-behaviors §1.8)…
        assert!(check_response("sqs", "SendMessage", &json!({}), Some("InvalidParameterValueException")).is_empty());
        // …but not the query code as a `__type`, which is moto's divergence.
        assert_eq!(check_response("sqs", "SendMessage", &json!({}), Some("InvalidParameterValue")).len(), 1);
        let undeclared = check_response("kinesis", "PutRecord", &json!({}), Some("QueueDoesNotExist"));
        assert_eq!(undeclared, ["$.__type: `QueueDoesNotExist` is neither an error PutRecord declares nor a common error"]);
    }

    #[test]
    fn enums_ranges_and_timestamps_are_checked() {
        let p = problems("kinesis", "GetShardIteratorInput", json!({ "StreamName": "s", "ShardId": "x", "ShardIteratorType": "OLDEST" }));
        assert_eq!(p, ["$.ShardIteratorType: `OLDEST` is not one of ShardIteratorType's values"]);
        let p = problems("kinesis", "GetRecordsInput", json!({ "ShardIterator": "i", "Limit": 0 }));
        assert_eq!(p, ["$.Limit: value 0 is below the model's minimum 1"]);
        let p = problems("kinesis", "PutRecordOutput", json!({ "ShardId": "s", "SequenceNumber": "1" }));
        assert!(p.is_empty(), "{p:?}");
        // Ranges are input validation: AWS answers FailedRecordCount 0 against a minimum of 1.
        let answer = json!({ "FailedRecordCount": 0, "Records": [{ "ShardId": "s", "SequenceNumber": "1" }] });
        assert!(super::super::check_response("kinesis", "PutRecords", &answer, None).is_empty());
        // An empty collection may be left out of a response, as AWS does with `Failed`.
        let batch = json!({ "Successful": [{ "Id": "1", "MessageId": "m", "MD5OfMessageBody": "x" }] });
        assert!(super::super::check_response("sqs", "SendMessageBatch", &batch, None).is_empty());
        assert_eq!(problems("sqs", "SendMessageBatchRequest", json!({ "QueueUrl": "q" })), ["$: required member `Entries` of SendMessageBatchRequest is missing"]);
        let p = problems("dynamodb", "DescribeTableOutput", json!({ "Table": { "CreationDateTime": "2024-01-01" } }));
        assert_eq!(p, ["$.Table.CreationDateTime: a string where Date is a timestamp (epoch seconds)"]);
    }
}
