//! Jepsen-style checks over a workload's history: every send and every delivery recorded, then
//! analysed for lost, unexpected, duplicated and per-key reordered messages.
//!
//! A send whose outcome is unknown (the call timed out) may or may not have happened: such a
//! message is neither lost if absent nor unexpected if present. What a delivery model allows is a
//! parameter: SQS standard is at-least-once with best-effort order, so duplicates and reordering
//! are allowed and loss is not; FIFO keeps order per message group and drops duplicates; Kinesis
//! keeps order per partition key (within its shard) and may deliver producer retries twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    SqsStandard,
    SqsFifo,
    Kinesis,
}

impl Model {
    /// Anomalies the model tolerates.
    pub fn allows(self, anomaly: Anomaly) -> bool {
        match (self, anomaly) {
            (_, Anomaly::Lost | Anomaly::Unexpected) => false,
            (Model::SqsStandard, Anomaly::Duplicated | Anomaly::Reordered) => true,
            (Model::SqsFifo, _) => false,
            (Model::Kinesis, Anomaly::Duplicated) => true,
            (Model::Kinesis, Anomaly::Reordered) => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anomaly {
    Lost,
    Unexpected,
    Duplicated,
    Reordered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The service said no: the message was definitely not accepted.
    Failed,
    /// No answer (timeout, connection lost): it may or may not have been accepted.
    Unknown,
}

/// One attempted send. `seq` orders the sends of one key by one producer.
#[derive(Debug, Clone)]
pub struct Send {
    pub value: String,
    pub key: String,
    pub seq: u64,
    pub outcome: Outcome,
}

/// One delivery, in the order the consumer saw it on its `lane` (a consumer, or a shard reader).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub value: String,
    pub lane: String,
}

#[derive(Debug, Default)]
pub struct History {
    pub sends: Vec<Send>,
    pub deliveries: Vec<Delivery>,
    /// A receive got no answer and the messages it may have taken were still hidden (their
    /// visibility timeout running) when consuming ended: what did not arrive is not known lost.
    pub receives_in_doubt: bool,
}

/// The analysis, shaped for `expect`: `$.lost: { length: 0 }`, `$.valid: true`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Analysis {
    pub model: Model,
    pub attempted: usize,
    pub acknowledged: usize,
    pub unknown: usize,
    pub delivered: usize,
    pub distinct_delivered: usize,
    pub lost: Vec<String>,
    /// Acknowledged, not delivered, but maybe taken by a receive whose answer was lost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_doubt: Vec<String>,
    pub unexpected: Vec<String>,
    pub duplicated: Vec<String>,
    /// Values delivered before a value of the same key that was sent earlier.
    pub reordered: Vec<String>,
    /// Anomalies found that the model forbids.
    pub violations: Vec<Anomaly>,
    pub valid: bool,
}

pub fn analyse(history: &History, model: Model) -> Analysis {
    let sent: HashMap<&str, &Send> = history.sends.iter().map(|s| (s.value.as_str(), s)).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &history.deliveries {
        *counts.entry(d.value.as_str()).or_default() += 1;
    }
    let missing: Vec<String> = history
        .sends
        .iter()
        .filter(|s| s.outcome == Outcome::Ok && !counts.contains_key(s.value.as_str()))
        .map(|s| s.value.clone())
        .collect();
    let (lost, in_doubt) = if history.receives_in_doubt { (Vec::new(), missing) } else { (missing, Vec::new()) };
    let unexpected = counts
        .keys()
        .filter(|v| sent.get(*v).is_none_or(|s| s.outcome == Outcome::Failed))
        .map(|v| v.to_string())
        .collect();
    let duplicated = counts.iter().filter(|(_, n)| **n > 1).map(|(v, _)| v.to_string()).collect();
    let reordered = reordered(history, &sent);

    let mut violations = Vec::new();
    for (anomaly, found) in [
        (Anomaly::Lost, &lost),
        (Anomaly::Unexpected, &unexpected),
        (Anomaly::Duplicated, &duplicated),
        (Anomaly::Reordered, &reordered),
    ] {
        if !found.is_empty() && !model.allows(anomaly) {
            violations.push(anomaly);
        }
    }
    Analysis {
        model,
        attempted: history.sends.len(),
        acknowledged: history.sends.iter().filter(|s| s.outcome == Outcome::Ok).count(),
        unknown: history.sends.iter().filter(|s| s.outcome == Outcome::Unknown).count(),
        delivered: history.deliveries.len(),
        distinct_delivered: counts.len(),
        valid: violations.is_empty(),
        lost,
        in_doubt,
        unexpected,
        duplicated,
        reordered,
        violations,
    }
}

/// Within each lane, the first delivery of each value must follow send order per key: a value
/// whose key already delivered a later `seq` is reordered. Redeliveries are duplicates, not
/// reorderings, so only first deliveries count.
fn reordered(history: &History, sent: &HashMap<&str, &Send>) -> Vec<String> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut highest: HashMap<(&str, &str), u64> = HashMap::new();
    let mut out = Vec::new();
    for d in &history.deliveries {
        let Some(send) = sent.get(d.value.as_str()) else { continue };
        if !seen.insert(d.value.as_str()) {
            continue;
        }
        let top = highest.entry((d.lane.as_str(), send.key.as_str())).or_insert(send.seq);
        if send.seq < *top {
            out.push(d.value.clone());
        } else {
            *top = send.seq;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(value: &str, key: &str, seq: u64, outcome: Outcome) -> Send {
        Send { value: value.into(), key: key.into(), seq, outcome }
    }

    fn deliver(values: &[&str]) -> Vec<Delivery> {
        values.iter().map(|v| Delivery { value: v.to_string(), lane: "c1".into() }).collect()
    }

    fn history(deliveries: &[&str]) -> History {
        History {
            sends: vec![
                send("a1", "a", 1, Outcome::Ok),
                send("a2", "a", 2, Outcome::Ok),
                send("b1", "b", 1, Outcome::Ok),
                send("u", "b", 2, Outcome::Unknown),
                send("f", "b", 3, Outcome::Failed),
            ],
            deliveries: deliver(deliveries),
            receives_in_doubt: false,
        }
    }

    #[test]
    fn a_lost_receive_leaves_what_did_not_arrive_in_doubt_not_lost() {
        let mut h = history(&["a1"]);
        h.receives_in_doubt = true;
        let a = analyse(&h, Model::SqsFifo);
        assert!(a.lost.is_empty() && a.valid, "{a:?}");
        assert_eq!(a.in_doubt, ["a2", "b1"]);
    }

    #[test]
    fn a_clean_history_is_valid_under_every_model() {
        for model in [Model::SqsStandard, Model::SqsFifo, Model::Kinesis] {
            let a = analyse(&history(&["a1", "b1", "a2"]), model);
            assert!(a.valid, "{model:?}: {a:?}");
            assert_eq!((a.attempted, a.acknowledged, a.unknown, a.delivered), (5, 3, 1, 3));
        }
    }

    #[test]
    fn unknown_sends_may_arrive_or_not_failed_ones_may_not() {
        assert!(analyse(&history(&["a1", "a2", "b1", "u"]), Model::SqsFifo).valid);
        let a = analyse(&history(&["a1", "a2", "b1", "f", "zz"]), Model::SqsStandard);
        assert_eq!(a.unexpected, ["f", "zz"]);
        assert_eq!(a.violations, [Anomaly::Unexpected]);
    }

    #[test]
    fn loss_is_never_allowed() {
        let a = analyse(&history(&["a1", "b1"]), Model::SqsStandard);
        assert_eq!(a.lost, ["a2"]);
        assert!(!a.valid);
    }

    #[test]
    fn duplicates_and_reordering_depend_on_the_model() {
        let dup = history(&["a1", "a1", "a2", "b1"]);
        assert!(analyse(&dup, Model::SqsStandard).valid);
        assert!(analyse(&dup, Model::Kinesis).valid);
        assert_eq!(analyse(&dup, Model::SqsFifo).violations, [Anomaly::Duplicated]);

        let swapped = history(&["a2", "a1", "b1"]);
        let a = analyse(&swapped, Model::SqsFifo);
        assert_eq!(a.reordered, ["a1"]);
        assert!(analyse(&swapped, Model::SqsStandard).valid);
        assert!(!analyse(&swapped, Model::Kinesis).valid);
    }

    #[test]
    fn a_redelivery_after_later_values_is_a_duplicate_not_a_reordering() {
        let a = analyse(&history(&["a1", "a2", "a1", "b1"]), Model::Kinesis);
        assert!(a.reordered.is_empty());
        assert_eq!(a.duplicated, ["a1"]);
    }

    #[test]
    fn order_is_judged_per_lane() {
        let mut h = history(&[]);
        h.deliveries = vec![
            Delivery { value: "a2".into(), lane: "shard-1".into() },
            Delivery { value: "a1".into(), lane: "shard-0".into() },
            Delivery { value: "b1".into(), lane: "shard-0".into() },
        ];
        assert!(analyse(&h, Model::Kinesis).reordered.is_empty());
    }
}
