//! One connector, one verdict: the in-memory destination, `debug` and `serve` (read by the
//! tester) accept the same connectors with the same tables, and refuse the same ones with the
//! same message. And every DECIMAL(38, s) value lands exactly, in every mode.

use connector_conformance::Verdicts;
use connector_conformance::serde_json::json;

/// 38 digits, 10 after the point: more than rust_decimal holds.
const WIDE: &str = "1234567890123456789012345678.0123456789";

mod wide_decimals {
    use connector_core::prelude::*;

    #[table(name = "ledger")]
    pub struct Entry {
        #[primary_key]
        pub id: i64,
        #[column(decimal(38, 10))]
        pub amount: Decimal,
    }

    async fn schema() -> Result<Vec<TableSchema>> {
        Ok(vec![
            TableSchema::new("balances")
                .column(Column::key("id", Some(DataType::Long)))
                .column(Column::new(
                    "amount",
                    DataType::Decimal {
                        precision: 38,
                        scale: 10,
                    },
                ))
                .column(Column::new(
                    "big",
                    DataType::Decimal {
                        precision: 38,
                        scale: 0,
                    },
                )),
        ])
    }

    #[sync(tables(Entry), schema = schema)]
    pub async fn update(ops: &Operations) -> Result<()> {
        let wide: Decimal = super::WIDE.parse()?;
        ops.upsert(Entry {
            id: 1,
            amount: wide,
        })
        .await?;
        ops.upsert_row(
            "balances",
            Row::new()
                .with("id", 1_i64)
                .with("amount", wide)
                // 10^20, past i64, without text.
                .with("big", Decimal::try_from(10_i128.pow(20))?),
        )
        .await?;
        // Text and an unsigned integer past i64, into an inferred column and a declared one.
        ops.upsert_row(
            "balances",
            Row::new()
                .with("id", 2_i64)
                .with("amount", super::WIDE)
                .with("big", u64::MAX)
                .with("inferred", wide),
        )
        .await?;
        ops.checkpoint(&json!({})).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_digit_of_a_38_digit_decimal_lands_in_every_mode() {
    let dump = Verdicts::of::<wide_decimals::update>(json!({}))
        .await
        .assert_all_succeed();
    assert!(
        dump.contains(&format!("1 | {WIDE}")),
        "the ledger row keeps every digit:\n{dump}"
    );
    assert!(
        dump.contains(&format!("1 | {WIDE} | 100000000000000000000")),
        "{dump}"
    );
    assert!(
        dump.contains(&format!("2 | {WIDE} | 18446744073709551615 | {WIDE}")),
        "{dump}"
    );
}

mod too_wide_for_its_column {
    use connector_core::prelude::*;

    #[table(name = "prices")]
    pub struct Price {
        #[primary_key]
        pub id: i64,
        #[column(decimal(10, 2))]
        pub amount: Decimal,
    }

    #[sync(tables(Price))]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert(Price {
            id: 1,
            amount: "123456789.1".parse()?,
        })
        .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typed_row_that_does_not_fit_its_declared_decimal_fails_in_every_mode() {
    Verdicts::of::<too_wide_for_its_column::update>(json!({}))
        .await
        .assert_all_fail_with(
            "table `prices`, column `amount`: a value of type DECIMAL does not fit DECIMAL(10, 2)",
        );
}

mod not_json {
    use connector_core::prelude::*;

    #[table(name = "events")]
    pub struct Event {
        #[primary_key]
        pub id: i64,
        #[column(json)]
        pub payload: String,
    }

    #[sync(tables(Event))]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert(Event {
            id: 1,
            payload: "{not json".into(),
        })
        .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_field_that_is_not_json_fails_in_every_mode() {
    Verdicts::of::<not_json::update>(json!({}))
        .await
        .assert_all_fail_with(
            "table `events`, column `payload`: a value of type JSON is not a JSON document",
        );
}

