//! Targets: where specs run. A target maps each service to an endpoint, declares what it can do
//! (capabilities) and how slow it is (timing), and owns any process started for it.

mod endpoint;
pub mod install;
mod moto;
mod process;

use std::collections::{BTreeMap, BTreeSet};

pub use endpoint::parse_endpoints;
pub use process::ManagedProcess;

use crate::wire::ServiceEndpoint;

/// How waits scale on a target: emulators are instant, AWS may be slow to converge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Multiplies `eventually` timeouts and spec timeouts.
    pub scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Self { scale: 1.0 }
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
    pub timing: Timing,
    /// Kept alive for the run; stopped when the target is dropped or shut down.
    process: Option<ManagedProcess>,
}

impl Target {
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints.get(service)
    }

    /// Stops what the target started. Dropping does too, but this waits for the process to exit.
    pub async fn shutdown(mut self) {
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
    }
}

/// Which target to start, as the command line names it.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetChoice {
    /// moto_server, started on a free loopback port (the default).
    Moto,
    /// Already-running endpoints: one URL for every service, or one per service.
    Endpoint { name: String, urls: BTreeMap<String, String> },
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    NotInstalled(String),
    #[error("{what} did not start: {why}")]
    Start { what: String, why: String },
    #[error("{0}")]
    Config(String),
}

pub const DEFAULT_REGION: &str = "us-east-1";

pub async fn start(choice: &TargetChoice, region: &str) -> Result<Target, TargetError> {
    match choice {
        TargetChoice::Moto => moto::start(region).await,
        TargetChoice::Endpoint { name, urls } => endpoint::build(name, urls, region),
    }
}
