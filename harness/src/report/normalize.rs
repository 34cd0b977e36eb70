//! Normalizers: make a target's answers comparable across runs and targets.
//!
//! Done structurally, LocalStack-style: walking the JSON (objects in sorted key order, so the
//! numbering does not depend on the order a target writes keys), values at known keys become
//! references numbered by first occurrence — a receipt handle becomes `<receipt-handle:1>` — and
//! every later occurrence of the same value, also inside other strings such as error messages,
//! becomes the same token. Timestamps, account ids, request ids and the run's resource-name prefix
//! are replaced without numbering. Nothing is replaced by regex over serialised text.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

/// Keys whose values are identities assigned by the service: each distinct value gets a token.
const REFERENCES: [(&str, &str); 21] = [
    ("LatestStreamLabel", "stream-label"),
    ("queueUrls", "queue-url"),
    ("ReceiptHandle", "receipt-handle"),
    ("MessageId", "message-id"),
    ("SequenceNumber", "sequence-number"),
    ("StartingSequenceNumber", "sequence-number"),
    ("EndingSequenceNumber", "sequence-number"),
    ("SequenceNumberForOrdering", "sequence-number"),
    ("ShardIterator", "shard-iterator"),
    ("NextShardIterator", "shard-iterator"),
    ("QueueUrl", "queue-url"),
    ("QueueUrls", "queue-url"),
    ("StreamLabel", "stream-label"),
    ("eventID", "event-id"),
    ("EncryptionKeyId", "kms-key"),
    ("TaskHandle", "task-handle"),
    ("MD5OfMessageSystemAttributes", "md5"),
    ("ReceiveRequestAttemptId", "attempt-id"),
    ("MessageDeduplicationId", "dedup-id"),
    ("TableId", "table-id"),
    ("EventId", "event-id"),
];

/// Instants: every key ending in `Timestamp` or `DateTime` (SentTimestamp, CreationDateTime,
/// LatestRestorableDateTime, a GetShardIterator `Timestamp`…) becomes `<timestamp>`.
fn is_timestamp(key: &str) -> bool {
    key.ends_with("Timestamp") || key.ends_with("DateTime")
}

/// Values that vary between runs of the same target for reasons a spec cannot control (an
/// emulator's stream record size counts its own varying metadata, how far behind a reader is
/// depends on timing): replaced by `<volatile>`.
const VOLATILE: [&str; 2] = ["SizeBytes", "MillisBehindLatest"];

/// Strings longer than this (generated bodies of up to megabytes) are kept as their length:
/// a snapshot is for reading, and the spec's own checks have judged the content.
const LONG_TEXT: usize = 4096;

/// Normalisation settings for one run.
pub struct Normalizer {
    /// The spec run's resource-name prefix (e.g. `conform-k3x9q2-17`), replaced by `<prefix>`,
    /// and the run id it starts with (`conform-k3x9q2`), replaced by `<run>`.
    prefix: Option<String>,
    run_id: Option<String>,
    account: Regex,
    /// An emulator on a loopback port that changes every run.
    loopback: Regex,
    arn: Regex,
    /// Kinesis's shard-limit message counts the account's open shards, which depend on the specs
    /// running beside it.
    account_count: Regex,
    /// Extra rules: key names whose values become tokens of a kind.
    extra: Vec<(String, String)>,
    /// A spec's own rules: what a JSONPath selects becomes tokens of a kind.
    selected: Vec<(serde_json_path::JsonPath, String)>,
}

impl Normalizer {
    pub fn new(prefix: Option<String>) -> Self {
        let run_id = prefix.as_ref().and_then(|p| p.rsplit_once('-')).map(|(run, _)| run.to_owned());
        Self {
            prefix,
            run_id,
            account: Regex::new(r"\b\d{12}\b").expect("valid regex"),
            loopback: Regex::new(r"https?://(127\.0\.0\.1|localhost|\[::1\]):\d+").expect("valid regex"),
            arn: Regex::new(r"^arn:aws[a-z-]*:\S*$").expect("valid regex"),
            account_count: Regex::new(r"(Current shard count for the account: )\d+").expect("valid regex"),
            extra: Vec::new(),
            selected: Vec::new(),
        }
    }

    /// Also tokenise every string `path` selects (a spec's `normalize:` rule); a list, map, number
    /// or boolean it selects is replaced whole by `<kind>` (a listing of the whole account, which
    /// depends on what other specs have created).
    pub fn with_path(mut self, path: serde_json_path::JsonPath, kind: &str) -> Self {
        self.selected.push((path, kind.to_owned()));
        self
    }

    /// Also tokenise the values of `key` (a spec's own `normalize:` rule).
    pub fn with_key(mut self, key: &str, token: &str) -> Self {
        self.extra.push((key.to_owned(), token.to_owned()));
        self
    }

