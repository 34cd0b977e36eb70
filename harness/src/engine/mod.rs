//! Runs specs against a target: concurrently, each with unique resource names and guaranteed
//! teardown. Waits are tokio sleeps, so a spec waiting out a visibility timeout blocks no other.

mod bind;
mod breaker;
mod call;
mod collect;
pub mod inventory;
mod ledger;
mod resources;
pub mod schedule;
mod workload;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use ledger::{Deletion, Ledger};
pub use resources::{delete, is_gone};

use crate::report::{SpecResult, Status, StepRecord};
use crate::spec::source::Span;
use crate::spec::template::Vars;
use crate::spec::{Action, Spec};
use crate::targets::Target;
use crate::wire::WireClient;

/// A spec's time limit when it sets none (before the target's timing scale).
pub const DEFAULT_SPEC_TIMEOUT: Duration = Duration::from_secs(300);

/// Specs in flight at once on an emulator: most of a spec's time is spent waiting (delays,
/// visibility timeouts, `eventually`), so waits overlap far beyond the cores' count. Measured on
/// moto with the bench (`bench/src/main.rs`, 1,707 specs, two cores): 16 at once take 1.24 times
/// as long as 32; 48 take 0.91 of 32's time, which is not worth the extra load on an emulator.
pub const DEFAULT_JOBS: usize = 32;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Specs in flight at once.
    pub jobs: usize,
    /// Prefix of every resource name this run creates, e.g. `conform-k3x9q2`.
    pub run_id: String,
    /// Spec resources bound to existing ones (name → URL, name or ARN): used, never created or deleted.
    pub bindings: Vec<(String, String)>,
    /// Run specs that could destroy data in bound resources anyway.
    pub allow_destructive: bool,
}

impl RunOptions {
    pub fn new(jobs: usize) -> Self {
        Self { jobs: jobs.max(1), run_id: new_run_id(), bindings: Vec::new(), allow_destructive: false }
    }
}

pub use bind::is_destructive;

/// `conform-` and six random lowercase characters: short enough for every service's name limits,
/// recognisable for `sweep`.
pub fn new_run_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let suffix: String = (0..6).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("conform-{suffix}")
}

pub struct RunSummary {
    /// Sorted by spec id.
    pub results: Vec<SpecResult>,
    /// Resources that could not be deleted: the user must know.
    pub leaks: Vec<String>,
    pub interrupted: bool,
}

/// What every spec task shares.
struct Shared {
    target: Arc<Target>,
    client: WireClient,
    ledger: Ledger,
    cancel: CancellationToken,
    run_id: String,
    bindings: Vec<(String, String)>,
    allow_destructive: bool,
    leaks: Mutex<Vec<String>>,
    breaker: breaker::Breaker,
}

/// Runs `specs` on `target`; `on_result` sees each result as it completes (for progress output).
/// Cancelling `cancel` stops the run: specs in flight stop at their next wait or call, and
/// everything created is deleted before this returns.
pub async fn run(
    specs: Vec<Arc<Spec>>,
    target: Arc<Target>,
    options: &RunOptions,
    cancel: CancellationToken,
    mut on_result: impl FnMut(&SpecResult),
) -> RunSummary {
    let shared = Arc::new(Shared {
        target,
        client: WireClient::default(),
        ledger: Ledger::default(),
        cancel,
        run_id: options.run_id.clone(),
        bindings: options.bindings.clone(),
        allow_destructive: options.allow_destructive,
        leaks: Mutex::default(),
        breaker: breaker::Breaker::default(),
    });
    let tasks = specs.into_iter().enumerate().map(|(seq, spec)| {
        let shared = shared.clone();
        let fallback = SpecResult::not_run(&spec, Status::Error, "the harness panicked while running this spec");
        async move { tokio::spawn(run_spec(spec, seq, shared)).await.unwrap_or(fallback) }
    });
    let mut results = Vec::new();
    let mut stream = futures::stream::iter(tasks).buffer_unordered(options.jobs);
    while let Some(result) = stream.next().await {
        on_result(&result);
        results.push(result);
    }
    // Anything a panicking spec left behind.
    for deletion in shared.ledger.take_all() {
        if let Err(e) = resources::delete(&shared.target, &shared.client, &deletion).await {
            shared.leaks.lock().expect("leaks lock").push(e);
        }
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let leaks = std::mem::take(&mut *shared.leaks.lock().expect("leaks lock"));
    RunSummary { results, leaks, interrupted: shared.cancel.is_cancelled() }
}

/// Why a spec stopped before its last step.
#[derive(Debug)]
enum Stop {
    Fail { message: String, location: Option<String> },
    Error { message: String, location: Option<String> },
    Cancelled,
}

impl Stop {
    fn error(message: impl Into<String>, location: Option<String>) -> Self {
        Stop::Error { message: message.into(), location }
    }
}

/// The state of one spec while it runs.
struct SpecContext<'a> {
    spec: &'a Spec,
    target: &'a Target,
    client: &'a WireClient,
    ledger: &'a Ledger,
    cancel: &'a CancellationToken,
    /// Unique per spec run; every resource name starts with it.
    prefix: String,
    vars: Vars,
    /// The step being run, for failures not tied to one expectation.
    step_span: Span,
    /// The step's current `repeat` iteration.
    iteration: u32,
    bindings: &'a [(String, String)],
    /// Held (shared) by every create in flight; teardown takes it whole, so it waits for them.
    creates: Arc<tokio::sync::RwLock<()>>,
    breaker: &'a breaker::Breaker,
}

