//! YAML text → `Spec`, or every problem in the file with its line and column.
//!
//! serde-saphyr catches syntax errors, unknown keys and wrong types; this pass checks meaning:
//! services and actions exist, JSONPaths and regexes compile, matchers are known, and every
//! `${variable}` is defined by a resource, a built-in or an earlier capture. One file per kind of
//! node: resources, steps, requests, matchers, variables.

mod matchers;
mod requests;
mod resources;
mod steps;
mod variables;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_saphyr::Spanned;

use super::model::*;
use super::node::{Node, NodeValue, Pos};
use super::raw::*;
use super::source::{did_you_mean, SourceFile, Span, SpecError};

/// Variables every spec can use: `prefix` (unique per spec run, for names of resources a spec
/// creates by hand so that teardown and `sweep` find them), `region`, `run_id`, and `now`
/// (epoch seconds when the spec started, e.g. for TTL attributes).
pub const BUILTINS: [&str; 4] = ["prefix", "region", "run_id", "now"];

/// Capabilities a spec may require with `needs:`; targets declare which they have.
pub const CAPABILITIES: [&str; 6] = ["fifo", "redrive", "streams", "ttl", "ttl-expiry", "resharding"];

/// The longest wait (timeout, sleep, interval) a spec may declare: beyond the 48 hours AWS may take
/// to delete an expired DynamoDB item, with margin; past it a value is a typo, not a wait.
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) struct Validator<'a> {
    file: &'a Arc<SourceFile>,
    pub(super) errors: Vec<SpecError>,
    /// The columns of the file's case table, suggested for an undefined `${…}`.
    columns: Vec<String>,
    /// Variables defined so far, in step order.
    vars: BTreeSet<String>,
    /// Queue and stream resources for workloads: queue name → Some(is FIFO), stream name → None.
    resources: std::collections::BTreeMap<String, Option<bool>>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(file: &'a Arc<SourceFile>, columns: Vec<String>) -> Self {
        Self { file, errors: Vec::new(), columns, vars: BUILTINS.iter().map(|s| s.to_string()).collect(), resources: Default::default() }
    }

    fn span(&self, pos: Pos, len: usize) -> Span {
        Span::at(self.file.offset_of(pos.line, pos.column), len)
    }

    pub(super) fn error(&mut self, pos: Pos, len: usize, message: impl Into<String>) -> &mut SpecError {
        let e = SpecError::new(self.file, self.span(pos, len), message);
        self.errors.push(e);
        self.errors.last_mut().expect("just pushed")
    }

    fn node_error(&mut self, node: &Node, message: impl Into<String>) -> &mut SpecError {
        let len = node.as_str().map_or(1, str::len);
        self.error(node.pos, len, message)
    }

    pub(super) fn spec(&mut self, raw: RawSpec) -> Spec {
        let id = raw.id.value.clone();
        let id_ok = Regex::new(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$").expect("valid regex");
        if !id_ok.is_match(&id) {
            self.error(Pos::of(&raw.id), id.len(), "spec id must be lowercase words separated by `/`")
                .help("e.g. `sqs/fifo/content-dedup`");
        }
        // Under a `specs/` directory the id is the file's path there: one place to find a spec by id.
        let name = self.file.name.replace('\\', "/");
        if let Some(expected) = name.rsplit_once("specs/").map(|(_, rest)| rest.trim_end_matches(".yaml").trim_end_matches(".yml")) {
            if id != expected {
                self.error(Pos::of(&raw.id), id.len(), format!("spec id `{id}` is not this file's path under specs/ (`{expected}`)"))
                    .help(format!("write `id: {expected}`, or move the file"));
            }
        }
        if !raw.source.value.starts_with("https://") {
            self.error(Pos::of(&raw.source), raw.source.value.len(), "`source` must be the https URL of the page that documents the behaviour");
        }
        let needs = raw
            .needs
            .iter()
            .filter(|&n| self.one_of(n, &CAPABILITIES, "capability"))
            .map(|n| n.value.clone())
            .collect();
        let row = Regex::new(r"^[A-Z]+-[0-9]{2,}$").expect("valid regex");
        for c in &raw.covers {
            if !row.is_match(&c.value) {
                self.error(Pos::of(c), c.value.len(), format!("`{}` is not a seed catalogue row id", c.value)).help("e.g. `SQS-05`, `KDS-12`");
            }
        }
        let covers = raw.covers.into_iter().map(|c| c.value).collect();
        let timeout = raw.timeout.as_ref().and_then(|t| self.positive_duration(t));
        let normalize = raw.normalize.as_ref().map(|n| self.normalize_rules(n)).unwrap_or_default();
        let resources = self.resources(raw.resources);
        let steps = raw.steps.into_iter().filter_map(|s| self.step(s)).collect();
        let documented_only = match &raw.evidence {
            None => false,
            Some(e) if e.value == "documented-only" => true,
            Some(e) => {
                self.error(Pos::of(e), e.value.len(), "a spec's `evidence` can only be `documented-only`")
                    .help("cite recordings on the steps they back: `evidence: [<recording id>]`");
                false
            }
        };
        Spec {
            id_span: self.span(Pos::of(&raw.id), raw.id.value.len()),
            id,
            title: raw.title,
            source: raw.source.value,
            tags: raw.tags,
            covers,
            needs,
            timeout,
            normalize,
            resources,
            steps,
            documented_only,
            file: self.file.clone(),
        }
    }

    fn normalize_rules(&mut self, node: &Node) -> Vec<(Selector, String)> {
        let NodeValue::Map(entries) = &node.value else {
            self.node_error(node, "`normalize` maps JSONPaths to token kinds, e.g. `$.Messages[*].Attributes.SenderId: sender`");
            return Vec::new();
        };
        let kind_ok = Regex::new(r"^[a-z][a-z0-9-]*$").expect("valid regex");
        entries
            .iter()
            .filter_map(|(key, value)| {
                let path = self.path(&key.name, key.pos)?;
                match value.as_str().filter(|k| kind_ok.is_match(k)) {
                    Some(kind) => Some((path, kind.to_owned())),
                    None => {
                        self.node_error(value, "a token kind is lowercase words joined by `-`, e.g. `sender-id`");
                        None
                    }
                }
            })
            .collect()
    }

    fn one_of(&mut self, word: &Spanned<String>, allowed: &[&str], what: &str) -> bool {
        if allowed.contains(&word.value.as_str()) {
            return true;
        }
        let e = self.error(Pos::of(word), word.value.len(), format!("unknown {what} `{}`", word.value));
        match did_you_mean(&word.value, allowed.iter().copied()) {
            Some(best) => e.help(format!("did you mean `{best}`?")),
            None => e.help(format!("known: {}", allowed.join(", "))),
        };
        false
    }

    /// A duration that must not be zero: a zero timeout ends before anything runs, a zero
    /// interval polls without pause.
    fn positive_duration(&mut self, text: &Spanned<String>) -> Option<Duration> {
        let d = self.duration(text)?;
        if d.is_zero() {
            self.error(Pos::of(text), text.value.len(), format!("`{}` must be longer than zero", text.value));
            return None;
        }
        Some(d)
    }

    fn duration(&mut self, text: &Spanned<String>) -> Option<Duration> {
        match humantime::parse_duration(&text.value) {
            Ok(d) if d > MAX_WAIT => {
                self.error(Pos::of(text), text.value.len(), format!("`{}` is longer than any wait a spec may have ({})", text.value, humantime::format_duration(MAX_WAIT)))
                    .help("check the unit: `500ms`, `2s`, `1m`, `48h`");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(Pos::of(text), text.value.len(), format!("`{}` is not a duration: {e}", text.value))
                    .help("write e.g. `500ms`, `2s`, `1m`");
                None
            }
        }
    }

}

