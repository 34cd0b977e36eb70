//! What is a fault rather than an answer, and how a call is repeated after one: one definition for
//! every caller (spec steps, collect, setup, teardown, workloads). A fault says nothing about the
//! target's behaviour under test: no answer, a server error nobody asked for, a body that is not
//! JSON, or throttling.

use std::time::Duration;

use super::{TransportError, WireError, WireResponse};

/// What the caller itself expects: an error it asked for is an answer, whatever its kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct Asked<'a> {
    /// The error code the step expects.
    pub code: Option<&'a str>,
    /// The step expects a 5xx status.
    pub server_error: bool,
}

/// Why this outcome of a call is a fault, or `None` when it is an answer to judge.
pub fn fault(outcome: Result<&WireResponse, &TransportError>, asked: Asked) -> Option<String> {
    let response = match outcome {
        Ok(response) => response,
        Err(e) => return Some(e.to_string()),
    };
    let message = || response.error.as_ref().and_then(|e| e.message.clone()).unwrap_or_default();
    if let Some(error) = response.error.as_ref().filter(|e| throttled(e) && asked.code != Some(e.code.as_str())) {
        return Some(format!("throttled: {} {}", error.code, message()).trim_end().to_owned());
    }
    if let serde_json::Value::String(text) = &response.body {
        return Some(format!("HTTP {} with a body that is not JSON: {:?}", response.status, text.chars().take(80).collect::<String>()));
    }
    (response.status >= 500 && !asked.server_error).then(|| format!("HTTP {} {}", response.status, message()).trim_end().to_owned())
}

/// "Slow down": the request was not carried out, so any call may be sent again. AWS and emulators
/// limit request rates (Kinesis allows few streams to be created at once).
pub fn throttled(error: &WireError) -> bool {
    const THROTTLING: [&str; 5] =
        ["ThrottlingException", "RequestThrottled", "ThrottledException", "ProvisionedThroughputExceededException", "LimitExceededException"];
    // LimitExceededException also reports quotas (shard counts) that specs assert: only its rate form is throttling.
    let rate = error.code != "LimitExceededException"
        || error.message.as_deref().is_some_and(|m| m.contains("concurrently") || m.to_lowercase().contains("rate exceeded"));
    THROTTLING.contains(&error.code.as_str()) && rate
}

/// Whether repeating `action` after a fault is safe: reads change nothing, and writes that set a
/// state leave what the first call left and answer the same. (Sends, puts, receives, deletes by
/// handle, retention and shard changes are not: a repeat adds, moves a timer or is refused.)
pub fn repeatable(action: &str) -> bool {
    read_only(action) || ["SetQueueAttributes", "TagQueue", "UntagQueue", "AddTagsToStream", "TagResource", "UntagResource"].contains(&action)
}

/// Calls that change nothing.
pub fn read_only(action: &str) -> bool {
    ["Describe", "List", "Get", "Query", "Scan"].iter().any(|p| action.starts_with(p)) || ["BatchGetItem", "TransactGetItems"].contains(&action)
}

/// How often a call is repeated after faults before the caller gives up (the step is an error, the
/// resource a leak), and the growing pause before each repeat.
pub const RETRIES: u32 = 3;

pub fn pause(faults: u32) -> Duration {
    Duration::from_millis(200 << faults.min(5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: serde_json::Value, code: Option<&str>, message: &str) -> WireResponse {
        WireResponse {
            status,
            body,
            error: code.map(|c| WireError { code: c.into(), query_code: None, message: Some(message.into()) }),
            request_id: None,
            elapsed: Duration::ZERO,
            raw: Default::default(),
        }
    }

    #[test]
    fn faults_are_what_says_nothing_about_the_behaviour() {
        let ok = response(200, json!({}), None, "");
        assert_eq!(fault(Ok(&ok), Asked::default()), None);
        let server = response(500, json!({}), Some("InternalFailure"), "boom");
        assert_eq!(fault(Ok(&server), Asked::default()).as_deref(), Some("HTTP 500 boom"));
        assert_eq!(fault(Ok(&server), Asked { server_error: true, ..Default::default() }), None, "a 5xx asked for is an answer");
        let garbage = response(200, json!("<html>"), None, "");
        assert!(fault(Ok(&garbage), Asked::default()).unwrap().contains("not JSON"));
        let throttle = response(400, json!({}), Some("ThrottlingException"), "Rate exceeded");
        assert!(fault(Ok(&throttle), Asked::default()).unwrap().starts_with("throttled"));
        assert_eq!(fault(Ok(&throttle), Asked { code: Some("ThrottlingException"), ..Default::default() }), None);
        let quota = response(400, json!({}), Some("LimitExceededException"), "shard limit");
        assert_eq!(fault(Ok(&quota), Asked::default()), None, "a quota is an answer specs assert");
        let invalid = response(400, json!({}), Some("ValidationException"), "no");
        assert_eq!(fault(Ok(&invalid), Asked::default()), None);
    }

    #[test]
    fn only_calls_that_leave_the_same_state_are_repeated() {
        assert!(repeatable("GetQueueAttributes") && repeatable("Query") && repeatable("SetQueueAttributes"));
        assert!(!repeatable("SendMessage") && !repeatable("ReceiveMessage") && !repeatable("CreateQueue"));
        assert!(pause(2) > pause(1));
    }
}
