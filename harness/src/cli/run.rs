//! `conform run`: start the target, run the selected specs, report, and exit with a verdict.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use super::{exit, load, Selection, TargetArgs};
use crate::engine::{self, RunOptions};
use crate::report::expectations::tally;
use crate::report::matrix::TargetResults;
use crate::report::snapshot::{self, Stored};
use crate::report::{history, junit, Expectations, SpecResult, Status, Verdict};
use crate::targets::{self, TargetError};

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    target: TargetArgs,
    /// Specs in flight at once (waits overlap; most time is spent waiting). Default 32; 4 on aws.
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// One spec at a time (same as --jobs 1): the gentlest on AWS quotas and costs.
    #[arg(long, conflicts_with = "jobs")]
    serial: bool,
    #[command(flatten)]
    guard: super::aws::GuardArgs,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the full results (every request, response and check) as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Where expectations files and snapshots live (`<dir>/expectations/<target>.yaml`,
    /// `<dir>/<target>/<spec>.snap`).
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Accept new and changed snapshots (otherwise they wait as `.snap.new` for review).
    #[arg(long)]
    update: bool,
    /// CI mode: also fail when a snapshot is missing or changed.
    #[arg(long)]
    gate: bool,
    /// Use an existing resource for a spec resource: NAME=QUEUE-URL|STREAM|TABLE (name or ARN),
    /// repeatable. Bound resources are never created or deleted.
    #[arg(long = "bind", value_name = "NAME=VALUE")]
    bindings: Vec<String>,
    /// Also run specs that could destroy or disturb data in bound resources.
    #[arg(long)]
    allow_destructive: bool,
    /// Also fail (exit 1) when a response departs from AWS's service model in a way the
    /// expectations file's `shape` entries do not accept.
    #[arg(long)]
    fail_on_shape: bool,
    /// Don't write or compare snapshots.
    #[arg(long, conflicts_with_all = ["update", "gate"])]
    no_snapshots: bool,
}

