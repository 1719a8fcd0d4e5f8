//! Conversions between the SDK's types and the protocol's messages, both ways: what `serve` sends
//! (form, schema, records) and what `connector-tester` reads back. Timestamps follow Fivetran's
//! rules: NAIVE_DATE is midnight UTC of the date, NAIVE_DATETIME is the wall-clock time read as
//! UTC, UTC_DATETIME is the instant; DECIMAL travels as its decimal text.

use std::borrow::Cow;
use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use rust_decimal::Decimal;

use crate::config::{FieldKind, Form, TextField};
use crate::proto;
use crate::proto::value_type::Inner;
use crate::record::{Record, RecordKind};
use crate::schema::{Column, DataType, TableSchema};
use crate::value::Value;

/// The `ConfigurationForm` answer for a form. Schema selection is offered when the connector
/// names schemas; table selection always.
pub fn form_response(form: &Form, names_schemas: bool) -> proto::ConfigurationFormResponse {
    proto::ConfigurationFormResponse {
        schema_selection_supported: names_schemas,
        table_selection_supported: true,
        fields: form.fields.iter().map(form_field).collect(),
        tests: form
            .tests
            .iter()
            .map(|t| proto::ConfigurationTest {
                name: t.name.clone(),
                label: t.label.clone(),
            })
            .collect(),
    }
}

fn form_field(field: &crate::config::FormField) -> proto::FormField {
    use proto::form_field::Type;
    let kind = match &field.kind {
        FieldKind::TextField(text) => Type::TextField(text_field(*text) as i32),
        FieldKind::DropdownField(values) => Type::DropdownField(proto::DropdownField {
            dropdown_field: values.clone(),
        }),
        FieldKind::ToggleField => Type::ToggleField(proto::ToggleField {}),
    };
    proto::FormField {
        name: field.name.clone(),
        label: field.label.clone(),
        required: Some(field.required),
        description: field.description.clone(),
        default_value: field.default_value.clone(),
        placeholder: field.placeholder.clone(),
        r#type: Some(kind),
    }
}

fn text_field(text: TextField) -> proto::TextField {
    match text {
        TextField::PlainText => proto::TextField::PlainText,
        TextField::Password => proto::TextField::Password,
        TextField::Hidden => proto::TextField::Hidden,
    }
}

/// The `Schema` answer: a table list when no table names a schema, a schema list when every
/// table does. A mix cannot be said on the wire and is refused.
pub fn schema_response(tables: &[TableSchema]) -> Result<proto::SchemaResponse, WireError> {
    use proto::schema_response::Response;
    let named = tables.iter().filter(|t| t.schema.is_some()).count();
    let response = if named == 0 {
        Response::WithoutSchema(proto::TableList {
            tables: tables.iter().map(table).collect(),
        })
    } else if named == tables.len() {
        let mut schemas: Vec<proto::Schema> = Vec::new();
        for t in tables {
            let name = t.schema.as_deref().unwrap_or_default();
            match schemas.iter_mut().find(|s| s.name == name) {
                Some(schema) => schema.tables.push(table(t)),
                None => schemas.push(proto::Schema {
                    name: name.to_string(),
                    tables: vec![table(t)],
                }),
            }
        }
        Response::WithSchema(proto::SchemaList { schemas })
    } else {
        let unnamed = tables
            .iter()
            .filter(|t| t.schema.is_none())
            .map(|t| t.name.to_string())
            .collect();
        return Err(WireError::MixedSchemas { unnamed });
    };
    Ok(proto::SchemaResponse {
        selection_not_supported: Some(false),
        response: Some(response),
    })
}

/// A table as the protocol declares it. A column whose type is inferred from values is sent as
/// UNSPECIFIED (only a key column can be one).
pub fn table(schema: &TableSchema) -> proto::Table {
    proto::Table {
        name: schema.name.to_string(),
        columns: schema
            .columns
            .iter()
            .map(|c| {
                let (data_type, params) = data_type(c.data_type);
                proto::Column {
                    name: c.name.to_string(),
                    r#type: data_type as i32,
                    primary_key: c.primary_key,
                    params,
                }
            })
            .collect(),
    }
}

fn data_type(data_type: Option<DataType>) -> (proto::DataType, Option<proto::DataTypeParams>) {
    use proto::DataType as P;
    let Some(data_type) = data_type else {
        return (P::Unspecified, None);
    };
    let wire = match data_type {
        DataType::Boolean => P::Boolean,
        DataType::Short => P::Short,
        DataType::Int => P::Int,
        DataType::Long => P::Long,
        DataType::Decimal { precision, scale } => {
            let params = proto::DataTypeParams {
                params: Some(proto::data_type_params::Params::Decimal(
                    proto::DecimalParams {
                        precision: u32::from(precision),
                        scale: u32::from(scale),
                    },
                )),
            };
            return (P::Decimal, Some(params));
        }
        DataType::Float => P::Float,
        DataType::Double => P::Double,
        DataType::NaiveDate => P::NaiveDate,
        DataType::NaiveDatetime => P::NaiveDatetime,
        DataType::UtcDatetime => P::UtcDatetime,
        DataType::Binary => P::Binary,
        DataType::Xml => P::Xml,
        DataType::String => P::String,
        DataType::Json => P::Json,
    };
    (wire, None)
}

