//! Conversions between the SDK's types and the protocol's messages, both ways: what `serve` sends
//! (form, schema, records) and what `connector-tester` reads back. Timestamps follow Fivetran's
//! rules: NAIVE_DATE is midnight UTC of the date, NAIVE_DATETIME is the wall-clock time read as
//! UTC, UTC_DATETIME is the instant; DECIMAL travels as its decimal text.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

use crate::config::{FieldKind, Form, TextField};
use crate::proto;
use crate::proto::value_type::Inner;
use crate::record::{Record, RecordKind};
use crate::schema::{DataType, TableSchema};
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

/// The `Schema` answer: a schema list when the tables name schemas, a table list when they do
/// not. The tables were checked (`destination::declared`), so either all name one or none does.
pub fn schema_response(tables: &[TableSchema]) -> proto::SchemaResponse {
    use proto::schema_response::Response;
    let response = if tables.iter().any(|t| t.schema.is_some()) {
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
        Response::WithoutSchema(proto::TableList {
            tables: tables.iter().map(table).collect(),
        })
    };
    proto::SchemaResponse {
        selection_not_supported: Some(false),
        response: Some(response),
    }
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
            .map(|(n, v)| (n.into_owned(), value(v)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

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
    fn tables_of_one_schema_are_grouped() {
        let a = TableSchema::new("a").in_schema("s1");
        let b = TableSchema::new("b").in_schema("s1");
        let response = schema_response(&[a, b]);
        let Some(proto::schema_response::Response::WithSchema(list)) = response.response else {
            panic!("a schema list")
        };
        assert_eq!(list.schemas.len(), 1);
        assert_eq!(list.schemas[0].tables.len(), 2);
    }
}
