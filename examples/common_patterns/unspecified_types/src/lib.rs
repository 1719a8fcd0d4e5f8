//! A table whose columns are not declared: the schema function names the table and its key, and
//! the destination types every column from the first value it sees. The row is the Python SDK's
//! `unspecified_types` example, value for value. A Rust value carries its type, so inference
//! reads it: an `i32` makes an INT column, an `f32` a FLOAT one. Text stays text: a date or a
//! number sent as a string makes a STRING column, as it does in Python. This is the path for
//! tables known only at run time (a database's tables, a sheet's columns).

use connector_core::prelude::*;

/// Declares the table with its key only; the key's type, like every other column's, is
/// inferred. Without this, `upsert_row` would still create the table, keyed by `_fivetran_id`.
async fn schema() -> Result<Vec<TableSchema>> {
    Ok(vec![
        TableSchema::new("unspecified").column(Column::key("id", None)),
    ])
}

#[sync(schema = schema)]
pub async fn update(ops: &Operations) -> Result<()> {
    let row = Row::new()
        // Python's small integers are INTs, its large ones LONGs: here the Rust type says which.
        .with("id", 1_i32)
        .with("_bool", true)
        .with("_short", 15_i32)
        .with("_long", 132_353_453_453_635_i64)
        // Text is never parsed: the decimal and the dates stay STRING, as in Python.
        .with("_dec", "105.34")
        .with("_float", 10.4_f32)
        .with("_double", 1e-4_f64)
        .with("_ndate", "2007-12-03")
        .with("_ndatetime", "2007-12-03T10:15:30")
        .with("_utc", "2007-12-03T10:15:30.123Z")
        .with("_binary", b"\x00\x01\x02\x03".to_vec())
        .with("_xml", "<tag>This is XML</tag>")
        .with("_str", "This is a string")
        .with("_json", json!({"a": 10}))
        // A column that has only ever seen NULL has no type, so it is not created.
        .with("_null", None::<String>);
    ops.upsert_row("unspecified", row).await?;
    // The sync keeps no state; the checkpoint saves `{}` and makes the row durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    /// What the Python original leaves (its "Resulting table" comment, plus the system columns
    /// the comment leaves out), but for the three types this SDK keeps where the old output
    /// lost them (see the README): `unspecified` keyed by `id`, every column typed from its
    /// value, no `_null` column, and the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["unspecified"]);

        let expected = [
            // The declared key first, then the inferred columns in name order.
            ("id", DataType::Int),
            ("_binary", DataType::Binary),
            ("_bool", DataType::Boolean), // Python's old output: INT
            ("_dec", DataType::String),
            ("_double", DataType::Double), // Python: FLOAT
            ("_float", DataType::Float),
            ("_json", DataType::Json), // Python's old output: VARCHAR
            ("_long", DataType::Long),
            ("_ndate", DataType::String),
            ("_ndatetime", DataType::String),
            ("_short", DataType::Int),
            ("_str", DataType::String),
            ("_utc", DataType::String),
            ("_xml", DataType::String),
            ("_fivetran_deleted", DataType::Boolean),
            ("_fivetran_synced", DataType::UtcDatetime),
        ];
        let expected: Vec<(&str, Option<DataType>)> =
            expected.into_iter().map(|(n, t)| (n, Some(t))).collect();
        assert_eq!(destination.table("unspecified").columns(), expected);

        let declared = schema().await.unwrap();
        let keys: Vec<&str> = declared[0].primary_key().map(|c| c.name.as_ref()).collect();
        assert_eq!(keys, ["id"]);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    #[tokio::test]
    async fn values_arrive_as_sent_and_the_key_holds() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        // A second sync upserts the same key: still one row.
        destination.sync::<update>(json!({})).await.unwrap();
        let rows = destination.table("unspecified").live_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.get("id"), Some(&Value::Int(1)));
        assert_eq!(row.get("_dec"), Some(&Value::from("105.34")));
        assert_eq!(
            row.get("_utc"),
            Some(&Value::from("2007-12-03T10:15:30.123Z"))
        );
        assert_eq!(row.get("_json"), Some(&Value::Json(r#"{"a":10}"#.into())));
        assert_eq!(row.get("_binary"), Some(&Value::Binary(vec![0, 1, 2, 3])));
        assert_eq!(row.get("_null"), None);
    }
}
