//! `${name}` substitution inside values (never in YAML text).
//!
//! A string that is exactly one reference takes the variable's JSON value, type and all, so a
//! captured number stays a number. A reference inside a longer string is rendered as text.
//! `$${` writes a literal `${`. Generators (`$list`, `$text`, `$string`, `$number`: see
//! `generate.rs`) are rendered where they stand.

use std::collections::BTreeMap;

use serde_json::Value;

use super::generate;
use super::node::{Node, NodeValue};

/// Variable values during a run: resource attributes (`q.url`), captures, built-ins.
pub type Vars = BTreeMap<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Var(String),
}

/// Splits a string into literal text and `${...}` references.
pub fn parse(s: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            text.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail.find('}').ok_or_else(|| format!("unclosed `${{` in {s:?}"))?;
            let name = tail[..end].trim();
            if !is_variable_name(name) {
                return Err(format!("`${{{name}}}` is not a variable reference: use letters, digits, `_` and one `.`"));
            }
            if !text.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut text)));
            }
            segments.push(Segment::Var(name.to_owned()));
            rest = &tail[end + 1..];
        } else {
            text.push('$');
            rest = &after[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() || segments.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

fn is_variable_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let ok = |p: &str| {
        p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    parts.next().is_some_and(ok) && parts.next().is_none_or(ok) && parts.next().is_none()
}

/// Every variable a node refers to, with the node holding the reference.
pub fn references(node: &Node) -> Vec<(&Node, String)> {
    let mut out = Vec::new();
    collect(node, &mut out);
    out
}

fn collect<'a>(node: &'a Node, out: &mut Vec<(&'a Node, String)>) {
    // Inside `$list`, `${i}` is the item's index, defined there and only there.
    if let Some(Ok(generate::Generator::List { item, .. })) = generate::generator(node) {
        let mut inner = Vec::new();
        collect(item, &mut inner);
        out.extend(inner.into_iter().filter(|(_, name)| name != generate::INDEX));
        return;
    }
    match &node.value {
        NodeValue::String(s) => {
            // Syntax errors are reported by `check_syntax`; here only well-formed references count.
            for segment in parse(s).unwrap_or_default() {
                if let Segment::Var(name) = segment {
                    out.push((node, name));
                }
            }
        }
        NodeValue::Seq(items) => items.iter().for_each(|n| collect(n, out)),
        NodeValue::Map(entries) => entries.iter().for_each(|(k, n)| {
            // Keys can hold references too (BatchWriteItem's RequestItems is keyed by table name);
            // they are reported at the value they key.
            for segment in parse(&k.name).unwrap_or_default() {
                if let Segment::Var(name) = segment {
                    out.push((n, name));
                }
            }
            collect(n, out)
        }),
        _ => {}
    }
}

/// The first malformed reference in a node, if any.
pub fn check_syntax(node: &Node) -> Result<(), (&Node, String)> {
    match &node.value {
        NodeValue::String(s) => parse(s).map(drop).map_err(|e| (node, e)),
        NodeValue::Seq(items) => items.iter().try_for_each(check_syntax),
        NodeValue::Map(entries) => entries.iter().try_for_each(|(k, n)| {
            parse(&k.name).map_err(|e| (n, e))?;
            check_syntax(n)
        }),
        _ => Ok(()),
    }
}

/// The node's JSON value with every reference replaced. Validation has already proved that each
/// variable is defined by the time the step runs, so a missing one is a harness bug, reported as such.
pub fn render(node: &Node, vars: &Vars) -> Result<Value, String> {
    if let Some(generator) = generate::generator(node) {
        return generate::render(generator.map_err(|(_, why)| why)?, vars);
    }
    Ok(match &node.value {
        NodeValue::String(s) => render_str(s, vars)?,
        NodeValue::Seq(items) => Value::Array(items.iter().map(|n| render(n, vars)).collect::<Result<_, _>>()?),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, n)| {
                    let key = match render_str(&k.name, vars)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    Ok((key, render(n, vars)?))
                })
                .collect::<Result<_, String>>()?,
        ),
        _ => node.to_json(),
    })
}

pub fn render_str(s: &str, vars: &Vars) -> Result<Value, String> {
    let segments = parse(s)?;
    let lookup = |name: &str| vars.get(name).ok_or_else(|| format!("variable `{name}` has no value"));
    if let [Segment::Var(name)] = segments.as_slice() {
        return lookup(name).cloned();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => out.push_str(&t),
            Segment::Var(name) => match lookup(&name)? {
                Value::String(v) => out.push_str(v),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        [("q.url".to_string(), json!("http://x/q")), ("n".to_string(), json!(3))].into()
    }

    #[test]
    fn whole_reference_keeps_json_type() {
        assert_eq!(render_str("${n}", &vars()).unwrap(), json!(3));
        assert_eq!(render_str("${ q.url }", &vars()).unwrap(), json!("http://x/q"));
    }

    #[test]
    fn embedded_references_render_as_text() {
        assert_eq!(render_str("url=${q.url} n=${n}", &vars()).unwrap(), json!("url=http://x/q n=3"));
        assert_eq!(render_str("cost $5 and $${literal}", &vars()).unwrap(), json!("cost $5 and ${literal}"));
    }

    #[test]
    fn keys_are_rendered_too() {
        let node: Node = serde_saphyr::from_str("RequestItems:\n  \"${q.url}\": [1]\n").unwrap();
        assert_eq!(render(&node, &vars()).unwrap(), serde_json::json!({"RequestItems": {"http://x/q": [1]}}));
        assert_eq!(references(&node).len(), 1);
    }

    #[test]
    fn rejects_malformed_references() {
        assert!(parse("${unclosed").is_err());
        assert!(parse("${a b}").is_err());
        assert!(parse("${a.b.c}").is_err());
        assert!(render_str("${missing}", &vars()).is_err());
    }
}
