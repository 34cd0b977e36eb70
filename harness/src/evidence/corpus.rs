//! The corpus of recorded AWS behaviour (`fixtures/aws-recorded/`): loaded, validated, indexed by id.
//!
//! Every problem is an error naming file, line and column: a recording that does not parse, an
//! unknown service or operation, an id outside its file's namespace or used twice. Nothing is
//! skipped silently, because a skipped recording would quietly turn evidence into no evidence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::services;
use crate::spec::node::Pos;
use crate::spec::source::{did_you_mean, SourceFile, Span, SpecError, SpecErrors};
use crate::spec::parse_yaml;

/// Where the corpus lives, relative to the project root.
pub const DEFAULT_DIR: &str = "fixtures/aws-recorded";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    source: Provenance,
    recordings: Vec<RawRecording>,
}

/// The repository a file's recordings were extracted from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub repo: String,
    pub commit: String,
    pub licence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecording {
    id: Spanned<String>,
    file: String,
    key: String,
    recorded: Option<Spanned<String>>,
    service: Spanned<String>,
    operation: Spanned<String>,
    #[serde(default)]
    protocol: Protocol,
    condition: String,
    request: Option<Value>,
    status: Option<Spanned<u16>>,
    error: Option<RecordedError>,
    response: Option<Value>,
    #[serde(default)]
    absent: Vec<Spanned<String>>,
}

/// The wire protocol a recording was made with: SQS speaks both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Json,
    Query,
}

/// An error AWS answered with, stored by what it is on the wire (not by botocore's field names).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedError {
    /// The body's `__type` shape name (JSON protocol).
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    /// The `x-amzn-query-error` code, or the error code of a query-protocol response.
    pub query_code: Option<String>,
    pub message: Option<String>,
}

/// One recorded AWS response and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    pub id: String,
    pub service: String,
    pub operation: String,
    pub protocol: Protocol,
    pub condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordedError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// Response paths the recording shows absent (`$.Messages`): AWS sent no such member. An empty
    /// `response: {}` shows every path absent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
    pub source: Provenance,
    /// The file and key within the source repository.
    pub file: String,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// The corpus file it was read from.
    #[serde(skip)]
    pub corpus_file: PathBuf,
}

/// Every recording, by id.
#[derive(Debug, Default)]
pub struct Corpus {
    pub recordings: BTreeMap<String, Recording>,
}

impl Recording {
    /// What the recording lacks to be evidence, if anything: the request it answered and its
    /// answer as data. A fact kept only in the prose `condition` cannot be compared, so cannot fail.
    pub fn lacks(&self) -> Option<&'static str> {
        if self.request.is_none() {
            Some("no request excerpt")
        } else if self.error.as_ref().is_some_and(|e| e.error_type.is_none() && e.query_code.is_none()) {
            Some("no error identity (type or query code)")
        } else if self.error.is_none() && self.response.is_none() {
            Some("no response excerpt")
        } else {
            None
        }
    }

    /// Whether the recording shows that `path` (a spec's JSONPath text) was not in the answer.
    pub fn shows_absent(&self, path: &str) -> bool {
        let empty = matches!(&self.response, Some(Value::Object(map)) if map.is_empty());
        empty
            || self.absent.iter().any(|a| {
                path.strip_prefix(a.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
            })
    }
}

impl Corpus {
    pub fn get(&self, id: &str) -> Option<&Recording> {
        self.recordings.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.recordings.keys().map(String::as_str)
    }