/// The wire form of a record kind.
pub fn record_type(kind: RecordKind) -> proto::RecordType {
    match kind {
        RecordKind::Upsert => proto::RecordType::Upsert,
        RecordKind::Update => proto::RecordType::Update,
        RecordKind::Delete => proto::RecordType::Delete,
        RecordKind::Truncate => proto::RecordType::Truncate,
    }
}

/// A record on the wire, keeping the cells for which `keep(column)` holds. Names are the
/// source's: the destination applies its naming.
pub fn record(record: Record, keep: impl Fn(&str) -> bool) -> proto::Record {
    let Record { table, kind, cells } = record;
    let columns = &table.columns;
    let name = |i: usize| columns[i].name.as_ref();
    let data = match cells {
        crate::record::Cells::All(values) => values
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep(name(*i)))
            .map(|(i, v)| (name(i).to_string(), value(v)))
            .collect(),
        crate::record::Cells::Indexed(cells) => cells
            .into_iter()
            .filter(|(i, _)| keep(name(usize::from(*i))))
            .map(|(i, v)| (name(usize::from(i)).to_string(), value(v)))
            .collect(),
        crate::record::Cells::Named(cells) => cells
            .into_iter()
            .filter(|(n, _)| keep(n))
            .map(|(n, v)| (n, value(v)))
            .collect(),
        crate::record::Cells::None => Default::default(),
    };
    proto::Record {
        schema_name: table.schema.as_ref().map(|s| s.to_string()),
        table_name: table.name.to_string(),
        r#type: record_type(kind) as i32,
        data,
    }
}

/// A value on the wire.
pub fn value(value: Value) -> proto::ValueType {
    let inner = match value {
        Value::Null => Inner::Null(true),
        Value::Bool(b) => Inner::Bool(b),
        Value::Short(n) => Inner::Short(i32::from(n)),
        Value::Int(n) => Inner::Int(n),
        Value::Long(n) => Inner::Long(n),
        Value::Decimal(d) => Inner::Decimal(d.to_string()),
        Value::Float(f) => Inner::Float(f),
        Value::Double(f) => Inner::Double(f),
        Value::NaiveDate(d) => {
            Inner::NaiveDate(timestamp(d.and_time(chrono::NaiveTime::MIN).and_utc()))
        }
        Value::NaiveDatetime(d) => Inner::NaiveDatetime(timestamp(d.and_utc())),
        Value::UtcDatetime(d) => Inner::UtcDatetime(timestamp(d)),
        Value::Binary(b) => Inner::Binary(b),
        Value::String(s) => Inner::String(s),
        Value::Json(s) => Inner::Json(s),
        Value::Xml(s) => Inner::Xml(s),
    };
    proto::ValueType { inner: Some(inner) }
}

fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).expect("below 10^9"),
    }
}

// ---- the reading side (connector-tester) ----

/// Why what was read from the wire (or a schema about to be sent) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("a source connector cannot send NAIVE_TIME values")]
    NaiveTimeValue,
    #[error("a source connector cannot declare NAIVE_TIME")]
    NaiveTimeColumn,
    #[error("SHORT value {0} is out of range")]
    ShortOutOfRange(i32),
    #[error("`{0}` is not a decimal")]
    NotDecimal(String),
    #[error("timestamp {seconds}s {nanos}ns is out of range")]
    TimestampOutOfRange { seconds: i64, nanos: i32 },
    #[error("unknown type {0}")]
    UnknownType(i32),
    #[error("{0}")]
    BadDecimal(String),
    #[error("column `{column}` of table `{table}`: {why}")]
    Column {
        table: String,
        column: String,
        why: Box<WireError>,
    },
    #[error("unknown record type {0}")]
    UnknownRecordKind(i32),
    #[error("an unknown value field {0}")]
    UnknownValueField(u32),
    /// The bytes of a message do not parse as protobuf.
    #[error("{0}")]
    Malformed(&'static str),
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u64),
    #[error(
        "some tables name a schema and some do not ({}); give every table a schema or none",
        unnamed.join(", ")
    )]
    MixedSchemas { unnamed: Vec<String> },
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
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| WireError::NotDecimal(text.to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveDateTime};

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
    fn a_naive_date_is_midnight_utc_on_the_wire() {
        let date = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        let wire = value(Value::NaiveDate(date));
        assert_eq!(
            wire.inner,
            Some(Inner::NaiveDate(Timestamp {
                seconds: 86_400,
                nanos: 0
            }))
        );
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
    fn mixed_schemas_are_refused_and_named_ones_grouped() {
        let a = TableSchema::new("a").in_schema("s1");
        let b = TableSchema::new("b").in_schema("s1");
        let c = TableSchema::new("c");
        assert!(
            schema_response(&[a.clone(), c])
                .unwrap_err()
                .to_string()
                .contains("(c)")
        );
        let response = schema_response(&[a, b]).unwrap();
        let Some(proto::schema_response::Response::WithSchema(list)) = response.response else {
            panic!("a schema list")
        };
        assert_eq!(list.schemas.len(), 1);
        assert_eq!(list.schemas[0].tables.len(), 2);
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
