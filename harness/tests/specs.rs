//! `cargo test` runs every spec under specs/ against moto (started once, or the endpoint in
//! `CONFORM_TEST_ENDPOINT`), judged against reports/expectations/<target>.yaml: a spec passes here
//! when it passes on the target or its divergence is recorded with a reason.
//!
//! Works under cargo-nextest too (one process per spec; each starts its own moto unless
//! `CONFORM_TEST_ENDPOINT` points at a running one).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use conform::engine::{self, RunOptions};
use conform::report::{Expectations, Verdict};
use conform::spec::{self, Spec};
use conform::targets::{self, Target, TargetChoice};
use libtest_mimic::{Arguments, Failed, Trial};
use tokio_util::sync::CancellationToken;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn choice() -> TargetChoice {
    match std::env::var("CONFORM_TEST_ENDPOINT") {
        Ok(url) => TargetChoice::Endpoint {
            name: std::env::var("CONFORM_TEST_TARGET").unwrap_or_else(|_| "moto".into()),
            urls: [("*".to_string(), url)].into(),
        },
        Err(_) => TargetChoice::Moto,
    }
}

/// The target, started by the first spec that runs (listing tests starts nothing).
struct Shared {
    runtime: tokio::runtime::Runtime,
    target: Mutex<Option<Arc<Target>>>,
}

impl Shared {
    fn target(&self) -> Result<Arc<Target>, Failed> {
        let mut slot = self.target.lock().expect("target lock");
        if slot.is_none() {
            let target = self
                .runtime
                .block_on(targets::start(&choice(), targets::DEFAULT_REGION))
                .map_err(|e| format!("target did not start: {e}"))?;
            *slot = Some(Arc::new(target));
        }
        Ok(slot.clone().expect("just set"))
    }
}

fn run_spec(spec: Spec, shared: &Shared, expectations: &Expectations) -> Result<(), Failed> {
    let target = shared.target()?;
    let expectations = &expectations.clone().for_version(target.version.as_deref());
    let options = RunOptions::new(1);
    let summary =
        shared.runtime.block_on(engine::run(vec![Arc::new(spec)], target.clone(), &options, CancellationToken::new(), |_| {}));
    if !summary.leaks.is_empty() {
        return Err(format!("resources were not deleted: {}", summary.leaks.join("; ")).into());
    }
    let result = &summary.results[0];
    check_snapshot(result, &target)?;
    let at = result.location.as_ref().map(|l| format!("\n  at {l}")).unwrap_or_default();
    match expectations.judge(result) {
        Verdict::Pass | Verdict::ExpectedDivergence => Ok(()),
        Verdict::Skipped | Verdict::SkippedAsGap => {
            eprintln!("{}: {}", result.id, result.message.as_deref().unwrap_or("skipped"));
            Ok(())
        }
        Verdict::UnexpectedPass => {
            Err(format!("{} passes but is listed as a known divergence: remove it from the expectations file", result.id).into())
        }
        Verdict::Fail | Verdict::NewDivergence | Verdict::Error => {
            Err(format!("{} {}: {}{at}", result.id, result.status.as_str(), result.message.as_deref().unwrap_or("")).into())
        }
    }
}

/// The spec's normalised answers must equal the accepted snapshot in reports/<target>/: a missing
/// or changed snapshot fails, with the differing JSONPaths, and leaves a `.snap.new` for review.
fn check_snapshot(result: &conform::report::SpecResult, target: &Target) -> Result<(), Failed> {
    use conform::report::{diff, snapshot};
    if matches!(result.status, conform::report::Status::Skipped | conform::report::Status::SkippedAsGap) {
        return Ok(());
    }
    let dir = root().join("reports").join(&target.name);
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let header = snapshot::Header { target: &target.name, version: target.version.as_deref(), region: &target.region, date: &date };
    let accepted = snapshot::load_body(&dir.join(snapshot::file_name(&result.id)));
    match snapshot::store(&dir, result, &header, false).map_err(|e| e.to_string())? {
        snapshot::Stored::Unchanged | snapshot::Stored::Written => Ok(()),
        snapshot::Stored::New(pending) => Err(format!(
            "{}: no accepted snapshot; review {} (`cargo run -- run --update --filter {}` accepts it)",
            result.id,
            pending.display(),
            result.id
        )
        .into()),
        snapshot::Stored::Changed(pending) => {
            let now = snapshot::body(result);
            let differences = accepted.map(|a| diff::diff(&a, &now)).unwrap_or_default();
            let shown: Vec<String> = differences
                .iter()
                .take(10)
                .map(|d| format!("  {}: {} → {}", d.path, show(&d.left), show(&d.right)))
                .collect();
            Err(format!("{}: the snapshot changed (review {}):\n{}", result.id, pending.display(), shown.join("\n")).into())
        }
    }
}

fn show(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map_or("(absent)".into(), conform::check::matcher::brief)
}

fn main() {
    let mut args = Arguments::from_args();
    // Specs spend their time waiting on the target, not computing: run many at once.
    args.test_threads.get_or_insert(16);

    let files = spec::discover(&[root().join("specs")]);
    let (specs, invalid): (Vec<_>, Vec<_>) = files.iter().map(|f| spec::load_file(f)).partition(Result::is_ok);
    let invalid: Vec<String> = invalid
        .into_iter()
        .filter_map(Result::err)
        .flat_map(|e| e.errors.into_iter().map(|e| e.to_string()))
        .collect();

    let target_name = choice().name();
    let expectations = Arc::new(Expectations::load(&root().join("reports"), &target_name).expect("expectations file parses"));
    let shared = Arc::new(Shared {
        runtime: tokio::runtime::Runtime::new().expect("tokio runtime"),
        target: Mutex::new(None),
    });

    let mut trials = vec![Trial::test("specs are valid", move || {
        if invalid.is_empty() {
            Ok(())
        } else {
            Err(invalid.join("\n").into())
        }
    })];
    let ids: Vec<String> = specs.iter().filter_map(|s| s.as_ref().ok()).flatten().map(|s| s.id.clone()).collect();
    let stale: Vec<String> = expectations.stale(&ids).map(|d| d.spec.clone()).collect();
    trials.push(Trial::test("expectations name existing specs", move || {
        if stale.is_empty() {
            Ok(())
        } else {
            Err(format!("listed in the expectations file but not a spec: {}", stale.join(", ")).into())
        }
    }));
    for spec in specs.into_iter().filter_map(Result::ok).flatten() {
        let (shared, expectations) = (shared.clone(), expectations.clone());
        let kind = spec.id.split('/').next().unwrap_or("spec").to_owned();
        trials.push(Trial::test(spec.id.clone(), move || run_spec(spec, &shared, &expectations)).with_kind(kind));
    }

    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(target) = shared.target.lock().expect("target lock").take() {
        if let Ok(target) = Arc::try_unwrap(target) {
            shared.runtime.block_on(target.shutdown());
        }
    }
    conclusion.exit();
}
