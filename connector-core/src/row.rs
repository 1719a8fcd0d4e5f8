//! `Row`: a row of a table known only at run time, as column name → typed value.
//!
//! The typed path (`#[table]`) never builds a `Row`; this is for connectors that discover their
//! tables (a database's tables, a spreadsheet's sheets) or pass a source's JSON through. Column
//! names are `Cow<'static, str>`: a literal name costs no allocation, and a row read from JSON
//! ([`Row`]'s `Deserialize`) shares its names with the rows read before it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::schema::{TableId, TableRef};
use crate::value::Value;

/// Column name → value, in insertion order. Setting a name twice keeps the last value.
///
/// ```
/// use connector_core::{Row, Value};
/// let row = Row::new().with("id", 1_i64).with("name", "Ada").with("score", None::<f64>);
/// assert_eq!(row.get("name"), Some(&Value::String("Ada".into())));
/// assert_eq!(row.len(), 3);
/// ```
///
/// A JSON object deserializes straight into a row, each member typed as
/// [`Value`]'s `From<serde_json::Value>` types it (integers LONG, other numbers DOUBLE, text
/// STRING, arrays and objects JSON), without building a `serde_json::Value` first:
///
/// ```
/// use connector_core::{Row, Value};
/// let page: Vec<Row> = serde_json::from_str(r#"[{"id": 1, "tags": ["a"]}, {"id": 2}]"#)?;
/// assert_eq!(page[0].get("id"), Some(&Value::Long(1)));
/// assert_eq!(page[0].get("tags"), Some(&Value::Json(r#"["a"]"#.into())));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Row {
    form: Form,
}

