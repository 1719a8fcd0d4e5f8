//! The smallest connector: one table without a primary key, one row, one checkpoint.
//!
//! Table `hello` has a single STRING column, `message`. Without a `#[primary_key]` the
//! destination keys each row by `_fivetran_id`, a hash of the row's values, so the same greeting
//! synced again stays one row.

use connector_core::prelude::*;

/// A greeting. No primary key: the destination adds `_fivetran_id` and keys rows by it.
#[table(name = "hello")]
pub struct Hello {
    pub message: String,
}

#[sync(tables(Hello))]
pub async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(Hello {
        message: "hello, world!".to_string(),
    })
    .await?;
    // The sync keeps no state; the checkpoint saves `{}` and makes the row durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    /// What the Python original leaves (its "Resulting table" comment, plus the system columns
    /// the comment leaves out): table `hello`, `message` STRING keyed by `_fivetran_id`, one row,
    /// state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();

        assert_eq!(destination.table_names(), ["hello"]);
        assert_eq!(
            destination.table("hello").columns(),
            [
                ("_fivetran_id", Some(DataType::String)),
                ("message", Some(DataType::String)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("hello").primary_key(), ["_fivetran_id"]);

        let rows = destination.table("hello").live_rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("message"), Some(&Value::from("hello, world!")));

        assert_eq!(run.report.total().upserts, 1);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    #[tokio::test]
    async fn the_same_greeting_synced_twice_is_one_row() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table("hello").live_rows().len(), 1);
    }
}
