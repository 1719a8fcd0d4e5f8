//! Primary keys: every key column of a row must hold a value, a table without a key takes
//! upserts only and is keyed by `_fivetran_id` (see [`super::system::row_id`]). The error texts
//! live here once, for the sinks and for `Operations`, which checks run-time rows before they
//! leave the sync. (docs/warehouse.md, "System columns" and "Operations".)

use crate::record::RecordKind;
use crate::value::Value;

use super::columns::Columns;
use super::system;

/// A row whose key the destination cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("table `{table}` has no primary key, so its rows cannot be updated or deleted")]
    NoKey { table: String },
    #[error("the primary key column `{column}` of table `{table}` is NULL or missing")]
    Missing { table: String, column: String },
}

/// Checks the key of a row given as one value per column (in `columns`' order): every key
/// column of a keyed table holds a value; a table without a key takes only upserts, whose
/// `_fivetran_id` (its first column) is set here from the other values.
pub fn check_key(
    columns: &Columns,
    kind: RecordKind,
    values: &mut [Value],
) -> Result<(), KeyError> {
    if !columns.keyed() {
        if kind != RecordKind::Upsert {
            return Err(KeyError::NoKey {
                table: columns.table().to_string(),
            });
        }
        let id = system::row_id(
            columns
                .iter()
                .zip(values.iter())
                .skip(1)
                .map(|(c, v)| (c.name.as_str(), v)),
        );
        values[0] = Value::String(id);
        return Ok(());
    }
    for (column, value) in columns.iter().zip(values.iter()) {
        if column.primary_key && value.is_null() {
            return Err(KeyError::Missing {
                table: columns.table().to_string(),
                column: column.name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::Naming;
    use crate::schema::{Column, DataType, TableSchema};

    #[test]
    fn a_keyed_row_needs_every_key_column() {
        let schema = TableSchema::new("t")
            .column(Column::key("region", Some(DataType::String)))
            .column(Column::key("number", Some(DataType::Int)))
            .column(Column::new("name", DataType::String));
        let mut columns = Columns::new("t".into(), true);
        columns.declare(&schema, Naming::Fivetran).unwrap();
        let mut whole = vec![Value::from("eu"), Value::Int(1), Value::Null];
        assert_eq!(check_key(&columns, RecordKind::Delete, &mut whole), Ok(()));
        let mut partial = vec![Value::from("eu"), Value::Null, Value::from("x")];
        let error = check_key(&columns, RecordKind::Update, &mut partial).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the primary key column `number` of table `t` is NULL or missing"
        );
    }

    #[test]
    fn a_table_without_a_key_takes_upserts_keyed_by_their_row_id() {
        let mut columns = Columns::new("log".into(), false);
        columns
            .place_named(vec![("a".into(), Value::Long(1))], Naming::Fivetran)
            .unwrap();
        let mut values = vec![Value::Null, Value::Long(1)];
        check_key(&columns, RecordKind::Upsert, &mut values).unwrap();
        assert_eq!(
            values[0],
            Value::String(system::row_id([("a", &Value::Long(1))]))
        );
        let error = check_key(&columns, RecordKind::Delete, &mut values).unwrap_err();
        assert_eq!(
            error.to_string(),
            "table `log` has no primary key, so its rows cannot be updated or deleted"
        );
    }
}
