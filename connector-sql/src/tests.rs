//! The layer against a real PostgreSQL (a throwaway cluster each test starts): discovery, the
//! run-time schema, incremental replication with ties, resumption, warnings and errors, through
//! a small connector written on the layer, into the in-memory destination.

use connector_core::prelude::*;
use connector_core::testing::Destination;

use crate::testing::TestPostgres;
use crate::{ConnectionSettings, Dialect, Password, Positions, Postgres, TableChoices, replicate};

#[derive(Debug, Configuration)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    #[field(secret)]
    pub password: Password,
    pub tables: TableChoices,
    #[field(default = "10000")]
    pub checkpoint_every: usize,
    #[field(default = "postgres")]
    pub dialect: Dialect,
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

#[state]
#[derive(Debug, Default)]
pub struct State {
    pub tables: Positions,
}

async fn schema(config: &Config) -> Result<Vec<TableSchema>> {
    let source = Postgres::connect(&config.settings(), config.dialect).await?;
    let plans = source.plan(&config.tables).await?;
    Ok(plans.iter().map(|p| p.table.schema()).collect())
}

#[sync(tables(), schema = schema)]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let source = Postgres::connect(&config.settings(), config.dialect).await?;
    for plan in source.plan(&config.tables).await? {
        let plan = plan.checkpoint_every(config.checkpoint_every);
        replicate(ops, &source, &plan, state, |s: &mut State| &mut s.tables).await?;
    }
    Ok(())
}

fn configuration(cluster: &TestPostgres, tables: &str, every: usize) -> serde_json::Value {
    let settings = cluster.settings();
    json!({
        "host": settings.host,
        "port": settings.port.to_string(),
        "database": settings.database,
        "user": settings.user,
        "password": settings.password.expose(),
        "tables": tables,
        "checkpoint_every": every.to_string(),
    })
}

/// The values of one column of a destination table, as text, in key order.
fn column(destination: &Destination, table: &str, name: &str) -> Vec<String> {
    let mut values: Vec<String> = destination
        .table(table)
        .live_rows()
        .iter()
        .map(|row| row.get(name).cloned().unwrap_or(Value::Null).into_text())
        .collect();
    values.sort();
    values
}

const KINDS: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.kinds (
    id bigint PRIMARY KEY, flag boolean, small smallint, whole integer, amount numeric(12, 2),
    huge numeric, ratio real, precise double precision, day date, local_time timestamp,
    changed_at timestamptz NOT NULL, raw bytea, label varchar(20), doc jsonb, wait interval,
    tags text[]
);
INSERT INTO shop.kinds VALUES (1, true, 7, 70000, 1234.56, 123456789012345678901234567890123456789012,
    1.5, 2.25, '2024-02-29', '2024-02-29 12:30:00', '2024-03-01 00:00:00+00', '\\x0102', 'one',
    '{\"a\": [1, 2]}', '1 day 2 hours', '{x,y}');
INSERT INTO shop.kinds (id, changed_at) VALUES (2, '2024-03-02 00:00:00+00');
";

#[tokio::test]
async fn discovery_types_columns_and_keys_from_the_catalog() {
    let cluster = TestPostgres::start("shop").unwrap();
    cluster.psql("shop", KINDS).unwrap();
    cluster
        .psql(
            "shop",
            "CREATE TABLE shop.pairs (a int, b text, n int, PRIMARY KEY (b, a))",
        )
        .unwrap();
    let source = cluster.connect().await.unwrap();
    let tables = source.discover().await.unwrap();
    let names: Vec<String> = tables.iter().map(|t| t.qualified_name()).collect();
    assert_eq!(names, ["shop.kinds", "shop.pairs"]);

    let kinds = tables[0].schema();
    let types: Vec<(&str, Option<DataType>)> = kinds
        .columns
        .iter()
        .map(|c| (c.name.as_ref(), c.data_type))
        .collect();
    use DataType as T;
    assert_eq!(
        types,
        [
            ("id", Some(T::Long)),
            ("flag", Some(T::Boolean)),
            ("small", Some(T::Short)),
            ("whole", Some(T::Int)),
            (
                "amount",
                Some(T::Decimal {
                    precision: 12,
                    scale: 2
                })
            ),
            ("huge", Some(T::String)),
            ("ratio", Some(T::Float)),
            ("precise", Some(T::Double)),
            ("day", Some(T::NaiveDate)),
            ("local_time", Some(T::NaiveDatetime)),
            ("changed_at", Some(T::UtcDatetime)),
            ("raw", Some(T::Binary)),
            ("label", Some(T::String)),
            ("doc", Some(T::Json)),
            ("wait", Some(T::String)),
            ("tags", Some(T::String)),
        ]
    );
    let unknown: Vec<&str> = tables[0]
        .unknown_columns()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(unknown, ["wait", "tags"]);
    // A composite key, in the key's order (not the columns').
    let key: Vec<&str> = tables[1].key().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(key, ["b", "a"]);
}

