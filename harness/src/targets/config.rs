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
//! `--target shared-localstack` then runs it and reports under that name. A target can also be any
//! container image (`image`, `port`, `services`, `ready-log`/`ready-path`, `env`): see `container`.

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
    /// A container image (`name:tag`) that testcontainers starts for the run.
    pub image: Option<String>,
    /// The port inside the container that every service answers on.
    pub port: Option<u16>,
    /// The services the image serves.
    #[serde(default)]
    pub services: Vec<String>,
    /// Ready when this line appears on the container's stdout or stderr.
    pub ready_log: Option<String>,
    /// Ready when this HTTP path answers 2xx.
    pub ready_path: Option<String>,
    /// Environment of the container.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
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
        if let Some(image) = &settings.image {
            if settings.uses.is_some() || settings.endpoint.is_some() || !settings.endpoints.is_empty() {
                return Err(bad("`image` is a target of its own: leave out `use` and `endpoint(s)`".into()));
            }
            let image = super::localstack::Image::choose(Some(image), false).map_err(|_| bad(format!("image `{image}` is not `name:tag`")))?;
            let port = settings.port.ok_or_else(|| bad("`image` needs `port`: the port the services answer on inside the container".into()))?;
            if settings.services.is_empty() {
                return Err(bad("`image` needs `services`, e.g. [\"sqs\"]".into()));
            }
            let services = settings
                .services
                .iter()
                .map(|s| crate::services::by_name(s).map(|s| s.name).ok_or_else(|| bad(format!("unknown service `{s}`"))))
                .collect::<Result<Vec<_>, _>>()?;
            let spec = super::container::ContainerTarget {
                image,
                port,
                services,
                ready_log: settings.ready_log.clone(),
                ready_path: settings.ready_path.clone(),
                env: settings.env.clone(),
            };
            let inner = TargetChoice::Container { name: name.to_owned(), spec: Box::new(spec) };
            return Ok(Some(Configured { name: name.to_owned(), inner, settings: settings.clone() }));
        }
        if settings.port.is_some() || !settings.services.is_empty() || settings.ready_log.is_some() || settings.ready_path.is_some() || !settings.env.is_empty() {
            return Err(bad("`port`, `services`, `ready-log`, `ready-path` and `env` go with `image`".into()));
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
    fn an_image_is_a_target() {
        let c = config("[targets.ls]\nimage = \"conform/localstack:2026.3.0\"\nport = 4566\nservices = [\"sqs\", \"kinesis\"]\nready-log = \"Ready.\"\nenv = { DEBUG = \"1\" }\ncapabilities = [\"fifo\"]\n");
        let TargetChoice::Container { name, spec } = c.choice("ls").unwrap().unwrap().inner else { panic!() };
        assert_eq!(name, "ls");
        assert_eq!(spec.image.to_string(), "conform/localstack:2026.3.0");
        assert_eq!((spec.port, spec.services.clone()), (4566, vec!["sqs", "kinesis"]));
        assert_eq!(spec.env["DEBUG"], "1");
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
        assert!(err("[targets.t]\nimage = \"x:1\"\nservices = [\"sqs\"]\n").contains("needs `port`"));
        assert!(err("[targets.t]\nimage = \"x:1\"\nport = 1\nservices = [\"sms\"]\n").contains("unknown service `sms`"));
        assert!(err("[targets.t]\nuse = \"moto\"\nport = 1\n").contains("go with `image`"));
        let syntax = toml::from_str::<Config>("[targets.t]\nuze = 1\n").unwrap_err().to_string();
        assert!(syntax.contains("uze") && syntax.contains("line 2"), "{syntax}");
    }
}
