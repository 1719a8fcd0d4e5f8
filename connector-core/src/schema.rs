//! Table schemas: Fivetran's data types, columns, and the description of a table.
//!
//! A `#[table]` struct produces a [`TableSchema`] in a `static` (built at compile time); a connector
//! whose tables are only known at run time builds them with [`TableSchema::new`]. Names here are the
//! source names as the connector writes them; the destination applies Fivetran naming
//! (see [`crate::naming`]).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Largest DECIMAL precision Fivetran accepts.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// A Fivetran data type, as a column declares it.
///
/// ```
/// use connector_core::DataType;
/// assert_eq!(DataType::Decimal { precision: 15, scale: 2 }.to_string(), "DECIMAL(15, 2)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `true` or `false` (`bool`).
    Boolean,
    /// A 16-bit integer (`i16`).
    Short,
    /// A 32-bit integer (`i32`).
    Int,
    /// A 64-bit integer (`i64`).
    Long,
    /// An exact decimal number.
    Decimal {
        /// Digits in all, 1 to 38.
        precision: u8,
        /// Digits after the point, at most `precision`.
        scale: u8,
    },
    /// A 32-bit float (`f32`).
    Float,
    /// A 64-bit float (`f64`).
    Double,
    /// A date without a time zone (`NaiveDate`).
    NaiveDate,
    /// A date and time without a time zone (`NaiveDateTime`).
    NaiveDatetime,
    /// An instant, in UTC (`DateTime<Utc>`).
    UtcDatetime,
    /// Bytes (`Vec<u8>`).
    Binary,
    /// An XML document, as text.
    Xml,
    /// Text (`String`).
    String,
    /// A JSON document (`serde_json::Value`).
    Json,
}

impl DataType {
    /// DECIMAL with the precision and scale a run-time schema gets when it names none.
    pub const DEFAULT_DECIMAL: DataType = DataType::Decimal {
        precision: 38,
        scale: 10,
    };

    /// Fivetran's name of the type, without parameters (`DECIMAL`, `UTC_DATETIME`).
    pub fn fivetran_name(self) -> &'static str {
        match self {
            DataType::Boolean => "BOOLEAN",
            DataType::Short => "SHORT",
            DataType::Int => "INT",
            DataType::Long => "LONG",
            DataType::Decimal { .. } => "DECIMAL",
            DataType::Float => "FLOAT",
            DataType::Double => "DOUBLE",
            DataType::NaiveDate => "NAIVE_DATE",
            DataType::NaiveDatetime => "NAIVE_DATETIME",
            DataType::UtcDatetime => "UTC_DATETIME",
            DataType::Binary => "BINARY",
            DataType::Xml => "XML",
            DataType::String => "STRING",
            DataType::Json => "JSON",
        }
    }

    /// Parses a type as the Python SDK's `schema()` writes it: `"LONG"`, `"UTC_DATETIME"`,
    /// `"DECIMAL(15, 2)"` (case-insensitive). `NAIVE_TIME` is refused: sources cannot send it.
    pub fn parse(text: &str) -> Result<DataType, String> {
        let upper = text.trim().to_ascii_uppercase();
        if let Some(params) = upper.strip_prefix("DECIMAL") {
            let params = params.trim();
            if params.is_empty() {
                return Ok(DataType::DEFAULT_DECIMAL);
            }
            let inner = params
                .strip_prefix('(')
                .and_then(|p| p.strip_suffix(')'))
                .ok_or_else(|| format!("`{text}` is not a DECIMAL(precision, scale)"))?;
            let mut parts = inner.split(',').map(|p| p.trim().parse::<u8>());
            return match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(precision)), Some(Ok(scale)), None) => DataType::decimal(precision, scale),
                _ => Err(format!("`{text}` is not a DECIMAL(precision, scale)")),
            };
        }
        Ok(match upper.as_str() {
            "BOOLEAN" => DataType::Boolean,
            "SHORT" => DataType::Short,
            "INT" => DataType::Int,
            "LONG" => DataType::Long,
            "FLOAT" => DataType::Float,
            "DOUBLE" => DataType::Double,
            "NAIVE_DATE" => DataType::NaiveDate,
            "NAIVE_DATETIME" => DataType::NaiveDatetime,
            "UTC_DATETIME" => DataType::UtcDatetime,
            "BINARY" => DataType::Binary,
            "XML" => DataType::Xml,
            "STRING" => DataType::String,
            "JSON" => DataType::Json,
            "NAIVE_TIME" => {
                return Err("source connectors cannot send NAIVE_TIME; use STRING".into());
            }
            _ => {
                return Err(format!(
                    "unknown data type `{text}`; expected one of BOOLEAN, SHORT, INT, LONG, \
                     DECIMAL(p, s), FLOAT, DOUBLE, NAIVE_DATE, NAIVE_DATETIME, UTC_DATETIME, \
                     BINARY, XML, STRING, JSON"
                ));
            }
        })
    }

    /// A DECIMAL type, checking `1 <= precision <= 38` and `scale <= precision`.
    pub fn decimal(precision: u8, scale: u8) -> Result<DataType, String> {
        if precision == 0 || precision > MAX_DECIMAL_PRECISION {
            return Err(format!(
                "DECIMAL precision must be within 1..=38, not {precision}"
            ));
        }
        if scale > precision {
            return Err(format!(
                "DECIMAL scale {scale} is greater than its precision {precision}"
            ));
        }
        Ok(DataType::Decimal { precision, scale })
    }
}

