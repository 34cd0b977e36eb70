//! Generated values: data too long to write out by hand, still written as data.
//!
//! A mapping whose key is one of these is a generator, wherever a value stands in a request:
//!
//! | generator                          | value                                                     |
//! |------------------------------------|-----------------------------------------------------------|
//! | `{ $text: 1048576, pattern: "ab" }`| a string of exactly that many UTF-8 bytes, the pattern repeated (default `x`) |
//! | `{ $list: 101, item: <value> }`    | that many items, each rendered with `${i}` its 0-based index |
//! | `{ $string: <value> }`             | the value as a string: `{ $string: "${index}" }` is `"3"`  |
//! | `{ $number: <value> }`             | the value as a number: `{ $number: "${count}" }` is `3`   |

use serde_json::Value;

use super::node::{Node, NodeValue};
use super::template::{self, Vars};

/// The variable that holds an item's index inside `$list`.
pub const INDEX: &str = "i";
/// Limits that keep a typo from allocating gigabytes: AWS's largest payloads (a 10 MiB Kinesis
/// record) and longest lists (DynamoDB's 100-item batches) fit well inside them.
pub(crate) const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;
pub(crate) const MAX_LIST_ITEMS: u64 = 10_000;
/// Nested generators multiply (`$list` of `$list` of `$text`): what one value may expand to in all.
const MAX_GENERATED_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug)]
pub enum Generator<'a> {
    Text { bytes: usize, pattern: &'a str },
    List { count: usize, item: &'a Node },
    String(&'a Node),
    Number(&'a Node),
}

/// What a generator's mapping may hold besides its own key.
const GENERATORS: [(&str, &[&str]); 4] = [("$text", &["pattern"]), ("$list", &["item"]), ("$string", &[]), ("$number", &[])];

/// The generator `node` is, if it is one. A malformed generator is an error at the node at fault.
pub fn generator(node: &Node) -> Option<Result<Generator<'_>, (&Node, String)>> {
    let NodeValue::Map(entries) = &node.value else { return None };
    let (name, allowed) = GENERATORS.iter().find(|(name, _)| entries.iter().any(|(k, _)| k.name == *name))?;
    let get = |key: &str| entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v);
    let own = get(name).expect("found above");
    Some((|| {
        if let Some((_, extra)) = entries.iter().find(|(k, _)| k.name != *name && !allowed.contains(&k.name.as_str())) {
            let also = if allowed.is_empty() { "nothing else".to_owned() } else { format!("`{}`", allowed.join("`, `")) };
            return Err((extra, format!("`{name}` takes {also}")));
        }
        Ok(match *name {
            "$text" => {
                let bytes = count(own, MAX_TEXT_BYTES, "bytes")?;
                let pattern = match get("pattern") {
                    None => "x",
                    Some(p) => p.as_str().filter(|s| !s.is_empty()).ok_or((p, "`pattern` is a non-empty string".to_owned()))?,
                };
                if !fits(pattern, bytes) {
                    return Err((own, format!("{pattern:?} repeated cannot make exactly {bytes} bytes (its characters are multi-byte)")));
                }
                Generator::Text { bytes, pattern }
            }
            "$list" => {
                let item = get("item").ok_or((node, "`$list` needs an `item`: the value to repeat, with `${i}` its index".to_owned()))?;
                Generator::List { count: count(own, MAX_LIST_ITEMS, "items")?, item }
            }
            "$string" => Generator::String(own),
            _ => Generator::Number(own),
        })
    })())
}

fn count<'a>(node: &'a Node, max: u64, what: &str) -> Result<usize, (&'a Node, String)> {
    match &node.value {
        NodeValue::Number(n) if n.as_u64().is_some_and(|n| n <= max) => Ok(n.as_u64().expect("checked") as usize),
        _ => Err((node, format!("the number of {what}: a whole number from 0 to {max}"))),
    }
}

/// Whether `pattern` repeated, then cut at a character boundary, makes exactly `bytes` bytes.
/// Checked without building the text: `generator` runs at every render and model walk.
fn fits(pattern: &str, bytes: usize) -> bool {
    let rest = bytes % pattern.len();
    pattern.char_indices().any(|(at, _)| at == rest)
}

/// `pattern` repeated, then its first characters, to exactly `bytes` bytes (`fits` holds).
fn fill(pattern: &str, bytes: usize) -> String {
    pattern.repeat(bytes / pattern.len()) + &pattern[..bytes % pattern.len()]
}

/// Every malformed generator under `node`, or else a value too large to generate.
pub fn problems(node: &Node) -> Vec<(&Node, String)> {
    let mut out = Vec::new();
    visit(node, &mut out);
    if out.is_empty() && size(node) > MAX_GENERATED_BYTES {
        out.push((node, format!("its generators would expand to about {} bytes, more than the {MAX_GENERATED_BYTES} allowed", size(node))));
    }
    out
}

