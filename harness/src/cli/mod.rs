//! The `conform` command line.

pub mod aws;
mod diff;
mod emulators;
mod evidence;
mod maintain;
mod merge;
mod run;
pub mod sweep;
mod target_args;

pub use target_args::TargetArgs;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::spec::{self, Spec, SpecErrors};

/// Exit codes: what CI scripts branch on.
pub mod exit {
    /// Every outcome is a pass or explained by the expectations file.
    pub const OK: u8 = 0;
    /// A failure, error or unexpected pass that the expectations don't explain.
    pub const UNEXPLAINED: u8 = 1;
    /// Bad input: a spec or flag that does not parse.
    pub const BAD_INPUT: u8 = 2;
    /// The target could not be started or reached.
    pub const TARGET: u8 = 3;
}

#[derive(Parser)]
#[command(name = "conform", version, about = "Runs YAML specs of AWS service behaviour against AWS, LocalStack and emulators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run specs against a target and report each outcome.
    Run(run::RunArgs),
    /// Delete leftover `conform-` queues, streams and tables older than --older-than.
    Sweep(sweep::SweepArgs),
    /// List the specs that would run.
    List(Selection),
    /// Validate specs, and the recordings they cite, without running anything.
    Check(Selection),
    /// Cross-check specs against the recorded-AWS corpus; writes reports/evidence.{md,json}.
    Evidence(evidence::EvidenceArgs),
    /// Manage the emulators conform installs and starts itself.
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Show, spec by spec, the fields where two targets' snapshots differ.
    Diff {
        /// Target whose snapshots are the reference (e.g. `aws`).
        left: String,
        /// Target to compare with it (e.g. `moto`).
        right: String,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Combine the reports of shards (`run --partition K/N`) into one reports directory.
    Merge(merge::MergeArgs),
    /// Collect every target's latest results into reports/matrix.{json,md,html}.
    Matrix {
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Write the coverage table of the seed behaviour catalogue (reports/coverage.md).
    Coverage {
        /// The catalogue (markdown).
        #[arg(long, default_value = "fixtures/catalogue/seed-behaviors.md")]
        catalogue: PathBuf,
        /// Why fast-checkable rows are not covered: `ROW-ID: reason` (YAML).
        #[arg(long, default_value = "reports/coverage-notes.yaml")]
        notes: PathBuf,
        /// Why declared errors and operations are out of a spec's reach (YAML: `errors`, `operations`).
        #[arg(long, default_value = "reports/out-of-reach.yaml")]
        out_of_reach: PathBuf,
        #[arg(long, default_value = "reports/coverage.md")]
        out: PathBuf,
    },
    /// Maintain expectations files.
    #[command(subcommand)]
    Expectations(ExpectationsCommand),
    /// Print the JSON Schema of the spec format (for editor completion).
    Schema,
}

impl Command {
    /// Commands whose output is a listing one may pipe into `head`, and that talk to no network.
    fn prints_listing(&self) -> bool {
        matches!(
            self,
            Self::List(_) | Self::Check(_) | Self::Evidence(_) | Self::Diff { .. } | Self::Coverage { .. } | Self::Schema | Self::Targets(TargetsCommand::List { .. })
        )
    }
}

/// `conform list | head -1` ends quietly when `head` closes the pipe, as `ls | head` does, rather
/// than panicking in `println!` (Rust ignores SIGPIPE by default). Only for listing commands: on a
/// network connection a closed peer must stay an error the fault policy handles, not a signal.
fn end_quietly_on_closed_pipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: called at the start of `main`, before any other thread exists.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

#[derive(Subcommand)]
enum ExpectationsCommand {
    /// Rewrite reports/expectations/<target>.yaml from the target's last run (reports/<target>/results.json):
    /// unexplained failures are added with a TODO reason, entries whose spec passed are removed.
    Update {
        target: String,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
}

#[derive(Subcommand)]
enum TargetsCommand {
    /// Install a managed emulator (pinned version) into conform's cache directory.
    Install {
        /// Emulators to install.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Show the targets, whether they are installed, and the ones named in the configuration file.
    List {
        #[arg(long, default_value = "conform.toml")]
        config: PathBuf,
    },
}

/// Which specs: paths, tags and an id filter.
#[derive(Args, Clone)]
pub struct Selection {
    /// Spec files or directories.
    #[arg(default_value = "specs")]
    pub paths: Vec<PathBuf>,
    /// Only specs with this tag (repeatable: any of them).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Only specs whose id contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only shard K of N (`2/3`), for CI jobs that split a run: every selected spec is in exactly
    /// one shard, balanced by the waits specs declare, the same on every machine.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    pub partition: Option<(usize, usize)>,
}

impl Selection {
    /// The whole default suite: no path, tag, filter or shard narrows it.
    pub fn is_whole_suite(&self) -> bool {
        self.paths == [PathBuf::from("specs")] && self.tags.is_empty() && self.filter.is_none() && self.partition.is_none()
    }
}

fn parse_partition(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("`{text}` is not K/N with 1 ≤ K ≤ N, e.g. 2/3")),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.prints_listing() {
        end_quietly_on_closed_pipe();
    }
    let code = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::List(selection) => list(&selection),
        Command::Check(selection) => check(&selection),
        Command::Evidence(args) => evidence::run(&args),
        Command::Targets(TargetsCommand::Install { names }) => emulators::install_targets(&names),
        Command::Targets(TargetsCommand::List { config }) => emulators::list_targets(&config),
        Command::Diff { left, right, reports } => diff::diff(&reports, &left, &right),
        Command::Merge(args) => merge::merge(&args),
        Command::Matrix { reports } => match crate::report::write_matrix(&reports) {
            Ok(0) => {
                eprintln!("error: no results under {}: run `conform run` on a target first", reports.display());
                exit::BAD_INPUT
            }
            Ok(n) => {
                eprintln!("wrote {0}/matrix.json, {0}/matrix.md and {0}/matrix.html for {n} target(s)", reports.display());
                exit::OK
            }
            Err(e) => {
                eprintln!("error: cannot write the matrix: {e}");
                exit::BAD_INPUT
            }
        },
        Command::Coverage { catalogue, notes, out_of_reach, out } => maintain::coverage(&catalogue, &notes, &out_of_reach, &out),
        Command::Expectations(ExpectationsCommand::Update { target, reports }) => maintain::update_expectations(&reports, &target),
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&spec::json_schema()).expect("schema serialises"));
            exit::OK
        }
    };
    ExitCode::from(code)
}