impl SpecContext<'_> {
    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.target.timing.scale)
    }

    async fn execute(&mut self, records: &mut Vec<StepRecord>) -> Result<(), Stop> {
        for resource in &self.spec.resources {
            let bound = self.bindings.iter().find(|(name, _)| *name == resource.name).map(|(_, v)| v.clone());
            let made = match bound {
                Some(value) => self.bind(&resource.kind, &value).await.map(|attrs| {
                    for (attr, v) in attrs {
                        self.vars.insert(format!("{}.{attr}", resource.name), v);
                    }
                }),
                None => self.create(resource).await,
            };
            made.map_err(|e| {
                Stop::error(format!("creating resource `{}`: {e}", resource.name), Some(call::location(&self.spec.file, resource.span)))
            })?;
        }
        for (index, step) in self.spec.steps.iter().enumerate() {
            self.step_span = step.span;
            let snapshot = matches!(&step.action, Action::Call(c) if c.snapshot);
            let operation = match &step.action {
                Action::Call(c) => Some(format!("{}.{}", c.service.name, c.action)),
                _ => None,
            };
            records.push(StepRecord { index, description: step.describe(), operation, snapshot, attempts: Vec::new() });
            let attempts = &mut records.last_mut().expect("just pushed").attempts;
            for n in 0..step.repeat {
                self.vars.insert("index".into(), Value::from(n));
                self.iteration = n;
                let outcome = match &step.action {
                    Action::Sleep(d) => tokio::select! {
                        _ = tokio::time::sleep(*d) => Ok(()),
                        _ = self.cancel.cancelled() => Err(Stop::Cancelled),
                    },
                    Action::Call(call) => self.call(call, attempts).await,
                    Action::Workload(workload) => self.workload(workload, attempts).await,
                };
                outcome.map_err(|stop| at_step(stop, index, &step.describe(), &self.spec.file, step.span))?;
            }
        }
        Ok(())
    }
}

/// Prefixes a stop's message with the step it happened in.
fn at_step(stop: Stop, index: usize, what: &str, file: &crate::spec::source::SourceFile, span: Span) -> Stop {
    let here = || Some(call::location(file, span));
    match stop {
        Stop::Fail { message, location } => {
            Stop::Fail { message: format!("step {} ({what}): {message}", index + 1), location: location.or_else(here) }
        }
        Stop::Error { message, location } => {
            Stop::Error { message: format!("step {} ({what}): {message}", index + 1), location: location.or_else(here) }
        }
        Stop::Cancelled => Stop::Cancelled,
    }
}

async fn run_spec(spec: Arc<Spec>, seq: usize, shared: Arc<Shared>) -> SpecResult {
    let target = &shared.target;
    if let Some(service) = spec.services().into_iter().find(|s| target.endpoint(s).is_none()) {
        let why = target.gaps.get(service).map(|why| format!(": {why}")).unwrap_or_default();
        return SpecResult::not_run(&spec, Status::SkippedAsGap, format!("target {} has no {service} endpoint{why}", target.name));
    }
    if let Some(need) = spec.needs.iter().find(|n| !target.capabilities.contains(*n)) {
        return SpecResult::not_run(&spec, Status::SkippedAsGap, format!("target {} lacks capability `{need}`", target.name));
    }
    if shared.cancel.is_cancelled() {
        return SpecResult::not_run(&spec, Status::Skipped, "run interrupted before this spec started");
    }
    if let Some(why) = bind::refusal(&spec, &shared.bindings).filter(|_| !shared.allow_destructive) {
        return SpecResult::not_run(&spec, Status::Skipped, why);
    }
    let prefix = format!("{}-{seq}", shared.run_id);
    let vars: Vars = [
        ("prefix".to_string(), Value::from(prefix.clone())),
        ("region".to_string(), Value::from(target.region.clone())),
        ("run_id".to_string(), Value::from(shared.run_id.clone())),
        ("now".to_string(), Value::from(chrono::Utc::now().timestamp())),
    ]
    .into();
    let mut ctx = SpecContext {
        spec: &spec,
        target,
        client: &shared.client,
        ledger: &shared.ledger,
        cancel: &shared.cancel,
        prefix: prefix.clone(),
        vars,
        step_span: Span::default(),
        iteration: 0,
        bindings: &shared.bindings,
        creates: Arc::default(),
        breaker: &shared.breaker,
    };
    let started = Instant::now();
    let limit = ctx.scaled(spec.timeout.unwrap_or(DEFAULT_SPEC_TIMEOUT));
    let mut records = Vec::new();
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(limit, ctx.execute(&mut records)) => {
            outcome.unwrap_or_else(|_| Err(Stop::error(format!("spec did not finish within {limit:?}"), None)))
        }
        _ = shared.cancel.cancelled() => Err(Stop::Cancelled),
    };
    let duration = started.elapsed();

    // Teardown happens whatever the outcome; it is not cancellable. A create cut off by the
    // timeout or Ctrl-C is still in flight: deleting before it lands would find nothing.
    let _landed = ctx.creates.write().await;
    for deletion in shared.ledger.take_owned_by(&prefix) {
        if let Err(e) = resources::delete(target, &shared.client, &deletion).await {
            shared.leaks.lock().expect("leaks lock").push(e);
        }
    }

    let (status, message, location) = match outcome {
        Ok(()) => (Status::Pass, None, None),
        Err(Stop::Fail { message, location }) => (Status::Fail, Some(message), location),
        Err(Stop::Error { message, location }) => (Status::Error, Some(message), location),
        Err(Stop::Cancelled) => (Status::Skipped, Some("interrupted".to_string()), None),
    };
    SpecResult { status, message, location, duration, steps: records, prefix, ..SpecResult::not_run(&spec, status, "") }
}
