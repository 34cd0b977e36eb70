//! Evaluates a spec's expectations against a response body.

use serde_json::Value;

use crate::spec::template::{self, Vars};
use crate::spec::{Comparison, Expectation, JsonType, Matcher, Selector};

/// The verdict on one expectation, kept for reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    pub path: String,
    pub passed: bool,
    /// What was expected and what was found, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub fn check(expectation: &Expectation, body: &Value, vars: &Vars) -> CheckResult {
    let actual = select(&expectation.path, body);
    let outcome = evaluate(&expectation.matcher, actual.as_ref(), vars);
    CheckResult { path: expectation.path.text.clone(), passed: outcome.is_ok(), detail: outcome.err() }
}

/// The value a selector picks: the one value of a singular query (None if absent), or the list of
/// every match of any other query.
pub fn select(selector: &Selector, body: &Value) -> Option<Value> {
    let nodes = selector.query.query(body);
    if selector.singular {
        nodes.at_most_one().ok().flatten().cloned()
    } else {
        Some(Value::Array(nodes.all().into_iter().cloned().collect()))
    }
}

/// What one answer adds to a `collect` step's collection: the matches of a wildcard path, or the
/// elements of the list a plain path names.
pub fn gather(selector: &Selector, body: &Value) -> Vec<Value> {
    match select(selector, body) {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

/// `Ok` when `actual` satisfies the matcher, else a sentence saying why not.
pub fn evaluate(matcher: &Matcher, actual: Option<&Value>, vars: &Vars) -> Result<(), String> {
    let render = |node| template::render(node, vars);
    match matcher {
        Matcher::Exists => match actual {
            Some(Value::Array(items)) if items.is_empty() => Err("expected a value, found no match".into()),
            Some(_) => Ok(()),
            None => Err("expected a value, found none".into()),
        },
        Matcher::Absent => match actual {
            None => Ok(()),
            Some(Value::Array(items)) if items.is_empty() => Ok(()),
            Some(v) => Err(format!("expected no value, found {}", brief(v))),
        },
        Matcher::Not(inner) => match evaluate(inner, actual, vars) {
            Ok(()) => Err(format!("expected not {}, but it was: {}", describe(inner, vars), actual.map_or("absent".into(), brief))),
            Err(_) => Ok(()),
        },
        Matcher::All(all) => all.iter().try_for_each(|m| evaluate(m, actual, vars)),
        _ => {
            let Some(actual) = actual else {
                return Err(format!("expected {}, found no value", describe(matcher, vars)));
            };
            match matcher {
                Matcher::Equals(node) => {
                    let expected = render(node)?;
                    ensure(json_equal(&expected, actual), || format!("expected {}, found {}", brief(&expected), brief(actual)))
                }
                Matcher::OneOf(nodes) => {
                    let options = nodes.iter().map(render).collect::<Result<Vec<_>, _>>()?;
                    ensure(options.iter().any(|o| json_equal(o, actual)), || {
                        format!("expected one of {}, found {}", brief(&Value::Array(options.clone())), brief(actual))
                    })
                }
                Matcher::RegexTemplate(text) => {
                    let pattern: String = template::parse(text)?
                        .into_iter()
                        .map(|segment| match segment {
                            template::Segment::Text(t) => Ok(t),
                            template::Segment::Var(name) => match vars.get(&name) {
                                Some(Value::String(v)) => Ok(regex::escape(v)),
                                Some(other) => Ok(regex::escape(&other.to_string())),
                                None => Err(format!("variable `{name}` has no value")),
                            },
                        })
                        .collect::<Result<_, String>>()?;
                    let re = regex::Regex::new(&pattern).map_err(|e| e.to_string())?;
                    evaluate(&Matcher::Regex(re), Some(actual), vars)
                }
                Matcher::Regex(re) => match actual {
                    Value::String(s) => ensure(re.is_match(s), || format!("expected to match /{re}/, found {}", brief(actual))),
                    other => Err(format!("expected a string matching /{re}/, found {}", brief(other))),
                },
                Matcher::Type(ty) => {
                    ensure(has_type(actual, *ty), || format!("expected {}, found {}", describe(matcher, vars), brief(actual)))
                }
                Matcher::Length(inner) => {
                    let len = match actual {
                        Value::Array(a) => a.len(),
                        Value::String(s) => s.chars().count(),
                        Value::Object(o) => o.len(),
                        other => return Err(format!("expected something with a length, found {}", brief(other))),
                    };
                    evaluate(inner, Some(&Value::from(len)), vars).map_err(|e| format!("length: {e} (value: {})", brief(actual)))
                }
                Matcher::Contains(node) => {
                    let expected = render(node)?;
                    let found = match (actual, &expected) {
                        (Value::Array(items), e) => items.iter().any(|i| json_equal(i, e) || is_subset(e, i)),
                        (Value::String(s), Value::String(e)) => s.contains(e.as_str()),
                        (Value::Object(_), e @ Value::Object(_)) => is_subset(e, actual),
                        _ => false,
                    };
                    ensure(found, || format!("expected to contain {}, found {}", brief(&expected), brief(actual)))
                }
                Matcher::Compare(op, bound) => {
                    let bound = &as_number(&render(bound)?).ok_or_else(|| format!("the bound of {} is not a number", describe(matcher, vars)))?;
                    let Some(n) = as_number(actual) else {
                        return Err(format!("expected a number {}, found {}", describe(matcher, vars), brief(actual)));
                    };
                    let ok = match op {
                        Comparison::Gt => n > *bound,
                        Comparison::Gte => n >= *bound,
                        Comparison::Lt => n < *bound,
                        Comparison::Lte => n <= *bound,
                    };
                    ensure(ok, || format!("expected {}, found {}", describe(matcher, vars), brief(actual)))
                }
                Matcher::Each(inner) => match actual {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .try_for_each(|(i, item)| evaluate(inner, Some(item), vars).map_err(|e| format!("[{i}]: {e}"))),
                    other => Err(format!("expected a list, found {}", brief(other))),
                },
                Matcher::Increasing => match actual {
                    Value::Array(items) => items.windows(2).enumerate().try_for_each(|(i, pair)| {
                        ensure(order(&pair[0], &pair[1]) == Some(std::cmp::Ordering::Less), || {
                            format!("expected strictly increasing, but [{i}] {} is not below [{}] {}", brief(&pair[0]), i + 1, brief(&pair[1]))
                        })
                    }),
                    other => Err(format!("expected an increasing list, found {}", brief(other))),
                },
                Matcher::Json(expectations) => {
                    let Value::String(text) = actual else { return Err(format!("expected a string holding JSON, found {}", brief(actual))) };
                    let document: Value = serde_json::from_str(text).map_err(|e| format!("expected JSON, found {} ({e})", brief(actual)))?;
                    expectations.iter().map(|e| check(e, &document, vars)).find(|c| !c.passed).map_or(Ok(()), |c| {
                        Err(format!("in its JSON, {}: {}", c.path, c.detail.unwrap_or_default()))
                    })
                }
                Matcher::Exists | Matcher::Absent | Matcher::Not(_) | Matcher::All(_) => unreachable!("handled above"),
            }
        }
    }
}

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

/// Equality where numbers compare by value (1 == 1.0), as JSON intends.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Every key of `expected` is in `actual` with an equal (or, for objects, recursively contained) value.
fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.iter().all(|(k, v)| a.get(k).is_some_and(|w| json_equal(v, w) || is_subset(v, w)))
        }
        _ => false,
    }
}

