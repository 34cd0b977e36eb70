//! What the harness knows about each AWS service: how to reach it on the wire. Which actions exist,
//! and what they take and answer, is AWS's service model (`crate::model`).
//!
//! SQS, Kinesis, DynamoDB, DynamoDB Streams and EventBridge speak an AWS JSON protocol: a POST to
//! `/` with `X-Amz-Target: <prefix>.<Action>` and a JSON body; SNS speaks the query protocol, which
//! the wire layer translates by the model. Either way a name and the model replace per-operation code.

/// One AWS service as the wire layer and the spec validator see it: a name, and AWS's model for
/// everything else (protocol version, target prefix, signing name, endpoint, actions).
#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    /// The name used in specs (`sqs.SendMessage`) and in `--endpoint sqs=…`.
    pub name: &'static str,
}

impl Service {
    fn metadata(&self) -> &'static crate::model::Metadata {
        &self.model().metadata
    }

    /// Whether requests are forms and responses XML (the AWS query protocol), not JSON.
    pub fn speaks_query(&self) -> bool {
        self.metadata().protocol == "query"
    }

    /// The `X-Amz-Target` prefix, e.g. `AmazonSQS`.
    pub fn target_prefix(&self) -> &'static str {
        self.metadata().target_prefix.as_deref().expect("an AWS JSON protocol model names its target prefix")
    }

    /// `application/x-amz-json-<version>`.
    pub fn content_type(&self) -> String {
        format!("application/x-amz-json-{}", self.metadata().json_version.as_deref().expect("an AWS JSON protocol model names its version"))
    }

    /// The SigV4 signing name.
    pub fn signing_name(&self) -> &'static str {
        let m = self.metadata();
        m.signing_name.as_deref().unwrap_or(&m.endpoint_prefix)
    }

    /// The service's model: operations and shapes.
    pub fn model(&self) -> &'static crate::model::Model {
        crate::model::of(self.name).expect("every service has a vendored model")
    }

    pub fn has_action(&self, action: &str) -> bool {
        self.model().operations.contains_key(action)
    }

    /// Every action, by name (for "did you mean").
    pub fn actions(&self) -> impl Iterator<Item = &'static str> {
        self.model().operations.keys().map(String::as_str)
    }

    /// The public endpoint: `https://<endpoint prefix>.<region>.amazonaws.com`.
    pub fn aws_endpoint(&self, region: &str) -> String {
        format!("https://{}.{region}.amazonaws.com", self.metadata().endpoint_prefix)
    }
}

pub const SQS: Service = Service { name: "sqs" };
pub const KINESIS: Service = Service { name: "kinesis" };
pub const DYNAMODB: Service = Service { name: "dynamodb" };
pub const DYNAMODB_STREAMS: Service = Service { name: "dynamodbstreams" };
pub const SNS: Service = Service { name: "sns" };
pub const EVENTS: Service = Service { name: "events" };

pub const ALL: [&Service; 6] = [&SQS, &KINESIS, &DYNAMODB, &DYNAMODB_STREAMS, &SNS, &EVENTS];

pub fn by_name(name: &str) -> Option<&'static Service> {
    ALL.into_iter().find(|s| s.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.into_iter().map(|s| s.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_facts_come_from_the_models() {
        assert_eq!((SQS.target_prefix(), SQS.signing_name()), ("AmazonSQS", "sqs"));
        assert_eq!(KINESIS.content_type(), "application/x-amz-json-1.1");
        assert_eq!(DYNAMODB_STREAMS.signing_name(), "dynamodb", "Streams signs as dynamodb");
        assert!(!SQS.has_action("SendMesage"));
    }

    #[test]
    fn looks_up_by_spec_name() {
        assert_eq!(by_name("kinesis").unwrap().target_prefix(), "Kinesis_20131202");
        assert!(by_name("sms").is_none());
        assert!(SNS.speaks_query() && !EVENTS.speaks_query());
        assert_eq!(EVENTS.target_prefix(), "AWSEvents");
        assert_eq!(SQS.content_type(), "application/x-amz-json-1.0");
        assert_eq!(DYNAMODB_STREAMS.aws_endpoint("eu-west-1"), "https://streams.dynamodb.eu-west-1.amazonaws.com");
    }
}
