//! Workloads: several producers and consumers at once through one queue or stream, every
//! operation recorded, the history analysed by `check::history`, and the analysis judged by the
//! step's `expect`. Timed-out calls are recorded as unknown outcomes, never as losses.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{call::location, SpecContext, Stop};
use crate::check::history::{self, Delivery, History, Outcome, Send};
use crate::check::{self};
use crate::report::Attempt;
use crate::services::{Service, KINESIS, SQS};
use crate::spec::Workload;
use crate::wire::{fault, ServiceEndpoint, WireClient};

/// How long consumers keep polling an empty queue or shard, once producers are done, before
/// concluding that what has not arrived is lost.
const IDLE: Duration = Duration::from_secs(3);

/// A client bound to one service endpoint, cheap to clone into producer and consumer tasks.
#[derive(Clone)]
struct Driver {
    client: WireClient,
    service: &'static Service,
    endpoint: ServiceEndpoint,
    /// Calls that got no usable answer, over all tasks: with any, the history is not a verdict.
    faults: Arc<AtomicUsize>,
}

impl Driver {
    /// The call's body, or how it went wrong: `Failed` (the service said no) or `Unknown` (no
    /// answer, a server error or a body that is not JSON: the service may have acted on it).
    async fn call(&self, action: &str, request: Value) -> Result<Value, Outcome> {
        let answer = self.client.call(self.service, &self.endpoint, action, &request).await;
        // Throttled: not carried out, so known not to have happened.
        let throttled = matches!(&answer, Ok(r) if r.error.as_ref().is_some_and(fault::throttled));
        let outcome = match answer {
            _ if throttled => Err(Outcome::Failed),
            ref a if fault::fault(a.as_ref(), fault::Asked::default()).is_some() => Err(Outcome::Unknown),
            Ok(response) if response.error.is_none() => Ok(response.body),
            _ => Err(Outcome::Failed),
        };
        if outcome == Err(Outcome::Unknown) {
            self.faults.fetch_add(1, Ordering::SeqCst);
        }
        outcome
    }
}

impl Driver {
    /// Repeats a call whose answer was lost until one comes or the deadline passes: for calls whose
    /// repetition changes nothing (deleting by receipt handle).
    async fn call_despite_faults(&self, deadline: tokio::time::Instant, action: &str, request: Value) -> Result<Value, Outcome> {
        loop {
            match self.call(action, request.clone()).await {
                Err(Outcome::Unknown) if tokio::time::Instant::now() + Duration::from_millis(200) < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                outcome => return outcome,
            }
        }
    }

    /// Retries a read until it succeeds or the deadline passes (reads have no side effects).
    async fn call_until(&self, deadline: tokio::time::Instant, action: &str, request: Value) -> Option<Value> {
        loop {
            match self.call(action, request.clone()).await {
                Ok(body) => return Some(body),
                Err(_) if tokio::time::Instant::now() + Duration::from_millis(200) < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(_) => return None,
            }
        }
    }
}

impl SpecContext<'_> {
    pub(super) async fn workload(&mut self, workload: &Workload, attempts: &mut Vec<Attempt>) -> Result<(), Stop> {
        let started = tokio::time::Instant::now();
        let service = if self.vars.contains_key(&format!("{}.url", workload.resource)) { &SQS } else { &KINESIS };
        let endpoint = self.target.endpoint(service.name).cloned().ok_or_else(|| Stop::error("target has no endpoint", None))?;
        let faults = Arc::new(AtomicUsize::new(0));
        let driver = Driver { client: self.client.clone(), service, endpoint, faults: faults.clone() };
        let deadline = started + self.scaled(workload.timeout);
        let run = async {
            if service == &SQS {
                let url = self.vars[&format!("{}.url", workload.resource)].as_str().unwrap_or_default().to_owned();
                sqs(driver, url, workload, deadline).await
            } else {
                let name = self.vars[&format!("{}.name", workload.resource)].as_str().unwrap_or_default().to_owned();
                kinesis(driver, name, workload, deadline).await
            }
        };
        let history = tokio::select! {
            history = run => history,
            _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
        };
        let analysis = serde_json::to_value(history::analyse(&history, workload.model)).expect("analysis serialises");
        let in_doubt = analysis["in_doubt"].as_array().map_or(0, Vec::len);
        let checks: Vec<_> = workload.expect.iter().map(|e| check::check(e, &analysis, &self.vars)).collect();
        let failed = workload.expect.iter().zip(&checks).find(|(_, c)| !c.passed).map(|(e, c)| (e.span, c.clone()));
        attempts.push(Attempt {
                iteration: self.iteration,
            request: json!({ "resource": workload.resource, "messages": workload.messages, "producers": workload.producers, "consumers": workload.consumers, "model": workload.model }),
            status: 200,
            response: analysis,
            error: None,
            checks,
            shape: Vec::new(),
            elapsed: started.elapsed(),
            collected: None,
        });
        let faults = faults.load(Ordering::SeqCst);
        match failed {
            // Messages a lost receive may hold cannot be judged delivered: never a pass.
            _ if in_doubt > 0 => Err(Stop::error(
                format!("{in_doubt} messages may be held by a receive whose answer was lost ({faults} calls got no usable answer): a fault, not a verdict"),
                None,
            )),
            None => Ok(()),
            // Calls that got no answer make counts and deliveries uncertain: not a verdict.
            Some((_, check)) if faults > 0 => Err(Stop::error(
                format!("{}: {} ({faults} calls got no usable answer: a fault, not a verdict)", check.path, check.detail.unwrap_or_default()),
                None,
            )),
            Some((span, check)) => Err(Stop::Fail {
                message: format!("{}: {}", check.path, check.detail.unwrap_or_default()),
                location: Some(location(&self.spec.file, span)),
            }),
        }
    }
}

