//! The suite against AWS's service models: per service, its verdicts, the operations some spec
//! calls and the declared errors some spec provokes (expects by `code`). What no spec can reach
//! on an account without special setup is listed with the reason, from `reports/out-of-reach.yaml`,
//! so "not provoked" always means either "not yet" or "here is why not".

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::spec::{Action, Spec};

/// Why declared errors and operations are out of a spec's reach.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutOfReach {
    /// An error name (every operation that declares it) or `service:Operation:Error` → why.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
    /// `service:Operation` → why it cannot be called meaningfully without AWS-only setup.
    #[serde(default)]
    pub operations: BTreeMap<String, String>,
}

impl OutOfReach {
    fn error(&self, service: &str, operation: &str, error: &str) -> Option<&str> {
        self.errors.get(&format!("{service}:{operation}:{error}")).or_else(|| self.errors.get(error)).map(String::as_str)
    }

    fn operation(&self, service: &str, operation: &str) -> Option<&str> {
        self.operations.get(&format!("{service}:{operation}")).map(String::as_str)
    }
}

/// The service a spec counts under: its id's first segment where that is a service (`sqs/…`),
/// else the first service it calls (`ttl/…` counts under dynamodb).
fn home_service(spec: &Spec) -> Option<&'static str> {
    let first = spec.id.split('/').next().unwrap_or("");
    crate::services::ALL.iter().map(|s| s.name).find(|name| *name == first).or_else(|| spec.services().first().copied())
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.0} %", 100.0 * part as f64 / whole as f64)
    }
}

pub fn render(specs: &[Spec], out_of_reach: &OutOfReach) -> String {
    let mut called: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut provoked: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for call in specs.iter().flat_map(|s| &s.steps).filter_map(|step| match &step.action {
        Action::Call(call) => Some(call),
        _ => None,
    }) {
        called.insert((call.service.name, call.action.as_str()));
        if let Some(code) = call.expect_error.as_ref().and_then(|e| e.code.as_deref()) {
            provoked.insert((call.service.name, call.action.as_str(), code));
        }
    }
    let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
    for spec in specs {
        *verdicts.entry(home_service(spec).unwrap_or("other")).or_default() += 1;
    }
    let mut out = format!(
        "\n## Against AWS's service models\n\n{} verdicts (a case of a `cases:` table is one). Out of reach: declared errors and operations that no request on an account without special setup provokes or exercises, each with its reason below (`reports/out-of-reach.yaml`).\n\n\
         | service | verdicts | operations called | declared errors provoked | of those within reach |\n| --- | --- | --- | --- | --- |\n",
        specs.len()
    );
    let mut details = String::new();
    for service in crate::services::ALL {
        let name = service.name;
        let model = service.model();
        let ops: Vec<&str> = service.actions().collect();
        let used = ops.iter().filter(|op| called.contains(&(name, **op))).count();
        let declared: Vec<(&str, &str)> = ops.iter().flat_map(|op| model.declared_errors(op).map(move |e| (*op, e))).collect();
        let hit = |(op, e): &&(&str, &str)| provoked.contains(&(name, *op, *e));
        let reach = |(op, e): &&(&str, &str)| out_of_reach.error(name, op, e).is_none() && out_of_reach.operation(name, op).is_none();
        let hits = declared.iter().filter(hit).count();
        let reachable = declared.iter().filter(|d| reach(d) || hit(d)).count();
        out += &format!(
            "| {name} | {} | {used} / {} | {hits} / {} ({}) | {hits} / {reachable} ({}) |\n",
            verdicts.get(name).copied().unwrap_or(0),
            ops.len(),
            declared.len(),
            percent(hits, declared.len()),
            percent(hits, reachable),
        );
        details += &format!("\n### {name}\n\n");
        let not_called: Vec<String> = ops
            .iter()
            .filter(|op| !called.contains(&(name, **op)))
            .map(|op| match out_of_reach.operation(name, op) {
                Some(why) => format!("{op} (out of reach: {why})"),
                None => op.to_string(),
            })
            .collect();
        details += &format!("- Operations no spec calls: {}\n", if not_called.is_empty() { "none".into() } else { not_called.join(", ") });
        let open: Vec<String> = declared.iter().filter(|d| !hit(d) && reach(d)).map(|(op, e)| format!("{op}: {e}")).collect();
        details += &format!("- Declared errors within reach that no spec provokes: {}\n", if open.is_empty() { "none".into() } else { open.join(", ") });
        let mut why: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (op, e) in declared.iter().filter(|d| !hit(d) && !reach(d)) {
            let reason = out_of_reach.error(name, op, e).or_else(|| out_of_reach.operation(name, op)).unwrap_or_default();
            why.entry(reason).or_default().push(format!("{op}: {e}"));
        }
        for (reason, errors) in why {
            details += &format!("- Out of reach ({}): {reason} — {}\n", errors.len(), errors.join(", "));
        }
    }
    out + &details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_verdicts_operations_and_errors_within_reach() {
        let spec = crate::spec::load_str(
            "t.yaml",
            "id: sqs/a\ntitle: t\nsource: https://x\ncases:\n  - { name: one, q: a }\n  - { name: two, q: b }\nsteps:\n  - call: sqs.GetQueueUrl\n    with: { QueueName: \"${q}\" }\n    expect_error: { code: QueueDoesNotExist }\n",
        )
        .unwrap();
        let reach = OutOfReach {
            errors: [("RequestThrottled".to_string(), "needs load".to_string()), ("sqs:GetQueueUrl:InvalidAddress".to_string(), "no".to_string())].into(),
            operations: [("sqs:AddPermission".to_string(), "needs a second account".to_string())].into(),
        };
        let doc = render(&spec, &reach);
        // GetQueueUrl declares 5 errors; 2 are out of reach; AddPermission's 4 are out of reach with it.
        assert!(doc.contains("| sqs | 2 | 1 / 23 | 1 / 163 (1 %) | 1 / "), "{doc}");
        assert!(doc.contains("AddPermission (out of reach: needs a second account)"), "{doc}");
        assert!(doc.contains("- Out of reach (1): no — GetQueueUrl: InvalidAddress"), "{doc}");
        assert!(doc.contains("- Operations no spec calls: DescribeStream, GetRecords, GetShardIterator, ListStreams"), "{doc}");
    }
}
