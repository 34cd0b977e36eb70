//! AWS's service models, vendored from botocore (`fixtures/models/`, provenance in SOURCE.json):
//! the operations each service has, the shape of their requests and responses, and the errors they
//! declare. The one source of truth for what a request may hold and what a response should.

pub mod flow;
mod shape_check;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

pub use shape_check::{check, Direction, Finding, Tree, TreeKind};

#[derive(Debug, Deserialize)]
pub struct Model {
    pub metadata: Metadata,
    pub operations: BTreeMap<String, Operation>,
    pub shapes: BTreeMap<String, Shape>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `json` or `query`: how requests and responses travel.
    pub protocol: String,
    pub api_version: String,
    pub endpoint_prefix: String,
    pub json_version: Option<String>,
    pub target_prefix: Option<String>,
    pub signing_name: Option<String>,
    /// Present when the service sends `x-amzn-query-error` (SQS).
    pub aws_query_compatible: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    /// The member's name on the wire, where it differs (query protocol: map keys and values).
    pub location_name: Option<String>,
    /// Query protocol: the element that wraps an operation's output.
    pub result_wrapper: Option<String>,
}

/// A shape as botocore writes it. Constraints the checks use are kept; the rest is ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Shape {
    Structure {
        #[serde(default)]
        members: BTreeMap<String, ShapeRef>,
        #[serde(default)]
        required: Vec<String>,
        #[serde(default)]
        exception: bool,
        /// An error shape's code on the wire, where it differs from the shape's name (query protocol).
        error: Option<ErrorTrait>,
    },
    List {
        member: ShapeRef,
        min: Option<f64>,
        max: Option<f64>,
        #[serde(default)]
        flattened: bool,
    },
    Map {
        key: ShapeRef,
        value: ShapeRef,
        #[serde(default)]
        flattened: bool,
    },
    String {
        #[serde(default, rename = "enum")]
        values: Vec<String>,
        min: Option<f64>,
        max: Option<f64>,
    },
    Integer {
        min: Option<f64>,
        max: Option<f64>,
    },
    Long {
        min: Option<f64>,
        max: Option<f64>,
    },
    Double,
    Float,
    Boolean,
    Blob,
    Timestamp,
}

#[derive(Debug, Deserialize)]
pub struct ErrorTrait {
    pub code: Option<String>,
}

/// Errors any operation of these protocols may answer with, though no operation declares them
/// (the AWS JSON protocol's common errors).
pub const COMMON_ERRORS: [&str; 12] = [
    "AccessDeniedException",
    "IncompleteSignature",
    "InternalFailure",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidParameterCombination",
    "MissingAuthenticationToken",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "UnrecognizedClientException",
    "ValidationException",
];

/// Errors any operation of an AWS query-protocol service (SNS) may answer with, undeclared: the
/// common errors of AWS's query APIs.
pub const QUERY_COMMON_ERRORS: [&str; 17] = [
    "IncompleteSignature",
    "InternalFailure",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidParameterCombination",
    "InvalidParameterValue",
    "InvalidQueryParameter",
    "MalformedQueryString",
    "MissingAction",
    "MissingAuthenticationToken",
    "MissingParameter",
    "NotAuthorized",
    "OptInRequired",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "ValidationError",
];

/// Errors a query-compatible service (SQS) sends on the JSON protocol for invalid and missing
/// parameters without declaring them: recorded on AWS (aws-behaviors.md §1.8).
pub const QUERY_COMPATIBLE_ERRORS: [&str; 2] = ["InvalidParameterValueException", "MissingRequiredParameterException"];

impl Model {
    fn parse(service: &str, text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("fixtures/models/{service}.json is a botocore model: {e}"))
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The error shapes an operation declares.
    pub fn declared_errors(&self, operation: &str) -> impl Iterator<Item = &str> {
        self.operation(operation).into_iter().flat_map(|o| o.errors.iter().map(|e| e.shape.as_str()))
    }
}

static MODELS: LazyLock<BTreeMap<&'static str, Model>> = LazyLock::new(|| {
    [
        ("sqs", include_str!("../../../fixtures/models/sqs.json")),
        ("kinesis", include_str!("../../../fixtures/models/kinesis.json")),
        ("dynamodb", include_str!("../../../fixtures/models/dynamodb.json")),
        ("dynamodbstreams", include_str!("../../../fixtures/models/dynamodbstreams.json")),
        ("sns", include_str!("../../../fixtures/models/sns.json")),
        ("events", include_str!("../../../fixtures/models/events.json")),
    ]
    .into_iter()
    .map(|(service, text)| (service, Model::parse(service, text)))
    .collect()
});

/// The model of a service the harness knows, by its spec name (`sqs`, `dynamodbstreams`…).
pub fn of(service: &str) -> Option<&'static Model> {
    MODELS.get(service)
}

/// Which botocore the models were taken from.
pub const SOURCE: &str = include_str!("../../../fixtures/models/SOURCE.json");

/// Where a response departs from AWS's model of `operation`: a success body against the output
/// shape, an error's `__type` against the errors the operation declares and the protocol's common
/// ones. Each finding is `<JSONPath>: <what the model says>`.
pub fn check_response(service: &str, operation: &str, body: &serde_json::Value, error_code: Option<&str>) -> Vec<String> {
    let Some(model) = of(service) else { return Vec::new() };
    match error_code {
        Some(code) => {
            let declared = || model.declared_errors(operation);
            let query_compatible = model.metadata.aws_query_compatible.is_some() && QUERY_COMPATIBLE_ERRORS.contains(&code);
            let query_common = model.metadata.protocol == "query" && QUERY_COMMON_ERRORS.contains(&code);
            if code.is_empty() || COMMON_ERRORS.contains(&code) || query_compatible || query_common || declared().any(|e| e == code) {
                Vec::new()
            } else {
                vec![format!("$.__type: `{code}` is neither an error {operation} declares nor a common error")]
            }
        }
        None => match model.operation(operation).and_then(|o| o.output.as_ref()) {
            Some(output) => check(model, &output.shape, body, Direction::Response).into_iter().map(|f| format!("{}: {}", f.path, f.message)).collect(),
            None => Vec::new(),
        },
    }
}