impl DataType {
    /// The most specific type that holds values of both types, for a column whose type is
    /// inferred from values: BOOLEAN < SHORT < INT < LONG; integers with DECIMAL give DECIMAL;
    /// any number with FLOAT or DOUBLE gives DOUBLE; NAIVE_DATE < NAIVE_DATETIME < UTC_DATETIME;
    /// any other mix (JSON included) gives STRING.
    ///
    /// ```
    /// use connector_core::DataType;
    /// assert_eq!(DataType::Int.widen(DataType::Long), DataType::Long);
    /// assert_eq!(DataType::Long.widen(DataType::Double), DataType::Double);
    /// assert_eq!(DataType::NaiveDate.widen(DataType::Boolean), DataType::String);
    /// ```
    pub fn widen(self, other: DataType) -> DataType {
        use DataType::*;
        if self == other {
            return self;
        }
        let integer_rank = |t: DataType| match t {
            Boolean => Some(0),
            Short => Some(1),
            Int => Some(2),
            Long => Some(3),
            _ => None,
        };
        let time_rank = |t: DataType| match t {
            NaiveDate => Some(0),
            NaiveDatetime => Some(1),
            UtcDatetime => Some(2),
            _ => None,
        };
        let is_number =
            |t: DataType| integer_rank(t).is_some() || matches!(t, Decimal { .. } | Float | Double);
        if let (Some(a), Some(b)) = (integer_rank(self), integer_rank(other)) {
            return if a >= b { self } else { other };
        }
        if let (Some(a), Some(b)) = (time_rank(self), time_rank(other)) {
            return if a >= b { self } else { other };
        }
        match (self, other) {
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                },
                Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => {
                let scale = s1.max(s2);
                let integer_digits = (p1 - s1).max(p2 - s2);
                Decimal {
                    precision: (integer_digits + scale).min(MAX_DECIMAL_PRECISION),
                    scale,
                }
            }
            (d @ Decimal { .. }, t) | (t, d @ Decimal { .. }) if integer_rank(t).is_some() => d,
            (a, b) if is_number(a) && is_number(b) => Double,
            _ => String,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            other => f.write_str(other.fivetran_name()),
        }
    }
}

/// Serialized as its text: `"LONG"`, `"DECIMAL(15, 2)"`.
impl Serialize for DataType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One column of a table: its source name, its type (`None`: inferred from values) and whether it
/// is part of the primary key.
///
/// ```
/// use connector_core::{Column, DataType};
/// let id = Column::key("id", Some(DataType::Long));
/// let note = Column::new("note", DataType::String);
/// assert!(id.primary_key && !note.primary_key);
/// assert_eq!(note.data_type, Some(DataType::String));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The source name (the destination applies its naming to it).
    pub name: Cow<'static, str>,
    /// The declared type; `None` lets the destination infer it from the values.
    #[serde(rename = "type")]
    pub data_type: Option<DataType>,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

impl Column {
    /// A typed, non-key column.
    pub fn new(name: impl Into<Cow<'static, str>>, data_type: DataType) -> Column {
        Column {
            name: name.into(),
            data_type: Some(data_type),
            primary_key: false,
        }
    }

    /// A key column; `data_type` `None` lets the destination infer the type from the values.
    pub fn key(name: impl Into<Cow<'static, str>>, data_type: Option<DataType>) -> Column {
        Column {
            name: name.into(),
            data_type,
            primary_key: true,
        }
    }
}