mod bad_schemas {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        pub case: String,
    }

    fn orders(precision: u8, scale: u8) -> Vec<TableSchema> {
        vec![
            TableSchema::new("orders")
                .column(Column::key("id", Some(DataType::Long)))
                .column(Column::new(
                    "amount",
                    DataType::Decimal { precision, scale },
                )),
        ]
    }

    async fn schema(config: &Config) -> Result<Vec<TableSchema>> {
        Ok(match config.case.as_str() {
            "precision 40" => orders(40, 2),
            "scale above precision" => orders(5, 7),
            "precision 0" => orders(0, 0),
            "mixed schemas" => vec![TableSchema::new("a").in_schema("s"), TableSchema::new("b")],
            "colliding columns" => vec![
                TableSchema::new("t")
                    .column(Column::new("userId", DataType::Long))
                    .column(Column::new("user_id", DataType::Long)),
            ],
            "colliding tables" => vec![TableSchema::new("UserData"), TableSchema::new("user_data")],
            "empty column" => vec![TableSchema::new("t").column(Column::new("", DataType::Long))],
            "reserved column" => {
                vec![TableSchema::new("t").column(Column::new("_fivetran_deleted", DataType::Long))]
            }
            other => bail!("no case `{other}`"),
        })
    }

    #[sync(tables(), schema = schema)]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        let _ = config;
        ops.upsert_row("orders", Row::new().with("id", 1_i64)).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_schema_the_destination_cannot_hold_fails_in_every_mode_before_the_sync() {
    for (case, message) in [
        (
            "precision 40",
            "table `orders`, column `amount`: DECIMAL precision must be within 1..=38, not 40",
        ),
        (
            "scale above precision",
            "table `orders`, column `amount`: DECIMAL scale 7 is greater than its precision 5",
        ),
        (
            "precision 0",
            "table `orders`, column `amount`: DECIMAL precision must be within 1..=38, not 0",
        ),
        (
            "mixed schemas",
            "some tables name a schema and some do not (b); give every table a schema or none",
        ),
        (
            "colliding columns",
            "table `t`: columns `userId` and `user_id` both become column `user_id`",
        ),
        (
            "colliding tables",
            "tables `UserData` and `user_data` both become table `user_data`",
        ),
        (
            "empty column",
            "table `t` declares a column with an empty name",
        ),
        (
            "reserved column",
            "table `t`, column `_fivetran_deleted`: names starting with `_fivetran_` are reserved",
        ),
    ] {
        let verdicts = Verdicts::of::<bad_schemas::update>(json!({ "case": case })).await;
        verdicts.assert_all_fail_with(message);
        verdicts.assert_all_fail_with("the declared tables are refused");
    }
}

mod case_twins {
    use connector_core::prelude::*;

    #[sync(tables())]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert_row("users", Row::new().with("id", 1_i64).with("ID", 2_i64))
            .await
    }
}

#[tokio::test]
async fn columns_that_differ_only_in_case_under_source_naming_fail_naming_both() {
    use connector_conformance::LocalRun;
    use connector_core::naming::Naming;
    use connector_core::testing::Destination;

    // The warehouse names the table as it holds it (`tester.users`).
    let message = "users`: columns `ID` and `id` differ only in case, and the warehouse's \
                   names ignore case, so `--naming source` cannot keep both; rename one in the \
                   connector, or run with Fivetran naming (the default), which lands both in `id`";
    let debug = LocalRun::new()
        .sync_named::<case_twins::update>(json!({}), Naming::Source)
        .await
        .unwrap_err()
        .to_string();
    assert!(debug.contains(message), "{debug}");
    let memory = Destination::with_naming(Naming::Source)
        .sync::<case_twins::update>(json!({}))
        .await
        .unwrap_err()
        .error
        .to_string();
    assert!(memory.contains(message), "{memory}");
}

mod declared_tables_at_run_time {
    use connector_core::prelude::*;

