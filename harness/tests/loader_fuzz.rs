//! The loader never panics and stays within bounded memory: edits of the suite's own spec files,
//! and YAML built from the spec vocabulary, either load or are refused with every error at a
//! `file:line:col` inside the text. Loaded specs also render their requests (generators included).
//!
//! CI runs a few hundred cases; fuzz for minutes with `PROPTEST_CASES=50000 cargo test --release
//! --test loader_fuzz`.

use std::path::Path;
use std::sync::OnceLock;

use conform::spec::{self, template, Action};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Fragments that reach the loader's corners: YAML syntax, tags and anchors, extreme numbers,
/// durations, generators, templates and the spec format's own keys.
const TOKENS: &[&str] = &[
    "{", "}", "[", "]", ": ", ", ", "\n", "\n  ", "\n    - ", "- ", "'", "\"", "#", "&a ", "*a", "<<: *a\n", "!!python/object:os.system ",
    "!!binary ", "~", "-1", "0", "1e400", "18446744073709551615", "4294967296", "0s", "1ns", "100000000h", "abc", "${", "}",
    "${q.url}", "${index}", "${i}", "${later.arn}", "{ $text: 16777216 }", "{ $list: 10000, item: { $list: 10000, item: x } }",
    "{ $string: \"${index}\" }", "{ $number: abc }", "id: ", "steps:", "resources:", "call: ", "sqs.SendMessage", "with: ",
    "expect: ", "expect_error: ", "eventually: { timeout: 0s, interval: 0s }", "collect: { items: $.x, until: {}, timeout: 1s }",
    "repeat: ", "sleep: ", "timeout: ", "length: ", "regex: '('", "workload: ", "$.Messages[*]", "$..x", "\t", "\u{feff}", "\0",
];

fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        spec::discover(&[root])
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("spec readable")))
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Byte { at: usize, byte: u8 },
    DuplicateLine { line: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Byte { at, byte }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for e in edits {
        let n = bytes.len().max(1);
        match *e {
            Edit::Delete { at, len } => {
                let at = at % n;
                bytes.drain(at.min(bytes.len())..(at + len).min(bytes.len()));
            }
            Edit::Insert { at, token } => {
                let at = (at % n).min(bytes.len());
                bytes.splice(at..at, TOKENS[token].bytes());
            }
            Edit::Byte { at, byte } => {
                if let Some(b) = bytes.get_mut(at % n) {
                    *b = byte;
                }
            }
            Edit::DuplicateLine { line } => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = line % lines.len();
                    lines.insert(i, lines[i]);
                }
                bytes = lines.join("\n").into_bytes();
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// JSON (which is YAML) shaped like a spec, from the format's own keys and awkward values.
fn document() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "id", "title", "source", "tags", "steps", "resources", "call", "with", "expect", "capture", "eventually", "collect",
        "items", "until", "cursor", "from", "to", "timeout", "interval", "repeat", "sleep", "sqs.queue", "fifo", "q", "$text",
        "$list", "item", "$string", "$number", "pattern", "length", "each", "$.Messages", "evidence", "needs", "workload",
    ];
    let leaf = prop_oneof![
        (0..TOKENS.len()).prop_map(|i| json!(TOKENS[i])),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((0..KEYS.len(), inner), 0..6).prop_map(|entries| Value::Object(entries.into_iter().map(|(k, v)| (KEYS[k].to_owned(), v)).collect())),
        ]
    })
}

/// The process's peak resident memory, from Linux's accounting.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok()).map_or(0, |kb| kb * 1024)
}

/// Far above what loading and rendering any spec needs (the largest generator makes 64 MiB).
const MEMORY_BOUND: u64 = 2 * 1024 * 1024 * 1024;

fn loads_or_refuses_with_locations(name: &str, text: &str) -> Result<(), TestCaseError> {
    match spec::load_str(name, text) {
        Ok(specs) => {
            for step in specs.iter().flat_map(|s| &s.steps) {
                if let Action::Call(call) = &step.action {
                    let vars: template::Vars = template::references(&call.request).into_iter().map(|(_, v)| (v, json!(3))).collect();
                    let _ = template::render(&call.request, &vars);
                }
            }
        }
        Err(errors) => {
            prop_assert!(!errors.errors.is_empty(), "refused without a reason");
            for e in &errors.errors {
                let location = e.location();
                prop_assert!(location.starts_with(name), "{location} is not in {name}");
                let (line, col) = location[name.len() + 1..].split_once(':').expect("line:col");
                prop_assert!(line.parse::<usize>().is_ok_and(|l| l >= 1 && l <= text.lines().count().max(1) + 1), "line of {location}");
                prop_assert!(col.parse::<usize>().is_ok_and(|c| c >= 1), "column of {location}");
            }
        }
    }
    prop_assert!(peak_rss_bytes() < MEMORY_BOUND, "peak memory {} bytes", peak_rss_bytes());
    Ok(())
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn edited_specs_load_or_are_refused_with_a_location(file in any::<prop::sample::Index>(), edits in vec(edit(), 1..8)) {
        let (name, text) = &corpus()[file.index(corpus().len())];
        loads_or_refuses_with_locations(name, &apply(text, &edits))?;
    }

    #[test]
    fn spec_shaped_yaml_loads_or_is_refused_with_a_location(doc in document()) {
        loads_or_refuses_with_locations("fuzz.yaml", &doc.to_string())?;
    }
}
