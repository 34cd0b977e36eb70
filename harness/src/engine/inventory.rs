//! What conform left on a target: the queues, streams and tables named `conform-…`, listed page by
//! page as the SDKs page them. `conform sweep` deletes them; the fault audit counts them.

use serde_json::{json, Value};

use crate::services::{Service, DYNAMODB, KINESIS, SQS};
use crate::wire::{ServiceEndpoint, WireClient};

/// Every resource conform creates is named with this prefix.
pub const PREFIX: &str = "conform-";

/// One kind of resource conform creates: how to list, date and delete it. How a list call pages
/// is botocore's paginator for it.
pub struct Kind {
    pub service: &'static Service,
    pub label: &'static str,
    /// The list call and its first request.
    pub list: (&'static str, fn() -> Value),
    /// The describe call for an item, and where its creation time (epoch seconds) is.
    pub describe: (&'static str, fn(&str) -> Value),
    pub created: &'static str,
    /// The delete call for an item.
    pub delete: (&'static str, fn(&str) -> Value),
}

pub const KINDS: [Kind; 3] = [
    Kind {
        service: &SQS,
        label: "sqs queue",
        list: ("ListQueues", || json!({ "QueueNamePrefix": PREFIX, "MaxResults": 1000 })),
        describe: ("GetQueueAttributes", |url| json!({ "QueueUrl": url, "AttributeNames": ["CreatedTimestamp"] })),
        created: "/Attributes/CreatedTimestamp",
        delete: ("DeleteQueue", |url| json!({ "QueueUrl": url })),
    },
    Kind {
        service: &KINESIS,
        label: "kinesis stream",
        list: ("ListStreams", || json!({})),
        describe: ("DescribeStreamSummary", |name| json!({ "StreamName": name })),
        created: "/StreamDescriptionSummary/StreamCreationTimestamp",
        delete: ("DeleteStream", |name| json!({ "StreamName": name, "EnforceConsumerDeletion": true })),
    },
    Kind {
        service: &DYNAMODB,
        label: "dynamodb table",
        list: ("ListTables", || json!({})),
        describe: ("DescribeTable", |name| json!({ "TableName": name })),
        created: "/Table/CreationDateTime",
        delete: ("DeleteTable", |name| json!({ "TableName": name })),
    },
];

/// The names of every conform- queue, stream and table at `endpoint`, sorted: what a run left there.
pub async fn names(client: &WireClient, endpoint: &ServiceEndpoint) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for kind in &KINDS {
        names.extend(listed(client, endpoint, kind).await?.iter().map(|item| name_of(item).to_owned()));
    }
    names.sort();
    Ok(names)
}

/// Queues are listed by URL; the name is its last segment.
pub fn name_of(item: &str) -> &str {
    item.rsplit('/').next().unwrap_or(item)
}

/// Every page of `kind`'s list call: the items (queue URLs, stream or table names) named conform-.
pub async fn listed(client: &WireClient, endpoint: &ServiceEndpoint, kind: &Kind) -> Result<Vec<String>, String> {
    let (list_action, first_request) = kind.list;
    let paginator = crate::model::flow::paginator(kind.service.name, list_action)
        .ok_or_else(|| format!("botocore has no paginator for {}.{list_action}", kind.service.name))?;
    let mut listed = Vec::new();
    let mut request = first_request();
    loop {
        let Some(page) = call(client, endpoint, kind.service, list_action, request.clone()).await? else { break };
        let (items, next) = paginator.page(&page);
        listed.extend(items.into_iter().filter_map(Value::as_str).filter(|item| name_of(item).starts_with(PREFIX)).map(str::to_owned));
        let Some((key, token)) = next else { break };
        request[key.as_str()] = token;
    }
    Ok(listed)
}
/// One call; a service error is an `Err`, except "gone", which is `Ok(None)`.
pub async fn call(client: &WireClient, endpoint: &ServiceEndpoint, service: &Service, action: &str, request: Value) -> Result<Option<Value>, String> {
    let response = client.call(service, endpoint, action, &request).await.map_err(|e| format!("{}.{action}: {e}", service.name))?;
    match response.error {
        None => Ok(Some(response.body)),
        Some(e) if super::is_gone(&e) => Ok(None),
        Some(e) => Err(format!("{}.{action}: {} {}", service.name, e.code, e.message.unwrap_or_default())),
    }
}

