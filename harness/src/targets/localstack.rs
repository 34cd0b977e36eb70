//! LocalStack in a container, started through testcontainers once per run and removed at its end.
//!
//! The image: `CONFORM_LOCALSTACK_IMAGE` if set; else the image `fixtures/images/localstack/build`
//! makes from the pinned localstack-core, when the engine has it; else the official image, pinned.
//! Services are routed as the container's health reports them, so an image without DynamoDB makes
//! DynamoDB specs gaps, not failures. Needs a Docker engine: without one the target fails fast
//! (exit 3) and says to point `--endpoint` at a LocalStack that is already running instead.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerRequest, ImageExt};
use testcontainers_modules::localstack::LocalStack;

use super::process::ManagedProcess;
use super::{Target, TargetError, Timing};
use crate::wire::ServiceEndpoint;

/// The official image, pinned: reports and expectations carry the tag as the version.
pub const IMAGE: &str = "localstack/localstack";
pub const TAG: &str = "4.14.0";
/// What `fixtures/images/localstack/build` makes where no registry is reachable.
pub const LOCAL_IMAGE: &str = "conform/localstack";
pub const LOCAL_TAG: &str = "2026.3.0";
/// Names another image (`name:tag`) to run instead.
pub const IMAGE_VAR: &str = "CONFORM_LOCALSTACK_IMAGE";
/// The services conform asks for; all answer on the edge port.
pub const SERVICES: [&str; 6] = ["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"];
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

/// The image a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub name: String,
    pub tag: String,
}

impl Image {
    /// `CONFORM_LOCALSTACK_IMAGE` (`name:tag`), else the locally built image when the engine has
    /// it, else the pinned official one. Pure, for tests: the caller says what exists.
    pub fn choose(configured: Option<&str>, local_image_exists: bool) -> Result<Self, TargetError> {
        match configured.filter(|c| !c.is_empty()) {
            Some(text) => match text.rsplit_once(':').filter(|(n, t)| !n.is_empty() && !t.is_empty() && !t.contains('/')) {
                Some((name, tag)) => Ok(Self { name: name.into(), tag: tag.into() }),
                None => Err(TargetError::Config(format!("{IMAGE_VAR}=`{text}` is not `name:tag`"))),
            },
            None if local_image_exists => Ok(Self { name: LOCAL_IMAGE.into(), tag: LOCAL_TAG.into() }),
            None => Ok(Self { name: IMAGE.into(), tag: TAG.into() }),
        }
    }

    fn official(&self) -> bool {
        self.name == IMAGE
    }
}

