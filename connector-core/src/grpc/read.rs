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
    ///
    /// One cell per name, as protobuf reads a map: when a name is sent twice (two map entries
    /// with one key), the last entry is the cell, and the earlier ones are not read (a value
    /// there that a source cannot send is not refused, as prost never converts it). Cells come
    /// in the order of the entries that are read.
    pub fn cells(&self) -> impl Iterator<Item = Result<(&'a str, Value), WireError>> + 'a {
        let replaced = replaced_entries(self.bytes);
        let mut next_replaced = replaced.into_iter().peekable();
        let mut entry = 0_usize;
        let mut rest = self.bytes;
        std::iter::from_fn(move || {
            while !rest.is_empty() {
                match field(&mut rest) {
                    Err(why) => return Some(Err(why)),
                    Ok((4, Field::Bytes(bytes))) => {
                        let position = entry;
                        entry += 1;
                        if next_replaced.next_if_eq(&position).is_none() {
                            return Some(cell(bytes));
                        }
                    }
                    Ok(_) => {}
                }
            }
            None
        })
    }
}

/// The positions (among a record's map entries, from 0) of the entries that a later entry with
/// the same key replaces, ascending; none when each key is sent once, the usual case, which is
/// found without allocating for up to 16 entries. An entry whose key cannot be read is left to
/// `cell` to refuse.
fn replaced_entries(record: &[u8]) -> Vec<usize> {
    const FEW: usize = 16;
    // Keys by position; `None`, a key that cannot be read, is one no other entry has.
    let mut few: [Option<&[u8]>; FEW] = [None; FEW];
    let mut many: Vec<(Option<&[u8]>, usize)> = Vec::new();
    let mut count = 0_usize;
    let mut rest = record;
    while !rest.is_empty() {
        let Ok((tag, payload)) = field(&mut rest) else {
            break;
        };
        let (4, Field::Bytes(entry)) = (tag, payload) else {
            continue;
        };
        let key = entry_key(entry);
        if count < FEW {
            few[count] = key;
        } else {
            if count == FEW {
                many.extend(few.iter().copied().zip(0..));
            }
            many.push((key, count));
        }
        count += 1;
    }
    if count <= FEW {
        let keys = &few[..count];
        return (0..count)
            .filter(|&i| keys[i].is_some() && keys[i + 1..].contains(&keys[i]))
            .collect();
    }
    many.sort_unstable();
    let mut replaced: Vec<usize> = many
        .windows(2)
        .filter(|pair| pair[0].0.is_some() && pair[0].0 == pair[1].0)
        .map(|pair| pair[0].1)
        .collect();
    replaced.sort_unstable();
    replaced
}

/// The key of a map entry (its last key field, as protobuf reads a message; none is the empty
/// key), as bytes; `None` when the entry does not parse.
fn entry_key(entry: &[u8]) -> Option<&[u8]> {
    let mut rest = entry;
    let mut key: &[u8] = &[];
    while !rest.is_empty() {
        if let (1, Field::Bytes(b)) = field(&mut rest).ok()? {
            key = b;
        }
    }
    Some(key)
}

/// A field's payload.
enum Field<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(&'a [u8]),
    /// A group (a deprecated wire form, still protobuf): skipped whole, as prost skips it.
    Group,
    /// The end of a group, which only `field` sees.
    GroupEnd,
}

/// Reads one field (tag and payload) off the front of `rest`; a group is read to its end.
fn field<'a>(rest: &mut &'a [u8]) -> Result<(u32, Field<'a>), WireError> {
    let (tag, payload) = wire_field(rest)?;
    match payload {
        Field::GroupEnd => Err(WireError::Malformed(
            "the end of a group that did not start",
        )),
        Field::Group => {
            // Groups nest; each ends with its own tag. Iterative, so no input runs the stack out.
            let mut open = vec![tag];
            while let Some(&inner) = open.last() {
                if rest.is_empty() {
                    return Err(WireError::Malformed("a group that does not end"));
                }
                match wire_field(rest)? {
                    (t, Field::Group) => open.push(t),
                    (t, Field::GroupEnd) if t == inner => {
                        open.pop();
                    }
                    (_, Field::GroupEnd) => {
                        return Err(WireError::Malformed("a group that ends with another's tag"));
                    }
                    _ => {}
                }
            }
            Ok((tag, Field::Group))
        }
        payload => Ok((tag, payload)),
    }
}

