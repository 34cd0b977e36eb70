//! Managed emulators as targets: each is installed (pinned, on first use), started on a free port,
//! serves what its profile says, answers a list call through the wire client, reports its pinned
//! version and is gone after shutdown. Also a composite. The npm emulators need Node.js and npm;
//! MiniStack (PyPI) and Dynoxide (a `cargo install`, about 5 minutes cold) are installed on first
//! use; fakecloud, whose build takes far longer, only runs when `conform targets install fakecloud`
//! has installed it (it is an opt-in target).

use std::time::Duration;

use conform::services::{Service, DYNAMODB, DYNAMODB_STREAMS, KINESIS, SQS};
use conform::targets::{self, install, Target, TargetChoice};
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

async fn stop_and_check(target: Target) {
    let urls = urls(&target);
    target.shutdown().await;
    assert_stopped(urls).await;
}

/// Calls `action` with `{}` and checks it succeeds (for lists an empty answer may leave out).
async fn answers(target: &Target, service: &Service, action: &str) {
    let endpoint = target.endpoint(service.name).unwrap_or_else(|| panic!("{} serves {}", target.name, service.name));
    let response = WireClient::default().call(service, endpoint, action, &json!({})).await.expect("the emulator answers");
    assert_eq!(response.status, 200, "{}: {action} answered {:?}", target.name, response.body);
}

fn caps(target: &Target) -> Vec<&str> {
    target.capabilities.iter().map(String::as_str).collect()
}


#[tokio::test(flavor = "multi_thread")]
async fn kinesalite_serves_kinesis() {
    let target = start("kinesalite").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["kinesis"]);
    assert_eq!(target.version.as_deref(), Some("3.3.3"));
    assert!(target.capabilities.contains("resharding"));
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    stop_and_check(target).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynalite_serves_dynamodb_without_streams() {
    let target = start("dynalite").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["dynamodb"]);
    assert_eq!(target.version.as_deref(), Some("4.0.0"));
    assert!(target.capabilities.is_empty(), "{:?}", target.capabilities);
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    stop_and_check(target).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_mock_serves_kinesis_over_plain_http() {
    let target = start("kinesis-mock").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["kinesis"]);
    assert_eq!(target.version.as_deref(), Some("0.6.2"));
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    stop_and_check(target).await;
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

#[tokio::test(flavor = "multi_thread")]
async fn dynoxide_serves_dynamodb_and_its_streams() {
    let target = start("dynoxide").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["dynamodb", "dynamodbstreams"]);
    assert_eq!(target.version.as_deref(), Some("3.2.0"), "the crate's version, not the binary's own (1.5.0)");
    assert_eq!(caps(&target), ["streams", "ttl"]);
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    answers(&target, &DYNAMODB_STREAMS, "ListStreams").await;
    stop_and_check(target).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ministack_serves_every_service_on_one_port() {
    let target = start("ministack").await;
    assert_eq!(target.endpoints.keys().copied().collect::<Vec<_>>(), ["dynamodb", "dynamodbstreams", "events", "kinesis", "sns", "sqs"]);
    assert_eq!(target.version.as_deref(), Some("1.5.33"));
    assert_eq!(caps(&target), ["fifo", "redrive", "resharding", "streams", "ttl", "ttl-expiry"]);
    answers(&target, &SQS, "ListQueues").await;
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    stop_and_check(target).await;
}

/// Runs only where fakecloud is installed: its build (lambda, ECS, a JavaScript engine, PostgreSQL
/// wire crates) takes over 40 minutes on two cores, so neither CI nor `cargo test` builds it.
#[tokio::test(flavor = "multi_thread")]
async fn fakecloud_when_installed() {
    let fakecloud = install::by_name("fakecloud").expect("a known emulator");
    if fakecloud.locate().is_none() {
        eprintln!("fakecloud is not installed (conform targets install fakecloud): skipped");
        return;
    }
    let target = start("fakecloud").await;
    assert!(target.endpoints.contains_key("dynamodb") && target.endpoints.contains_key("sqs"), "{:?}", target.endpoints.keys());
    list(&target, &DYNAMODB, "ListTables", "/TableNames").await;
    list(&target, &KINESIS, "ListStreams", "/StreamNames").await;
    stop_and_check(target).await;
}