/// About how many bytes `node` renders to (well formed; `${…}` counted as written).
fn size(node: &Node) -> u64 {
    match generator(node) {
        Some(Ok(Generator::Text { bytes, .. })) => bytes as u64,
        Some(Ok(Generator::List { count, item })) => (count as u64).saturating_mul(size(item).max(1)),
        Some(Ok(Generator::String(inner) | Generator::Number(inner))) => size(inner),
        Some(Err(_)) => 0,
        None => match &node.value {
            NodeValue::Seq(items) => items.iter().fold(0, |sum, n| sum.saturating_add(size(n))),
            NodeValue::Map(entries) => entries.iter().fold(0, |sum, (k, n)| sum.saturating_add(k.name.len() as u64).saturating_add(size(n))),
            NodeValue::String(s) => s.len() as u64,
            _ => 8,
        },
    }
}

fn visit<'a>(node: &'a Node, out: &mut Vec<(&'a Node, String)>) {
    match generator(node) {
        Some(Err(problem)) => out.push(problem),
        Some(Ok(Generator::List { item: inner, .. } | Generator::String(inner) | Generator::Number(inner))) => visit(inner, out),
        Some(Ok(Generator::Text { .. })) => {}
        None => match &node.value {
            NodeValue::Seq(items) => items.iter().for_each(|n| visit(n, out)),
            NodeValue::Map(entries) => entries.iter().for_each(|(_, n)| visit(n, out)),
            _ => {}
        },
    }
}

/// The generator's value. Validation has proved it well formed.
pub fn render(generator: Generator<'_>, vars: &Vars) -> Result<Value, String> {
    Ok(match generator {
        Generator::Text { bytes, pattern } => Value::String(fill(pattern, bytes)),
        Generator::List { count, item } => {
            let mut scope = vars.clone();
            let mut items = Vec::with_capacity(count);
            for i in 0..count {
                scope.insert(INDEX.into(), Value::from(i));
                items.push(template::render(item, &scope)?);
            }
            Value::Array(items)
        }
        Generator::String(inner) => match template::render(inner, vars)? {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        },
        Generator::Number(inner) => match template::render(inner, vars)? {
            Value::Number(n) => Value::Number(n),
            Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim())
                .map(Value::Number)
                .map_err(|_| format!("`$number`: {s:?} is not a number"))?,
            other => return Err(format!("`$number`: {other} is not a number")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn rendered(yaml: &str) -> Value {
        let vars: Vars = [("index".to_string(), json!(7)), ("n".to_string(), json!("12"))].into();
        template::render(&node(yaml), &vars).unwrap()
    }

    #[test]
    fn text_has_exactly_the_bytes_asked_for_even_with_multibyte_patterns() {
        assert_eq!(rendered("{ $text: 1048576 }").as_str().unwrap().len(), 1_048_576);
        assert_eq!(rendered("{ $text: 5, pattern: ab }"), json!("ababa"));
        assert_eq!(rendered("{ $text: 6, pattern: é }"), json!("ééé"));
        assert_eq!(rendered("{ $text: 4, pattern: aé }"), json!("aéa"));
    }

    #[test]
    fn a_list_renders_its_item_with_the_index_and_conversions_type_it() {
        let v = rendered("{ $list: 3, item: { pk: { N: { $string: \"${i}\" } }, at: \"${index}\" } }");
        assert_eq!(v, json!([{ "pk": { "N": "0" }, "at": 7 }, { "pk": { "N": "1" }, "at": 7 }, { "pk": { "N": "2" }, "at": 7 }]));
        assert_eq!(rendered("{ $number: \"${n}\" }"), json!(12));
        assert_eq!(rendered("{ $list: 2, item: { $list: 2, item: \"${i}\" } }"), json!([[0, 1], [0, 1]]));
    }

    #[test]
    fn malformed_generators_are_refused_at_the_node_at_fault() {
        let why = |yaml: &str| problems(&node(yaml)).into_iter().map(|(n, m)| format!("{}:{} {m}", n.pos.line, n.pos.column)).collect::<Vec<_>>();
        assert_eq!(why("a: { $text: -1 }"), ["1:13 the number of bytes: a whole number from 0 to 16777216"]);
        assert_eq!(why("a: { $list: 100001, item: 1 }"), ["1:13 the number of items: a whole number from 0 to 10000"]);
        assert_eq!(why("a: { $list: 3 }"), ["1:4 `$list` needs an `item`: the value to repeat, with `${i}` its index"]);
        assert_eq!(why("a: { $text: 3, patern: y }"), ["1:24 `$text` takes `pattern`"]);
        assert_eq!(why("a: { $text: 3, pattern: é }"), ["1:13 \"é\" repeated cannot make exactly 3 bytes (its characters are multi-byte)"]);
        assert_eq!(why("[{ $list: 2, item: { $string: 1, x: 2 } }]"), ["1:37 `$string` takes nothing else"]);
        assert!(why("{ $text: 3, pattern: z }").is_empty());
        assert_eq!(
            why("a: { $list: 10000, item: { $text: 16777216 } }"),
            ["1:1 its generators would expand to about 167772160001 bytes, more than the 67108864 allowed"]
        );
    }
}
