//! `reports/matrix.html`: the matrix as a page to work with, in one file that works offline.
//!
//! At the top, a summary per target and service (pass rate, expected divergences, unexpected
//! verdicts, gaps, model findings); then filters (service, tier, verdict, a target, "differs between
//! targets", search by id) whose state lives in the URL fragment, so a link reproduces a view, e.g.
//! `matrix.html#service=sqs&verdict=fail&differs=1&q=fifo`; then a row per spec, a cell per target.
//! A cell opens a panel (`#open=<spec>&on=<target>&vs=<target>`) with the target's verdict, the
//! reason for its divergence, its model findings, its snapshot and the field-level diff
//! (`conform diff`) against another target.
//!
//! The rows are HTML rendered here, so the table reads without scripts; the snapshots and the
//! diffs, precomputed with `diff::between`, are embedded as JSON for the panel.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use super::history::Run;
use super::matrix::{to_json, TargetResults};
use super::ranking::{self, ServiceRanking, Standing};
use super::{diff, snapshot, REFERENCE};

/// Per target, per spec id: the snapshot body.
pub type Snapshots = BTreeMap<String, BTreeMap<String, Value>>;

/// Per target: its recorded whole-suite runs, oldest first.
pub type Histories = BTreeMap<String, Vec<Run>>;

const STYLE: &str = include_str!("matrix_page.css");
const SCRIPT: &str = include_str!("matrix_page.js");

/// Reads `<reports>/<target>/<spec>.snap` for every spec each target has a row for.
pub fn load_snapshots(reports: &Path, targets: &[TargetResults]) -> Snapshots {
    targets
        .iter()
        .map(|t| {
            let bodies = t
                .specs
                .iter()
                .filter_map(|row| snapshot::load_body(&reports.join(&t.target).join(snapshot::file_name(&row.id))).map(|b| (row.id.clone(), b)))
                .collect();
            (t.target.clone(), bodies)
        })
        .collect()
}

/// Whether a verdict says the target behaves as AWS does (`None`: it says nothing, e.g. skipped).
fn agrees(verdict: &str) -> Option<bool> {
    match verdict {
        "pass" | "unexpected-pass" => Some(true),
        "fail" | "new-divergence" | "error" | "expected-divergence" => Some(false),
        _ => None,
    }
}

/// A target's standing in a service: its rate over the service's specs, then counts that link to
/// the rows behind them.
fn standing(ranking: &ServiceRanking, s: &Standing, best: bool) -> String {
    let name = escape(&s.target);
    let scope = if ranking.service == "all" { format!("target={name}") } else { format!("target={name}&amp;service={}", escape(&ranking.service)) };
    let mut parts = Vec::new();
    for (n, verdict, label, class) in [
        (s.divergences, "expected-divergence", "div.", "n-div"),
        (s.unexpected, "unexpected", "unexpected", "n-unexpected"),
        (s.gaps, "skipped-as-gap", if s.gaps == 1 { "gap" } else { "gaps" }, "n-gap"),
        (s.findings, "findings", if s.findings == 1 { "finding" } else { "findings" }, "n-findings"),
    ] {
        if n > 0 {
            parts.push(format!("<a class=\"{class}\" href=\"#{scope}&amp;verdict={verdict}\">{n} {label}</a>"));
        }
    }
    format!(
        "<li{}><a class=\"rate\" href=\"#{scope}\"><span class=\"name\">{name}</span> <b>{:.0}%</b> <small>{}/{}</small></a> <span class=\"counts\">{}</span></li>",
        if best { " class=\"best\" title=\"closest to AWS in this service\"" } else { "" },
        ranking.rate(s),
        s.pass,
        ranking.specs,
        parts.join(" ")
    )
}

/// Per service, the targets closest to AWS first, all rated over the same specs.
fn ranking_table(targets: &[TargetResults]) -> String {
    let mut rows = String::new();
    for r in ranking::rank(targets) {
        let best = r.standings.first().map(|s| s.pass).filter(|&p| p > 0);
        let items: String = r.standings.iter().map(|s| standing(&r, s, Some(s.pass) == best)).collect();
        let link = if r.service == "all" { String::new() } else { format!("service={}", escape(&r.service)) };
        rows += &format!(
            "<tr data-service=\"{0}\"><th><a href=\"#{link}\">{0}</a><br><small>{1} specs</small></th><td><ol class=\"ranked\">{items}</ol></td></tr>\n",
            escape(&r.service),
            r.specs
        );
    }
    format!("<table id=\"summary\"><thead><tr><th>service</th><th>targets, closest to AWS first: specs passed of all the service's specs</th></tr></thead><tbody>\n{rows}</tbody></table>")
}

