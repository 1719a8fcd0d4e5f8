//! The smallest connector: one table, rows appended at every sync.

use connector_core::prelude::*;

/// One greeting per sync. No primary key, so the destination keys rows by `_fivetran_id`.
#[table(name = "hello_world")]
pub struct HelloWorld {
    pub message: String,
}

#[sync(tables(HelloWorld))]
pub async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(HelloWorld {
        message: "hello, world!".to_string(),
    })
    .await?;
    Ok(())
}

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
}
