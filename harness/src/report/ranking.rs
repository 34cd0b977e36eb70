//! Which implementation is closest to AWS, per service: each target's passes over one
//! denominator, every spec of the service in the suite. A spec a target fails, skips or does not
//! serve counts against it alike, so rates compare across targets. The recorded-AWS reference is
//! not ranked: it is what the others are measured against.

use std::collections::{BTreeMap, BTreeSet};

use super::matrix::{service, TargetResults};

/// One target's standing in one service.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Standing {
    pub target: String,
    pub pass: usize,
    pub divergences: usize,
    /// What the gate fails on: fail, new divergence, error, unexpected pass.
    pub unexpected: usize,
    /// Specs of a service the target does not serve.
    pub gaps: usize,
    pub findings: usize,
}

/// A service (or `all`), its spec count, and the targets best first.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRanking {
    pub service: String,
    pub specs: usize,
    pub standings: Vec<Standing>,
}

impl ServiceRanking {
    pub fn rate(&self, standing: &Standing) -> f64 {
        if self.specs == 0 {
            0.0
        } else {
            100.0 * standing.pass as f64 / self.specs as f64
        }
    }
}

/// Every service (after `all`), with the ranked targets.
pub fn rank(targets: &[TargetResults]) -> Vec<ServiceRanking> {
    let ranked: Vec<&TargetResults> = targets.iter().filter(|t| t.target != super::REFERENCE).collect();
    let mut ids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in &ranked {
        for row in &t.specs {
            ids.entry("all").or_default().insert(&row.id);
            ids.entry(service(&row.id)).or_default().insert(&row.id);
        }
    }
    let mut ranking: Vec<ServiceRanking> = ids
        .into_iter()
        .map(|(name, specs)| {
            let mut standings: Vec<Standing> = ranked
                .iter()
                .map(|t| {
                    let mut s = Standing { target: t.target.clone(), ..Standing::default() };
                    for row in t.specs.iter().filter(|r| name == "all" || service(&r.id) == name) {
                        let v = row.cell.verdict.as_str();
                        s.pass += usize::from(v == "pass");
                        s.divergences += usize::from(v == "expected-divergence");
                        s.unexpected += usize::from(matches!(v, "fail" | "new-divergence" | "error" | "unexpected-pass"));
                        s.gaps += usize::from(v == "skipped-as-gap");
                        s.findings += row.cell.model_findings.len();
                    }
                    s
                })
                .collect();
            standings.sort_by(|a, b| b.pass.cmp(&a.pass).then(a.unexpected.cmp(&b.unexpected)).then(a.target.cmp(&b.target)));
            ServiceRanking { service: name.to_owned(), specs: specs.len(), standings }
        })
        .collect();
    ranking.sort_by_key(|r| (r.service != "all", r.service.clone()));
    ranking
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, verdicts: &[(&str, &str)]) -> TargetResults {
        TargetResults::of_verdicts(name, verdicts)
    }

    #[test]
    fn every_target_is_rated_over_all_of_a_services_specs() {
        let targets = [
            target("a", &[("sqs/x", "pass"), ("sqs/y", "fail"), ("kinesis/z", "skipped-as-gap")]),
            target("b", &[("sqs/x", "pass"), ("sqs/y", "pass"), ("kinesis/z", "expected-divergence")]),
            target(super::super::REFERENCE, &[("sqs/x", "recorded-agrees")]),
        ];
        let ranking = rank(&targets);
        assert_eq!(ranking.iter().map(|r| r.service.as_str()).collect::<Vec<_>>(), ["all", "kinesis", "sqs"]);
        let sqs = &ranking[2];
        assert_eq!(sqs.specs, 2);
        assert_eq!(sqs.standings.iter().map(|s| (s.target.as_str(), s.pass)).collect::<Vec<_>>(), [("b", 2), ("a", 1)]);
        // A gap counts against the target: `a` passes none of kinesis's one spec, as `b` does.
        let kinesis = &ranking[1];
        assert_eq!((kinesis.specs, kinesis.standings[0].target.as_str(), kinesis.standings[0].gaps), (1, "a", 1));
        assert_eq!(ranking[0].rate(&ranking[0].standings[0]), 100.0 * 2.0 / 3.0);
    }
}
