//! The validated spec: what the engine runs. Built from the YAML by `validate`; every node that can
//! fail at run time keeps its `Span` so a failure report points back into the file.

use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_json_path::JsonPath;

use super::node::Node;
use super::source::{SourceFile, Span};
use crate::services::Service;

#[derive(Debug)]
pub struct Spec {
    pub id: String,
    /// Where the id stands in the file, for errors about it (a duplicate).
    pub id_span: Span,
    pub title: String,
    /// The AWS documentation page that states the behaviour.
    pub source: String,
    pub tags: Vec<String>,
    /// Seed catalogue rows this spec checks (`SQS-05`).
    pub covers: Vec<String>,
    /// Target capabilities the spec depends on (`fifo`, `streams`, `ttl-expiry`…).
    pub needs: Vec<String>,
    pub timeout: Option<Duration>,
    /// Spec-specific snapshot normalisation: what a JSONPath selects becomes a token of this kind.
    pub normalize: Vec<(Selector, String)>,
    pub resources: Vec<Resource>,
    pub steps: Vec<Step>,
    /// Declared `evidence: documented-only`: no recording of AWS backs any step.
    pub documented_only: bool,
    pub file: Arc<SourceFile>,
}

impl Spec {
    /// Services the spec talks to, so a target that lacks one reports a gap instead of failing.
    pub fn services(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .resources
            .iter()
            .map(|r| r.kind.service().name)
            .chain(self.steps.iter().filter_map(|s| match &s.action {
                Action::Call(call) => Some(call.service.name),
                Action::Sleep(_) | Action::Workload(_) => None,
            }))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

#[derive(Debug)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum ResourceKind {
    Queue(QueueDef),
    Stream(StreamDef),
    Table(TableDef),
}

impl ResourceKind {
    pub fn service(&self) -> &'static Service {
        match self {
            ResourceKind::Queue(_) => &crate::services::SQS,
            ResourceKind::Stream(_) => &crate::services::KINESIS,
            ResourceKind::Table(_) => &crate::services::DYNAMODB,
        }
    }

    /// The attributes a spec can use as `${name.attr}`.
    pub fn attributes(&self) -> &'static [&'static str] {
        match self {
            ResourceKind::Queue(_) => &["url", "arn", "name"],
            ResourceKind::Stream(_) => &["name", "arn"],
            ResourceKind::Table(t) if t.stream.is_some() => &["name", "arn", "stream_arn"],
            ResourceKind::Table(_) => &["name", "arn"],
        }
    }
}

#[derive(Debug)]
pub struct QueueDef {
    pub fifo: bool,
    /// CreateQueue attributes, already as the strings SQS takes.
    pub attributes: Vec<(String, String)>,
    pub redrive: Option<Redrive>,
}

#[derive(Debug)]
pub struct Redrive {
    /// The resource name of the dead-letter queue, declared earlier in the same spec.
    pub to: String,
    pub max_receive_count: u32,
}

#[derive(Debug)]
pub struct StreamDef {
    pub shards: u32,
}

#[derive(Debug)]
pub struct TableDef {
    /// Partition key, then the optional sort key, each with its scalar type (S, N or B).
    pub key: Vec<(String, String)>,
    pub stream: Option<String>,
    pub ttl: Option<String>,
}

#[derive(Debug)]
pub struct Step {
    pub name: Option<String>,
    pub span: Span,
    pub action: Action,
    /// Run the step this many times, with `${index}` counting from 0.
    pub repeat: u32,
}

impl Step {
    pub fn describe(&self) -> String {
        let what = match &self.action {
            Action::Call(call) => format!("{}.{}", call.service.name, call.action),
            Action::Sleep(d) => format!("sleep {d:?}"),
            Action::Workload(w) => format!("workload on {} ({} messages)", w.resource, w.messages),
        };
        match &self.name {
            Some(name) => format!("{name} ({what})"),
            None => what,
        }
    }
}

#[derive(Debug)]
pub enum Action {
    Call(Box<Call>),
    Sleep(Duration),
    Workload(Box<Workload>),
}