/// How a row holds its cells.
#[derive(Clone)]
enum Form {
    /// `(column name, value)` in insertion order.
    Named(Vec<(Cow<'static, str>, Value)>),
    /// One value per column of `table`, in column order: what a
    /// [`RowReader`](crate::RowReader) reads from an object whose members are exactly the
    /// table's declared columns. It travels to the sink as it is, with no name and no copy.
    Declared { table: TableRef, values: Vec<Value> },
}

impl Default for Form {
    fn default() -> Form {
        Form::Named(Vec::new())
    }
}

impl Row {
    /// An empty row.
    pub fn new() -> Row {
        Row::default()
    }

    /// Sets a column and returns the row. A literal name (`"id"`) is not copied; a `String`
    /// is moved in.
    pub fn with(mut self, column: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Row {
        self.set(column, value);
        self
    }

    /// Sets a column, replacing an earlier value of the same name.
    pub fn set(&mut self, column: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let column = column.into();
        let value = value.into();
        if let Form::Declared { table, values } = &mut self.form
            && let Some(index) = table.column_index(&column)
        {
            values[index] = value;
            return;
        }
        let cells = self.named_cells();
        match cells.iter_mut().find(|(name, _)| *name == column) {
            Some((_, slot)) => *slot = value,
            None => {
                if cells.is_empty() {
                    // Most rows have a handful of columns: one allocation instead of three.
                    cells.reserve(8);
                }
                cells.push((column, value));
            }
        }
    }

    /// The value of a column, if the row has it.
    pub fn get(&self, column: &str) -> Option<&Value> {
        match &self.form {
            Form::Named(cells) => cells
                .iter()
                .find(|(name, _)| name == column)
                .map(|(_, v)| v),
            Form::Declared { table, values } => values.get(table.column_index(column)?),
        }
    }

    /// The number of columns set.
    pub fn len(&self) -> usize {
        match &self.form {
            Form::Named(cells) => cells.len(),
            Form::Declared { values, .. } => values.len(),
        }
    }

    /// Whether no column is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cells in insertion order (a row read by a [`RowReader`](crate::RowReader): in the
    /// table's column order).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        let (named, declared) = match &self.form {
            Form::Named(cells) => (cells.as_slice(), None),
            Form::Declared { table, values } => (&[][..], Some((table, values))),
        };
        let declared = declared.into_iter().flat_map(|(table, values)| {
            table
                .columns
                .iter()
                .zip(values)
                .map(|(column, value)| (column.name.as_ref(), value))
        });
        named
            .iter()
            .map(|(name, value)| (name.as_ref(), value))
            .chain(declared)
    }

    /// A row from a JSON object, each member typed as [`Value`]'s `From<serde_json::Value>` says.
    /// Anything but an object is refused.
    pub fn from_json(document: serde_json::Value) -> Result<Row, String> {
        match document {
            serde_json::Value::Object(members) => Ok(members
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect()),
            other => Err(format!(
                "a row must be a JSON object, not {}",
                json_kind(&other)
            )),
        }
    }

    /// A row of one value per column of `table`, in column order.
    pub(crate) fn declared(table: TableRef, values: Vec<Value>) -> Row {
        debug_assert_eq!(table.columns.len(), values.len());
        Row {
            form: Form::Declared { table, values },
        }
    }

    /// A row of cells by name.
    pub(crate) fn named(cells: Vec<(Cow<'static, str>, Value)>) -> Row {
        Row {
            form: Form::Named(cells),
        }
    }

    /// The values in column order, if the row holds one per column of the table `table` names;
    /// otherwise the row back.
    pub(crate) fn into_values_of(self, table: TableId) -> Result<Vec<Value>, Row> {
        match self.form {
            Form::Declared {
                table: declared,
                values,
            } if declared.id() == table => Ok(values),
            form => Err(Row { form }),
        }
    }

    pub(crate) fn into_cells(self) -> Vec<(Cow<'static, str>, Value)> {
        match self.form {
            Form::Named(cells) => cells,
            Form::Declared { table, values } => table
                .columns
                .iter()
                .zip(values)
                .map(|(column, value)| (column.name.clone(), value))
                .collect(),
        }
    }

    /// The cells by name, the row turned into that form first if it was not.
    fn named_cells(&mut self) -> &mut Vec<(Cow<'static, str>, Value)> {
        if let Form::Declared { .. } = self.form {
            let cells = std::mem::take(self).into_cells();
            self.form = Form::Named(cells);
        }
        match &mut self.form {
            Form::Named(cells) => cells,
            Form::Declared { .. } => unreachable!("turned into cells by name above"),
        }
    }
}

/// Two rows are equal when they hold the same cells in the same order, whatever their form.
impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<Value>> FromIterator<(K, V)> for Row {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Row {
        let mut row = Row::new();
        for (k, v) in iter {
            row.set(k, v);
        }
        row
    }
}

impl IntoIterator for Row {
    type Item = (Cow<'static, str>, Value);
    type IntoIter = std::vec::IntoIter<(Cow<'static, str>, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_cells().into_iter()
    }
}

/// Distinct column names a thread keeps for the rows it reads from JSON. A source's objects repeat
/// a few names millions of times; each is allocated once and kept for the process (past this
/// many distinct names, say object keys that are ids, names are allocated per row instead).
const SHARED_NAMES: usize = 4096;

/// The column names a thread has read from JSON, shared between its rows.
#[derive(Default)]
struct Names {
    /// Every name kept, for any position.
    shared: HashSet<&'static str>,
    /// The names of the last row read, by position: a source's objects usually list their
    /// members in one order, so a name is mostly found here without hashing.
    last_row: Vec<&'static str>,
}

impl Names {
    /// The name of the member at `position` of a row, shared with earlier rows when it has been
    /// seen.
    fn get(&mut self, position: usize, name: &str) -> Cow<'static, str> {
        if let Some(&last) = self.last_row.get(position)
            && last == name
        {
            return Cow::Borrowed(last);
        }
        let shared = match self.shared.get(name) {
            Some(shared) => *shared,
            None if self.shared.len() >= SHARED_NAMES => return Cow::Owned(name.to_string()),
            None => {
                // Kept for the process: at most `SHARED_NAMES` per thread.
                let shared: &'static str = Box::leak(name.to_string().into_boxed_str());
                self.shared.insert(shared);
                shared
            }
        };
        if position < self.last_row.len() {
            self.last_row[position] = shared;
        } else if position == self.last_row.len() {
            self.last_row.push(shared);
        }
        Cow::Borrowed(shared)
    }
}

thread_local! {
    static NAMES: RefCell<Names> = RefCell::new(Names::default());
}

/// A JSON object as a row (see [`Row`]); anything else is refused.
impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        deserializer.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut cells: Vec<(Cow<'static, str>, Value)> =
            Vec::with_capacity(map.size_hint().unwrap_or(8));
        let mut position = 0;
        while let Some(name) = map.next_key_seed(NameSeed { position })? {
            let value = map.next_value_seed(ValueSeed)?;
            position += 1;
            set_read_cell(&mut cells, name, value);
        }
        Ok(Row::named(cells))
    }
}

/// Sets a cell of a row being read from JSON: a member repeated in one object keeps its last
/// value, as [`Row::set`] does. Shared names are one allocation per text, so equal names are
/// mostly the same pointer.
pub(crate) fn set_read_cell(
    cells: &mut Vec<(Cow<'static, str>, Value)>,
    name: Cow<'static, str>,
    value: Value,
) {
    let repeated = cells.iter_mut().find(|(seen, _)| match (seen, &name) {
        (Cow::Borrowed(a), Cow::Borrowed(b)) => std::ptr::eq(*a, *b),
        (a, b) => a == b,
    });
    match repeated {
        Some((_, slot)) => *slot = value,
        None => cells.push((name, value)),
    }
}

/// The name of the member at `position` of an object, shared with the rows read before it
/// (see [`Names`]).
pub(crate) fn shared_name(position: usize, name: &str) -> Cow<'static, str> {
    NAMES.with(|names| names.borrow_mut().get(position, name))
}

/// A member's name, shared across rows (see [`Names`]).
struct NameSeed {
    position: usize,
}

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'static, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for NameSeed {
    type Value = Cow<'static, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(shared_name(self.position, name))
    }
}

