//! `Row`: a row of a table known only at run time, as column name → typed value.
//!
//! The typed path (`#[table]`) never builds a `Row`; this is for connectors that discover their
//! tables (a database's tables, a spreadsheet's sheets) or pass a source's JSON through.

use crate::value::Value;

/// Column name → value, in insertion order. Setting a name twice keeps the last value.
///
/// ```
/// use connector_core::{Row, Value};
/// let row = Row::new().with("id", 1_i64).with("name", "Ada").with("score", None::<f64>);
/// assert_eq!(row.get("name"), Some(&Value::String("Ada".into())));
/// assert_eq!(row.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    cells: Vec<(String, Value)>,
}

impl Row {
    /// An empty row.
    pub fn new() -> Row {
        Row::default()
    }

    /// Sets a column and returns the row.
    pub fn with(mut self, column: impl Into<String>, value: impl Into<Value>) -> Row {
        self.set(column, value);
        self
    }

    /// Sets a column, replacing an earlier value of the same name.
    pub fn set(&mut self, column: impl Into<String>, value: impl Into<Value>) {
        let column = column.into();
        let value = value.into();
        match self.cells.iter_mut().find(|(name, _)| *name == column) {
            Some((_, slot)) => *slot = value,
            None => self.cells.push((column, value)),
        }
    }

    /// The value of a column, if the row has it.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.cells
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| v)
    }

    /// The number of columns set.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether no column is set.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cells in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.cells
            .iter()
            .map(|(name, value)| (name.as_str(), value))
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

    pub(crate) fn into_cells(self) -> Vec<(String, Value)> {
        self.cells
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

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Row {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Row {
        let mut row = Row::new();
        for (k, v) in iter {
            row.set(k, v);
        }
        row
    }
}

impl IntoIterator for Row {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.cells.into_iter()
    }
}
