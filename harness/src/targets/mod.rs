//! Targets: where specs run. A target maps each service to an endpoint, declares what it can do
//! (capabilities) and how slow it is (timing), and owns any process started for it.

pub mod aws;
pub mod config;
pub mod container;
mod endpoint;
mod host_libs;
pub mod install;
mod java;
pub mod localstack;
pub mod managed;
mod profiles;
mod orphans;
mod process;

use std::collections::{BTreeMap, BTreeSet};

pub use endpoint::parse_endpoints;
pub use orphans::children;
pub use process::ManagedProcess;

use crate::wire::ServiceEndpoint;

/// How waits scale on a target: emulators are instant, AWS may be slow to converge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Multiplies `eventually` timeouts and spec timeouts.
    pub scale: f64,
    /// At most this many specs at once, unless `--jobs` says otherwise: an emulator that fails
    /// under more load would turn its faults into errors.
    pub jobs: Option<usize>,
}

impl Default for Timing {
    fn default() -> Self {
        Self { scale: 1.0, jobs: None }
    }
}

/// A reachable target, ready for specs.
pub struct Target {
    /// The name reports and expectations files use (`moto`, `endpoint`, …).
    pub name: String,
    /// Emulator version or image tag, when known.
    pub version: Option<String>,
    pub region: String,
    pub endpoints: BTreeMap<&'static str, ServiceEndpoint>,
    pub capabilities: BTreeSet<String>,
    /// Why a service has no endpoint here, when that is known (reported with its gaps).
    pub gaps: BTreeMap<&'static str, &'static str>,
    pub timing: Timing,
    /// Kept alive for the run; stopped when the target is dropped or shut down.
    processes: Vec<ManagedProcess>,
}

impl Target {
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints.get(service)
    }

    /// Stops what the target started. Dropping does too, but this waits for the process to exit.
    pub async fn shutdown(self) {
        futures::future::join_all(self.processes.into_iter().map(ManagedProcess::stop)).await;
    }
}

/// Which target to start, as the command line names it.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetChoice {
    /// moto_server, started on a free loopback port (the default).
    Moto,
    /// Any other managed emulator, or several joined with `+` (`kinesalite+dynalite`), each
    /// started on its own port; each service goes to the first member that serves it.
    Managed { members: Vec<&'static str> },
    /// Already-running endpoints: one URL for every service, or one per service.
    Endpoint { name: String, urls: BTreeMap<String, String> },
    /// Real AWS: endpoints from the region, credentials from the default chain.
    Aws,
    /// LocalStack in a container started through testcontainers (needs a Docker engine).
    LocalStack,
    /// Any image, as a named target in `conform.toml` describes it (needs a Docker engine).
    Container { name: String, spec: Box<container::ContainerTarget> },
    /// A target named in `conform.toml`.
    Configured(Box<config::Configured>),
}

impl TargetChoice {
    /// Parses a managed target: `moto`, `kinesalite`, `dynalite`, `kinesis-mock` or a `+`
    /// combination of them. Rejects unknown or repeated names and members that would serve nothing.
    pub fn managed(choice: &str) -> Result<Self, TargetError> {
        let plan = managed::Plan::new(choice)?;
        let members: Vec<&'static str> = plan.members.iter().map(|(p, _)| p.emulator.name).collect();
        Ok(if members == ["moto"] { Self::Moto } else { Self::Managed { members } })
    }

    /// The name reports and expectations files use.
    pub fn name(&self) -> String {
        match self {
            Self::Moto => "moto".into(),
            Self::Managed { members } => members.join("+"),
            Self::Endpoint { name, .. } => name.clone(),
            Self::Aws => "aws".into(),
            Self::LocalStack => "localstack".into(),
            Self::Container { name, .. } => name.clone(),
            Self::Configured(c) => c.name.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    NotInstalled(String),
    #[error("{what} did not start: {why}")]
    Start { what: String, why: String },
    #[error("{0}")]
    Config(String),
    /// An endpoint already running somewhere does not answer.
    #[error("nothing answers at {url}: {why}")]
    Unreachable { url: String, why: String },
}

pub const DEFAULT_REGION: &str = "us-east-1";

pub async fn start(choice: &TargetChoice, region: &str) -> Result<Target, TargetError> {
    match choice {
        TargetChoice::Moto => managed::start("moto", region).await,
        TargetChoice::Managed { .. } => managed::start(&choice.name(), region).await,
        TargetChoice::Endpoint { name, urls } => {
            let target = endpoint::build(name, urls, region)?;
            endpoint::probe(&target).await?;
            Ok(target)
        }
        TargetChoice::Aws => aws::start(region).await,
        TargetChoice::LocalStack => localstack::start(region).await,
        TargetChoice::Container { name, spec } => container::start(spec, name, region).await,
        TargetChoice::Configured(configured) => {
            let mut target = Box::pin(start(&configured.inner, configured.region(region))).await?;
            configured.apply(&mut target);
            Ok(target)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_choices_parse_and_name_themselves() {
        assert_eq!(TargetChoice::managed("moto").unwrap(), TargetChoice::Moto);
        let choice = TargetChoice::managed("kinesalite + dynalite").unwrap();
        assert_eq!(choice, TargetChoice::Managed { members: vec!["kinesalite", "dynalite"] });
        assert_eq!(choice.name(), "kinesalite+dynalite");
        assert_eq!(TargetChoice::managed("kinesis-mock").unwrap().name(), "kinesis-mock");
        assert!(matches!(TargetChoice::managed("kinesalite+nope"), Err(TargetError::Config(_))));
        assert!(TargetChoice::managed("").is_err());
    }
}
