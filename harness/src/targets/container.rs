//! Any container image as a target, named in `conform.toml`: users have images of ElasticMQ,
//! DynamoDB Local, moto or LocalStack. testcontainers starts it once per run and removes it.
//!
//! ```toml
//! [targets.elasticmq]
//! image = "softwaremill/elasticmq-native:1.6.9"
//! port = 9324                       # the port every service answers on, inside the container
//! services = ["sqs"]
//! ready-log = "started"             # a line on stdout or stderr; and/or
//! ready-path = "/health"            # an HTTP path that answers 2xx
//! env = { JAVA_OPTS = "-Xmx256m" }
//! capabilities = ["fifo", "redrive"]
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

use super::localstack::{probe_engine, Image};
use super::process::ManagedProcess;
use super::{Target, TargetError, Timing};
use crate::wire::ServiceEndpoint;

/// A container target as the configuration file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerTarget {
    pub image: Image,
    pub port: u16,
    pub services: Vec<&'static str>,
    pub ready_log: Option<String>,
    pub ready_path: Option<String>,
    pub env: BTreeMap<String, String>,
}

const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) async fn start(spec: &ContainerTarget, name: &str, region: &str) -> Result<Target, TargetError> {
    probe_engine().await?;
    let fail = |why: String| TargetError::Start { what: format!("{name} ({})", spec.image), why };
    let mut image = GenericImage::new(spec.image.name.clone(), spec.image.tag.clone()).with_exposed_port(spec.port.tcp());
    if let Some(line) = &spec.ready_log {
        image = image.with_wait_for(WaitFor::message_on_either_std(line.clone()));
    }
    let request = spec.env.iter().fold(image.with_startup_timeout(STARTUP_TIMEOUT), |r, (k, v)| r.with_env_var(k, v));
    let container = request.start().await.map_err(|e| fail(e.to_string()))?;
    let host = container.get_host().await.map_err(|e| fail(e.to_string()))?.to_string();
    let port = container.get_host_port_ipv4(spec.port).await.map_err(|e| fail(e.to_string()))?;
    let mut process = ManagedProcess::container(
        name,
        host,
        port,
        Box::new(move || {
            Box::pin(async move {
                let _ = container.rm().await;
            })
        }),
    );
    let ready = async {
        if let Some(path) = &spec.ready_path {
            wait_for_path(&process.url(), path).await.map_err(fail)?;
        }
        process.wait_serving(&spec.services, region).await
    };
    if let Err(e) = ready.await {
        process.stop().await;
        return Err(e);
    }
    let url = process.url();
    Ok(Target {
        name: name.to_owned(),
        version: Some(spec.image.tag.clone()),
        region: region.to_owned(),
        endpoints: spec.services.iter().map(|s| (*s, ServiceEndpoint::local(&url, region))).collect(),
        // What the image can do is for the configuration's `capabilities` to say.
        capabilities: Default::default(),
        gaps: Default::default(),
        timing: Timing::default(),
        processes: vec![process],
    })
}

async fn wait_for_path(url: &str, path: &str) -> Result<(), String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < READY_TIMEOUT {
        match client.get(format!("{url}{path}")).timeout(Duration::from_secs(2)).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("{url}{path} not ready within {READY_TIMEOUT:?}: {last}"))
}
