//! `Records` kept in its wire form. The generated code uses this type for the protocol's
//! `Records` message (`extern_path` in `build.rs`), so `serve` encodes each of a sync's records
//! straight from its values into protobuf bytes, with no per-cell map of strings in between;
//! `connector-tester` reads them back with `grpc::read`.

use bytes::{Buf, BufMut};
use prost::encoding::{
    DecodeContext, WireType, decode_varint, encode_key, encode_varint, encoded_len_varint,
    skip_field,
};
use prost::{DecodeError, Message};

use super::wire;
use crate::decimal::Decimal;
use crate::record::{Record, RecordKind};
use crate::value::Value;

/// A `Records` message: field 1 (`repeated Record records`), entry by entry, as encoded bytes.
#[derive(Clone, Default, PartialEq)]
pub struct Records {
    pub(super) bytes: Vec<u8>,
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

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a generated `Record`.
    #[cfg(test)]
    pub fn push(&mut self, record: &crate::proto::Record) {
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
    #[cfg(any(test, feature = "reader"))]
    pub fn records(&self) -> Result<Vec<crate::proto::Record>, DecodeError> {
        use prost::encoding::decode_key;
        let mut buf = self.bytes.as_slice();
        let mut out = Vec::with_capacity(self.count);
        while buf.has_remaining() {
            decode_key(&mut buf)?;
            out.push(crate::proto::Record::decode_length_delimited(&mut buf)?);
        }
        Ok(out)
    }
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
fn decimal_text(d: &Decimal, text: &mut String) {
    use std::fmt::Write as _;
    let mantissa = d.mantissa();
    let Ok(mut rest) = u64::try_from(mantissa.unsigned_abs()) else {
        let _ = write!(text, "{d}");
        return;
    };
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
    use crate::proto;

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
            for scale in [0, 1, 2, 3, 4, 5, 9, 10, 18, 19, 20, 28, 38] {
                let d = Decimal::new(mantissa, scale);
                text.clear();
                decimal_text(&d, &mut text);
                assert_eq!(text, d.to_string(), "mantissa {mantissa}, scale {scale}");
            }
        }
        for wide in [
            "79228162514264337593543950335",
            "-0.0000000000000000000000000001",
            "1234567890123456789012345678.0123456789",
            "-99999999999999999999999999999999999999",
        ] {
            let d: Decimal = wide.parse().unwrap();
            text.clear();
            decimal_text(&d, &mut text);
            assert_eq!(text, d.to_string());
        }
    }

    #[cfg(feature = "reader")]
    fn every_value() -> Vec<(std::borrow::Cow<'static, str>, Value)> {
        use chrono::{DateTime, NaiveDate};
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
        .map(|(i, v)| (format!("c{i}").into(), v))
        .collect()
    }

    /// Needs the reader of `connector-tester` (the `reader` feature, on with the local runner).
    #[cfg(feature = "reader")]
    #[test]
    fn records_encoded_straight_decode_as_the_generated_ones() {
        use crate::grpc::read::RecordView;
        use crate::record::Cells;
        use crate::schema::{Column, DataType, TableRef, TableSchema};
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
                    let value = crate::grpc::read::value_from_wire(v.clone()).unwrap();
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
