//! The SDK parse check: every raw response handed to the official Rust SDK's deserializer for its
//! operation (aws-sdk-sqs, -kinesis, -dynamodb, -dynamodbstreams, -sns, -eventbridge). What the SDK
//! an application uses cannot parse is a finding in its own right, with the SDK's error; a service
//! error the SDK reads (modeled or not) is not.

mod replay;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::wire::WireResponse;
use replay::Replay;

/// What the SDK made of a response.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The SDK read the response (an output or a service error).
    Parsed,
    /// The SDK's deserializer failed on it: the target's answer is at fault.
    Unparsed(String),
    /// The SDK stopped before reading the response (request construction, dispatch): the check's
    /// own fault, never the target's.
    NotReached(String),
}

/// The finding for `operation`'s response, `sdk: <Operation>: <SDK error chain>`, if the SDK could
/// not deserialize it. Operations the SDKs do not have (or stream, SubscribeToShard) are not checked.
pub async fn check(service: &str, operation: &str, response: &WireResponse) -> Option<String> {
    match parse(service, operation, response).await? {
        Verdict::Unparsed(error) => Some(format!("sdk: {operation}: {error}")),
        // Not the target's doing; tests/model_check.rs keeps every operation reaching the deserializer.
        Verdict::Parsed | Verdict::NotReached(_) => None,
    }
}

/// What the SDK makes of `operation`'s response; `None` when no SDK here has the operation.
pub async fn parse(service: &str, operation: &str, response: &WireResponse) -> Option<Verdict> {
    let replay = Replay::of(response);
    // Boxed: a call to any of a hundred operations is a large future, kept off the engine's.
    match service {
        "sqs" => Box::pin(sqs(operation, replay)).await,
        "kinesis" => Box::pin(kinesis(operation, replay)).await,
        "dynamodb" => Box::pin(dynamodb(operation, replay)).await,
        "dynamodbstreams" => Box::pin(dynamodbstreams(operation, replay)).await,
        "sns" => Box::pin(sns(operation, replay)).await,
        "events" => Box::pin(events(operation, replay)).await,
        _ => None,
    }
}

fn verdict<O, E: std::error::Error + Send + Sync + 'static>(result: Result<O, SdkError<E, HttpResponse>>) -> Verdict {
    match result {
        // A success status goes to the output deserializer, whose failures the SDKs hand back as an
        // unhandled service error: on a 2xx, any service error is that.
        Err(SdkError::ServiceError(e)) if e.raw().status().is_success() => {
            Verdict::Unparsed(chain(&SdkError::<E, HttpResponse>::ServiceError(e)))
        }
        Ok(_) | Err(SdkError::ServiceError(_)) => Verdict::Parsed,
        Err(e @ SdkError::ResponseError(_)) => Verdict::Unparsed(chain(&e)),
        Err(e) => Verdict::NotReached(chain(&e)),
    }
}

/// The error and its causes, each as it displays itself (the Debug form repeats the raw response).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

