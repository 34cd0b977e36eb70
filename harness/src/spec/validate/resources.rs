//! Resources: queues, streams and tables a spec declares, and the `${name.attr}` variables they give.


use serde_saphyr::Spanned;

use super::Validator;
use crate::spec::model::*;
use crate::spec::node::{NodeValue, Pos};
use crate::spec::raw::*;
use crate::spec::source::did_you_mean;

impl Validator<'_> {
    pub(super) fn resources(&mut self, raw: indexmap::IndexMap<String, Spanned<RawResource>>) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        for (name, spanned) in raw {
            let pos = Pos::of(&spanned);
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
                self.error(pos, 1, format!("resource name `{name}` must be letters, digits and `_`"));
            }
            let kind = match spanned.value {
                RawResource::Queue(q) => ResourceKind::Queue(self.queue(q, &out)),
                RawResource::Stream(s) => ResourceKind::Stream(StreamDef { shards: s.shards }),
                RawResource::Table(t) => {
                    if t.key.is_empty() || t.key.len() > 2 {
                        self.error(pos, 1, "a table `key` has a partition key and at most one sort key");
                    }
                    ResourceKind::Table(TableDef {
                        key: t.key.into_iter().map(|(k, ty)| (k, format!("{ty:?}"))).collect(),
                        stream: t.stream.map(|v| {
                            serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
                        }),
                        ttl: t.ttl,
                    })
                }
            };
            match &kind {
                ResourceKind::Queue(q) => self.resources.insert(name.clone(), Some(q.fifo)),
                ResourceKind::Stream(_) => self.resources.insert(name.clone(), None),
                ResourceKind::Table(_) => None,
            };
            for attr in kind.attributes() {
                self.vars.insert(format!("{name}.{attr}"));
            }
            out.push(Resource { name, kind, span: self.span(pos, 1) });
        }
        out
    }

    pub(super) fn queue(&mut self, raw: RawQueue, earlier: &[Resource]) -> QueueDef {
        let mut attributes = Vec::new();
        if let Some(node) = &raw.attributes {
            match &node.value {
                NodeValue::Map(entries) => {
                    for (key, value) in entries {
                        let text = match &value.value {
                            NodeValue::String(s) => s.clone(),
                            NodeValue::Number(n) => n.to_string(),
                            NodeValue::Bool(b) => b.to_string(),
                            _ => {
                                self.node_error(value, format!("queue attribute values are scalars, not {}", value.kind()));
                                continue;
                            }
                        };
                        if text.contains("${") {
                            // Resources are created before any variable but their own exists.
                            let e = self.node_error(value, "queue attributes are sent as written: `${…}` is not expanded here");
                            e.help("for a dead-letter queue use `redrive: { to: <queue declared above> }`; otherwise set the attribute in a step (sqs.SetQueueAttributes)");
                        }
                        attributes.push((key.name.clone(), text));
                    }
                }
                _ => {
                    self.node_error(node, "`attributes` must be a mapping of attribute name to value");
                }
            }
        }
        let redrive = raw.redrive.map(|r| {
            let to = &r.value.to;
            match earlier.iter().find(|e| e.name == to.value) {
                Some(Resource { kind: ResourceKind::Queue(dlq), .. }) if dlq.fifo != raw.fifo => {
                    self.error(Pos::of(to), to.value.len(), "a dead-letter queue must be of the same type (FIFO or standard) as its source");
                }
                Some(Resource { kind: ResourceKind::Queue(_), .. }) => {}
                _ => {
                    let queues: Vec<&str> = earlier
                        .iter()
                        .filter(|e| matches!(e.kind, ResourceKind::Queue(_)))
                        .map(|e| e.name.as_str())
                        .collect();
                    let e = self.error(Pos::of(to), to.value.len(), format!("`{}` is not a queue declared above", to.value));
                    if let Some(best) = did_you_mean(&to.value, queues) {
                        e.help(format!("did you mean `{best}`?"));
                    } else {
                        e.help("declare the dead-letter queue before the queue that redrives to it");
                    }
                }
            }
            Redrive { to: to.value.clone(), max_receive_count: r.value.max_receive_count }
        });
        QueueDef { fifo: raw.fifo, attributes, redrive }
    }

}
