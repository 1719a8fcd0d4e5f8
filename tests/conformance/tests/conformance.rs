//! The golden conformance suite of the local runner: small connectors, each run into a fresh
//! warehouse as `debug` runs them and into a fresh in-memory destination as a user's tests run
//! them, and both compared with the one dump written by hand from the contract in
//! docs/warehouse.md (`expected/<case>.txt`: tables, column types in order, rows as text,
//! sorted, `_fivetran_synced` replaced by its rank in the table).

use connector_conformance::{Golden, LocalRun};
use connector_core::naming::Naming;
use serde_json::json;

use connector_core::serde_json;

/// A table without a primary key takes upserts only; equal rows collapse into one `_fivetran_id`.
mod append_only {
    use connector_core::prelude::*;

    #[table(name = "events")]
    pub struct Event {
        pub message: String,
        pub n: i32,
    }

    #[sync(tables(Event))]
    pub async fn update(ops: &Operations) -> Result<()> {
        for (message, n) in [("a", 1), ("b", 2), ("a", 1)] {
            ops.upsert(Event {
                message: message.into(),
                n,
            })
            .await?;
        }
        ops.checkpoint(&json!({"cursor": 3})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn append_only() {
    let mut run = Golden::new();
    run.sync::<append_only::update>(json!({})).await;
    run.assert_dump("append_only");
    assert_eq!(run.state(), Some(json!({"cursor": 3})));
}

/// Upserts, updates and deletes with unknown keys, two checkpoints, then a second run from the
/// saved state that truncates first.
mod operations {
    use connector_core::prelude::*;

    #[table(name = "items")]
    pub struct Item {
        #[primary_key]
        pub id: i64,
        pub name: String,
        pub qty: Option<i32>,
    }

    #[state]
    #[derive(Default)]
    pub struct Run {
        pub run: u32,
        pub step: Option<u32>,
    }

    fn item(id: i64, name: &str, qty: Option<i32>) -> Item {
        Item {
            id,
            name: name.into(),
            qty,
        }
    }

    #[sync(tables(Item))]
    pub async fn update(ops: &Operations, state: &mut Run) -> Result<()> {
        if state.run == 0 {
            ops.truncate::<Item>().await?; // no table yet: ignored
            ops.upsert(item(1, "one", Some(10))).await?;
            ops.upsert(item(2, "two", Some(20))).await?;
            ops.upsert(item(3, "three", None)).await?;
            ops.update(Item::patch(2).name("TWO")).await?;
            ops.update(Item::patch(99).name("nobody")).await?;
            ops.delete(ItemKey { id: 3 }).await?;
            ops.delete(ItemKey { id: 98 }).await?;
            *state = Run { run: 1, step: None };
            ops.checkpoint(state).await?;
            ops.upsert(item(4, "four", Some(40))).await?;
            ops.update(Item::patch(4).qty(41)).await?;
            ops.delete(ItemKey { id: 1 }).await?;
            ops.upsert(item(1, "one again", None)).await?;
            state.step = Some(2);
            ops.checkpoint(state).await?;
        } else {
            ops.truncate::<Item>().await?;
            ops.upsert(item(2, "two v2", Some(22))).await?;
            ops.update(Item::patch(4).name("four v2")).await?;
            *state = Run { run: 2, step: None };
            ops.checkpoint(state).await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn operations_across_two_runs() {
    let mut run = Golden::new();
    let report = run.sync::<operations::update>(json!({})).await;
    assert_eq!(
        (
            report.total().upserts,
            report.total().updates,
            report.total().deletes
        ),
        (5, 3, 3)
    );
    run.assert_dump("operations_run1");
    assert_eq!(run.state(), Some(json!({"run": 1, "step": 2})));

    run.sync::<operations::update>(json!({})).await;
    run.assert_dump("operations_run2");
    assert_eq!(run.state(), Some(json!({"run": 2, "step": null})));
}

/// Every declared type, with NULLs and edge values.
mod types {
    use connector_core::prelude::*;

    #[table(name = "all_types")]
    pub struct AllTypes {
        #[primary_key]
        pub id: i32,
        pub boolean: Option<bool>,
        pub short: Option<i16>,
        pub int: Option<i32>,
        pub long: Option<i64>,
        #[column(decimal(10, 2))]
        pub decimal: Option<Decimal>,
        pub float: Option<f32>,
        pub double: Option<f64>,
        pub naive_date: Option<NaiveDate>,
        pub naive_datetime: Option<NaiveDateTime>,
        pub utc_datetime: Option<DateTime<Utc>>,
        pub binary: Option<Vec<u8>>,
        pub string: Option<String>,
        pub json: Option<serde_json::Value>,
        #[column(xml)]
        pub xml: Option<String>,
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[sync(tables(AllTypes))]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert(AllTypes {
            id: 1,
            boolean: Some(false),
            short: Some(i16::MIN),
            int: Some(i32::MIN),
            long: Some(i64::MIN),
            decimal: Some("-12345678.905".parse()?),
            float: Some(-1.5),
            double: Some(-0.25),
            naive_date: NaiveDate::from_ymd_opt(1969, 7, 20),
            naive_datetime: NaiveDate::from_ymd_opt(1969, 7, 20)
                .unwrap()
                .and_hms_micro_opt(20, 17, 40, 123_456),
            utc_datetime: Some(instant("2024-03-10T01:30:00.000001-05:00")),
            binary: Some(vec![0, 255, b'A']),
            string: Some("ünïcödé ✓".into()),
            json: Some(json!({"a": [1, 2]})),
            xml: Some("<a>1</a>".into()),
        })
        .await?;
        ops.upsert(AllTypes {
            id: 2,
            boolean: Some(true),
            short: Some(i16::MAX),
            int: Some(i32::MAX),
            long: Some(i64::MAX),
            decimal: Some("99999999.994".parse()?),
            float: Some(3.25),
            double: Some(0.1),
            naive_date: NaiveDate::from_ymd_opt(9999, 12, 31),
            naive_datetime: NaiveDate::from_ymd_opt(2038, 1, 19)
                .unwrap()
                .and_hms_opt(3, 14, 8),
            utc_datetime: Some(instant("2000-01-01T00:00:00Z")),
            binary: Some(Vec::new()),
            string: Some(String::new()),
            json: Some(json!([])),
            xml: None,
        })
        .await?;
        ops.upsert(AllTypes {
            id: 3,
            boolean: None,
            short: None,
            int: None,
            long: None,
            decimal: None,
            float: None,
            double: None,
            naive_date: None,
            naive_datetime: None,
            utc_datetime: None,
            binary: None,
            string: None,
            json: None,
            xml: None,
        })
        .await?;
        ops.checkpoint(&json!({"done": true})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn every_declared_type() {
    let mut run = Golden::new();
    run.sync::<types::update>(json!({})).await;
    run.assert_dump("types");
}

/// Undeclared tables and columns: types inferred from values, widened across rows and runs.
mod inference {
    use connector_core::prelude::*;

    #[state]
    #[derive(Default)]
    pub struct Runs {
        pub runs: u32,
    }

    #[sync(tables())]
    pub async fn update(ops: &Operations, state: &mut Runs) -> Result<()> {
        let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
        if state.runs == 0 {
            ops.upsert_row(
                "metrics",
                Row::new()
                    .with("id", 1_i64)
                    .with("flag", true)
                    .with("amount", 1_i16)
                    .with("when", day(1))
                    .with("label", "x"),
            )
            .await?;
            ops.upsert_row(
                "metrics",
                Row::new()
                    .with("id", 2_i64)
                    .with("flag", 5_i32)
                    .with("amount", 2.5)
                    .with("when", day(2).and_hms_opt(3, 4, 5).unwrap())
                    .with("label", 7_i64)
                    .with("extra", None::<String>),
            )
            .await?;
        } else {
            ops.upsert_row(
                "metrics",
                Row::new()
                    .with("id", 3_i64)
                    .with("flag", 1_i64 << 40)
                    .with("amount", Decimal::new(125, 2))
                    .with("when", day(3).and_hms_opt(0, 0, 0).unwrap().and_utc())
                    .with("note", "new column"),
            )
            .await?;
        }
        state.runs += 1;
        ops.checkpoint(state).await?;
        Ok(())
    }
}

#[tokio::test]
async fn inferred_types_widen_across_rows_and_runs() {
    let mut run = Golden::new();
    run.sync::<inference::update>(json!({})).await;
    run.assert_dump("inference_run1");
    run.sync::<inference::update>(json!({})).await;
    run.assert_dump("inference_run2");
}

/// Awkward names: camelCase, spaces, digits, accents, leading underscores and digits, reserved
/// words, two table names and two column names that collide, a schema with a space.
mod names {
    use connector_core::prelude::*;

    #[table(name = "OrderItems", schema = "Sales Data")]
    pub struct OrderItem {
        #[primary_key]
        #[column(name = "orderID")]
        pub order_id: i64,
        #[column(name = "HTTPStatus")]
        pub http_status: i16,
        #[column(name = "group")]
        pub group: String,
    }

    #[sync(tables(OrderItem))]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert(OrderItem {
            order_id: 1,
            http_status: 200,
            group: "g".into(),
        })
        .await?;
        ops.upsert_row(
            "userData",
            Row::new()
                .with("updatedAt", 1_i64)
                .with("place name", "Rome")
                .with("Address2", "a2")
                .with("Città", "Roma")
                .with("_leading", 1_i64)
                .with("2fa", true)
                .with("order", "first"),
        )
        .await?;
        ops.upsert_row(
            "user-data",
            Row::new()
                .with("updated_at", 3_i64)
                .with("updatedAt", 2_i64),
        )
        .await?;
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn awkward_names_follow_fivetran_naming() {
    let mut run = Golden::new();
    run.sync::<names::update>(json!({})).await;
    run.assert_dump("names");
}

#[tokio::test]
async fn source_naming_keeps_names_as_written() {
    let mut run = Golden::named(Naming::Source);
    run.sync::<names::update>(json!({})).await;
    run.assert_dump("names_source");
}

/// Updates, deletes and truncates of tables that do not exist are ignored and create nothing;
/// a column whose first cells are NULL is created when its first value arrives, in that place.
mod absent {
    use connector_core::prelude::*;

    #[sync(schema = schema)]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.truncate_table("ghost").await?;
        ops.update_row(
            "declared_later",
            Row::new().with("id", 1_i64).with("v", "x"),
        )
        .await?;
        ops.delete_row("declared_later", Row::new().with("id", 1_i64))
            .await?;
        ops.upsert_row(
            "columns",
            Row::new()
                .with("late", None::<i64>)
                .with("b", 1_i64)
                .with("never", None::<String>),
        )
        .await?;
        ops.upsert_row("columns", Row::new().with("late", 5_i64).with("a", true))
            .await?;
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }

    async fn schema() -> Result<Vec<TableSchema>> {
        // A key without a type: typed by the first value that arrives for it, even in an
        // update of a key that is not there.
        Ok(vec![
            TableSchema::new("declared_later")
                .column(Column::key("id", None))
                .column(Column::new("v", DataType::String)),
        ])
    }
}

#[tokio::test]
async fn absent_tables_ignore_operations_and_null_columns_wait_for_a_value() {
    let mut run = Golden::new();
    run.sync::<absent::update>(json!({})).await;
    run.assert_dump("absent");
}

/// Values whose text is easy to get wrong: numbers in exponent form, whole floats, negative
/// zero, bytes that are escaped, JSON with whitespace, timestamps with trailing zeros, decimals
/// at a widened scale, and values widened to text.
mod edge_values {
    use connector_core::prelude::*;

    #[sync(tables())]
    pub async fn update(ops: &Operations) -> Result<()> {
        let at = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let rows = [
            Row::new()
                .with("n", 1)
                .with("double", 1e-7)
                .with("float", 1e7_f32)
                .with("blob", b"a'b\"c\\d".to_vec())
                .with("json", json!({"a": [1, "b c"]}))
                .with("naive", at.and_hms_micro_opt(1, 2, 3, 450_000).unwrap())
                .with("decimal", Decimal::new(15, 1))
                .with("text", 7_i64),
            Row::new()
                .with("n", 2)
                .with("double", 1e22)
                .with("float", 0.1_f32)
                .with("blob", vec![0x7f_u8, b' ', b'~'])
                .with("json", Value::Json("{ \"x\" : \"y z\" }".into()))
                .with("naive", at.and_hms_opt(0, 0, 0).unwrap())
                .with("decimal", Decimal::new(-5, 3))
                .with("text", at),
            Row::new()
                .with("n", 3)
                .with("double", -0.0)
                .with("float", 16_777_216_f32)
                .with("decimal", 12_i64)
                .with("text", 2.5),
            Row::new()
                .with("n", 4)
                .with("double", 123_456_789.125)
                .with("float", 1.5e-5_f32)
                .with("text", true),
            Row::new()
                .with("n", 5)
                .with("double", 1e21)
                .with("float", -3.25_f32)
                .with("text", vec![0xab_u8]),
            Row::new().with("n", 6).with("double", 0.1 + 0.2),
            Row::new()
                .with("n", 7)
                .with("double", 1e-5)
                .with("float", 1e-6_f32),
            Row::new().with("n", 8).with("double", 1e-6),
            Row::new()
                .with("n", 9)
                .with("double", 1e20)
                .with("float", 1e20_f32),
            Row::new().with("n", 10).with("double", 5e-324),
            Row::new().with("n", 11).with("double", 0.000_123_45),
        ];
        for row in rows {
            ops.upsert_row("edge", row).await?;
        }
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn edge_values_read_the_same_in_both_destinations() {
    let mut run = Golden::new();
    run.sync::<edge_values::update>(json!({})).await;
    let (local, memory) = (run.local.dump(), run.memory.dump());
    assert!(
        local == memory,
        "the dumps differ\n--- warehouse\n{local}\n--- memory\n{memory}"
    );
}

#[tokio::test]
async fn source_tables_that_share_a_destination_table_are_reported() {
    let run = LocalRun::new();
    let (sink, outcome) = connector_core::__internal::local::sync_into_warehouse::<names::update>(
        &connector_core::testing::configuration_map(json!({})),
        &run.files(),
        Naming::Fivetran,
        false,
    )
    .await
    .unwrap();
    outcome.unwrap();
    assert_eq!(
        sink.shared_tables(),
        [(
            "tester.user_data".to_string(),
            vec!["userData".to_string(), "user-data".to_string()]
        )]
    );
}

/// Upserts with ascending integer keys above every key already in the table are appended
/// without a merge; these cases check that the shortcut never changes the result.
mod ascending {
    use connector_core::prelude::*;

    #[table(name = "events")]
    pub struct Event {
        #[primary_key]
        pub id: i64,
        pub run: String,
    }

    #[derive(Configuration)]
    pub struct Config {
        /// Keys to upsert, in order, as a JSON list.
        #[field(json)]
        pub ids: Vec<i64>,
        pub run: String,
    }

    #[sync(tables(Event))]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        for id in &config.ids {
            ops.upsert(Event {
                id: *id,
                run: config.run.clone(),
            })
            .await?;
        }
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn upserts_in_key_order_give_the_same_table_as_a_merge() {
    let run = LocalRun::new();
    let rows = |run: &LocalRun| -> Vec<(i64, String)> {
        let warehouse = connector_core::__internal::local::Warehouse::open(
            &run.files().warehouse,
            Naming::Fivetran,
        )
        .unwrap();
        let mut statement = warehouse
            .connection()
            .prepare("SELECT id, run FROM tester.events ORDER BY id")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let sync = |ids: &str, name: &str| {
        let configuration = json!({ "ids": ids, "run": name });
        let run = &run;
        async move { run.sync::<ascending::update>(configuration).await.unwrap() }
    };
    // Ascending into an empty table: appended.
    sync("[1, 2, 3]", "a").await;
    // Ascending but starting inside the table: merged, 2 and 3 replaced.
    sync("[2, 3, 4]", "b").await;
    // Ascending above the table: appended.
    sync("[10, 11]", "c").await;
    // A repeated key: merged, the last upsert wins.
    sync("[20, 21, 21]", "d").await;
    // Descending: merged.
    sync("[31, 30]", "e").await;
    assert_eq!(
        rows(&run),
        [
            (1, "a".to_string()),
            (2, "b".to_string()),
            (3, "b".to_string()),
            (4, "b".to_string()),
            (10, "c".to_string()),
            (11, "c".to_string()),
            (20, "d".to_string()),
            (21, "d".to_string()),
            (30, "e".to_string()),
            (31, "e".to_string()),
        ]
    );
}

/// A timestamp, a naive timestamp and bytes that later meet text: widened to VARCHAR, they read
/// the same whether the change happens within a run (in Rust) or across runs (in DuckDB).
mod text_widening {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        /// Which rows this run sends: "typed", "text" or "both".
        pub rows: String,
    }

    fn typed() -> Row {
        let at = DateTime::from_timestamp(1_704_254_706, 7_008_000).unwrap();
        Row::new()
            .with("id", 1_i64)
            .with("at", at)
            .with("ts", at.naive_utc())
            .with("blob", vec![0x0a_u8, 0xff])
    }

    fn text() -> Row {
        Row::new()
            .with("id", 2_i64)
            .with("at", "later")
            .with("ts", "later")
            .with("blob", "later")
    }

    #[sync(schema = schema)]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        if config.rows != "text" {
            ops.upsert_row("samples", typed()).await?;
        }
        if config.rows != "typed" {
            ops.upsert_row("samples", text()).await?;
        }
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }

    async fn schema(_config: &Config) -> Result<Vec<TableSchema>> {
        Ok(vec![
            TableSchema::new("samples").column(Column::key("id", Some(DataType::Long))),
        ])
    }
}

#[tokio::test]
async fn text_widening_reads_the_same_within_and_across_runs() {
    let texts = |run: &LocalRun| -> Vec<(String, String, String)> {
        let warehouse = connector_core::__internal::local::Warehouse::open(
            &run.files().warehouse,
            Naming::Fivetran,
        )
        .unwrap();
        let mut statement = warehouse
            .connection()
            .prepare(r#"SELECT "at", "ts", "blob" FROM tester.samples ORDER BY id"#)
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let across = LocalRun::new();
    across
        .sync::<text_widening::update>(json!({"rows": "typed"}))
        .await
        .unwrap();
    across
        .sync::<text_widening::update>(json!({"rows": "text"}))
        .await
        .unwrap();
    let within = LocalRun::new();
    within
        .sync::<text_widening::update>(json!({"rows": "both"}))
        .await
        .unwrap();
    let expected = [
        (
            "2024-01-03T04:05:06.007008Z".to_string(),
            "2024-01-03T04:05:06.007008".to_string(),
            "0aff".to_string(),
        ),
        (
            "later".to_string(),
            "later".to_string(),
            "later".to_string(),
        ),
    ];
    assert_eq!(texts(&within), expected);
    assert_eq!(texts(&across), expected);
}

/// Upserts that start in key order go straight to the target table; when a later operation of
/// the same window breaks the order (an update, a delete, a lower key, a truncate), the rest is
/// staged and merged over those rows. Each row carries 2 KB of text, so the sink's buffer
/// (8 MB) is appended about every 3,900 rows, and both paths meet inside one window.
mod key_order_broken {
    use connector_core::prelude::*;

    #[table(name = "events")]
    pub struct Event {
        #[primary_key]
        pub id: i64,
        pub run: String,
        pub padding: String,
    }

    #[derive(Configuration)]
    pub struct Config {
        pub run: u32,
    }

    fn event(id: i64, run: &str) -> Event {
        Event {
            id,
            run: run.into(),
            padding: "x".repeat(2048),
        }
    }

    async fn upsert_all(
        ops: &Operations<update>,
        ids: std::ops::RangeInclusive<i64>,
        run: &str,
    ) -> Result<()> {
        for id in ids {
            ops.upsert(event(id, run)).await?;
        }
        Ok(())
    }

    #[sync(tables(Event))]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        match config.run {
            1 => {
                upsert_all(ops, 1..=5000, "a").await?;
                ops.update(Event::patch(10).run("updated")).await?;
                ops.delete(EventKey { id: 20 }).await?;
                ops.upsert(event(3, "late")).await?;
                ops.upsert(event(5001, "a")).await?;
                ops.checkpoint(&json!({"run": 1})).await?;
            }
            2 => {
                upsert_all(ops, 5002..=9200, "b").await?;
                ops.checkpoint(&json!({"run": 2, "window": 1})).await?;
                // Below the largest key of the window just committed: merged, not appended;
                // the merge raises the largest key to 9300.
                ops.upsert(event(9150, "again")).await?;
                ops.upsert(event(9300, "again")).await?;
                ops.checkpoint(&json!({"run": 2, "window": 2})).await?;
                // Ascending, but from below 9300: merged.
                upsert_all(ops, 9201..=13500, "b").await?;
                ops.checkpoint(&json!({"run": 2, "window": 3})).await?;
                upsert_all(ops, 13501..=17800, "b").await?;
                ops.truncate::<Event>().await?;
                ops.upsert(event(17801, "b")).await?;
                ops.checkpoint(&json!({"run": 2, "window": 4})).await?;
            }
            _ => {
                upsert_all(ops, 17802..=22000, "c").await?;
                bail!("the source went away");
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_window_that_breaks_key_order_merges_over_the_rows_already_appended() {
    let run = LocalRun::new();
    let sync = |number: u32| {
        let run = &run;
        async move {
            run.sync::<key_order_broken::update>(json!({ "run": number }))
                .await
        }
    };
    let run_of = |id: i64| {
        run.count(&format!(
            "SELECT CASE run WHEN 'a' THEN 1 WHEN 'updated' THEN 2 WHEN 'late' THEN 3 \
             WHEN 'b' THEN 4 WHEN 'again' THEN 5 ELSE 0 END FROM tester.events WHERE id = {id}"
        ))
    };

    sync(1).await.unwrap();
    assert_eq!(run.count("SELECT count(*) FROM tester.events"), 5001);
    assert_eq!(
        run.count("SELECT count(DISTINCT id) FROM tester.events"),
        5001
    );
    assert_eq!(
        run_of(10),
        2,
        "the update applies to a row appended in its window"
    );
    assert_eq!(
        run_of(3),
        3,
        "a lower key replaces the row appended before it"
    );
    assert_eq!(run_of(4999), 1);
    assert_eq!(
        run.count("SELECT count(*) FROM tester.events WHERE _fivetran_deleted"),
        1
    );
    assert_eq!(
        run.count("SELECT id FROM tester.events WHERE _fivetran_deleted"),
        20
    );
    assert_eq!(
        run.count(
            "SELECT CAST((SELECT _fivetran_synced FROM tester.events WHERE id = 10) > \
             (SELECT _fivetran_synced FROM tester.events WHERE id = 5000) AS BIGINT)"
        ),
        1,
        "the update's stamp is later than the rows it follows"
    );

    sync(2).await.unwrap();
    assert_eq!(run.count("SELECT count(*) FROM tester.events"), 17801);
    assert_eq!(
        run.count("SELECT count(DISTINCT id) FROM tester.events"),
        17801
    );
    assert_eq!(run_of(9150), 5, "merged over the row of the window before");
    assert_eq!(run_of(9300), 4, "merged over the row of the window before");
    assert_eq!(
        run.count("SELECT count(*) FROM tester.events WHERE NOT _fivetran_deleted"),
        1,
        "the truncate marks every row synced before it, appended or staged"
    );
    assert_eq!(
        run.count("SELECT id FROM tester.events WHERE NOT _fivetran_deleted"),
        17801
    );
    assert_eq!(run.state(), Some(json!({"run": 2, "window": 4})));

    let failed = sync(3).await;
    assert!(failed.is_err(), "run 3 fails");
    assert_eq!(
        run.count("SELECT count(*) FROM tester.events"),
        17801,
        "rows appended before the failure are rolled back"
    );
    assert_eq!(run.state(), Some(json!({"run": 2, "window": 4})));
}

/// Rows of a declared run-time table in key order go straight to the target; a later row of
/// the window with a column nobody declared stages the rest, and the checkpoint adds the column
/// to a table that already holds rows of the open window.
mod new_column_after_appended_rows {
    use connector_core::prelude::*;

    fn note(id: i64) -> Row {
        Row::new().with("id", id).with("body", "x".repeat(2048))
    }

    #[sync(schema = schema)]
    pub async fn update(ops: &Operations) -> Result<()> {
        for id in 1..=5000 {
            ops.upsert_row("notes", note(id)).await?;
        }
        ops.upsert_row("notes", note(5001).with("extra", 7_i64))
            .await?;
        ops.upsert_row("notes", note(5002)).await?;
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }

    async fn schema() -> Result<Vec<TableSchema>> {
        Ok(vec![
            TableSchema::new("notes")
                .column(Column::key("id", Some(DataType::Long)))
                .column(Column::new("body", DataType::String)),
        ])
    }
}

#[tokio::test]
async fn a_new_column_after_rows_appended_in_key_order_is_added_in_the_same_commit() {
    let run = LocalRun::new();
    run.sync::<new_column_after_appended_rows::update>(json!({}))
        .await
        .unwrap();
    assert_eq!(run.count("SELECT count(*) FROM tester.notes"), 5002);
    assert_eq!(
        run.count("SELECT count(DISTINCT id) FROM tester.notes"),
        5002
    );
    assert_eq!(
        run.count("SELECT count(*) FROM tester.notes WHERE extra IS NOT NULL"),
        1
    );
    assert_eq!(
        run.count("SELECT extra FROM tester.notes WHERE id = 5001"),
        7
    );
}

/// Decimals of more than 28 digits at the column's scale (more than rust_decimal holds):
/// stored exactly when they fit the column, refused when they do not.
mod wide_decimals {
    use connector_core::prelude::*;

    #[table(name = "amounts")]
    pub struct Amount {
        #[primary_key]
        pub id: i64,
        #[column(decimal(38, 18))]
        pub value: Decimal,
    }

    #[derive(Configuration)]
    pub struct Config {
        pub value: String,
    }

    #[sync(tables(Amount))]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        let value: Decimal = config.value.parse()?;
        ops.upsert(Amount { id: 1, value }).await?;
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }
}

#[tokio::test]
async fn decimals_wider_than_96_bits_at_their_scale_are_stored_exactly_or_refused() {
    let run = LocalRun::new();
    run.sync::<wide_decimals::update>(json!({ "value": "-123456789012.123456789" }))
        .await
        .unwrap();
    assert!(
        run.dump()
            .contains("| 1 | -123456789012.123456789000000000 |"),
        "{}",
        run.dump()
    );
    let refused = LocalRun::new();
    let error = refused
        .sync::<wide_decimals::update>(json!({ "value": "1000000000000000000000" }))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("DECIMAL(38, 18)"), "{error}");
}

/// A run that declares a new integer key column for a table an earlier run created: the target
/// has no such column yet, so its rows in key order are appended once the column is added.
mod key_new_to_the_target {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        pub run: u32,
    }

    #[sync(schema = schema)]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        if config.run == 1 {
            ops.upsert_row("t", Row::new().with("id", 1_i64).with("v", "first"))
                .await?;
        } else {
            for event_id in 10..13_i64 {
                ops.upsert_row(
                    "t",
                    Row::new()
                        .with("id", 2_i64)
                        .with("v", "second")
                        .with("event_id", event_id),
                )
                .await?;
            }
        }
        ops.checkpoint(&json!({})).await?;
        Ok(())
    }

    async fn schema(config: &Config) -> Result<Vec<TableSchema>> {
        let table = if config.run == 1 {
            TableSchema::new("t")
                .column(Column::key("id", Some(DataType::Long)))
                .column(Column::new("v", DataType::String))
        } else {
            TableSchema::new("t")
                .column(Column::new("id", DataType::Long))
                .column(Column::new("v", DataType::String))
                .column(Column::key("event_id", Some(DataType::Long)))
        };
        Ok(vec![table])
    }
}

#[tokio::test]
async fn a_key_column_new_to_the_target_takes_rows_in_key_order() {
    let run = LocalRun::new();
    run.sync::<key_new_to_the_target::update>(json!({ "run": 1 }))
        .await
        .unwrap();
    run.sync::<key_new_to_the_target::update>(json!({ "run": 2 }))
        .await
        .unwrap();
    assert_eq!(run.count("SELECT count(*) FROM tester.t"), 4);
    assert_eq!(
        run.count("SELECT count(*) FROM tester.t WHERE event_id IS NULL AND v = 'first'"),
        1
    );
    assert_eq!(run.count("SELECT max(event_id) FROM tester.t"), 12);
}
