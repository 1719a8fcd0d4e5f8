//! The reading side of the protocol, for `connector-tester`: values, tables and record kinds
//! from the generated messages, and records read straight from a `Records` batch's bytes
//! without building the generated `Record`s. A build without the local runner (or the `reader`
//! feature) has no reader.

use std::borrow::Cow;
use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use prost::encoding::decode_varint;

use super::records::Records;
use crate::decimal::Decimal;
use crate::proto;
use crate::proto::value_type::Inner;
use crate::record::RecordKind;
use crate::schema::{Column, DataType, TableSchema};
use crate::value::Value;

/// Why what was read from the wire (or a schema about to be sent) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A NAIVE_TIME value, which source connectors do not send.
    #[error("a source connector cannot send NAIVE_TIME values")]
    NaiveTimeValue,
    /// A NAIVE_TIME column, which source connectors do not declare.
    #[error("a source connector cannot declare NAIVE_TIME")]
    NaiveTimeColumn,
    /// A SHORT value (an int32 on the wire) outside `i16`.
    #[error("SHORT value {0} is out of range")]
    ShortOutOfRange(i32),
    /// A DECIMAL value whose text is not a number.
    #[error("`{0}` is not a decimal")]
    NotDecimal(String),
    /// A timestamp that no date holds.
    #[error("timestamp {seconds}s {nanos}ns is out of range")]
    TimestampOutOfRange {
        /// Seconds since the epoch.
        seconds: i64,
        /// Nanoseconds past them.
        nanos: i32,
    },
    /// A column type the protocol does not define.
    #[error("unknown type {0}")]
    UnknownType(i32),
    /// DECIMAL parameters out of range.
    #[error("{0}")]
    BadDecimal(String),
    /// A column of a `Schema` answer that was refused.
    #[error("column `{column}` of table `{table}`: {why}")]
    Column {
        /// The table's name.
        table: String,
        /// The column's name.
        column: String,
        /// Why it was refused.
        why: Box<WireError>,
    },
    /// A record type the protocol does not define.
    #[error("unknown record type {0}")]
    UnknownRecordKind(i32),
    /// A field of a `ValueType` the protocol does not define.
    #[error("an unknown value field {0}")]
    UnknownValueField(u32),
    /// The bytes of a message do not parse as protobuf.
    #[error("{0}")]
    Malformed(&'static str),
    /// A protobuf wire type that does not exist.
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u64),
}

/// A value read from the wire. Refuses what a source cannot send (NAIVE_TIME), text that is not
/// a decimal, and timestamps out of range.
pub fn value_from_wire(value: proto::ValueType) -> Result<Value, WireError> {
    Ok(match value.inner {
        None | Some(Inner::Null(_)) => Value::Null,
        Some(Inner::Bool(b)) => Value::Bool(b),
        Some(Inner::Short(n)) => Value::Short(short(n)?),
        Some(Inner::Int(n)) => Value::Int(n),
        Some(Inner::Long(n)) => Value::Long(n),
        Some(Inner::Float(f)) => Value::Float(f),
        Some(Inner::Double(f)) => Value::Double(f),
        Some(Inner::Decimal(text)) => Value::Decimal(decimal(&text)?),
        Some(Inner::NaiveDate(t)) => Value::NaiveDate(instant(t.seconds, t.nanos)?.date_naive()),
        Some(Inner::NaiveDatetime(t)) => {
            Value::NaiveDatetime(instant(t.seconds, t.nanos)?.naive_utc())
        }
        Some(Inner::UtcDatetime(t)) => Value::UtcDatetime(instant(t.seconds, t.nanos)?),
        Some(Inner::Binary(b)) => Value::Binary(b),
        Some(Inner::String(s)) => Value::String(s),
        Some(Inner::Json(s)) => Value::Json(s),
        Some(Inner::Xml(s)) => Value::Xml(s),
        Some(Inner::NaiveTime(_)) => return Err(WireError::NaiveTimeValue),
    })
}

