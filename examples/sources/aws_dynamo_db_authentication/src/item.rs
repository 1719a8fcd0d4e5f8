//! DynamoDB's typed attribute values as the destination's values, and a scan's position (its
//! `LastEvaluatedKey`) as JSON the state can hold.
//!
//! An item's attributes become columns, without their type tags:
//!
//! | DynamoDB | column |
//! |---|---|
//! | `S` | STRING |
//! | `N` | STRING, the number's exact text (up to 38 digits and exponents to 125: no Fivetran type holds every DynamoDB number) |
//! | `BOOL` | BOOLEAN |
//! | `B` | BINARY |
//! | `NULL` | NULL |
//! | `SS`, `NS`, `BS` | JSON array of strings (binaries in base64) |
//! | `L`, `M` | JSON array / object, its values untagged the same way (numbers as strings) |

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use connector_core::prelude::*;
use connector_core::serde_json::{Map, Value as Json};

/// An item as a row: one column per attribute, in the order of their names (an item's
/// attributes come in no order, and a new column is added where it is first seen).
pub fn row(item: &HashMap<String, AttributeValue>) -> Row {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    let mut row = Row::new();
    for name in names {
        row.set(name.clone(), column_value(&item[name]));
    }
    row
}

/// One attribute's value as a column's value.
fn column_value(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => Value::String(text.clone()),
        AttributeValue::Bool(flag) => Value::Bool(*flag),
        AttributeValue::B(bytes) => Value::Binary(bytes.as_ref().to_vec()),
        AttributeValue::Null(_) => Value::Null,
        other => Value::Json(json_value(other).to_string()),
    }
}

/// One attribute's value as JSON, without type tags.
fn json_value(value: &AttributeValue) -> Json {
    let strings = |texts: &[String]| Json::from(texts.to_vec());
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => Json::String(text.clone()),
        AttributeValue::Bool(flag) => Json::Bool(*flag),
        AttributeValue::B(bytes) => Json::String(BASE64.encode(bytes.as_ref())),
        AttributeValue::Null(_) => Json::Null,
        AttributeValue::Ss(texts) | AttributeValue::Ns(texts) => strings(texts),
        AttributeValue::Bs(blobs) => blobs
            .iter()
            .map(|b| Json::String(BASE64.encode(b.as_ref())))
            .collect(),
        AttributeValue::L(values) => values.iter().map(json_value).collect(),
        AttributeValue::M(map) => {
            let mut object = Map::new();
            // Sorted, so that the same map is always the same text.
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            for name in names {
                object.insert(name.clone(), json_value(&map[name]));
            }
            Json::Object(object)
        }
        // A type newer than this SDK: kept visible rather than dropped.
        _ => Json::String(format!("{value:?}")),
    }
}

/// A scan's `LastEvaluatedKey` (key attributes only: `S`, `N` or `B`) as tagged JSON,
/// `{"id": {"S": "a"}, "n": {"N": "1"}}`, for the state.
pub fn key_to_json(key: &HashMap<String, AttributeValue>) -> Result<Map<String, Json>> {
    key.iter()
        .map(|(name, value)| {
            let tagged = match value {
                AttributeValue::S(text) => json!({"S": text}),
                AttributeValue::N(text) => json!({"N": text}),
                AttributeValue::B(bytes) => json!({"B": BASE64.encode(bytes.as_ref())}),
                other => bail!("the key attribute {name} is {other:?}, not S, N or B"),
            };
            Ok((name.clone(), tagged))
        })
        .collect()
}

