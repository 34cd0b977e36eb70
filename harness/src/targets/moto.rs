//! moto: one Python server that answers SQS, Kinesis, DynamoDB and DynamoDB Streams on one port.

use std::time::Duration;

use super::install::{self, MOTO};
use super::process::{free_port, ManagedProcess};
use super::{Target, TargetError, Timing};
use crate::services;
use crate::wire::ServiceEndpoint;

/// What moto does, so specs that need more are reported as gaps rather than failures.
/// moto stores TTL settings but never expires items, so `ttl-expiry` is absent.
const CAPABILITIES: [&str; 5] = ["fifo", "redrive", "streams", "ttl", "resharding"];

pub(super) async fn start(region: &str) -> Result<Target, TargetError> {
    let program = match install::locate(&MOTO, "CONFORM_MOTO_SERVER") {
        Some(program) => program,
        // First use on a new machine: install the pinned version rather than fail.
        None => tokio::task::spawn_blocking(|| MOTO.install(&mut |line| eprintln!("{line}")))
            .await
            .map_err(|e| TargetError::NotInstalled(e.to_string()))??,
    };
    let port = free_port().map_err(|e| TargetError::Start { what: "moto".into(), why: e.to_string() })?;
    let log = install::home().join("logs").join(format!("moto-{port}.log"));
    let args = ["-H".to_string(), "127.0.0.1".into(), "-p".into(), port.to_string()];
    let mut process = ManagedProcess::spawn("moto", &program, &args, port, log)?;
    process.wait_ready(Duration::from_secs(60)).await?;
    let url = process.url();
    Ok(Target {
        name: "moto".into(),
        version: version(&program),
        region: region.to_owned(),
        endpoints: services::ALL.into_iter().map(|s| (s.name, ServiceEndpoint::local(&url, region))).collect(),
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        timing: Timing::default(),
        process: Some(process),
    })
}

/// The moto version, asked of the Python that runs `moto_server` (its shebang line).
fn version(program: &std::path::Path) -> Option<String> {
    let script = std::fs::read_to_string(program).ok()?;
    let python = script.lines().next()?.strip_prefix("#!")?.trim().to_owned();
    let out = std::process::Command::new(python).args(["-c", "import moto; print(moto.__version__)"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
