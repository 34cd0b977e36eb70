//! Matchers: `expect` maps JSONPaths to matchers; each matcher is checked where it is written.


use regex::Regex;
use serde_json_path::JsonPath;

use super::Validator;
use crate::spec::model::*;
use crate::spec::node::{Node, NodeValue, Pos};
use crate::spec::source::did_you_mean;
use crate::spec::template;

const MATCHERS: [&str; 16] = [
    "equals", "regex", "type", "length", "contains", "exists", "absent", "gt", "gte", "lt", "lte", "not", "each",
    "one_of", "increasing", "json",
];

impl Validator<'_> {
    pub(super) fn expectations(&mut self, node: &Node) -> Vec<Expectation> {
        let NodeValue::Map(entries) = &node.value else {
            self.node_error(node, "`expect` maps JSONPaths to matchers, e.g. `$.Messages: { length: 1 }`");
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(key, value)| {
                let path = self.path(&key.name, key.pos);
                let matcher = self.matcher(value);
                Some(Expectation { path: path?, matcher: matcher?, span: self.span(key.pos, key.name.len()) })
            })
            .collect()
    }

    pub(super) fn path(&mut self, text: &str, pos: Pos) -> Option<Selector> {
        match JsonPath::parse(text) {
            Ok(query) => Some(Selector { text: text.to_owned(), query, singular: is_singular(text) }),
            Err(e) => {
                self.error(pos, text.len(), format!("`{text}` is not a JSONPath: {e}"))
                    .help("JSONPath (RFC 9535) starts at `$`, e.g. `$.Messages[0].Body`");
                None
            }
        }
    }

    pub(super) fn matcher(&mut self, node: &Node) -> Option<Matcher> {
        let entries = match &node.value {
            NodeValue::Map(entries) if !entries.is_empty() => entries,
            _ => {
                self.check_template(node);
                return Some(Matcher::Equals(node.clone()));
            }
        };
        if entries.iter().all(|(k, _)| !MATCHERS.contains(&k.name.as_str()) && did_you_mean(&k.name, MATCHERS).is_none()) {
            self.error(entries[0].0.pos, entries[0].0.name.len(), "a mapping here lists matchers; this one names none")
                .help("to compare an object write `equals: { … }`; matchers: equals, regex, type, length, contains, exists, absent, gt, gte, lt, lte, not, each, one_of, increasing");
            return None;
        }
        let mut all = Vec::new();
        for (key, value) in entries {
            let matcher = match key.name.as_str() {
                "equals" | "contains" => {
                    self.check_template(value);
                    Some(if key.name == "equals" { Matcher::Equals(value.clone()) } else { Matcher::Contains(value.clone()) })
                }
                "regex" if value.as_str().is_some_and(|s| s.contains("${")) => {
                    self.check_template(value);
                    // Check the regex syntax with every variable standing for a plain word.
                    let probe = template::render_str(value.as_str().unwrap_or(""), &Default::default())
                        .map(|_| ())
                        .or_else(|_| {
                            let text = value.as_str().unwrap_or("");
                            let segments = template::parse(text).unwrap_or_default();
                            let sample: String = segments
                                .iter()
                                .map(|s| match s {
                                    template::Segment::Text(t) => t.clone(),
                                    template::Segment::Var(_) => "x".into(),
                                })
                                .collect();
                            Regex::new(&sample).map(drop).map_err(|e| e.to_string())
                        });
                    match probe {
                        Ok(()) => Some(Matcher::RegexTemplate(value.as_str().unwrap_or("").to_owned())),
                        Err(e) => {
                            self.node_error(value, format!("invalid regex: {e}"));
                            None
                        }
                    }
                }
                "regex" => match value.as_str().map(Regex::new) {
                    Some(Ok(re)) => Some(Matcher::Regex(re)),
                    Some(Err(e)) => {
                        self.node_error(value, format!("invalid regex: {e}"));
                        None
                    }
                    None => {
                        self.node_error(value, "`regex` takes a string");
                        None
                    }
                },
                "type" => match value.as_str().and_then(JsonType::parse) {
                    Some(t) => Some(Matcher::Type(t)),
                    None => {
                        self.node_error(value, format!("`type` is one of {}", JsonType::NAMES.join(", ")));
                        None
                    }
                },
                "length" => match &value.value {
                    NodeValue::String(_) | NodeValue::Bool(_) | NodeValue::Null | NodeValue::Seq(_) => {
                        self.node_error(value, "`length` takes a count (`length: 3`) or matchers on the count (`length: { gte: 1 }`)");
                        None
                    }
                    _ => self.matcher(value).map(|m| Matcher::Length(Box::new(m))),
                },
                "not" => self.matcher(value).map(|m| Matcher::Not(Box::new(m))),
                "each" => self.matcher(value).map(|m| Matcher::Each(Box::new(m))),
                "json" => Some(Matcher::Json(self.expectations(value))),
                "increasing" => match value.value {
                    NodeValue::Bool(true) => Some(Matcher::Increasing),
                    _ => {
                        self.node_error(value, "`increasing` takes true (to require a non-increasing list, use `not`)");
                        None
                    }
                },
                "exists" | "absent" => match value.value {
                    NodeValue::Bool(b) => Some(if b == (key.name == "exists") { Matcher::Exists } else { Matcher::Absent }),
                    _ => {
                        self.node_error(value, format!("`{}` takes true or false", key.name));
                        None
                    }
                },
                "gt" | "gte" | "lt" | "lte" => {
                    let op = match key.name.as_str() {
                        "gt" => Comparison::Gt,
                        "gte" => Comparison::Gte,
                        "lt" => Comparison::Lt,
                        _ => Comparison::Lte,
                    };
                    let is_reference = value.as_str().is_some_and(|s| {
                        matches!(template::parse(s).as_deref(), Ok([template::Segment::Var(_)]))
                    });
                    match &value.value {
                        NodeValue::Number(_) => Some(Matcher::Compare(op, value.clone())),
                        NodeValue::String(_) if is_reference => {
                            self.check_template(value);
                            Some(Matcher::Compare(op, value.clone()))
                        }
                        _ => {
                            self.node_error(value, format!("`{}` takes a number or a `${{variable}}`", key.name));
                            None
                        }
                    }
                }
                "one_of" => match &value.value {
                    NodeValue::Seq(items) if !items.is_empty() => {
                        items.iter().for_each(|i| self.check_template(i));
                        Some(Matcher::OneOf(items.clone()))
                    }
                    _ => {
                        self.node_error(value, "`one_of` takes a non-empty list of values");
                        None
                    }
                },
                other => {
                    let e = self.error(key.pos, other.len(), format!("unknown matcher `{other}`"));
                    match did_you_mean(other, MATCHERS) {
                        Some(best) => e.help(format!("did you mean `{best}`?")),
                        None => e.help(format!("matchers: {}", MATCHERS.join(", "))),
                    };
                    None
                }
            };
            all.push(matcher?);
        }
        Some(if all.len() == 1 { all.pop().expect("one") } else { Matcher::All(all) })
    }

}

/// Whether a JSONPath can select at most one value (RFC 9535 "singular query"): only names and
/// single indexes, no wildcard, descendant, filter, slice or union.
fn is_singular(path: &str) -> bool {
    let mut quote = None;
    let mut prev = ' ';
    for c in path.chars() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if matches!(c, '*' | '?' | ':' | ',') || (c == '.' && prev == '.') => return false,
            None => {}
        }
        prev = c;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_paths() {
        assert!(is_singular("$.a.b[0]['x.y']"));
        assert!(is_singular("$"));
        assert!(!is_singular("$.a[*].b"));
        assert!(!is_singular("$..b"));
        assert!(!is_singular("$.a[?@.x == 1]"));
        assert!(!is_singular("$.a[0:2]"));
    }
}
