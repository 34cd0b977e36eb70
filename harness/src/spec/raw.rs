//! The spec file format as written: serde types that mirror the YAML one to one.
//!
//! `deny_unknown_fields` everywhere, so a misspelt key is an error with a position, never silently
//! ignored. Free-form parts (request bodies, expected values) stay `Node`s for `validate` to read.
//! These types also generate the JSON Schema (`conform schema`) that editors use for completion.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::node::Node;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// Unique id, conventionally the path under specs/ without `.yaml`, e.g. `sqs/fifo/content-dedup`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// One sentence stating the behaviour, as a claim that is true on AWS.
    pub title: String,
    /// URL of the AWS documentation page that states the behaviour.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// Free labels; `core`, `complete` and `strict` choose strictness, service names group specs.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Rows of the seed behaviour catalogue this spec checks, e.g. `[SQS-05, SQS-06]`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub covers: Vec<Spanned<String>>,
    /// Target capabilities the spec depends on; a target without one skips the spec as a gap.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub needs: Vec<Spanned<String>>,
    /// Overall time limit of the spec, e.g. `30s`.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    /// Extra snapshot normalisation: JSONPath → token kind. Every string the path selects in a
    /// request or response becomes `<kind:N>` wherever it recurs (e.g. `$.Messages[*].Attributes.SenderId: sender`).
    pub normalize: Option<Node>,
    /// Resources created before the steps and always deleted after them.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawResource>")]
    pub resources: IndexMap<String, Spanned<RawResource>>,
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<Spanned<RawStep>>,
    /// `documented-only` when no recording of AWS backs any step (only its documentation does).
    #[schemars(with = "Option<String>")]
    pub evidence: Option<Spanned<String>>,
    /// A table of cases, each its own spec (id `<id>/<name>`): a row's other keys are columns that
    /// `${column}` references in the spec's values take, e.g.
    /// `[{ name: over-max, delay: 901, error: { code: InvalidParameterValue } }]`.
    #[schemars(with = "Option<Vec<IndexMap<String, Node>>>")]
    pub cases: Option<Node>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum RawResource {
    #[serde(rename = "sqs.queue")]
    Queue(RawQueue),
    #[serde(rename = "kinesis.stream")]
    Stream(RawStream),
    #[serde(rename = "dynamodb.table")]
    Table(RawTable),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// A FIFO queue; the harness adds the `.fifo` suffix and `FifoQueue: "true"`.
    #[serde(default)]
    pub fifo: bool,
    /// CreateQueue attributes; numbers and booleans are sent as the strings SQS expects.
    pub attributes: Option<Node>,
    /// Dead-letter redrive to another queue resource of this spec.
    #[schemars(with = "Option<RawRedrive>")]
    pub redrive: Option<Spanned<RawRedrive>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRedrive {
    /// Name of the dead-letter queue resource, declared before this one.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    pub max_receive_count: u32,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStream {
    /// Provisioned shard count.
    #[serde(default = "one")]
    pub shards: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    /// Partition key, then optional sort key: `{ pk: S, sk: N }`.
    pub key: IndexMap<String, KeyType>,
    /// Enable DynamoDB Streams with this view type.
    pub stream: Option<ViewType>,
    /// Enable TTL on this attribute.
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum KeyType {
    S,
    N,
    B,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// What the step does, for reports.
    pub name: Option<String>,
    /// `<service>.<Action>`, e.g. `sqs.SendMessage`; the request is `with`.
    #[schemars(with = "Option<String>")]
    pub call: Option<Spanned<String>>,
    /// The request JSON exactly as in the AWS API reference; `${var}` substitutes values.
    #[schemars(with = "Option<RequestValue>")]
    pub with: Option<Node>,
    /// JSONPath → matcher. A scalar or list is compared for equality; a mapping names matchers:
    /// equals, regex, type, length, contains, exists, absent, gt, gte, lt, lte, not, each, one_of,
    /// increasing, json (a string holding JSON: JSONPath → matcher within it).
    pub expect: Option<Node>,
    /// The call must fail with this wire error identity (`{}`: any error); in a case table, a
    /// `${column}` whose cell is such a mapping, or `~` for "this case succeeds".
    #[schemars(with = "Option<OrColumn<RawErrorExpectation>>")]
    pub expect_error: Option<Node>,
    /// Variable name → JSONPath into the response.
    #[schemars(with = "Option<IndexMap<String, String>>")]
    pub capture: Option<IndexMap<String, Spanned<String>>>,
    /// Repeat the call until `expect` holds.
    #[schemars(with = "Option<RawEventually>")]
    pub eventually: Option<Spanned<RawEventually>>,
    /// Repeat the call, gathering what each answer holds, until a condition over everything
    /// gathered holds; `expect` and `capture` then apply to the collection (a list).
    #[schemars(with = "Option<RawCollect>")]
    pub collect: Option<Spanned<RawCollect>>,
    /// Keep this step's response in the target's snapshot report.
    #[serde(default)]
    pub snapshot: bool,
    /// Wait, e.g. `2s`; other specs run meanwhile.
    #[schemars(with = "Option<String>")]
    pub sleep: Option<Spanned<String>>,
    /// Drive many producers and consumers through a queue or stream and analyse the history;
    /// `expect` then asserts on the analysis (`$.lost`, `$.duplicated`, `$.reordered`, `$.valid`).
    #[schemars(with = "Option<RawWorkload>")]
    pub workload: Option<Spanned<RawWorkload>>,
    /// Run the step this many times with `${index}` = 0, 1, …
    #[schemars(with = "Option<u32>")]
    pub repeat: Option<Spanned<u32>>,
    /// Ids of recordings in `fixtures/aws-recorded/` of AWS answering this same call; `conform
    /// evidence` checks the step's assertions against them.
    #[schemars(with = "Option<OrColumn<Vec<String>>>")]
    pub evidence: Option<Node>,
}

/// A value as written, or a `${column}` of a case table that holds it.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OrColumn<T> {
    Value(T),
    Column(String),
}

/// The keys of `expect_error`, read from a `Node` by the validator (a case cell may hold them).
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawErrorExpectation {
    /// Error shape name (`__type` without namespace), e.g. `QueueDoesNotExist`.
    pub code: Option<String>,
    /// Query-protocol code from `x-amzn-query-error`, e.g. `AWS.SimpleQueueService.NonExistentQueue`.
    pub query_code: Option<String>,
    /// HTTP status.
    pub status: Option<u16>,
    /// Regular expression the error message must match.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEventually {
    /// Give up after this long, e.g. `10s` (scaled by the target's timing profile).
    #[schemars(with = "String")]
    pub timeout: Spanned<String>,
    /// First wait between attempts (default 200ms).
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// Factor applied to the wait after each attempt (default 1.5).
    pub backoff: Option<f64>,
    /// Longest wait between attempts (default 2s).
    #[schemars(with = "Option<String>")]
    pub max_interval: Option<Spanned<String>>,
    /// JSONPath → matcher; when all hold, stop retrying and fail.
    pub fail_fast: Option<Node>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCollect {
    /// JSONPath selecting what one answer adds to the collection, e.g. `$.Messages[*]`.
    #[schemars(with = "String")]
    pub items: Spanned<String>,
    /// JSONPath → matcher over the collection (`$` is the list); collecting stops when all hold.
    pub until: Node,
    /// Give up after this long, e.g. `20s` (scaled by the target's timing profile).
    #[schemars(with = "String")]
    pub timeout: Spanned<String>,
    /// Wait after an answer that added nothing (default 200ms).
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// Feed each answer's cursor into the next request, e.g. `{ from: $.NextShardIterator, to:
    /// ShardIterator }`; collecting also stops when an answer has no cursor.
    #[schemars(with = "Option<RawCursor>")]
    pub cursor: Option<Spanned<RawCursor>>,
    /// `sqs.ReceiveMessage` only: delete what each answer returned before the next receive, so a
    /// FIFO group's later messages become available.
    #[serde(default)]
    pub delete_received: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCursor {
    /// JSONPath to the cursor in the response.
    pub from: String,
    /// The top-level request member that takes it.
    pub to: String,
}

/// The schema of a request value: JSON as in the API reference, where a mapping may be a generator.
struct RequestValue;

impl JsonSchema for RequestValue {
    fn schema_name() -> String {
        "RequestValue".into()
    }
    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use crate::spec::generate::{MAX_LIST_ITEMS, MAX_TEXT_BYTES};
        let value = serde_json::json!({ "$ref": "#/definitions/RequestValue" });
        let generator = |key: &str, what: &str, own: serde_json::Value, more: serde_json::Value| {
            let mut properties = serde_json::json!({ key: own });
            properties.as_object_mut().expect("object").extend(more.as_object().cloned().unwrap_or_default());
            let required: Vec<&str> = std::iter::once(key).chain((key == "$list").then_some("item")).collect();
            serde_json::json!({ "type": "object", "description": what, "required": required, "properties": properties, "additionalProperties": false })
        };
        let schema = serde_json::json!({
            "description": "A JSON value as in the AWS API reference, `${var}` substituting values; a mapping may be a generator.",
            "anyOf": [
                generator("$text", "A string of exactly this many UTF-8 bytes, `pattern` repeated.",
                    serde_json::json!({ "type": "integer", "minimum": 0, "maximum": MAX_TEXT_BYTES }),
                    serde_json::json!({ "pattern": { "type": "string", "minLength": 1, "default": "x" } })),
                generator("$list", "This many copies of `item`, each rendered with `${i}` its 0-based index.",
                    serde_json::json!({ "type": "integer", "minimum": 0, "maximum": MAX_LIST_ITEMS }),
                    serde_json::json!({ "item": value })),
                generator("$string", "The value as a string.", value.clone(), serde_json::json!({})),
                generator("$number", "The value (a number or a numeric string) as a number.", value.clone(), serde_json::json!({})),
                { "type": "object", "additionalProperties": value },
                { "type": "array", "items": value },
                { "type": ["string", "number", "boolean", "null"] },
            ],
        });
        serde_json::from_value(schema).expect("a valid schema")
    }
}

impl JsonSchema for Node {
    fn schema_name() -> String {
        "Value".into()
    }
    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::Schema::Bool(true)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// A queue resource of this spec.
    pub queue: Option<String>,
    /// A stream resource of this spec.
    pub stream: Option<String>,
    /// Messages (or records) to send in all.
    pub messages: u32,
    #[serde(default = "two")]
    pub producers: u32,
    /// Concurrent receivers (queues only; a stream is read one reader per shard).
    #[serde(default = "two")]
    pub consumers: u32,
    /// What the delivery model allows; by default from the resource (sqs-standard, sqs-fifo, kinesis).
    pub model: Option<crate::check::history::Model>,
    /// Give up consuming after this long (default 60s).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}

fn two() -> u32 {
    2
}
