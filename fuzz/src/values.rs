//! `Row` and `Value`: rows read from JSON two ways agree; a value coerced to a declared type has
//! that type and coerces to itself; an inferred column's values all widen to the column's type;
//! a value survives the wire; and `serve`'s hand-written `Records` encoder and prost's generated
//! `Record` give the same record, each read back by the other's decoder.
//!
//! The first byte picks the half: even, the rest is JSON text for `Row`; odd, the rest is read
//! by `arbitrary` as values and a declared type.

use std::borrow::Cow;
use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use connector_core::__internal::destination::{Column, fit};
use connector_core::__internal::grpc::{Records, read, wire};
use connector_core::__internal::proto;
use connector_core::__internal::{Cells, Record, RecordKind, TableRef};
use connector_core::chrono::{DateTime, NaiveDate};
use connector_core::{CoerceError, DataType, Decimal, Row, TableSchema, Value};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};

pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        rows_from_json(&String::from_utf8_lossy(rest));
        return;
    }
    let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(rest)) else {
        return;
    };
    let target = case.target.data_type();
    let values: Vec<Value> = case.values.into_iter().map(ArbValue::value).collect();
    for value in &values {
        coerce(value, target);
        assert_same(
            &read::value_from_wire(wire::value(value.clone())).expect("a value reads back"),
            value,
        );
    }
    widen(&values);
    encoders_agree(&values, case.kind, case.dropped);
}

/// A row read straight from JSON text is the row read through `serde_json::Value`.
pub fn rows_from_json(text: &str) {
    let direct = serde_json::from_str::<Row>(text);
    let through = serde_json::from_str::<serde_json::Value>(text).map(Row::from_json);
    match (direct, through) {
        (Ok(direct), Ok(Ok(through))) => {
            assert_eq!(direct.len(), through.len(), "{text:?}");
            for (name, value) in through.iter() {
                assert_same(direct.get(name).expect("every member"), value);
            }
        }
        (Err(_), Err(_) | Ok(Err(_))) => {}
        (direct, through) => {
            panic!("{text:?}: read straight {direct:?}, through a Value {through:?}")
        }
    }
}

/// Coercion gives a value of the declared type, which coerces to itself; a refusal names the
/// types only.
pub fn coerce(value: &Value, target: DataType) {
    match value.clone().coerce_to(target) {
        Ok(coerced) => {
            assert!(
                has_type(&coerced, target),
                "{value:?} as {target}: {coerced:?}"
            );
            let again = coerced
                .clone()
                .coerce_to(target)
                .expect("a coerced value fits");
            assert_same(&again, &coerced);
        }
        Err(CoerceError::DoesNotFit {
            value: kind,
            target: to,
        }) => {
            assert_eq!(to, target);
            assert_eq!(kind, describe(value));
        }
        Err(CoerceError::NotJson { value: kind }) => {
            assert_eq!(target, DataType::Json);
            assert!(matches!(value, Value::Json(_)), "{value:?}");
            assert_eq!(kind, describe(value));
        }
    }
}

/// An inferred column (`fit`) takes each value but JSON that is not a document; its type is the
/// widened type of its values, or DOUBLE where that is a DECIMAL without room for the integer
/// digits of a number it held; every value it held converts to it; and the values in reverse
/// order end in the same type.
pub fn widen(values: &[Value]) {
    let new_column = || Column {
        name: "c".into(),
        data_type: None,
        declared: false,
        primary_key: false,
        target_type: None,
        integer_digits: 0,
    };
    // JSON as `coerce_to(JSON)` reads it, as in the property test (a number past f64 is one).
    let document = |v: &Value| {
        !matches!(v, Value::Json(text)
            if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err())
    };
    let mut column = new_column();
    let mut held = Vec::new();
    for value in values {
        match fit(&mut column, value.clone(), "t") {
            Ok(fitted) => {
                assert!(document(value), "{value:?} taken as {fitted:?}");
                let now = column.data_type;
                assert!(
                    value.is_null() || now.is_some_and(|t| has_type(&fitted, t)),
                    "{value:?} in a column now {now:?}: {fitted:?}"
                );
                held.push(value);
            }
            Err(why) => assert!(!document(value), "{value:?} refused: {why}"),
        }
    }
    let joined = held
        .iter()
        .filter_map(|v| v.data_type())
        .reduce(DataType::widen);
    assert!(
        column.data_type == joined
            || (matches!(joined, Some(DataType::Decimal { .. }))
                && column.data_type == Some(DataType::Double)),
        "{values:?}: {:?}, joined {joined:?}",
        column.data_type
    );
    if let Some(end) = column.data_type {
        for value in held {
            let widened = value.clone().widen_to(end);
            assert!(
                has_type(&widened, end),
                "{value:?} in a column of {end}: {widened:?}"
            );
        }
    }
    let mut reversed = new_column();
    for value in values.iter().rev() {
        let _ = fit(&mut reversed, value.clone(), "t");
    }
    assert_eq!(reversed.data_type, column.data_type, "{values:?}");
}

