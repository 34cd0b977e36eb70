//! Managed emulators: programs conform installs (pinned), starts on a free loopback port and stops.
//!
//! One table says, per emulator, how to start it on a port, which services it answers and what it
//! can do. A managed target is one emulator (`kinesalite`) or several joined with `+`
//! (`kinesalite+dynalite`): each service goes to the first member that serves it, and a service no
//! member serves is absent, so its specs are skipped as gaps.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::install::{self, Emulator, Registry, DYNALITE, DYNAMODB_LOCAL, KINESALITE, KINESIS_MOCK, LOCALSTACK_HOST, MOTO};
use super::process::{free_port, ManagedProcess};
use super::{Target, TargetError, Timing};
use crate::services;
use crate::wire::ServiceEndpoint;

/// How conform runs one managed emulator.
#[derive(Debug)]
pub struct Profile {
    pub emulator: &'static Emulator,
    /// The services it answers, all on its one port.
    pub services: &'static [&'static str],
    /// What it really does (a subset of `spec::CAPABILITIES`), so that specs needing more are
    /// reported as gaps rather than failures. Claimed only where the emulator implements the
    /// behaviour, not merely accepts the request.
    pub capabilities: &'static [&'static str],
    /// Services it could serve but cannot here, and why: their specs are gaps that say so.
    pub unserved: &'static [(&'static str, &'static str)],
    /// Arguments after the program. `{port}`, `{region}`, `{package}` (the directory holding the
    /// package's `package.json`), `{home}` (the install directory) and `{state}` (a fresh
    /// directory for this start) are substituted here and in `env`.
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// Run in the package directory rather than conform's.
    cwd_package: bool,
    /// A log line that says the emulator is ready; otherwise any HTTP answer on its port does.
    ready_line: Option<&'static str>,
    /// The most specs it serves at once without failing (see `Timing::jobs`).
    jobs: Option<usize>,
}