#[tokio::test]
async fn every_type_arrives_with_its_value_and_unknown_types_are_warned_of() {
    let cluster = TestPostgres::start("shop").unwrap();
    cluster.psql("shop", KINDS).unwrap();
    let mut destination = Destination::new();
    let run = destination
        .sync::<update>(configuration(&cluster, "shop.kinds:changed_at", 100))
        .await
        .unwrap();
    assert_eq!(destination.table_names(), ["kinds"]);
    let rows = destination.table("kinds").live_rows();
    let first = &rows[0];
    let text = |name: &str| first.get(name).cloned().unwrap().into_text();
    assert_eq!(first.get("id"), Some(&Value::Long(1)));
    assert_eq!(first.get("flag"), Some(&Value::Bool(true)));
    assert_eq!(text("amount"), "1234.56");
    assert_eq!(text("huge"), "123456789012345678901234567890123456789012");
    assert_eq!(text("day"), "2024-02-29");
    assert_eq!(first.get("raw"), Some(&Value::Binary(vec![1, 2])));
    assert_eq!(text("wait"), "1 day 02:00:00");
    assert_eq!(text("tags"), "{x,y}");
    assert_eq!(rows[1].get("flag"), Some(&Value::Null));
    assert_eq!(
        run.warnings,
        [
            "column `wait` of `shop.kinds` has type interval, which has no Fivetran type: it is sent as STRING",
            "column `tags` of `shop.kinds` has type \"pg_catalog\".\"_text\", which has no Fivetran type: it is sent as STRING",
        ]
    );
    assert_eq!(
        destination.state(),
        json!({"tables": {"shop.kinds": {"cursor": "2024-03-02 00:00:00+00", "key": ["2"]}}})
    );
}

/// 50 orders over 5 distinct `updated_at` values: ten rows tie on each.
const ORDERS: &str = "
CREATE TABLE orders (id int PRIMARY KEY, amount int NOT NULL, updated_at timestamptz NOT NULL);
INSERT INTO orders SELECT i, i * 10, timestamptz '2024-01-01 00:00:00+00' + (i % 5) * interval '1 hour'
FROM generate_series(1, 50) i;
";

#[tokio::test]
async fn ties_on_the_cursor_are_neither_lost_nor_repeated_across_checkpoints() {
    ties_are_kept(Dialect::Postgres).await;
}

/// Redshift's spelled-out predicate (it compares no rows) keeps ties as the row comparison does.
#[tokio::test]
async fn ties_are_kept_by_the_redshift_predicate_too() {
    ties_are_kept(Dialect::Redshift).await;
}