    #[table(name = "accounts")]
    pub struct Account {
        #[primary_key]
        pub id: i64,
        pub name: String,
        /// What else the source sends, typed from the values.
        #[column(flatten)]
        pub extra: Row,
    }

    #[derive(Configuration)]
    pub struct Config {
        #[field(default = "false")]
        pub clash: bool,
    }

    #[sync(tables(Account))]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        let extra = Row::new().with("plan", "pro").with("seats", 12_i64);
        ops.upsert(Account {
            id: 1,
            name: "Ada".into(),
            extra,
        })
        .await?;
        let extra = match config.clash {
            true => Row::new().with("name", "twice"),
            false => Row::new(),
        };
        ops.upsert(Account {
            id: 2,
            name: "Grace".into(),
            extra,
        })
        .await?;
        // The run-time path reaches a `#[table]` by name, and its declared key.
        ops.update_row(
            "accounts",
            Row::new().with("id", 1_i64).with("name", "Ada Lovelace"),
        )
        .await?;
        ops.delete_row("accounts", Row::new().with("id", 2_i64))
            .await?;
        ops.upsert_row(
            "accounts",
            Row::new()
                .with("id", 3_i64)
                .with("name", "Edsger")
                .with("seats", 7_i64),
        )
        .await?;
        ops.checkpoint(&json!({})).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typed_table_carries_undeclared_columns_and_takes_run_time_updates_by_its_key() {
    let dump = Verdicts::of::<declared_tables_at_run_time::update>(json!({}))
        .await
        .assert_all_succeed();
    for row in [
        "| 1 | Ada Lovelace | pro | 12 | false |",
        "| 2 | Grace | NULL | NULL | true |",
        "| 3 | Edsger | NULL | 7 | false |",
    ] {
        assert!(dump.contains(row), "{row} in\n{dump}");
    }
    assert!(dump.contains("  plan VARCHAR\n  seats BIGINT\n"), "{dump}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flatten_field_that_holds_a_declared_column_fails_in_every_mode() {
    Verdicts::of::<declared_tables_at_run_time::update>(json!({"clash": "true"}))
        .await
        .assert_all_fail_with(
            "table `accounts`: column `name` is a field of the table, and its flatten field holds \
             it too; set the field instead",
        );
}

mod case_twin_tables {
    use connector_core::prelude::*;

    #[sync(tables())]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert_row("users", Row::new().with("id", 1_i64))
            .await?;
        ops.upsert_row("Users", Row::new().with("id", 2_i64)).await
    }
}

#[tokio::test]
async fn tables_that_differ_only_in_case_under_source_naming_fail_naming_both() {
    use connector_conformance::LocalRun;
    use connector_core::naming::Naming;
    use connector_core::testing::Destination;

    // The warehouse names the tables as it holds them (`tester.users`).
    let message = "users` and `";
    let rest = "Users` differ only in case, and the warehouse's names ignore case, so \
                `--naming source` cannot keep both; rename one in the connector, or run with \
                Fivetran naming (the default)";
    let debug = LocalRun::new()
        .sync_named::<case_twin_tables::update>(json!({}), Naming::Source)
        .await
        .unwrap_err()
        .to_string();
    assert!(debug.contains(message) && debug.contains(rest), "{debug}");
    let memory = Destination::with_naming(Naming::Source)
        .sync::<case_twin_tables::update>(json!({}))
        .await
        .unwrap_err()
        .error
        .to_string();
    assert!(
        memory.contains(message) && memory.contains(rest),
        "{memory}"
    );
}

/// Run-time rows with bad values, after one committed checkpoint and one row after it.
mod bad_values {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        pub case: String,
    }

    async fn schema(_config: &Config) -> Result<Vec<TableSchema>> {
        Ok(vec![
            TableSchema::new("measures")
                .column(Column::key("id", Some(DataType::Long)))
                .column(Column::new("small", DataType::Int))
                .column(Column::new("count", DataType::Long)),
        ])
    }

