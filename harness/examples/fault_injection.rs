//! The measurement behind `bench/fault-injection`: the sqs, dynamodb and kinesis suites on moto,
//! once straight and once per fault mode through the fault proxy, each faulty run audited against
//! the straight one; then Ctrl-C at random moments, and SIGKILL of a conform that started its own
//! moto. Prints one row per mode and exits 1 if anything the issue wants at zero is not.
//!
//! Usage: fault_injection [--rate 0.1] [--seed 1] [--modes reset,5xx,stall,half-body,garbage]
//!        [--sigint N] [--sigkill N] [--jobs N] [--conform target/debug/conform] [SPEC PATHS…]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use conform::faults::{leftovers, Audit, Fault, FaultProxy, Phase, Plan};
use conform::targets::{self, TargetChoice};
use conform::wire::WireClient;
use rand::{Rng, SeedableRng};
use serde_json::Value;

struct Options {
    rate: f64,
    seed: u64,
    modes: Vec<Fault>,
    sigint: u32,
    sigkill: u32,
    conform: PathBuf,
    /// conform's --jobs for the runs through the proxy: stalls hold a spec for the client's
    /// whole timeout, so more at once keeps the stall run short.
    jobs: Option<String>,
    specs: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        rate: 0.1,
        seed: 1,
        modes: Fault::ALL.to_vec(),
        sigint: 10,
        sigkill: 3,
        conform: PathBuf::from("target/debug/conform"),
        jobs: None,
        specs: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--rate" => o.rate = value().parse().expect("--rate takes a fraction"),
            "--seed" => o.seed = value().parse().expect("--seed takes a number"),
            "--modes" => o.modes = value().split(',').filter(|m| !m.is_empty()).map(|m| Fault::parse(m).unwrap_or_else(|| panic!("unknown mode {m}"))).collect(),
            "--sigint" => o.sigint = value().parse().expect("--sigint takes a count"),
            "--sigkill" => o.sigkill = value().parse().expect("--sigkill takes a count"),
            "--conform" => o.conform = value().into(),
            "--jobs" => o.jobs = Some(value()),
            _ => o.specs.push(arg),
        }
    }
    if o.specs.is_empty() {
        o.specs = ["specs/sqs", "specs/dynamodb", "specs/kinesis"].map(String::from).to_vec();
    }
    o
}

/// A configuration naming `url` as a target with moto's capabilities, so the same specs run
/// straight and through the proxy.
fn config(dir: &Path, name: &str, url: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!("[targets.{name}]\nendpoint = \"{url}\"\ncapabilities = [\"fifo\", \"redrive\", \"streams\", \"ttl\", \"resharding\"]\n");
    std::fs::write(&path, text).expect("config written");
    path
}

struct Run {
    report: Value,
    stderr: String,
    wall: Duration,
}

