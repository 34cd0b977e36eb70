//! YAML text → `Spec`, or every problem in the file with its line and column.
//!
//! serde-saphyr catches syntax errors, unknown keys and wrong types; this pass checks meaning:
//! services and actions exist, JSONPaths and regexes compile, matchers are known, and every
//! `${variable}` is defined by a resource, a built-in or an earlier capture.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;

use super::model::*;
use super::node::{Node, NodeValue, Pos};
use super::raw::*;
use super::source::{did_you_mean, SourceFile, Span, SpecError, SpecErrors};
use super::{cases, template};
use crate::services;

/// Variables every spec can use: `prefix` (unique per spec run, for names of resources a spec
/// creates by hand so that teardown and `sweep` find them), `region`, `run_id`, and `now`
/// (epoch seconds when the spec started, e.g. for TTL attributes).
pub const BUILTINS: [&str; 4] = ["prefix", "region", "run_id", "now"];

/// Capabilities a spec may require with `needs:`; targets declare which they have.
pub const CAPABILITIES: [&str; 6] = ["fifo", "redrive", "streams", "ttl", "ttl-expiry", "resharding"];

/// The longest wait (timeout, sleep, interval) a spec may declare: beyond the 48 hours AWS may take
/// to delete an expired DynamoDB item, with margin; past it a value is a typo, not a wait.
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

const MATCHERS: [&str; 15] = [
    "equals", "regex", "type", "length", "contains", "exists", "absent", "gt", "gte", "lt", "lte", "not", "each",
    "one_of", "increasing",
];

/// Parse and validate one spec file's text: one spec, or one per row of its `cases:` table.
/// `name` is how the file is reported (its path).
pub fn load_str(name: &str, text: &str) -> Result<Vec<Spec>, SpecErrors> {
    let file = SourceFile::new(name, text);
    let fail = |errors| SpecErrors { file: name.to_owned(), errors };
    let mut raw: RawSpec = parse_yaml(name, text)?;
    let Some(table) = raw.cases.take() else {
        let mut v = Validator::new(&file, Vec::new());
        let spec = v.spec(raw);
        return if v.errors.is_empty() { Ok(vec![spec]) } else { Err(fail(v.errors)) };
    };
    let mut taken: BTreeSet<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    taken.extend(raw.resources.keys().cloned());
    taken.extend(raw.steps.iter().flat_map(|s| s.value.capture.iter().flat_map(|c| c.keys().cloned())));
    let problems = |problems: Vec<cases::Problem>| {
        let mut v = Validator::new(&file, Vec::new());
        for p in problems {
            let e = v.error(p.pos, p.len, p.message);
            if let Some(help) = p.help {
                e.help(help);
            }
        }
        v.errors
    };
    let unused = cases::unused(&table, &cases::referenced(&mut raw));
    let rows = match cases::table(&table, &taken) {
        Ok(rows) => rows,
        Err(mut p) => {
            p.extend(unused);
            return Err(fail(problems(p)));
        }
    };
    let columns: Vec<String> = cases::column_keys(&table).into_iter().map(|k| k.name).collect();
    let mut specs = Vec::new();
    let mut errors: Vec<SpecError> = problems(unused);
    for case in rows {
        // Each case validates its own copy of the file: cells differ in type and presence.
        let mut raw: RawSpec = parse_yaml(name, text)?;
        raw.cases = None;
        cases::bind(&mut raw, &case.cells);
        let mut v = Validator::new(&file, columns.clone());
        let mut spec = v.spec(raw);
        spec.id = format!("{}/{}", spec.id, case.name);
        spec.title = case.title.unwrap_or_else(|| format!("{} ({})", spec.title, case.name));
        spec.source = case.source.unwrap_or(spec.source);
        // A mistake in the shared part of the file shows once, not once per case.
        for e in v.errors {
            if !errors.iter().any(|seen| seen.to_string() == e.to_string()) {
                errors.push(e);
            }
        }
        specs.push(spec);
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(fail(errors))
    }
}

