//! A target that is already running somewhere: LocalStack on :4566, a shared emulator, any URL.

use std::collections::BTreeMap;

use super::{Target, TargetError, Timing};
use crate::services;
use crate::spec::CAPABILITIES;
use crate::wire::ServiceEndpoint;

/// Parses `--endpoint` values: `URL` (every service) or `SERVICE=URL` (one service).
pub fn parse_endpoints(values: &[String]) -> Result<BTreeMap<String, String>, TargetError> {
    let mut urls = BTreeMap::new();
    for value in values {
        let (service, url) = match value.split_once('=') {
            Some((s, u)) if !s.contains("://") => (s.to_owned(), u.to_owned()),
            _ => ("*".to_owned(), value.clone()),
        };
        if service != "*" && services::by_name(&service).is_none() {
            return Err(TargetError::Config(format!(
                "--endpoint {value}: unknown service `{service}` (known: {})",
                services::names().collect::<Vec<_>>().join(", ")
            )));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(TargetError::Config(format!("--endpoint {value}: `{url}` is not an http(s) URL")));
        }
        urls.insert(service, url.trim_end_matches('/').to_owned());
    }
    Ok(urls)
}

pub(super) fn build(name: &str, urls: &BTreeMap<String, String>, region: &str) -> Result<Target, TargetError> {
    if urls.is_empty() {
        return Err(TargetError::Config("the endpoint target needs --endpoint URL or --endpoint SERVICE=URL".into()));
    }
    let endpoints = services::ALL
        .into_iter()
        .filter_map(|s| urls.get(s.name).or_else(|| urls.get("*")).map(|url| (s.name, ServiceEndpoint::local(url, region))))
        .collect();
    Ok(Target {
        name: name.to_owned(),
        version: None,
        region: region.to_owned(),
        endpoints,
        // Nothing is known about an arbitrary endpoint; specs run and the results tell.
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        gaps: Default::default(),
        timing: Timing::default(),
        processes: Vec::new(),
    })
}

/// Each endpoint accepts a connection within seconds: a URL where nothing listens is the target's
/// trouble, said at once (exit 3), before any spec creates anything or waits for an answer.
pub(super) async fn probe(target: &Target) -> Result<(), TargetError> {
    let urls: std::collections::BTreeSet<&str> = target.endpoints.values().map(|e| e.url.as_str()).collect();
    for url in urls {
        let parsed = reqwest::Url::parse(url).map_err(|e| TargetError::Config(format!("--endpoint `{url}`: {e}")))?;
        let address = (parsed.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned(), parsed.port_or_known_default().unwrap_or(80));
        let unreachable = |why: String| TargetError::Unreachable { url: url.to_owned(), why };
        match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(unreachable(format!("cannot connect ({e}); is the service running there?"))),
            Err(_) => return Err(unreachable(format!("no connection within {}s", PROBE_TIMEOUT.as_secs()))),
        }
    }
    Ok(())
}

const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_serves_every_service_and_overrides_win() {
        let urls = parse_endpoints(&["http://localhost:4566".into(), "kinesis=http://localhost:4567/".into()]).unwrap();
        let target = build("localstack", &urls, "eu-west-1").unwrap();
        assert_eq!(target.endpoint("sqs").unwrap().url, "http://localhost:4566");
        assert_eq!(target.endpoint("kinesis").unwrap().url, "http://localhost:4567");
        assert_eq!(target.endpoint("dynamodbstreams").unwrap().region, "eu-west-1");
    }

    #[test]
    fn per_service_endpoints_leave_other_services_out() {
        let urls = parse_endpoints(&["dynamodb=http://127.0.0.1:8000".into()]).unwrap();
        let target = build("dynalite", &urls, "us-east-1").unwrap();
        assert!(target.endpoint("sqs").is_none());
        assert!(target.endpoint("dynamodb").is_some());
    }

    #[tokio::test]
    async fn an_endpoint_where_nothing_listens_is_refused_at_once() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let urls = parse_endpoints(&[format!("http://127.0.0.1:{port}")]).unwrap();
        let err = probe(&build("endpoint", &urls, "us-east-1").unwrap()).await.unwrap_err().to_string();
        assert!(err.contains(&format!("nothing answers at http://127.0.0.1:{port}: cannot connect")), "{err}");
    }

    #[test]
    fn rejects_unknown_services_and_non_urls() {
        assert!(parse_endpoints(&["sms=http://x".into()]).unwrap_err().to_string().contains("unknown service `sms`"));
        assert!(parse_endpoints(&["localhost:4566".into()]).is_err());
    }
}
