//! Creating a spec's declared resources, registering whatever a run creates for deletion, and
//! deleting it again. All through the same wire calls specs use.

use std::time::Duration;

use serde_json::{json, Value};

use super::ledger::{Deletion, Ticket};
use super::SpecContext;
use crate::services::{self, Service, DYNAMODB, EVENTS, KINESIS, SNS, SQS};
use crate::spec::{QueueDef, Resource, ResourceKind, StreamDef, TableDef};
use crate::wire::{fault, ServiceEndpoint, TransportError, WireClient, WireResponse};

/// Actions that create something, and how to delete what they created. A spec that calls one of
/// these directly (say, to test CreateQueue validation) gets the same guaranteed teardown.
struct Creator {
    service: &'static Service,
    create: &'static str,
    delete: &'static str,
    /// The delete request, from the create request and response.
    delete_request: fn(&Value, &Value) -> Option<Value>,
    /// When the create's answer was lost: the call that finds the resource by the name the create
    /// request gave it, answering what `delete_request` needs. None: the name alone deletes it.
    find: Option<(&'static str, RequestFrom)>,
}

/// Builds one request from another (a find by name from a create request).
type RequestFrom = fn(&Value) -> Option<Value>;

const CREATORS: [Creator; 7] = [
    Creator {
        service: &SQS,
        create: "CreateQueue",
        delete: "DeleteQueue",
        delete_request: |_, resp| Some(json!({ "QueueUrl": resp.get("QueueUrl")? })),
        find: Some(("GetQueueUrl", |req| Some(json!({ "QueueName": req.get("QueueName")? })))),
    },
    Creator {
        service: &KINESIS,
        create: "CreateStream",
        delete: "DeleteStream",
        delete_request: |req, _| Some(json!({ "StreamName": req.get("StreamName")?, "EnforceConsumerDeletion": true })),
        find: None,
    },
    Creator {
        service: &DYNAMODB,
        create: "CreateTable",
        delete: "DeleteTable",
        delete_request: |req, _| Some(json!({ "TableName": req.get("TableName")? })),
        find: None,
    },
    // CreateTopic is idempotent and answers the ARN that DeleteTopic takes: it finds a topic whose
    // create was not answered (a topic's subscriptions go with it).
    Creator {
        service: &SNS,
        create: "CreateTopic",
        delete: "DeleteTopic",
        delete_request: |_, resp| Some(json!({ "TopicArn": resp.get("TopicArn")? })),
        find: Some(("CreateTopic", |req| {
            let mut find = json!({ "Name": req.get("Name")? });
            if let Some(attributes) = req.get("Attributes") {
                find["Attributes"] = attributes.clone();
            }
            Some(find)
        })),
    },
    Creator {
        service: &EVENTS,
        create: "PutRule",
        delete: "DeleteRule",
        delete_request: |req, _| Some(json!({ "Name": req.get("Name")?, "EventBusName": req.get("EventBusName").cloned().unwrap_or(json!("default")) })),
        find: None,
    },
    // A rule with targets cannot be deleted: its targets are removed first (the ledger deletes
    // newest first, so after any later PutTargets and before the rule).
    Creator {
        service: &EVENTS,
        create: "PutTargets",
        delete: "RemoveTargets",
        delete_request: |req, _| {
            let ids: Vec<Value> = req.get("Targets")?.as_array()?.iter().filter_map(|t| t.get("Id").cloned()).collect();
            Some(json!({ "Rule": req.get("Rule")?, "EventBusName": req.get("EventBusName").cloned().unwrap_or(json!("default")), "Ids": ids }))
        },
        find: None,
    },
    Creator {
        service: &EVENTS,
        create: "CreateEventBus",
        delete: "DeleteEventBus",
        delete_request: |req, _| Some(json!({ "Name": req.get("Name")? })),
        find: None,
    },
];

/// Errors that mean "already gone": deleting is then done.
const GONE: [&str; 4] = ["QueueDoesNotExist", "ResourceNotFoundException", "NonExistentQueue", "NotFoundException"];
/// Errors that mean "not yet": a table still CREATING, a stream still UPDATING.
const BUSY: [&str; 2] = ["ResourceInUseException", "LimitExceededException"];
/// "Slow down" during setup: throttling, or a quota (streams CREATING at once, shards) that other
/// specs' resources hold for a while. Setup waits them out; a spec's own steps assert quotas.
fn slow_down(e: &crate::wire::WireError) -> bool {
    fault::throttled(e) || e.code == "LimitExceededException"
}

/// The tag every created queue, stream and table carries: `conform:run = <run id>`.
pub const RUN_TAG: &str = "conform:run";

/// Targets known to accept tags on CreateQueue, CreateStream and CreateTable (moto takes and
/// ignores Kinesis's); other emulators may reject the parameter, so they get none.
const TAGGED_TARGETS: [&str; 2] = ["aws", "moto"];

impl SpecContext<'_> {
    /// The run id to tag created resources with, on targets that accept tags.
    fn run_tag(&self) -> Option<&str> {
        let run_id = self.prefix.rsplit_once('-').map_or(self.prefix.as_str(), |(run, _)| run);
        TAGGED_TARGETS.contains(&self.target.name.as_str()).then_some(run_id)
    }

