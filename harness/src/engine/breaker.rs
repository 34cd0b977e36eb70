//! Faults that repeat. When calls of one operation keep meeting the same fault and none has ever
//! been answered, the target gives that fault deterministically (an emulator's "not implemented"
//! HTTP 500 page), and retrying costs seconds per call for nothing: once `TRIP_AFTER` calls met
//! it, calls of that operation (those pausing before a retry included) are no longer retried.
//! Nothing else changes: a fault is still an `error`, never a verdict on the target.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::wire::fault;

/// Distinct calls meeting the same fault, with no answer ever, before the operation is no longer retried.
const TRIP_AFTER: u32 = 3;

#[derive(Default)]
pub struct Breaker {
    operations: Mutex<HashMap<(String, String), Operation>>,
}

#[derive(Default)]
struct Operation {
    answered: bool,
    /// The fault calls met first, and how many calls met it.
    fault: String,
    calls: u32,
}

impl Breaker {
    /// How many times a call of `service.action` may still be repeated after faults.
    pub fn retries(&self, service: &str, action: &str) -> u32 {
        let operations = self.operations.lock().expect("breaker lock");
        match operations.get(&(service.to_owned(), action.to_owned())) {
            Some(op) if !op.answered && op.calls >= TRIP_AFTER => 0,
            _ => fault::RETRIES,
        }
    }

    /// A call of `service.action` met `fault` on its first try.
    pub fn faulted(&self, service: &str, action: &str, fault: &str) {
        let mut operations = self.operations.lock().expect("breaker lock");
        let op = operations.entry((service.to_owned(), action.to_owned())).or_default();
        if op.fault == fault {
            op.calls += 1;
        } else {
            (op.fault, op.calls) = (fault.to_owned(), 1);
        }
    }

    /// A call of `service.action` got an answer: its faults are not the operation's for good.
    pub fn answered(&self, service: &str, action: &str) {
        let mut operations = self.operations.lock().expect("breaker lock");
        operations.entry((service.to_owned(), action.to_owned())).or_default().answered = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_fault_on_calls_never_answered_stops_retries() {
        let breaker = Breaker::default();
        breaker.faulted("kinesis", "TagResource", "HTTP 500 not implemented");
        breaker.faulted("kinesis", "TagResource", "HTTP 500 another fault");
        breaker.faulted("kinesis", "TagResource", "HTTP 500 another fault");
        assert_eq!(breaker.retries("kinesis", "TagResource"), fault::RETRIES);
        breaker.faulted("kinesis", "TagResource", "HTTP 500 another fault");
        assert_eq!(breaker.retries("kinesis", "TagResource"), 0);
        assert_eq!(breaker.retries("kinesis", "UntagResource"), fault::RETRIES);
        // An operation that has been answered keeps its retries: its faults may pass.
        for _ in 0..3 {
            breaker.faulted("sqs", "SendMessage", "HTTP 503");
        }
        breaker.answered("sqs", "SendMessage");
        assert_eq!(breaker.retries("sqs", "SendMessage"), fault::RETRIES);
    }
}
