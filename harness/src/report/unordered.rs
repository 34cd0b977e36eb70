//! Collections whose order AWS does not define: sorted before a snapshot is taken, so a target
//! that answers them in another order on the next run does not change its snapshot (dynalite's
//! BatchGetItem did). Only snapshots are sorted; a spec's own assertions see the answer as sent.

use serde_json::Value;
use serde_json_path::JsonPath;

/// Per operation, the lists whose order AWS's reference (the page named) does not promise.
const UNORDERED: [(&str, &str, &str); 12] = [
    // "DynamoDB does not return items in any particular order" (API_BatchGetItem).
    ("dynamodb.BatchGetItem", "$.Responses.*", "API_BatchGetItem"),
    ("dynamodb.BatchGetItem", "$.UnprocessedKeys.*.Keys", "API_BatchGetItem"),
    ("dynamodb.BatchWriteItem", "$.UnprocessedItems.*", "API_BatchWriteItem"),
    // Entries are matched to requests by Id, not by position.
    ("sqs.SendMessageBatch", "$['Successful','Failed']", "API_SendMessageBatch"),
    ("sqs.DeleteMessageBatch", "$['Successful','Failed']", "API_DeleteMessageBatch"),
    ("sqs.ChangeMessageVisibilityBatch", "$['Successful','Failed']", "API_ChangeMessageVisibilityBatch"),
    ("sqs.ListQueues", "$.QueueUrls", "API_ListQueues"),
    // Shard-level metrics are a set of names (API_EnhancedMetrics): emulators keep them in hash order.
    ("kinesis.EnableEnhancedMonitoring", "$['CurrentShardLevelMetrics','DesiredShardLevelMetrics']", "API_EnableEnhancedMonitoring"),
    ("kinesis.DisableEnhancedMonitoring", "$['CurrentShardLevelMetrics','DesiredShardLevelMetrics']", "API_DisableEnhancedMonitoring"),
    ("kinesis.DescribeStream", "$.StreamDescription.EnhancedMonitoring[*].ShardLevelMetrics", "API_DescribeStream"),
    ("kinesis.DescribeStreamSummary", "$.StreamDescriptionSummary.EnhancedMonitoring[*].ShardLevelMetrics", "API_DescribeStreamSummary"),
    // A Scan reads partitions in an order the table's hashing decides.
    ("dynamodb.Scan", "$.Items", "API_Scan"),
];

/// Sorts, in place, the lists of `response` whose order `operation` leaves undefined. Elements are
/// ordered by their JSON text with keys sorted, so the result depends on content alone.
pub fn sort_unordered(operation: &str, response: &mut Value) {
    for (_, path, _) in UNORDERED.iter().filter(|(op, _, _)| *op == operation) {
        let path = JsonPath::parse(path).expect("the table's paths parse");
        let locations: Vec<String> = path.query_located(response).locations().map(|l| l.to_json_pointer()).collect();
        for pointer in locations {
            if let Some(Value::Array(items)) = response.pointer_mut(&pointer) {
                items.sort_by_cached_key(canonical);
            }
        }
    }
}

fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{}", Value::String((*k).clone()), canonical(v))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batch_get_items_are_sorted_by_content_whatever_order_they_came_in() {
        let mut a = json!({ "Responses": { "t": [{ "pk": { "S": "c" } }, { "pk": { "S": "a" } }] } });
        let mut b = json!({ "Responses": { "t": [{ "pk": { "S": "a" } }, { "pk": { "S": "c" } }] } });
        sort_unordered("dynamodb.BatchGetItem", &mut a);
        sort_unordered("dynamodb.BatchGetItem", &mut b);
        assert_eq!(a, b);
        assert_eq!(a["Responses"]["t"][0]["pk"]["S"], "a");
    }

    #[test]
    fn ordered_lists_are_left_alone() {
        let mut fifo = json!({ "Messages": [{ "Body": "2" }, { "Body": "1" }] });
        let before = fifo.clone();
        sort_unordered("sqs.ReceiveMessage", &mut fifo);
        assert_eq!(fifo, before, "a FIFO queue's order is the behaviour under test");
        let mut records = json!({ "Records": [{ "SequenceNumber": "2" }, { "SequenceNumber": "1" }] });
        let before = records.clone();
        sort_unordered("sqs.SendMessageBatch", &mut records);
        assert_eq!(records, before, "only the table's paths are sorted");
    }

    #[test]
    fn batch_entries_sort_by_id_first_and_key_order_does_not_matter() {
        let mut r = json!({ "Successful": [{ "MessageId": "x", "Id": "b" }, { "Id": "a", "MessageId": "y" }], "Failed": [] });
        sort_unordered("sqs.SendMessageBatch", &mut r);
        assert_eq!(r["Successful"][0]["Id"], "a");
    }

    #[test]
    fn every_path_in_the_table_parses() {
        for (_, path, _) in UNORDERED {
            JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}
