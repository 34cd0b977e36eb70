//! A YAML value tree in which every node remembers where it stood.
//!
//! serde-saphyr gives spans through `Spanned<T>` but has no DOM; free-form parts of a spec (request
//! bodies, expected values, queue attributes) are read into this tree so that a problem found later,
//! like an undefined `${variable}`, can still point at its line and column.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use serde_saphyr::Spanned;

/// A position as serde-saphyr reports it: 1-based line and character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl Pos {
    pub fn of<T>(spanned: &Spanned<T>) -> Self {
        Self { line: spanned.referenced.line(), column: spanned.referenced.column() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Node>),
    /// Keys keep their own positions, for "unknown key" errors.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub pos: Pos,
    pub name: String,
}

impl Node {
    /// The plain JSON value, positions dropped.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect())
            }
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        Ok(Node { pos: Pos::of(&spanned), value: spanned.value })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<NodeValue, E> {
        Number::from_f64(n).map(NodeValue::Number).ok_or_else(|| E::custom("NaN and infinity are not JSON numbers"))
    }
    fn visit_str<E>(self, s: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Node>()?;
            entries.push((Key { pos: Pos::of(&key), name: key.value }, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

impl crate::model::Tree for Node {
    fn kind(&self) -> crate::model::TreeKind<'_, Self> {
        use crate::model::TreeKind;
        use crate::spec::generate::Generator;
        // A malformed generator is reported by the validator; here it is taken as the mapping it is.
        match crate::spec::generate::generator(self) {
            Some(Ok(Generator::List { count, item })) => return TreeKind::Repeated(count, item),
            Some(Ok(Generator::Text { bytes, .. })) => return TreeKind::Text(Some(bytes)),
            Some(Ok(Generator::String(_))) => return TreeKind::Text(None),
            Some(Ok(Generator::Number(_))) => return TreeKind::Number,
            _ => {}
        }
        match &self.value {
            NodeValue::Null => TreeKind::Null,
            NodeValue::Bool(_) => TreeKind::Bool,
            NodeValue::Number(n) if n.is_i64() || n.is_u64() => TreeKind::Integer(n.as_f64().unwrap_or_default()),
            NodeValue::Number(_) => TreeKind::Float,
            NodeValue::String(s) => TreeKind::String(s),
            NodeValue::Seq(items) => TreeKind::Seq(items.iter().collect()),
            NodeValue::Map(entries) => TreeKind::Map(entries.iter().map(|(k, v)| (k.name.as_str(), v)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_nested_values_and_keys() {
        let node: Node = serde_saphyr::from_str("a:\n  b: [1, \"x\"]\n  c: true\n").unwrap();
        let NodeValue::Map(top) = &node.value else { panic!() };
        let NodeValue::Map(inner) = &top[0].1.value else { panic!() };
        assert_eq!(inner[0].0.pos, Pos { line: 2, column: 3 });
        let NodeValue::Seq(items) = &inner[0].1.value else { panic!() };
        assert_eq!(items[1].pos, Pos { line: 2, column: 10 });
        assert_eq!(node.to_json(), serde_json::json!({"a": {"b": [1, "x"], "c": true}}));
    }
}