    /// A call whose creation, if it creates something, is in the ledger whatever comes back. Before
    /// a create is sent, an entry finds the resource by the name the request gives it and deletes
    /// it, for when the answer never comes (lost, or cut off by a spec timeout or Ctrl-C while in
    /// flight). A success replaces that entry with what it names, a clear refusal drops it; no
    /// answer, a server error or a body that is not JSON leave it in place.
    pub(super) async fn call_tracked(
        &self,
        service: &'static Service,
        endpoint: &ServiceEndpoint,
        action: &str,
        request: &Value,
    ) -> Result<WireResponse, TransportError> {
        let Some(creator) = creator(service, action) else { return self.client.call(service, endpoint, action, request).await };
        let ticket = self.expect_create(creator, request);
        // Spawned, so that a spec timeout or Ctrl-C dropping this future does not abandon a
        // request already on its way: teardown waits for it (`creates`), then deletes by name.
        let in_flight = self.creates.clone().read_owned().await;
        let (client, endpoint, action, sent) = (self.client.clone(), endpoint.clone(), action.to_owned(), request.clone());
        let outcome = tokio::spawn(async move {
            let _in_flight = in_flight;
            client.call(service, &endpoint, &action, &sent).await
        })
        .await
        .expect("a create's task does not panic");
        if let Some(answer) = outcome.as_ref().ok().filter(|r| r.status < 500 && r.body.is_object()) {
            let settled = answer.error.is_some() || self.register_created(creator, request, &answer.body);
            if let (true, Some(ticket)) = (settled, ticket) {
                self.ledger.forget(ticket);
            }
        }
        outcome
    }

    /// The ledger entry for a create not yet answered.
    fn expect_create(&self, creator: &'static Creator, request: &Value) -> Option<Ticket> {
        let (request, find) = match creator.find {
            None => ((creator.delete_request)(request, &Value::Null)?, None),
            Some((find, find_request)) => (Value::Null, Some((find, find_request(request)?))),
        };
        Some(self.ledger.add(Deletion {
            owner: self.prefix.clone(),
            label: format!("{} {} (its create was not answered)", creator.service.name, name_in(find.as_ref().map_or(&request, |(_, r)| r))),
            service: creator.service,
            action: creator.delete,
            request,
            find,
        }))
    }

    /// Registers the deletion of what `creator` made, if the request and response say enough.
    fn register_created(&self, creator: &Creator, request: &Value, response: &Value) -> bool {
        let Some(delete) = (creator.delete_request)(request, response) else { return false };
        self.ledger.add(Deletion {
            owner: self.prefix.clone(),
            label: format!("{} {}", creator.service.name, name_in(&delete)),
            service: creator.service,
            action: creator.delete,
            request: delete,
            find: None,
        });
        true
    }

