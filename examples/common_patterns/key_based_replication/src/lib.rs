//! Key-based incremental replication from a database: an embedded SQLite source that the
//! connector fills itself (the Python original's in-memory DuckDB), read in pages above the
//! saved `(updated_at, customer_id)` cursor, each page upserted into `customers` and
//! checkpointed.
//!
//! The cursor is the pair, not `updated_at` alone: rows that share an `updated_at` are ordered by
//! their key, so a page boundary (and a checkpoint) inside such a tie neither loses nor repeats a
//! row, and a row added later with the same `updated_at` as the last one synced but a larger
//! key is still found. Each page is one keyset query (`WHERE (updated_at, customer_id) > (?, ?)
//! ORDER BY updated_at, customer_id LIMIT ?`): at most a page of rows is in memory.

use connector_core::prelude::*;
use rusqlite::{Connection, params};

/// The format of `updated_at` in the source (text that sorts as time does) and in the state.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Where the first sync starts, as in the Python original.
const START: &str = "2024-01-01T00:00:00Z";

#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        description = "The SQLite source: a file, or `:memory:` for the sample filled at each sync",
        default = ":memory:"
    )]
    pub database: String,
    #[field(
        description = "Rows per page; a checkpoint after each page",
        default = "100"
    )]
    pub page_size: u32,
}

/// A customer of the source.
#[table(name = "customers")]
pub struct Customer {
    #[primary_key]
    pub customer_id: i32,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub updated_at: DateTime<Utc>,
}

/// The last row synced: `{"last_updated_at": "2024-03-16T16:40:29Z", "last_customer_id": 5}`.
#[state]
#[derive(Debug, Default)]
pub struct State {
    pub last_updated_at: Option<String>,
    pub last_customer_id: Option<i32>,
}

/// Creates the source table when missing and upserts the original's five customers into it.
pub fn fill_source(source: &Connection) -> rusqlite::Result<()> {
    source.execute_batch(
        "CREATE TABLE IF NOT EXISTS customers (
             customer_id INTEGER PRIMARY KEY,
             first_name TEXT NOT NULL,
             last_name TEXT NOT NULL,
             email TEXT NOT NULL,
             updated_at TEXT NOT NULL
         );
         INSERT INTO customers VALUES
             (1, 'Mathew', 'Perry', 'mathew@fivetran.com', '2023-12-31T23:59:59Z'),
             (2, 'Joe', 'Doe', 'joe@fivetran.com', '2024-01-31T23:04:39Z'),
             (3, 'Jake', 'Anderson', 'jake@fivetran.com', '2023-11-01T23:59:59Z'),
             (4, 'John', 'William', 'john@fivetran.com', '2024-02-14T22:59:59Z'),
             (5, 'Ricky', 'Roma', 'ricky@fivetran.com', '2024-03-16T16:40:29Z')
         ON CONFLICT (customer_id) DO UPDATE SET
             first_name = excluded.first_name, last_name = excluded.last_name,
             email = excluded.email, updated_at = excluded.updated_at;",
    )
}