/// The `LastEvaluatedKey` [`key_to_json`] saved.
pub fn key_from_json(key: &Map<String, Json>) -> Result<HashMap<String, AttributeValue>> {
    key.iter()
        .map(|(name, tagged)| {
            let text = |tag: &str| tagged.get(tag).and_then(Json::as_str).map(str::to_owned);
            let value = if let Some(text) = text("S") {
                AttributeValue::S(text)
            } else if let Some(text) = text("N") {
                AttributeValue::N(text)
            } else if let Some(text) = text("B") {
                AttributeValue::B(Blob::new(BASE64.decode(text).with_context(|| {
                    format!("the saved key attribute {name} is not base64")
                })?))
            } else {
                bail!("the saved key attribute {name} is {tagged}, not S, N or B");
            };
            Ok((name.clone(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(attributes: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        attributes
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn every_attribute_type_becomes_an_untagged_column() {
        use AttributeValue as A;
        let row = row(&item(&[
            ("s", A::S("text".into())),
            ("n", A::N("12345678901234567890123456789012345678".into())),
            ("small", A::N("-1.5E-130".into())),
            ("bool", A::Bool(true)),
            ("b", A::B(Blob::new(b"\x00\xffbytes".to_vec()))),
            ("null", A::Null(true)),
            ("ss", A::Ss(vec!["a".into(), "b'c".into()])),
            ("ns", A::Ns(vec!["1".into(), "2.5".into()])),
            ("bs", A::Bs(vec![Blob::new(b"hi".to_vec())])),
            (
                "l",
                A::L(vec![A::S("x".into()), A::N("1".into()), A::Null(true)]),
            ),
            (
                "m",
                A::M(HashMap::from([
                    ("z".to_string(), A::Bool(false)),
                    ("a".to_string(), A::L(vec![A::N("7".into())])),
                ])),
            ),
        ]));
        let get = |column: &str| row.get(column).cloned().unwrap();
        assert_eq!(get("s"), Value::String("text".into()));
        // Numbers keep their exact text, beyond what a DECIMAL(38) or a DOUBLE holds.
        assert_eq!(
            get("n"),
            Value::String("12345678901234567890123456789012345678".into())
        );
        assert_eq!(get("small"), Value::String("-1.5E-130".into()));
        assert_eq!(get("bool"), Value::Bool(true));
        assert_eq!(get("b"), Value::Binary(b"\x00\xffbytes".to_vec()));
        // The Python original wrote True here.
        assert_eq!(get("null"), Value::Null);
        // The Python original wrote Python's repr, "['a', \"b'c\"]".
        assert_eq!(get("ss"), Value::Json(r#"["a","b'c"]"#.into()));
        assert_eq!(get("ns"), Value::Json(r#"["1","2.5"]"#.into()));
        assert_eq!(get("bs"), Value::Json(r#"["aGk="]"#.into()));
        // The original: "[{'S': 'x'}, {'N': '1'}, {'NULL': True}]".
        assert_eq!(get("l"), Value::Json(r#"["x","1",null]"#.into()));
        // The original kept the tags: {"z": {"BOOL": false}, "a": {"L": [{"N": "7"}]}}.
        assert_eq!(get("m"), Value::Json(r#"{"a":["7"],"z":false}"#.into()));
        assert_eq!(row.len(), 11);
        // Columns in the order of the attributes' names, whatever the item's order.
        let names: Vec<&str> = row.iter().map(|(name, _)| name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn a_scan_position_survives_the_state() {
        let key = item(&[
            ("id", AttributeValue::S("a-1".into())),
            ("line", AttributeValue::N("3".into())),
            ("raw", AttributeValue::B(Blob::new(vec![0, 1, 254]))),
        ]);
        let saved = key_to_json(&key).unwrap();
        assert_eq!(saved["line"], json!({"N": "3"}));
        assert_eq!(saved["raw"], json!({"B": "AAH+"}));
        let text = Json::Object(saved).to_string();
        let loaded: Map<String, Json> = connector_core::serde_json::from_str(&text).unwrap();
        assert_eq!(key_from_json(&loaded).unwrap(), key);
    }

    #[test]
    fn a_key_attribute_of_another_type_is_refused() {
        let key = item(&[("flag", AttributeValue::Bool(true))]);
        let error = key_to_json(&key).unwrap_err().to_string();
        assert!(
            error.contains("the key attribute flag is Bool(true)"),
            "{error}"
        );
        let bad = json!({"id": {"BOOL": true}});
        let error = key_from_json(bad.as_object().unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.contains("not S, N or B"), "{error}");
    }
}