#[cfg(test)]
mod tests {
    use crate::spec::load::diagnostics as errors;
    use super::*;

    const GOOD: &str = r#"
id: sqs/basic/send-receive
title: A sent message is received
source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
tags: [sqs, core]
resources:
  q: { sqs.queue: { attributes: { VisibilityTimeout: 5 } } }
steps:
  - call: sqs.SendMessage
    with: { QueueUrl: "${q.url}", MessageBody: hello }
    capture: { id: $.MessageId }
  - call: sqs.ReceiveMessage
    with: { QueueUrl: "${q.url}", WaitTimeSeconds: 1 }
    expect:
      $.Messages: { length: 1 }
      $.Messages[0].MessageId: "${id}"
      $.Messages[*].Body: { each: { regex: "^h" } }
  - sleep: 1s
"#;


    #[test]
    fn loads_a_valid_spec() {
        let spec = crate::spec::load_one("t.yaml", GOOD).unwrap();
        assert_eq!(spec.id, "sqs/basic/send-receive");
        assert_eq!(spec.steps.len(), 3);
        let ResourceKind::Queue(q) = &spec.resources[0].kind else { panic!() };
        assert_eq!(q.attributes, vec![("VisibilityTimeout".to_string(), "5".to_string())]);
        let Action::Call(receive) = &spec.steps[1].action else { panic!() };
        assert!(receive.expect[1].path.singular);
        assert!(!receive.expect[2].path.singular);
        assert_eq!(spec.services(), vec!["sqs"]);
    }