/// Per target: version, the last recorded run (date, commit), and passes across recent runs.
fn runs_table(targets: &[TargetResults], histories: &Histories) -> String {
    let mut rows = String::new();
    for t in targets.iter().filter(|t| t.target != REFERENCE) {
        let runs = histories.get(&t.target).map(Vec::as_slice).unwrap_or_default();
        let (date, commit) = runs.last().map_or((String::from("–"), String::from("–")), |r| (r.date.clone(), r.commit.clone().unwrap_or_else(|| "–".into())));
        let trend: Vec<String> = runs.iter().rev().take(6).rev().map(|r| {
            let (pass, specs) = r.total();
            format!("<span title=\"{} {}\">{pass}/{specs}</span>", escape(&r.date), escape(r.commit.as_deref().unwrap_or("")))
        }).collect();
        rows += &format!(
            "<tr><th>{}</th><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            escape(&t.target),
            escape(t.version.as_deref().unwrap_or("")),
            escape(&date),
            escape(&commit),
            if trend.is_empty() { "–".into() } else { trend.join(" → ") }
        );
    }
    format!("<table id=\"runs\"><thead><tr><th>target</th><th>version</th><th>last whole-suite run (UTC)</th><th>commit</th><th>passes, recent runs</th></tr></thead><tbody>\n{rows}</tbody></table>")
}

