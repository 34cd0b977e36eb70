//! `conform sweep`: deletes what runs left behind (a killed run, an abandoned teardown). Only
//! resources named `conform-…` and older than `--older-than` are touched; anything already gone
//! counts as deleted, so sweeping twice is harmless.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde_json::{json, Value};

use super::aws::{check_account, confirm, GuardArgs};
use super::{exit, TargetArgs};
use crate::engine::{self, Deletion};
use crate::services::{Service, DYNAMODB, KINESIS, SQS};
use crate::targets::{self, aws, Target, TargetChoice, TargetError};
use crate::wire::{ServiceEndpoint, WireClient};

/// Every resource conform creates is named with this prefix.
pub const PREFIX: &str = "conform-";

#[derive(Args)]
pub struct SweepArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Only delete resources created at least this long ago (`2h`, `30m`, `0s`).
    #[arg(long, value_parser = humantime::parse_duration)]
    older_than: Duration,
    /// List what would be deleted without deleting it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    guard: GuardArgs,
}

/// A leftover: what it is, how old, and how to delete it.
struct Found {
    label: String,
    age: Duration,
    service: &'static Service,
    action: &'static str,
    request: Value,
}

/// Whether a resource named `name`, created `age` ago, is swept.
pub fn should_sweep(name: &str, age: Duration, older_than: Duration) -> bool {
    name.starts_with(PREFIX) && age >= older_than
}