/// A name, or the service's ARN for members that hold one.
fn placeholder(member: &str, arn: &'static str) -> &'static str {
    if member.ends_with("_arn") {
        arn
    } else {
        "replay"
    }
}

/// One function per SDK: a client whose HTTP client replays the response, and the operation named
/// `Operation` called as `client.operation()` with an empty request: the SDKs do not validate
/// required members, and only the response matters. The members listed after an operation feed
/// its endpoint parameters, which the SDK does require: they get a placeholder name or ARN.
macro_rules! sdk {
    ($name:ident, $sdk:ident, $arn:expr, [$($operation:ident $method:ident $(($($member:ident),*))?),* $(,)?]) => {
        async fn $name(operation: &str, replay: Replay) -> Option<Verdict> {
            use $sdk::config::{retry::RetryConfig, BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
            let config = $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::from_static("us-east-1"))
                .credentials_provider(Credentials::new("test", "test", None, None, "conform-sdk-parse"))
                .endpoint_url("http://replay.invalid")
                // The response is the one the target gave: never ask again, never wait for more.
                .retry_config(RetryConfig::disabled())
                .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
                .http_client(replay)
                .build();
            let client = $sdk::Client::from_conf(config);
            Some(match operation {
                $(stringify!($operation) => verdict(client.$method()$($(.$member(placeholder(stringify!($member), $arn)))*)?.send().await),)*
                _ => return None,
            })
        }
    };
}

sdk!(sqs, aws_sdk_sqs, "arn:aws:sqs:us-east-1:000000000000:replay", [
    AddPermission add_permission, CancelMessageMoveTask cancel_message_move_task,
    ChangeMessageVisibility change_message_visibility, ChangeMessageVisibilityBatch change_message_visibility_batch,
    CreateQueue create_queue, DeleteMessage delete_message, DeleteMessageBatch delete_message_batch,
    DeleteQueue delete_queue, GetQueueAttributes get_queue_attributes, GetQueueUrl get_queue_url,
    ListDeadLetterSourceQueues list_dead_letter_source_queues, ListMessageMoveTasks list_message_move_tasks,
    ListQueueTags list_queue_tags, ListQueues list_queues, PurgeQueue purge_queue, ReceiveMessage receive_message,
    RemovePermission remove_permission, SendMessage send_message, SendMessageBatch send_message_batch,
    SetQueueAttributes set_queue_attributes, StartMessageMoveTask start_message_move_task, TagQueue tag_queue,
    UntagQueue untag_queue,
]);

// SubscribeToShard answers with an event stream, which a replayed JSON body is not.
sdk!(kinesis, aws_sdk_kinesis, "arn:aws:kinesis:us-east-1:000000000000:stream/replay", [
    AddTagsToStream add_tags_to_stream, CreateChannel create_channel, CreateStream create_stream,
    DecreaseStreamRetentionPeriod decrease_stream_retention_period, DeleteChannel delete_channel(channel_arn),
    DeleteResourcePolicy delete_resource_policy(resource_arn), DeleteStream delete_stream,
    DeregisterStreamConsumer deregister_stream_consumer, DescribeAccountSettings describe_account_settings,
    DescribeChannel describe_channel(channel_arn), DescribeLimits describe_limits, DescribeStream describe_stream,
    DescribeStreamConsumer describe_stream_consumer, DescribeStreamSummary describe_stream_summary,
    DisableEnhancedMonitoring disable_enhanced_monitoring, EnableEnhancedMonitoring enable_enhanced_monitoring,
    GetRecords get_records, GetResourcePolicy get_resource_policy(resource_arn), GetShardIterator get_shard_iterator,
    IncreaseStreamRetentionPeriod increase_stream_retention_period, ListChannels list_channels,
    ListShards list_shards, ListStreamConsumers list_stream_consumers(stream_arn), ListStreams list_streams,
    ListTagsForResource list_tags_for_resource(resource_arn), ListTagsForStream list_tags_for_stream, MergeShards merge_shards,
    PutRecord put_record, PutRecords put_records, PutResourcePolicy put_resource_policy(resource_arn),
    RegisterStreamConsumer register_stream_consumer(stream_arn), RemoveTagsFromStream remove_tags_from_stream,
    SplitShard split_shard, StartStreamEncryption start_stream_encryption, StopStreamEncryption stop_stream_encryption,
    TagResource tag_resource(resource_arn), UntagResource untag_resource(resource_arn), UpdateAccountSettings update_account_settings,
    UpdateChannel update_channel(channel_arn), UpdateMaxRecordSize update_max_record_size, UpdateShardCount update_shard_count,
    UpdateStreamMode update_stream_mode(stream_arn), UpdateStreamRecordDistributionStrategy update_stream_record_distribution_strategy(stream_arn),
    UpdateStreamWarmThroughput update_stream_warm_throughput,
]);

sdk!(dynamodb, aws_sdk_dynamodb, "arn:aws:dynamodb:us-east-1:000000000000:table/replay", [
    BatchExecuteStatement batch_execute_statement, BatchGetItem batch_get_item, BatchWriteItem batch_write_item,
    CreateBackup create_backup(table_name), CreateGlobalTable create_global_table(global_table_name), CreateTable create_table(table_name),
    DeleteBackup delete_backup(backup_arn), DeleteItem delete_item(table_name), DeleteResourcePolicy delete_resource_policy(resource_arn),
    DeleteTable delete_table(table_name), DescribeBackup describe_backup(backup_arn), DescribeContinuousBackups describe_continuous_backups(table_name),
    DescribeContributorInsights describe_contributor_insights(table_name), DescribeEndpoints describe_endpoints,
    DescribeExport describe_export(export_arn), DescribeGlobalTable describe_global_table(global_table_name),
    DescribeGlobalTableSettings describe_global_table_settings(global_table_name), DescribeImport describe_import(import_arn),
    DescribeKinesisStreamingDestination describe_kinesis_streaming_destination(table_name), DescribeLimits describe_limits,
    DescribeTable describe_table(table_name), DescribeTableReplicaAutoScaling describe_table_replica_auto_scaling(table_name),
    DescribeTimeToLive describe_time_to_live(table_name), DisableKinesisStreamingDestination disable_kinesis_streaming_destination(table_name),
    EnableKinesisStreamingDestination enable_kinesis_streaming_destination(table_name), ExecuteStatement execute_statement,
    ExecuteTransaction execute_transaction, ExportTableToPointInTime export_table_to_point_in_time(table_arn),
    GetItem get_item(table_name), GetResourcePolicy get_resource_policy(resource_arn), ImportTable import_table, ListBackups list_backups,
    ListContributorInsights list_contributor_insights, ListExports list_exports,
    ListGlobalTables list_global_tables, ListImports list_imports, ListTables list_tables,
    ListTagsOfResource list_tags_of_resource(resource_arn), PutItem put_item(table_name), PutResourcePolicy put_resource_policy(resource_arn),
    Query query(table_name), RestoreTableFromBackup restore_table_from_backup(target_table_name),
    RestoreTableToPointInTime restore_table_to_point_in_time(target_table_name), Scan scan(table_name), SearchVectors search_vectors(table_name),
    TagResource tag_resource(resource_arn), TransactGetItems transact_get_items, TransactWriteItems transact_write_items,
    UntagResource untag_resource(resource_arn), UpdateContinuousBackups update_continuous_backups(table_name),
    UpdateContributorInsights update_contributor_insights(table_name), UpdateGlobalTable update_global_table(global_table_name),
    UpdateGlobalTableSettings update_global_table_settings(global_table_name), UpdateItem update_item(table_name),
    UpdateKinesisStreamingDestination update_kinesis_streaming_destination(table_name), UpdateTable update_table(table_name),
    UpdateTableReplicaAutoScaling update_table_replica_auto_scaling(table_name), UpdateTimeToLive update_time_to_live(table_name),
]);

sdk!(dynamodbstreams, aws_sdk_dynamodbstreams, "arn:aws:dynamodb:us-east-1:000000000000:table/replay/stream/replay", [
    DescribeStream describe_stream, GetRecords get_records, GetShardIterator get_shard_iterator,
    ListStreams list_streams,
]);

sdk!(sns, aws_sdk_sns, "arn:aws:sns:us-east-1:000000000000:replay", [
    AddPermission add_permission, CheckIfPhoneNumberIsOptedOut check_if_phone_number_is_opted_out,
    ConfirmSubscription confirm_subscription, CreatePlatformApplication create_platform_application,
    CreatePlatformEndpoint create_platform_endpoint, CreateSMSSandboxPhoneNumber create_sms_sandbox_phone_number,
    CreateTopic create_topic, DeleteEndpoint delete_endpoint, DeletePlatformApplication delete_platform_application,
    DeleteSMSSandboxPhoneNumber delete_sms_sandbox_phone_number, DeleteTopic delete_topic,
    GetDataProtectionPolicy get_data_protection_policy, GetEndpointAttributes get_endpoint_attributes,
    GetPlatformApplicationAttributes get_platform_application_attributes, GetSMSAttributes get_sms_attributes,
    GetSMSSandboxAccountStatus get_sms_sandbox_account_status, GetSubscriptionAttributes get_subscription_attributes,
    GetTopicAttributes get_topic_attributes,
    ListEndpointsByPlatformApplication list_endpoints_by_platform_application,
    ListOriginationNumbers list_origination_numbers, ListPhoneNumbersOptedOut list_phone_numbers_opted_out,
    ListPlatformApplications list_platform_applications, ListSMSSandboxPhoneNumbers list_sms_sandbox_phone_numbers,
    ListSubscriptions list_subscriptions, ListSubscriptionsByTopic list_subscriptions_by_topic,
    ListTagsForResource list_tags_for_resource, ListTopics list_topics, OptInPhoneNumber opt_in_phone_number,
    Publish publish, PublishBatch publish_batch, PutDataProtectionPolicy put_data_protection_policy,
    RemovePermission remove_permission, SetEndpointAttributes set_endpoint_attributes,
    SetPlatformApplicationAttributes set_platform_application_attributes, SetSMSAttributes set_sms_attributes,
    SetSubscriptionAttributes set_subscription_attributes, SetTopicAttributes set_topic_attributes,
    Subscribe subscribe, TagResource tag_resource, Unsubscribe unsubscribe, UntagResource untag_resource,
    VerifySMSSandboxPhoneNumber verify_sms_sandbox_phone_number,
]);

sdk!(events, aws_sdk_eventbridge, "arn:aws:events:us-east-1:000000000000:rule/replay", [
    ActivateEventSource activate_event_source, CancelReplay cancel_replay,
    CreateApiDestination create_api_destination, CreateArchive create_archive, CreateConnection create_connection,
    CreateEndpoint create_endpoint, CreateEventBus create_event_bus,
    CreatePartnerEventSource create_partner_event_source, DeactivateEventSource deactivate_event_source,
    DeauthorizeConnection deauthorize_connection, DeleteApiDestination delete_api_destination,
    DeleteArchive delete_archive, DeleteConnection delete_connection, DeleteEndpoint delete_endpoint,
    DeleteEventBus delete_event_bus, DeletePartnerEventSource delete_partner_event_source, DeleteRule delete_rule,
    DescribeApiDestination describe_api_destination, DescribeArchive describe_archive,
    DescribeConnection describe_connection, DescribeEndpoint describe_endpoint, DescribeEventBus describe_event_bus,
    DescribeEventSource describe_event_source, DescribePartnerEventSource describe_partner_event_source,
    DescribeReplay describe_replay, DescribeRule describe_rule, DisableRule disable_rule, EnableRule enable_rule,
    ListApiDestinations list_api_destinations, ListArchives list_archives, ListConnections list_connections,
    ListEndpoints list_endpoints, ListEventBuses list_event_buses, ListEventSources list_event_sources,
    ListPartnerEventSourceAccounts list_partner_event_source_accounts,
    ListPartnerEventSources list_partner_event_sources, ListReplays list_replays,
    ListRuleNamesByTarget list_rule_names_by_target, ListRules list_rules, ListTagsForResource list_tags_for_resource,
    ListTargetsByRule list_targets_by_rule, PutEvents put_events, PutPartnerEvents put_partner_events,
    PutPermission put_permission, PutRule put_rule, PutTargets put_targets, RemovePermission remove_permission,
    RemoveTargets remove_targets, StartReplay start_replay, TagResource tag_resource,
    TestEventPattern test_event_pattern, UntagResource untag_resource, UpdateApiDestination update_api_destination,
    UpdateArchive update_archive, UpdateConnection update_connection, UpdateEndpoint update_endpoint,
    UpdateEventBus update_event_bus,
]);