    /// A read of an existing resource (for bindings): a failure is a setup problem.
    pub(super) async fn read(&self, service: &'static Service, action: &str, request: Value) -> Result<Value, String> {
        self.setup_call(service, action, request).await
    }

    /// A call whose failure is a setup problem (the spec's verdict cannot depend on it).
    async fn setup_call(&self, service: &'static Service, action: &str, request: Value) -> Result<Value, String> {
        self.setup_answer(service, action, request).await?.map_err(|error| {
            format!("{}.{action} failed: {} {}", service.name, error.code, error.message.unwrap_or_default())
        })
    }

    /// A setup call's answer, a service error included; `Err` only for what no repeat mended.
    async fn setup_answer(&self, service: &'static Service, action: &str, request: Value) -> Result<Result<Value, crate::wire::WireError>, String> {
        let endpoint = self.target.endpoint(service.name).ok_or_else(|| format!("target has no {} endpoint", service.name))?;
        let deadline = tokio::time::Instant::now() + self.scaled(Duration::from_secs(120));
        let mut wait = Duration::from_millis(250);
        // Setup may repeat a call whose answer was lost: reads change nothing, and a declared
        // resource's create either made it (a repeat then says it exists, which is what setup
        // wanted) or did not (the repeat makes it). Its ledger entry is there either way.
        let repeatable = fault::repeatable(action) || creator(service, action).is_some();
        let mut faults = 0;
        let mut after_fault = false;
        let response = loop {
            let outcome = self.call_tracked(service, endpoint, action, &request).await;
            // Throttling and quotas held by other specs' resources clear: waited out below, not counted as faults.
            let waits = matches!(&outcome, Ok(r) if r.error.as_ref().is_some_and(slow_down));
            if let Some(why) = fault::fault(outcome.as_ref(), fault::Asked::default()).filter(|_| !waits) {
                faults += 1;
                if !repeatable || faults > fault::RETRIES {
                    return Err(format!("{}.{action}: {why}{}", service.name, if faults > 1 { format!(" (after {faults} faults)") } else { String::new() }));
                }
                after_fault = true;
                tokio::time::sleep(fault::pause(faults)).await;
                continue;
            }
            let response = outcome.expect("not a fault");
            match &response.error {
                Some(e) if slow_down(e) && tokio::time::Instant::now() + wait < deadline => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(4));
                }
                // The create whose answer was lost made it: carry on as if it had answered.
                Some(e) if after_fault && creator(service, action).is_some() && e.code == "ResourceInUseException" => {
                    return Ok(Ok(Value::Object(Default::default())));
                }
                _ => break response,
            }
        };
        Ok(match response.error {
            Some(error) => Err(error),
            None => Ok(response.body),
        })
    }

    pub(super) async fn create(&mut self, resource: &Resource) -> Result<(), String> {
        let name = format!("{}-{}", self.prefix, resource.name);
        let attributes = match &resource.kind {
            ResourceKind::Queue(q) => self.create_queue(name, q).await?,
            ResourceKind::Stream(s) => self.create_stream(name, s).await?,
            ResourceKind::Table(t) => self.create_table(name, t).await?,
        };
        for (attr, value) in attributes {
            self.vars.insert(format!("{}.{attr}", resource.name), value);
        }
        Ok(())
    }

    async fn create_queue(&self, name: String, def: &QueueDef) -> Result<Vec<(&'static str, Value)>, String> {
        let name = if def.fifo { format!("{name}.fifo") } else { name };
        let mut attributes: serde_json::Map<String, Value> =
            def.attributes.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        if def.fifo {
            attributes.insert("FifoQueue".into(), "true".into());
        }
        if let Some(redrive) = &def.redrive {
            let dlq_arn = self.vars.get(&format!("{}.arn", redrive.to)).cloned().unwrap_or_default();
            let policy = json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": redrive.max_receive_count });
            attributes.insert("RedrivePolicy".into(), policy.to_string().into());
        }
        let mut request = json!({ "QueueName": name, "Attributes": attributes });
        if let Some(run) = self.run_tag() {
            request["tags"] = json!({ RUN_TAG: run });
        }
        let created = self.setup_call(&SQS, "CreateQueue", request).await?;
        let url = created.get("QueueUrl").cloned().ok_or("CreateQueue returned no QueueUrl")?;
        let attrs = self
            .setup_call(&SQS, "GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["QueueArn"] }))
            .await?;
        let arn = attrs.pointer("/Attributes/QueueArn").cloned().ok_or("GetQueueAttributes returned no QueueArn")?;
        Ok(vec![("url", url), ("arn", arn), ("name", name.into())])
    }

    async fn create_stream(&self, name: String, def: &StreamDef) -> Result<Vec<(&'static str, Value)>, String> {
        let mut request = json!({ "StreamName": name, "ShardCount": def.shards });
        if let Some(run) = self.run_tag() {
            request["Tags"] = json!({ RUN_TAG: run });
        }
        self.setup_call(&KINESIS, "CreateStream", request).await?;
        let described = self.wait_for(&KINESIS, "StreamExists", json!({ "StreamName": name })).await?;
        let arn = described.pointer("/StreamDescription/StreamARN").cloned().unwrap_or_default();
        Ok(vec![("name", name.into()), ("arn", arn)])
    }

    async fn create_table(&self, name: String, def: &TableDef) -> Result<Vec<(&'static str, Value)>, String> {
        let key_schema: Vec<Value> = def
            .key
            .iter()
            .zip(["HASH", "RANGE"])
            .map(|((attr, _), role)| json!({ "AttributeName": attr, "KeyType": role }))
            .collect();
        let definitions: Vec<Value> =
            def.key.iter().map(|(attr, ty)| json!({ "AttributeName": attr, "AttributeType": ty })).collect();
        let mut request = json!({
            "TableName": name,
            "KeySchema": key_schema,
            "AttributeDefinitions": definitions,
            "BillingMode": "PAY_PER_REQUEST",
        });
        if let Some(run) = self.run_tag() {
            request["Tags"] = json!([{ "Key": RUN_TAG, "Value": run }]);
        }
        if let Some(view) = &def.stream {
            request["StreamSpecification"] = json!({ "StreamEnabled": true, "StreamViewType": view });
        }
        self.setup_call(&DYNAMODB, "CreateTable", request).await?;
        let table = self.wait_for(&DYNAMODB, "TableExists", json!({ "TableName": name })).await?;
        if let Some(attribute) = &def.ttl {
            let spec = json!({ "TableName": name, "TimeToLiveSpecification": { "Enabled": true, "AttributeName": attribute } });
            self.setup_call(&DYNAMODB, "UpdateTimeToLive", spec).await?;
        }
        let mut out = vec![("name", name.into()), ("arn", table.pointer("/Table/TableArn").cloned().unwrap_or_default())];
        if def.stream.is_some() {
            out.push(("stream_arn", table.pointer("/Table/LatestStreamArn").cloned().unwrap_or_default()));
        }
        Ok(out)
    }

    /// Polls until the SDKs' waiter `name` (botocore's acceptors) says the resource is ready; the
    /// pace is conform's (botocore's delays are for real AWS and would slow every emulator run).
    async fn wait_for(&self, service: &'static Service, name: &str, request: Value) -> Result<Value, String> {
        use crate::model::flow::{waiter, Wait};
        let waiter = waiter(service.name, name).ok_or_else(|| format!("botocore has no {} waiter {name}", service.name))?;
        let deadline = tokio::time::Instant::now() + self.scaled(Duration::from_secs(120));
        loop {
            let answer = self.setup_answer(service, &waiter.operation, request.clone()).await?;
            match waiter.judge(answer.as_ref().map_err(|e| e.code.as_str())) {
                Wait::Done => return answer.map_err(|e| format!("{}.{}: {}", service.name, waiter.operation, e.code)),
                Wait::Failed(why) => return Err(format!("{}: waiting for {name}: {why}", service.name)),
                Wait::Again if tokio::time::Instant::now() > deadline => {
                    return Err(format!("{}: {name} still not reached after the setup timeout", service.name));
                }
                Wait::Again => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
}

/// Whether an error says the resource is already gone (so deleting it is done).
pub fn is_gone(e: &crate::wire::WireError) -> bool {
    GONE.iter().any(|g| e.code == *g || e.query_code.as_deref().is_some_and(|q| q.ends_with(g)))
}

/// Deletes one resource, waiting out "busy" answers. Returns an error only when it may have leaked.
pub async fn delete(
    target: &crate::targets::Target,
    client: &WireClient,
    deletion: &Deletion,
) -> Result<(), String> {
    let service = services::by_name(deletion.service.name).expect("ledger holds known services");
    let endpoint = target.endpoint(service.name).ok_or("target lost its endpoint")?;
    let request = match &deletion.find {
        None => deletion.request.clone(),
        Some((find, by_name)) => {
            let found = answer_despite_faults(client, service, endpoint, find, by_name).await;
            let found = found.map_err(|why| format!("{}: {find}: {why}", deletion.label))?;
            match &found.error {
                None => found.body,
                Some(e) if is_gone(e) => return Ok(()),
                Some(e) => return Err(format!("{}: {find}: {} {}", deletion.label, e.code, e.message.clone().unwrap_or_default())),
            }
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(60.0 * target.timing.scale);
    loop {
        let answer = answer_despite_faults(client, service, endpoint, deletion.action, &request).await;
        let answer = answer.map_err(|why| format!("{}: {why}", deletion.label))?;
        match &answer.error {
            None => return Ok(()),
            Some(e) if is_gone(e) => return Ok(()),
            Some(e) if BUSY.contains(&e.code.as_str()) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Some(e) if BUSY.contains(&e.code.as_str()) => return Err(format!("{}: still busy", deletion.label)),
            Some(e) => return Err(format!("{}: {} {}", deletion.label, e.code, e.message.clone().unwrap_or_default())),
        }
    }
}

/// The first answer to `action` that is not a fault. Deletes and finds are safe to repeat, so after
/// a fault (no answer, a server error, a body that is not JSON, throttling) the call is sent again,
/// with a growing pause; a resource gone by then was deleted by the lost call.
async fn answer_despite_faults(
    client: &WireClient,
    service: &'static Service,
    endpoint: &ServiceEndpoint,
    action: &str,
    request: &Value,
) -> Result<WireResponse, String> {
    let mut faults = 0;
    loop {
        let outcome = client.call(service, endpoint, action, request).await;
        // Busy ("still creating") is not a fault: the caller waits it out.
        let busy = matches!(&outcome, Ok(r) if r.error.as_ref().is_some_and(|e| BUSY.contains(&e.code.as_str())));
        let Some(why) = fault::fault(outcome.as_ref(), fault::Asked::default()).filter(|_| !busy) else {
            return outcome.map_err(|e| e.to_string());
        };
        faults += 1;
        if faults > fault::RETRIES {
            return Err(format!("{why} (after {faults} faults)"));
        }
        tokio::time::sleep(fault::pause(faults)).await;
    }
}

/// The creator behind `action`, if it creates something.
fn creator(service: &'static Service, action: &str) -> Option<&'static Creator> {
    CREATORS.iter().find(|c| c.service == service && c.create == action)
}

/// What a request names first (a queue URL, a stream or table name), for messages.
fn name_in(request: &Value) -> String {
    request.as_object().and_then(|o| o.values().next()).cloned().unwrap_or_default().to_string()
}
