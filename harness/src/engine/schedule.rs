//! Longest first: with N specs in flight, the suite ends when its slowest spec does, provided that
//! spec starts early. Specs are ordered by how long they took on the same target last time, or,
//! for a spec never timed there, by the waits it declares (sleeps, `eventually` and workload
//! timeouts).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::report::SpecResult;
use crate::spec::{Action, Spec};

/// Spec durations from earlier runs on one target, kept per machine (not in the repository:
/// they are this machine's timings).
#[derive(Debug, Default)]
pub struct History {
    millis: BTreeMap<String, u64>,
}

impl History {
    fn path(target: &str) -> PathBuf {
        crate::targets::install::home().join("durations").join(format!("{target}.json"))
    }

    /// What earlier runs on `target` recorded; nothing when there were none.
    pub fn load(target: &str) -> Self {
        let millis = std::fs::read_to_string(Self::path(target)).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        Self { millis }
    }

    /// Adds a run's durations (specs that ran to a verdict) and saves them for the next run.
    pub fn record(&mut self, target: &str, results: &[SpecResult]) -> std::io::Result<()> {
        for r in results.iter().filter(|r| r.duration > Duration::ZERO) {
            self.millis.insert(r.id.clone(), r.duration.as_millis() as u64);
        }
        let path = Self::path(target);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string(&self.millis).expect("durations serialise"))
    }

    /// Notes one spec's duration (without saving).
    pub fn insert(&mut self, id: &str, duration: Duration) {
        self.millis.insert(id.to_owned(), duration.as_millis() as u64);
    }

    fn expected(&self, spec: &Spec) -> Duration {
        self.millis.get(&spec.id).map_or_else(|| declared_waits(spec), |ms| Duration::from_millis(*ms))
    }
}

/// Orders specs longest first (ties keep their order, so the schedule is deterministic).
pub fn longest_first(specs: &mut [Arc<Spec>], history: &History) {
    specs.sort_by_cached_key(|s| std::cmp::Reverse(history.expected(s)));
}

/// Shard `k` of `n` (1-based): each spec goes to the least loaded shard, longest first, so shards
/// end at about the same time. Only the specs themselves decide (their declared waits, plus a
/// second each for the calls), never a machine's timing history: every CI job must compute the
/// same split, or a spec would run twice or not at all.
pub fn shard(mut specs: Vec<Spec>, k: usize, n: usize) -> Vec<Spec> {
    let weight = |s: &Spec| declared_waits(s) + Duration::from_secs(1);
    specs.sort_by(|a, b| weight(b).cmp(&weight(a)).then_with(|| a.id.cmp(&b.id)));
    let mut load = vec![Duration::ZERO; n];
    let mut mine = Vec::new();
    for spec in specs {
        let least = (0..n).min_by_key(|&i| (load[i], i)).expect("n ≥ 1");
        load[least] += weight(&spec);
        if least == k - 1 {
            mine.push(spec);
        }
    }
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    mine
}

/// A spec's own estimate of its length: what it sleeps, plus half of each wait it may sit
/// through (an `eventually` or a workload usually ends before its timeout).
fn declared_waits(spec: &Spec) -> Duration {
    spec.steps
        .iter()
        .map(|step| {
            let one = match &step.action {
                Action::Sleep(d) => *d,
                Action::Call(call) => call.eventually.as_ref().map(|e| e.timeout / 2).or(call.collect.as_ref().map(|c| c.timeout / 4)).unwrap_or_default(),
                Action::Workload(w) => w.timeout / 2,
            };
            one * step.repeat
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, steps: &str) -> Arc<Spec> {
        let text = format!("id: {id}\ntitle: t\nsource: https://example.com\nsteps:\n{steps}");
        Arc::new(crate::spec::load_one("s.yaml", &text).unwrap())
    }

    #[test]
    fn history_first_then_declared_waits() {
        let quick = spec("a/quick", "  - call: sqs.ListQueues\n    with: {}\n");
        let sleepy = spec("a/sleepy", "  - sleep: 3s\n");
        let slow_last_time = spec("a/slow", "  - call: sqs.ListQueues\n    with: {}\n");
        let mut specs = vec![quick, sleepy, slow_last_time];
        longest_first(&mut specs, &History::default());
        let ids = |specs: &[Arc<Spec>]| specs.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&specs), ["a/sleepy", "a/quick", "a/slow"]);
        let history = History { millis: [("a/slow".to_string(), 9000)].into() };
        longest_first(&mut specs, &history);
        assert_eq!(ids(&specs), ["a/slow", "a/sleepy", "a/quick"]);
    }

    #[test]
    fn shards_cover_every_spec_once_and_balance_declared_waits() {
        let specs = || -> Vec<Spec> {
            (0..10)
                .map(|i| {
                    let steps = if i < 2 { "  - sleep: 20s\n" } else { "  - call: sqs.ListQueues\n    with: {}\n" };
                    Arc::try_unwrap(spec(&format!("a/s{i}"), steps)).unwrap()
                })
                .collect()
        };
        let shards: Vec<Vec<String>> = (1..=3).map(|k| shard(specs(), k, 3).into_iter().map(|s| s.id).collect()).collect();
        let mut all: Vec<&String> = shards.iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 10, "{shards:?}");
        assert_eq!(shards.iter().map(Vec::len).sum::<usize>(), 10);
        // The two 20 s specs go to different shards; the third takes the quick ones.
        assert_eq!(shards[0], ["a/s0"]);
        assert_eq!(shards[1], ["a/s1"]);
        assert_eq!(shards[2].len(), 8);
        assert_eq!(shard(specs(), 1, 1).len(), 10);
    }
}