    #[sync(tables(), schema = schema)]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        let measure = |id: i64| Row::new().with("id", id).with("small", 7_i32);
        ops.upsert_row("measures", measure(1).with("count", 3_i64))
            .await?;
        ops.checkpoint(&json!({"measures": 1})).await?;
        if config.case == "stop at the checkpoint" {
            return Ok(());
        }
        // Not committed: it goes with the failure.
        ops.upsert_row("measures", measure(2)).await?;
        let (table, row) = match config.case.as_str() {
            "out of range" => ("measures", measure(3).with("small", 3_000_000_000_i64)),
            "text for a number" => ("measures", measure(3).with("count", "many")),
            "NULL key" => ("measures", Row::new().with("id", Value::Null)),
            "missing key" => ("measures", Row::new().with("small", 1_i32)),
            "empty table name" => ("", Row::new().with("id", 1_i64)),
            other => bail!("no case `{other}`"),
        };
        ops.upsert_row(table, row).await?;
        ops.checkpoint(&json!({"measures": 3})).await
    }
}

/// A run-time value out of range for its declared type, text where a number is declared, a
/// NULL or missing key, an empty table name: every mode fails with one message naming the
/// table and column, and leaves the destination and state of the last checkpoint (the row
/// after it is gone).
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_run_time_value_fails_in_every_mode_and_leaves_the_last_checkpoint() {
    let at_the_checkpoint =
        Verdicts::of::<bad_values::update>(json!({"case": "stop at the checkpoint"})).await;
    at_the_checkpoint.assert_all_succeed();
    let expected = at_the_checkpoint.left[0].clone();
    assert!(expected.contains("state: {\"measures\":1}"), "{expected}");
    for (case, message) in [
        (
            "out of range",
            "table `measures`, column `small`: a value of type LONG does not fit INT",
        ),
        (
            "text for a number",
            "table `measures`, column `count`: a value of type STRING does not fit LONG",
        ),
        (
            "NULL key",
            "the primary key column `id` of table `measures` is NULL or missing",
        ),
        (
            "missing key",
            "the primary key column `id` of table `measures` is NULL or missing",
        ),
        ("empty table name", "a table name cannot be empty"),
    ] {
        let verdicts = Verdicts::of::<bad_values::update>(json!({ "case": case })).await;
        verdicts.assert_all_fail_with(message);
        verdicts.assert_all_left(&expected);
    }
}

mod colliding_names {
    use connector_core::prelude::*;

    #[sync(tables())]
    pub async fn update(ops: &Operations) -> Result<()> {
        ops.upsert_row(
            "people",
            Row::new()
                .with("id", 1_i64)
                .with("userName", "camel")
                .with("user_name", "snake"),
        )
        .await?;
        ops.checkpoint(&json!({"done": true})).await
    }
}

/// A run-time row whose column names collide under Fivetran naming (`userName`, `user_name`)
/// is not an error (docs/warehouse.md, "Names"): every mode lands one column `user_name` with
/// the value of the name that sorts first by code point (`userName`), and `debug` warns
/// naming both.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_time_row_whose_names_collide_lands_one_column_and_is_reported() {
    use connector_conformance::LocalRun;
    use connector_core::__internal::local::sync_into_warehouse;
    use connector_core::naming::Naming;
    use connector_core::testing::configuration_map;

    let dump = Verdicts::of::<colliding_names::update>(json!({}))
        .await
        .assert_all_succeed();
    assert!(dump.contains("camel"), "{dump}");
    assert!(!dump.contains("snake"), "{dump}");

    let run = LocalRun::new();
    let (sink, outcome) = sync_into_warehouse::<colliding_names::update>(
        &configuration_map(json!({})),
        &run.files(),
        Naming::Fivetran,
        false,
    )
    .await
    .unwrap();
    outcome.unwrap();
    assert_eq!(
        sink.shared_names(),
        [(
            "tester.people".to_string(),
            "userName".to_string(),
            "user_name".to_string()
        )]
    );
}
