//! `conform sweep`: deletes what runs left behind (a killed run, an abandoned teardown). Only
//! resources named `conform-…` and older than `--older-than` are touched; anything already gone
//! counts as deleted, so sweeping twice is harmless.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde_json::Value;

use super::aws::{check_account, confirm, GuardArgs};
use super::{exit, TargetArgs};
use crate::engine::inventory::{call, listed, name_of, KINDS, PREFIX};
use crate::engine::{self, Deletion};
use crate::services::Service;
use crate::targets::{self, aws, Target, TargetChoice, TargetError};
use crate::wire::WireClient;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
