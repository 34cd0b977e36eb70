//! Deployed stacks: a spec resource bound to an existing queue, stream or table (`--bind q=URL`)
//! is used as it is. Nothing is created or deleted, and a spec that could destroy or disturb data
//! in it (deletes, writes over items, receives that hide real messages, configuration changes)
//! is refused unless the user allows it explicitly.

use serde_json::{json, Value};

use super::SpecContext;
use crate::services::{DYNAMODB, KINESIS, SQS};
use crate::spec::{Action, ResourceKind, Spec};

/// Action name prefixes that change or remove existing data or configuration.
const DESTRUCTIVE_PREFIXES: [&str; 20] = [
    "Delete", "Purge", "Set", "Update", "Remove", "Split", "Merge", "Decrease", "Increase", "Start", "Stop",
    "Deregister", "Tag", "Untag", "Add", "Change", "Enable", "Disable", "Cancel", "Restore",
];

/// Other actions that can destroy or disturb data: writes that may overwrite an existing item,
/// and receives, which hide real messages from their consumers and count toward their DLQ.
const DESTRUCTIVE: [&str; 8] = [
    "PutItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "PutResourcePolicy",
    "ReceiveMessage",
];

pub fn is_destructive(action: &str) -> bool {
    DESTRUCTIVE.contains(&action) || DESTRUCTIVE_PREFIXES.iter().any(|p| action.starts_with(p))
}

/// Why the spec may not run against the bound resources, if it may not: the first destructive
/// call. Conservative: any such call counts, whichever resource it names.
pub fn refusal(spec: &Spec, bindings: &[(String, String)]) -> Option<String> {
    let bound: Vec<&str> = spec
        .resources
        .iter()
        .filter(|r| bindings.iter().any(|(name, _)| *name == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if bound.is_empty() {
        return None;
    }
    spec.steps.iter().find_map(|step| match &step.action {
        Action::Call(call) if is_destructive(&call.action) => Some(format!(
            "refused: {}.{} could destroy or disturb data in bound resource(s) {} (--allow-destructive runs it)",
            call.service.name,
            call.action,
            bound.join(", ")
        )),
        Action::Workload(w) if bound.contains(&w.resource.as_str()) => {
            Some(format!("refused: a workload consumes from bound resource {} (--allow-destructive runs it)", w.resource))
        }
        _ => None,
    })
}

impl SpecContext<'_> {
    /// The variables of a resource bound to an existing one, read from the target.
    pub(super) async fn bind(&self, kind: &ResourceKind, value: &str) -> Result<Vec<(&'static str, Value)>, String> {
        match kind {
            ResourceKind::Queue(_) => {
                let url = if value.starts_with("http") {
                    Value::from(value)
                } else {
                    let found = self.read(&SQS, "GetQueueUrl", json!({ "QueueName": value })).await?;
                    found.get("QueueUrl").cloned().ok_or("GetQueueUrl returned no QueueUrl")?
                };
                let attrs = self.read(&SQS, "GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["QueueArn"] })).await?;
                let name = url.as_str().and_then(|u| u.rsplit('/').next()).unwrap_or_default().to_owned();
                Ok(vec![("url", url.clone()), ("arn", attrs.pointer("/Attributes/QueueArn").cloned().unwrap_or_default()), ("name", name.into())])
            }
            ResourceKind::Stream(_) => {
                let name = value.rsplit("stream/").next().unwrap_or(value);
                let summary = self.read(&KINESIS, "DescribeStreamSummary", json!({ "StreamName": name })).await?;
                Ok(vec![("name", name.into()), ("arn", summary.pointer("/StreamDescriptionSummary/StreamARN").cloned().unwrap_or_default())])
            }
            ResourceKind::Table(def) => {
                let name = value.rsplit("table/").next().unwrap_or(value);
                let table = self.read(&DYNAMODB, "DescribeTable", json!({ "TableName": name })).await?;
                let mut out = vec![("name", name.into()), ("arn", table.pointer("/Table/TableArn").cloned().unwrap_or_default())];
                if def.stream.is_some() {
                    let stream = table.pointer("/Table/LatestStreamArn").cloned().ok_or("the bound table has no stream")?;
                    out.push(("stream_arn", stream));
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_actions() {
        for a in ["DeleteMessage", "PurgeQueue", "SetQueueAttributes", "PutItem", "ReceiveMessage", "SplitShard", "UpdateTimeToLive"] {
            assert!(is_destructive(a), "{a}");
        }
        for a in ["SendMessage", "PutRecord", "PutRecords", "GetItem", "Query", "GetRecords", "GetQueueAttributes", "DescribeTable"] {
            assert!(!is_destructive(a), "{a}");
        }
    }

    #[test]
    fn refuses_only_specs_that_bind_and_destroy() {
        let spec = |steps: &str| {
            crate::spec::load_one("t.yaml", &format!("id: t\ntitle: t\nsource: https://x\nresources:\n  q: {{ sqs.queue: {{}} }}\nsteps:\n{steps}")).unwrap()
        };
        let bindings = vec![("q".to_string(), "http://x/q".to_string())];
        let send = spec("  - call: sqs.SendMessage\n    with: { QueueUrl: \"${q.url}\", MessageBody: x }\n");
        assert_eq!(refusal(&send, &bindings), None);
        let receive = spec("  - call: sqs.ReceiveMessage\n    with: { QueueUrl: \"${q.url}\" }\n");
        assert!(refusal(&receive, &bindings).unwrap().contains("sqs.ReceiveMessage"));
        assert_eq!(refusal(&receive, &[]), None);
    }
}