    /// Normalises a list of documents (one spec's requests and responses) together, so a value
    /// gets the same token wherever it recurs across them.
    pub fn normalize(&self, docs: &[Value]) -> Vec<Value> {
        let mut refs = References::default();
        for doc in docs {
            for (path, kind) in &self.selected {
                for value in path.query(doc).all().into_iter().filter_map(Value::as_str) {
                    refs.token(kind, &self.plain(value));
                }
            }
            self.collect(doc, None, &mut refs);
        }
        // Longest first, so a URL is replaced before a shorter value it contains.
        let mut known: Vec<(&String, &String)> = refs.tokens.iter().collect();
        known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        docs.iter().map(|d| self.replace_whole(self.rewrite(d, None, &known))).collect()
    }

    fn replace_whole(&self, mut doc: Value) -> Value {
        for (path, kind) in &self.selected {
            let pointers: Vec<String> =
                path.query_located(&doc).into_iter().filter(|n| !n.node().is_string()).map(|n| n.location().to_json_pointer()).collect();
            for pointer in pointers {
                if let Some(value) = doc.pointer_mut(&pointer) {
                    *value = Value::String(format!("<{kind}>"));
                }
            }
        }
        doc
    }

    fn kind_of(&self, key: &str, value: &str) -> Option<String> {
        if let Some((_, kind)) = REFERENCES.iter().find(|(k, _)| *k == key) {
            return Some((*kind).to_owned());
        }
        if let Some((_, kind)) = self.extra.iter().find(|(k, _)| k == key) {
            return Some(kind.clone());
        }
        self.arn.is_match(value).then(|| "arn".to_owned())
    }

    fn collect(&self, value: &Value, key: Option<&str>, refs: &mut References) {
        match value {
            Value::Object(map) => {
                for (k, v) in sorted(map) {
                    self.collect(v, Some(k), refs);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v, key, refs)),
            Value::String(s) if !s.is_empty() => {
                if let Some(kind) = key.and_then(|k| self.kind_of(k, s)).or_else(|| self.arn.is_match(s).then(|| "arn".into())) {
                    refs.token(&kind, &self.plain(s));
                }
            }
            _ => {}
        }
    }

    fn rewrite(&self, value: &Value, key: Option<&str>, known: &[(&String, &String)]) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                // Keys can be names too (BatchWriteItem's RequestItems is keyed by table name).
                sorted(map).map(|(k, v)| (self.replace_known(&self.plain(k), known), self.rewrite(v, Some(k), known))).collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.rewrite(v, key, known)).collect()),
            _ if key.is_some_and(is_timestamp) => Value::String("<timestamp>".into()),
            _ if key.is_some_and(|k| VOLATILE.contains(&k)) => Value::String("<volatile>".into()),
            Value::String(s) if s.len() > LONG_TEXT => Value::String(format!("<text: {} bytes>", s.len())),
            // AWS event-stream frames (binary, checksummed over names that differ by run).
            Value::String(s) if s.contains('\0') && s.contains(":message-type") => Value::String("<event-stream>".into()),
            Value::String(s) => Value::String(self.replace_known(&self.plain(s), known)),
            other => other.clone(),
        }
    }

    fn replace_known(&self, s: &str, known: &[(&String, &String)]) -> String {
        let mut out = s.to_owned();
        for (value, token) in known {
            // A short value ("1", moto's first sequence number) would also match inside unrelated
            // text ("b25l", "user-1"): it is replaced only where it is the whole string.
            if value.len() < MIN_EMBEDDED && out != **value {
                continue;
            }
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), token);
            }
        }
        out
    }

    /// The parts of a value that differ by run, port or account replaced.
    fn plain(&self, s: &str) -> String {
        let mut s = s.to_owned();
        for (part, token) in [(&self.prefix, "<prefix>"), (&self.run_id, "<run>")] {
            if let Some(p) = part.as_ref().filter(|p| s.contains(p.as_str())) {
                s = s.replace(p.as_str(), token);
            }
        }
        let s = self.loopback.replace_all(&s, "<endpoint>");
        let s = self.account_count.replace_all(&s, "${1}<volatile>");
        self.account.replace_all(&s, "<account>").into_owned()
    }
}

/// The shortest value replaced where it is embedded in a longer string (a URL holding a queue name).
const MIN_EMBEDDED: usize = 6;

fn sorted(map: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let ordered: BTreeMap<&String, &Value> = map.iter().collect();
    ordered.into_iter()
}

#[derive(Default)]
struct References {
    tokens: BTreeMap<String, String>,
    counts: BTreeMap<String, usize>,
}

