//! `RowReader`: JSON objects read into [`Row`]s of one table, each member typed as the table
//! declares it while it is read.
//!
//! A JSON API sends timestamps and decimals as text. Read into a plain [`Row`], each of those is
//! a `String` first, converted to its declared type later by `upsert_row`; read by a
//! `RowReader`, it is parsed from the body's own text, and an object whose members are exactly
//! the table's columns becomes a row of one value per column, which travels to the sink as it
//! is. The values are those `upsert_row` would give a plain row: the same conversions
//! ([`Value::coerce_to`]); a member that does not fit its column is kept as it was read, and
//! `upsert_row` refuses it as it refuses a plain row's, naming the table and the column.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::row::{Row, ValueSeed, set_read_cell, shared_name};
use crate::schema::{DataType, TableRef};
use crate::value::Value;

/// Reads JSON objects into rows of one table, typed by its declared columns; made by
/// [`Operations::row_reader`](crate::Operations::row_reader).
///
/// ```no_run
/// use connector_core::prelude::*;
///
/// async fn schema() -> Result<Vec<TableSchema>> {
///     Ok(vec![TableSchema::new("orders")
///         .column(Column::key("id", Some(DataType::Long)))
///         .column(Column::new("placed_at", DataType::UtcDatetime))])
/// }
///
/// #[sync(schema = schema)]
/// async fn update(ops: &Operations) -> Result<()> {
///     // A response body, as an API sends it.
///     let body = br#"[{"id": 1, "placed_at": "2024-01-05T10:00:00Z", "note": "gift"}]"#;
///     let reader = ops.row_reader("orders")?;
///     for row in reader.rows(body)? {
///         ops.upsert_row("orders", row).await?;
///     }
///     ops.checkpoint(&json!({})).await?;
///     Ok(())
/// }
/// ```
///
/// Members the table does not declare are typed from their JSON, as in a plain [`Row`]. The rows
/// are this table's: their members are already in its columns' types, so upserted into another
/// table they carry those types (a decimal rounded to this table's scale, a timestamp parsed).
/// `&RowReader` is also a [`DeserializeSeed`] of one row, for an object inside a larger
/// document.
#[derive(Debug, Clone)]
pub struct RowReader {
    table: TableRef,
}

impl RowReader {
    pub(crate) fn new(table: TableRef) -> RowReader {
        RowReader { table }
    }

    /// The rows of a JSON array of objects, such as a response body.
    pub fn rows(&self, json: &[u8]) -> crate::Result<Vec<Row>> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let rows = RowsSeed(self).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(rows)
    }

    /// The row of one JSON object already parsed (an item of a page of `connector_core::http`,
    /// say).
    pub fn row(&self, object: serde_json::Value) -> crate::Result<Row> {
        Ok(self.deserialize(object)?)
    }
}

impl<'de> DeserializeSeed<'de> for &RowReader {
    type Value = Row;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_map(RowVisitor {
            table: &self.table,
            columns_read: &mut Vec::new(),
        })
    }
}

/// A JSON array of rows.
struct RowsSeed<'r>(&'r RowReader);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Vec<Row>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<Row>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Row>, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        // Shared by the rows: objects of one array mostly list their members in one order.
        let mut columns_read = Vec::new();
        while let Some(row) = seq.next_element_seed(RowVisitor {
            table: &self.0.table,
            columns_read: &mut columns_read,
        })? {
            rows.push(row);
        }
        Ok(rows)
    }
}

/// Columns a row of one value per column can track (a wider table's rows are read by name).
const TRACKED_COLUMNS: usize = u128::BITS as usize;

/// One object into a row of `table`.
struct RowVisitor<'r> {
    table: &'r TableRef,
    /// The declared column of each member read so far, by position; from the object before,
    /// the guess for each position.
    columns_read: &'r mut Vec<u16>,
}

