//! SQL types to Fivetran types: what each column of a discovered table becomes, and how its
//! values are read off the wire.
//!
//! A type with no Fivetran counterpart (PostgreSQL's `interval`, `time`, arrays, enums, ranges,
//! network addresses; SQL Server's `time`, `sql_variant`) becomes STRING: its values are read as
//! the database's own text for them, and [`Mapping::known`] is false so the connector can warn
//! that it did so.

use connector_core::DataType;

use crate::dialect::Dialect;

/// How a column's values are read from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// `boolean`.
    Bool,
    /// A 16-bit integer.
    I16,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A 32-bit float.
    F32,
    /// A 64-bit float.
    F64,
    /// A date.
    Date,
    /// A timestamp without time zone.
    Timestamp,
    /// A timestamp with time zone.
    TimestampTz,
    /// Bytes.
    Bytes,
    /// The value's text, as STRING.
    Text,
    /// The value's text, parsed as an exact decimal.
    DecimalText,
    /// The value's text, as a JSON document.
    JsonText,
    /// The value's text, as an XML document.
    XmlText,
}

impl Read {
    /// Whether the column is selected as its text (`CAST(col AS text)`).
    pub fn as_text(self) -> bool {
        matches!(
            self,
            Read::Text | Read::DecimalText | Read::JsonText | Read::XmlText
        )
    }
}

/// What a SQL type becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// The Fivetran type of the column.
    pub data_type: DataType,
    /// How its values are read.
    pub read: Read,
    /// False when the SQL type has no Fivetran type and became STRING.
    pub known: bool,
}

impl Mapping {
    const fn of(data_type: DataType, read: Read) -> Mapping {
        Mapping {
            data_type,
            read,
            known: true,
        }
    }

    const UNKNOWN: Mapping = Mapping {
        data_type: DataType::String,
        read: Read::Text,
        known: false,
    };
}

/// A column's type as the catalog describes it (`information_schema.columns`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlType {
    /// `data_type`: `integer`, `timestamp with time zone`, `USER-DEFINED`, `nvarchar`...
    pub name: String,
    /// `numeric_precision`, for exact numbers.
    pub precision: Option<i32>,
    /// `numeric_scale`, for exact numbers.
    pub scale: Option<i32>,
}

impl SqlType {
    /// A type without precision or scale.
    pub fn named(name: &str) -> SqlType {
        SqlType {
            name: name.to_string(),
            ..SqlType::default()
        }
    }
}

/// The Fivetran type of a column of `sql_type` in a database of `dialect`.
///
/// ```
/// use connector_core::DataType;
/// use connector_sql::Dialect;
/// use connector_sql::types::{SqlType, map};
///
/// let amount = SqlType { name: "numeric".into(), precision: Some(12), scale: Some(2) };
/// assert_eq!(map(Dialect::Postgres, &amount).data_type, DataType::Decimal { precision: 12, scale: 2 });
/// let duration = map(Dialect::Postgres, &SqlType::named("interval"));
/// assert_eq!((duration.data_type, duration.known), (DataType::String, false));
/// ```
pub fn map(dialect: Dialect, sql_type: &SqlType) -> Mapping {
    match dialect {
        Dialect::Postgres | Dialect::Redshift => postgres(sql_type),
        Dialect::SqlServer => sql_server(sql_type),
    }
}

/// An exact number: DECIMAL(p, s) when the precision fits Fivetran's 38 digits, else its text
/// (an unconstrained `numeric` holds any number of digits: STRING keeps them all).
fn exact(sql_type: &SqlType) -> Mapping {
    let precision = sql_type.precision.and_then(|p| u8::try_from(p).ok());
    let scale = sql_type
        .scale
        .and_then(|s| u8::try_from(s).ok())
        .unwrap_or(0);
    match precision.map(|p| DataType::decimal(p, scale)) {
        Some(Ok(decimal)) => Mapping::of(decimal, Read::DecimalText),
        _ => Mapping::of(DataType::String, Read::Text),
    }
}

fn postgres(sql_type: &SqlType) -> Mapping {
    use DataType as T;
    match sql_type.name.as_str() {
        "boolean" => Mapping::of(T::Boolean, Read::Bool),
        "smallint" => Mapping::of(T::Short, Read::I16),
        "integer" => Mapping::of(T::Int, Read::I32),
        "bigint" => Mapping::of(T::Long, Read::I64),
        "numeric" | "decimal" => exact(sql_type),
        "real" => Mapping::of(T::Float, Read::F32),
        "double precision" => Mapping::of(T::Double, Read::F64),
        "date" => Mapping::of(T::NaiveDate, Read::Date),
        "timestamp without time zone" => Mapping::of(T::NaiveDatetime, Read::Timestamp),
        "timestamp with time zone" => Mapping::of(T::UtcDatetime, Read::TimestampTz),
        "bytea" => Mapping::of(T::Binary, Read::Bytes),
        "text" | "character varying" | "character" | "name" | "uuid" | "\"char\"" => {
            Mapping::of(T::String, Read::Text)
        }
        "json" | "jsonb" => Mapping::of(T::Json, Read::JsonText),
        "xml" => Mapping::of(T::Xml, Read::XmlText),
        _ => Mapping::UNKNOWN,
    }
}

