//! Incremental replication of a Redshift table by its `updated_at` cursor: the chosen tables
//! (`testers.customers` by default) are found in the catalog, their columns typed from it (the
//! run-time schema), and their rows read above the saved position in `(updated_at, key)` order,
//! with a checkpoint after each batch (2 rows, as in the Python original).
//!
//! Redshift speaks PostgreSQL's wire protocol, so `connector_sql::Postgres` reads it; the
//! `dialect` setting says which SQL to write: `redshift` (no row comparisons, `SORTKEY` in the
//! sample table's DDL) or `postgres` (the same connector against PostgreSQL, as the tests run).

use connector_core::prelude::*;
use connector_sql::{
    ConnectionSettings, Dialect, Password, Positions, Postgres, TableChoices, TablePlan, replicate,
};

#[derive(Debug, Configuration)]
pub struct Config {
    #[field(description = "The cluster's endpoint host")]
    pub host: String,
    #[field(default = "5439")]
    pub port: u16,
    pub database: String,
    pub user: String,
    #[field(secret)]
    pub password: Password,
    #[field(
        description = "The SQL to write: redshift, or postgres for a PostgreSQL server",
        default = "redshift"
    )]
    pub dialect: Dialect,
    #[field(
        description = "The tables to replicate and their cursor columns: `schema.table:column, ...`",
        default = "testers.customers:updated_at"
    )]
    pub tables: TableChoices,
    #[field(
        description = "Where the first sync starts: rows whose cursor is above this value",
        default = "2024-01-01 00:00:00+00"
    )]
    pub start_after: String,
    #[field(description = "Rows between two checkpoints", default = "2")]
    pub batch_size: usize,
    #[field(
        description = "Create and fill `testers.customers` when it is missing (a demo source)",
        default = "false"
    )]
    pub create_sample_table: bool,
}

impl Config {
    fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
        }
    }
}

/// The position of each table: `{"testers.customers": {"cursor": "...", "key": ["4"]}}`.
#[state]
#[derive(Debug, Default)]
pub struct State {
    pub tables: Positions,
}

/// The sample table of the Python original: five customers, two of them before the start.
pub fn sample_table_sql(dialect: Dialect) -> String {
    format!(
        "CREATE SCHEMA IF NOT EXISTS testers;
         CREATE TABLE IF NOT EXISTS testers.customers (
             customer_id INTEGER PRIMARY KEY,
             first_name VARCHAR(100),
             last_name VARCHAR(100),
             email VARCHAR(100),
             updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
         ){};
         INSERT INTO testers.customers
         SELECT * FROM (
             SELECT 1, 'Mathew', 'Perry', 'mathew@fivetran.com', TIMESTAMPTZ '2023-12-31 23:59:59+00'
             UNION ALL SELECT 2, 'Joe', 'Doe', 'joe@fivetran.com', TIMESTAMPTZ '2024-01-31 23:04:39+00'
             UNION ALL SELECT 3, 'Jake', 'Anderson', 'jake@fivetran.com', TIMESTAMPTZ '2023-11-01 23:59:59+00'
             UNION ALL SELECT 4, 'John', 'William', 'john@fivetran.com', TIMESTAMPTZ '2024-02-14 22:59:59+00'
             UNION ALL SELECT 5, 'Ricky', 'Roma', 'ricky@fivetran.com', TIMESTAMPTZ '2024-03-16 16:40:29+00'
         ) AS sample
         WHERE NOT EXISTS (SELECT 1 FROM testers.customers);",
        dialect.sort_key("updated_at")
    )
}

/// Connects, creates the sample table when asked, and plans each chosen table's replication.
async fn connect(config: &Config) -> Result<(Postgres, Vec<TablePlan>)> {
    let source = Postgres::connect(&config.settings(), config.dialect).await?;
    if config.create_sample_table {
        source
            .client()
            .batch_execute(&sample_table_sql(config.dialect))
            .await
            .context("could not create the sample table")?;
    }
    let plans = source.plan(&config.tables).await?;
    let plans = plans
        .into_iter()
        .map(|plan| {
            plan.checkpoint_every(config.batch_size)
                .start_after(config.start_after.clone())
        })
        .collect();
    Ok((source, plans))
}