    /// Loads every `*.yaml` under `dir`. A missing directory is an empty corpus.
    pub fn load(dir: &Path) -> Result<Self, Vec<SpecErrors>> {
        let mut corpus = Self::default();
        let mut errors = Vec::new();
        // Where each id was first defined, to name both places when it recurs.
        let mut defined: BTreeMap<String, String> = BTreeMap::new();
        for path in crate::spec::discover(&[dir.to_path_buf()]) {
            let name = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    let file = SourceFile::new(name.clone(), "");
                    errors.push(SpecErrors { file: name, errors: vec![SpecError::new(&file, Span::default(), format!("cannot read: {e}"))] });
                    continue;
                }
            };
            let namespace = namespace(dir, &path);
            match read_file(&name, &text, &namespace, &mut defined) {
                Ok(recordings) => {
                    for mut r in recordings {
                        r.corpus_file = path.clone();
                        corpus.recordings.insert(r.id.clone(), r);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(corpus)
        } else {
            Err(errors)
        }
    }
}

/// `<dir>/<stem>/`: the prefix every id in a corpus file carries, so ids are unique by construction
/// and an id says where to find its recording.
fn namespace(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
    format!("{}/", relative.to_string_lossy().replace('\\', "/"))
}

fn read_file(name: &str, text: &str, namespace: &str, defined: &mut BTreeMap<String, String>) -> Result<Vec<Recording>, SpecErrors> {
    let raw: RawFile = parse_yaml(name, text)?;
    let file = SourceFile::new(name, text);
    let mut errors = Vec::new();
    let mut error = |pos: Pos, len: usize, message: String, help: Option<String>| {
        let mut e = SpecError::new(&file, Span::at(file.offset_of(pos.line, pos.column), len), message);
        if let Some(help) = help {
            e.help(help);
        }
        errors.push(e);
    };
    let id_shape = Regex::new(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.\[\]-]*)*$").expect("valid regex");
    let date = Regex::new(r"^\d{4}-\d{2}-\d{2}").expect("valid regex");
    let mut out = Vec::new();
    for r in raw.recordings {
        let id = r.id.value.clone();
        if !id.starts_with(namespace) || !id_shape.is_match(&id) {
            error(Pos::of(&r.id), id.len(), format!("recording id `{id}` must be `{namespace}<slug>` (lowercase, `-` between words)"), None);
        }
        if let Some(first) = defined.insert(id.clone(), name.to_owned()) {
            error(Pos::of(&r.id), id.len(), format!("recording id `{id}` is already used in {first}"), None);
        }
        if let Some(d) = &r.recorded {
            if !date.is_match(&d.value) {
                error(Pos::of(d), d.value.len(), format!("`recorded` must be a date (YYYY-MM-DD), not `{}`", d.value), None);
            }
        }
        match services::by_name(&r.service.value) {
            None => {
                let help = did_you_mean(&r.service.value, services::names()).map(|b| format!("did you mean `{b}`?"));
                error(Pos::of(&r.service), r.service.value.len(), format!("unknown service `{}`", r.service.value), help);
            }
            Some(service) if !service.has_action(&r.operation.value) => {
                let help = did_you_mean(&r.operation.value, service.actions()).map(|b| format!("did you mean `{b}`?"));
                error(Pos::of(&r.operation), r.operation.value.len(), format!("{} has no operation `{}`", service.name, r.operation.value), help);
            }
            Some(_) => {}
        }
        // SQS answers both protocols; SNS only the query protocol.
        let speaks_query = r.service.value == "sqs" || services::by_name(&r.service.value).is_some_and(|s| s.speaks_query());
        if r.protocol == Protocol::Query && !speaks_query {
            error(Pos::of(&r.service), r.service.value.len(), "only SQS and SNS have query-protocol recordings".into(), None);
        }
        if r.error.is_none() && r.response.is_none() && r.status.is_none() {
            error(Pos::of(&r.id), id.len(), "a recording needs at least one of `status`, `error`, `response`".into(), None);
        }
        if let (Some(status), Some(_)) = (&r.status, &r.error) {
            if status.value < 400 {
                error(Pos::of(status), 3, format!("an error recording with HTTP status {}", status.value), None);
            }
        }
        for a in &r.absent {
            if !a.value.starts_with("$.") {
                error(Pos::of(a), a.value.len(), format!("`absent` lists response paths such as `$.Messages`, not `{}`", a.value), None);
            } else if r.response.as_ref().is_some_and(|body| held(body, &a.value[2..])) {
                error(Pos::of(a), a.value.len(), format!("`{}` is listed absent but the response excerpt holds it", a.value), None);
            }
        }
        if !r.absent.is_empty() && (r.error.is_some() || r.response.is_none()) {
            error(Pos::of(&r.id), id.len(), "`absent` needs a success `response` excerpt it is part of".into(), None);
        }
        if let Some(e) = &r.error {
            if e.error_type.is_none() && e.query_code.is_none() && e.message.is_none() {
                error(Pos::of(&r.id), id.len(), "`error` records nothing: give `type`, `query_code` or `message`".into(), None);
            }
            if r.protocol == Protocol::Query && e.error_type.is_some() {
                error(Pos::of(&r.id), id.len(), "a query-protocol error has no `__type`: record its code as `query_code`".into(), None);
            }
        }
        out.push(Recording {
            id,
            service: r.service.value,
            operation: r.operation.value,
            protocol: r.protocol,
            condition: r.condition,
            request: r.request,
            status: r.status.map(|s| s.value),
            error: r.error,
            response: r.response,
            absent: r.absent.into_iter().map(|a| a.value).collect(),
            source: raw.source.clone(),
            file: r.file,
            key: r.key,
            recorded: r.recorded.map(|d| d.value),
            corpus_file: PathBuf::new(),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(SpecErrors { file: name.to_owned(), errors })
    }
}

/// Whether a dotted member path (`Messages` or `Attributes.Policy`) is in the body.
fn held(body: &Value, path: &str) -> bool {
    let mut at = body;
    for name in path.split('.') {
        match at.get(name) {
            Some(next) => at = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<Corpus, Vec<SpecErrors>> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Corpus::load(dir.path())
    }

    const HEAD: &str = "source: { repo: o/r, commit: abc, licence: MIT }\nrecordings:\n";

    fn recording(id: &str) -> String {
        format!("  - id: {id}\n    file: f\n    key: k\n    service: sqs\n    operation: SendMessage\n    condition: c\n    status: 400\n    error: {{ type: InvalidParameterValueException, query_code: InvalidParameterValue }}\n")
    }

    fn messages(errors: Vec<SpecErrors>) -> Vec<String> {
        errors.into_iter().flat_map(|e| e.errors).map(|e| e.to_string()).collect()
    }

    #[test]
    fn loads_recordings_under_their_file_namespace() {
        let corpus = load(&[("ls/sqs.yaml", &format!("{HEAD}{}", recording("ls/sqs/delay-rejected")))]).unwrap();
        let r = corpus.get("ls/sqs/delay-rejected").unwrap();
        assert_eq!(r.error.as_ref().unwrap().error_type.as_deref(), Some("InvalidParameterValueException"));
        assert_eq!(r.source.repo, "o/r");
    }

    #[test]
    fn an_id_used_twice_names_both_files() {
        let text = format!("{HEAD}{}", recording("ls/sqs/x"));
        // The same id cannot be in two files (namespaces differ), so repeat it within one.
        let twice = format!("{text}{}", recording("ls/sqs/x"));
        let errors = messages(load(&[("ls/sqs.yaml", &twice)]).unwrap_err());
        assert!(errors.iter().any(|e| e.contains("already used in") && e.contains("sqs.yaml")), "{errors:?}");
    }

    #[test]
    fn unparseable_data_is_an_error_with_a_position() {
        let bad = format!("{HEAD}  - id: ls/sqs/x\n    status: [not a number]\n");
        let errors = messages(load(&[("ls/sqs.yaml", &bad)]).unwrap_err());
        assert!(errors[0].contains("sqs.yaml:4:"), "{errors:?}");
    }

    #[test]
    fn ids_outside_the_namespace_and_unknown_operations_are_rejected() {
        let text = format!("{HEAD}{}", recording("other/sqs/x").replace("SendMessage", "SendMesage"));
        let errors = messages(load(&[("ls/sqs.yaml", &text)]).unwrap_err());
        assert!(errors.iter().any(|e| e.contains("must be `ls/sqs/<slug>`")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("no operation `SendMesage`")), "{errors:?}");
    }

    #[test]
    fn absent_paths_are_response_paths_the_excerpt_does_not_hold() {
        let success = |absent: &str| {
            let r = recording("ls/sqs/x").replace("    status: 400\n", "").replace(
                "    error: { type: InvalidParameterValueException, query_code: InvalidParameterValue }\n",
                &format!("    request: {{ MessageBody: x }}\n    response: {{ MessageId: m }}\n    absent: {absent}\n"),
            );
            load(&[("ls/sqs.yaml", &format!("{HEAD}{r}"))])
        };
        let corpus = success("[$.MD5OfMessageAttributes]").unwrap();
        let r = corpus.get("ls/sqs/x").unwrap();
        assert!(r.shows_absent("$.MD5OfMessageAttributes") && !r.shows_absent("$.MessageId") && !r.shows_absent("$.MD5"));
        assert!(r.lacks().is_none());
        let errors = messages(success("[MessageId, $.MessageId]").unwrap_err());
        assert!(errors.iter().any(|e| e.contains("lists response paths such as `$.Messages`, not `MessageId`")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("`$.MessageId` is listed absent but the response excerpt holds it")), "{errors:?}");
        // A recording without a request excerpt is compared but is not evidence.
        assert_eq!(load(&[("ls/sqs.yaml", &format!("{HEAD}{}", recording("ls/sqs/x")))]).unwrap().get("ls/sqs/x").unwrap().lacks(), Some("no request excerpt"));
    }
}
