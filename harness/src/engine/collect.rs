//! A `collect` step: repeat a call, gathering what each answer holds (following a cursor, deleting
//! received SQS messages), until a condition over the collection holds; then judge the collection.
//! AWS promises some things only across calls: a FIFO group "as many as possible" per receive,
//! Kinesis records over successive GetRecords.

use serde_json::{json, Value};

use super::call::location;
use super::{SpecContext, Stop};
use crate::check::{self, CheckResult};
use crate::report::Attempt;
use crate::spec::{template, Call, Collect};
use crate::wire::ServiceEndpoint;

/// More items than any spec gathers: past it, a target is answering without end.
const MAX_COLLECTED: usize = 10_000;

impl SpecContext<'_> {
    pub(super) async fn collect(&mut self, call: &Call, collect: &Collect, attempts: &mut Vec<Attempt>) -> Result<(), Stop> {
        let mut request = template::render(&call.request, &self.vars).map_err(|e| Stop::error(e, None))?;
        let endpoint = self
            .target
            .endpoint(call.service.name)
            .ok_or_else(|| Stop::error(format!("target has no {} endpoint", call.service.name), None))?;
        let what = format!("{}.{}", call.service.name, call.action);
        let deadline = tokio::time::Instant::now() + self.scaled(collect.timeout);
        let mut collected = Vec::new();
        let mut faults = 0;
        loop {
            let response = self.answer(call, endpoint, &request, attempts, &mut faults).await?;
            if let Some(error) = &response.error {
                let message = error.message.as_deref().unwrap_or("");
                return Err(Stop::Fail { message: format!("unexpected error {} (HTTP {}): {message}", error.code, response.status), location: None });
            }
            let new = check::matcher::gather(&collect.items, &response.body);
            if collect.delete_received {
                self.delete_received(endpoint, &request, &new).await?;
            }
            let gathered_nothing = new.is_empty();
            collected.extend(new);
            if collected.len() > MAX_COLLECTED {
                return Err(Stop::error(format!("{what}: more than {MAX_COLLECTED} items gathered"), None));
            }
            let whole = Value::Array(collected.clone());
            let until: Vec<CheckResult> = collect.until.iter().map(|e| check::check(e, &whole, &self.vars)).collect();
            let unmet = collect.until.iter().zip(&until).find(|(_, c)| !c.passed).map(|(e, c)| (e.span, c.clone()));
            attempts.last_mut().expect("just pushed").checks = until;
            let cursor_ended = match &collect.cursor {
                Some(cursor) => match check::matcher::select(&cursor.from, &response.body).filter(|v| !v.is_null()) {
                    Some(next) => {
                        request[&cursor.to] = next;
                        false
                    }
                    None => true,
                },
                None => false,
            };
            let Some((span, unmet)) = unmet else { break };
            let n = attempts.len();
            let why = format!("{}: {}", unmet.path, unmet.detail.unwrap_or_default());
            let stop = |reason: &str| Stop::Fail {
                message: format!("`until` did not hold {reason} ({} items from {n} calls): {why}", collected.len()),
                location: Some(location(&self.spec.file, span)),
            };
            if cursor_ended {
                return Err(stop("when the cursor ended"));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(stop("within the `collect` timeout"));
            }
            if gathered_nothing {
                tokio::select! {
                    _ = tokio::time::sleep(collect.interval) => {}
                    _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
                }
            }
        }
        let whole = Value::Array(collected);
        let checks: Vec<CheckResult> = call.expect.iter().map(|e| check::check(e, &whole, &self.vars)).collect();
        let failed = call.expect.iter().zip(&checks).find(|(_, c)| !c.passed).map(|(e, c)| (e.span, c.clone()));
        let last = attempts.last_mut().expect("at least one call");
        last.checks.extend(checks);
        last.collected = Some(whole.clone());
        if let Some((span, failed)) = failed {
            let message = format!("over the {} items collected: {}: {}", whole.as_array().map_or(0, Vec::len), failed.path, failed.detail.unwrap_or_default());
            return Err(Stop::Fail { message, location: Some(location(&self.spec.file, span)) });
        }
        self.capture(call, &whole)
    }

    /// Deletes the messages a receive returned, ten per batch, so that a FIFO group's next messages
    /// can be received. A delete that fails leaves the spec unable to go on: an error.
    async fn delete_received(&self, endpoint: &ServiceEndpoint, receive: &Value, messages: &[Value]) -> Result<(), Stop> {
        for chunk in messages.chunks(10) {
            let entries: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| json!({ "Id": format!("m{i}"), "ReceiptHandle": m["ReceiptHandle"] }))
                .collect();
            let request = json!({ "QueueUrl": receive["QueueUrl"], "Entries": entries });
            let answer = self.call_tracked(&crate::services::SQS, endpoint, "DeleteMessageBatch", &request).await;
            let deleted = answer.as_ref().is_ok_and(|r| r.error.is_none() && r.body["Failed"].as_array().is_none_or(Vec::is_empty));
            if !deleted {
                let why = match answer {
                    Ok(r) => format!("HTTP {}: {}", r.status, r.body),
                    Err(e) => e.to_string(),
                };
                return Err(Stop::error(format!("deleting the received messages failed: {why}"), None));
            }
        }
        Ok(())
    }
}
