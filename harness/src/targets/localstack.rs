//! LocalStack in a container, started through testcontainers once per run and removed at its end.
//!
//! Needs a Docker engine. Where none answers, the target fails fast (exit 3) and says to point
//! `--endpoint` at a LocalStack that is already running instead.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerRequest, ImageExt};
use testcontainers_modules::localstack::LocalStack;

use super::process::ManagedProcess;
use super::{Target, TargetError, Timing};
use crate::wire::ServiceEndpoint;

/// The image, pinned: the one place its tag is set. Reports and expectations carry it as the version.
pub const IMAGE: &str = "localstack/localstack";
pub const TAG: &str = "4.14.0";
/// The services LocalStack is asked to run (its `SERVICES` setting), all on the edge port.
pub const SERVICES: [&str; 4] = ["sqs", "kinesis", "dynamodb", "dynamodbstreams"];
/// Passed into the container when set here (LocalStack's licensed features); never printed.
pub const AUTH_TOKEN_VAR: &str = "LOCALSTACK_AUTH_TOKEN";
/// What LocalStack really does. Its DynamoDB stores TTL settings, but expires items only in a
/// periodic background sweep (and only with DYNAMODB_REMOVE_EXPIRED_ITEMS), far beyond any spec's
/// `eventually` window: no `ttl-expiry`.
pub const CAPABILITIES: [&str; 5] = ["fifo", "redrive", "streams", "ttl", "resharding"];

const NAME: &str = "localstack";
/// LocalStack's edge port inside the container; every service answers on it.
const EDGE_PORT: u16 = 4566;
/// Pulling the image on first use is most of this.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the engine has to answer a ping before conform gives up on it.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The container request: the pinned image, the services, and the auth token when there is one.
/// Pure, so that tests can check it without an engine.
pub fn request(auth_token: Option<&str>) -> ContainerRequest<LocalStack> {
    let request = LocalStack::default()
        .with_tag(TAG)
        .with_env_var("SERVICES", SERVICES.join(","))
        // Load every service at start-up rather than on its first request, so the first specs
        // don't race service initialisation.
        .with_env_var("EAGER_SERVICE_LOADING", "1")
        .with_startup_timeout(STARTUP_TIMEOUT);
    match auth_token.filter(|t| !t.is_empty()) {
        Some(token) => request.with_env_var(AUTH_TOKEN_VAR, token),
        None => request,
    }
}

/// The message when no engine answers; `why` says what was tried.
pub fn no_engine(why: &str) -> TargetError {
    TargetError::Start {
        what: NAME.into(),
        why: format!(
            "no Docker engine answers ({why}): LocalStack via testcontainers needs one; \
             use --endpoint URL for a LocalStack that is already running \
             (e.g. --endpoint http://localhost:4566 --name localstack)"
        ),
    }
}

/// Asks the engine testcontainers would use (DOCKER_HOST, ~/.testcontainers.properties, the usual
/// sockets) for a ping, within a few seconds.
pub async fn probe_engine() -> Result<(), TargetError> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let ping = async {
        let docker = testcontainers::core::client::docker_client_instance().await.map_err(|e| e.to_string())?;
        docker.ping().await.map(drop).map_err(|e| e.to_string())
    };
    match tokio::time::timeout(PROBE_TIMEOUT, ping).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(no_engine(&format!("{host}: {e}"))),
        Err(_) => Err(no_engine(&format!("{host}: no answer within {PROBE_TIMEOUT:?}"))),
    }
}

pub(super) async fn start(region: &str) -> Result<Target, TargetError> {
    probe_engine().await?;
    let fail = |why: String| TargetError::Start { what: format!("{NAME} ({IMAGE}:{TAG})"), why };
    let token = std::env::var(AUTH_TOKEN_VAR).ok();
    eprintln!("starting {IMAGE}:{TAG} (pulled on first use)…");
    let container = request(token.as_deref()).start().await.map_err(|e| fail(e.to_string()))?;
    let host = container.get_host().await.map_err(|e| fail(e.to_string()))?.to_string();
    let port = container.get_host_port_ipv4(EDGE_PORT).await.map_err(|e| fail(e.to_string()))?;
    let process = ManagedProcess::container(
        NAME,
        host,
        port,
        Box::new(move || {
            Box::pin(async move {
                let _ = container.rm().await;
            })
        }),
    );
    let url = process.url();
    if let Err(why) = wait_healthy(&url).await {
        process.stop().await;
        return Err(fail(why));
    }
    let endpoints: BTreeMap<&'static str, ServiceEndpoint> =
        SERVICES.iter().map(|s| (*s, ServiceEndpoint::local(&url, region))).collect();
    Ok(Target {
        name: NAME.into(),
        version: Some(TAG.into()),
        region: region.to_owned(),
        endpoints,
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        gaps: Default::default(),
        timing: Timing::default(),
        processes: vec![process],
    })
}

