//! `--target`, `--endpoint`, `--name`, `--config`, `--region`: which target a command runs on.

use std::path::PathBuf;

use clap::Args;

use crate::suggest::did_you_mean;
use crate::targets::{self, install, TargetChoice};

/// Targets that run alone: they are not emulators conform starts, so `+` cannot combine them.
const ALONE: [&str; 3] = ["localstack", "aws", "endpoint"];

/// Where to run: shared by `run` and the test harness.
#[derive(Args, Clone)]
pub struct TargetArgs {
    /// `moto` (the default), `kinesalite`, `dynalite`, `kinesis-mock`, `localstack-host`,
    /// `dynamodb-local`, `ministack`, `dynoxide`, `fakecloud` (each installed and started by
    /// conform; `conform targets list` shows them all), several joined with `+` (`kinesalite+dynalite`: each service from the first that
    /// serves it), `localstack` (a container started through testcontainers; needs a Docker
    /// engine), `aws` (real AWS: allowlisted accounts only, see --allow-account), or `endpoint`
    /// (already running; see --endpoint), or a target named in the configuration file.
    #[arg(long, short)]
    pub target: Option<String>,
    /// Named targets (`[targets.NAME]`: `use`, `endpoint(s)`, `region`, `timing-scale`, `capabilities`).
    #[arg(long, default_value = "conform.toml")]
    pub config: PathBuf,
    /// Endpoint URL for every service, or SERVICE=URL for one (repeatable). Implies --target endpoint.
    #[arg(long = "endpoint")]
    pub endpoints: Vec<String>,
    /// Name to report an endpoint target under (selects reports/expectations/<name>.yaml).
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, env = "AWS_REGION", default_value = targets::DEFAULT_REGION)]
    pub region: String,
}

impl TargetArgs {
    pub fn choice(&self) -> Result<TargetChoice, String> {
        // The configuration file is read only when a target is named: the default needs none.
        let config = match &self.target {
            Some(_) => targets::config::Config::load(&self.config).map_err(|e| e.to_string())?,
            None => Default::default(),
        };
        if let Some(name) = self.target.as_deref() {
            if let Some(configured) = config.choice(name).map_err(|e| e.to_string())? {
                if !self.endpoints.is_empty() || self.name.is_some() {
                    return Err(format!("`{name}` is defined in {}; --endpoint and --name don't apply to it", self.config.display()));
                }
                return Ok(TargetChoice::Configured(Box::new(configured)));
            }
        }
        match (self.target.as_deref(), self.endpoints.is_empty()) {
            (None, true) => Ok(TargetChoice::Moto),
            (None | Some("endpoint"), _) => {
                let urls = targets::parse_endpoints(&self.endpoints).map_err(|e| e.to_string())?;
                Ok(TargetChoice::Endpoint { name: self.name.clone().unwrap_or_else(|| "endpoint".into()), urls })
            }
            (Some(managed), true) => {
                if self.name.is_some() {
                    return Err(format!("--name goes with --target endpoint; `{managed}` reports under its own name"));
                }
                match managed {
                    "aws" => return Ok(TargetChoice::Aws),
                    "localstack" => return Ok(TargetChoice::LocalStack),
                    _ => {}
                }
                let configured: Vec<&str> = config.targets.keys().map(String::as_str).collect();
                check_names(managed, &configured, &self.config)?;
                TargetChoice::managed(managed).map_err(|e| e.to_string())
            }
            (Some(managed), false) => Err(format!("--endpoint goes with --target endpoint, not {managed}")),
        }
    }
}

/// Each member of `choice` is an emulator conform manages, and only those are joined with `+`.
fn check_names(choice: &str, configured: &[&str], config: &std::path::Path) -> Result<(), String> {
    let emulators = install::names();
    for name in choice.split('+').map(str::trim) {
        if emulators.contains(&name) {
            continue;
        }
        let within = if name == choice { String::new() } else { format!(" in `{choice}`") };
        if name != choice && (ALONE.contains(&name) || configured.contains(&name)) {
            return Err(format!("`{name}` runs alone{within}: only emulators conform starts combine with + ({})", emulators.join(", ")));
        }
        let known: Vec<&str> = emulators.iter().copied().chain(ALONE).chain(configured.iter().copied()).collect();
        let hint = did_you_mean(name, known.iter().copied()).map(|best| format!("; did you mean `{best}`?")).unwrap_or_default();
        let named = if configured.is_empty() { String::new() } else { format!(", or one named in {}: {}", config.display(), configured.join(", ")) };
        return Err(format!(
            "unknown target `{name}`{within}{hint}\n  targets: {}, {} (alone){named}; emulators combine with +, e.g. kinesalite+dynalite",
            emulators.join(", "),
            ALONE.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(target: Option<&str>, endpoints: &[&str], name: Option<&str>) -> Result<TargetChoice, String> {
        TargetArgs {
            target: target.map(str::to_owned),
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            name: name.map(str::to_owned),
            region: targets::DEFAULT_REGION.into(),
            config: "no-such-conform.toml".into(),
        }
        .choice()
    }

    #[test]
    fn target_flags_choose_managed_emulators_combinations_and_endpoints() {
        assert_eq!(choice(None, &[], None), Ok(TargetChoice::Moto));
        assert_eq!(choice(Some("moto"), &[], None), Ok(TargetChoice::Moto));
        assert_eq!(choice(Some("dynalite"), &[], None), Ok(TargetChoice::Managed { members: vec!["dynalite"] }));
        assert_eq!(choice(Some("kinesis-mock+moto"), &[], None).unwrap().name(), "kinesis-mock+moto");
        let endpoint = choice(None, &["http://localhost:4566"], Some("localstack")).unwrap();
        assert_eq!(endpoint.name(), "localstack");
        assert!(matches!(choice(Some("endpoint"), &["kinesis=http://localhost:4567"], None), Ok(TargetChoice::Endpoint { .. })));

        assert!(choice(Some("kinesalite"), &["http://x:1"], None).unwrap_err().contains("--endpoint goes with --target endpoint"));
        assert!(choice(Some("kinesalite"), &[], Some("k")).unwrap_err().contains("--name goes with --target endpoint"));
        assert!(choice(Some("kinesalite+nope"), &[], None).unwrap_err().contains("unknown target `nope` in `kinesalite+nope`"));
    }

    #[test]
    fn unknown_targets_name_every_kind_and_the_closest() {
        let err = choice(Some("kinesalit"), &[], None).unwrap_err();
        assert!(err.contains("unknown target `kinesalit`; did you mean `kinesalite`?"), "{err}");
        assert!(err.contains("aws") && err.contains("localstack-host") && err.contains("endpoint"), "{err}");
        let err = choice(Some("localstack+moto"), &[], None).unwrap_err();
        assert!(err.contains("`localstack` runs alone in `localstack+moto`"), "{err}");
        assert!(choice(Some("aws+moto"), &[], None).unwrap_err().contains("`aws` runs alone"));
    }

    #[test]
    fn localstack_is_its_own_target() {
        assert_eq!(choice(Some("localstack"), &[], None), Ok(TargetChoice::LocalStack));
        assert_eq!(choice(Some("localstack"), &[], None).unwrap().name(), "localstack");
        assert!(choice(Some("localstack"), &["http://x:1"], None).unwrap_err().contains("--endpoint goes with --target endpoint"));
    }
}