/// Splits `messages` over `producers`: producer p sends `share(p)` of them.
fn share(messages: u32, producers: u32, p: u32) -> u32 {
    messages / producers + u32::from(p < messages % producers)
}

/// Producers send concurrently, each in order to its own key (message group on FIFO) so per-key
/// order is defined; consumers receive and delete until everything acknowledged has arrived, the
/// queue stays empty after the producers finish, or the deadline passes.
async fn sqs(driver: Driver, url: String, workload: &Workload, deadline: tokio::time::Instant) -> History {
    let fifo = url.ends_with(".fifo");
    let attributes = json!({ "QueueUrl": url, "AttributeNames": ["VisibilityTimeout"] });
    let visibility = driver
        .call_until(deadline, "GetQueueAttributes", attributes)
        .await
        .and_then(|b| b.pointer("/Attributes/VisibilityTimeout").and_then(Value::as_str).and_then(|v| v.parse().ok()))
        .map_or(Duration::from_secs(30), Duration::from_secs);
    let history = Arc::new(Mutex::new(History::default()));
    let producers: Vec<_> = (0..workload.producers)
        .map(|p| {
            let (driver, url, history) = (driver.clone(), url.clone(), history.clone());
            let count = share(workload.messages, workload.producers, p);
            tokio::spawn(async move {
                for seq in 0..count {
                    let (value, key) = (format!("p{p}-{seq:06}"), format!("p{p}"));
                    let mut request = json!({ "QueueUrl": url, "MessageBody": value });
                    if fifo {
                        request["MessageGroupId"] = key.clone().into();
                        request["MessageDeduplicationId"] = value.clone().into();
                    }
                    let outcome = driver.call("SendMessage", request).await.map(|_| Outcome::Ok).unwrap_or_else(|o| o);
                    history.lock().expect("history").sends.push(Send { value, key, seq: seq.into(), outcome });
                }
            })
        })
        .collect();
    let producing = Arc::new(std::sync::atomic::AtomicUsize::new(producers.len()));
    // Until when messages taken by a receive whose answer was lost may stay hidden.
    let hidden = Arc::new(Mutex::new(tokio::time::Instant::now()));
    let consumers: Vec<_> = (0..workload.consumers)
        .map(|c| {
            let (driver, url, history, producing) = (driver.clone(), url.clone(), history.clone(), producing.clone());
            let hidden = hidden.clone();
            tokio::spawn(async move {
                // Short polls, so an emulator that holds long polls until a full batch cannot slow
                // the workload; after the producers finish, a quiet spell of IDLE ends consuming.
                let mut quiet_since: Option<tokio::time::Instant> = None;
                // A receive whose answer was lost may have taken messages in flight: they come back
                // only when their visibility timeout ends, so consuming goes on at least that long.
                let mut hidden_until = tokio::time::Instant::now();
                while tokio::time::Instant::now() < deadline {
                    let request = json!({ "QueueUrl": url, "MaxNumberOfMessages": 10 });
                    let messages = match driver.call("ReceiveMessage", request).await {
                        Ok(body) => body.get("Messages").and_then(Value::as_array).cloned().unwrap_or_default(),
                        Err(Outcome::Unknown) => {
                            hidden_until = tokio::time::Instant::now() + visibility + Duration::from_secs(1);
                            let mut latest = hidden.lock().expect("hidden");
                            *latest = (*latest).max(hidden_until);
                            Vec::new()
                        }
                        Err(_) => Vec::new(),
                    };
                    let done = producing.load(std::sync::atomic::Ordering::SeqCst) == 0;
                    if messages.is_empty() {
                        if done && everything_delivered(&history) {
                            break;
                        }
                        let since = *quiet_since.get_or_insert_with(tokio::time::Instant::now);
                        if done && since.elapsed() > IDLE && tokio::time::Instant::now() > hidden_until {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    quiet_since = None;
                    let mut entries = Vec::new();
                    for (i, m) in messages.iter().enumerate() {
                        let value = m.get("Body").and_then(Value::as_str).unwrap_or_default().to_owned();
                        history.lock().expect("history").deliveries.push(Delivery { value, lane: format!("consumer-{c}") });
                        entries.push(json!({ "Id": i.to_string(), "ReceiptHandle": m.get("ReceiptHandle") }));
                    }
                    // A delete left undone would deliver its messages again: repeated until answered.
                    let _ = driver.call_despite_faults(deadline, "DeleteMessageBatch", json!({ "QueueUrl": url, "Entries": entries })).await;
                }
            })
        })
        .collect();
    for producer in producers {
        let _ = producer.await;
        producing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
    for consumer in consumers {
        let _ = consumer.await;
    }
    let mut history = Arc::try_unwrap(history).map(|m| m.into_inner().expect("history")).unwrap_or_default();
    history.receives_in_doubt = *hidden.lock().expect("hidden") > tokio::time::Instant::now();
    history
}

fn everything_delivered(history: &Mutex<History>) -> bool {
    let history = history.lock().expect("history");
    let delivered: std::collections::HashSet<&str> = history.deliveries.iter().map(|d| d.value.as_str()).collect();
    history.sends.iter().filter(|s| s.outcome == Outcome::Ok).all(|s| delivered.contains(s.value.as_str()))
}

/// Producers put concurrently, each in order under its own partition key; then one reader per
/// shard reads from TRIM_HORIZON to the end, so each shard's order is what the stream kept.
async fn kinesis(driver: Driver, stream: String, workload: &Workload, deadline: tokio::time::Instant) -> History {
    let producers: Vec<_> = (0..workload.producers)
        .map(|p| {
            let (driver, stream) = (driver.clone(), stream.clone());
            let count = share(workload.messages, workload.producers, p);
            tokio::spawn(async move {
                let mut sends = Vec::new();
                for seq in 0..count {
                    let (value, key) = (format!("p{p}-{seq:06}"), format!("p{p}"));
                    let request = json!({ "StreamName": stream, "PartitionKey": key, "Data": B64.encode(&value) });
                    let outcome = driver.call("PutRecord", request).await.map(|_| Outcome::Ok).unwrap_or_else(|o| o);
                    sends.push(Send { value, key, seq: seq.into(), outcome });
                }
                sends
            })
        })
        .collect();
    let mut history = History::default();
    for producer in producers {
        history.sends.extend(producer.await.unwrap_or_default());
    }
    let shards = driver
        .call_until(deadline, "ListShards", json!({ "StreamName": stream }))
        .await
        .and_then(|b| b.get("Shards").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let readers: Vec<_> = shards
        .iter()
        .filter_map(|s| s.get("ShardId").and_then(Value::as_str).map(str::to_owned))
        .map(|shard| {
            let (driver, stream) = (driver.clone(), stream.clone());
            tokio::spawn(async move {
                let mut deliveries = Vec::new();
                let request = json!({ "StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON" });
                let mut iterator = driver.call_until(deadline, "GetShardIterator", request).await.and_then(|b| b.get("ShardIterator").cloned());
                let mut quiet_since: Option<tokio::time::Instant> = None;
                while let Some(it) = iterator.filter(|_| tokio::time::Instant::now() < deadline) {
                    // A failed read says nothing about the stream: retry it rather than stop reading,
                    // which would report everything after it as lost.
                    let Some(body) = driver.call_until(deadline, "GetRecords", json!({ "ShardIterator": it })).await else { break };
                    let records = body.get("Records").and_then(Value::as_array).cloned().unwrap_or_default();
                    for r in &records {
                        let data = r.get("Data").and_then(Value::as_str).and_then(|d| B64.decode(d).ok()).unwrap_or_default();
                        deliveries.push(Delivery { value: String::from_utf8_lossy(&data).into_owned(), lane: shard.clone() });
                    }
                    iterator = body.get("NextShardIterator").filter(|v| !v.is_null()).cloned();
                    if !records.is_empty() {
                        quiet_since = None;
                        continue;
                    }
                    // An empty answer does not mean the end: GetRecords may return nothing before
                    // reaching data. Caught up (MillisBehindLatest 0) or quiet for IDLE does.
                    let caught_up = body.get("MillisBehindLatest").and_then(Value::as_u64) == Some(0);
                    let since = *quiet_since.get_or_insert_with(tokio::time::Instant::now);
                    if caught_up || since.elapsed() > IDLE {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                deliveries
            })
        })
        .collect();
    for reader in readers {
        history.deliveries.extend(reader.await.unwrap_or_default());
    }
    history
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up() {
        for (m, p) in [(10, 3), (300, 4), (1, 2)] {
            assert_eq!((0..p).map(|i| share(m, p, i)).sum::<u32>(), m);
        }
    }
}