impl<'de> DeserializeSeed<'de> for RowVisitor<'_> {
    type Value = Row;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowVisitor<'_> {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    /// While every member is a declared column met for the first time, in whatever order, its
    /// value goes into that column's place in a row of the table's columns; from the first member
    /// that is not, the row is read by name, in the object's order, as a plain [`Row`].
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let table = self.table;
        let columns = &table.columns;
        let tracked = columns.len() <= TRACKED_COLUMNS;
        let mut values: Vec<Value> = Vec::new();
        if tracked {
            values.resize(columns.len(), Value::Null);
        }
        let mut seen: u128 = 0;
        let mut named: Option<Vec<(Cow<'static, str>, Value)>> = None;
        let mut position = 0;
        loop {
            if self.columns_read.len() <= position {
                self.columns_read.push(0);
            }
            let key = KeySeed {
                table,
                guess: &mut self.columns_read[position],
                position,
            };
            let Some(key) = map.next_key_seed(key)? else {
                break;
            };
            match key {
                Key::Declared(index) if tracked && named.is_none() && seen & (1 << index) == 0 => {
                    seen |= 1 << index;
                    values[usize::from(index)] = map.next_value_seed(TypedSeed { table, index })?;
                }
                key => {
                    let cells = named.get_or_insert_with(|| {
                        by_name(table, &mut values, &self.columns_read[..position])
                    });
                    let (name, value) = match key {
                        Key::Declared(index) => (
                            shared_name(position, &columns[usize::from(index)].name),
                            map.next_value_seed(TypedSeed { table, index })?,
                        ),
                        Key::Other(name) => (name, map.next_value_seed(ValueSeed)?),
                    };
                    set_read_cell(cells, name, value);
                }
            }
            position += 1;
        }
        let every_column = match columns.len() {
            TRACKED_COLUMNS.. => u128::MAX,
            n => (1 << n) - 1,
        };
        Ok(match named {
            None if tracked && seen == every_column => Row::declared(table.clone(), values),
            None => Row::named(by_name(table, &mut values, &self.columns_read[..position])),
            Some(cells) => Row::named(cells),
        })
    }
}

/// The values read so far (the members at positions `0..`, of the declared columns `read`), as
/// cells by name in the object's order.
fn by_name(
    table: &TableRef,
    values: &mut [Value],
    read: &[u16],
) -> Vec<(Cow<'static, str>, Value)> {
    let mut cells = Vec::with_capacity(table.columns.len().max(8));
    for (position, &index) in read.iter().enumerate() {
        let index = usize::from(index);
        let name = shared_name(position, &table.columns[index].name);
        cells.push((name, std::mem::replace(&mut values[index], Value::Null)));
    }
    cells
}

/// A member's name: a declared column (its index), or another name.
enum Key {
    Declared(u16),
    Other(Cow<'static, str>),
}

/// A member's name, looked up among the declared columns: first the column the member at this
/// position of the object before was, then all of them.
struct KeySeed<'t> {
    table: &'t TableRef,
    guess: &'t mut u16,
    position: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(match self.table.column_index_guessed(name, self.guess) {
            Some(index) => Key::Declared(index),
            None => Key::Other(shared_name(self.position, name)),
        })
    }
}

/// The value of a member of declared column `index`, in the column's type.
struct TypedSeed<'t> {
    table: &'t TableRef,
    index: u16,
}

impl TypedSeed<'_> {
    fn declared_type(&self) -> Option<DataType> {
        self.table.columns[usize::from(self.index)].data_type
    }

    /// A value read as a plain row reads it, fitted to the column; a value that does not fit
    /// stays as it was read, for `upsert_row` to refuse as it refuses a plain row's.
    fn fit(&self, value: Value) -> Value {
        match self.declared_type() {
            Some(data_type) => value.clone().coerce_to(data_type).unwrap_or(value),
            None => value,
        }
    }

    /// Text, fitted to the column where it lies (see [`TypedSeed::fit`]).
    fn fit_text(&self, text: &str) -> Value {
        match self.declared_type() {
            Some(data_type) => Value::coerce_text(text, data_type)
                .unwrap_or_else(|_| Value::String(text.to_string())),
            None => Value::String(text.to_string()),
        }
    }
}

impl<'de> DeserializeSeed<'de> for TypedSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypedSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(self.fit(ValueSeed.visit_bool(b)?))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(self.fit(ValueSeed.visit_i64(n)?))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(self.fit(ValueSeed.visit_u64(n)?))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(self.fit(ValueSeed.visit_f64(n)?))
    }

    /// Text is read where it lies: a timestamp or a decimal never becomes a `String`.
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(self.fit_text(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(match self.declared_type() {
            Some(DataType::String) | None => Value::String(s),
            Some(DataType::Xml) => Value::Xml(s),
            Some(data_type) => Value::coerce_text(&s, data_type).unwrap_or(Value::String(s)),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Ok(self.fit(ValueSeed.visit_seq(seq)?))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Ok(self.fit(ValueSeed.visit_map(map)?))
    }
}