pub const PROFILES: [Profile; 6] = [
    Profile {
        emulator: &MOTO,
        services: &["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"],
        // moto stores TTL settings but never expires items: no `ttl-expiry`.
        capabilities: &["fifo", "redrive", "streams", "ttl", "resharding"],
        args: &["-H", "127.0.0.1", "-p", "{port}"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &KINESALITE,
        services: &["kinesis"],
        // SplitShard and MergeShards are implemented (UpdateShardCount is not).
        capabilities: &["resharding"],
        // Its default shard limit (10) is below AWS's default quota (500 in us-east-1, 200
        // elsewhere) and is hit by specs running concurrently; 500 is AWS's.
        args: &["--port", "{port}", "--shardLimit", "500"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &DYNALITE,
        services: &["dynamodb"],
        // No DynamoDB Streams endpoint (StreamSpecification is ignored), no UpdateTimeToLive
        // (DescribeTimeToLive always answers DISABLED): nothing to claim.
        capabilities: &[],
        args: &["--host", "127.0.0.1", "--port", "{port}"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &KINESIS_MOCK,
        services: &["kinesis"],
        // SplitShard, MergeShards and UpdateShardCount are implemented.
        capabilities: &["resharding"],
        // kinesis-local serves plain HTTP on KINESIS_MOCK_PLAIN_PORT and HTTPS on
        // KINESIS_MOCK_TLS_PORT (0: any free port, unused) with the self-signed certificate in
        // `server.json`, which it reads from the working directory unless KINESIS_MOCK_CERT_PATH
        // says otherwise. It listens on every interface; it has no host setting.
        args: &[],
        env: &[
            ("KINESIS_MOCK_PLAIN_PORT", "{port}"),
            ("KINESIS_MOCK_TLS_PORT", "0"),
            ("KINESIS_MOCK_CERT_PATH", "{package}/server.json"),
            ("AWS_REGION", "{region}"),
            // Default 50; AWS's default quota is 500 (see kinesalite above).
            ("SHARD_LIMIT", "500"),
        ],
        cwd_package: true,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &LOCALSTACK_HOST,
        services: &["sqs", "kinesis", "sns", "events"],
        capabilities: &["fifo", "redrive", "resharding"],
        // LocalStack's DynamoDB is AWS's DynamoDB Local, downloaded from AWS at run time: no
        // registry these machines reach supplies it.
        unserved: &[
            ("dynamodb", "LocalStack's DynamoDB is DynamoDB Local, which only AWS's download site supplies"),
            ("dynamodbstreams", "LocalStack's DynamoDB Streams needs its DynamoDB (DynamoDB Local)"),
        ],
        args: &["-m", "localstack.runtime.main"],
        // The measured host recipe (environment-notes.md). OVERRIDE_IN_DOCKER=0: a machine with
        // /.dockerenv would otherwise make LocalStack use, and wipe, its container folders.
        // SQS_ENDPOINT_STRATEGY=path: queue URLs on this port rather than an unresolvable host.
        env: &[
            ("GATEWAY_LISTEN", "127.0.0.1:{port}"),
            ("LOCALSTACK_HOST", "127.0.0.1:{port}"),
            ("SERVICES", "sqs,kinesis,sns,events"),
            ("EAGER_SERVICE_LOADING", "1"),
            ("DNS_ADDRESS", "0"),
            ("SKIP_SSL_CERT_DOWNLOAD", "1"),
            ("DISABLE_EVENTS", "1"),
            ("OVERRIDE_IN_DOCKER", "0"),
            ("FILESYSTEM_ROOT", "{state}"),
            ("SQS_ENDPOINT_STRATEGY", "path"),
            ("PERSISTENCE", "0"),
            ("KINESIS_LATENCY", "0"),
            // AWS's default shard quota, as for kinesalite above (LocalStack's default is 100).
            ("KINESIS_SHARD_LIMIT", "500"),
        ],
        cwd_package: false,
        ready_line: Some("Ready."),
        jobs: None,
    },
    Profile {
        emulator: &DYNAMODB_LOCAL,
        services: &["dynamodb", "dynamodbstreams"],
        // Streams and TTL settings answer; expired items are deleted by a background sweep, far
        // beyond a spec's wait (as on LocalStack, which runs this engine): no `ttl-expiry`.
        capabilities: &["streams", "ttl"],
        unserved: &[],
        // In memory, and never phoning home: these machines reach no network.
        args: &["-inMemory", "-disableTelemetry", "-port", "{port}"],
        env: &[],
        cwd_package: false,
        ready_line: None,
        // Creating tables with indexes, 16 at once, it answers InternalFailure now and then.
        jobs: Some(4),
    },
];

/// The service(s) each capability is a behaviour of. A composite target has a capability when the
/// member serving all of those services has it: `streams` needs DynamoDB and DynamoDB Streams from
/// the same emulator, since a stream belongs to the server that holds its table.
const CAPABILITY_SERVICES: [(&str, &[&str]); 6] = [
    ("fifo", &["sqs"]),
    ("redrive", &["sqs"]),
    ("streams", &["dynamodb", "dynamodbstreams"]),
    ("ttl", &["dynamodb"]),
    ("ttl-expiry", &["dynamodb"]),
    ("resharding", &["kinesis"]),
];

/// A service that can only be served by the member serving another: DynamoDB Streams reads the
/// streams of tables, so it goes with DynamoDB or not at all; SNS topics and EventBridge rules
/// deliver to queues, so they go with SQS.
const FOLLOWS: [(&str, &str); 3] = [("dynamodbstreams", "dynamodb"), ("sns", "sqs"), ("events", "sqs")];

pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.emulator.name == name)
}

/// A managed target before anything starts: which member serves which services.
#[derive(Debug)]
pub struct Plan {
    /// The members, in the order named, each with the services routed to it.
    pub members: Vec<(&'static Profile, Vec<&'static str>)>,
    pub capabilities: BTreeSet<String>,
    /// Services no member serves, that a member would serve elsewhere: why not here.
    pub gaps: std::collections::BTreeMap<&'static str, &'static str>,
}

impl Plan {
    /// Plans `kinesalite+dynalite` (or one emulator's name): routes each service to the first
    /// member that serves it and works out the capabilities.
    pub fn new(choice: &str) -> Result<Self, TargetError> {
        let mut profiles: Vec<&'static Profile> = Vec::new();
        for name in choice.split('+').map(str::trim) {
            let profile = profile(name).ok_or_else(|| {
                TargetError::Config(format!(
                    "unknown target `{name}`{}: use {}, endpoint, localstack (alone), or emulators joined with + (e.g. kinesalite+dynalite)",
                    if name == choice { String::new() } else { format!(" in `{choice}`") },
                    install::names().join(", ")
                ))
            })?;
            if profiles.iter().any(|p| std::ptr::eq(*p, profile)) {
                return Err(TargetError::Config(format!("`{choice}` names {name} twice")));
            }
            profiles.push(profile);
        }
        let mut members: Vec<(&'static Profile, Vec<&'static str>)> = profiles.iter().map(|p| (*p, Vec::new())).collect();
        for service in services::ALL {
            let owner = match FOLLOWS.iter().find(|(s, _)| *s == service.name) {
                Some((_, leader)) if profiles.iter().any(|p| p.services.contains(leader)) => {
                    profiles.iter().position(|p| p.services.contains(leader)).filter(|&i| profiles[i].services.contains(&service.name))
                }
                _ => profiles.iter().position(|p| p.services.contains(&service.name)),
            };
            if let Some(i) = owner {
                members[i].1.push(service.name);
            }
        }
        if let Some((idle, _)) = members.iter().find(|(_, routed)| routed.is_empty()) {
            let taken: Vec<String> = idle
                .services
                .iter()
                .filter_map(|s| members.iter().find(|(_, routed)| routed.contains(s)).map(|(o, _)| (s, o)))
                .map(|(s, owner)| format!("{s} goes to {}", owner.emulator.name))
                .collect();
            return Err(TargetError::Config(format!(
                "in `{choice}`, {} would serve nothing ({}): name it earlier or leave it out",
                idle.emulator.name,
                taken.join(", ")
            )));
        }
        let capabilities = CAPABILITY_SERVICES
            .iter()
            .filter(|(capability, homes)| {
                let owners: BTreeSet<usize> =
                    homes.iter().filter_map(|h| members.iter().position(|(_, routed)| routed.contains(h))).collect();
                let served = homes.iter().all(|h| members.iter().any(|(_, routed)| routed.contains(h)));
                served && owners.len() == 1 && members[*owners.first().expect("one owner")].0.capabilities.contains(capability)
            })
            .map(|(capability, _)| capability.to_string())
            .collect();
        let gaps = services::ALL
            .iter()
            .filter(|s| !members.iter().any(|(_, routed)| routed.contains(&s.name)))
            .filter_map(|s| profiles.iter().flat_map(|p| p.unserved).find(|(u, _)| *u == s.name).map(|(_, why)| (s.name, *why)))
            .collect();
        Ok(Self { members, capabilities, gaps })
    }
}

/// Starts every member of `choice` (installing any that is missing) and routes services to them.
pub(super) async fn start(choice: &str, region: &str) -> Result<Target, TargetError> {
    let plan = Plan::new(choice)?;
    let started = futures::future::try_join_all(plan.members.iter().map(|(profile, routed)| async move {
        let (mut process, version) = start_one(profile, region).await?;
        process.wait_serving(routed, region).await?;
        Ok::<_, TargetError>((process, version))
    }))
    .await?;
    let mut endpoints = std::collections::BTreeMap::new();
    let mut versions = Vec::new();
    let mut processes = Vec::new();
    for ((_, routed), (process, version)) in plan.members.iter().zip(started) {
        for service in routed {
            endpoints.insert(*service, ServiceEndpoint::local(process.url(), region));
        }
        versions.push(version);
        processes.push(process);
    }
    let version = if versions.iter().all(Option::is_none) {
        None
    } else {
        Some(versions.into_iter().map(|v| v.unwrap_or_else(|| "?".into())).collect::<Vec<_>>().join("+"))
    };
    Ok(Target {
        name: choice.to_owned(),
        version,
        region: region.to_owned(),
        endpoints,
        capabilities: plan.capabilities,
        gaps: plan.gaps,
        timing: Timing { jobs: plan.members.iter().filter_map(|(p, _)| p.jobs).min(), ..Timing::default() },
        processes,
    })
}

async fn start_one(profile: &'static Profile, region: &str) -> Result<(ManagedProcess, Option<String>), TargetError> {
    let emulator = profile.emulator;
    let program = match emulator.locate() {
        Some(program) => program,
        // First use on a new machine: install the pinned version rather than fail.
        None => tokio::task::spawn_blocking(move || emulator.install(&mut |line| eprintln!("{line}")))
            .await
            .map_err(|e| TargetError::NotInstalled(e.to_string()))??,
    };
    let fail = |why: String| TargetError::Start { what: emulator.name.into(), why };
    let port = free_port().map_err(|e| fail(e.to_string()))?;
    let package = package_dir(&program);
    let state = fresh_state_dir(emulator, port).map_err(|e| fail(format!("cannot prepare its state directory: {e}")))?;
    let substitute = |text: &str| {
        text.replace("{port}", &port.to_string())
            .replace("{region}", region)
            .replace("{package}", &package.as_deref().unwrap_or(Path::new(".")).display().to_string())
            .replace("{home}", &emulator.dir().display().to_string())
            .replace("{state}", &state.display().to_string())
    };
    let mut command = match emulator.registry {
        Registry::PyPi => tokio::process::Command::new(&program),
        Registry::Npm => {
            let mut command = tokio::process::Command::new(install::node());
            command.arg(&program);
            command
        }
        Registry::NpmJar => {
            let mut command = tokio::process::Command::new(install::java().map_err(fail)?);
            let libraries = program.parent().unwrap_or(Path::new(".")).join("DynamoDBLocal_lib");
            command.arg(format!("-Djava.library.path={}", libraries.display())).arg("-jar").arg(&program);
            command
        }
    };
    command.args(profile.args.iter().map(|a| substitute(a)));
    command.envs(profile.env.iter().map(|(k, v)| (k, substitute(v))));
    if profile.cwd_package {
        let dir = package.as_deref().ok_or_else(|| fail(format!("no package.json above {}", program.display())))?;
        command.current_dir(dir);
    }
    let log = install::home().join("logs").join(format!("{}-{port}.log", emulator.name));
    let marker = (!emulator.npm_extras.is_empty()).then(|| state.display().to_string());
    let mut process = ManagedProcess::spawn(emulator.name, command, port, log, marker)?;
    process.wait_ready(Duration::from_secs(60), profile.ready_line).await?;
    Ok((process, version(emulator, &program, package.as_deref())))
}

/// `<install dir>/state/<port>`, empty, for an emulator that keeps files while it runs; the static
/// libraries installed beside it (`lib/`) are linked in where LocalStack looks for them
/// (`usr/lib/localstack` under its `FILESYSTEM_ROOT`). Earlier runs' directories are removed.
fn fresh_state_dir(emulator: &Emulator, port: u16) -> std::io::Result<PathBuf> {
    let states = emulator.dir().join("state");
    let dir = states.join(port.to_string());
    if emulator.npm_extras.is_empty() {
        return Ok(dir);
    }
    // A state directory whose LocalStack still runs belongs to another conform run: its files are
    // in use. Only this port's, which nothing listens on, is certainly stale.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(dir.join("usr/lib"))?;
    std::os::unix::fs::symlink(emulator.dir().join("lib"), dir.join("usr/lib/localstack"))?;
    Ok(dir)
}

/// The directory of the npm package a program belongs to: the first directory above the
/// program's real path (`node_modules/.bin/x` is a link into the package) with a `package.json`.
fn package_dir(program: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(program).ok()?;
    real.ancestors().skip(1).find(|d| d.join("package.json").is_file()).map(Path::to_path_buf)
}

/// The version of the program that actually runs (which may not be the managed install).
fn version(emulator: &Emulator, program: &Path, package: Option<&Path>) -> Option<String> {
    match emulator.registry {
        Registry::Npm => install::package_json_version(package?),
        Registry::NpmJar => install::package_json_version(&emulator.dir().join("node_modules").join(emulator.package)),
        // Asked of the Python that runs the script: its shebang's (`/usr/bin/env python3` too), else,
        // for a wrapper such as a pyenv shim, the `python3` that the wrapper's `PATH` resolves.
        Registry::PyPi => {
            let script = std::fs::read_to_string(program).unwrap_or_default();
            let shebang: Vec<String> = script.lines().next().and_then(|l| l.strip_prefix("#!")).unwrap_or("").split_whitespace().map(str::to_owned).collect();
            let is_python = program.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("python"));
            let python = match shebang.as_slice() {
                _ if is_python => program.display().to_string(),
                [env, python, ..] if env.ends_with("/env") && python.contains("python") => python.clone(),
                [python, ..] if python.contains("python") => python.clone(),
                _ => "python3".to_owned(),
            };
            let dist = emulator.package.split('[').next()?;
            let out = std::process::Command::new(python)
                .args(["-c", &format!("import importlib.metadata as m; print(m.version('{dist}'))")])
                .output()
                .ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::CAPABILITIES;

    fn routes(plan: &Plan) -> Vec<(&'static str, Vec<&'static str>)> {
        plan.members.iter().map(|(p, s)| (p.emulator.name, s.clone())).collect()
    }

    fn caps(plan: &Plan) -> Vec<&str> {
        plan.capabilities.iter().map(String::as_str).collect()
    }

    #[test]
    fn every_emulator_has_a_profile_with_known_services_and_capabilities() {
        for emulator in install::EMULATORS {
            assert!(profile(emulator.name).is_some(), "{} has no profile", emulator.name);
        }
        for p in &PROFILES {
            assert!(p.services.iter().all(|s| services::by_name(s).is_some()), "{}", p.emulator.name);
            assert!(p.capabilities.iter().all(|c| CAPABILITIES.contains(c)), "{}", p.emulator.name);
        }
        for c in CAPABILITIES {
            assert!(CAPABILITY_SERVICES.iter().any(|(k, _)| *k == c), "capability {c} has no service");
        }
    }

    #[test]
    fn one_emulator_keeps_what_it_serves_and_claims() {
        let moto = Plan::new("moto").unwrap();
        assert_eq!(routes(&moto), [("moto", vec!["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"])]);
        assert_eq!(caps(&moto), ["fifo", "redrive", "resharding", "streams", "ttl"]);
        let dynalite = Plan::new("dynalite").unwrap();
        assert_eq!(routes(&dynalite), [("dynalite", vec!["dynamodb"])]);
        assert!(dynalite.capabilities.is_empty());
        assert_eq!(caps(&Plan::new("kinesis-mock").unwrap()), ["resharding"]);
    }

    #[test]
    fn composites_route_each_service_to_the_first_member_serving_it() {
        let plan = Plan::new("kinesalite+dynalite").unwrap();
        assert_eq!(routes(&plan), [("kinesalite", vec!["kinesis"]), ("dynalite", vec!["dynamodb"])]);
        assert_eq!(caps(&plan), ["resharding"]);

        // moto fills in SQS; DynamoDB Streams stays with DynamoDB, so dynalite's tables have no
        // streams even though moto serves the Streams API.
        let plan = Plan::new("kinesis-mock+dynalite+moto").unwrap();
        assert_eq!(
            routes(&plan),
            [("kinesis-mock", vec!["kinesis"]), ("dynalite", vec!["dynamodb"]), ("moto", vec!["sqs", "sns", "events"])]
        );
        assert_eq!(caps(&plan), ["fifo", "redrive", "resharding"]);

        let plan = Plan::new("kinesalite+moto").unwrap();
        assert_eq!(routes(&plan), [("kinesalite", vec!["kinesis"]), ("moto", vec!["sqs", "dynamodb", "dynamodbstreams", "sns", "events"])]);
        assert_eq!(caps(&plan), ["fifo", "redrive", "resharding", "streams", "ttl"]);
    }

    #[test]
    fn localstack_on_the_host_serves_sqs_and_kinesis_and_says_why_not_dynamodb() {
        let plan = Plan::new("localstack-host").unwrap();
        assert_eq!(routes(&plan), [("localstack-host", vec!["sqs", "kinesis", "sns", "events"])]);
        assert_eq!(caps(&plan), ["fifo", "redrive", "resharding"]);
        assert!(plan.gaps["dynamodb"].contains("DynamoDB Local"));
        // moto fills the gap, and then there is none.
        let plan = Plan::new("localstack-host+moto").unwrap();
        assert_eq!(routes(&plan), [("localstack-host", vec!["sqs", "kinesis", "sns", "events"]), ("moto", vec!["dynamodb", "dynamodbstreams"])]);
        assert!(plan.gaps.is_empty());
        assert_eq!(caps(&plan), ["fifo", "redrive", "resharding", "streams", "ttl"]);
    }

    #[test]
    fn rejects_unknown_duplicate_and_idle_members() {
        let err = |choice: &str| Plan::new(choice).unwrap_err().to_string();
        assert!(err("kinesalite+redis").contains("unknown target `redis` in `kinesalite+redis`"), "{}", err("kinesalite+redis"));
        assert!(err("localstack").contains("use moto, kinesalite, dynalite, kinesis-mock, localstack-host, dynamodb-local, endpoint"), "{}", err("localstack"));
        assert!(err("dynalite+dynalite").contains("names dynalite twice"));
        assert!(err("moto+kinesalite").contains("kinesalite would serve nothing"));
        assert!(err("kinesalite+kinesis-mock").contains("kinesis-mock would serve nothing"));
    }

    #[test]
    fn finds_the_package_behind_a_bin_link() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("node_modules/kinesalite");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/.bin")).unwrap();
        std::fs::write(package.join("package.json"), r#"{ "version": "3.3.3" }"#).unwrap();
        std::fs::write(package.join("cli.js"), "").unwrap();
        let bin = dir.path().join("node_modules/.bin/kinesalite");
        std::os::unix::fs::symlink("../kinesalite/cli.js", &bin).unwrap();
        assert_eq!(package_dir(&bin).unwrap(), std::fs::canonicalize(&package).unwrap());
        assert_eq!(version(&KINESALITE, &bin, package_dir(&bin).as_deref()).as_deref(), Some("3.3.3"));
    }
}
