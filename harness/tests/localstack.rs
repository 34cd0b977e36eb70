//! `--target localstack` end to end, in a real container engine through testcontainers: starts
//! LocalStack (the image `fixtures/images/localstack/build` makes, or the pinned official one),
//! runs specs through it, and checks the container is gone afterwards.
//!
//! Needs a Docker engine (`DOCKER_HOST`). Without one these tests say SKIPPED and pass, except
//! under CI (`CI=true`), where a missing engine is a failure: `.ci/run` starts one.

use std::process::Command;
use std::time::{Duration, Instant};

use conform::targets::{self, localstack, TargetChoice};

/// The tests compare the engine's containers before and after, so they take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether an engine answers; under CI its absence fails the test.
async fn engine() -> bool {
    match localstack::probe_engine().await {
        Ok(()) => true,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true but {e}"),
        Err(e) => {
            println!("SKIPPED: no Docker engine ({e})");
            false
        }
    }
}

fn conform(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root).args(args).envs(env.iter().copied()).output().unwrap();
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Containers of LocalStack images that exist right now (running or not).
fn localstack_containers() -> Vec<String> {
    let out = Command::new("docker").args(["ps", "-a", "--format", "{{.ID}} {{.Image}}"]).output().expect("the docker CLI");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("localstack")).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn localstack_starts_runs_specs_and_is_removed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    if !engine().await {
        return;
    }
    let before = localstack_containers();
    let target = targets::start(&TargetChoice::LocalStack, targets::DEFAULT_REGION).await.expect("localstack starts");
    assert_eq!(target.name, "localstack");
    assert!(target.version.is_some());
    assert!(!target.capabilities.contains("ttl-expiry"));
    let url = target.endpoint("sqs").expect("sqs is served").url.clone();
    assert!(target.endpoint("kinesis").is_some(), "kinesis is served");
    target.shutdown().await;
    assert!(reqwest::get(format!("{url}/_localstack/health")).await.is_err(), "the container is stopped with the target");
    assert_eq!(localstack_containers(), before, "the container is removed");

    // Through the command line: specs of both services, judged by the expectations file.
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().to_str().unwrap();
    std::fs::create_dir_all(dir.path().join("expectations")).unwrap();
    let (code, out) = conform(
        &["run", "specs/sqs/basic", "specs/kinesis/records", "--target", "localstack", "--update", "--reports", reports],
        &[],
    );
    assert!(out.contains("localstack "), "{out}");
    assert!(out.contains(" pass"), "{out}");
    assert!(code == 0 || code == 1, "ran to the end (exit {code}): {out}");
    assert_eq!(localstack_containers(), before, "the container is removed after a run");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_image_is_a_clear_error_within_seconds() {
    let _turn = ONE_AT_A_TIME.lock().await;
    if !engine().await {
        return;
    }
    let started = Instant::now();
    let (code, out) = conform(
        &["run", "specs/sqs/basic", "--target", "localstack"],
        &[("CONFORM_LOCALSTACK_IMAGE", "conform/no-such-image:0")],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("conform/no-such-image:0"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn any_image_named_in_the_config_file_is_a_target() {
    let _turn = ONE_AT_A_TIME.lock().await;
    if !engine().await {
        return;
    }
    // The locally built LocalStack image stands in for any image a user has (ElasticMQ, moto…).
    let image = format!("{}:{}", localstack::LOCAL_IMAGE, localstack::LOCAL_TAG);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conform.toml");
    std::fs::write(
        &config,
        format!("[targets.my-image]\nimage = \"{image}\"\nport = 4566\nservices = [\"sqs\"]\nready-log = \"Ready.\"\nready-path = \"/_localstack/health\"\ncapabilities = [\"fifo\"]\n"),
    )
    .unwrap();
    let before = localstack_containers();
    let reports = dir.path().join("reports");
    let args = [
        "run",
        "specs/sqs/basic/create-queue-idempotent.yaml",
        "specs/kinesis/records",
        "--target",
        "my-image",
        "--update",
        "--config",
        config.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ];
    let (code, out) = conform(&args, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("my-image 2026.3.0:") && out.contains("1 pass") && out.contains("skipped-as-gap"), "{out}");
    assert_eq!(localstack_containers(), before, "the container is removed");
}