impl References {
    fn token(&mut self, kind: &str, value: &str) {
        if self.tokens.contains_key(value) {
            return;
        }
        let n = self.counts.entry(kind.to_owned()).or_default();
        *n += 1;
        self.tokens.insert(value.to_owned(), format!("<{kind}:{n}>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_numbered_by_first_occurrence_and_reused() {
        let n = Normalizer::new(Some("conform-abc123-4".into()));
        let docs = [
            json!({"QueueUrl": "http://127.0.0.1:5000/123456789012/conform-abc123-4-q", "MessageBody": "hi"}),
            json!({"Messages": [{"ReceiptHandle": "rh-A", "MessageId": "m-1", "Body": "hi"}, {"MessageId": "m-2", "ReceiptHandle": "handle-B"}]}),
            json!({"__type": "ReceiptHandleIsInvalid", "message": "The input receipt handle \"handle-B\" is not valid"}),
        ];
        let out = n.normalize(&docs);
        assert_eq!(out[0]["QueueUrl"], "<queue-url:1>");
        assert_eq!(out[1]["Messages"][0]["ReceiptHandle"], "<receipt-handle:1>");
        assert_eq!(out[1]["Messages"][1]["ReceiptHandle"], "<receipt-handle:2>");
        assert_eq!(out[1]["Messages"][1]["MessageId"], "<message-id:2>");
        assert_eq!(out[2]["message"], "The input receipt handle \"<receipt-handle:2>\" is not valid");
    }

    #[test]
    fn a_short_value_is_replaced_only_where_it_is_the_whole_string() {
        let out = Normalizer::new(None).normalize(&[json!({"SequenceNumber": "2", "Data": "b25l", "PartitionKey": "user-2"})]);
        assert_eq!(out[0], json!({"SequenceNumber": "<sequence-number:1>", "Data": "b25l", "PartitionKey": "user-2"}));
    }

    #[test]
    fn a_generated_megabyte_is_kept_as_its_length() {
        let n = Normalizer::new(None);
        let out = n.normalize(&[json!({ "MessageBody": "x".repeat(1 << 20), "Short": "x".repeat(1024) })]);
        assert_eq!(out[0]["MessageBody"], "<text: 1048576 bytes>");
        assert_eq!(out[0]["Short"].as_str().map(str::len), Some(1024));
    }

    #[test]
    fn numbering_ignores_the_order_a_target_writes_keys() {
        let n = Normalizer::new(None);
        let a = n.normalize(&[json!({"ReceiptHandle": "x", "MessageId": "y"})]);
        let b = n.normalize(&[json!({"MessageId": "y", "ReceiptHandle": "x"})]);
        assert_eq!(a, b);
    }

    #[test]
    fn timestamps_accounts_arns_and_prefix() {
        let n = Normalizer::new(Some("conform-abc123-4".into()));
        let out = n.normalize(&[json!({
            "Attributes": {"SentTimestamp": "1732356000000", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:conform-abc123-4-q"},
            "TableName": "conform-abc123-4-t",
            "message": "arn:aws:sqs:us-east-1:123456789012:conform-abc123-4-q is bad",
        })]);
        assert_eq!(out[0]["Attributes"]["SentTimestamp"], "<timestamp>");
        assert_eq!(out[0]["Attributes"]["QueueArn"], "<arn:1>");
        assert_eq!(out[0]["message"], "<arn:1> is bad");
        assert_eq!(out[0]["TableName"], "<prefix>-t");
    }

    #[test]
    fn keys_run_ids_ports_and_volatile_values() {
        let n = Normalizer::new(Some("conform-abc123-4".into()));
        let out = n.normalize(&[json!({
            "RequestItems": {"conform-abc123-4-t": [1]},
            "QueueName": "conform-abc123-nnn",
            "queueUrls": ["http://127.0.0.1:34313/123456789012/conform-abc123-4-q"],
            "Url": "http://localhost:4566/x",
            "SizeBytes": 220,
            "Timestamp": 1795438487.748,
            "message": "Current shard count for the account: 28. Limit: 500.",
            "frame": "\u{0}\u{0}\u{0}:message-type",
        })]);
        assert_eq!(out[0]["RequestItems"]["<prefix>-t"], json!([1]));
        assert_eq!(out[0]["QueueName"], "<run>-nnn");
        assert_eq!(out[0]["queueUrls"][0], "<queue-url:1>");
        assert_eq!(out[0]["Url"], "<endpoint>/x");
        assert_eq!(out[0]["SizeBytes"], "<volatile>");
        assert_eq!(out[0]["Timestamp"], "<timestamp>");
        assert_eq!(out[0]["message"], "Current shard count for the account: <volatile>. Limit: 500.");
        assert_eq!(out[0]["frame"], "<event-stream>");
    }

    #[test]
    fn extra_rules_add_kinds() {
        let n = Normalizer::new(None).with_key("Token", "token");
        assert_eq!(n.normalize(&[json!({"Token": "abc"})])[0]["Token"], "<token:1>");
        let path = serde_json_path::JsonPath::parse("$.Messages[*].Attributes.SenderId").unwrap();
        let n = Normalizer::new(None).with_path(path, "sender");
        let out = n.normalize(&[json!({"Messages": [{"Attributes": {"SenderId": "AIDAEXAMPLE"}}], "note": "from AIDAEXAMPLE"})]);
        assert_eq!(out[0]["Messages"][0]["Attributes"]["SenderId"], "<sender:1>");
        assert_eq!(out[0]["note"], "from <sender:1>");
        let path = serde_json_path::JsonPath::parse("$.StreamNames").unwrap();
        let n = Normalizer::new(None).with_path(path, "account-streams");
        assert_eq!(n.normalize(&[json!({"StreamNames": ["a", "b"]})])[0]["StreamNames"], "<account-streams>");
    }
}