pub fn run(args: RunArgs) -> u8 {
    let specs = match load(&args.selection) {
        Ok(specs) => specs,
        Err(code) => return code,
    };
    let mut bindings = Vec::new();
    for b in &args.bindings {
        match b.split_once('=') {
            Some((name, value)) if !name.is_empty() && !value.is_empty() => bindings.push((name.to_owned(), value.to_owned())),
            _ => {
                eprintln!("error: --bind {b}: expected NAME=VALUE, e.g. q=https://sqs.eu-west-1.amazonaws.com/123456789012/orders");
                return exit::BAD_INPUT;
            }
        }
    }
    for (name, _) in &bindings {
        if !specs.iter().any(|s| s.resources.iter().any(|r| &r.name == name)) {
            eprintln!("warning: --bind {name}=…: no selected spec declares a resource `{name}`");
        }
    }
    let choice = match args.target.choice() {
        Ok(choice) => choice,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let on_aws = choice == targets::TargetChoice::Aws;
    let jobs = if args.serial { 1 } else { args.jobs.map_or(if on_aws { 4 } else { engine::DEFAULT_JOBS }, usize::from) };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    runtime.block_on(async move {
        if on_aws {
            // Nothing is created before the account is allowed and the user has seen the cost.
            if let Err(refused) = super::aws::guard_run(&args.target.region, &specs, &args.guard).await {
                eprintln!("error: {}", refused.0);
                return exit::TARGET;
            }
        }
        let started = Instant::now();
        let target = match targets::start(&choice, &args.target.region).await {
            Ok(target) => Arc::new(target),
            Err(e) => {
                eprintln!("error: {e}");
                return if matches!(e, TargetError::Config(_)) { exit::BAD_INPUT } else { exit::TARGET };
            }
        };
        let expectations = match Expectations::load(&args.reports, &target.name) {
            Ok(e) => e.for_version(target.version.as_deref()),
            Err(e) => {
                super::print_spec_errors(&e);
                return exit::BAD_INPUT;
            }
        };
        // Entries for specs this run did not select are not stale: only a whole-suite run can tell.
        let all_ids: Option<Vec<String>> = args.selection.is_whole_suite().then(|| specs.iter().map(|s| s.id.clone()).collect());
        let jobs = match target.timing.jobs {
            Some(most) if args.jobs.is_none() => jobs.min(most),
            _ => jobs,
        };
        let version = target.version.clone().map(|v| format!(" {v}")).unwrap_or_default();
        eprintln!("running {} specs on {}{version} ({} at once)", specs.len(), target.name, jobs);

        let cancel = CancellationToken::new();
        tokio::spawn(interrupt_handler(cancel.clone()));
        let progress = progress_bar(specs.len());
        let mut options = RunOptions::new(jobs);
        options.bindings = bindings;
        options.allow_destructive = args.allow_destructive;
        let mut specs: Vec<Arc<crate::spec::Spec>> = specs.into_iter().map(Arc::new).collect();
        let mut history = engine::schedule::History::load(&target.name);
        engine::schedule::longest_first(&mut specs, &history);
        let summary = engine::run(specs, target.clone(), &options, cancel, |result| {
            progress.inc(1);
            progress.set_message(result.id.clone());
            if let Some(line) = describe(result, expectations.judge(result)) {
                progress.suspend(|| eprintln!("{line}"));
            }
        })
        .await;
        progress.finish_and_clear();

        if !summary.interrupted {
            if let Err(e) = history.record(&target.name, &summary.results) {
                eprintln!("warning: cannot record spec durations for scheduling: {e}");
            }
        }
        let verdicts: Vec<Verdict> = summary.results.iter().map(|r| expectations.judge(r)).collect();
        let unexplained = verdicts.iter().any(|v| v.is_unexplained());
        for stale in all_ids.iter().flat_map(|ids| expectations.stale(ids)) {
            eprintln!("warning: {} lists `{}`, which is not a spec", Expectations::path_for(&args.reports, &target.name).display(), stale.spec);
        }
        for leak in &summary.leaks {
            eprintln!("LEAK  could not delete {leak}");
        }
        let checked: usize = summary.results.iter().map(SpecResult::responses_checked).sum();
        let with_findings = summary.results.iter().filter(|r| !r.shape_findings().is_empty()).count();
        let mut new_shape = 0;
        for result in &summary.results {
            for (step, finding) in expectations.unexplained_shape(result) {
                new_shape += 1;
                eprintln!("SHAPE {}: step {step}: {finding}", result.id);
            }
        }
        let counts = tally(verdicts.iter().copied());
        let counts = counts.iter().map(|(v, n)| format!("{n} {}", v.as_str())).collect::<Vec<_>>().join(", ");
        eprintln!(
            "{}{version}: {} specs in {:.1}s: {counts}{}",
            target.name,
            summary.results.len(),
            started.elapsed().as_secs_f64(),
            if summary.interrupted { " (interrupted; resources torn down)" } else { "" }
        );
        eprintln!(
            "model check: {checked} responses against AWS's models; {with_findings} specs with findings, {new_shape} finding(s) not in the expectations file"
        );
        // A shard keeps its rows apart (`results.K-of-N.json`) until `conform merge` folds them in:
        // merged into results.json, a shard's stale copy of the other rows would hide its peers'.
        let rows = TargetResults::from_run(&target.name, target.version.as_deref(), &summary.results, &expectations);
        if args.selection.is_whole_suite() && !summary.interrupted {
            let run = history::Run::of(&rows, chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(), history::current_commit());
            if let Err(e) = history::record(&args.reports, &target.name, run) {
                eprintln!("warning: cannot record the run in {}: {e}", history::path(&args.reports, &target.name).display());
            }
        }
        let dir = args.reports.join(&target.name);
        let (results_file, saved) = match args.selection.partition {
            Some((k, n)) => {
                let file = dir.join(format!("results.{k}-of-{n}.json"));
                let saved = rows.save(&file);
                (file, saved)
            }
            None => {
                // A whole-suite run replaces the file, so rows of specs since removed or renamed go;
                // a subset run keeps the other specs' rows.
                let file = dir.join("results.json");
                let saved = if args.selection.is_whole_suite() { rows.save(&file) } else { rows.save_merged(&file) };
                (file, saved)
            }
        };
        if let Err(e) = saved {
            eprintln!("warning: cannot write {}: {e}", results_file.display());
        }
        let snapshots_differ = !args.no_snapshots && review_snapshots(&args, &target, &summary.results);
        if let Some(path) = &args.junit {
            write(path, junit::render(&target.name, &summary.results, &expectations, &summary.leaks));
        }
        if let Some(path) = &args.json {
            write(path, json_report(&target, &summary, &expectations));
        }
        if let Ok(target) = Arc::try_unwrap(target) {
            target.shutdown().await;
        }
        eprintln!("{}", next_steps(&args, &results_file, unexplained));
        if summary.interrupted {
            130
        } else if unexplained || !summary.leaks.is_empty() || (args.gate && snapshots_differ) || (args.fail_on_shape && new_shape > 0) {
            exit::UNEXPLAINED
        } else {
            exit::OK
        }
    })
}

/// Where the run's reports are, and what to do next.
fn next_steps(args: &RunArgs, results_file: &std::path::Path, unexplained: bool) -> String {
    let mut lines = vec![format!("reports: {} (verdicts); snapshots beside it", results_file.display())];
    if unexplained {
        lines.push(format!(
            "next: fix the spec or the target, or record the divergence with its reason in {}/expectations/<target>.yaml",
            args.reports.display()
        ));
    }
    lines.push(format!("compare targets: `conform diff moto <target>`; the matrix of every target: `conform matrix` → {}/matrix.html", args.reports.display()));
    lines.join("\n")
}

/// First Ctrl-C: stop starting specs, stop running ones, tear everything down. Second: give up now.
async fn interrupt_handler(cancel: CancellationToken) {
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("\ninterrupted: stopping specs and deleting what they created (Ctrl-C again to abandon them)");
        cancel.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("abandoned: resources of this run may remain; `conform` names them all with the run prefix");
            std::process::exit(130);
        }
    }
}

fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

/// A line for each outcome worth attention.
fn describe(result: &SpecResult, verdict: Verdict) -> Option<String> {
    let label = match verdict {
        Verdict::Fail => "FAIL ",
        Verdict::Error => "ERROR",
        Verdict::UnexpectedPass => "UNEXPECTED PASS",
        Verdict::NewDivergence => "NEW DIVERGENCE",
        _ => return None,
    };
    let why = match verdict {
        Verdict::UnexpectedPass => "listed as a known divergence but passed: remove it from the expectations file".into(),
        Verdict::NewDivergence => format!(
            "fails at {}, which its expectations entry does not name: {}",
            result.failed_path().unwrap_or("?"),
            result.message.clone().unwrap_or_default()
        ),
        _ => result.message.clone().unwrap_or_default(),
    };
    let at = result.location.as_ref().map(|l| format!("\n      at {l}")).unwrap_or_default();
    Some(format!("{label} {}: {why}{at}", result.id))
}

/// Compares every run spec's snapshot with the accepted one; true when any is new or changed.
fn review_snapshots(args: &RunArgs, target: &targets::Target, results: &[SpecResult]) -> bool {
    let dir = args.reports.join(&target.name);
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let header = snapshot::Header { target: &target.name, version: target.version.as_deref(), region: &target.region, date: &date };
    let (mut new, mut changed, mut unchanged, mut written) = (0, 0, 0, 0);
    for result in results.iter().filter(|r| !matches!(r.status, Status::Skipped | Status::SkippedAsGap)) {
        match snapshot::store(&dir, result, &header, args.update) {
            Ok(Stored::Unchanged) => unchanged += 1,
            Ok(Stored::Written) => written += 1,
            Ok(Stored::New(_)) => new += 1,
            Ok(Stored::Changed(path)) => {
                changed += 1;
                eprintln!("SNAPSHOT {} changed: review {}", result.id, path.display());
            }
            Err(e) => eprintln!("warning: cannot write the snapshot of {}: {e}", result.id),
        }
    }
    eprintln!("snapshots in {}: {unchanged} unchanged, {written} written, {new} new, {changed} changed", dir.display());
    if new + changed > 0 {
        eprintln!("  accept with `conform run --update` (same selection)");
    }
    new + changed > 0
}

fn json_report(target: &targets::Target, summary: &engine::RunSummary, expectations: &Expectations) -> String {
    let results: Vec<serde_json::Value> = summary
        .results
        .iter()
        .map(|r| {
            let mut value = serde_json::to_value(r).expect("results serialise");
            value["verdict"] = expectations.judge(r).as_str().into();
            value
        })
        .collect();
    let report = serde_json::json!({
        "target": target.name,
        "version": target.version,
        "region": target.region,
        "harness": env!("CARGO_PKG_VERSION"),
        "results": results,
        "leaks": summary.leaks,
    });
    serde_json::to_string_pretty(&report).expect("report serialises")
}

fn write(path: &PathBuf, content: String) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(path, content) {
        eprintln!("warning: cannot write {}: {e}", path.display());
    }
}