/// Polls `/_localstack/health` until every service is `available` or `running`.
async fn wait_healthy(url: &str) -> Result<(), String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < HEALTH_TIMEOUT {
        match client.get(format!("{url}/_localstack/health")).timeout(Duration::from_secs(2)).send().await {
            Ok(response) => match response.json::<serde_json::Value>().await {
                Ok(health) => {
                    let pending = pending_services(&health);
                    if pending.is_empty() {
                        return Ok(());
                    }
                    last = format!("not ready: {}", pending.join(", "));
                }
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!("{url}/_localstack/health after {HEALTH_TIMEOUT:?}: {last}"))
}

/// The services a health answer does not show as `available` or `running`.
fn pending_services(health: &serde_json::Value) -> Vec<&'static str> {
    SERVICES
        .into_iter()
        .filter(|s| !matches!(health["services"][*s].as_str(), Some("available" | "running")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use testcontainers::Image;

    fn env(request: &ContainerRequest<LocalStack>) -> BTreeMap<String, String> {
        request.env_vars().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    #[test]
    fn the_request_pins_the_image_and_asks_for_the_services() {
        let request = request(None);
        assert_eq!(request.image().name(), IMAGE);
        assert_eq!(request.descriptor(), format!("{IMAGE}:{TAG}"));
        assert!(TAG.starts_with("4.") && TAG.split('.').count() == 3, "pin a full 4.x.y tag, not {TAG}");
        let vars = env(&request);
        assert_eq!(vars.get("SERVICES").map(String::as_str), Some("sqs,kinesis,dynamodb,dynamodbstreams"));
        assert!(!vars.contains_key(AUTH_TOKEN_VAR), "no token here, none passed");
        assert!(!env(&super::request(Some(""))).contains_key(AUTH_TOKEN_VAR), "an empty token is no token");
    }

    #[test]
    fn the_auth_token_is_passed_through_when_set() {
        let vars = env(&request(Some("ls-secret")));
        assert_eq!(vars.get(AUTH_TOKEN_VAR).map(String::as_str), Some("ls-secret"));
        assert!(vars.contains_key("SERVICES"));
    }

    #[test]
    fn capabilities_are_known_and_leave_ttl_expiry_out() {
        for c in CAPABILITIES {
            assert!(crate::spec::CAPABILITIES.contains(&c), "{c}");
        }
        assert!(!CAPABILITIES.contains(&"ttl-expiry"));
    }

    #[test]
    fn health_is_ready_when_every_service_is_available_or_running() {
        let health = serde_json::json!({ "services": {
            "sqs": "running", "kinesis": "available", "dynamodb": "available", "dynamodbstreams": "initializing", "s3": "disabled"
        }});
        assert_eq!(pending_services(&health), ["dynamodbstreams"]);
        assert_eq!(pending_services(&serde_json::json!({})), SERVICES);
    }

    /// These machines have the docker CLI but no engine: the probe must say so, quickly.
    #[tokio::test(flavor = "multi_thread")]
    async fn without_an_engine_the_probe_fails_fast_and_clearly() {
        let started = Instant::now();
        match probe_engine().await {
            Ok(()) => eprintln!("a Docker engine answers here; nothing to check"),
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains("no Docker engine answers ("), "{message}");
                assert!(message.contains("use --endpoint URL for a LocalStack that is already running"), "{message}");
                assert!(!matches!(e, TargetError::Config(_)), "exit 3, not 2");
            }
        }
        assert!(started.elapsed() < PROBE_TIMEOUT + Duration::from_secs(2));
    }
}