/// Deserialises any YAML document of the project (specs, expectations, target configs) with
/// errors that point at file:line:col.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, SpecErrors> {
    // A tag such as `!!python/object` means nothing to a spec: refused, never silently dropped.
    let options = serde_saphyr::options! { reject_unsupported_tags: true, reject_tagged_field_names: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let file = SourceFile::new(name, text);
        SpecErrors { file: name.to_owned(), errors: vec![yaml_error(&file, &e)] }
    })
}

fn yaml_error(file: &SourceFile, error: &serde_saphyr::Error) -> SpecError {
    let span = error
        .location()
        .map(|l| Span::at(file.offset_of(l.line(), l.column()), 1))
        .unwrap_or_default();
    // Errors arrive wrapped for snippet and alias rendering; the cause is what tells the story.
    let mut error = error;
    while let serde_saphyr::Error::WithSnippet { error: inner, .. } | serde_saphyr::Error::AliasError { error: inner, .. } = error {
        error = inner;
    }
    match error {
        serde_saphyr::Error::SerdeUnknownField { field, expected, .. } => {
            let mut e = SpecError::new(file, Span::at(span.offset, field.len()), format!("unknown key `{field}`"));
            e.label("not a key here");
            let known = expected.join("`, `");
            match did_you_mean(field, expected.iter().copied()) {
                Some(best) => e.help(format!("did you mean `{best}`? Keys allowed here: `{known}`")),
                None => e.help(format!("keys allowed here: `{known}`")),
            };
            e
        }
        serde_saphyr::Error::SerdeUnknownVariant { variant, expected, .. } => {
            let mut e = SpecError::new(file, Span::at(span.offset, variant.len()), format!("unknown value `{variant}`"));
            match did_you_mean(variant, expected.iter().copied()) {
                Some(best) => e.help(format!("did you mean `{best}`? Allowed: `{}`", expected.join("`, `"))),
                None => e.help(format!("allowed: `{}`", expected.join("`, `"))),
            };
            e
        }
        other => {
            let text = other.without_snippet().to_string();
            // serde-saphyr appends " at line L column C"; the location is shown already.
            let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
            SpecError::new(file, span, message)
        }
    }
}

struct Validator<'a> {
    file: &'a Arc<SourceFile>,
    errors: Vec<SpecError>,
    /// The columns of the file's case table, suggested for an undefined `${…}`.
    columns: Vec<String>,
    /// Variables defined so far, in step order.
    vars: BTreeSet<String>,
    /// Queue and stream resources for workloads: queue name → Some(is FIFO), stream name → None.
    resources: std::collections::BTreeMap<String, Option<bool>>,
}

impl<'a> Validator<'a> {
    fn new(file: &'a Arc<SourceFile>, columns: Vec<String>) -> Self {
        Self { file, errors: Vec::new(), columns, vars: BUILTINS.iter().map(|s| s.to_string()).collect(), resources: Default::default() }
    }

    fn span(&self, pos: Pos, len: usize) -> Span {
        Span::at(self.file.offset_of(pos.line, pos.column), len)
    }

    fn error(&mut self, pos: Pos, len: usize, message: impl Into<String>) -> &mut SpecError {
        let e = SpecError::new(self.file, self.span(pos, len), message);
        self.errors.push(e);
        self.errors.last_mut().expect("just pushed")
    }

    fn node_error(&mut self, node: &Node, message: impl Into<String>) -> &mut SpecError {
        let len = node.as_str().map_or(1, str::len);
        self.error(node.pos, len, message)
    }

