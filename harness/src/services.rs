//! What the harness knows about each AWS service: how to reach it on the wire and which actions exist.
//!
//! All four services speak an AWS JSON protocol: a POST to `/` with `X-Amz-Target: <prefix>.<Action>`
//! and a JSON body, so one table replaces per-operation code. Action lists come from the AWS API
//! references; they let `conform check` reject a misspelt action before anything runs.

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
    pub actions: &'static [&'static str],
}

impl Service {
    pub fn content_type(&self) -> String {
        format!("application/x-amz-json-{}", self.json_version)
    }

    pub fn has_action(&self, action: &str) -> bool {
        self.actions.contains(&action)
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
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
    actions: &[
        "AddPermission",
        "CancelMessageMoveTask",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
        "CreateQueue",
        "DeleteMessage",
        "DeleteMessageBatch",
        "DeleteQueue",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "ListMessageMoveTasks",
        "ListQueueTags",
        "ListQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "RemovePermission",
        "SendMessage",
        "SendMessageBatch",
        "SetQueueAttributes",
        "StartMessageMoveTask",
        "TagQueue",
        "UntagQueue",
    ],
};

pub const KINESIS: Service = Service {
    name: "kinesis",
    target_prefix: "Kinesis_20131202",
    json_version: "1.1",
    signing_name: "kinesis",
    endpoint_prefix: "kinesis",
    // https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Operations.html
    actions: &[
        "AddTagsToStream",
        "CreateStream",
        "DecreaseStreamRetentionPeriod",
        "DeleteResourcePolicy",
        "DeleteStream",
        "DeregisterStreamConsumer",
        "DescribeAccountSettings",
        "DescribeLimits",
        "DescribeStream",
        "DescribeStreamConsumer",
        "DescribeStreamSummary",
        "DisableEnhancedMonitoring",
        "EnableEnhancedMonitoring",
        "GetRecords",
        "GetResourcePolicy",
        "GetShardIterator",
        "IncreaseStreamRetentionPeriod",
        "ListShards",
        "ListStreamConsumers",
        "ListStreams",
        "ListTagsForResource",
        "ListTagsForStream",
        "MergeShards",
        "PutRecord",
        "PutRecords",
        "PutResourcePolicy",
        "RegisterStreamConsumer",
        "RemoveTagsFromStream",
        "SplitShard",
        "StartStreamEncryption",
        "StopStreamEncryption",
        "SubscribeToShard",
        "TagResource",
        "UntagResource",
        "UpdateAccountSettings",
        "UpdateMaxRecordSize",
        "UpdateShardCount",
        "UpdateStreamMode",
        "UpdateStreamWarmThroughput",
    ],
};

pub const DYNAMODB: Service = Service {
    name: "dynamodb",
    target_prefix: "DynamoDB_20120810",
    json_version: "1.0",
    signing_name: "dynamodb",
    endpoint_prefix: "dynamodb",
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB.html
    actions: &[
        "BatchExecuteStatement",
        "BatchGetItem",
        "BatchWriteItem",
        "CreateBackup",
        "CreateGlobalTable",
        "CreateTable",
        "DeleteBackup",
        "DeleteItem",
        "DeleteResourcePolicy",
        "DeleteTable",
        "DescribeBackup",
        "DescribeContinuousBackups",
        "DescribeContributorInsights",
        "DescribeEndpoints",
        "DescribeExport",
        "DescribeGlobalTable",
        "DescribeGlobalTableSettings",
        "DescribeImport",
        "DescribeKinesisStreamingDestination",
        "DescribeLimits",
        "DescribeTable",
        "DescribeTableReplicaAutoScaling",
        "DescribeTimeToLive",
        "DisableKinesisStreamingDestination",
        "EnableKinesisStreamingDestination",
        "ExecuteStatement",
        "ExecuteTransaction",
        "ExportTableToPointInTime",
        "GetItem",
        "GetResourcePolicy",
        "ImportTable",
        "ListBackups",
        "ListContributorInsights",
        "ListExports",
        "ListGlobalTables",
        "ListImports",
        "ListTables",
        "ListTagsOfResource",
        "PutItem",
        "PutResourcePolicy",
        "Query",
        "RestoreTableFromBackup",
        "RestoreTableToPointInTime",
        "Scan",
        "TagResource",
        "TransactGetItems",
        "TransactWriteItems",
        "UntagResource",
        "UpdateContinuousBackups",
        "UpdateContributorInsights",
        "UpdateGlobalTable",
        "UpdateGlobalTableSettings",
        "UpdateItem",
        "UpdateKinesisStreamingDestination",
        "UpdateTable",
        "UpdateTableReplicaAutoScaling",
        "UpdateTimeToLive",
    ],
};

pub const DYNAMODB_STREAMS: Service = Service {
    name: "dynamodbstreams",
    target_prefix: "DynamoDBStreams_20120810",
    json_version: "1.0",
    signing_name: "dynamodb",
    endpoint_prefix: "streams.dynamodb",
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
    actions: &["DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"],
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
    fn action_lists_are_sorted_and_unique() {
        for service in ALL {
            let mut sorted = service.actions.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, service.actions, "{}", service.name);
        }
    }

    #[test]
    fn looks_up_by_spec_name() {
        assert_eq!(by_name("kinesis").unwrap().target_prefix, "Kinesis_20131202");
        assert!(by_name("sns").is_none());
        assert_eq!(SQS.content_type(), "application/x-amz-json-1.0");
        assert_eq!(DYNAMODB_STREAMS.aws_endpoint("eu-west-1"), "https://streams.dynamodb.eu-west-1.amazonaws.com");
    }
}
