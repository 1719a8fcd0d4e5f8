//! The smallest connector: one table, rows appended at every sync.

use connector_core::prelude::*;

/// One greeting per sync. No primary key, so the destination keys rows by `_fivetran_id`.
#[table(name = "hello_world")]
pub struct HelloWorld {
    pub message: String,
}

#[sync(tables(HelloWorld))]
async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(HelloWorld {
        message: "hello, world!".to_string(),
    })
    .await?;
    Ok(())
}

connector_core::main!(update);

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    #[tokio::test]
    async fn appends_one_greeting() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(run.report.total().upserts, 1);
        let rows = destination.table("hello_world").live_rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("message"), Some(&Value::from("hello, world!")));
    }

    /// `serve` read by `connector-tester` leaves the warehouse and state that `debug` leaves,
    /// run after run.
    #[tokio::test(flavor = "multi_thread")]
    async fn serve_and_the_tester_give_the_warehouse_of_debug() {
        connector_core::testing::assert_served_like_debug::<update>(
            connector_core::serde_json::json!({}),
            2,
        )
        .await;
    }
}