/// The chosen tables as the catalog types them.
async fn schema(config: &Config) -> Result<Vec<TableSchema>> {
    let (_, plans) = connect(config).await?;
    Ok(plans.iter().map(|plan| plan.table.schema()).collect())
}

#[sync(tables(), schema = schema)]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let (source, plans) = connect(config).await?;
    for plan in &plans {
        replicate(ops, &source, plan, state, |s: &mut State| &mut s.tables).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;
    use connector_sql::testing::TestPostgres;

    /// The shipped configuration pointed at a test cluster, in the PostgreSQL dialect, with
    /// the sample table created.
    fn configuration(cluster: &TestPostgres) -> serde_json::Value {
        let settings = cluster.settings();
        json!({
            "host": settings.host,
            "port": settings.port.to_string(),
            "database": settings.database,
            "user": settings.user,
            "password": settings.password.expose(),
            "dialect": "postgres",
            "create_sample_table": "true",
        })
    }

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

    #[test]
    fn the_sort_key_is_redshift_only() {
        assert!(sample_table_sql(Dialect::Redshift).contains(") SORTKEY (\"updated_at\");"));
        assert!(!sample_table_sql(Dialect::Postgres).contains("SORTKEY"));
    }

    #[tokio::test]
    async fn two_syncs_read_the_customers_after_the_start_then_only_the_changes() {
        let cluster = TestPostgres::start("dev").unwrap();
        let mut destination = Destination::new();
        let first = destination
            .sync::<update>(configuration(&cluster))
            .await
            .unwrap();
        // The table as the catalog types it, keyed by customer_id.
        assert_eq!(destination.table_names(), ["customers"]);
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
        assert_eq!(
            destination.table("customers").primary_key(),
            ["customer_id"]
        );
        // As the original's "Resulting table": those updated after 2024-01-01, a checkpoint per
        // batch of 2.
        assert_eq!(ids(&destination), [2, 4, 5]);
        assert_eq!(first.states.len(), 2);
        assert_eq!(
            first.states[0],
            json!({"tables": {"testers.customers": {"cursor": "2024-02-14 22:59:59+00", "key": ["4"]}}})
        );
        assert_eq!(
            destination.state(),
            json!({"tables": {"testers.customers": {"cursor": "2024-03-16 16:40:29+00", "key": ["5"]}}})
        );

        // Between the syncs: Mathew changes, a sixth customer arrives at Ricky's very time.
        cluster
            .psql(
                "dev",
                "UPDATE testers.customers SET email = 'mp@fivetran.com', updated_at = '2024-04-01 00:00:00+00' WHERE customer_id = 1;
                 INSERT INTO testers.customers VALUES (6, 'Ann', 'Lee', 'ann@fivetran.com', '2024-03-16 16:40:29+00');",
            )
            .unwrap();
        let second = destination
            .sync::<update>(configuration(&cluster))
            .await
            .unwrap();
        assert_eq!(second.report.total().upserts, 2);
        assert_eq!(ids(&destination), [1, 2, 4, 5, 6]);
        assert_eq!(
            destination.state(),
            json!({"tables": {"testers.customers": {"cursor": "2024-04-01 00:00:00+00", "key": ["1"]}}})
        );
    }

    #[tokio::test]
    async fn a_sync_stopped_after_any_checkpoint_resumes_to_the_same_table() {
        let cluster = TestPostgres::start("dev").unwrap();
        cluster
            .psql("dev", &sample_table_sql(Dialect::Postgres))
            .unwrap();
        cluster
            .psql(
                "dev",
                "INSERT INTO testers.customers SELECT i, 'f' || i, 'l' || i, i || '@example.com',
                 TIMESTAMPTZ '2024-06-01 00:00:00+00' + (i / 3) * INTERVAL '1 minute'
                 FROM generate_series(10, 40) i;",
            )
            .unwrap();
        let mut destination = Destination::new();
        let run = destination
            .assert_resumable::<update>(configuration(&cluster))
            .await;
        assert_eq!(run.states.len(), 17);
        assert_eq!(ids(&destination).len(), 34);
        cluster
            .psql("dev", "UPDATE testers.customers SET updated_at = '2025-01-01 00:00:00+00' WHERE customer_id % 10 = 0")
            .unwrap();
        let second = destination
            .assert_resumable::<update>(configuration(&cluster))
            .await;
        assert_eq!(second.report.total().upserts, 4);
    }
}