/// Numbers, and numeric strings: SQS returns attribute values such as counts as strings.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Orders numbers by value and strings of digits (128-bit sequence numbers) by magnitude, without
/// the precision loss of converting them to floats; other strings compare as text.
fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) if digits(x) && digits(y) => {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            Some(x.len().cmp(&y.len()).then_with(|| x.cmp(y)))
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn has_type(v: &Value, ty: JsonType) -> bool {
    match ty {
        JsonType::String => v.is_string(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Array => v.is_array(),
        JsonType::Object => v.is_object(),
        JsonType::Null => v.is_null(),
    }
}

pub fn describe(m: &Matcher, vars: &Vars) -> String {
    let shown = |n: &crate::spec::node::Node| brief(&template::render(n, vars).unwrap_or_else(|_| n.to_json()));
    match m {
        Matcher::Equals(n) => shown(n),
        Matcher::RegexTemplate(t) => format!("/{t}/"),
        Matcher::Regex(re) => format!("/{re}/"),
        Matcher::Type(t) => format!("type {t:?}").to_lowercase(),
        Matcher::Length(inner) => format!("length {}", describe(inner, vars)),
        Matcher::Contains(n) => format!("contains {}", shown(n)),
        Matcher::Exists => "a value".into(),
        Matcher::Absent => "no value".into(),
        Matcher::Compare(op, n) => format!("{} {}", match op {
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
        }, shown(n)),
        Matcher::Not(inner) => format!("not {}", describe(inner, vars)),
        Matcher::Each(inner) => format!("each {}", describe(inner, vars)),
        Matcher::OneOf(nodes) => format!("one of [{}]", nodes.iter().map(shown).collect::<Vec<_>>().join(", ")),
        Matcher::Increasing => "strictly increasing".into(),
        Matcher::Json(expectations) => format!("JSON where {}", expectations.iter().map(|e| format!("{} is {}", e.path.text, describe(&e.matcher, vars))).collect::<Vec<_>>().join(", ")),
        Matcher::All(all) => all.iter().map(|m| describe(m, vars)).collect::<Vec<_>>().join(" and "),
    }
}

/// A value short enough for a one-line failure message.
pub fn brief(v: &Value) -> String {
    const MAX: usize = 160;
    let text = v.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load_one as load_str;
    use serde_json::json;

    /// Runs the expectations of a one-step spec against `body`.
    fn verdicts(expect: &str, body: Value) -> Vec<CheckResult> {
        let text = format!(
            "id: t\ntitle: t\nsource: https://x\nsteps:\n  - call: sqs.ListQueues\n    expect:\n{}",
            expect.lines().map(|l| format!("      {l}\n")).collect::<String>()
        );
        let spec = load_str("t.yaml", &text).unwrap_or_else(|e| panic!("{e:?}"));
        let crate::spec::Action::Call(call) = &spec.steps[0].action else { panic!() };
        let vars: Vars = [("prefix".to_string(), json!("p"))].into();
        call.expect.iter().map(|e| check(e, &body, &vars)).collect()
    }

    fn passes(expect: &str, body: Value) -> bool {
        verdicts(expect, body).iter().all(|c| c.passed)
    }

    #[test]
    fn scalars_compare_for_equality_with_variables() {
        assert!(passes("$.a: 1", json!({"a": 1.0})));
        assert!(passes("$.a: \"${prefix}-x\"", json!({"a": "p-x"})));
        assert!(!passes("$.a: \"1\"", json!({"a": 1})));
        let v = verdicts("$.a: 2", json!({"a": 1}));
        assert_eq!(v[0].detail.as_deref(), Some("expected 2, found 1"));
    }

    #[test]
    fn json_matches_inside_a_string_that_holds_json() {
        let body = json!({ "Body": "{\"Type\": \"Notification\", \"Message\": \"hi\"}" });
        assert!(passes("$.Body: { json: { $.Type: Notification, $.Message: { regex: '^h' } } }", body.clone()));
        let v = verdicts("$.Body: { json: { $.Type: Other } }", body);
        assert_eq!(v[0].detail.as_deref(), Some("in its JSON, $.Type: expected \"Other\", found \"Notification\""));
        assert!(!passes("$.Body: { json: { $.a: 1 } }", json!({ "Body": "not json" })));
    }

    #[test]
    fn missing_values_fail_except_for_absent() {
        assert!(!passes("$.a: 1", json!({})));
        assert!(passes("$.a: { absent: true }", json!({})));
        assert!(!passes("$.a: { absent: true }", json!({"a": null})));
        assert!(passes("$.a: { exists: true }", json!({"a": null})));
    }

    #[test]
    fn length_type_regex_compare() {
        let body = json!({"m": [{"b": "hi"}, {"b": "ho"}], "n": "12"});
        assert!(passes("$.m: { length: 2, type: array }", body.clone()));
        assert!(passes("$.m: { length: { gte: 1, lt: 3 } }", body.clone()));
        assert!(!passes("$.m: { length: 3 }", body.clone()));
        assert!(passes("$.m[*].b: { each: { regex: '^h' } }", body.clone()));
        assert!(passes("$.m[*].b: [hi, ho]", body.clone()));
        assert!(!passes("$.m[*].b: [ho, hi]", body.clone()));
        assert!(passes("$.n: { gt: 11 }", body.clone()));
        assert!(passes("$.n: { type: string, not: { regex: x } }", body.clone()));
        assert!(!passes("$.n: { type: integer }", body.clone()));
        assert!(passes("$.m[?@.b == 'ho']: { length: 1 }", body));
    }

    #[test]
    fn increasing_compares_sequence_numbers_exactly() {
        let seqs = json!({"s": ["49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899", "49590338271490256608559692540925702759324208523137515618"]});
        assert!(passes("$.s: { increasing: true }", seqs));
        assert!(!passes("$.s: { increasing: true }", json!({"s": ["2", "10", "10"]})));
        assert!(passes("$.s: { increasing: true }", json!({"s": ["2", "10", "11"]})));
        assert!(passes("$.s: { increasing: true }", json!({"s": [1, 2.5, 3]})));
    }

    #[test]
    fn variables_in_bounds_and_regexes() {
        // ${prefix} is "p" in these tests.
        assert!(passes("$.name: { regex: '^${prefix}-q\\.fifo$' }", json!({"name": "p-q.fifo"})));
        assert!(!passes("$.name: { regex: '^${prefix}-q\\.fifo$' }", json!({"name": "pxq.fifo"})));
        let vars_bound = verdicts("$.n: { not: \"${prefix}\" }", json!({"n": "p"}));
        assert_eq!(vars_bound[0].detail.as_deref(), Some("expected not \"p\", but it was: \"p\""));
    }

    #[test]
    fn contains_and_one_of() {
        let body = json!({"items": [{"k": {"S": "a"}, "v": 1}], "s": "hello world"});
        assert!(passes("$.items: { contains: { k: { S: a } } }", body.clone()));
        assert!(!passes("$.items: { contains: { k: { S: b } } }", body.clone()));
        assert!(passes("$.s: { contains: world }", body.clone()));
        assert!(passes("$.s: { one_of: [x, hello world] }", body.clone()));
        assert!(passes("$.items[0]: { equals: { k: { S: a }, v: 1 } }", body));
    }
}
