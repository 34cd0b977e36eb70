//! The AWS query protocol (SNS): a request is a form of `Action`, `Version` and the members
//! flattened by AWS's model (`Attributes.entry.1.key`, `Tags.member.1.Key`); a response is XML that
//! the model turns back into the JSON a spec reads (`$.MessageId`), as the SDKs do. So specs write
//! SNS requests and expectations exactly as they do for the JSON services.

use serde_json::{Map, Value};

use crate::model::{Model, Shape, ShapeRef};

/// The form body of `operation` with `request` (JSON shaped like the operation's input).
pub fn encode(model: &Model, operation: &str, request: &Value) -> String {
    let mut pairs = vec![("Action".to_owned(), operation.to_owned()), ("Version".to_owned(), model.metadata.api_version.clone())];
    let input = model.operation(operation).and_then(|o| o.input.as_ref()).map(|r| r.shape.as_str());
    flatten(model, input, request, "", &mut pairs);
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn flatten(model: &Model, shape: Option<&str>, value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let shape = shape.and_then(|s| model.shape(s));
    match (value, shape) {
        (Value::Object(members), Some(Shape::Structure { members: declared, .. })) => {
            for (name, v) in members {
                let member = declared.get(name);
                let wire = member.and_then(|m| m.location_name.as_deref()).unwrap_or(name);
                flatten(model, member.map(|m| m.shape.as_str()), v, &join(prefix, wire), out);
            }
        }
        (Value::Object(entries), Some(Shape::Map { key, value: v, flattened })) => {
            let entry = if *flattened { prefix.to_owned() } else { join(prefix, "entry") };
            for (i, (k, item)) in entries.iter().enumerate() {
                let at = join(&entry, &(i + 1).to_string());
                out.push((join(&at, key.location_name.as_deref().unwrap_or("key")), k.clone()));
                flatten(model, Some(&v.shape), item, &join(&at, v.location_name.as_deref().unwrap_or("value")), out);
            }
        }
        (Value::Array(items), Some(Shape::List { member, flattened, .. })) => {
            if items.is_empty() {
                out.push((prefix.to_owned(), String::new()));
            }
            let base = if *flattened { prefix.to_owned() } else { join(prefix, member.location_name.as_deref().unwrap_or("member")) };
            for (i, item) in items.iter().enumerate() {
                flatten(model, Some(&member.shape), item, &join(&base, &(i + 1).to_string()), out);
            }
        }
        // A member the model does not know is sent as written: a spec may send what AWS refuses.
        (Value::Object(members), _) => {
            for (name, v) in members {
                flatten(model, None, v, &join(prefix, name), out);
            }
        }
        (Value::Array(items), _) => {
            for (i, item) in items.iter().enumerate() {
                flatten(model, None, item, &join(&join(prefix, "member"), &(i + 1).to_string()), out);
            }
        }
        (Value::Null, _) => {}
        (Value::String(s), _) => out.push((prefix.to_owned(), s.clone())),
        (other, _) => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// An XML element: its name, its text and its child elements.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn parse_xml(text: &str) -> Result<Element, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(start) => {
                stack.push(Element { name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(), ..Default::default() })
            }
            Event::Empty(empty) => {
                let name = String::from_utf8_lossy(empty.local_name().as_ref()).into_owned();
                stack.last_mut().expect("root").children.push(Element { name, ..Default::default() });
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                let text = quick_xml::escape::unescape(&text).map_err(|e| e.to_string())?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::CData(c) => stack.last_mut().expect("root").text.push_str(&String::from_utf8_lossy(&c)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let resolved = quick_xml::escape::unescape(&format!("&{name};")).map_err(|e| e.to_string())?.into_owned();
                stack.last_mut().expect("root").text.push_str(&resolved);
            }
            Event::End(_) => {
                let done = stack.pop().expect("balanced");
                stack.last_mut().ok_or("unbalanced XML")?.children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or("no XML")?;
    if !stack.is_empty() {
        return Err("unclosed XML element".into());
    }
    root.children.pop().ok_or_else(|| "no XML element".to_owned())
}

/// A success body as JSON, by the operation's output shape: `None` when it is not XML.
pub fn decode(model: &Model, operation: &str, xml: &str) -> Option<Value> {
    let root = parse_xml(xml).ok()?;
    let output = model.operation(operation).and_then(|o| o.output.as_ref());
    let Some(output) = output else { return Some(Value::Object(Map::new())) };
    let result = output.result_wrapper.as_deref().and_then(|w| root.child(w)).unwrap_or(&root);
    Some(read(model, &output.shape, result))
}

fn read(model: &Model, shape: &str, element: &Element) -> Value {
    match model.shape(shape) {
        Some(Shape::Structure { members, .. }) => Value::Object(
            members
                .iter()
                .filter_map(|(name, member)| {
                    let wire = member.location_name.as_deref().unwrap_or(name);
                    read_member(model, member, element, wire).map(|v| (name.clone(), v))
                })
                .collect(),
        ),
        Some(Shape::List { member, .. }) => {
            let tag = member.location_name.as_deref().unwrap_or("member");
            Value::Array(element.children.iter().filter(|c| c.name == tag).map(|c| read(model, &member.shape, c)).collect())
        }
        Some(Shape::Map { key, value, .. }) => Value::Object(
            element
                .children
                .iter()
                .filter(|c| c.name == "entry")
                .filter_map(|entry| {
                    let k = entry.child(key.location_name.as_deref().unwrap_or("key"))?.text.clone();
                    let v = entry.child(value.location_name.as_deref().unwrap_or("value")).map(|v| read(model, &value.shape, v));
                    Some((k, v.unwrap_or(Value::Null)))
                })
                .collect(),
        ),
        Some(Shape::Integer { .. } | Shape::Long { .. } | Shape::Double | Shape::Float) => {
            element.text.trim().parse::<serde_json::Number>().map(Value::Number).unwrap_or_else(|_| Value::String(element.text.clone()))
        }
        Some(Shape::Boolean) => Value::Bool(element.text.trim() == "true"),
        _ => Value::String(element.text.clone()),
    }
}

fn read_member(model: &Model, member: &ShapeRef, parent: &Element, wire: &str) -> Option<Value> {
    match model.shape(&member.shape) {
        // A flattened list repeats its elements under the member's own name.
        Some(Shape::List { flattened: true, member: item, .. }) => {
            let items: Vec<Value> = parent.children.iter().filter(|c| c.name == wire).map(|c| read(model, &item.shape, c)).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        _ => parent.child(wire).map(|e| read(model, &member.shape, e)),
    }
}

/// An error response: `(code on the wire, its shape name in the model, message)`, and the body
/// as JSON for reports.
pub fn decode_error(model: &Model, xml: &str) -> Option<(String, String, Option<String>, Value)> {
    let root = parse_xml(xml).ok()?;
    let error = root.child("Error")?;
    let code = error.child("Code")?.text.trim().to_owned();
    let message = error.child("Message").map(|m| m.text.clone());
    // The model names the error shape; the wire carries its code (`NotFound` for NotFoundException).
    let shape = model
        .shapes
        .iter()
        .find(|(name, s)| matches!(s, Shape::Structure { error: Some(e), .. } if e.code.as_deref() == Some(&code)) || **name == code)
        .map_or_else(|| code.clone(), |(name, _)| name.clone());
    let mut body = Map::new();
    for field in ["Type", "Code", "Message"] {
        if let Some(e) = error.child(field) {
            body.insert(field.to_owned(), Value::String(e.text.clone()));
        }
    }
    Some((code, shape, message, serde_json::json!({ "Error": body })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sns() -> &'static Model {
        crate::model::of("sns").expect("vendored")
    }

    #[test]
    fn requests_flatten_by_the_model() {
        let form = encode(
            sns(),
            "Publish",
            &json!({ "TopicArn": "arn:t", "Message": "hi & bye", "MessageAttributes": { "color": { "DataType": "String", "StringValue": "red" } } }),
        );
        let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Action"), Some("Publish"));
        assert_eq!(get("Version"), Some("2010-03-31"));
        assert_eq!(get("Message"), Some("hi & bye"));
        assert_eq!(get("MessageAttributes.entry.1.Name"), Some("color"));
        assert_eq!(get("MessageAttributes.entry.1.Value.StringValue"), Some("red"));
        let tags = encode(sns(), "CreateTopic", &json!({ "Name": "t", "Tags": [{ "Key": "k", "Value": "v" }], "Attributes": { "FifoTopic": "true" } }));
        assert!(tags.contains("Tags.member.1.Key=k") && tags.contains("Attributes.entry.1.key=FifoTopic"), "{tags}");
    }

    #[test]
    fn responses_read_back_as_the_json_a_spec_expects() {
        let xml = r#"<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics><member><TopicArn>arn:a</TopicArn></member><member><TopicArn>arn:b</TopicArn></member></Topics></ListTopicsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>"#;
        assert_eq!(decode(sns(), "ListTopics", xml), Some(json!({ "Topics": [{ "TopicArn": "arn:a" }, { "TopicArn": "arn:b" }] })));
        let attrs = r#"<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes><entry><key>FifoTopic</key><value>true</value></entry></Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>"#;
        assert_eq!(decode(sns(), "GetTopicAttributes", attrs), Some(json!({ "Attributes": { "FifoTopic": "true" } })));
        assert_eq!(decode(sns(), "Publish", "not xml <"), None);
    }

    #[test]
    fn errors_name_their_shape_and_keep_the_wire_code() {
        let xml = r#"<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
        let (code, shape, message, _) = decode_error(sns(), xml).unwrap();
        assert_eq!((code.as_str(), shape.as_str(), message.as_deref()), ("NotFound", "NotFoundException", Some("Topic does not exist")));
    }
}