    #[test]
    fn unknown_key_points_at_it_and_suggests() {
        let errs = errors(&GOOD.replace("title:", "titel:"));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("t.yaml:3:1: unknown key `titel`"), "{errs:?}");
        assert!(errs[0].contains("did you mean `title`?"), "{errs:?}");
    }

    #[test]
    fn a_yaml_tag_is_refused_where_it_stands() {
        let errs = errors(&GOOD.replace("MessageBody: hello", "MessageBody: !!python/object:os.system hello"));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("t.yaml:10:"), "{errs:?}");
        assert!(errs[0].contains("python/object"), "{errs:?}");
    }

    #[test]
    fn a_variable_in_a_queue_attribute_is_refused_with_what_to_do_instead() {
        let errs = errors(&GOOD.replace("VisibilityTimeout: 5", "RedrivePolicy: '${d.arn}'"));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("t.yaml:7:"), "{errs:?}");
        assert!(errs[0].contains("not expanded here") && errs[0].contains("redrive: { to:"), "{errs:?}");
    }

    #[test]
    fn generated_values_are_checked_against_the_model_and_their_index_is_scoped() {
        let spec = |with: &str| format!("id: t\ntitle: t\nsource: https://x\nsteps:\n  - call: dynamodb.TransactWriteItems\n    with: {with}\n");
        let item = "{ Put: { TableName: t, Item: { pk: { N: { $string: \"${i}\" } } } } }";
        assert_eq!(errors(&spec(&format!("{{ TransactItems: {{ $list: 100, item: {item} }} }}"))), Vec::<String>::new());
        let errs = errors(&spec(&format!("{{ TransactItems: {{ $list: 101, item: {item} }} }}")));
        assert!(errs.len() == 1 && errs[0].contains("length 101 is above the model's maximum 100"), "{errs:?}");
        let errs = errors(&spec("{ TransactItems: { $list: 1, item: { Put: { TableName: t, Itme: {} } } } }"));
        assert!(errs[0].contains("`Itme` is not a member") && errs[0].contains("did you mean `Item`?"), "{errs:?}");
        let errs = errors(&spec("{ TransactItems: [], ClientRequestToken: \"${i}\" }"));
        assert!(errs[0].contains("undefined variable `i`"), "{errs:?}");
    }

    #[test]
    fn collect_is_checked_where_it_is_written() {
        let spec = |call: &str, collect: &str| {
            format!("id: t\ntitle: t\nsource: https://x\nsteps:\n  - call: {call}\n    with: {{ ShardIterator: x }}\n    collect: {collect}\n    expect: {{ \"$[*].Data\": [a] }}\n")
        };
        let good = "{ items: \"$.Records[*]\", until: { $: { length: 1 } }, timeout: 5s, cursor: { from: $.NextShardIterator, to: ShardIterator } }";
        assert_eq!(errors(&spec("kinesis.GetRecords", good)), Vec::<String>::new());
        let Action::Call(call) = &crate::spec::load_one("t.yaml", &spec("kinesis.GetRecords", good)).unwrap().steps[0].action else { panic!() };
        let collect = call.collect.as_ref().unwrap();
        assert_eq!((collect.cursor.as_ref().unwrap().to.as_str(), collect.timeout), ("ShardIterator", Duration::from_secs(5)));
        let errs = errors(&spec("kinesis.GetRecords", &good.replace("to: ShardIterator", "to: ShardIterater")));
        assert!(errs.len() == 1 && errs[0].contains("no request member `ShardIterater`") && errs[0].contains("did you mean `ShardIterator`?"), "{errs:?}");
        let errs = errors(&spec("kinesis.GetRecords", &good.replace("5s", "0s")));
        assert!(errs.len() == 1 && errs[0].starts_with("t.yaml:7:") && errs[0].contains("longer than zero"), "{errs:?}");
        let errs = errors(&spec("kinesis.GetRecords", "{ items: $.Records, until: {}, timeout: 5s, delete_received: true }"));
        assert!(errs.iter().any(|e| e.contains("`until` needs a condition")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("belongs on `sqs.ReceiveMessage`")), "{errs:?}");
    }

    #[test]
    fn yaml_syntax_error_has_a_position() {
        let errs = errors("id: x\nsteps: [\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("t.yaml:"), "{errs:?}");
    }

    #[test]
    fn unknown_action_suggests_the_closest() {
        let errs = errors(&GOOD.replace("sqs.ReceiveMessage", "sqs.RecieveMessage"));
        assert!(errs[0].starts_with("t.yaml:12:15: sqs has no action `RecieveMessage`"), "{errs:?}");
        assert!(errs[0].contains("did you mean `ReceiveMessage`?"));
        let errs = errors(&GOOD.replace("sqs.ReceiveMessage", "sq.ReceiveMessage"));
        assert!(errs[0].contains("unknown service `sq`") && errs[0].contains("`sqs`"), "{errs:?}");
    }

    #[test]
    fn undefined_variable_is_reported_where_used() {
        let errs = errors(&GOOD.replace("\"${id}\"", "\"${idd}\""));
        assert!(errs[0].starts_with("t.yaml:16:32: undefined variable `idd`"), "{errs:?}");
        assert!(errs[0].contains("did you mean `id`?"));
        // A capture is only visible after its step.
        let errs = errors(&GOOD.replace("MessageBody: hello", "MessageBody: \"${id}\""));
        assert!(errs[0].contains("undefined variable `id`"), "{errs:?}");
    }

    #[test]
    fn wrong_types_and_bad_matchers_are_errors() {
        assert!(errors(&GOOD.replace("{ length: 1 }", "{ lenght: 1 }"))[0].contains("did you mean `length`?"));
        assert!(errors(&GOOD.replace("sleep: 1s", "sleep: soon"))[0].contains("is not a duration"));
        assert!(errors(&GOOD.replace("$.Messages: ", "Messages[: "))[0].contains("is not a JSONPath"));
        assert!(errors(&GOOD.replace("regex: \"^h\"", "regex: \"(\""))[0].contains("invalid regex"));
        let errs = errors(&GOOD.replace("tags: [sqs, core]", "tags: sqs"));
        assert!(errs[0].starts_with("t.yaml:5:"), "{errs:?}");
    }

    #[test]
    fn missing_source_is_an_error() {
        let text = GOOD.replace("source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html\n", "");
        assert!(errors(&text)[0].contains("source"), "{:?}", errors(&text));
        assert!(errors(&GOOD.replace("source: https", "source: http"))[0].contains("https URL"));
    }

    #[test]
    fn redrive_must_target_an_earlier_queue() {
        let text = GOOD.replace(
            "q: { sqs.queue: { attributes: { VisibilityTimeout: 5 } } }",
            "q: { sqs.queue: { redrive: { to: dlq, max_receive_count: 2 } } }\n  dlq: { sqs.queue: {} }",
        );
        assert!(errors(&text)[0].contains("`dlq` is not a queue declared above"), "{:?}", errors(&text));
    }
}
