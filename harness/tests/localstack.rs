//! `--target localstack` end to end: starts the pinned LocalStack image through testcontainers,
//! runs a spec on it, and checks the container is gone afterwards.
//!
//! Needs a Docker engine. The machines this project's CI runs on have the docker CLI but no engine,
//! so there this test prints "SKIPPED: no Docker engine" and returns (it passes without checking
//! anything). Where an engine answers, the first run pulls the image, which takes minutes.

use conform::targets::{self, localstack, TargetChoice};

#[tokio::test(flavor = "multi_thread")]
async fn localstack_starts_answers_and_stops() {
    if let Err(e) = localstack::probe_engine().await {
        println!("SKIPPED: no Docker engine ({e})");
        return;
    }
    let target = targets::start(&TargetChoice::LocalStack, targets::DEFAULT_REGION).await.expect("localstack starts");
    assert_eq!(target.name, "localstack");
    assert_eq!(target.version.as_deref(), Some(localstack::TAG));
    assert!(!target.capabilities.contains("ttl-expiry"));
    let url = target.endpoint("sqs").expect("sqs is served").url.clone();
    for service in localstack::SERVICES {
        assert_eq!(target.endpoint(service).map(|e| e.url.as_str()), Some(url.as_str()), "{service}");
    }
    let health: serde_json::Value =
        reqwest::get(format!("{url}/_localstack/health")).await.unwrap().json().await.unwrap();
    for service in localstack::SERVICES {
        let state = health["services"][service].as_str().unwrap_or_default();
        assert!(matches!(state, "available" | "running"), "{service}: {state}");
    }
    target.shutdown().await;
    assert!(reqwest::get(format!("{url}/_localstack/health")).await.is_err(), "the container is stopped with the target");
}