fn sql_server(sql_type: &SqlType) -> Mapping {
    use DataType as T;
    match sql_type.name.to_ascii_lowercase().as_str() {
        "bit" => Mapping::of(T::Boolean, Read::Bool),
        // `tinyint` is 0..=255: SHORT holds it.
        "tinyint" | "smallint" => Mapping::of(T::Short, Read::I16),
        "int" => Mapping::of(T::Int, Read::I32),
        "bigint" => Mapping::of(T::Long, Read::I64),
        "decimal" | "numeric" => exact(sql_type),
        "money" | "smallmoney" => Mapping::of(
            T::Decimal {
                precision: 19,
                scale: 4,
            },
            Read::DecimalText,
        ),
        "real" => Mapping::of(T::Float, Read::F32),
        "float" => Mapping::of(T::Double, Read::F64),
        "date" => Mapping::of(T::NaiveDate, Read::Date),
        "datetime" | "datetime2" | "smalldatetime" => {
            Mapping::of(T::NaiveDatetime, Read::Timestamp)
        }
        "datetimeoffset" => Mapping::of(T::UtcDatetime, Read::TimestampTz),
        "binary" | "varbinary" | "image" | "rowversion" | "timestamp" => {
            Mapping::of(T::Binary, Read::Bytes)
        }
        "char" | "varchar" | "text" | "nchar" | "nvarchar" | "ntext" | "uniqueidentifier" => {
            Mapping::of(T::String, Read::Text)
        }
        "xml" => Mapping::of(T::Xml, Read::XmlText),
        _ => Mapping::UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres_type(name: &str) -> DataType {
        map(Dialect::Postgres, &SqlType::named(name)).data_type
    }

    #[test]
    fn postgres_types_map_to_their_fivetran_types() {
        use DataType as T;
        for (sql, expected) in [
            ("boolean", T::Boolean),
            ("smallint", T::Short),
            ("integer", T::Int),
            ("bigint", T::Long),
            ("real", T::Float),
            ("double precision", T::Double),
            ("date", T::NaiveDate),
            ("timestamp without time zone", T::NaiveDatetime),
            ("timestamp with time zone", T::UtcDatetime),
            ("bytea", T::Binary),
            ("character varying", T::String),
            ("uuid", T::String),
            ("jsonb", T::Json),
            ("xml", T::Xml),
        ] {
            assert_eq!(postgres_type(sql), expected, "{sql}");
            assert!(map(Dialect::Redshift, &SqlType::named(sql)).known, "{sql}");
        }
    }

    #[test]
    fn exact_numbers_keep_precision_and_scale_up_to_38_digits() {
        let numeric = |precision, scale| SqlType {
            name: "numeric".into(),
            precision,
            scale,
        };
        assert_eq!(
            map(Dialect::Postgres, &numeric(Some(38), Some(4))).data_type,
            DataType::Decimal {
                precision: 38,
                scale: 4
            }
        );
        // More digits than Fivetran's DECIMAL holds, or no limit at all: exact text.
        for too_wide in [numeric(Some(50), Some(2)), numeric(None, None)] {
            let mapping = map(Dialect::Postgres, &too_wide);
            assert_eq!(
                (mapping.data_type, mapping.read),
                (DataType::String, Read::Text)
            );
            assert!(mapping.known);
        }
    }

    #[test]
    fn types_without_a_fivetran_type_become_unknown_strings() {
        for sql in [
            "interval",
            "time without time zone",
            "ARRAY",
            "USER-DEFINED",
            "inet",
        ] {
            let mapping = map(Dialect::Postgres, &SqlType::named(sql));
            assert_eq!(mapping, Mapping::UNKNOWN, "{sql}");
        }
        let variant = map(Dialect::SqlServer, &SqlType::named("sql_variant"));
        assert!(!variant.known);
    }

    #[test]
    fn sql_server_types_map_to_their_fivetran_types() {
        use DataType as T;
        for (sql, expected) in [
            ("bit", T::Boolean),
            ("tinyint", T::Short),
            ("INT", T::Int),
            ("bigint", T::Long),
            ("float", T::Double),
            ("date", T::NaiveDate),
            ("datetime2", T::NaiveDatetime),
            ("datetimeoffset", T::UtcDatetime),
            ("varbinary", T::Binary),
            ("nvarchar", T::String),
            ("uniqueidentifier", T::String),
        ] {
            assert_eq!(
                map(Dialect::SqlServer, &SqlType::named(sql)).data_type,
                expected,
                "{sql}"
            );
        }
    }
}