/// The hand-written encoder and prost's agree, and each decoder reads the other's bytes.
pub fn encoders_agree(values: &[Value], kind: u8, dropped: u8) {
    let names: Vec<String> = (0..values.len()).map(|i| format!("c{i}")).collect();
    let table = TableRef::from(TableSchema::new("t").in_schema("s"));
    let kind = [
        RecordKind::Upsert,
        RecordKind::Update,
        RecordKind::Delete,
        RecordKind::Truncate,
    ][usize::from(kind % 4)];
    let cells = if kind == RecordKind::Truncate {
        Cells::None
    } else {
        Cells::Named(
            names
                .iter()
                .zip(values)
                .map(|(n, v)| (Cow::Owned(n.clone()), v.clone()))
                .collect(),
        )
    };
    let record = Record { table, kind, cells };
    let dropped = format!("c{dropped}");
    let keep = |name: &str| name != dropped;

    let mut ours = Records::default();
    ours.push_record(&record, keep, &mut Default::default());
    let generated = wire::record(record.clone(), keep);

    // Ours, read by prost.
    let decoded = ours.records().expect("prost reads our bytes");
    assert_eq!(decoded.len(), 1);
    assert_eq!(canonical(&decoded[0]), canonical(&generated));

    // Prost's, read by ours.
    let mut bytes = Vec::new();
    encode_key(1, WireType::LengthDelimited, &mut bytes);
    encode_varint(generated.encoded_len() as u64, &mut bytes);
    generated.encode_raw(&mut bytes);
    let theirs = Records::decode(bytes.as_slice()).expect("our decoder reads prost's bytes");
    assert_eq!(theirs.encoded_len(), ours.encoded_len());
    let views: Vec<_> = theirs.views().map(|v| v.expect("a record")).collect();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].schema_name, Some("s"));
    assert_eq!(views[0].table_name, "t");
    assert_eq!(views[0].kind, wire::record_type(kind) as i32);
    let read: BTreeMap<&str, Value> = views[0].cells().map(|c| c.expect("a cell")).collect();
    let sent: BTreeMap<&str, &Value> = record.cells().filter(|(n, _)| keep(n)).collect();
    assert_eq!(read.len(), sent.len());
    for (name, value) in sent {
        assert_same(&read[name], value);
    }
}

/// A record with its map in a fixed order, each value as its (deterministic) bytes.
fn canonical(record: &proto::Record) -> impl PartialEq + std::fmt::Debug {
    let data: BTreeMap<String, Vec<u8>> = record
        .data
        .iter()
        .map(|(k, v)| (k.clone(), v.encode_to_vec()))
        .collect();
    (
        record.schema_name.clone(),
        record.table_name.clone(),
        record.r#type,
        data,
    )
}

/// Whether `value` is a value of `data_type` (NULL is of every type).
pub fn has_type(value: &Value, data_type: DataType) -> bool {
    match (value, data_type) {
        (Value::Null, _) => true,
        (Value::Decimal(d), DataType::Decimal { precision, scale }) => {
            d.scale() == u32::from(scale) && d.fit(precision, scale) == Some(*d)
        }
        (value, data_type) => value.data_type() == Some(data_type),
    }
}

/// Equal, a NaN equal to a NaN of the same bits.
pub fn assert_same(a: &Value, b: &Value) {
    let same = match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        (a, b) => a == b,
    };
    assert!(same, "{a:?} != {b:?}");
}

fn describe(value: &Value) -> String {
    match value.data_type() {
        Some(t) => format!("a value of type {}", t.fivetran_name()),
        None => "NULL".into(),
    }
}

