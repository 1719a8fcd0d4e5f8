//! A cursor in the state: each sync upserts the one row after the cursor, then checkpoints the
//! cursor one step further. Three syncs deliver the three rows; a fourth finds nothing left and
//! fails on purpose, as the Python original does, to show that a failed sync keeps the state.

use connector_core::prelude::*;

/// The emulated source: three rows, read one per sync.
const SOURCE_DATA: [(i32, &str); 3] = [(10, "Hello world"), (20, "Hello again"), (30, "Good bye")];

/// One row of the source. `id` is an INT, the type the Python original's ids (10, 20, 30) get.
#[table(name = "hello_world")]
pub struct HelloWorld {
    #[primary_key]
    pub id: i32,
    pub message: String,
}

/// Where the next sync starts: the position of the next row in `SOURCE_DATA`. The first sync,
/// and any full re-sync, starts from `Default` (0).
#[state]
#[derive(Debug, Default)]
pub struct State {
    pub cursor: usize,
}

#[sync(tables(HelloWorld))]
pub async fn update(ops: &Operations, state: &mut State) -> Result<()> {
    let Some(&(id, message)) = SOURCE_DATA.get(state.cursor) else {
        bail!(
            "the example source is exhausted: all {} rows were synced (cursor {}); \
             reset the state to start over",
            SOURCE_DATA.len(),
            state.cursor
        );
    };
    ops.upsert(HelloWorld {
        id,
        message: message.to_string(),
    })
    .await?;
    // Advance the cursor only together with the row: the checkpoint makes both durable at once,
    // so a sync that dies before it re-reads the same row next time instead of skipping it.
    state.cursor += 1;
    ops.checkpoint(state).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    /// The live rows of `hello_world` as `(id, message)`, in first-written order.
    fn rows(destination: &Destination) -> Vec<(Value, Value)> {
        destination
            .table("hello_world")
            .live_rows()
            .iter()
            .map(|row| {
                (
                    row.get("id").unwrap().clone(),
                    row.get("message").unwrap().clone(),
                )
            })
            .collect()
    }

    fn row(id: i32, message: &str) -> (Value, Value) {
        (Value::Int(id), Value::from(message))
    }

    /// What the Python original leaves after its first sync (its "Resulting table" comment, plus
    /// the system columns the comment leaves out): `hello_world` keyed by `id` INT, `message`
    /// STRING, and the state `{"cursor": 1}`.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["hello_world"]);
        assert_eq!(
            destination.table("hello_world").columns(),
            [
                ("id", Some(DataType::Int)),
                ("message", Some(DataType::String)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("hello_world").primary_key(), ["id"]);
        assert_eq!(run.states, [json!({"cursor": 1})]);
        assert_eq!(destination.state(), json!({"cursor": 1}));
    }

    #[tokio::test]
    async fn each_sync_delivers_the_next_row_until_the_source_is_exhausted() {
        let mut destination = Destination::new();

        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(run.report.total().upserts, 1);
        assert_eq!(run.states, vec![json!({"cursor": 1})]);
        assert_eq!(destination.state(), json!({"cursor": 1}));
        assert_eq!(rows(&destination), vec![row(10, "Hello world")]);

        destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.state(), json!({"cursor": 2}));
        assert_eq!(
            rows(&destination),
            vec![row(10, "Hello world"), row(20, "Hello again")]
        );

        destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.state(), json!({"cursor": 3}));
        assert_eq!(
            rows(&destination),
            vec![
                row(10, "Hello world"),
                row(20, "Hello again"),
                row(30, "Good bye")
            ]
        );

        // Nothing is left: the fourth sync fails, and what the first three delivered stays.
        let failed = destination.sync::<update>(json!({})).await.unwrap_err();
        assert!(
            failed.to_string().contains("source is exhausted"),
            "{failed}"
        );
        assert!(failed.run.states.is_empty());
        assert_eq!(destination.state(), json!({"cursor": 3}));
        assert_eq!(rows(&destination).len(), 3);
    }

    #[tokio::test]
    async fn a_saved_cursor_is_where_the_next_sync_starts() {
        let mut destination = Destination::with_state(json!({"cursor": 2}));
        destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(rows(&destination), vec![row(30, "Good bye")]);
        assert_eq!(destination.state(), json!({"cursor": 3}));
    }
}
