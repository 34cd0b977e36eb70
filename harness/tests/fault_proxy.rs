//! Real specs on a real moto through the seeded fault proxy, one run per fault mode, each judged
//! against a run without the proxy: no baseline pass becomes `fail`, no baseline failure passes,
//! every resource left on moto is named in a LEAK line, no workload claims a loss, and every run
//! ends (bounded by the spec timeouts; the outer limit below only keeps a hang from blocking CI).
//! The full suites at 10 % are `bench/fault-injection`'s job.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use conform::faults::{leftovers, Audit, Fault, FaultProxy, Plan};
use conform::targets::{self, TargetChoice};
use conform::wire::{ServiceEndpoint, WireClient};
use serde_json::Value;

/// A few specs of each service, with declared resources and raw creates.
const SPECS: [&str; 6] = [
    "specs/sqs/basic/send-receive-delete.yaml",
    "specs/sqs/basic/create-queue-idempotent.yaml",
    "specs/dynamodb/conditions/put-if-not-exists.yaml",
    "specs/dynamodb/items/put-return-all-old.yaml",
    "specs/kinesis/records/replay-after-read.yaml",
    "specs/kinesis/lifecycle/create-existing-name-rejected.yaml",
];

/// Workloads: hundreds of calls each. A stall costs the client's whole timeout (60 s), so the
/// stall run leaves them to bench/fault-injection to stay short.
const WORKLOADS: [&str; 2] = ["specs/sqs/history/fifo-group-order.yaml", "specs/kinesis/history/per-key-order-under-load.yaml"];

/// Every mode at once would take as long as the slowest; each runs in a region of its own on one
/// moto, so what each run leaves behind is told apart.
const REGIONS: [&str; 6] = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"];

/// Runs `SPECS` (and `WORKLOADS` unless it is the stall run) on `url` in `region`; the JSON
/// report and stderr.
async fn run(dir: &Path, name: &str, url: &str, region: &str) -> (Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!("[targets.{name}]\nendpoint = \"{url}\"\nregion = \"{region}\"\ncapabilities = [\"fifo\", \"redrive\", \"streams\", \"ttl\", \"resharding\"]\n"),
    )
    .unwrap();
    let json = dir.join(format!("{name}.json"));
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .arg("run")
        .args(SPECS)
        .args(if name == Fault::Stall.name() { &[][..] } else { &WORKLOADS[..] })
        .arg("--config")
        .arg(&config)
        .args(["--target", name, "--no-snapshots", "--reports"])
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run).await.unwrap_or_else(|_| panic!("{name}: the run hung")).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = std::fs::read_to_string(&json).unwrap_or_else(|_| panic!("{name}: no report; stderr: {stderr}"));
    (serde_json::from_str(&report).unwrap(), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_on_the_wire_are_never_verdicts_or_silent_leaks() {
    let moto = targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts");
    let url = moto.endpoint("sqs").unwrap().url.clone();
    let dir = tempfile::tempdir().unwrap();
    let client = WireClient::default();
    let in_region = |region: &str| ServiceEndpoint { region: region.to_owned(), ..moto.endpoint("sqs").unwrap().clone() };

    let modes = Fault::ALL.iter().zip(&REGIONS[1..]).enumerate().map(|(i, (&mode, &region))| {
        let (url, dir) = (url.clone(), dir.path());
        async move {
            let proxy = FaultProxy::start(&url, Plan { faults: vec![mode], rate: 0.1, seed: 7 + i as u64 }).await.unwrap();
            let started = std::time::Instant::now();
            let (report, stderr) = run(dir, mode.name(), &proxy.url, region).await;
            eprintln!("{}: {} requests, {} faults, {:.0?}", mode.name(), proxy.requests(), proxy.total_injected(), started.elapsed());
            (mode, region, proxy.total_injected(), report, stderr)
        }
    });
    let (baseline, runs) = futures::join!(run(dir.path(), "baseline", &url, REGIONS[0]), futures::future::join_all(modes));
    let (baseline, baseline_err) = baseline;
    assert!(leftovers(&client, &in_region(REGIONS[0]), "conform-").await.unwrap().is_empty(), "the baseline leaks: {baseline_err}");
    let passed = baseline["results"].as_array().unwrap().iter().filter(|r| r["status"] == "pass").count();
    assert!(passed >= 5, "most of the subset passes on moto, or the comparison says little: {baseline_err}");

    for (mode, region, injected, report, stderr) in runs {
        let mode = mode.name();
        assert!(injected > 0, "{mode}: the proxy injected nothing");
        let left = leftovers(&client, &in_region(region), "conform-").await.unwrap();
        let audit = Audit::new(&baseline, &report, left);
        assert!(audit.pass_to_fail.is_empty(), "{mode}: faults became failures {:?}: {stderr}", audit.pass_to_fail);
        assert!(audit.false_pass.is_empty(), "{mode}: false passes {:?}: {stderr}", audit.false_pass);
        assert!(audit.loss.is_empty(), "{mode}: workloads claim loss {:?}: {stderr}", audit.loss);
        assert!(audit.leaks_silent.is_empty(), "{mode}: left on moto without a LEAK line {:?}: {stderr}", audit.leaks_silent);
        for name in &audit.leftovers {
            assert!(stderr.lines().any(|l| l.starts_with("LEAK") && l.contains(name.as_str())), "{mode}: {name} left, no LEAK line: {stderr}");
        }
    }
    moto.shutdown().await;
}