#[derive(Debug, Arbitrary)]
struct Case {
    target: ArbType,
    kind: u8,
    dropped: u8,
    values: Vec<ArbValue>,
}

#[derive(Debug, Arbitrary)]
enum ArbType {
    Boolean,
    Short,
    Int,
    Long,
    Decimal(u8, u8),
    Float,
    Double,
    NaiveDate,
    NaiveDatetime,
    UtcDatetime,
    Binary,
    String,
    Json,
    Xml,
}

impl ArbType {
    fn data_type(self) -> DataType {
        match self {
            ArbType::Boolean => DataType::Boolean,
            ArbType::Short => DataType::Short,
            ArbType::Int => DataType::Int,
            ArbType::Long => DataType::Long,
            ArbType::Decimal(p, s) => {
                let precision = p % 38 + 1;
                DataType::decimal(precision, s % (precision + 1)).expect("in range")
            }
            ArbType::Float => DataType::Float,
            ArbType::Double => DataType::Double,
            ArbType::NaiveDate => DataType::NaiveDate,
            ArbType::NaiveDatetime => DataType::NaiveDatetime,
            ArbType::UtcDatetime => DataType::UtcDatetime,
            ArbType::Binary => DataType::Binary,
            ArbType::String => DataType::String,
            ArbType::Json => DataType::Json,
            ArbType::Xml => DataType::Xml,
        }
    }
}

/// A value, plus texts shaped like what coercion parses (numbers, dates, instants).
#[derive(Debug, Arbitrary)]
enum ArbValue {
    Null,
    Bool(bool),
    Short(i16),
    Int(i32),
    Long(i64),
    Decimal(i128, u8),
    Float(f32),
    Double(f64),
    NaiveDate(i32),
    NaiveDatetime(i64, u32),
    UtcDatetime(i64, u32),
    Binary(Vec<u8>),
    String(String),
    Json(String),
    Xml(String),
    IntegerText(i64, bool),
    DecimalText(i128, u8),
    FloatText(f64),
    InstantText(i64, u32, i16, bool),
}

impl ArbValue {
    fn value(self) -> Value {
        let instant =
            |seconds: i64, nanos: u32| DateTime::from_timestamp(seconds, nanos % 2_000_000_000);
        match self {
            ArbValue::Null => Value::Null,
            ArbValue::Bool(b) => Value::Bool(b),
            ArbValue::Short(n) => Value::Short(n),
            ArbValue::Int(n) => Value::Int(n),
            ArbValue::Long(n) => Value::Long(n),
            ArbValue::Decimal(m, s) => {
                Decimal::try_new(m, u32::from(s % 39)).map_or(Value::Null, Value::Decimal)
            }
            ArbValue::Float(f) => Value::Float(f),
            ArbValue::Double(f) => Value::Double(f),
            ArbValue::NaiveDate(days) => {
                NaiveDate::from_num_days_from_ce_opt(days).map_or(Value::Null, Value::NaiveDate)
            }
            ArbValue::NaiveDatetime(s, n) => {
                instant(s, n).map_or(Value::Null, |i| Value::NaiveDatetime(i.naive_utc()))
            }
            ArbValue::UtcDatetime(s, n) => instant(s, n).map_or(Value::Null, Value::UtcDatetime),
            ArbValue::Binary(b) => Value::Binary(b),
            ArbValue::String(s) => Value::String(s),
            ArbValue::Json(s) => Value::Json(s),
            ArbValue::Xml(s) => Value::Xml(s),
            ArbValue::IntegerText(n, padded) => Value::String(if padded {
                format!(" +{n} ")
            } else {
                n.to_string()
            }),
            ArbValue::DecimalText(m, s) => Decimal::try_new(m, u32::from(s % 39))
                .map_or(Value::Null, |d| Value::String(d.to_string())),
            ArbValue::FloatText(f) => Value::String(f.to_string()),
            ArbValue::InstantText(s, n, offset, space) => match instant(s, n) {
                None => Value::Null,
                Some(i) => {
                    let minutes = i32::from(offset % (24 * 60));
                    let zone = connector_core::chrono::FixedOffset::east_opt(minutes * 60)
                        .expect("within a day");
                    let text = i.with_timezone(&zone).to_rfc3339();
                    Value::String(if space {
                        text.replacen('T', " ", 1)
                    } else {
                        text
                    })
                }
            },
        }
    }
}