/// A SHORT value from its int32 on the wire.
pub(crate) fn short(n: i32) -> Result<i16, WireError> {
    i16::try_from(n).map_err(|_| WireError::ShortOutOfRange(n))
}

/// A DECIMAL value from its text on the wire.
pub(crate) fn decimal(text: &str) -> Result<Decimal, WireError> {
    Decimal::from_str(text).map_err(|_| WireError::NotDecimal(text.to_string()))
}

/// The instant of a protobuf `Timestamp`.
pub(crate) fn instant(seconds: i64, nanos: i32) -> Result<DateTime<Utc>, WireError> {
    u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
        .ok_or(WireError::TimestampOutOfRange { seconds, nanos })
}

/// A table read from the `Schema` answer. UNSPECIFIED leaves the column's type to inference.
pub fn table_from_wire(
    table: &proto::Table,
    schema: Option<&str>,
) -> Result<TableSchema, WireError> {
    let mut out = TableSchema::new(table.name.clone());
    if let Some(schema) = schema {
        out = out.in_schema(schema.to_string());
    }
    for column in &table.columns {
        let data_type = data_type_from_wire(column).map_err(|why| WireError::Column {
            table: table.name.clone(),
            column: column.name.clone(),
            why: Box::new(why),
        })?;
        out = out.column(Column {
            name: Cow::Owned(column.name.clone()),
            data_type,
            primary_key: column.primary_key,
        });
    }
    Ok(out)
}

fn data_type_from_wire(column: &proto::Column) -> Result<Option<DataType>, WireError> {
    use proto::DataType as P;
    let wire = P::try_from(column.r#type).map_err(|_| WireError::UnknownType(column.r#type))?;
    Ok(Some(match wire {
        P::Unspecified => return Ok(None),
        P::Boolean => DataType::Boolean,
        P::Short => DataType::Short,
        P::Int => DataType::Int,
        P::Long => DataType::Long,
        P::Decimal => match column.params.as_ref().and_then(|p| p.params.as_ref()) {
            Some(proto::data_type_params::Params::Decimal(d)) => DataType::decimal(
                u8::try_from(d.precision).unwrap_or(u8::MAX),
                u8::try_from(d.scale).unwrap_or(u8::MAX),
            )
            .map_err(WireError::BadDecimal)?,
            _ => DataType::DEFAULT_DECIMAL,
        },
        P::Float => DataType::Float,
        P::Double => DataType::Double,
        P::NaiveDate => DataType::NaiveDate,
        P::NaiveDatetime => DataType::NaiveDatetime,
        P::UtcDatetime => DataType::UtcDatetime,
        P::Binary => DataType::Binary,
        P::Xml => DataType::Xml,
        P::String => DataType::String,
        P::Json => DataType::Json,
        P::NaiveTime => return Err(WireError::NaiveTimeColumn),
    }))
}

/// The kind of a record read from the wire.
pub fn record_kind_from_wire(kind: i32) -> Result<RecordKind, WireError> {
    match proto::RecordType::try_from(kind) {
        Ok(proto::RecordType::Upsert) => Ok(RecordKind::Upsert),
        Ok(proto::RecordType::Update) => Ok(RecordKind::Update),
        Ok(proto::RecordType::Delete) => Ok(RecordKind::Delete),
        Ok(proto::RecordType::Truncate) => Ok(RecordKind::Truncate),
        Err(_) => Err(WireError::UnknownRecordKind(kind)),
    }
}

/// One record read straight from a batch's bytes, without building the generated `Record`.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The schema the record names, if any.
    pub schema_name: Option<&'a str>,
    /// The table the record names.
    pub table_name: &'a str,
    /// The wire's `RecordType`.
    pub kind: i32,
    bytes: &'a [u8],
}

