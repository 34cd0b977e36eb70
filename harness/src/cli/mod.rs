//! The `conform` command line.

pub mod aws;
mod evidence;
mod merge;
mod run;
pub mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::spec::{self, Spec, SpecErrors};
use crate::targets::{self, install, TargetChoice};

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

fn parse_partition(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("`{text}` is not K/N with 1 ≤ K ≤ N, e.g. 2/3")),
    }
}

/// Where to run: shared by `run` and the test harness.
#[derive(Args, Clone)]
pub struct TargetArgs {
    /// `moto` (the default), `kinesalite`, `dynalite`, `kinesis-mock`, `dynamodb-local`,
    /// `localstack-host`, `ministack`, `dynoxide`, `fakecloud` (each installed and started by
    /// conform), several joined with `+` (`kinesalite+dynalite`: each service from the first that
    /// serves it), `localstack` (a container started through testcontainers; needs a Docker
    /// engine), `aws` (real AWS: allowlisted accounts only, see --allow-account), or `endpoint`
    /// (already running; see --endpoint), or a target named in the configuration file.
    #[arg(long, short)]
    pub target: Option<String>,
    /// Named targets (`[targets.NAME]`: `use`, `endpoint(s)`, `region`, `timing-scale`, `capabilities`).
    #[arg(long, default_value = "conform.toml")]
    pub config: PathBuf,
    /// Endpoint URL for every service, or SERVICE=URL for one (repeatable). Implies --target endpoint.
    #[arg(long = "endpoint")]
    pub endpoints: Vec<String>,
    /// Name to report an endpoint target under (selects reports/expectations/<name>.yaml).
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, env = "AWS_REGION", default_value = targets::DEFAULT_REGION)]
    pub region: String,
}