pub fn sweep(args: SweepArgs) -> u8 {
    let choice = match args.target.choice() {
        Ok(choice) => choice,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    runtime.block_on(async move {
        let region = &args.target.region;
        let target = if choice == TargetChoice::Aws {
            let config = aws::sdk_config(region).await;
            match check_account(&config, &args.guard).await {
                Ok(account) => eprintln!("sweeping AWS account {account} ({region})"),
                Err(refused) => {
                    eprintln!("error: {}", refused.0);
                    return exit::TARGET;
                }
            }
            aws::target(&config, region)
        } else {
            targets::start(&choice, region).await
        };
        let target = match target {
            Ok(target) => target,
            Err(e) => {
                eprintln!("error: {e}");
                return if matches!(e, TargetError::Config(_)) { exit::BAD_INPUT } else { exit::TARGET };
            }
        };
        let client = WireClient::default();
        let code = match find(&target, &client, args.older_than).await {
            Err(e) => {
                eprintln!("error: {e}");
                exit::TARGET
            }
            Ok(found) if found.is_empty() => {
                eprintln!("nothing to sweep on {}: no conform- resource older than {}", target.name, humantime::format_duration(args.older_than));
                exit::OK
            }
            Ok(found) => {
                for f in &found {
                    println!("{} {} (age {})", if args.dry_run { "would delete" } else { "found" }, f.label, humantime::format_duration(round(f.age)));
                }
                if args.dry_run {
                    exit::OK
                } else if choice == TargetChoice::Aws && confirm(&format!("delete these {} resource(s)?", found.len()), &args.guard).map_err(|r| eprintln!("error: {}", r.0)).is_err() {
                    exit::TARGET
                } else {
                    delete_all(&target, &client, &found).await
                }
            }
        };
        target.shutdown().await;
        code
    })
}

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

async fn delete_all(target: &Target, client: &WireClient, found: &[Found]) -> u8 {
    let mut failed = 0;
    for f in found {
        match delete(target, client, f).await {
            Ok(()) => println!("deleted {}", f.label),
            Err(e) => {
                failed += 1;
                eprintln!("error: could not delete {}: {e}", f.label);
            }
        }
    }
    eprintln!("swept {} of {} resource(s) on {}", found.len() - failed, found.len(), target.name);
    if failed == 0 { exit::OK } else { exit::UNEXPLAINED }
}

/// Deleting is the engine's teardown, so "already gone" and "busy" mean the same here as there.
async fn delete(target: &Target, client: &WireClient, f: &Found) -> Result<(), String> {
    let deletion = Deletion { owner: String::new(), label: f.label.clone(), service: f.service, action: f.action, request: f.request.clone(), find: None };
    engine::delete(target, client, &deletion).await
}

/// One call; a service error is an `Err`, except "gone", which is `Ok(None)`.
async fn call(client: &WireClient, endpoint: &ServiceEndpoint, service: &Service, action: &str, request: Value) -> Result<Option<Value>, String> {
    let response = client.call(service, endpoint, action, &request).await.map_err(|e| format!("{}.{action}: {e}", service.name))?;
    match response.error {
        None => Ok(Some(response.body)),
        Some(e) if engine::is_gone(&e) => Ok(None),
        Some(e) => Err(format!("{}.{action}: {} {}", service.name, e.code, e.message.unwrap_or_default())),
    }
}

/// Epoch seconds as JSON: a number, or a numeric string (SQS attributes).
fn epoch(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn age_of(created: f64) -> Duration {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    Duration::from_secs_f64((now - created).max(0.0))
}

/// How a list call pages: a continuation token echoed back under another key (SQS, DynamoDB), or
/// the last name listed, sent while the response says there are more (Kinesis).
enum Paging {
    Token { response: &'static str, request: &'static str },
    LastItem { request: &'static str, more: &'static str },
}

/// What sweep needs to know about one kind of resource.
struct Kind {
    service: &'static Service,
    label: &'static str,
    /// The list call and its first request.
    list: (&'static str, fn() -> Value),
    /// Pointer to the listed items (queue URLs, stream or table names) in a page.
    items: &'static str,
    paging: Paging,
    /// The describe call for an item, and where its creation time (epoch seconds) is.
    describe: (&'static str, fn(&str) -> Value),
    created: &'static str,
    /// The delete call for an item.
    delete: (&'static str, fn(&str) -> Value),
}

const KINDS: [Kind; 3] = [
    Kind {
        service: &SQS,
        label: "sqs queue",
        list: ("ListQueues", || json!({ "QueueNamePrefix": PREFIX, "MaxResults": 1000 })),
        items: "/QueueUrls",
        paging: Paging::Token { response: "NextToken", request: "NextToken" },
        describe: ("GetQueueAttributes", |url| json!({ "QueueUrl": url, "AttributeNames": ["CreatedTimestamp"] })),
        created: "/Attributes/CreatedTimestamp",
        delete: ("DeleteQueue", |url| json!({ "QueueUrl": url })),
    },
    Kind {
        service: &KINESIS,
        label: "kinesis stream",
        list: ("ListStreams", || json!({})),
        items: "/StreamNames",
        paging: Paging::LastItem { request: "ExclusiveStartStreamName", more: "HasMoreStreams" },
        describe: ("DescribeStreamSummary", |name| json!({ "StreamName": name })),
        created: "/StreamDescriptionSummary/StreamCreationTimestamp",
        delete: ("DeleteStream", |name| json!({ "StreamName": name, "EnforceConsumerDeletion": true })),
    },
    Kind {
        service: &DYNAMODB,
        label: "dynamodb table",
        list: ("ListTables", || json!({})),
        items: "/TableNames",
        paging: Paging::Token { response: "LastEvaluatedTableName", request: "ExclusiveStartTableName" },
        describe: ("DescribeTable", |name| json!({ "TableName": name })),
        created: "/Table/CreationDateTime",
        delete: ("DeleteTable", |name| json!({ "TableName": name })),
    },
];

/// Lists every conform- resource older than `older_than` on the target's services.
async fn find(target: &Target, client: &WireClient, older_than: Duration) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    for kind in &KINDS {
        let Some(endpoint) = target.endpoint(kind.service.name) else { continue };
        for item in listed(client, endpoint, kind).await? {
            let name = name_of(&item);
            let (describe_action, describe) = kind.describe;
            let Some(described) = call(client, endpoint, kind.service, describe_action, describe(&item)).await? else { continue };
            let Some(created) = epoch(described.pointer(kind.created)) else {
                eprintln!("warning: skipping {} {name}: no creation time", kind.label);
                continue;
            };
            let age = age_of(created);
            if should_sweep(name, age, older_than) {
                let (action, request) = kind.delete;
                let request = request(&item);
                found.push(Found { label: format!("{} {name}", kind.label), age, service: kind.service, action, request });
            }
        }
    }
    Ok(found)
}

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
fn name_of(item: &str) -> &str {
    item.rsplit('/').next().unwrap_or(item)
}

/// Every page of `kind`'s list call: the items (queue URLs, stream or table names) named conform-.
async fn listed(client: &WireClient, endpoint: &ServiceEndpoint, kind: &Kind) -> Result<Vec<String>, String> {
    let mut listed = Vec::new();
    let mut continuation: Option<(&str, Value)> = None;
    loop {
        let (list_action, first_request) = kind.list;
        let mut request = first_request();
        if let Some((key, value)) = continuation.take() {
            request[key] = value;
        }
        let Some(page) = call(client, endpoint, kind.service, list_action, request).await? else { break };
        let items: Vec<String> =
            page.pointer(kind.items).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        continuation = match &kind.paging {
            Paging::Token { response, request } => page.get(*response).filter(|t| t.is_string()).map(|t| (*request, t.clone())),
            Paging::LastItem { request, more } => (page.get(*more).and_then(Value::as_bool) == Some(true))
                .then(|| items.last().map(|last| (*request, Value::from(last.clone()))))
                .flatten(),
        };
        listed.extend(items.into_iter().filter(|item| name_of(item).starts_with(PREFIX)));
        if continuation.is_none() {
            break;
        }
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prefixed_and_old_enough_resources_are_swept() {
        let hour = Duration::from_secs(3600);
        assert!(should_sweep("conform-abc123-1-q", 3 * hour, 2 * hour));
        assert!(!should_sweep("conform-abc123-1-q", hour, 2 * hour));
        assert!(!should_sweep("keep-me", 3 * hour, 2 * hour));
        assert!(!should_sweep("my-conform-q", 3 * hour, Duration::ZERO));
        assert!(should_sweep("conform-x", Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn creation_times_read_as_numbers_or_strings() {
        assert_eq!(epoch(Some(&json!(1700000000.5))), Some(1700000000.5));
        assert_eq!(epoch(Some(&json!("1700000000"))), Some(1700000000.0));
        assert_eq!(epoch(Some(&json!(null))), None);
        assert_eq!(epoch(None), None);
    }
}