    fn spec(&mut self, raw: RawSpec) -> Spec {
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

    fn resources(&mut self, raw: indexmap::IndexMap<String, Spanned<RawResource>>) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        for (name, spanned) in raw {
            let pos = Pos::of(&spanned);
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
                self.error(pos, 1, format!("resource name `{name}` must be letters, digits and `_`"));
            }
            let kind = match spanned.value {
                RawResource::Queue(q) => ResourceKind::Queue(self.queue(q, &out)),
                RawResource::Stream(s) => ResourceKind::Stream(StreamDef { shards: s.shards }),
                RawResource::Table(t) => {
                    if t.key.is_empty() || t.key.len() > 2 {
                        self.error(pos, 1, "a table `key` has a partition key and at most one sort key");
                    }
                    ResourceKind::Table(TableDef {
                        key: t.key.into_iter().map(|(k, ty)| (k, format!("{ty:?}"))).collect(),
                        stream: t.stream.map(|v| {
                            serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
                        }),
                        ttl: t.ttl,
                    })
                }
            };
            match &kind {
                ResourceKind::Queue(q) => self.resources.insert(name.clone(), Some(q.fifo)),
                ResourceKind::Stream(_) => self.resources.insert(name.clone(), None),
                ResourceKind::Table(_) => None,
            };
            for attr in kind.attributes() {
                self.vars.insert(format!("{name}.{attr}"));
            }
            out.push(Resource { name, kind, span: self.span(pos, 1) });
        }
        out
    }

    fn queue(&mut self, raw: RawQueue, earlier: &[Resource]) -> QueueDef {
        let mut attributes = Vec::new();
        if let Some(node) = &raw.attributes {
            match &node.value {
                NodeValue::Map(entries) => {
                    for (key, value) in entries {
                        let text = match &value.value {
                            NodeValue::String(s) => s.clone(),
                            NodeValue::Number(n) => n.to_string(),
                            NodeValue::Bool(b) => b.to_string(),
                            _ => {
                                self.node_error(value, format!("queue attribute values are scalars, not {}", value.kind()));
                                continue;
                            }
                        };
                        if text.contains("${") {
                            // Resources are created before any variable but their own exists.
                            let e = self.node_error(value, "queue attributes are sent as written: `${…}` is not expanded here");
                            e.help("for a dead-letter queue use `redrive: { to: <queue declared above> }`; otherwise set the attribute in a step (sqs.SetQueueAttributes)");
                        }
                        attributes.push((key.name.clone(), text));
                    }
                }
                _ => {
                    self.node_error(node, "`attributes` must be a mapping of attribute name to value");
                }
            }
        }
        let redrive = raw.redrive.map(|r| {
            let to = &r.value.to;
            match earlier.iter().find(|e| e.name == to.value) {
                Some(Resource { kind: ResourceKind::Queue(dlq), .. }) if dlq.fifo != raw.fifo => {
                    self.error(Pos::of(to), to.value.len(), "a dead-letter queue must be of the same type (FIFO or standard) as its source");
                }
                Some(Resource { kind: ResourceKind::Queue(_), .. }) => {}
                _ => {
                    let queues: Vec<&str> = earlier
                        .iter()
                        .filter(|e| matches!(e.kind, ResourceKind::Queue(_)))
                        .map(|e| e.name.as_str())
                        .collect();
                    let e = self.error(Pos::of(to), to.value.len(), format!("`{}` is not a queue declared above", to.value));
                    if let Some(best) = did_you_mean(&to.value, queues) {
                        e.help(format!("did you mean `{best}`?"));
                    } else {
                        e.help("declare the dead-letter queue before the queue that redrives to it");
                    }
                }
            }
            Redrive { to: to.value.clone(), max_receive_count: r.value.max_receive_count }
        });
        QueueDef { fifo: raw.fifo, attributes, redrive }
    }

    fn step(&mut self, spanned: Spanned<RawStep>) -> Option<Step> {
        let pos = Pos::of(&spanned);
        let mut raw = spanned.value;
        let name = raw.name.take();
        let repeat = raw.repeat.as_ref().map_or(1, |r| r.value);
        if raw.repeat.is_some() {
            self.vars.insert("index".into());
        }
        if let Some(e) = raw.evidence.as_ref().filter(|_| raw.call.is_none()) {
            self.node_error(e, "`evidence` cites recordings of an AWS call, so it belongs on a `call` step");
        }
        if let Some(workload) = raw.workload.take() {
            if raw.call.is_some() || raw.sleep.is_some() || raw.with.is_some() || raw.capture.is_some() || raw.eventually.is_some() || raw.collect.is_some() {
                self.error(pos, 1, "a `workload` step takes only `expect`");
            }
            let expect = raw.expect.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
            let action = self.workload(workload, expect).map(|w| Action::Workload(Box::new(w)));
            return Some(Step { name, span: self.span(pos, 1), action: action?, repeat });
        }
        let action = match (raw.call.take(), &raw.sleep) {
            (Some(_), Some(sleep)) => {
                self.error(Pos::of(sleep), 5, "a step either calls or sleeps, not both");
                None
            }
            (None, Some(sleep)) => {
                let has_call_keys = raw.with.is_some()
                    || raw.expect.is_some()
                    || raw.expect_error.is_some()
                    || raw.capture.is_some()
                    || raw.eventually.is_some()
                    || raw.collect.is_some();
                if has_call_keys {
                    self.error(Pos::of(sleep), 5, "a `sleep` step takes no `with`, `expect`, `capture`, `eventually` or `collect`");
                }
                self.duration(sleep).map(Action::Sleep)
            }
            (Some(call), None) => self.call(&call, raw).map(|c| Action::Call(Box::new(c))),
            (None, None) => {
                self.error(pos, 1, "a step needs `call:` (an AWS action) or `sleep:`")
                    .help("e.g. `- call: sqs.SendMessage`");
                None
            }
        };
        self.vars.remove("index");
        Some(Step { name, span: self.span(pos, 1), action: action?, repeat })
    }

    fn workload(&mut self, spanned: Spanned<RawWorkload>, expect: Vec<Expectation>) -> Option<Workload> {
        use crate::check::history::Model;
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let (name, default_model) = match (&raw.queue, &raw.stream) {
            (Some(q), None) => match self.resources.get(q) {
                Some(Some(fifo)) => (q.clone(), if *fifo { Model::SqsFifo } else { Model::SqsStandard }),
                _ => {
                    self.error(pos, 1, format!("`{q}` is not a queue resource of this spec"));
                    return None;
                }
            },
            (None, Some(s)) if self.resources.get(s) == Some(&None) => (s.clone(), Model::Kinesis),
            (None, Some(s)) => {
                self.error(pos, 1, format!("`{s}` is not a stream resource of this spec"));
                return None;
            }
            _ => {
                self.error(pos, 1, "a workload drives exactly one `queue:` or `stream:`");
                return None;
            }
        };
        if raw.producers == 0 || raw.consumers == 0 || raw.messages == 0 {
            self.error(pos, 1, "`messages`, `producers` and `consumers` must be at least 1");
        }
        if expect.is_empty() {
            self.error(pos, 1, "a workload needs `expect` on its analysis, e.g. `$.valid: true`");
        }
        let timeout = raw.timeout.as_ref().and_then(|t| self.duration(t)).unwrap_or(Duration::from_secs(60));
        Some(Workload {
            resource: name,
            messages: raw.messages,
            producers: raw.producers,
            consumers: raw.consumers,
            model: raw.model.unwrap_or(default_model),
            timeout,
            expect,
        })
    }

    fn call(&mut self, call: &Spanned<String>, raw: RawStep) -> Option<Call> {
        let (service, action) = self.action(call)?;
        let request = raw.with.unwrap_or(Node { pos: Pos::of(call), value: NodeValue::Map(Vec::new()) });
        if !matches!(request.value, NodeValue::Map(_)) {
            self.node_error(&request, format!("`with` must be the request object, not {}", request.kind()));
        }
        self.check_template(&request);
        for (at, why) in crate::spec::generate::problems(&request) {
            self.node_error(at, why);
        }
        let expect = raw.expect.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
        let expect_error = raw.expect_error.as_ref().and_then(|e| self.error_expectation(e));
        // A step that expects an error may send what the model forbids: that is often its point.
        if expect_error.is_none() {
            self.check_request(service, &action, &request);
        }
        let eventually = raw.eventually.map(|e| self.eventually(e));
        if eventually.is_some() && expect.is_empty() && expect_error.is_none() {
            self.error(Pos::of(call), call.value.len(), "`eventually` repeats a call until `expect` holds, but this step expects nothing");
        }
        if let Some(c) = raw.collect.as_ref().filter(|_| eventually.is_some() || expect_error.is_some()) {
            self.error(Pos::of(c), 7, "`collect` gathers successful answers: it takes neither `eventually` nor `expect_error`");
        }
        let collect = raw.collect.and_then(|c| self.collect(c, service, &action));
        let mut capture = Vec::new();
        for (name, path) in raw.capture.into_iter().flatten() {
            if let Some(p) = self.path(&path.value, Pos::of(&path)) {
                capture.push(Capture { name: name.clone(), path: p, span: self.span(Pos::of(&path), path.value.len()) });
            }
            self.vars.insert(name);
        }
        let evidence = raw.evidence.as_ref().map(|e| self.evidence(e)).unwrap_or_default();
        Some(Call { service, action, request, expect, expect_error, capture, eventually, collect, snapshot: raw.snapshot, evidence })
    }

    /// The request against the action's input shape in AWS's model.
    fn check_request(&mut self, service: &services::Service, action: &str, request: &Node) {
        let model = service.model();
        let Some(input) = model.operation(action).and_then(|o| o.input.as_ref()) else { return };
        for finding in crate::model::check(model, &input.shape, request, crate::model::Direction::Request) {
            let message = format!("{}.{action} request: {}", service.name, finding.message);
            let e = self.node_error(finding.at, message);
            if let Some(help) = finding.help {
                e.help(help);
            }
        }
    }

    fn action(&mut self, call: &Spanned<String>) -> Option<(&'static services::Service, String)> {
        let pos = Pos::of(call);
        let Some((service_name, action)) = call.value.split_once('.') else {
            self.error(pos, call.value.len(), format!("`{}` is not `<service>.<Action>`", call.value))
                .help("e.g. `sqs.SendMessage`, `kinesis.PutRecord`, `dynamodb.PutItem`, `dynamodbstreams.GetRecords`");
            return None;
        };
        let Some(service) = services::by_name(service_name) else {
            let e = self.error(pos, service_name.len(), format!("unknown service `{service_name}`"));
            match did_you_mean(service_name, services::names()) {
                Some(best) => e.help(format!("did you mean `{best}`?")),
                None => e.help(format!("services: {}", services::names().collect::<Vec<_>>().join(", "))),
            };
            return None;
        };
        if !service.has_action(action) {
            let column = pos.column + service_name.len() as u64 + 1;
            let e = self.error(Pos { column, ..pos }, action.len(), format!("{service_name} has no action `{action}`"));
            if let Some(best) = did_you_mean(action, service.actions()) {
                e.help(format!("did you mean `{best}`?"));
            }
            return None;
        }
        Some((service, action.to_owned()))
    }

    /// Reports malformed and undefined `${…}` references in a node.
    fn check_template(&mut self, node: &Node) {
        if let Err((at, message)) = template::check_syntax(node) {
            let at = at.clone();
            self.node_error(&at, message);
            return;
        }
        let undefined: Vec<(Node, String)> = template::references(node)
            .into_iter()
            .filter(|(_, name)| !self.vars.contains(name))
            .map(|(n, name)| (n.clone(), name))
            .collect();
        for (at, name) in undefined {
            let best = did_you_mean(&name, self.vars.iter().chain(&self.columns).map(String::as_str)).map(str::to_owned);
            let e = self.node_error(&at, format!("undefined variable `{name}`"));
            match best {
                Some(best) => e.help(format!("did you mean `{best}`?")),
                None => e.help("variables come from resources declared above (`q.url`), built-ins (prefix, region, run_id) and earlier `capture`s"),
            };
        }
    }

    fn expectations(&mut self, node: &Node) -> Vec<Expectation> {
        let NodeValue::Map(entries) = &node.value else {
            self.node_error(node, "`expect` maps JSONPaths to matchers, e.g. `$.Messages: { length: 1 }`");
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(key, value)| {
                let path = self.path(&key.name, key.pos);
                let matcher = self.matcher(value);
                Some(Expectation { path: path?, matcher: matcher?, span: self.span(key.pos, key.name.len()) })
            })
            .collect()
    }

    fn path(&mut self, text: &str, pos: Pos) -> Option<Selector> {
        match JsonPath::parse(text) {
            Ok(query) => Some(Selector { text: text.to_owned(), query, singular: is_singular(text) }),
            Err(e) => {
                self.error(pos, text.len(), format!("`{text}` is not a JSONPath: {e}"))
                    .help("JSONPath (RFC 9535) starts at `$`, e.g. `$.Messages[0].Body`");
                None
            }
        }
    }

    fn matcher(&mut self, node: &Node) -> Option<Matcher> {
        let entries = match &node.value {
            NodeValue::Map(entries) if !entries.is_empty() => entries,
            _ => {
                self.check_template(node);
                return Some(Matcher::Equals(node.clone()));
            }
        };
        if entries.iter().all(|(k, _)| !MATCHERS.contains(&k.name.as_str()) && did_you_mean(&k.name, MATCHERS).is_none()) {
            self.error(entries[0].0.pos, entries[0].0.name.len(), "a mapping here lists matchers; this one names none")
                .help("to compare an object write `equals: { … }`; matchers: equals, regex, type, length, contains, exists, absent, gt, gte, lt, lte, not, each, one_of, increasing");
            return None;
        }
        let mut all = Vec::new();
        for (key, value) in entries {
            let matcher = match key.name.as_str() {
                "equals" | "contains" => {
                    self.check_template(value);
                    Some(if key.name == "equals" { Matcher::Equals(value.clone()) } else { Matcher::Contains(value.clone()) })
                }
                "regex" if value.as_str().is_some_and(|s| s.contains("${")) => {
                    self.check_template(value);
                    // Check the regex syntax with every variable standing for a plain word.
                    let probe = template::render_str(value.as_str().unwrap_or(""), &Default::default())
                        .map(|_| ())
                        .or_else(|_| {
                            let text = value.as_str().unwrap_or("");
                            let segments = template::parse(text).unwrap_or_default();
                            let sample: String = segments
                                .iter()
                                .map(|s| match s {
                                    template::Segment::Text(t) => t.clone(),
                                    template::Segment::Var(_) => "x".into(),
                                })
                                .collect();
                            Regex::new(&sample).map(drop).map_err(|e| e.to_string())
                        });
                    match probe {
                        Ok(()) => Some(Matcher::RegexTemplate(value.as_str().unwrap_or("").to_owned())),
                        Err(e) => {
                            self.node_error(value, format!("invalid regex: {e}"));
                            None
                        }
                    }
                }
                "regex" => match value.as_str().map(Regex::new) {
                    Some(Ok(re)) => Some(Matcher::Regex(re)),
                    Some(Err(e)) => {
                        self.node_error(value, format!("invalid regex: {e}"));
                        None
                    }
                    None => {
                        self.node_error(value, "`regex` takes a string");
                        None
                    }
                },
                "type" => match value.as_str().and_then(JsonType::parse) {
                    Some(t) => Some(Matcher::Type(t)),
                    None => {
                        self.node_error(value, format!("`type` is one of {}", JsonType::NAMES.join(", ")));
                        None
                    }
                },
                "length" => match &value.value {
                    NodeValue::String(_) | NodeValue::Bool(_) | NodeValue::Null | NodeValue::Seq(_) => {
                        self.node_error(value, "`length` takes a count (`length: 3`) or matchers on the count (`length: { gte: 1 }`)");
                        None
                    }
                    _ => self.matcher(value).map(|m| Matcher::Length(Box::new(m))),
                },
                "not" => self.matcher(value).map(|m| Matcher::Not(Box::new(m))),
                "each" => self.matcher(value).map(|m| Matcher::Each(Box::new(m))),
                "increasing" => match value.value {
                    NodeValue::Bool(true) => Some(Matcher::Increasing),
                    _ => {
                        self.node_error(value, "`increasing` takes true (to require a non-increasing list, use `not`)");
                        None
                    }
                },
                "exists" | "absent" => match value.value {
                    NodeValue::Bool(b) => Some(if b == (key.name == "exists") { Matcher::Exists } else { Matcher::Absent }),
                    _ => {
                        self.node_error(value, format!("`{}` takes true or false", key.name));
                        None
                    }
                },
                "gt" | "gte" | "lt" | "lte" => {
                    let op = match key.name.as_str() {
                        "gt" => Comparison::Gt,
                        "gte" => Comparison::Gte,
                        "lt" => Comparison::Lt,
                        _ => Comparison::Lte,
                    };
                    let is_reference = value.as_str().is_some_and(|s| {
                        matches!(template::parse(s).as_deref(), Ok([template::Segment::Var(_)]))
                    });
                    match &value.value {
                        NodeValue::Number(_) => Some(Matcher::Compare(op, value.clone())),
                        NodeValue::String(_) if is_reference => {
                            self.check_template(value);
                            Some(Matcher::Compare(op, value.clone()))
                        }
                        _ => {
                            self.node_error(value, format!("`{}` takes a number or a `${{variable}}`", key.name));
                            None
                        }
                    }
                }
                "one_of" => match &value.value {
                    NodeValue::Seq(items) if !items.is_empty() => {
                        items.iter().for_each(|i| self.check_template(i));
                        Some(Matcher::OneOf(items.clone()))
                    }
                    _ => {
                        self.node_error(value, "`one_of` takes a non-empty list of values");
                        None
                    }
                },
                other => {
                    let e = self.error(key.pos, other.len(), format!("unknown matcher `{other}`"));
                    match did_you_mean(other, MATCHERS) {
                        Some(best) => e.help(format!("did you mean `{best}`?")),
                        None => e.help(format!("matchers: {}", MATCHERS.join(", "))),
                    };
                    None
                }
            };
            all.push(matcher?);
        }
        Some(if all.len() == 1 { all.pop().expect("one") } else { Matcher::All(all) })
    }

    /// `expect_error`: a mapping of `code`, `query_code`, `status` and `message` (a regex); `{}` is any error.
    fn error_expectation(&mut self, node: &Node) -> Option<ErrorExpectation> {
        const KEYS: [&str; 4] = ["code", "query_code", "status", "message"];
        let NodeValue::Map(entries) = &node.value else {
            self.node_error(node, format!("`expect_error` is a mapping of `{}`, not {}", KEYS.join("`, `"), node.kind()))
                .help("`{}` accepts any error; in a case table, `${column}` whose cells are such mappings or `~`");
            return None;
        };
        let mut expected = ErrorExpectation { code: None, query_code: None, status: None, message: None, span: self.span(node.pos, 1) };
        for (key, value) in entries {
            let text = value.as_str().map(str::to_owned);
            match (key.name.as_str(), &value.value) {
                ("code", NodeValue::String(_)) => expected.code = text,
                ("query_code", NodeValue::String(_)) => expected.query_code = text,
                ("status", NodeValue::Number(n)) if n.as_u64().is_some_and(|s| (100..600).contains(&s)) => {
                    expected.status = n.as_u64().map(|s| s as u16);
                }
                ("status", _) => {
                    self.node_error(value, "`status` is an HTTP status code, e.g. 400");
                }
                ("message", NodeValue::String(m)) => match Regex::new(m) {
                    Ok(re) => expected.message = Some(re),
                    Err(e) => {
                        self.node_error(value, format!("invalid regex: {e}"));
                    }
                },
                (known, _) if KEYS.contains(&known) => {
                    self.node_error(value, format!("`{known}` is text, not {}", value.kind()));
                }
                (unknown, _) => {
                    let e = self.error(key.pos, unknown.len(), format!("unknown key `{unknown}`"));
                    match did_you_mean(unknown, KEYS) {
                        Some(best) => e.help(format!("did you mean `{best}`?")),
                        None => e.help(format!("keys allowed here: `{}`", KEYS.join("`, `"))),
                    };
                }
            }
        }
        Some(expected)
    }

    /// A step's `evidence`: ids of recordings in `fixtures/aws-recorded/`.
    fn evidence(&mut self, node: &Node) -> Vec<EvidenceRef> {
        let NodeValue::Seq(items) = &node.value else {
            self.node_error(node, "a step's `evidence` is a list of recording ids, e.g. `[localstack/sqs-fifo/send-delay-seconds-rejected]`");
            return Vec::new();
        };
        let mut refs = Vec::new();
        for item in items {
            match item.as_str() {
                Some(id) => refs.push(EvidenceRef { id: id.to_owned(), span: self.span(item.pos, id.len()) }),
                None => {
                    self.node_error(item, "a recording id is text");
                }
            }
        }
        refs
    }

    fn eventually(&mut self, spanned: Spanned<RawEventually>) -> Eventually {
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let timeout = self.positive_duration(&raw.timeout).unwrap_or_default();
        let interval = raw.interval.as_ref().and_then(|i| self.positive_duration(i)).unwrap_or(Duration::from_millis(200));
        let max_interval = raw.max_interval.as_ref().and_then(|i| self.duration(i)).unwrap_or(Duration::from_secs(2));
        let backoff = raw.backoff.unwrap_or(1.5);
        if backoff < 1.0 {
            self.error(pos, 1, "`backoff` is a factor of at least 1.0");
        }
        let fail_fast = raw.fail_fast.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
        Eventually { timeout, interval, backoff, max_interval, fail_fast: Arc::new(fail_fast) }
    }

    fn collect(&mut self, spanned: Spanned<RawCollect>, service: &services::Service, action: &str) -> Option<Collect> {
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let items = self.path(&raw.items.value, Pos::of(&raw.items));
        let until = self.expectations(&raw.until);
        if until.is_empty() {
            self.node_error(&raw.until, "`until` needs a condition over the collection, e.g. `$: { length: 6 }`");
        }
        let timeout = self.positive_duration(&raw.timeout);
        let interval = raw.interval.as_ref().map_or(Some(Duration::from_millis(200)), |i| self.positive_duration(i));
        let cursor = raw.cursor.and_then(|c| {
            let at = Pos::of(&c);
            let members = service.model().operation(action).and_then(|o| o.input.as_ref()).and_then(|i| service.model().shape(&i.shape));
            if let Some(crate::model::Shape::Structure { members, .. }) = members {
                if !members.contains_key(&c.value.to) {
                    let names: Vec<&str> = members.keys().map(String::as_str).collect();
                    let e = self.error(at, 1, format!("`cursor.to`: {}.{action} has no request member `{}`", service.name, c.value.to));
                    if let Some(best) = did_you_mean(&c.value.to, names) {
                        e.help(format!("did you mean `{best}`?"));
                    }
                }
            }
            Some(Cursor { from: self.path(&c.value.from, at)?, to: c.value.to })
        });
        if raw.delete_received && (service.name, action) != ("sqs", "ReceiveMessage") {
            self.error(pos, 1, "`delete_received` deletes received SQS messages: it belongs on `sqs.ReceiveMessage`");
        }
        Some(Collect { items: items?, until, timeout: timeout?, interval: interval?, cursor, delete_received: raw.delete_received })
    }
}

/// Whether a JSONPath can select at most one value (RFC 9535 "singular query"): only names and
/// single indexes, no wildcard, descendant, filter, slice or union.
fn is_singular(path: &str) -> bool {
    let mut quote = None;
    let mut prev = ' ';
    for c in path.chars() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if matches!(c, '*' | '?' | ':' | ',') || (c == '.' && prev == '.') => return false,
            None => {}
        }
        prev = c;
    }
    true
}

#[cfg(test)]
mod tests {
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

    fn errors(text: &str) -> Vec<String> {
        match load_str("t.yaml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors.iter().map(|e| format!("{} | {}", e, e.help.clone().unwrap_or_default())).collect(),
        }
    }

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

    #[test]
    fn singular_paths() {
        assert!(is_singular("$.a.b[0]['x.y']"));
        assert!(is_singular("$"));
        assert!(!is_singular("$.a[*].b"));
        assert!(!is_singular("$..b"));
        assert!(!is_singular("$.a[?@.x == 1]"));
        assert!(!is_singular("$.a[0:2]"));
    }
}
