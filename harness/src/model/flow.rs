//! How AWS's own SDKs page through list calls and wait for resources, from botocore's
//! `paginators-1.json` and `waiters-2.json` (vendored beside the models): conform pages and waits
//! the same way instead of keeping its own table of tokens and statuses.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

/// One or several keys: botocore writes either.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    One(String),
    Many(Vec<String>),
}

impl Keys {
    pub fn first(&self) -> &str {
        match self {
            Keys::One(k) => k,
            Keys::Many(ks) => ks.first().map_or("", String::as_str),
        }
    }
}

/// How one list operation pages.
#[derive(Debug, Deserialize)]
pub struct Paginator {
    /// The request member that takes the continuation.
    pub input_token: Keys,
    /// Where the continuation is in a response (a path such as `StreamDescription.Shards[-1].ShardId`).
    pub output_token: Keys,
    /// Where the listed items are.
    pub result_key: Keys,
    /// A flag that must be true for another page to exist, where the service has one.
    pub more_results: Option<String>,
}

impl Paginator {
    /// The listed items of one page, and the request member and value that ask for the next.
    pub fn page<'a>(&self, response: &'a Value) -> (Vec<&'a Value>, Option<(String, Value)>) {
        let items = path(response, self.result_key.first()).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        let more = self.more_results.as_deref().is_none_or(|flag| path(response, flag) == Some(&Value::Bool(true)));
        let next = path(response, self.output_token.first())
            .filter(|token| more && !token.is_null())
            .map(|token| (self.input_token.first().to_owned(), token.clone()));
        (items, next)
    }
}

#[derive(Debug, Deserialize)]
struct Waiters {
    waiters: BTreeMap<String, Waiter>,
}

/// When a resource is ready, as the SDKs' waiters decide it; the polling pace is conform's.
#[derive(Debug, Deserialize)]
pub struct Waiter {
    pub operation: String,
    pub acceptors: Vec<Acceptor>,
}

#[derive(Debug, Deserialize)]
pub struct Acceptor {
    pub matcher: String,
    pub argument: Option<String>,
    pub expected: Value,
    pub state: String,
}

/// What an answer means to a waiter.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    Done,
    Failed(String),
    Again,
}

impl Waiter {
    /// Judges one answer: a success body, or the error code it failed with.
    pub fn judge(&self, answer: Result<&Value, &str>) -> Wait {
        for a in &self.acceptors {
            let matched = match (a.matcher.as_str(), answer) {
                ("path", Ok(body)) => a.argument.as_deref().and_then(|p| path(body, p)) == Some(&a.expected),
                ("error", Err(code)) => a.expected.as_str() == Some(code),
                _ => false,
            };
            if matched {
                return match a.state.as_str() {
                    "success" => Wait::Done,
                    "failure" => Wait::Failed(format!("{} answered {}", self.operation, a.expected)),
                    _ => Wait::Again,
                };
            }
        }
        match answer {
            Ok(_) => Wait::Again,
            Err(code) => Wait::Failed(format!("{} failed with {code}", self.operation)),
        }
    }
}

/// A botocore path: members joined by `.`, each optionally indexed (`Shards[-1]`).
pub fn path<'a>(value: &'a Value, expression: &str) -> Option<&'a Value> {
    expression.split('.').try_fold(value, |v, part| {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')?.parse::<i64>().ok()),
            None => (part, None),
        };
        let v = if name.is_empty() { v } else { v.get(name)? };
        match index {
            None => Some(v),
            Some(i) => {
                let list = v.as_array()?;
                let at = if i < 0 { list.len().checked_sub(i.unsigned_abs() as usize)? } else { i as usize };
                list.get(at)
            }
        }
    })
}

struct Flows {
    paginators: BTreeMap<String, Paginator>,
    waiters: BTreeMap<String, Waiter>,
}

#[derive(Deserialize)]
struct Paginators {
    pagination: BTreeMap<String, Paginator>,
}

static FLOWS: LazyLock<BTreeMap<&'static str, Flows>> = LazyLock::new(|| {
    let parse = |service: &str, paginators: &str, waiters: &str| {
        let p: Paginators = serde_json::from_str(paginators).unwrap_or_else(|e| panic!("{service}.paginators.json: {e}"));
        let w: Waiters = serde_json::from_str(waiters).unwrap_or_else(|e| panic!("{service}.waiters.json: {e}"));
        Flows { paginators: p.pagination, waiters: w.waiters }
    };
    macro_rules! vendored {
        ($($service:literal),*) => {
            [$(($service, parse($service,
                include_str!(concat!("../../../fixtures/models/", $service, ".paginators.json")),
                include_str!(concat!("../../../fixtures/models/", $service, ".waiters.json"))))),*]
        };
    }
    vendored!("sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events").into_iter().collect()
});

/// How `operation` of `service` pages, where the SDKs page it.
pub fn paginator(service: &str, operation: &str) -> Option<&'static Paginator> {
    FLOWS.get(service)?.paginators.get(operation)
}

/// A waiter of `service` by its SDK name (`TableExists`, `StreamExists`).
pub fn waiter(service: &str, name: &str) -> Option<&'static Waiter> {
    FLOWS.get(service)?.waiters.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_follow_members_and_indexes() {
        let v = json!({ "StreamDescription": { "Shards": [{ "ShardId": "a" }, { "ShardId": "b" }] } });
        assert_eq!(path(&v, "StreamDescription.Shards[-1].ShardId"), Some(&json!("b")));
        assert_eq!(path(&v, "StreamDescription.Shards[0].ShardId"), Some(&json!("a")));
        assert_eq!(path(&v, "StreamDescription.Shards[5]"), None);
        assert_eq!(path(&v, "Nope.X"), None);
    }

    #[test]
    fn list_calls_page_as_the_sdks_do() {
        let tables = paginator("dynamodb", "ListTables").unwrap();
        let page = json!({ "TableNames": ["a", "b"], "LastEvaluatedTableName": "b" });
        let (items, next) = tables.page(&page);
        assert_eq!((items.len(), next), (2, Some(("ExclusiveStartTableName".to_owned(), json!("b")))));
        let streams = paginator("kinesis", "ListStreams").unwrap();
        let (_, next) = streams.page(&json!({ "StreamNames": ["s"], "NextToken": "t", "HasMoreStreams": false }));
        assert_eq!(next, None, "no more pages when the service says so, whatever the token");
        let (_, next) = paginator("sqs", "ListQueues").unwrap().page(&json!({ "QueueUrls": [] }));
        assert_eq!(next, None);
    }

    #[test]
    fn waiters_judge_answers_by_their_acceptors() {
        let table = waiter("dynamodb", "TableExists").unwrap();
        assert_eq!(table.operation, "DescribeTable");
        assert_eq!(table.judge(Ok(&json!({ "Table": { "TableStatus": "ACTIVE" } }))), Wait::Done);
        assert_eq!(table.judge(Ok(&json!({ "Table": { "TableStatus": "CREATING" } }))), Wait::Again);
        assert_eq!(table.judge(Err("ResourceNotFoundException")), Wait::Again, "a table not yet visible is waited for");
        assert!(matches!(table.judge(Err("ValidationException")), Wait::Failed(_)));
        assert_eq!(waiter("kinesis", "StreamExists").unwrap().operation, "DescribeStream");
    }
}
