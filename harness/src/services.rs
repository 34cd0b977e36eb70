//! What the harness knows about each AWS service: how to reach it on the wire. Which actions exist,
//! and what they take and answer, is AWS's service model (`crate::model`).
//!
//! All four services speak an AWS JSON protocol: a POST to `/` with `X-Amz-Target: <prefix>.<Action>`
//! and a JSON body, so one table replaces per-operation code.

/// One AWS service as the wire layer and the spec validator see it.
#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    /// The name used in specs (`sqs.SendMessage`) and in `--endpoint sqs=…`.
    pub name: &'static str,
    /// The `X-Amz-Target` prefix, e.g. `AmazonSQS`.
    pub target_prefix: &'static str,
    /// `application/x-amz-json-<version>`.
    pub json_version: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// The host prefix of the public endpoint: `https://<prefix>.<region>.amazonaws.com`.
    pub endpoint_prefix: &'static str,
}

impl Service {
    pub fn content_type(&self) -> String {
        format!("application/x-amz-json-{}", self.json_version)
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

    pub fn aws_endpoint(&self, region: &str) -> String {
        format!("https://{}.{region}.amazonaws.com", self.endpoint_prefix)
    }
}

pub const SQS: Service = Service {
    name: "sqs",
    target_prefix: "AmazonSQS",
    json_version: "1.0",
    signing_name: "sqs",
    endpoint_prefix: "sqs",
};

pub const KINESIS: Service = Service {
    name: "kinesis",
    target_prefix: "Kinesis_20131202",
    json_version: "1.1",
    signing_name: "kinesis",
    endpoint_prefix: "kinesis",
};

pub const DYNAMODB: Service = Service {
    name: "dynamodb",
    target_prefix: "DynamoDB_20120810",
    json_version: "1.0",
    signing_name: "dynamodb",
    endpoint_prefix: "dynamodb",
};

pub const DYNAMODB_STREAMS: Service = Service {
    name: "dynamodbstreams",
    target_prefix: "DynamoDBStreams_20120810",
    json_version: "1.0",
    signing_name: "dynamodb",
    endpoint_prefix: "streams.dynamodb",
};

pub const ALL: [&Service; 4] = [&SQS, &KINESIS, &DYNAMODB, &DYNAMODB_STREAMS];

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
    fn the_wire_table_agrees_with_the_models() {
        for service in ALL {
            let m = &service.model().metadata;
            assert_eq!(m.target_prefix.as_deref(), Some(service.target_prefix), "{}", service.name);
            assert_eq!(m.json_version.as_deref(), Some(service.json_version), "{}", service.name);
            assert_eq!(m.signing_name.as_deref().unwrap_or(&m.endpoint_prefix), service.signing_name, "{}", service.name);
            assert_eq!(m.endpoint_prefix, service.endpoint_prefix, "{}", service.name);
            assert!(service.has_action("ListQueues") || service.has_action("ListStreams") || service.has_action("ListTables"));
        }
        assert!(!SQS.has_action("SendMesage"));
    }

    #[test]
    fn looks_up_by_spec_name() {
        assert_eq!(by_name("kinesis").unwrap().target_prefix, "Kinesis_20131202");
        assert!(by_name("sns").is_none());
        assert_eq!(SQS.content_type(), "application/x-amz-json-1.0");
        assert_eq!(DYNAMODB_STREAMS.aws_endpoint("eu-west-1"), "https://streams.dynamodb.eu-west-1.amazonaws.com");
    }
}
