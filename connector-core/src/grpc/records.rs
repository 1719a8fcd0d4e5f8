//! `Records` kept in its wire form. The generated code uses this type for the protocol's
//! `Records` message (`extern_path` in `build.rs`), so `serve` encodes each of a sync's records
//! straight from its values into protobuf bytes, with no per-cell map of strings in between;
//! a reader gets them back as generated `Record`s with [`Records::records`].

use bytes::{Buf, BufMut};
use prost::encoding::{
    DecodeContext, WireType, decode_key, decode_varint, encode_key, encode_varint,
    encoded_len_varint, skip_field,
};
use prost::{DecodeError, Message};

use super::wire::{self, WireError};
use crate::proto;
use crate::record::{Record, RecordKind};
use crate::value::Value;

/// A `Records` message: field 1 (`repeated Record records`), entry by entry, as encoded bytes.
#[derive(Clone, Default, PartialEq)]
pub struct Records {
    bytes: Vec<u8>,
    count: usize,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Records({} records, {} bytes)",
            self.count,
            self.bytes.len()
        )
    }
}

/// Buffers reused from record to record, so that encoding allocates nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    value: Vec<u8>,
    entry: Vec<u8>,
    body: Vec<u8>,
    text: String,
}

impl Records {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a generated `Record`.
    pub fn push(&mut self, record: &proto::Record) {
        encode_key(1, WireType::LengthDelimited, &mut self.bytes);
        encode_varint(record.encoded_len() as u64, &mut self.bytes);
        record.encode_raw(&mut self.bytes);
        self.count += 1;
    }

    /// Appends one of a sync's records, with the cells for which `keep(column)` holds, encoded
    /// as the generated `Record` would be.
    pub fn push_record(
        &mut self,
        record: &Record,
        keep: impl Fn(&str) -> bool,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            value,
            entry,
            body,
            text,
        } = scratch;
        body.clear();
        if let Some(schema) = &record.table.schema {
            put_string(1, schema, body);
        }
        put_string(2, &record.table.name, body);
        let kind = wire::record_type(record.kind) as u64;
        if record.kind != RecordKind::Upsert {
            encode_key(3, WireType::Varint, body);
            encode_varint(kind, body);
        }
        let mut cell = |name: &str, v: &Value| {
            if !keep(name) {
                return;
            }
            value.clear();
            put_value(v, value, text);
            entry.clear();
            put_string(1, name, entry);
            encode_key(2, WireType::LengthDelimited, entry);
            encode_varint(value.len() as u64, entry);
            entry.extend_from_slice(value);
            encode_key(4, WireType::LengthDelimited, body);
            encode_varint(entry.len() as u64, body);
            body.extend_from_slice(entry);
        };
        for (name, v) in record.cells() {
            cell(name, v);
        }
        encode_key(1, WireType::LengthDelimited, &mut self.bytes);
        encode_varint(body.len() as u64, &mut self.bytes);
        self.bytes.extend_from_slice(body);
        self.count += 1;
    }

    /// The records, decoded.
    pub fn records(&self) -> Result<Vec<proto::Record>, DecodeError> {
        let mut buf = self.bytes.as_slice();
        let mut out = Vec::with_capacity(self.count);
        while buf.has_remaining() {
            decode_key(&mut buf)?;
            out.push(proto::Record::decode_length_delimited(&mut buf)?);
        }
        Ok(out)
    }
}

/// One record read straight from a batch's bytes, without building the generated `Record`.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub schema_name: Option<&'a str>,
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

