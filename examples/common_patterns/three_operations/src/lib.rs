//! The three row operations: `upsert` writes a whole row, `update` changes some columns of the
//! row with a given key, and `delete` marks the row with a given key deleted. Update and delete
//! take a typed key (`Three::patch(id)`, `ThreeKey { id }`), so "update without the key" and
//! "delete with half a key" do not compile.

use connector_core::prelude::*;

/// The emulated source's ids. The Python original draws three fresh UUIDs per sync; fixed ones
/// keep the example's output the same on every run, and so testable.
const IDS: [&str; 3] = [
    "c188327d-32fb-461b-90b2-4a08daf6c2db",
    "efcbeddb-44d5-4edf-900e-d50cf9146859",
    "3f0c5d8e-6a2b-4c1e-9d7f-0b8a2e4c6d13",
];

/// `val2` is an INT, the type the Python original's small integers (0, 1, 2) get.
#[table(name = "three")]
pub struct Three {
    #[primary_key]
    pub id: String,
    pub val1: String,
    pub val2: i32,
}

#[sync(tables(Three))]
pub async fn update(ops: &Operations) -> Result<()> {
    for (index, id) in (0..).zip(IDS) {
        ops.upsert(Three {
            id: id.to_string(),
            val1: id.to_string(),
            val2: index,
        })
        .await?;
    }
    // A patch carries the key and only the columns to change: `val2` keeps its value.
    ops.update(Three::patch(IDS[1].to_string()).val1("abc"))
        .await?;
    // A soft delete: the row stays at the destination with `_fivetran_deleted = true`.
    ops.delete(ThreeKey {
        id: IDS[2].to_string(),
    })
    .await?;
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    /// Every row, deleted ones included, as `(id, val1, val2, _fivetran_deleted)`.
    fn rows(destination: &Destination) -> Vec<(Value, Value, Value, Value)> {
        destination
            .table("three")
            .rows()
            .iter()
            .map(|row| {
                let cell = |column: &str| row.get(column).unwrap().clone();
                (
                    cell("id"),
                    cell("val1"),
                    cell("val2"),
                    cell("_fivetran_deleted"),
                )
            })
            .collect()
    }

    fn row(id: &str, val1: &str, val2: i32, deleted: bool) -> (Value, Value, Value, Value) {
        (
            Value::from(id),
            Value::from(val1),
            Value::Int(val2),
            Value::Bool(deleted),
        )
    }

    /// What the Python original leaves (its "Resulting table" comment, plus the soft-deleted
    /// row and the system columns the comment leaves out): `three` keyed by `id`, `id` and
    /// `val1` STRING, `val2` INT, and the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["three"]);
        assert_eq!(
            destination.table("three").columns(),
            [
                ("id", Some(DataType::String)),
                ("val1", Some(DataType::String)),
                ("val2", Some(DataType::Int)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("three").primary_key(), ["id"]);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    #[tokio::test]
    async fn upsert_update_and_delete_leave_the_expected_table() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        let counts = run.report.total();
        assert_eq!((counts.upserts, counts.updates, counts.deletes), (3, 1, 1));
        assert_eq!(
            rows(&destination),
            [
                row(IDS[0], IDS[0], 0, false),
                // Updated: val1 changed, val2 kept.
                row(IDS[1], "abc", 1, false),
                // Deleted: still there, flagged.
                row(IDS[2], IDS[2], 2, true),
            ]
        );
        // What a reader of the source sees: the deleted row is gone.
        assert_eq!(destination.table("three").live_rows().len(), 2);
    }

    #[tokio::test]
    async fn a_second_sync_leaves_the_same_table() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        destination.sync::<update>(json!({})).await.unwrap();
        // The same keys: no new rows, and the same final values.
        assert_eq!(
            rows(&destination),
            [
                row(IDS[0], IDS[0], 0, false),
                row(IDS[1], "abc", 1, false),
                row(IDS[2], IDS[2], 2, true),
            ]
        );
    }
}
