//! Judges a run through the fault proxy against a baseline run without it: which verdicts the
//! faults changed, what the faulty run retried and reported, and what it left on the emulator.

use serde_json::Value;

use crate::wire::{ServiceEndpoint, WireClient};

/// What one faulty run did, against the baseline.
#[derive(Debug, Default)]
pub struct Audit {
    /// Specs that passed in the baseline and failed here: a fault taken for a verdict.
    pub pass_to_fail: Vec<String>,
    /// Specs that failed in the baseline and passed here.
    pub false_pass: Vec<String>,
    /// Specs that ended as `error` (a fault reported as such).
    pub errors: usize,
    /// Call attempts that were faults and were repeated.
    pub retries: usize,
    /// Workload specs whose history claims a lost message.
    pub loss: Vec<String>,
    /// LEAK entries the run reported.
    pub leaks_reported: Vec<String>,
    /// Resources left on the emulator that no LEAK entry names: silent leaks.
    pub leaks_silent: Vec<String>,
    /// Resources left on the emulator (reported or not).
    pub leftovers: Vec<String>,
}

impl Audit {
    /// Compares two `--json` reports; `leftovers` are the names still on the emulator afterwards.
    pub fn new(baseline: &Value, faulty: &Value, leftovers: Vec<String>) -> Audit {
        let status = |report: &Value, id: &str| -> Option<String> {
            results(report).find(|r| r["id"] == id).and_then(|r| r["status"].as_str()).map(str::to_owned)
        };
        let mut audit = Audit::default();
        for result in results(faulty) {
            let id = result["id"].as_str().unwrap_or_default().to_owned();
            let (before, now) = (status(baseline, &id), result["status"].as_str().unwrap_or_default());
            match (before.as_deref(), now) {
                (Some("pass"), "fail") => audit.pass_to_fail.push(id.clone()),
                (Some("fail"), "pass") => audit.false_pass.push(id.clone()),
                _ => {}
            }
            audit.errors += usize::from(now == "error");
            for step in result["steps"].as_array().into_iter().flatten() {
                let attempts = step["attempts"].as_array().map_or(&[][..], Vec::as_slice);
                audit.retries += attempts.windows(2).filter(|w| is_fault(&w[0]) && w[0]["iteration"] == w[1]["iteration"]).count();
                if attempts.iter().any(|a| a["response"]["lost"].as_array().is_some_and(|l| !l.is_empty())) {
                    audit.loss.push(id.clone());
                }
            }
        }
        audit.leaks_reported = faulty["leaks"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        audit.leaks_silent = leftovers.iter().filter(|name| !audit.leaks_reported.iter().any(|l| l.contains(name.as_str()))).cloned().collect();
        audit.leftovers = leftovers;
        audit
    }

    /// Everything the issue asks to be zero is zero.
    pub fn clean(&self) -> bool {
        self.pass_to_fail.is_empty() && self.false_pass.is_empty() && self.loss.is_empty() && self.leaks_silent.is_empty()
    }
}

fn results(report: &Value) -> impl Iterator<Item = &Value> {
    report["results"].as_array().into_iter().flatten()
}

/// An attempt that got no usable answer: no response, a server error or a body that is not JSON.
fn is_fault(attempt: &Value) -> bool {
    let status = attempt["status"].as_u64().unwrap_or(0);
    status == 0 || status >= 500 || attempt["response"].is_string()
}

/// Every queue, stream and table on the emulator whose name starts with `prefix` (a `conform-`
/// name), as `conform sweep` lists them.
pub async fn leftovers(client: &WireClient, endpoint: &ServiceEndpoint, prefix: &str) -> Result<Vec<String>, String> {
    let mut names = crate::engine::inventory::names(client, endpoint).await?;
    names.retain(|n| n.starts_with(prefix));
    Ok(names)
}