impl Records {
    /// The records as views on the batch's bytes, in order.
    pub fn views(&self) -> impl Iterator<Item = Result<RecordView<'_>, WireError>> {
        let mut rest = self.bytes.as_slice();
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            Some(field(&mut rest).and_then(|(_, bytes)| match bytes {
                Field::Bytes(bytes) => RecordView::read(bytes),
                _ => Err(WireError::Malformed("a record that is not a message")),
            }))
        })
    }
}

impl<'a> RecordView<'a> {
    fn read(bytes: &'a [u8]) -> Result<RecordView<'a>, WireError> {
        let mut view = RecordView {
            schema_name: None,
            table_name: "",
            kind: 0,
            bytes,
        };
        let mut rest = bytes;
        while !rest.is_empty() {
            match field(&mut rest)? {
                (1, Field::Bytes(b)) => view.schema_name = Some(text(b)?),
                (2, Field::Bytes(b)) => view.table_name = text(b)?,
                (3, Field::Varint(n)) => view.kind = n as i32,
                _ => {}
            }
        }
        Ok(view)
    }

    /// The cells, as source column name and value; a value a source cannot send is an error.
    pub fn cells(&self) -> impl Iterator<Item = Result<(&'a str, Value), WireError>> + 'a {
        let mut rest = self.bytes;
        std::iter::from_fn(move || {
            while !rest.is_empty() {
                match field(&mut rest) {
                    Err(why) => return Some(Err(why)),
                    Ok((4, Field::Bytes(entry))) => return Some(cell(entry)),
                    Ok(_) => {}
                }
            }
            None
        })
    }
}

/// A field's payload.
enum Field<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// Reads one field (tag and payload) off the front of `rest`.
fn field<'a>(rest: &mut &'a [u8]) -> Result<(u32, Field<'a>), WireError> {
    let varint = |rest: &mut &'a [u8]| {
        decode_varint(rest).map_err(|_| WireError::Malformed("a varint that does not end"))
    };
    let key = varint(rest)?;
    let tag =
        u32::try_from(key >> 3).map_err(|_| WireError::Malformed("a field tag out of range"))?;
    let payload = match key & 7 {
        0 => Field::Varint(varint(rest)?),
        1 => {
            let (head, tail) = rest
                .split_first_chunk::<8>()
                .ok_or(WireError::Malformed("a truncated 64-bit field"))?;
            *rest = tail;
            Field::Fixed64(u64::from_le_bytes(*head))
        }
        2 => {
            let len = usize::try_from(varint(rest)?)
                .map_err(|_| WireError::Malformed("a field too long"))?;
            if len > rest.len() {
                return Err(WireError::Malformed("a field runs past its message"));
            }
            let (head, tail) = rest.split_at(len);
            *rest = tail;
            Field::Bytes(head)
        }
        5 => {
            let (head, tail) = rest
                .split_first_chunk::<4>()
                .ok_or(WireError::Malformed("a truncated 32-bit field"))?;
            *rest = tail;
            Field::Fixed32(u32::from_le_bytes(*head))
        }
        other => return Err(WireError::UnsupportedWireType(other)),
    };
    Ok((tag, payload))
}

fn text(bytes: &[u8]) -> Result<&str, WireError> {
    std::str::from_utf8(bytes).map_err(|_| WireError::Malformed("text that is not UTF-8"))
}

/// One map entry: the column name and its `ValueType`.
fn cell(entry: &[u8]) -> Result<(&str, Value), WireError> {
    let mut rest = entry;
    let (mut name, mut value) = ("", Value::Null);
    while !rest.is_empty() {
        match field(&mut rest)? {
            (1, Field::Bytes(b)) => name = text(b)?,
            (2, Field::Bytes(b)) => value = value_of(b)?,
            _ => {}
        }
    }
    Ok((name, value))
}