impl std::fmt::Display for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// The container request: the image, and for the official one the services and the auth token.
/// Other images keep the settings they were built with. Pure, so tests can check it.
pub fn request(image: &Image, auth_token: Option<&str>) -> ContainerRequest<LocalStack> {
    let request = LocalStack::default().with_name(&image.name).with_tag(&image.tag).with_startup_timeout(STARTUP_TIMEOUT);
    if !image.official() {
        return request;
    }
    let request = request
        .with_env_var("SERVICES", SERVICES.join(","))
        // Load every service at start-up rather than on its first request, so the first specs
        // don't race service initialisation.
        .with_env_var("EAGER_SERVICE_LOADING", "1");
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
    let docker = testcontainers::core::client::docker_client_instance().await.map_err(|e| no_engine(&e.to_string()))?;
    let local = docker.inspect_image(&format!("{LOCAL_IMAGE}:{LOCAL_TAG}")).await.is_ok();
    let image = Image::choose(std::env::var(IMAGE_VAR).ok().as_deref(), local)?;
    let fail = |why: String| TargetError::Start { what: format!("{NAME} ({image})"), why };
    if !image.official() && docker.inspect_image(&image.to_string()).await.is_err() {
        return Err(fail(format!("the engine has no image {image}: build it (fixtures/images/localstack/build) or fix {IMAGE_VAR}")));
    }
    let token = std::env::var(AUTH_TOKEN_VAR).ok();
    eprintln!("starting {image}{}…", if image.official() { " (pulled on first use)" } else { "" });
    let container = request(&image, token.as_deref()).start().await.map_err(|e| fail(e.to_string()))?;
    let host = container.get_host().await.map_err(|e| fail(e.to_string()))?.to_string();
    let port = container.get_host_port_ipv4(EDGE_PORT).await.map_err(|e| fail(e.to_string()))?;
    let mut process = ManagedProcess::container(
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
    let served = match wait_healthy(&url).await {
        Ok(served) => served,
        Err(why) => {
            process.stop().await;
            return Err(fail(why));
        }
    };
    if let Err(e) = process.wait_serving(&served, region).await {
        process.stop().await;
        return Err(e);
    }
    let endpoints: BTreeMap<&'static str, ServiceEndpoint> =
        served.iter().map(|s| (*s, ServiceEndpoint::local(&url, region))).collect();
    let gaps = SERVICES
        .into_iter()
        .filter(|s| !served.contains(s))
        .map(|s| (s, "the LocalStack image does not run it (see /_localstack/health)"))
        .collect();
    Ok(Target {
        name: NAME.into(),
        version: Some(image.tag.clone()),
        region: region.to_owned(),
        endpoints,
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        gaps,
        timing: Timing::default(),
        processes: vec![process],
    })
}

/// Polls `/_localstack/health` until no service of ours is still starting; returns those that run.
async fn wait_healthy(url: &str) -> Result<Vec<&'static str>, String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < HEALTH_TIMEOUT {
        match client.get(format!("{url}/_localstack/health")).timeout(Duration::from_secs(2)).send().await {
            Ok(response) => match response.json::<serde_json::Value>().await {
                Ok(health) => {
                    let (served, pending) = service_states(&health);
                    if pending.is_empty() && !served.is_empty() {
                        return Ok(served);
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

/// Of our services, those a health answer shows running (or available), and those still coming
/// up. A service the image does not run (`disabled`, or absent) is neither.
fn service_states(health: &serde_json::Value) -> (Vec<&'static str>, Vec<&'static str>) {
    let state = |s: &str| health["services"][s].as_str().unwrap_or("absent").to_owned();
    let served = SERVICES.into_iter().filter(|s| matches!(state(s).as_str(), "available" | "running")).collect();
    let pending = SERVICES.into_iter().filter(|s| matches!(state(s).as_str(), "initializing" | "starting")).collect();
    (served, pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use testcontainers::Image;

    fn env(request: &ContainerRequest<LocalStack>) -> BTreeMap<String, String> {
        request.env_vars().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    fn official() -> super::Image {
        super::Image::choose(None, false).unwrap()
    }

    #[test]
    fn the_request_pins_the_image_and_asks_for_the_services() {
        let request = request(&official(), None);
        assert_eq!(request.image().name(), IMAGE);
        assert_eq!(request.descriptor(), format!("{IMAGE}:{TAG}"));
        assert!(TAG.starts_with("4.") && TAG.split('.').count() == 3, "pin a full 4.x.y tag, not {TAG}");
        let vars = env(&request);
        assert_eq!(vars.get("SERVICES").map(String::as_str), Some("sqs,kinesis,dynamodb,dynamodbstreams,sns,events"));
        assert!(!vars.contains_key(AUTH_TOKEN_VAR), "no token here, none passed");
        assert!(!env(&super::request(&official(), Some(""))).contains_key(AUTH_TOKEN_VAR), "an empty token is no token");
    }

    #[test]
    fn the_auth_token_is_passed_through_when_set() {
        let vars = env(&request(&official(), Some("ls-secret")));
        assert_eq!(vars.get(AUTH_TOKEN_VAR).map(String::as_str), Some("ls-secret"));
        assert!(vars.contains_key("SERVICES"));
    }

    #[test]
    fn the_image_is_the_configured_one_else_the_local_build_else_the_official() {
        let local = super::Image::choose(None, true).unwrap();
        assert_eq!(local.to_string(), format!("{LOCAL_IMAGE}:{LOCAL_TAG}"));
        assert!(env(&request(&local, Some("t"))).is_empty(), "a built image keeps its own settings");
        let mine = super::Image::choose(Some("registry.local:5000/ls:dev"), true).unwrap();
        assert_eq!((mine.name.as_str(), mine.tag.as_str()), ("registry.local:5000/ls", "dev"));
        assert!(super::Image::choose(Some("no-tag"), false).is_err());
        assert!(super::Image::choose(Some("registry.local:5000/ls"), false).is_err());
        assert_eq!(official().to_string(), format!("{IMAGE}:{TAG}"));
    }

    #[test]
    fn capabilities_are_known_and_leave_ttl_expiry_out() {
        for c in CAPABILITIES {
            assert!(crate::spec::CAPABILITIES.contains(&c), "{c}");
        }
        assert!(!CAPABILITIES.contains(&"ttl-expiry"));
    }

    #[test]
    fn health_tells_which_services_run_and_which_are_still_starting() {
        let health = serde_json::json!({ "services": {
            "sqs": "running", "kinesis": "available", "dynamodb": "disabled", "dynamodbstreams": "initializing", "s3": "disabled"
        }});
        assert_eq!(service_states(&health), (vec!["sqs", "kinesis"], vec!["dynamodbstreams"]));
        assert_eq!(service_states(&serde_json::json!({})), (vec![], vec![]));
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
