//! Steps: calls, sleeps and workloads, with what a call expects, captures, waits for and gathers.

use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_saphyr::Spanned;

use super::Validator;
use crate::services;
use crate::spec::model::*;
use crate::spec::node::{Node, NodeValue, Pos};
use crate::spec::raw::*;
use crate::spec::source::did_you_mean;

impl Validator<'_> {
    pub(super) fn step(&mut self, spanned: Spanned<RawStep>) -> Option<Step> {
        let pos = Pos::of(&spanned);
        let mut raw = spanned.value;
        let name = raw.name.take();
        let repeat = raw.repeat.as_ref().map_or(1, |r| r.value);
        if raw.repeat.is_some() {
            self.vars.insert("index".into());
        }
        if let Some(e) = raw.evidence.as_ref().filter(|_| raw.call.is_none()) {
            self.node_error(e, "`evidence` cites recordings of an AWS call, so it belongs on a `call` step");
        }
        if let Some(workload) = raw.workload.take() {
            if raw.call.is_some() || raw.sleep.is_some() || raw.with.is_some() || raw.capture.is_some() || raw.eventually.is_some() || raw.collect.is_some() {
                self.error(pos, 1, "a `workload` step takes only `expect`");
            }
            let expect = raw.expect.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
            let action = self.workload(workload, expect).map(|w| Action::Workload(Box::new(w)));
            return Some(Step { name, span: self.span(pos, 1), action: action?, repeat });
        }
        let action = match (raw.call.take(), &raw.sleep) {
            (Some(_), Some(sleep)) => {
                self.error(Pos::of(sleep), 5, "a step either calls or sleeps, not both");
                None
            }
            (None, Some(sleep)) => {
                let has_call_keys = raw.with.is_some()
                    || raw.expect.is_some()
                    || raw.expect_error.is_some()
                    || raw.capture.is_some()
                    || raw.eventually.is_some()
                    || raw.collect.is_some();
                if has_call_keys {
                    self.error(Pos::of(sleep), 5, "a `sleep` step takes no `with`, `expect`, `capture`, `eventually` or `collect`");
                }
                self.duration(sleep).map(Action::Sleep)
            }
            (Some(call), None) => self.call(&call, raw).map(|c| Action::Call(Box::new(c))),
            (None, None) => {
                self.error(pos, 1, "a step needs `call:` (an AWS action) or `sleep:`")
                    .help("e.g. `- call: sqs.SendMessage`");
                None
            }
        };
        self.vars.remove("index");
        Some(Step { name, span: self.span(pos, 1), action: action?, repeat })
    }

    pub(super) fn workload(&mut self, spanned: Spanned<RawWorkload>, expect: Vec<Expectation>) -> Option<Workload> {
        use crate::check::history::Model;
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let (name, default_model) = match (&raw.queue, &raw.stream) {
            (Some(q), None) => match self.resources.get(q) {
                Some(Some(fifo)) => (q.clone(), if *fifo { Model::SqsFifo } else { Model::SqsStandard }),
                _ => {
                    self.error(pos, 1, format!("`{q}` is not a queue resource of this spec"));
                    return None;
                }
            },
            (None, Some(s)) if self.resources.get(s) == Some(&None) => (s.clone(), Model::Kinesis),
            (None, Some(s)) => {
                self.error(pos, 1, format!("`{s}` is not a stream resource of this spec"));
                return None;
            }
            _ => {
                self.error(pos, 1, "a workload drives exactly one `queue:` or `stream:`");
                return None;
            }
        };
        if raw.producers == 0 || raw.consumers == 0 || raw.messages == 0 {
            self.error(pos, 1, "`messages`, `producers` and `consumers` must be at least 1");
        }
        if expect.is_empty() {
            self.error(pos, 1, "a workload needs `expect` on its analysis, e.g. `$.valid: true`");
        }
        let timeout = raw.timeout.as_ref().and_then(|t| self.duration(t)).unwrap_or(Duration::from_secs(60));
        Some(Workload {
            resource: name,
            messages: raw.messages,
            producers: raw.producers,
            consumers: raw.consumers,
            model: raw.model.unwrap_or(default_model),
            timeout,
            expect,
        })
    }

    pub(super) fn call(&mut self, call: &Spanned<String>, raw: RawStep) -> Option<Call> {
        let (service, action) = self.action(call)?;
        let request = raw.with.unwrap_or(Node { pos: Pos::of(call), value: NodeValue::Map(Vec::new()) });
        if !matches!(request.value, NodeValue::Map(_)) {
            self.node_error(&request, format!("`with` must be the request object, not {}", request.kind()));
        }
        self.check_template(&request);
        for (at, why) in crate::spec::generate::problems(&request) {
            self.node_error(at, why);
        }
        let expect = raw.expect.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
        let expect_error = raw.expect_error.as_ref().and_then(|e| self.error_expectation(e));
        // A step that expects an error may send what the model forbids: that is often its point.
        if expect_error.is_none() {
            self.check_request(service, &action, &request);
        }
        let eventually = raw.eventually.map(|e| self.eventually(e));
        if eventually.is_some() && expect.is_empty() && expect_error.is_none() {
            self.error(Pos::of(call), call.value.len(), "`eventually` repeats a call until `expect` holds, but this step expects nothing");
        }
        if let Some(c) = raw.collect.as_ref().filter(|_| eventually.is_some() || expect_error.is_some()) {
            self.error(Pos::of(c), 7, "`collect` gathers successful answers: it takes neither `eventually` nor `expect_error`");
        }
        let collect = raw.collect.and_then(|c| self.collect(c, service, &action));
        let mut capture = Vec::new();
        for (name, path) in raw.capture.into_iter().flatten() {
            if let Some(p) = self.path(&path.value, Pos::of(&path)) {
                capture.push(Capture { name: name.clone(), path: p, span: self.span(Pos::of(&path), path.value.len()) });
            }
            self.vars.insert(name);
        }
        let evidence = raw.evidence.as_ref().map(|e| self.evidence(e)).unwrap_or_default();
        Some(Call { service, action, request, expect, expect_error, capture, eventually, collect, snapshot: raw.snapshot, evidence })
    }


    /// `expect_error`: a mapping of `code`, `query_code`, `status` and `message` (a regex); `{}` is any error.
    pub(super) fn error_expectation(&mut self, node: &Node) -> Option<ErrorExpectation> {
        const KEYS: [&str; 4] = ["code", "query_code", "status", "message"];
        let NodeValue::Map(entries) = &node.value else {
            self.node_error(node, format!("`expect_error` is a mapping of `{}`, not {}", KEYS.join("`, `"), node.kind()))
                .help("`{}` accepts any error; in a case table, `${column}` whose cells are such mappings or `~`");
            return None;
        };
        let mut expected = ErrorExpectation { code: None, query_code: None, status: None, message: None, span: self.span(node.pos, 1) };
        for (key, value) in entries {
            let text = value.as_str().map(str::to_owned);
            match (key.name.as_str(), &value.value) {
                ("code", NodeValue::String(_)) => expected.code = text,
                ("query_code", NodeValue::String(_)) => expected.query_code = text,
                ("status", NodeValue::Number(n)) if n.as_u64().is_some_and(|s| (100..600).contains(&s)) => {
                    expected.status = n.as_u64().map(|s| s as u16);
                }
                ("status", _) => {
                    self.node_error(value, "`status` is an HTTP status code, e.g. 400");
                }
                ("message", NodeValue::String(m)) => match Regex::new(m) {
                    Ok(re) => expected.message = Some(re),
                    Err(e) => {
                        self.node_error(value, format!("invalid regex: {e}"));
                    }
                },
                (known, _) if KEYS.contains(&known) => {
                    self.node_error(value, format!("`{known}` is text, not {}", value.kind()));
                }
                (unknown, _) => {
                    let e = self.error(key.pos, unknown.len(), format!("unknown key `{unknown}`"));
                    match did_you_mean(unknown, KEYS) {
                        Some(best) => e.help(format!("did you mean `{best}`?")),
                        None => e.help(format!("keys allowed here: `{}`", KEYS.join("`, `"))),
                    };
                }
            }
        }
        Some(expected)
    }

    /// A step's `evidence`: ids of recordings in `fixtures/aws-recorded/`.
    pub(super) fn evidence(&mut self, node: &Node) -> Vec<EvidenceRef> {
        let NodeValue::Seq(items) = &node.value else {
            self.node_error(node, "a step's `evidence` is a list of recording ids, e.g. `[localstack/sqs-fifo/send-delay-seconds-rejected]`");
            return Vec::new();
        };
        let mut refs = Vec::new();
        for item in items {
            match item.as_str() {
                Some(id) => refs.push(EvidenceRef { id: id.to_owned(), span: self.span(item.pos, id.len()) }),
                None => {
                    self.node_error(item, "a recording id is text");
                }
            }
        }
        refs
    }

    pub(super) fn eventually(&mut self, spanned: Spanned<RawEventually>) -> Eventually {
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let timeout = self.positive_duration(&raw.timeout).unwrap_or_default();
        let interval = raw.interval.as_ref().and_then(|i| self.positive_duration(i)).unwrap_or(Duration::from_millis(200));
        let max_interval = raw.max_interval.as_ref().and_then(|i| self.duration(i)).unwrap_or(Duration::from_secs(2));
        let backoff = raw.backoff.unwrap_or(1.5);
        if backoff < 1.0 {
            self.error(pos, 1, "`backoff` is a factor of at least 1.0");
        }
        let fail_fast = raw.fail_fast.as_ref().map(|n| self.expectations(n)).unwrap_or_default();
        Eventually { timeout, interval, backoff, max_interval, fail_fast: Arc::new(fail_fast) }
    }

    pub(super) fn collect(&mut self, spanned: Spanned<RawCollect>, service: &services::Service, action: &str) -> Option<Collect> {
        let pos = Pos::of(&spanned);
        let raw = spanned.value;
        let items = self.path(&raw.items.value, Pos::of(&raw.items));
        let until = self.expectations(&raw.until);
        if until.is_empty() {
            self.node_error(&raw.until, "`until` needs a condition over the collection, e.g. `$: { length: 6 }`");
        }
        let timeout = self.positive_duration(&raw.timeout);
        let interval = raw.interval.as_ref().map_or(Some(Duration::from_millis(200)), |i| self.positive_duration(i));
        let cursor = raw.cursor.and_then(|c| {
            let at = Pos::of(&c);
            let members = service.model().operation(action).and_then(|o| o.input.as_ref()).and_then(|i| service.model().shape(&i.shape));
            if let Some(crate::model::Shape::Structure { members, .. }) = members {
                if !members.contains_key(&c.value.to) {
                    let names: Vec<&str> = members.keys().map(String::as_str).collect();
                    let e = self.error(at, 1, format!("`cursor.to`: {}.{action} has no request member `{}`", service.name, c.value.to));
                    if let Some(best) = did_you_mean(&c.value.to, names) {
                        e.help(format!("did you mean `{best}`?"));
                    }
                }
            }
            Some(Cursor { from: self.path(&c.value.from, at)?, to: c.value.to })
        });
        if raw.delete_received && (service.name, action) != ("sqs", "ReceiveMessage") {
            self.error(pos, 1, "`delete_received` deletes received SQS messages: it belongs on `sqs.ReceiveMessage`");
        }
        Some(Collect { items: items?, until, timeout: timeout?, interval: interval?, cursor, delete_received: raw.delete_received })
    }
}