/// A `ValueType` message as the value `value_from_wire` would give.
fn value_of(bytes: &[u8]) -> Result<Value, WireError> {
    let mut rest = bytes;
    let mut value = Value::Null;
    while !rest.is_empty() {
        value = match field(&mut rest)? {
            (1, _) => Value::Null,
            (2, Field::Varint(n)) => Value::Bool(n != 0),
            (3, Field::Varint(n)) => Value::Short(short(n as i64 as i32)?),
            (4, Field::Varint(n)) => Value::Int(n as i64 as i32),
            (5, Field::Varint(n)) => Value::Long(n as i64),
            (6, Field::Fixed32(n)) => Value::Float(f32::from_bits(n)),
            (7, Field::Fixed64(n)) => Value::Double(f64::from_bits(n)),
            (tag @ 8..=10, Field::Bytes(b)) => {
                let instant = timestamp(b)?;
                match tag {
                    8 => Value::NaiveDate(instant.date_naive()),
                    9 => Value::NaiveDatetime(instant.naive_utc()),
                    _ => Value::UtcDatetime(instant),
                }
            }
            (11, Field::Bytes(b)) => Value::Decimal(decimal(text(b)?)?),
            (12, Field::Bytes(b)) => Value::Binary(b.to_vec()),
            (13, Field::Bytes(b)) => Value::String(text(b)?.to_string()),
            (14, Field::Bytes(b)) => Value::Json(text(b)?.to_string()),
            (15, Field::Bytes(b)) => Value::Xml(text(b)?.to_string()),
            (16, _) => return Err(WireError::NaiveTimeValue),
            (tag, _) => return Err(WireError::UnknownValueField(tag)),
        };
    }
    Ok(value)
}

fn timestamp(bytes: &[u8]) -> Result<chrono::DateTime<chrono::Utc>, WireError> {
    let (mut seconds, mut nanos) = (0_i64, 0_i32);
    let mut rest = bytes;
    while !rest.is_empty() {
        match field(&mut rest)? {
            (1, Field::Varint(n)) => seconds = n as i64,
            (2, Field::Varint(n)) => nanos = n as i32,
            _ => {}
        }
    }
    instant(seconds, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::wire::{table, value};
    use chrono::{NaiveDate, NaiveDateTime};
    use prost_types::Timestamp;

    #[test]
    fn every_value_survives_the_wire() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Short(i16::MIN),
            Value::Int(i32::MAX),
            Value::Long(i64::MIN),
            Value::Decimal(Decimal::new(-12345, 3)),
            Value::Float(1.5),
            Value::Double(-0.25),
            Value::NaiveDate(NaiveDate::from_ymd_opt(1969, 7, 20).unwrap()),
            Value::NaiveDatetime(
                NaiveDateTime::parse_from_str("1969-07-20 20:17:40.123456", "%Y-%m-%d %H:%M:%S%.f")
                    .unwrap(),
            ),
            Value::UtcDatetime(DateTime::from_timestamp(-1, 999_999_000).unwrap()),
            Value::Binary(vec![0, 255]),
            Value::String("é".into()),
            Value::Json("{\"a\":1}".into()),
            Value::Xml("<a/>".into()),
        ];
        for v in values {
            assert_eq!(value_from_wire(value(v.clone())), Ok(v));
        }
    }

    #[test]
    fn bad_wire_values_are_refused_with_a_reason() {
        let decimal = proto::ValueType {
            inner: Some(Inner::Decimal("12,5".into())),
        };
        assert_eq!(
            value_from_wire(decimal),
            Err(WireError::NotDecimal("12,5".into()))
        );
        let time = proto::ValueType {
            inner: Some(Inner::NaiveTime(Timestamp::default())),
        };
        assert!(
            value_from_wire(time)
                .unwrap_err()
                .to_string()
                .contains("NAIVE_TIME")
        );
    }

    #[test]
    fn declared_types_survive_the_schema_answer() {
        let t = TableSchema::new("t")
            .column(Column::key("id", None))
            .column(Column::new(
                "price",
                DataType::Decimal {
                    precision: 12,
                    scale: 3,
                },
            ))
            .column(Column::new("at", DataType::UtcDatetime));
        assert_eq!(table_from_wire(&table(&t), None), Ok(t));
    }
}
