//! The npm emulators as managed targets: each is installed (pinned, on first use), started on a free
//! port, answers a list call through the wire client, and is gone after shutdown. Also a composite.
//! Needs Node.js and npm (and the npm registry the first time).

use std::time::Duration;

use conform::services::{Service, DYNAMODB, KINESIS};
use conform::targets::{self, Target, TargetChoice};
use conform::wire::WireClient;
use serde_json::json;

async fn start(choice: &str) -> Target {
    let choice = TargetChoice::managed(choice).expect("a managed target");
    targets::start(&choice, targets::DEFAULT_REGION).await.unwrap_or_else(|e| panic!("{} starts: {e}", choice.name()))
}

/// Calls `action` with `{}` and returns the array at `pointer`.
async fn list(target: &Target, service: &Service, action: &str, pointer: &str) -> Vec<serde_json::Value> {
    let endpoint = target.endpoint(service.name).unwrap_or_else(|| panic!("{} serves {}", target.name, service.name));
    let response = WireClient::default().call(service, endpoint, action, &json!({})).await.expect("the emulator answers");
    assert_eq!(response.status, 200, "{}: {action} answered {:?}", target.name, response.body);
    response.body.pointer(pointer).and_then(|v| v.as_array()).cloned().unwrap_or_else(|| panic!("{pointer} in {}", response.body))
}

/// After shutdown nothing answers on the target's endpoints any more.
async fn assert_stopped(urls: Vec<String>) {
    let client = reqwest::Client::new();
    for url in urls {
        let answer = client.get(&url).timeout(Duration::from_secs(2)).send().await;
        assert!(answer.is_err(), "{url} still answers after shutdown");
    }
}

fn urls(target: &Target) -> Vec<String> {
    target.endpoints.values().map(|e| e.url.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesalite_serves_kinesis() {
    let target = start("kinesalite").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["kinesis"]);
    assert_eq!(target.version.as_deref(), Some("3.3.3"));
    assert!(target.capabilities.contains("resharding"));
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    let urls = urls(&target);
    target.shutdown().await;
    assert_stopped(urls).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynalite_serves_dynamodb_without_streams() {
    let target = start("dynalite").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["dynamodb"]);
    assert_eq!(target.version.as_deref(), Some("4.0.0"));
    assert!(target.capabilities.is_empty(), "{:?}", target.capabilities);
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    let urls = urls(&target);
    target.shutdown().await;
    assert_stopped(urls).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_mock_serves_kinesis_over_plain_http() {
    let target = start("kinesis-mock").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["kinesis"]);
    assert_eq!(target.version.as_deref(), Some("0.6.2"));
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    let urls = urls(&target);
    target.shutdown().await;
    assert_stopped(urls).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_composite_routes_each_service_to_its_emulator() {
    let target = start("kinesalite+dynalite").await;
    assert_eq!(target.name, "kinesalite+dynalite");
    assert_eq!(target.version.as_deref(), Some("3.3.3+4.0.0"));
    let (kinesis, dynamodb) = (target.endpoint("kinesis").unwrap().url.clone(), target.endpoint("dynamodb").unwrap().url.clone());
    assert_ne!(kinesis, dynamodb, "two processes, two ports");
    assert!(target.endpoint("sqs").is_none() && target.endpoint("dynamodbstreams").is_none());
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    target.shutdown().await;
    assert_stopped(vec![kinesis, dynamodb]).await;
}
