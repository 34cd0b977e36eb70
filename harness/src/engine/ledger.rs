//! Every resource a run created and has not yet deleted, so that teardown happens whatever ends the
//! run: a failed step, a panic in a spec, or Ctrl-C.

use std::sync::Mutex;

use serde_json::Value;

use crate::services::Service;

/// How to delete one live resource.
#[derive(Debug, Clone)]
pub struct Deletion {
    /// The spec instance that created it (its `${prefix}`).
    pub owner: String,
    /// For messages: `sqs queue https://…/conform-x-q`.
    pub label: String,
    pub service: &'static Service,
    pub action: &'static str,
    pub request: Value,
    /// For a create whose answer never came: the call that finds the resource by name first
    /// (`GetQueueUrl`); its answer is the delete request, and "does not exist" means done.
    pub find: Option<(&'static str, Value)>,
}

/// A ledger entry, to take it back once it is known to be unneeded.
pub type Ticket = u64;

#[derive(Default)]
pub struct Ledger {
    live: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    last_ticket: Ticket,
    list: Vec<(Ticket, Deletion)>,
}

impl Ledger {
    pub fn add(&self, deletion: Deletion) -> Ticket {
        let mut live = self.live.lock().expect("ledger lock");
        live.last_ticket += 1;
        let ticket = live.last_ticket;
        live.list.push((ticket, deletion));
        ticket
    }

    /// Drops an entry: what it would delete was never created, or has an exact entry now.
    pub fn forget(&self, ticket: Ticket) {
        self.live.lock().expect("ledger lock").list.retain(|(t, _)| *t != ticket);
    }

    /// Removes and returns what `owner` created, newest first: a queue that redrives to a
    /// dead-letter queue is deleted before it.
    pub fn take_owned_by(&self, owner: &str) -> Vec<Deletion> {
        let mut live = self.live.lock().expect("ledger lock");
        let (mine, rest): (Vec<_>, Vec<_>) = live.list.drain(..).partition(|(_, d)| d.owner == owner);
        live.list = rest;
        mine.into_iter().rev().map(|(_, d)| d).collect()
    }

    /// Removes and returns everything still live, newest first.
    pub fn take_all(&self) -> Vec<Deletion> {
        let mut live = self.live.lock().expect("ledger lock");
        live.list.drain(..).rev().map(|(_, d)| d).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::SQS;

    fn deletion(owner: &str, label: &str) -> Deletion {
        Deletion { owner: owner.into(), label: label.into(), service: &SQS, action: "DeleteQueue", request: Value::Null, find: None }
    }

    #[test]
    fn hands_back_an_owners_resources_newest_first() {
        let ledger = Ledger::default();
        ledger.add(deletion("a", "dlq"));
        ledger.add(deletion("b", "other"));
        ledger.add(deletion("a", "source"));
        let mine: Vec<_> = ledger.take_owned_by("a").into_iter().map(|d| d.label).collect();
        assert_eq!(mine, ["source", "dlq"]);
        let forgotten = ledger.add(deletion("b", "never created"));
        ledger.forget(forgotten);
        assert_eq!(ledger.take_all().len(), 1);
        assert!(ledger.take_all().is_empty());
    }
}