async fn run(o: &Options, dir: &Path, name: &str, url: &str) -> Run {
    let json = dir.join(format!("{name}.json"));
    let started = Instant::now();
    let out = tokio::process::Command::new(&o.conform)
        .arg("run")
        .args(&o.specs)
        .arg("--config")
        .arg(config(dir, name, url))
        .args(["--target", name, "--no-snapshots", "--reports"])
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .args(o.jobs.iter().flat_map(|j| ["--jobs", j.as_str()]))
        .stdout(Stdio::null())
        .output()
        .await
        .expect("conform runs");
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default()).unwrap_or(Value::Null);
    Run { report, stderr: String::from_utf8_lossy(&out.stderr).into_owned(), wall: started.elapsed() }
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("scratch dir");
    let moto = targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts");
    let endpoint = moto.endpoint("sqs").expect("moto serves sqs").clone();
    let client = WireClient::default();
    let left = || async { leftovers(&client, &endpoint, "conform-").await.expect("moto lists its resources") };

    let baseline = run(&o, dir.path(), "baseline", &endpoint.url).await;
    let count = |r: &Value, s: &str| r["results"].as_array().into_iter().flatten().filter(|x| x["status"] == s).count();
    println!(
        "baseline: {} specs, {} pass, {} fail, {} error, {} leftovers, {:.0}s",
        baseline.report["results"].as_array().map_or(0, Vec::len),
        count(&baseline.report, "pass"),
        count(&baseline.report, "fail"),
        count(&baseline.report, "error"),
        left().await.len(),
        baseline.wall.as_secs_f64()
    );
    println!("{:<10} {:>8} {:>14} {:>7} {:>6} {:>10} {:>10} {:>14} {:>6} {:>6} {:>5}", "mode", "requests", "injected b/a", "retries", "errors", "pass→fail", "false-pass", "leaks rep/found", "silent", "loss", "wall");
    let mut clean = true;
    for (i, &mode) in o.modes.iter().enumerate() {
        let before = left().await;
        let proxy = FaultProxy::start(&endpoint.url, Plan { faults: vec![mode], rate: o.rate, seed: o.seed + i as u64 }).await.expect("proxy starts");
        let faulty = run(&o, dir.path(), mode.name(), &proxy.url).await;
        let new: Vec<String> = left().await.into_iter().filter(|n| !before.contains(n)).collect();
        let audit = Audit::new(&baseline.report, &faulty.report, new);
        let injected = proxy.injected();
        let phase = |p| injected.iter().filter(|((_, q), _)| *q == p).map(|(_, n)| n).sum::<u64>();
        println!(
            "{:<10} {:>8} {:>14} {:>7} {:>6} {:>10} {:>10} {:>14} {:>6} {:>6} {:>4.0}s",
            mode.name(),
            proxy.requests(),
            format!("{}/{}", phase(Phase::Before), phase(Phase::After)),
            audit.retries,
            audit.errors,
            audit.pass_to_fail.len(),
            audit.false_pass.len(),
            format!("{}/{}", audit.leaks_reported.len(), audit.leftovers.len()),
            audit.leaks_silent.len(),
            audit.loss.len(),
            faulty.wall.as_secs_f64()
        );
        for (what, ids) in [("pass→fail", &audit.pass_to_fail), ("false pass", &audit.false_pass), ("silent leak", &audit.leaks_silent), ("loss", &audit.loss)] {
            for id in ids {
                let message = faulty.report["results"].as_array().into_iter().flatten().find(|r| r["id"] == id.as_str()).and_then(|r| r["message"].as_str()).unwrap_or("");
                println!("    {what}: {id} {message}");
            }
        }
        if faulty.report.is_null() {
            println!("    no report; stderr: {}", faulty.stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | "));
            clean = false;
        }
        clean &= audit.clean();
    }

    // Ctrl-C at a random moment of a straight run: nothing it created may stay behind.
    let mut rng = rand::rngs::StdRng::seed_from_u64(o.seed);
    let mut left_after_sigint = 0;
    for trial in 0..o.sigint {
        let before = left().await;
        let child = tokio::process::Command::new(&o.conform)
            .arg("run")
            .args(&o.specs)
            .arg("--config")
            .arg(config(dir.path(), "sigint", &endpoint.url))
            .args(["--target", "sigint", "--no-snapshots", "--reports"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("conform runs");
        let after = Duration::from_millis(rng.random_range(300..8000));
        tokio::time::sleep(after).await;
        let pid = nix::unistd::Pid::from_raw(child.id().expect("running") as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let status = child.wait_with_output().await.expect("conform exits").status;
        let new: Vec<String> = left().await.into_iter().filter(|n| !before.contains(n)).collect();
        println!("sigint trial {}: after {:.1}s, exit {:?}, {} left: {new:?}", trial + 1, after.as_secs_f64(), status.code(), new.len());
        left_after_sigint += new.len();
    }
    clean &= left_after_sigint == 0;

    // SIGKILL of a conform that started its own moto: the emulator must die with it.
    let mut orphans = 0;
    for trial in 0..o.sigkill {
        let mut child = std::process::Command::new(&o.conform)
            .arg("run")
            .args(&o.specs)
            .args(["--no-snapshots", "--reports"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("conform runs");
        let started = Instant::now();
        let emulator = loop {
            if let Some(pid) = targets::children(child.id()).into_iter().next() {
                break Some(pid);
            }
            if started.elapsed() > Duration::from_secs(60) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..6000))).await;
        let _ = child.kill();
        let _ = child.wait();
        let killed = Instant::now();
        let alive = |pid: u32| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            !stat.is_empty() && !stat.contains(") Z ")
        };
        while emulator.is_some_and(alive) && killed.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let orphaned = emulator.is_some_and(alive);
        println!("sigkill trial {}: emulator pid {emulator:?}, {}", trial + 1, if orphaned { "ORPHANED" } else { "gone" });
        orphans += usize::from(orphaned || emulator.is_none());
    }
    clean &= orphans == 0;
    println!("sigint: {left_after_sigint} leftovers in {} trials; sigkill: {orphans} orphaned emulators in {} trials", o.sigint, o.sigkill);
    moto.shutdown().await;
    drop(dir);
    std::process::exit(if clean { 0 } else { 1 });
}