/// Loads and filters specs; on any invalid file, prints every diagnostic and returns `Err`.
pub fn load(selection: &Selection) -> Result<Vec<Spec>, u8> {
    let files = spec::discover(&selection.paths);
    if files.is_empty() {
        eprintln!("error: no spec files (*.yaml) under {}", selection.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        return Err(exit::BAD_INPUT);
    }
    let (specs, errors): (Vec<_>, Vec<_>) = files.iter().map(|f| spec::load_file(f)).partition(Result::is_ok);
    let errors: Vec<SpecErrors> = errors.into_iter().filter_map(Result::err).collect();
    if !errors.is_empty() {
        errors.iter().for_each(print_spec_errors);
        let count: usize = errors.iter().map(|e| e.errors.len()).sum();
        eprintln!("error: {count} problem(s) in {} file(s)", errors.len());
        return Err(exit::BAD_INPUT);
    }
    let mut specs: Vec<Spec> = specs.into_iter().filter_map(Result::ok).flatten().collect();
    if let Some((first, second)) = duplicate_id(&specs) {
        let (line, col) = first.file.line_col(first.id_span.offset);
        let message = format!("spec id `{}` is already the id of {}:{line}:{col}", second.id, first.file.name);
        print_spec_errors(&SpecErrors { file: second.file.name.clone(), errors: vec![spec::SpecError::new(&second.file, second.id_span, message)] });
        return Err(exit::BAD_INPUT);
    }
    specs.retain(|s| {
        (selection.tags.is_empty() || s.tags.iter().any(|t| selection.tags.contains(t)))
            && selection.filter.as_ref().is_none_or(|f| s.id.contains(f.as_str()))
    });
    if specs.is_empty() {
        let mut narrowed: Vec<String> = selection.tags.iter().map(|t| format!("--tag {t}")).collect();
        narrowed.extend(selection.filter.iter().map(|f| format!("--filter {f}")));
        eprintln!("error: no spec matches {} (`conform list` shows the ids and tags)", narrowed.join(" "));
        return Err(exit::BAD_INPUT);
    }
    if let Some((k, n)) = selection.partition {
        specs = crate::engine::schedule::shard(specs, k, n);
    }
    Ok(specs)
}

/// An id two files share, and both files.
/// The first two specs that share an id.
fn duplicate_id(specs: &[Spec]) -> Option<(&Spec, &Spec)> {
    let mut seen: std::collections::BTreeMap<&str, &Spec> = std::collections::BTreeMap::new();
    specs.iter().find_map(|s| seen.insert(&s.id, s).map(|first| (first, s)))
}

/// Prints each problem as a miette diagnostic: `file:line:col`, the snippet, a label and a hint.
pub fn print_spec_errors(errors: &SpecErrors) {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::default());
    for error in &errors.errors {
        let mut out = String::new();
        match handler.render_report(&mut out, error) {
            Ok(()) => eprintln!("{out}"),
            Err(_) => eprintln!("{error}"),
        }
    }
}

fn list(selection: &Selection) -> u8 {
    match load(selection) {
        Ok(specs) => {
            for s in &specs {
                println!("{:<56} [{}] {}", s.id, s.tags.join(","), s.title);
            }
            eprintln!("{} specs", specs.len());
            exit::OK
        }
        Err(code) => code,
    }
}

fn check(selection: &Selection) -> u8 {
    match evidence::load_with_corpus(selection, std::path::Path::new(crate::evidence::corpus::DEFAULT_DIR)) {
        Ok((specs, _)) => {
            println!("{} specs are valid", specs.len());
            exit::OK
        }
        Err(code) => code,
    }
}

