//! `--target localstack` end to end, in a real container engine through testcontainers: starts
//! LocalStack (the image `fixtures/images/localstack/build` makes, or the pinned official one),
//! runs specs through it, and checks the container is gone afterwards.
//!
//! Needs a Docker engine (`DOCKER_HOST`). Without one these tests say SKIPPED and pass, except
//! under CI (`CI=true`), where a missing engine is a failure: `.ci/run` starts one.

use std::process::Command;
use std::time::{Duration, Instant};

use conform::targets::{self, localstack, TargetChoice};

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