/// A produce/consume workload whose history is analysed (see `check::history`).
#[derive(Debug)]
pub struct Workload {
    /// The queue or stream resource it drives.
    pub resource: String,
    pub messages: u32,
    pub producers: u32,
    pub consumers: u32,
    pub model: crate::check::history::Model,
    pub timeout: Duration,
    pub expect: Vec<Expectation>,
}

#[derive(Debug)]
pub struct Call {
    pub service: &'static Service,
    pub action: String,
    /// The request JSON as written, `${…}` still unresolved.
    pub request: Node,
    pub expect: Vec<Expectation>,
    pub expect_error: Option<ErrorExpectation>,
    pub capture: Vec<Capture>,
    pub eventually: Option<Eventually>,
    pub collect: Option<Collect>,
    pub snapshot: bool,
    /// Recordings of AWS answering this call (ids into `fixtures/aws-recorded/`).
    pub evidence: Vec<EvidenceRef>,
}

/// A cited recording id and where the spec cites it.
#[derive(Debug, Clone)]
pub struct EvidenceRef {
    pub id: String,
    pub span: Span,
}

/// A JSONPath and what the value(s) it selects must satisfy.
#[derive(Debug)]
pub struct Expectation {
    pub path: Selector,
    pub matcher: Matcher,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Selector {
    pub text: String,
    pub query: JsonPath,
    /// A singular query (names and indexes only) selects one value; any other query selects the
    /// list of every match, so `length` counts matches and `equals` compares the whole list.
    pub singular: bool,
}

#[derive(Debug)]
pub enum Matcher {
    Equals(Node),
    Regex(Regex),
    /// A regex with `${variables}`, compiled once they are known; their values match literally.
    RegexTemplate(String),
    Type(JsonType),
    Length(Box<Matcher>),
    Contains(Node),
    Exists,
    Absent,
    /// The bound is a number or a `${variable}` holding one (e.g. a captured timestamp).
    Compare(Comparison, Node),
    Not(Box<Matcher>),
    Each(Box<Matcher>),
    OneOf(Vec<Node>),
    /// A list whose items strictly increase (numbers, or decimal strings such as sequence numbers).
    Increasing,
    /// A string holding a JSON document (an SNS envelope, an EventBridge event in an SQS body),
    /// on which these expectations hold.
    Json(Vec<Expectation>),
    All(Vec<Matcher>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const NAMES: [&'static str; 7] = ["string", "number", "integer", "boolean", "array", "object", "null"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "array" => Self::Array,
            "object" => Self::Object,
            "null" => Self::Null,
            _ => return None,
        })
    }
}

/// The wire identity of an expected error. Each field is optional; the ones given must all match.
#[derive(Debug, Default)]
pub struct ErrorExpectation {
    /// The error shape name: `__type` without its namespace, e.g. `QueueDoesNotExist`.
    pub code: Option<String>,
    /// The legacy query-protocol code from `x-amzn-query-error`, e.g. `AWS.SimpleQueueService.NonExistentQueue`.
    pub query_code: Option<String>,
    pub status: Option<u16>,
    pub message: Option<Regex>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Capture {
    pub name: String,
    pub path: Selector,
    pub span: Span,
}

/// Repeat a call until its expectations hold.
#[derive(Debug, Clone)]
pub struct Eventually {
    pub timeout: Duration,
    pub interval: Duration,
    /// Each wait is the previous one times this factor, up to `max_interval`.
    pub backoff: f64,
    pub max_interval: Duration,
    /// When these all hold on an attempt, waiting longer cannot help: stop and fail.
    pub fail_fast: Arc<Vec<Expectation>>,
}

/// Repeat a call, gathering items from each answer, until `until` holds over the collection.
#[derive(Debug)]
pub struct Collect {
    pub items: Selector,
    pub until: Vec<Expectation>,
    pub timeout: Duration,
    pub interval: Duration,
    pub cursor: Option<Cursor>,
    pub delete_received: bool,
}

#[derive(Debug)]
pub struct Cursor {
    pub from: Selector,
    /// The top-level request member the cursor goes into.
    pub to: String,
}
