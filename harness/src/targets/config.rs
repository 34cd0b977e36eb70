//! Named targets in a configuration file (`conform.toml`), so a team writes its setup once:
//!
//! ```toml
//! [targets.local-mix]
//! use = "kinesalite+dynalite"              # a managed target, aws or localstack
//!
//! [targets.shared-localstack]
//! endpoint = "http://localhost:4566"       # every service; or endpoints = { kinesis = "…" }
//! region = "eu-west-1"
//! timing-scale = 2.0                       # multiplies eventually and spec timeouts
//! capabilities = ["fifo", "redrive", "streams", "ttl", "resharding"]
//! ```
//!
//! `--target shared-localstack` then runs it and reports under that name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Target, TargetChoice, TargetError};
use crate::spec::CAPABILITIES;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetConfig {
    /// A target conform starts: `moto`, `kinesalite+dynalite`, `aws`, `localstack`.
    #[serde(rename = "use")]
    pub uses: Option<String>,
    /// One URL for every service of an already-running target.
    pub endpoint: Option<String>,
    /// One URL per service (`sqs`, `kinesis`, `dynamodb`, `dynamodbstreams`).
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    pub region: Option<String>,
    pub timing_scale: Option<f64>,
    /// Replaces the capabilities the target declares.
    pub capabilities: Option<Vec<String>>,
}

/// A configured target: what to start, and what to change about it once started.
#[derive(Debug, Clone, PartialEq)]
pub struct Configured {
    pub name: String,
    pub inner: TargetChoice,
    pub settings: TargetConfig,
}

impl Config {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Self, TargetError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| TargetError::Config(format!("{}: {e}", path.display()))),
            Err(_) => Ok(Self::default()),
        }
    }

    /// The target named `name`, if the file defines it.
    pub fn choice(&self, name: &str) -> Result<Option<Configured>, TargetError> {
        let Some(settings) = self.targets.get(name) else { return Ok(None) };
        let bad = |why: String| TargetError::Config(format!("[targets.{name}]: {why}"));
        if let Some(unknown) = settings.capabilities.iter().flatten().find(|c| !CAPABILITIES.contains(&c.as_str())) {
            return Err(bad(format!("unknown capability `{unknown}` (known: {})", CAPABILITIES.join(", "))));
        }
        if settings.timing_scale.is_some_and(|s| s.is_nan() || s <= 0.0) {
            return Err(bad("timing-scale must be a positive number".into()));
        }
        let inner = match (&settings.uses, &settings.endpoint, settings.endpoints.is_empty()) {
            (Some(uses), None, true) => match uses.as_str() {
                "aws" => TargetChoice::Aws,
                "localstack" => TargetChoice::LocalStack,
                managed => TargetChoice::managed(managed).map_err(|e| bad(e.to_string()))?,
            },
            (None, endpoint, _) if endpoint.is_some() || !settings.endpoints.is_empty() => {
                let mut values: Vec<String> = endpoint.iter().cloned().collect();
                values.extend(settings.endpoints.iter().map(|(service, url)| format!("{service}={url}")));
                let urls = super::parse_endpoints(&values).map_err(|e| bad(e.to_string()))?;
                TargetChoice::Endpoint { name: name.to_owned(), urls }
            }
            _ => return Err(bad("give either `use` (a target conform starts) or `endpoint`/`endpoints`".into())),
        };
        Ok(Some(Configured { name: name.to_owned(), inner, settings: settings.clone() }))
    }
}

impl Configured {
    /// The region to start with: the file's, else the command line's.
    pub fn region<'a>(&'a self, default: &'a str) -> &'a str {
        self.settings.region.as_deref().unwrap_or(default)
    }

    /// Renames the started target and applies the file's timing and capabilities.
    pub fn apply(&self, target: &mut Target) {
        target.name = self.name.clone();
        if let Some(scale) = self.settings.timing_scale {
            target.timing.scale = scale;
        }
        if let Some(capabilities) = &self.settings.capabilities {
            target.capabilities = capabilities.iter().cloned().collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn named_targets_resolve_to_what_they_use() {
        let c = config(
            "[targets.mix]\nuse = \"kinesalite+dynalite\"\ntiming-scale = 2.0\n\n[targets.ls]\nendpoint = \"http://localhost:4566\"\nendpoints = { kinesis = \"http://localhost:4567\" }\nregion = \"eu-west-1\"\ncapabilities = [\"fifo\"]\n",
        );
        let mix = c.choice("mix").unwrap().unwrap();
        assert_eq!(mix.inner, TargetChoice::managed("kinesalite+dynalite").unwrap());
        let ls = c.choice("ls").unwrap().unwrap();
        let TargetChoice::Endpoint { name, urls } = &ls.inner else { panic!() };
        assert_eq!(name, "ls");
        assert_eq!(urls["*"], "http://localhost:4566");
        assert_eq!(urls["kinesis"], "http://localhost:4567");
        assert_eq!(ls.region("us-east-1"), "eu-west-1");
        assert!(c.choice("nope").unwrap().is_none());
    }

    #[test]
    fn applies_name_timing_and_capabilities() {
        let c = config("[targets.ls]\nendpoint = \"http://localhost:4566\"\ntiming-scale = 3.0\ncapabilities = [\"fifo\", \"streams\"]\n");
        let configured = c.choice("ls").unwrap().unwrap();
        let TargetChoice::Endpoint { urls, .. } = &configured.inner else { panic!() };
        let mut target = super::super::endpoint::build("endpoint", urls, "us-east-1").unwrap();
        configured.apply(&mut target);
        assert_eq!(target.name, "ls");
        assert_eq!(target.timing.scale, 3.0);
        assert_eq!(target.capabilities.iter().map(String::as_str).collect::<Vec<_>>(), ["fifo", "streams"]);
    }

    #[test]
    fn bad_entries_are_explained() {
        let err = |text: &str| config(text).choice("t").unwrap_err().to_string();
        assert!(err("[targets.t]\nuse = \"moto\"\nendpoint = \"http://x\"\n").contains("either `use`"));
        assert!(err("[targets.t]\nuse = \"moto\"\ncapabilities = [\"fifoo\"]\n").contains("unknown capability `fifoo`"));
        assert!(err("[targets.t]\nuse = \"nosuch\"\n").contains("[targets.t]"));
        let syntax = toml::from_str::<Config>("[targets.t]\nuze = 1\n").unwrap_err().to_string();
        assert!(syntax.contains("uze") && syntax.contains("line 2"), "{syntax}");
    }
}