/// The page of customers after `(updated_at, customer_id)`, in that order.
fn page_after(
    source: &Connection,
    updated_at: &str,
    customer_id: i32,
    size: u32,
) -> Result<Vec<Customer>> {
    let mut query = source.prepare_cached(
        "SELECT customer_id, first_name, last_name, email, updated_at FROM customers
         WHERE (updated_at, customer_id) > (?1, ?2)
         ORDER BY updated_at, customer_id LIMIT ?3",
    )?;
    let rows = query.query_map(params![updated_at, customer_id, size], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    let mut page = Vec::new();
    for row in rows {
        let (customer_id, first_name, last_name, email, updated_at) = row?;
        let updated_at = NaiveDateTime::parse_from_str(&updated_at, TIME_FORMAT)
            .with_context(|| {
                format!("customer {customer_id}: `{updated_at}` is not {TIME_FORMAT}")
            })?
            .and_utc();
        page.push(Customer {
            customer_id,
            first_name,
            last_name,
            email,
            updated_at,
        });
    }
    Ok(page)
}

#[sync(tables(Customer))]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let source = Connection::open(&config.database)?;
    // Not needed with a real source: the sample, as the original fills its in-memory DuckDB.
    fill_source(&source)?;
    loop {
        let after = state.last_updated_at.as_deref().unwrap_or(START);
        // Before any row, every key is above the smallest.
        let key = state.last_customer_id.unwrap_or(i32::MIN);
        let page = page_after(&source, after, key, config.page_size)?;
        let Some(last) = page.last() else { break };
        state.last_updated_at = Some(last.updated_at.format(TIME_FORMAT).to_string());
        state.last_customer_id = Some(last.customer_id);
        let full = page.len() == config.page_size as usize;
        for customer in page {
            ops.upsert(customer).await?;
        }
        // The page's rows and the cursor past them become durable together.
        ops.checkpoint(state).await?;
        if !full {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    fn ids(destination: &Destination) -> Vec<i32> {
        let mut ids: Vec<i32> = destination
            .table("customers")
            .live_rows()
            .iter()
            .map(|row| match row.get("customer_id") {
                Some(Value::Int(id)) => *id,
                other => panic!("customer_id is {other:?}"),
            })
            .collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn the_in_memory_sample_syncs_the_customers_after_the_start_once() {
        let mut destination = Destination::new();
        let first = destination.sync::<update>(json!({})).await.unwrap();
        // As the original's "Resulting table".
        assert_eq!(ids(&destination), [2, 4, 5]);
        assert_eq!(first.states.len(), 1);
        assert_eq!(
            destination.state(),
            json!({"last_updated_at": "2024-03-16T16:40:29Z", "last_customer_id": 5})
        );
        assert_eq!(
            destination.table("customers").columns(),
            [
                ("customer_id", Some(DataType::Int)),
                ("first_name", Some(DataType::String)),
                ("last_name", Some(DataType::String)),
                ("email", Some(DataType::String)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        // The sample is filled again with the same rows: nothing is after the cursor.
        let second = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(second.report.total().upserts, 0);
    }

    #[tokio::test]
    async fn a_file_source_syncs_changes_and_ties_across_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.db");
        let source = Connection::open(&path).unwrap();
        fill_source(&source).unwrap();
        // Twelve more customers, three to a second: pages of 2 end inside ties.
        for id in 10..22 {
            source
                .execute(
                    "INSERT INTO customers VALUES (?1, 'f', 'l', 'e', ?2)",
                    params![id, format!("2024-05-01T00:00:0{}Z", (id - 10) / 3)],
                )
                .unwrap();
        }
        let config = json!({"database": path.to_str().unwrap(), "page_size": "2"});
        let mut destination = Destination::new();
        let first = destination.assert_resumable::<update>(config.clone()).await;
        assert_eq!(first.states.len(), 8);
        assert_eq!(ids(&destination).len(), 15);
        assert_eq!(
            first.states[3],
            json!({"last_updated_at": "2024-05-01T00:00:01Z", "last_customer_id": 14})
        );

        // A change, and a new row tying with the last one synced (same time, larger key).
        source
            .execute_batch(
                "UPDATE customers SET email = 'new', updated_at = '2024-06-01T00:00:00Z' WHERE customer_id = 11;
                 INSERT INTO customers VALUES (30, 'f', 'l', 'e', '2024-05-01T00:00:03Z');",
            )
            .unwrap();
        let second = destination.assert_resumable::<update>(config).await;
        assert_eq!(second.report.total().upserts, 2);
        assert_eq!(ids(&destination).len(), 16);
        assert_eq!(
            destination.state(),
            json!({"last_updated_at": "2024-06-01T00:00:00Z", "last_customer_id": 11})
        );
    }
}
