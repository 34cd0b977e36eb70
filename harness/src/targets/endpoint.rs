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

    #[test]
    fn rejects_unknown_services_and_non_urls() {
        assert!(parse_endpoints(&["sms=http://x".into()]).unwrap_err().to_string().contains("unknown service `sms`"));
        assert!(parse_endpoints(&["localhost:4566".into()]).is_err());
    }
}