impl TargetArgs {
    pub fn choice(&self) -> Result<TargetChoice, String> {
        if let Some(name) = self.target.as_deref() {
            let config = targets::config::Config::load(&self.config).map_err(|e| e.to_string())?;
            if let Some(configured) = config.choice(name).map_err(|e| e.to_string())? {
                if !self.endpoints.is_empty() || self.name.is_some() {
                    return Err(format!("`{name}` is defined in {}; --endpoint and --name don't apply to it", self.config.display()));
                }
                return Ok(TargetChoice::Configured(Box::new(configured)));
            }
        }
        match (self.target.as_deref(), self.endpoints.is_empty()) {
            (None, true) => Ok(TargetChoice::Moto),
            (None | Some("endpoint"), _) => {
                let urls = targets::parse_endpoints(&self.endpoints).map_err(|e| e.to_string())?;
                Ok(TargetChoice::Endpoint { name: self.name.clone().unwrap_or_else(|| "endpoint".into()), urls })
            }
            (Some(managed), true) => {
                if self.name.is_some() {
                    return Err(format!("--name goes with --target endpoint; `{managed}` reports under its own name"));
                }
                if managed == "aws" {
                    return Ok(TargetChoice::Aws);
                }
                if managed == "localstack" {
                    return Ok(TargetChoice::LocalStack);
                }
                TargetChoice::managed(managed).map_err(|e| e.to_string())
            }
            (Some(managed), false) => Err(format!("--endpoint goes with --target endpoint, not {managed}")),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::List(selection) => list(&selection),
        Command::Check(selection) => check(&selection),
        Command::Evidence(args) => evidence::run(&args),
        Command::Targets(TargetsCommand::Install { names }) => install_targets(&names),
        Command::Targets(TargetsCommand::List { config }) => list_targets(&config),
        Command::Diff { left, right, reports } => diff(&reports, &left, &right),
        Command::Merge(args) => merge::merge(&args),
        Command::Matrix { reports } => match crate::report::matrix::write_all(&reports) {
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
        Command::Coverage { catalogue, notes, out_of_reach, out } => coverage(&catalogue, &notes, &out_of_reach, &out),
        Command::Expectations(ExpectationsCommand::Update { target, reports }) => update_expectations(&reports, &target),
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

fn diff(reports: &std::path::Path, left: &str, right: &str) -> u8 {
    let compared = crate::report::diff::compare_targets(reports, left, right);
    if compared.is_empty() {
        eprintln!("error: no snapshots under {}/{left} or {}/{right}", reports.display(), reports.display());
        return exit::BAD_INPUT;
    }
    let show = |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".to_string(), crate::check::matcher::brief);
    let mut differing = 0;
    for (id, differences) in &compared {
        if differences.is_empty() {
            continue;
        }
        differing += 1;
        println!("{id}");
        for d in differences {
            println!("  {}
    {left}: {}
    {right}: {}", d.path, show(&d.left), show(&d.right));
        }
    }
    println!("{differing} of {} specs differ between {left} and {right}", compared.len());
    exit::OK
}

fn coverage(catalogue: &std::path::Path, notes: &std::path::Path, out_of_reach: &std::path::Path, out: &std::path::Path) -> u8 {
    use crate::report::coverage;
    let Ok(markdown) = std::fs::read_to_string(catalogue) else {
        eprintln!("error: cannot read the catalogue {}", catalogue.display());
        return exit::BAD_INPUT;
    };
    let Ok(notes) = read_yaml_or_default::<std::collections::BTreeMap<String, String>>(notes) else { return exit::BAD_INPUT };
    let Ok(out_of_reach) = read_yaml_or_default::<crate::report::model_coverage::OutOfReach>(out_of_reach) else { return exit::BAD_INPUT };
    let specs = match load(&Selection { paths: vec![PathBuf::from("specs")], tags: Vec::new(), filter: None, partition: None }) {
        Ok(specs) => specs,
        Err(code) => return code,
    };
    let rows = coverage::parse_catalogue(&markdown);
    let doc = coverage::render(&rows, &specs, &notes, &out_of_reach);
    if let Err(e) = std::fs::write(out, &doc) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return exit::BAD_INPUT;
    }
    eprintln!("wrote {}: {}", out.display(), doc.lines().find(|l| l.starts_with("**")).unwrap_or(""));
    let models = doc.split("## Against AWS's service models").nth(1).unwrap_or("");
    models.lines().filter(|l| l.starts_with("| ")).for_each(|l| println!("{l}"));
    exit::OK
}

/// A YAML file of the project, or the default when it does not exist; its errors are printed with
/// their location.
fn read_yaml_or_default<T: serde::de::DeserializeOwned + Default>(path: &std::path::Path) -> Result<T, ()> {
    match std::fs::read_to_string(path) {
        Ok(text) => spec::parse_yaml(&path.display().to_string(), &text).map_err(|e| print_spec_errors(&e)),
        Err(_) => Ok(T::default()),
    }
}

fn update_expectations(reports: &std::path::Path, target: &str) -> u8 {
    use crate::report::matrix::TargetResults;
    use crate::report::{Expectations, Verdict};
    let results_file = reports.join(target).join("results.json");
    let Some(results) = std::fs::read_to_string(&results_file).ok().and_then(|t| serde_json::from_str::<TargetResults>(&t).ok()) else {
        eprintln!("error: no results at {}: run `conform run --target {target}` first", results_file.display());
        return exit::BAD_INPUT;
    };
    let mut expectations = match Expectations::load(reports, target) {
        Ok(e) => e,
        Err(e) => {
            print_spec_errors(&e);
            return exit::BAD_INPUT;
        }
    };
    let parse = |v: &str| match v {
        "fail" => Verdict::Fail,
        "error" => Verdict::Error,
        "unexpected-pass" => Verdict::UnexpectedPass,
        "pass" => Verdict::Pass,
        "new-divergence" => Verdict::NewDivergence,
        "expected-divergence" => Verdict::ExpectedDivergence,
        "skipped-as-gap" => Verdict::SkippedAsGap,
        _ => Verdict::Skipped,
    };
    let verdicts: Vec<(String, Verdict)> = results.specs.iter().map(|s| (s.id.clone(), parse(&s.cell.verdict))).collect();
    let (added, removed) = expectations.update_from(&verdicts);
    let path = Expectations::path_for(reports, target);
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent")).and_then(|_| std::fs::write(&path, expectations.render())) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::BAD_INPUT;
    }
    eprintln!("{}: {added} added (reason TODO: fill it in), {removed} removed; review it before committing", path.display());
    exit::OK
}

fn install_targets(names: &[String]) -> u8 {
    // Resolve every name before installing anything: a typo should not leave half an install.
    let mut emulators = Vec::new();
    for name in names {
        match install::by_name(name) {
            Some(emulator) => emulators.push(emulator),
            None => {
                eprintln!("error: conform does not manage `{name}` (it manages: {})", install::names().join(", "));
                return exit::BAD_INPUT;
            }
        }
    }
    for emulator in emulators {
        if let Err(e) = emulator.install(&mut |line| eprintln!("{line}")) {
            eprintln!("error: {e}");
            return exit::TARGET;
        }
        eprintln!("{} {} ready", emulator.name, emulator.version);
    }
    exit::OK
}

fn list_targets(config: &std::path::Path) -> u8 {
    println!("{:<15} {:<8} {:<47} {:<10} where", "target", "version", "services", "status");
    for profile in &targets::managed::PROFILES {
        let emulator = profile.emulator;
        let (status, place) = if let Some(path) = std::env::var_os(emulator.override_var) {
            ("override", format!("{} (from {})", PathBuf::from(path).display(), emulator.override_var))
        } else if let Some(path) = emulator.current_program() {
            ("installed", path.display().to_string())
        } else if let Some(v) = emulator.installed_version() {
            ("stale", format!("{v} installed: conform targets install {}", emulator.name))
        } else {
            ("missing", format!("conform targets install {} (or installed on first use)", emulator.name))
        };
        println!("{:<15} {:<8} {:<47} {:<10} {place}", emulator.name, emulator.version, profile.services.join(","), status);
    }
    println!(
        "{:<15} {:<8} {:<47} {:<10} container {}:{} via testcontainers (needs a Docker engine)",
        "localstack",
        targets::localstack::TAG,
        targets::localstack::SERVICES.join(","),
        "docker",
        targets::localstack::IMAGE,
        targets::localstack::TAG
    );
    println!("{:<15} {:<8} {:<47} {:<10} --endpoint URL or SERVICE=URL", "endpoint", "-", "any", "ready");
    match targets::config::Config::load(config) {
        Ok(c) if !c.targets.is_empty() => {
            println!("\nnamed in {}:", config.display());
            for name in c.targets.keys() {
                match c.choice(name) {
                    Ok(Some(configured)) => match &configured.inner {
                        TargetChoice::Endpoint { urls, .. } => {
                            let urls: Vec<String> = urls.iter().map(|(s, u)| if s == "*" { u.clone() } else { format!("{s}={u}") }).collect();
                            println!("  {name:<22} endpoint {}", urls.join(" "))
                        }
                        other => println!("  {name:<22} {}", other.name()),
                    },
                    Ok(None) => {}
                    Err(e) => println!("  {name:<22} invalid: {e}"),
                }
            }
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: {e}"),
    }
    println!("\ncombine emulators with +, e.g. --target kinesalite+dynalite+moto: each service from the first that serves it");
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(target: Option<&str>, endpoints: &[&str], name: Option<&str>) -> Result<TargetChoice, String> {
        TargetArgs {
            target: target.map(str::to_owned),
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            name: name.map(str::to_owned),
            region: targets::DEFAULT_REGION.into(),
            config: "no-such-conform.toml".into(),
        }
        .choice()
    }

    #[test]
    fn target_flags_choose_managed_emulators_combinations_and_endpoints() {
        assert_eq!(choice(None, &[], None), Ok(TargetChoice::Moto));
        assert_eq!(choice(Some("moto"), &[], None), Ok(TargetChoice::Moto));
        assert_eq!(choice(Some("dynalite"), &[], None), Ok(TargetChoice::Managed { members: vec!["dynalite"] }));
        assert_eq!(choice(Some("kinesis-mock+moto"), &[], None).unwrap().name(), "kinesis-mock+moto");
        let endpoint = choice(None, &["http://localhost:4566"], Some("localstack")).unwrap();
        assert_eq!(endpoint.name(), "localstack");
        assert!(matches!(choice(Some("endpoint"), &["kinesis=http://localhost:4567"], None), Ok(TargetChoice::Endpoint { .. })));

        assert!(choice(Some("kinesalite"), &["http://x:1"], None).unwrap_err().contains("--endpoint goes with --target endpoint"));
        assert!(choice(Some("kinesalite"), &[], Some("k")).unwrap_err().contains("--name goes with --target endpoint"));
        assert!(choice(Some("kinesalite+nope"), &[], None).unwrap_err().contains("unknown target `nope`"));
    }

    #[test]
    fn localstack_is_its_own_target() {
        assert_eq!(choice(Some("localstack"), &[], None), Ok(TargetChoice::LocalStack));
        assert_eq!(choice(Some("localstack"), &[], None).unwrap().name(), "localstack");
        assert!(choice(Some("localstack"), &["http://x:1"], None).unwrap_err().contains("--endpoint goes with --target endpoint"));
    }
}