/// A table as the connector declares it: name, optional schema, columns in order, primary key.
///
/// ```
/// use connector_core::{Column, DataType, TableSchema};
/// let orders = TableSchema::new("orders")
///     .column(Column::key("id", Some(DataType::Long)))
///     .column(Column::new("amount", DataType::Decimal { precision: 12, scale: 2 }));
/// assert_eq!(orders.primary_key().count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSchema {
    /// The source name of the table.
    pub name: Cow<'static, str>,
    /// The schema it belongs to, if the connector names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<Cow<'static, str>>,
    /// The declared columns, in order (more may be inferred from the rows).
    pub columns: Cow<'static, [Column]>,
}

impl TableSchema {
    /// A table with no declared columns (every column is inferred, `_fivetran_id` is the key).
    pub fn new(name: impl Into<Cow<'static, str>>) -> TableSchema {
        TableSchema {
            name: name.into(),
            schema: None,
            columns: Cow::Borrowed(&[]),
        }
    }

    /// Puts the table in the named schema.
    pub fn in_schema(mut self, schema: impl Into<Cow<'static, str>>) -> TableSchema {
        self.schema = Some(schema.into());
        self
    }

    /// Adds a column after the others.
    pub fn column(mut self, column: Column) -> TableSchema {
        self.columns.to_mut().push(column);
        self
    }

    /// The primary-key columns, in declaration order.
    pub fn primary_key(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.primary_key)
    }

    /// Whether the table declares a primary key (otherwise the destination adds `_fivetran_id`).
    pub fn has_primary_key(&self) -> bool {
        self.columns.iter().any(|c| c.primary_key)
    }

    /// The position of a column by source name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// [`column_index`](TableSchema::column_index), trying `guess` first and keeping the answer
    /// in it for the next lookup: rows of a table mostly list their columns in one order, so the
    /// guess, always verified, saves a search.
    pub(crate) fn column_index_guessed(&self, name: &str, guess: &mut u16) -> Option<u16> {
        if let Some(guessed) = self.columns.get(usize::from(*guess))
            && guessed.name == name
        {
            return Some(*guess);
        }
        let index = u16::try_from(self.column_index(name)?).ok()?;
        *guess = index;
        Some(index)
    }

    /// `schema.table` or `table`, for messages.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// A cheap handle on a table schema: a `#[table]`'s static schema or a run-time one.
#[derive(Debug, Clone)]
pub enum TableRef {
    /// The schema a `#[table]` generates.
    Static(&'static TableSchema),
    /// A schema built at run time, with the id it was given when it was made.
    Shared(Arc<TableSchema>, TableId),
}

/// Which table a [`TableRef`] names, for the sinks' per-table caches: the same for every clone
/// of one handle, and never the same for two schemas of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableId {
    /// A `#[table]`'s schema, by its address: a `'static` is never freed, so no other schema
    /// can ever have it.
    Static(usize),
    /// A run-time schema, numbered when it was made.
    Runtime(u64),
}

impl Deref for TableRef {
    type Target = TableSchema;

    fn deref(&self) -> &TableSchema {
        match self {
            TableRef::Static(schema) => schema,
            TableRef::Shared(schema, _) => schema,
        }
    }
}

impl TableRef {
    /// Which table this is: sinks cache per-table work by it.
    pub(crate) fn id(&self) -> TableId {
        match self {
            TableRef::Static(schema) => {
                TableId::Static(std::ptr::from_ref::<TableSchema>(schema) as usize)
            }
            TableRef::Shared(_, id) => *id,
        }
    }
}

impl From<TableSchema> for TableRef {
    fn from(schema: TableSchema) -> TableRef {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let id = TableId::Runtime(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        TableRef::Shared(Arc::new(schema), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_type_names() {
        assert_eq!(DataType::parse("long"), Ok(DataType::Long));
        assert_eq!(DataType::parse("UTC_DATETIME"), Ok(DataType::UtcDatetime));
        assert_eq!(
            DataType::parse("DECIMAL(15, 2)"),
            Ok(DataType::Decimal {
                precision: 15,
                scale: 2
            })
        );
        assert_eq!(DataType::parse("DECIMAL"), Ok(DataType::DEFAULT_DECIMAL));
        assert!(
            DataType::parse("DECIMAL(40, 2)")
                .unwrap_err()
                .contains("1..=38")
        );
        assert!(
            DataType::parse("DECIMAL(4, 6)")
                .unwrap_err()
                .contains("greater")
        );
        assert!(
            DataType::parse("NAIVE_TIME")
                .unwrap_err()
                .contains("cannot send")
        );
        assert!(
            DataType::parse("TEXT")
                .unwrap_err()
                .contains("unknown data type `TEXT`")
        );
    }
}