/// Reads one field's tag and payload, or the start or end of a group.
fn wire_field<'a>(rest: &mut &'a [u8]) -> Result<(u32, Field<'a>), WireError> {
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
        3 => Field::Group,
        4 => Field::GroupEnd,
        other => return Err(WireError::UnsupportedWireType(other)),
    };
    Ok((tag, payload))
}

fn text(bytes: &[u8]) -> Result<&str, WireError> {
    std::str::from_utf8(bytes).map_err(|_| WireError::Malformed("text that is not UTF-8"))
}

/// One map entry: the column name and its `ValueType`. As protobuf reads a message, the last
/// name wins, and values that repeat are merged (their bytes read as one message).
fn cell(entry: &[u8]) -> Result<(&str, Value), WireError> {
    let mut rest = entry;
    let mut name = "";
    let mut value: Vec<&[u8]> = Vec::new();
    while !rest.is_empty() {
        match field(&mut rest)? {
            (1, Field::Bytes(b)) => name = text(b)?,
            (2, Field::Bytes(b)) => value.push(b),
            _ => {}
        }
    }
    let value = match value.as_slice() {
        [] => Value::Null,
        [one] => value_of(one)?,
        parts => value_of(&parts.concat())?,
    };
    Ok((name, value))
}

/// A `ValueType` message as the value `value_from_wire` would give. Its fields are a oneof: the
/// last one read is the value, and earlier ones are not looked at (a message field that repeats
/// back to back is merged); a field the protocol does not define is refused, not skipped, so
/// that a value of a newer protocol is never read as NULL.
fn value_of(bytes: &[u8]) -> Result<Value, WireError> {
    let mut rest = bytes;
    let mut last: Option<(u32, Field<'_>)> = None;
    // The bytes of a timestamp field that repeats: protobuf merges them.
    let mut merged: Vec<&[u8]> = Vec::new();
    while !rest.is_empty() {
        let (tag, payload) = field(&mut rest)?;
        if !(1..=16).contains(&tag) {
            return Err(WireError::UnknownValueField(tag));
        }
        match (&last, &payload) {
            (Some((previous, Field::Bytes(_))), Field::Bytes(b)) if *previous == tag => {
                merged.push(b)
            }
            (_, Field::Bytes(b)) => merged = vec![*b],
            _ => merged.clear(),
        }
        last = Some((tag, payload));
    }
    let Some((tag, payload)) = last else {
        return Ok(Value::Null);
    };
    Ok(match (tag, payload) {
        (1, _) => Value::Null,
        (2, Field::Varint(n)) => Value::Bool(n != 0),
        (3, Field::Varint(n)) => Value::Short(short(n as i64 as i32)?),
        (4, Field::Varint(n)) => Value::Int(n as i64 as i32),
        (5, Field::Varint(n)) => Value::Long(n as i64),
        (6, Field::Fixed32(n)) => Value::Float(f32::from_bits(n)),
        (7, Field::Fixed64(n)) => Value::Double(f64::from_bits(n)),
        (tag @ 8..=10, Field::Bytes(_)) => {
            let instant = timestamp(&merged.concat())?;
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
    })
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

    /// A `ValueType` of several fields, read by the tester and by prost.
    fn both_ways(
        parts: &[proto::ValueType],
    ) -> (Result<Value, WireError>, Result<Value, WireError>) {
        use prost::Message as _;
        let bytes: Vec<u8> = parts.iter().flat_map(|p| p.encode_to_vec()).collect();
        let prost = proto::ValueType::decode(bytes.as_slice()).expect("prost reads it");
        (value_of(&bytes), value_from_wire(prost))
    }

    /// Found by fuzzing (the `records` target): a value's fields are a oneof, and the last one
    /// is the value. The tester refused a cell whose earlier field was a SHORT out of range,
    /// which prost (and so Fivetran) reads as the later field's value.
    #[test]
    fn the_last_field_of_a_value_is_the_value() {
        let v = |inner| proto::ValueType { inner: Some(inner) };
        let (ours, prost) = both_ways(&[v(Inner::Short(2_097_147)), v(Inner::Bool(true))]);
        assert_eq!(ours, Ok(Value::Bool(true)));
        assert_eq!(ours, prost);
        let (ours, prost) = both_ways(&[v(Inner::Decimal("12,5".into())), v(Inner::Long(7))]);
        assert_eq!((ours, prost), (Ok(Value::Long(7)), Ok(Value::Long(7))));
        // The last field out of range is refused, as `value_from_wire` refuses it.
        let (ours, prost) = both_ways(&[v(Inner::Bool(true)), v(Inner::Short(40_000))]);
        assert_eq!(ours, Err(WireError::ShortOutOfRange(40_000)));
        assert_eq!(ours, prost);
        // A timestamp that repeats is merged, field by field.
        let at = |seconds, nanos| v(Inner::UtcDatetime(Timestamp { seconds, nanos }));
        let (ours, prost) = both_ways(&[at(86_400, 0), at(0, 5)]);
        assert_eq!(
            ours,
            Ok(Value::UtcDatetime(
                DateTime::from_timestamp(86_400, 5).unwrap()
            ))
        );
        assert_eq!(ours, prost);
        // A different kind in between replaces it.
        let (ours, prost) = both_ways(&[at(86_400, 0), v(Inner::Long(1)), at(0, 5)]);
        assert_eq!(
            ours,
            Ok(Value::UtcDatetime(DateTime::from_timestamp(0, 5).unwrap()))
        );
        assert_eq!(ours, prost);
    }

    /// A field the protocol does not define is refused (prost would skip it and read NULL): a
    /// value of a newer protocol is never lost as NULL.
    #[test]
    fn an_unknown_value_field_is_refused_wherever_it_is() {
        use prost::Message as _;
        let mut bytes = proto::ValueType {
            inner: Some(Inner::Long(7)),
        }
        .encode_to_vec();
        bytes.extend([0xa0, 0x01, 0x01]); // field 20, a varint
        assert_eq!(value_of(&bytes), Err(WireError::UnknownValueField(20)));
        let known = bytes.len() - 3;
        bytes.rotate_left(known);
        assert_eq!(value_of(&bytes), Err(WireError::UnknownValueField(20)));
    }

    /// A map entry whose value repeats is one merged value, as protobuf reads it.
    #[test]
    fn a_cell_whose_value_repeats_is_merged() {
        use prost::Message as _;
        use prost::encoding::{WireType, encode_key, encode_varint};
        let mut entry = Vec::new();
        for (tag, bytes) in [
            (1, b"id".to_vec()),
            (
                2,
                proto::ValueType {
                    inner: Some(Inner::Short(i32::MAX)),
                }
                .encode_to_vec(),
            ),
            (
                2,
                proto::ValueType {
                    inner: Some(Inner::Long(7)),
                }
                .encode_to_vec(),
            ),
        ] {
            encode_key(tag, WireType::LengthDelimited, &mut entry);
            encode_varint(bytes.len() as u64, &mut entry);
            entry.extend(bytes);
        }
        assert_eq!(cell(&entry), Ok(("id", Value::Long(7))));
    }

    /// A batch of one record of table `t` holding `entries`, map entries as they come (a key
    /// may repeat, which a `HashMap` cannot).
    fn batch_of_entries(entries: &[(&str, proto::ValueType)]) -> Records {
        use prost::Message as _;
        use prost::encoding::{WireType, encode_key, encode_varint};
        let length_delimited = |tag, bytes: &[u8], out: &mut Vec<u8>| {
            encode_key(tag, WireType::LengthDelimited, out);
            encode_varint(bytes.len() as u64, out);
            out.extend_from_slice(bytes);
        };
        let mut body = Vec::new();
        length_delimited(2, b"t", &mut body);
        for (name, value) in entries {
            let mut entry = Vec::new();
            length_delimited(1, name.as_bytes(), &mut entry);
            length_delimited(2, &value.encode_to_vec(), &mut entry);
            length_delimited(4, &entry, &mut body);
        }
        let mut bytes = Vec::new();
        length_delimited(1, &body, &mut bytes);
        Records::decode(bytes.as_slice()).unwrap()
    }

    /// Finding 8 of the fuzzing (docs/reliability.md): a map key sent twice is one cell, the
    /// last entry's, as protobuf (and prost) read a map. The tester passed every entry on (and
    /// a column placed by name kept the first). An earlier entry is not read, so a value there
    /// that the tester would refuse does not stop the record, as it does not stop prost.
    #[test]
    fn a_key_sent_twice_is_read_as_its_last_entry() {
        let v = |inner| proto::ValueType { inner: Some(inner) };
        let names: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
        let mut many: Vec<(&str, proto::ValueType)> = Vec::new();
        for round in 0..2_i64 {
            for (i, name) in names.iter().enumerate() {
                many.push((name, v(Inner::Long(round * 100 + i as i64))));
            }
        }
        many.push(("c3", v(Inner::String("last".into()))));
        for entries in [
            vec![
                ("a", v(Inner::Short(40_000))),
                ("b", v(Inner::Long(1))),
                ("a", v(Inner::Long(7))),
            ],
            vec![("", v(Inner::Long(1))), ("", v(Inner::Null(true)))],
            // More than 16 entries, found another way.
            many,
        ] {
            let batch = batch_of_entries(&entries);
            let record = batch.records().unwrap().remove(0);
            let view = batch.views().next().unwrap().unwrap();
            let cells: Vec<(&str, Value)> = view.cells().map(Result::unwrap).collect();
            assert_eq!(cells.len(), record.data.len(), "{entries:?}");
            for (name, value) in &cells {
                let prost = value_from_wire(record.data[*name].clone());
                assert_eq!(prost.as_ref(), Ok(value), "`{name}`");
            }
            // In the order of the last entries.
            let mut last: Vec<&str> = Vec::new();
            for (name, _) in entries.iter().rev() {
                if !last.contains(name) {
                    last.insert(0, name);
                }
            }
            let order: Vec<&str> = cells.iter().map(|(n, _)| *n).collect();
            assert_eq!(order, last);
        }
        let batch = batch_of_entries(&[
            ("a", v(Inner::Short(40_000))),
            ("b", v(Inner::Long(1))),
            ("a", v(Inner::Long(7))),
        ]);
        let view = batch.views().next().unwrap().unwrap();
        assert_eq!(
            view.cells().collect::<Vec<_>>(),
            [Ok(("b", Value::Long(1))), Ok(("a", Value::Long(7)))]
        );
        // The last entry's refusal stands.
        let batch = batch_of_entries(&[("a", v(Inner::Long(7))), ("a", v(Inner::Short(40_000)))]);
        let view = batch.views().next().unwrap().unwrap();
        assert_eq!(
            view.cells().collect::<Vec<_>>(),
            [Err(WireError::ShortOutOfRange(40_000))]
        );
    }

    /// Found by fuzzing (the `records` target): a record with a group field (wire types 3 and
    /// 4, deprecated but protobuf) was refused by the tester, which prost reads, skipping it.
    #[test]
    fn a_group_field_is_skipped_as_prost_skips_it() {
        use prost::Message as _;
        let record = proto::Record {
            schema_name: None,
            table_name: "t".into(),
            r#type: 0,
            data: [("id".to_string(), crate::grpc::wire::value(Value::Long(7)))].into(),
        };
        let mut body = record.encode_to_vec();
        // Field 9, a group holding a varint and a nested group, then its end.
        body.extend([0x4b, 0x08, 0x01, 0x53, 0x54, 0x4c]);
        let mut bytes = vec![0x0a];
        prost::encoding::encode_varint(body.len() as u64, &mut bytes);
        bytes.extend(&body);
        let batch = Records::decode(bytes.as_slice()).unwrap();
        assert_eq!(batch.records().unwrap(), [record]);
        let view = batch.views().next().unwrap().unwrap();
        assert_eq!(view.table_name, "t");
        let cells: Vec<_> = view.cells().collect();
        assert_eq!(cells, [Ok(("id", Value::Long(7)))]);

        for broken in [&[0x4b, 0x08, 0x01][..], &[0x4c], &[0x4b, 0x54]] {
            let mut rest = broken;
            assert!(
                matches!(field(&mut rest), Err(WireError::Malformed(_))),
                "{broken:?}"
            );
        }
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