/// A member's value as a [`Value`]: what `From<serde_json::Value>` gives, read directly.
pub(crate) struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
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
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Long(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        // As `From<serde_json::Value>`: past i64, a JSON integer is read as a float.
        Ok(i64::try_from(n).map_or(Value::Double(n as f64), Value::Long))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Double(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        let document = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Value::Json(document.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        let document = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Value::Json(document.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_read_as_rows_type_members_as_from_json_does() {
        let text = r#"{"id": 7, "big": 18446744073709551615, "x": 1.5, "ok": true, "none": null,
                       "name": "Ada", "tags": ["a", 1], "address": {"city": "Rome"}}"#;
        let direct: Row = serde_json::from_str(text).unwrap();
        let through_value = Row::from_json(serde_json::from_str(text).unwrap()).unwrap();
        for (name, value) in through_value.iter() {
            assert_eq!(direct.get(name), Some(value), "{name}");
        }
        assert_eq!(direct.len(), through_value.len());
        // Members keep the object's order.
        let names: Vec<&str> = direct.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["id", "big", "x", "ok", "none", "name", "tags", "address"]
        );
        assert!(serde_json::from_str::<Row>("[1]").is_err());
    }

    #[test]
    fn names_read_from_json_are_shared_between_rows() {
        let rows: Vec<Row> =
            serde_json::from_str(r#"[{"shared_name": 1}, {"shared_name": 2}]"#).unwrap();
        let names: Vec<*const u8> = rows
            .iter()
            .map(|r| r.iter().next().unwrap().0.as_ptr())
            .collect();
        assert_eq!(names[0], names[1]);
    }

    #[test]
    fn rows_whose_members_come_in_different_orders_keep_each_value_under_its_name() {
        let rows: Vec<Row> = serde_json::from_str(
            r#"[{"a": 1, "b": "x", "c": true}, {"c": false, "a": 2, "b": "y"}, {"b": "z"},
                {"a": 3, "a": 4, "d": null}]"#,
        )
        .unwrap();
        assert_eq!(rows[1].get("a"), Some(&Value::Long(2)));
        assert_eq!(rows[1].get("b"), Some(&Value::String("y".into())));
        assert_eq!(rows[1].get("c"), Some(&Value::Bool(false)));
        assert_eq!(rows[2].len(), 1);
        assert_eq!(rows[2].get("b"), Some(&Value::String("z".into())));
        // A member repeated in one object: the last value wins, as with `Row::set`.
        assert_eq!(rows[3].len(), 2);
        assert_eq!(rows[3].get("a"), Some(&Value::Long(4)));
    }
}