async fn ties_are_kept(dialect: Dialect) {
    let cluster = TestPostgres::start("shop").unwrap();
    cluster.psql("shop", ORDERS).unwrap();
    let mut config = configuration(&cluster, "orders:updated_at", 7);
    config["dialect"] = json!(dialect.to_string());
    let mut destination = Destination::new();
    // Stopped after each of its 8 checkpoints (every 7 rows, most inside a run of ties) and
    // resumed, the sync ends as the uninterrupted one: every order once.
    let run = destination.assert_resumable::<update>(config.clone()).await;
    assert_eq!(run.states.len(), 8);
    assert_eq!(run.report.total().upserts, 50);
    assert_eq!(destination.table("orders").live_rows().len(), 50);
    // The 7th row in (updated_at, id) order: 00:00 holds ids 5, 10, ..., 50, and the first
    // checkpoint falls among them.
    assert_eq!(
        run.states[0],
        json!({"tables": {"public.orders": {"cursor": "2024-01-01 00:00:00+00", "key": ["35"]}}})
    );

    // Changes: one row moves forward, one new row ties with the saved cursor but has a larger
    // key, one row changes without its cursor moving (not seen: the rule's known limit).
    cluster
        .psql(
            "shop",
            "UPDATE orders SET amount = 1, updated_at = '2024-01-02 00:00:00+00' WHERE id = 3;
             INSERT INTO orders VALUES (51, 510, '2024-01-01 04:00:00+00');
             UPDATE orders SET amount = 2 WHERE id = 4;",
        )
        .unwrap();
    let second = destination.assert_resumable::<update>(config).await;
    assert_eq!(second.report.total().upserts, 2);
    let rows = destination.table("orders").live_rows();
    assert_eq!(rows.len(), 51);
    let amount = |id: i32| {
        rows.iter()
            .find(|r| r.get("id") == Some(&Value::Int(id)))
            .and_then(|r| r.get("amount").cloned())
    };
    assert_eq!(amount(3), Some(Value::Int(1)));
    assert_eq!(amount(51), Some(Value::Int(510)));
    assert_eq!(amount(4), Some(Value::Int(40)));
    assert_eq!(
        destination.state(),
        json!({"tables": {"public.orders": {"cursor": "2024-01-02 00:00:00+00", "key": ["3"]}}})
    );
}

#[tokio::test]
async fn a_table_without_key_checkpoints_only_where_its_cursor_changes() {
    let cluster = TestPostgres::start("shop").unwrap();
    cluster
        .psql(
            "shop",
            "CREATE TABLE events (kind text, at date NOT NULL);
             INSERT INTO events SELECT 'e' || i, date '2024-01-01' + (i % 4) FROM generate_series(1, 20) i;",
        )
        .unwrap();
    let mut destination = Destination::new();
    let run = destination
        .assert_resumable::<update>(configuration(&cluster, "events:at", 3))
        .await;
    // Five rows a day: a checkpoint after each day (three rows reached inside it), none inside.
    let cursors: Vec<&str> = run
        .states
        .iter()
        .map(|s| s["tables"]["public.events"]["cursor"].as_str().unwrap())
        .collect();
    assert_eq!(
        cursors,
        ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    );
    assert_eq!(column(&destination, "events", "kind").len(), 20);
    // The next sync reads after the last day: nothing.
    let second = destination
        .sync::<update>(configuration(&cluster, "events:at", 3))
        .await
        .unwrap();
    assert_eq!(second.report.total().upserts, 0);
}

#[tokio::test]
async fn chosen_tables_and_cursors_are_checked_against_the_catalog() {
    let cluster = TestPostgres::start("shop").unwrap();
    cluster.psql("shop", ORDERS).unwrap();
    let source = cluster.connect().await.unwrap();
    let plan = |text: &str| {
        let choices = <TableChoices as connector_core::ConfigValue>::parse(text).unwrap();
        let source = &source;
        async move {
            source
                .plan(&choices)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    assert_eq!(
        plan("orders:changed").await,
        Err("table `public.orders` has no column `changed` for its cursor; its columns are id, amount, updated_at".into())
    );
    assert_eq!(
        plan("shop.orders:id").await,
        Err("table `shop.orders` is not in the database (or this user cannot read it)".into())
    );
    assert_eq!(plan("orders:id").await, Ok(()));
}

#[tokio::test]
async fn a_wrong_password_fails_without_showing_it() {
    let cluster = TestPostgres::start("shop").unwrap();
    let mut settings = cluster.settings();
    settings.password = Password::new("not-the-password-XYZ");
    let error = match Postgres::connect(&settings, Dialect::Postgres).await {
        Ok(_) => panic!("connected with a wrong password"),
        Err(error) => format!("{error:#}"),
    };
    assert!(
        error.contains("could not connect to postgres@127.0.0.1"),
        "{error}"
    );
    assert!(error.contains("password authentication failed"), "{error}");
    assert!(!error.contains("XYZ"), "{error}");
}
