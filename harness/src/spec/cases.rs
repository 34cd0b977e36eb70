//! `cases:` — one spec file, a table of cases. Each row becomes a spec of its own (id
//! `<file id>/<case name>`), made by putting the row's cells in place of `${column}` references in
//! the spec's free-form values when the file is loaded, before anything runs.
//!
//! A string that is exactly `${column}` becomes the cell, YAML type and all; a reference inside a
//! longer string takes the cell's text; a mapping entry or list item that becomes a null cell is
//! left out, so `expect_error: ${error}` with `error: ~` means "this case succeeds".

use std::collections::{BTreeMap, BTreeSet};

use super::node::{Key, Node, NodeValue, Pos};
use super::raw::{RawResource, RawSpec};
use super::template::{self, Segment};

/// Row keys that describe the case itself rather than fill a column.
const RESERVED: [&str; 3] = ["name", "title", "source"];

#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub title: Option<String>,
    pub source: Option<String>,
    pub pos: Pos,
    pub cells: BTreeMap<String, Node>,
}

/// A problem in the table, for the validator to report where it stands.
#[derive(Debug)]
pub struct Problem {
    pub pos: Pos,
    pub len: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    fn new(pos: Pos, len: usize, message: impl Into<String>) -> Self {
        Self { pos, len, message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Reads the `cases:` table: rows with unique names, every row giving every column.
/// `taken` are names a column may not have (built-ins, resources, captures).
pub fn table(node: &Node, taken: &BTreeSet<String>) -> Result<Vec<Case>, Vec<Problem>> {
    let NodeValue::Seq(rows) = &node.value else {
        return Err(vec![Problem::new(node.pos, 1, "`cases` is a list of rows, each a mapping with a `name`")]);
    };
    if rows.is_empty() {
        return Err(vec![Problem::new(node.pos, 1, "`cases` has no rows")]);
    }
    let name_ok = regex::Regex::new(r"^[a-z0-9][a-z0-9_.-]*$").expect("valid regex");
    let mut problems = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    for row in rows {
        let NodeValue::Map(entries) = &row.value else {
            problems.push(Problem::new(row.pos, 1, format!("a case is a mapping with a `name`, not {}", row.kind())));
            continue;
        };
        let text = |key: &str| entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v);
        let name = match text("name").map(|n| (n, n.as_str())) {
            Some((_, Some(n))) if name_ok.is_match(n) => n.to_owned(),
            Some((n, _)) => {
                problems.push(Problem::new(n.pos, 1, "a case name is lowercase words joined by `-`, e.g. `delay-over-max`"));
                continue;
            }
            None => {
                problems.push(Problem::new(row.pos, 1, "this case has no `name`").help("every row needs `name: <slug>`: it ends the case's id"));
                continue;
            }
        };
        if let Some(first) = cases.iter().find(|c| c.name == name) {
            problems.push(
                Problem::new(text("name").map_or(row.pos, |n| n.pos), name.len(), format!("a second case named `{name}`"))
                    .help(format!("the first is at line {}", first.pos.line)),
            );
            continue;
        }
        let optional_text = |key: &str, problems: &mut Vec<Problem>| match text(key) {
            None => None,
            Some(v) => match v.as_str() {
                Some(s) => Some(s.to_owned()),
                None => {
                    problems.push(Problem::new(v.pos, 1, format!("a case's `{key}` is text")));
                    None
                }
            },
        };
        let title = optional_text("title", &mut problems);
        let source = optional_text("source", &mut problems);
        let cells: BTreeMap<String, Node> =
            entries.iter().filter(|(k, _)| !RESERVED.contains(&k.name.as_str())).map(|(k, v)| (k.name.clone(), v.clone())).collect();
        for (key, _) in entries.iter().filter(|(k, _)| taken.contains(&k.name)) {
            problems.push(
                Problem::new(key.pos, key.name.len(), format!("column `{}` has the name of a variable the spec already has", key.name))
                    .help("built-ins, resources and captures keep their names: rename the column"),
            );
        }
        cases.push(Case { name, title, source, pos: row.pos, cells });
    }
    // Every row gives every column: a missing cell is a mistake, never "leave it out" (that is `~`).
    let columns: BTreeSet<&String> = cases.iter().flat_map(|c| c.cells.keys()).collect();
    for case in &cases {
        for column in columns.iter().filter(|c| !case.cells.contains_key(c.as_str())) {
            problems.push(
                Problem::new(case.pos, 1, format!("case `{}` gives no value for column `{column}`", case.name))
                    .help(format!("write `{column}: ~` to leave it out in this case")),
            );
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// Columns no value of the spec refers to, each at its first key in the table, with the
/// referenced name it was probably meant to be.
pub fn unused(table: &Node, referenced: &BTreeSet<String>) -> Vec<Problem> {
    column_keys(table)
        .into_iter()
        .filter(|k| !referenced.contains(&k.name))
        .map(|k| {
            let meant = super::source::did_you_mean(&k.name, referenced.iter().map(String::as_str));
            Problem::new(k.pos, k.name.len(), format!("column `{}` is used nowhere in the spec", k.name)).help(match meant {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("refer to it as `${{{}}}` in a step, or remove it from the rows", k.name),
            })
        })
        .collect()
}

/// Every column, at its first key in the table.
pub fn column_keys(node: &Node) -> Vec<Key> {
    let mut seen = BTreeSet::new();
    let NodeValue::Seq(rows) = &node.value else { return Vec::new() };
    rows.iter()
        .filter_map(|r| match &r.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        })
        .flatten()
        .filter(|(k, _)| !RESERVED.contains(&k.name.as_str()) && seen.insert(k.name.clone()))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Puts a case's cells into every free-form value of the spec.
pub fn bind(raw: &mut RawSpec, cells: &BTreeMap<String, Node>) {
    each_value(raw, &mut |slot| {
        if let Some(node) = slot.take() {
            *slot = substitute(node, cells);
        }
    });
}

/// Every `${name}` the spec's free-form values refer to: a column none refers to is a typo.
pub fn referenced(raw: &mut RawSpec) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    each_value(raw, &mut |slot| names.extend(slot.iter().flat_map(|n| template::references(n).into_iter().map(|(_, name)| name))));
    names
}

/// The values a case's cells may fill: request bodies, expectations, evidence, queue attributes.
fn each_value(raw: &mut RawSpec, f: &mut dyn FnMut(&mut Option<Node>)) {
    for resource in raw.resources.values_mut() {
        if let RawResource::Queue(q) = &mut resource.value {
            f(&mut q.attributes);
        }
    }
    for step in &mut raw.steps {
        let step = &mut step.value;
        f(&mut step.with);
        f(&mut step.expect);
        f(&mut step.expect_error);
        f(&mut step.evidence);
        if let Some(e) = &mut step.eventually {
            f(&mut e.value.fail_fast);
        }
        if let Some(c) = &mut step.collect {
            let pos = c.value.until.pos;
            let mut until = Some(std::mem::replace(&mut c.value.until, Node { pos, value: NodeValue::Null }));
            f(&mut until);
            c.value.until = until.unwrap_or(Node { pos, value: NodeValue::Map(Vec::new()) });
        }
    }
}

/// The node with cells in place of column references; `None` where it became a null cell.
fn substitute(node: Node, cells: &BTreeMap<String, Node>) -> Option<Node> {
    let pos = node.pos;
    let value = match node.value {
        NodeValue::String(s) => {
            let Ok(segments) = template::parse(&s) else { return Some(Node { pos, value: NodeValue::String(s) }) };
            if let [Segment::Var(name)] = segments.as_slice() {
                if let Some(cell) = cells.get(name) {
                    return (cell.value != NodeValue::Null).then(|| cell.clone());
                }
            }
            NodeValue::String(interpolate(&s, segments, cells))
        }
        NodeValue::Seq(items) => NodeValue::Seq(items.into_iter().filter_map(|n| substitute(n, cells)).collect()),
        NodeValue::Map(entries) => NodeValue::Map(
            entries
                .into_iter()
                .filter_map(|(key, v)| {
                    let name = match template::parse(&key.name) {
                        Ok(segments) => interpolate(&key.name, segments, cells),
                        Err(_) => key.name,
                    };
                    substitute(v, cells).map(|v| (Key { pos: key.pos, name }, v))
                })
                .collect(),
        ),
        other => other,
    };
    Some(Node { pos, value })
}

/// A string with the columns among its references rendered as text; everything else stays a
/// template for run time (so literal `${` is escaped again as `$${`).
fn interpolate(original: &str, segments: Vec<Segment>, cells: &BTreeMap<String, Node>) -> String {
    if !segments.iter().any(|s| matches!(s, Segment::Var(v) if cells.contains_key(v))) {
        return original.to_owned();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => out.push_str(&t.replace("${", "$${")),
            Segment::Var(v) => match cells.get(&v) {
                Some(cell) => out.push_str(&cell_text(cell)),
                None => out.push_str(&format!("${{{v}}}")),
            },
        }
    }
    out
}

fn cell_text(cell: &Node) -> String {
    match &cell.value {
        NodeValue::String(s) => s.clone(),
        NodeValue::Null => String::new(),
        _ => cell.to_json().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::load::diagnostics as errors;
    use crate::spec::{load_str, Action};

    const TABLE: &str = r#"id: t
title: DelaySeconds
source: https://x
resources:
  q: { sqs.queue: {} }
cases:
  - { name: zero, delay: 0, error: ~, evidence: [] }
  - name: over-max
    delay: 901
    error: { code: InvalidParameterValue, status: 400 }
    evidence: ~
steps:
  - call: sqs.SendMessage
    with: { QueueUrl: "${q.url}", MessageBody: "d=${delay} $${literal}", DelaySeconds: "${delay}" }
    expect_error: "${error}"
    evidence: "${evidence}"
"#;


    #[test]
    fn each_row_is_a_spec_with_its_cells_in_place() {
        let specs = load_str("t.yaml", TABLE).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(specs.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["t/zero", "t/over-max"]);
        assert_eq!(specs[1].title, "DelaySeconds (over-max)");
        let call = |i: usize| match &specs[i].steps[0].action {
            Action::Call(c) => c,
            _ => panic!("a call"),
        };
        let request = call(1).request.to_json();
        assert_eq!(request["DelaySeconds"], 901, "a whole reference keeps the cell's type");
        assert_eq!(request["MessageBody"], "d=901 $${literal}", "text takes the cell; a literal `${{` stays escaped");
        assert_eq!(request["QueueUrl"], "${q.url}", "run-time variables are left for run time");
        assert!(call(0).expect_error.is_none(), "a null cell leaves `expect_error` out: the case must succeed");
        assert_eq!(call(1).expect_error.as_ref().and_then(|e| e.status), Some(400));
    }

    #[test]
    fn a_typo_in_a_column_is_located_with_a_suggestion() {
        let typo = TABLE.replace("- name: over-max\n    delay: 901", "- name: over-max\n    dealy: 901");
        let errs = errors(&typo);
        assert!(errs.iter().any(|e| e.starts_with("t.yaml:8:") && e.contains("case `over-max` gives no value for column `delay`")), "{errs:?}");
        assert!(errs.iter().any(|e| e.starts_with("t.yaml:9:5") && e.contains("column `dealy` is used nowhere")), "{errs:?}");
    }

    #[test]
    fn a_row_missing_a_value_is_located_at_the_row() {
        let missing = TABLE.replace("{ name: zero, delay: 0, error: ~, evidence: [] }", "{ name: zero, delay: 0, evidence: [] }");
        let errs = errors(&missing);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("t.yaml:7:5") && errs[0].contains("gives no value for column `error`") && errs[0].contains("error: ~"), "{errs:?}");
    }

    #[test]
    fn names_are_unique_slugs_and_columns_do_not_shadow_variables() {
        let errs = errors(&TABLE.replace("name: over-max", "name: zero"));
        assert!(errs.iter().any(|e| e.starts_with("t.yaml:8:") && e.contains("a second case named `zero`")), "{errs:?}");
        let errs = errors(&TABLE.replace("delay: 901", "delay: 901\n    q: 1").replace("delay: 0,", "delay: 0, q: 2,"));
        assert!(errs.iter().any(|e| e.contains("column `q` has the name of a variable")), "{errs:?}");
        let errs = errors(&TABLE.replace("name: zero", "name: Zero"));
        assert!(errs.iter().any(|e| e.starts_with("t.yaml:7:") && e.contains("lowercase")), "{errs:?}");
    }

    #[test]
    fn an_undefined_reference_suggests_a_column() {
        let errs = errors(&TABLE.replace("DelaySeconds: \"${delay}\"", "DelaySeconds: \"${delya}\""));
        assert!(errs.iter().any(|e| e.contains("undefined variable `delya`") && e.contains("did you mean `delay`?")), "{errs:?}");
    }
}