/// What a cell shows; the full verdict is its class, `data-verdict` and tooltip. Short, so eight
/// targets fit a laptop's width.
fn label(verdict: &str) -> &str {
    match verdict {
        "expected-divergence" => "div.",
        "unexpected-pass" => "unexp. pass",
        "skipped-as-gap" => "gap",
        "skipped" => "skip",
        "absent" => "–",
        "recorded-agrees" => "agrees",
        "recorded-contradicts" => "contradicts",
        "documented-only" => "doc. only",
        "partly-recorded" => "partly",
        v => v,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JSON that can sit inside `<script>`: no `<`, `>` or `&` survives outside a `\u` escape, so no
/// `</script>` or `<!--` in a snapshot can end the element early.
fn script_json(value: &Value) -> String {
    serde_json::to_string(value).expect("page data serialises").replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn rows(json: &Value, targets: &[TargetResults]) -> String {
    let mut out = String::new();
    for spec in json["specs"].as_array().into_iter().flatten() {
        let text = |k: &str| escape(spec[k].as_str().unwrap_or_default());
        let verdict_of = |t: &TargetResults| spec["cells"][&t.target]["verdict"].as_str().unwrap_or("absent").to_owned();
        let opinions: BTreeSet<bool> =
            targets.iter().filter(|t| t.target != REFERENCE).filter_map(|t| agrees(&verdict_of(t))).collect();
        out += &format!(
            "<tr data-id=\"{id}\" data-service=\"{}\" data-tier=\"{}\" data-differs=\"{}\"><td class=\"spec\"><a href=\"{}\" title=\"{}\">{id}</a><span class=\"tier\">{}</span></td>",
            text("service"),
            text("tier"),
            u8::from(opinions.len() > 1),
            text("source"),
            text("title"),
            text("tier"),
            id = text("id"),
        );
        for t in targets {
            let cell = &spec["cells"][&t.target];
            let verdict = verdict_of(t);
            let findings = cell["model_findings"].as_array().map_or(0, Vec::len);
            let why = format!("{verdict}: {}", cell["reason"].as_str().or(cell["message"].as_str()).unwrap_or_default());
            let badge = if findings > 0 { format!("<span class=\"findings\" title=\"model findings\">◆{findings}</span>") } else { String::new() };
            out += &format!(
                "<td class=\"cell {v}\" data-target=\"{}\" data-verdict=\"{v}\" data-findings=\"{findings}\" title=\"{}\">{}{badge}</td>",
                escape(&t.target),
                escape(&why),
                escape(label(&verdict)),
                v = escape(&verdict),
            );
        }
        out += "</tr>\n";
    }
    out
}

/// The page data for the panel: cells, snapshots, and per spec the diff of every pair of
/// targets that both have a snapshot (keyed `a\nb`, `a` before `b` in target order).
fn data(json: &Value, targets: &[TargetResults], snapshots: &Snapshots) -> Value {
    let mut diffs: BTreeMap<&str, BTreeMap<String, Vec<diff::Difference>>> = BTreeMap::new();
    for (i, a) in targets.iter().enumerate() {
        for b in &targets[i + 1..] {
            let (Some(sa), Some(sb)) = (snapshots.get(&a.target), snapshots.get(&b.target)) else { continue };
            for (id, x) in sa {
                if let Some(y) = sb.get(id) {
                    let found = diff::between(&a.target, x, &b.target, y);
                    diffs.entry(id).or_default().insert(format!("{}\n{}", a.target, b.target), found);
                }
            }
        }
    }
    json!({
        "reference": REFERENCE,
        "targets": json["targets"],
        "specs": json["specs"],
        "snapshots": snapshots,
        "diffs": diffs,
    })
}

/// The whole page. `snapshots` may be empty: the panel then says no snapshot was kept.
pub fn to_html(targets: &[TargetResults], snapshots: &Snapshots, histories: &Histories) -> String {
    let json = to_json(targets);
    let services: BTreeSet<String> = json["specs"].as_array().into_iter().flatten().filter_map(|s| s["service"].as_str().map(str::to_owned)).collect();
    let tiers: BTreeSet<&str> = json["specs"].as_array().into_iter().flatten().filter_map(|s| s["tier"].as_str()).collect();
    let verdicts: BTreeSet<String> = targets.iter().flat_map(|t| t.specs.iter().map(|r| r.cell.verdict.clone())).collect();
    let options = |values: &mut dyn Iterator<Item = &str>| -> String { values.map(|v| format!("<option>{}</option>", escape(v))).collect() };
    let headers: String = targets
        .iter()
        .map(|t| format!("<th data-target=\"{0}\">{0}<br><small>{1}</small></th>", escape(&t.target), escape(t.version.as_deref().unwrap_or(""))))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>conform: conformance matrix</title>
<style>{STYLE}</style></head>
<body>
<header><h1>Conformance matrix</h1>
<p>A row per spec (linked to the AWS documentation it asserts), a column per target. Click a cell for its snapshot, the reason behind a divergence, its model findings and the field-level diff against another target. <code>aws-recorded</code> is what AWS was recorded doing, where a recording backs the spec.</p></header>
<h2>Closest to AWS, per service</h2>
<p class="legend">Every target is rated over the same specs: all of the service's, so a spec it fails, skips or does not serve counts against it alike. The best is marked ★. <i>div.</i> expected divergences (explained in <code>expectations/&lt;target&gt;.yaml</code>); <i>unexpected</i> what the gate fails on; <i>gaps</i> specs of services the target does not serve; <i>findings</i> responses that break AWS's service model.</p>
{ranking}
<h2>Runs</h2>
{runs}
<form id="filters" onsubmit="return false">
<label>service <select name="service"><option value="">all</option>{services}</select></label>
<label>tier <select name="tier"><option value="">all</option>{tiers}</select></label>
<label>verdict <select name="verdict"><option value="">any</option><option value="unexpected" title="fail, new-divergence, error, unexpected-pass, recorded-contradicts">unexpected</option><option value="findings">with model findings</option>{verdicts}</select></label>
<label>on <select name="target"><option value="">any target</option>{target_options}</select></label>
<label title="some target behaves as AWS does and another does not"><input type="checkbox" name="differs" value="1"> differs between targets</label>
<label>spec <input type="search" name="q" placeholder="id contains…"></label>
<output id="count"></output>
</form>
<table id="matrix"><thead><tr><th>spec</th>{headers}</tr></thead>
<tbody>
{rows}</tbody></table>
<aside id="panel" hidden></aside>
<script type="application/json" id="data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"#,
        ranking = ranking_table(targets),
        runs = runs_table(targets, histories),
        services = options(&mut services.iter().map(String::as_str)),
        tiers = options(&mut tiers.into_iter()),
        verdicts = options(&mut verdicts.iter().map(String::as_str)),
        target_options = options(&mut targets.iter().map(|t| t.target.as_str())),
        rows = rows(&json, targets),
        data = script_json(&data(&json, targets, snapshots)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::{Cell, SpecRow};

    fn target(name: &str, verdicts: &[(&str, &str)]) -> TargetResults {
        TargetResults {
            target: name.into(),
            version: Some("1".into()),
            specs: verdicts
                .iter()
                .map(|(id, verdict)| SpecRow {
                    id: id.to_string(),
                    title: "t".into(),
                    source: "https://docs.aws.amazon.com/x".into(),
                    file: String::new(),
                    tags: vec!["core".into()],
                    cell: Cell { verdict: verdict.to_string(), message: None, reason: Some("r <b>".into()), link: None, model_findings: vec!["1 x".into()] },
                })
                .collect(),
        }
    }

    #[test]
    fn rows_say_which_differ_and_the_ranking_rates_every_target_over_the_same_specs() {
        let targets = [
            target("a", &[("sqs/x", "pass"), ("sqs/y", "fail"), ("kinesis/z", "skipped-as-gap")]),
            target("b", &[("sqs/x", "pass"), ("sqs/y", "pass"), ("kinesis/z", "expected-divergence")]),
        ];
        let html = to_html(&targets, &Snapshots::new(), &Histories::new());
        assert!(html.contains("data-id=\"sqs/y\" data-service=\"sqs\" data-tier=\"core\" data-differs=\"1\""), "{html}");
        assert!(html.contains("data-id=\"sqs/x\" data-service=\"sqs\" data-tier=\"core\" data-differs=\"0\""));
        // A gap says nothing about behaviour: kinesis/z does not differ.
        assert!(html.contains("data-id=\"kinesis/z\" data-service=\"kinesis\" data-tier=\"core\" data-differs=\"0\""));
        // In sqs, b passes 2 of 2 and is marked closest; a passes 1 of the same 2.
        let sqs = html.split("<tr data-service=\"sqs\">").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(sqs.starts_with("<th><a href=\"#service=sqs\">sqs</a><br><small>2 specs</small>"), "{sqs}");
        let (b, a) = (sqs.find("<span class=\"name\">b</span> <b>100%</b> <small>2/2</small>").unwrap(), sqs.find("<span class=\"name\">a</span> <b>50%</b> <small>1/2</small>").unwrap());
        assert!(b < a && sqs.contains("<li class=\"best\""), "{sqs}");
        assert!(sqs.contains(">1 unexpected</a>") && sqs.contains(">2 findings</a>"), "{sqs}");
        // Over all services, one denominator: 3 specs, the gap counted against a.
        let all = html.split("<tr data-service=\"all\">").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(all.contains("<small>1/3</small>") && all.contains("<small>2/3</small>") && all.contains(">1 gap</a>"), "{all}");
        assert!(html.contains("title=\"fail: r &lt;b&gt;\">fail<span class=\"findings\""), "{html}");
    }

    #[test]
    fn runs_show_the_last_date_commit_and_recent_passes_and_the_reference_is_not_ranked() {
        let targets = [target("a", &[("sqs/x", "pass")]), target(REFERENCE, &[("sqs/x", "recorded-agrees")])];
        let run = |date: &str, commit: &str, pass: usize| Run { date: date.into(), commit: Some(commit.into()), version: Some("1".into()), services: [("sqs".to_string(), (pass, 1))].into() };
        let histories: Histories = [("a".to_string(), vec![run("2026-12-01T00:00:00Z", "aaa", 0), run("2026-12-04T00:00:00Z", "bbb", 1)])].into();
        let html = to_html(&targets, &Snapshots::new(), &histories);
        let runs = html.split("<table id=\"runs\">").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(runs.contains("<th>a</th><td>1</td><td>2026-12-04T00:00:00Z</td><td><code>bbb</code></td>"), "{runs}");
        assert!(runs.contains(">0/1</span> → <span"), "{runs}");
        assert!(!runs.contains(REFERENCE));
        let ranking = html.split("<table id=\"summary\">").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(!ranking.contains(REFERENCE), "{ranking}");
    }

    #[test]
    fn embedded_data_cannot_end_its_script_element() {
        let targets = [target("a", &[("sqs/x", "pass")])];
        let mut snapshots = Snapshots::new();
        snapshots.entry("a".into()).or_default().insert("sqs/x".into(), json!({ "body": "</script><script>alert(1)</script> & <!--" }));
        let html = to_html(&targets, &snapshots, &Histories::new());
        let data = html.split("<script type=\"application/json\" id=\"data\">").nth(1).unwrap().split("</script>").next().unwrap();
        let parsed: Value = serde_json::from_str(data).expect("the element holds all of the JSON");
        assert_eq!(parsed["snapshots"]["a"]["sqs/x"]["body"], "</script><script>alert(1)</script> & <!--");
    }

    #[test]
    fn diffs_are_precomputed_for_each_pair_with_snapshots() {
        let targets = [target("a", &[("sqs/x", "pass")]), target("b", &[("sqs/x", "fail")]), target("c", &[("sqs/x", "pass")])];
        let mut snapshots = Snapshots::new();
        snapshots.entry("a".into()).or_default().insert("sqs/x".into(), json!({ "status": 200 }));
        snapshots.entry("b".into()).or_default().insert("sqs/x".into(), json!({ "status": 400 }));
        let json = to_json(&targets);
        let data = data(&json, &targets, &snapshots);
        let pairs = data["diffs"]["sqs/x"].as_object().unwrap();
        assert_eq!(pairs.keys().collect::<Vec<_>>(), ["a\nb"], "c has no snapshot");
        assert_eq!(pairs["a\nb"][0], json!({ "path": "$.status", "left": 200, "right": 400 }));
    }
}
