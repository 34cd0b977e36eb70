//! Real AWS: endpoints from the region, credentials from the standard chain (environment, profile,
//! SSO, process, IMDS…). Credentials are only ever handed to the signer: never printed or stored.

use std::collections::BTreeSet;

use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::{Target, TargetError, Timing};
use crate::services;
use crate::spec::CAPABILITIES;
use crate::wire::ServiceEndpoint;

/// Environment variable listing the AWS accounts conform may create resources in (comma-separated).
pub const ACCOUNTS_VAR: &str = "CONFORM_AWS_ACCOUNTS";

/// AWS converges slower than an emulator: waits are scaled up by this much.
pub const TIMING_SCALE: f64 = 10.0;

/// The SDK configuration for `region`, credentials from the default chain.
pub async fn sdk_config(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned())).load().await
}

/// The `aws` target built from an SDK configuration.
pub fn target(config: &SdkConfig, region: &str) -> Result<Target, TargetError> {
    let credentials = config.credentials_provider().ok_or_else(|| {
        TargetError::Config("no AWS credentials found (environment, profile, SSO or instance role)".into())
    })?;
    let endpoints = services::ALL
        .into_iter()
        .map(|s| {
            let endpoint =
                ServiceEndpoint { url: s.aws_endpoint(region), region: region.to_owned(), credentials: credentials.clone() };
            (s.name, endpoint)
        })
        .collect();
    Ok(Target {
        name: "aws".into(),
        version: None,
        region: region.to_owned(),
        endpoints,
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        gaps: Default::default(),
        timing: Timing { scale: TIMING_SCALE, ..Timing::default() },
        processes: Vec::new(),
    })
}

pub(super) async fn start(region: &str) -> Result<Target, TargetError> {
    target(&sdk_config(region).await, region)
}

/// The account the configured credentials belong to (STS GetCallerIdentity). `sts_endpoint`
/// replaces AWS's STS endpoint (tests point it at a fake).
pub async fn caller_account(config: &SdkConfig, sts_endpoint: Option<&str>) -> Result<String, String> {
    let mut builder = aws_sdk_sts::config::Builder::from(config);
    if let Some(url) = sts_endpoint {
        builder = builder.endpoint_url(url);
    }
    let client = aws_sdk_sts::Client::from_conf(builder.build());
    let identity = client.get_caller_identity().send().await.map_err(|e| {
        use std::error::Error;
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        format!("STS GetCallerIdentity failed: {message}")
    })?;
    identity.account().map(str::to_owned).ok_or_else(|| "STS GetCallerIdentity returned no account".into())
}

/// The allowlist: `--allow-account` values and the comma-separated environment variable.
pub fn allowed_accounts(flags: &[String], env: Option<&str>) -> BTreeSet<String> {
    flags
        .iter()
        .map(String::as_str)
        .chain(env.into_iter().flat_map(|v| v.split(',')))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether conform may create resources in `account`; the refusal names the account.
pub fn check_account(account: &str, allowed: &BTreeSet<String>) -> Result<(), String> {
    if allowed.contains(account) {
        return Ok(());
    }
    let listed = if allowed.is_empty() {
        "no account is allowed".to_owned()
    } else {
        format!("allowed: {}", allowed.iter().cloned().collect::<Vec<_>>().join(", "))
    };
    Err(format!(
        "refusing to run in AWS account {account}: it is not in the allowlist ({listed}); \
         add it with --allow-account {account} or {ACCOUNTS_VAR}={account}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_merges_flags_and_environment() {
        let allowed = allowed_accounts(&["111122223333".into()], Some(" 444455556666, ,777788889999"));
        assert_eq!(allowed.len(), 3);
        assert!(check_account("444455556666", &allowed).is_ok());
        assert!(check_account("111122223333", &allowed).is_ok());
        let refused = check_account("999999999999", &allowed).unwrap_err();
        assert!(refused.contains("account 999999999999"), "{refused}");
        assert!(refused.contains("--allow-account 999999999999"), "{refused}");
    }

    #[test]
    fn an_empty_allowlist_refuses_everything() {
        let allowed = allowed_accounts(&[], None);
        assert!(check_account("111122223333", &allowed).unwrap_err().contains("no account is allowed"));
        assert!(check_account("", &allowed_accounts(&[], Some(""))).is_err());
    }

    #[tokio::test]
    async fn endpoints_follow_the_region_and_waits_scale() {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("a", "b", None, None, "test"),
            ))
            .build();
        let target = target(&config, "eu-west-1").unwrap();
        assert_eq!(target.endpoint("sqs").unwrap().url, "https://sqs.eu-west-1.amazonaws.com");
        assert_eq!(target.endpoint("dynamodbstreams").unwrap().region, "eu-west-1");
        assert_eq!(target.timing.scale, TIMING_SCALE);
        assert_eq!(target.capabilities.len(), CAPABILITIES.len());
        let no_credentials = SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build();
        assert!(self::target(&no_credentials, "eu-west-1").is_err());
    }
}