/// A `ValueType` message as the value `wire::value_from_wire` would give.
fn value_of(bytes: &[u8]) -> Result<Value, WireError> {
    let mut rest = bytes;
    let mut value = Value::Null;
    while !rest.is_empty() {
        value = match field(&mut rest)? {
            (1, _) => Value::Null,
            (2, Field::Varint(n)) => Value::Bool(n != 0),
            (3, Field::Varint(n)) => Value::Short(wire::short(n as i64 as i32)?),
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
            (11, Field::Bytes(b)) => Value::Decimal(wire::decimal(text(b)?)?),
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
    wire::instant(seconds, nanos)
}

fn put_string(tag: u32, text: &str, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(text.len() as u64, buf);
    buf.extend_from_slice(text.as_bytes());
}

fn put_timestamp(tag: u32, seconds: i64, nanos: u32, buf: &mut Vec<u8>) {
    let mut len = 0;
    if seconds != 0 {
        len += 1 + encoded_len_varint(seconds as u64);
    }
    if nanos != 0 {
        len += 1 + encoded_len_varint(u64::from(nanos));
    }
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
    if seconds != 0 {
        encode_key(1, WireType::Varint, buf);
        encode_varint(seconds as u64, buf);
    }
    if nanos != 0 {
        encode_key(2, WireType::Varint, buf);
        encode_varint(u64::from(nanos), buf);
    }
}

/// `d` as its `Display` writes it (the mantissa's digits, a point `scale` digits from the right,
/// a leading zero before it), with plain integer arithmetic when the mantissa fits in 64 bits: a
/// decimal column is text on the wire, and `Display` was a tenth of the server's encoding time.
fn decimal_text(d: &rust_decimal::Decimal, text: &mut String) {
    use std::fmt::Write as _;
    let mantissa = d.mantissa();
    let Ok(mut rest) = u64::try_from(mantissa.unsigned_abs()) else {
        let _ = write!(text, "{d}");
        return;
    };
    if mantissa == 0 {
        // Zero keeps `Display`'s own spelling (a negative zero is possible).
        let _ = write!(text, "{d}");
        return;
    }
    let mut digits = [0u8; 20];
    let mut len = 0;
    while rest > 0 {
        digits[len] = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    let scale = d.scale() as usize;
    if mantissa < 0 {
        text.push('-');
    }
    let integer_digits = len.saturating_sub(scale);
    if integer_digits == 0 {
        text.push('0');
    }
    for &digit in digits[scale.min(len)..len].iter().rev() {
        text.push(char::from(digit));
    }
    if scale > 0 {
        text.push('.');
        for _ in len..scale {
            text.push('0');
        }
        for &digit in digits[..scale.min(len)].iter().rev() {
            text.push(char::from(digit));
        }
    }
}

/// A `ValueType` message: its one `inner` field, as `wire::value` builds it.
fn put_value(value: &Value, buf: &mut Vec<u8>, text: &mut String) {
    let varint = |tag: u32, n: u64, buf: &mut Vec<u8>| {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(n, buf);
    };
    match value {
        Value::Null => varint(1, 1, buf),
        Value::Bool(b) => varint(2, u64::from(*b), buf),
        // int32 is sign-extended to 64 bits on the wire.
        Value::Short(n) => varint(3, i64::from(*n) as u64, buf),
        Value::Int(n) => varint(4, i64::from(*n) as u64, buf),
        Value::Long(n) => varint(5, *n as u64, buf),
        Value::Float(f) => {
            encode_key(6, WireType::ThirtyTwoBit, buf);
            buf.put_f32_le(*f);
        }
        Value::Double(f) => {
            encode_key(7, WireType::SixtyFourBit, buf);
            buf.put_f64_le(*f);
        }
        Value::NaiveDate(d) => {
            let instant = d.and_time(chrono::NaiveTime::MIN).and_utc();
            put_timestamp(8, instant.timestamp(), 0, buf);
        }
        Value::NaiveDatetime(d) => {
            let instant = d.and_utc();
            put_timestamp(
                9,
                instant.timestamp(),
                instant.timestamp_subsec_nanos(),
                buf,
            );
        }
        Value::UtcDatetime(d) => put_timestamp(10, d.timestamp(), d.timestamp_subsec_nanos(), buf),
        Value::Decimal(d) => {
            text.clear();
            decimal_text(d, text);
            put_string(11, text, buf);
        }
        Value::Binary(b) => {
            encode_key(12, WireType::LengthDelimited, buf);
            encode_varint(b.len() as u64, buf);
            buf.extend_from_slice(b);
        }
        Value::String(s) => put_string(13, s, buf),
        Value::Json(s) => put_string(14, s, buf),
        Value::Xml(s) => put_string(15, s, buf),
    }
}

impl Message for Records {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.bytes);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != 1 {
            return skip_field(wire_type, tag, buf, ctx);
        }
        // A record whole in the buffer's current chunk is copied as it is; anything else (split
        // across chunks, or malformed) goes through prost's own reader, which says what is wrong.
        let chunk = buf.chunk();
        let mut peek = chunk;
        let whole = (wire_type == WireType::LengthDelimited)
            .then(|| decode_varint(&mut peek).ok())
            .flatten()
            .and_then(|len| usize::try_from(len).ok())
            .filter(|len| *len <= peek.len());
        if let Some(len) = whole {
            encode_key(1, WireType::LengthDelimited, &mut self.bytes);
            encode_varint(len as u64, &mut self.bytes);
            self.bytes.extend_from_slice(&peek[..len]);
            let consumed = chunk.len() - peek.len() + len;
            buf.advance(consumed);
        } else {
            let mut record: Vec<u8> = Vec::new();
            prost::encoding::bytes::merge(wire_type, &mut record, buf, ctx)?;
            encode_key(1, WireType::LengthDelimited, &mut self.bytes);
            encode_varint(record.len() as u64, &mut self.bytes);
            self.bytes.extend_from_slice(&record);
        }
        self.count += 1;
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Cells;
    use crate::schema::{Column, DataType, TableRef, TableSchema};
    use chrono::{DateTime, NaiveDate};
    use rust_decimal::Decimal;

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut text = String::new();
        let mantissas = [
            0_i64,
            1,
            -1,
            5,
            -5,
            9,
            10,
            -10,
            99,
            100,
            12_345,
            -12_345,
            1_000_000,
            -987_654_321,
            i64::MAX,
            i64::MIN + 1,
        ];
        for mantissa in mantissas {
            for scale in [0, 1, 2, 3, 4, 5, 9, 10, 18, 19, 20, 28] {
                let d = Decimal::new(mantissa, scale);
                text.clear();
                decimal_text(&d, &mut text);
                assert_eq!(text, d.to_string(), "mantissa {mantissa}, scale {scale}");
            }
        }
        for wide in [
            "79228162514264337593543950335",
            "-0.0000000000000000000000000001",
        ] {
            let d: Decimal = wide.parse().unwrap();
            text.clear();
            decimal_text(&d, &mut text);
            assert_eq!(text, d.to_string());
        }
    }

    fn every_value() -> Vec<(String, Value)> {
        let date = NaiveDate::from_ymd_opt(1969, 7, 20).unwrap();
        [
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Short(-5),
            Value::Int(i32::MIN),
            Value::Long(i64::MAX),
            Value::Long(0),
            Value::Decimal(Decimal::new(-12345, 3)),
            Value::Float(-1.5),
            Value::Double(0.0),
            Value::NaiveDate(date),
            Value::NaiveDatetime(date.and_hms_micro_opt(20, 17, 40, 123_456).unwrap()),
            Value::UtcDatetime(DateTime::from_timestamp(-1, 999_000).unwrap()),
            Value::UtcDatetime(DateTime::from_timestamp(0, 0).unwrap()),
            Value::Binary(vec![0, 1, 255]),
            Value::String(String::new()),
            Value::String("é".into()),
            Value::Json("{}".into()),
            Value::Xml("<a/>".into()),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("c{i}"), v))
        .collect()
    }

    #[test]
    fn records_encoded_straight_decode_as_the_generated_ones() {
        let table = TableRef::from(
            TableSchema::new("t")
                .in_schema("s")
                .column(Column::key("c0", Some(DataType::Long))),
        );
        let mut records = Records::default();
        let mut scratch = Scratch::default();
        let mut expected = Vec::new();
        for kind in [
            RecordKind::Upsert,
            RecordKind::Update,
            RecordKind::Delete,
            RecordKind::Truncate,
        ] {
            let cells = if kind == RecordKind::Truncate {
                Cells::None
            } else {
                Cells::Named(every_value())
            };
            let record = Record {
                table: table.clone(),
                kind,
                cells,
            };
            let keep = |c: &str| c != "c3";
            records.push_record(&record, keep, &mut scratch);
            expected.push(crate::grpc::wire::record(record, keep));
        }
        assert_eq!(records.len(), 4);
        assert_eq!(records.records().unwrap(), expected);

        // Through a whole message, as a client reads it.
        let message = proto::UpdateResponse {
            operation: Some(proto::update_response::Operation::Records(records.clone())),
        };
        let decoded = proto::UpdateResponse::decode(message.encode_to_vec().as_slice()).unwrap();
        let Some(proto::update_response::Operation::Records(read)) = decoded.operation else {
            panic!("a batch")
        };
        assert_eq!(read.records().unwrap(), expected);
        assert_eq!(read.encoded_len(), records.encoded_len());

        // Read straight from the bytes: the same as the generated records, value by value.
        let views: Vec<RecordView<'_>> = read.views().map(Result::unwrap).collect();
        assert_eq!(views.len(), expected.len());
        for (view, record) in views.iter().zip(&expected) {
            assert_eq!(view.schema_name, record.schema_name.as_deref());
            assert_eq!(view.table_name, record.table_name);
            assert_eq!(view.kind, record.r#type);
            let mut cells: Vec<(&str, Value)> = view.cells().map(Result::unwrap).collect();
            cells.sort_by(|a, b| a.0.cmp(b.0));
            let mut wanted: Vec<(&str, Value)> = record
                .data
                .iter()
                .map(|(k, v)| {
                    let value = crate::grpc::wire::value_from_wire(v.clone()).unwrap();
                    (k.as_str(), value)
                })
                .collect();
            wanted.sort_by(|a, b| a.0.cmp(b.0));
            assert_eq!(cells, wanted);
        }
    }

    #[test]
    fn generated_records_can_be_pushed_too() {
        let record = proto::Record {
            schema_name: None,
            table_name: "t".into(),
            r#type: proto::RecordType::Delete as i32,
            data: [("id".to_string(), crate::grpc::wire::value(Value::Long(7)))].into(),
        };
        let mut records = Records::default();
        records.push(&record);
        assert_eq!(records.records().unwrap(), [record]);
    }
}
