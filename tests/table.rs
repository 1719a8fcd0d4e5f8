//! What `#[table]` generates (schema, key, patch) and how the in-memory destination holds
//! tables: naming, system columns, declared and inferred types, and the four operations.

use connector_core::prelude::*;
use connector_core::testing::Destination;
use connector_core::{Key, Patch, Table};

#[table(schema = "crm")]
pub struct CustomerAccount {
    #[primary_key]
    pub region: String,
    #[primary_key]
    pub number: i32,
    #[column(name = "displayName")]
    pub display_name: String,
    #[column(decimal(12, 2))]
    pub balance: Option<Decimal>,
    pub small: u8,
    pub medium: u16,
    pub large: u32,
    #[column(json)]
    pub raw: String,
    #[column(xml)]
    pub doc: Option<String>,
    pub opened: NaiveDate,
    pub attrs: serde_json::Value,
    #[column(skip)]
    pub cache: Vec<String>,
}

#[test]
fn the_struct_is_the_schema() {
    let schema = CustomerAccount::schema();
    assert_eq!(CustomerAccount::NAME, "customer_account");
    assert_eq!(CustomerAccount::DESTINATION_NAME, "crm.customer_account");
    assert_eq!(schema.schema.as_deref(), Some("crm"));
    let columns: Vec<(&str, String, bool)> = schema
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_ref(),
                c.data_type.unwrap().to_string(),
                c.primary_key,
            )
        })
        .collect();
    assert_eq!(
        columns,
        vec![
            ("region", "STRING".into(), true),
            ("number", "INT".into(), true),
            ("displayName", "STRING".into(), false),
            ("balance", "DECIMAL(12, 2)".into(), false),
            ("small", "SHORT".into(), false),
            ("medium", "INT".into(), false),
            ("large", "LONG".into(), false),
            ("raw", "JSON".into(), false),
            ("doc", "XML".into(), false),
            ("opened", "NAIVE_DATE".into(), false),
            ("attrs", "JSON".into(), false),
        ]
    );
}

fn account() -> CustomerAccount {
    CustomerAccount {
        region: "eu".into(),
        number: 7,
        display_name: "Ada".into(),
        balance: None,
        small: 255,
        medium: 65_535,
        large: u32::MAX,
        raw: r#"{"a":1}"#.into(),
        doc: Some("<a/>".into()),
        opened: NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
        attrs: json!({"vip": true}),
        cache: vec!["not a column".into()],
    }
}

#[test]
fn rows_encode_into_typed_cells_in_column_order() {
    let cells = account().into_cells();
    assert_eq!(cells.len(), 11);
    assert_eq!(cells[1], Value::Int(7));
    assert_eq!(cells[3], Value::Null);
    assert_eq!(cells[4], Value::Short(255));
    assert_eq!(cells[5], Value::Int(65_535));
    assert_eq!(cells[6], Value::Long(i64::from(u32::MAX)));
    assert_eq!(cells[7], Value::Json(r#"{"a":1}"#.into()));
    assert_eq!(cells[8], Value::Xml("<a/>".into()));
    assert_eq!(cells[10], Value::Json(r#"{"vip":true}"#.into()));
}

#[test]
fn keys_and_patches_carry_column_positions() {
    let key = CustomerAccountKey::from(("eu".to_string(), 7));
    assert_eq!(
        key.clone().into_cells(),
        vec![(0, Value::from("eu")), (1, Value::Int(7))]
    );
    let patch = CustomerAccount::patch(key)
        .display_name("Ada L.")
        .balance(Decimal::new(1050, 2));
    assert_eq!(
        patch.into_cells(),
        vec![
            (0, Value::from("eu")),
            (1, Value::Int(7)),
            (2, Value::from("Ada L.")),
            (3, Value::Decimal(Decimal::new(1050, 2)))
        ]
    );
}

#[table]
pub struct Item {
    #[primary_key]
    pub id: i64,
    pub name: String,
    pub price: Option<f64>,
}

#[table(name = "Audit Log")]
pub struct AuditLog {
    pub message: String,
    pub level: i16,
}

#[state]
#[derive(Default)]
pub struct Step {
    pub step: u32,
}

#[sync(tables(Item, AuditLog))]
async fn operations(ops: &Operations, state: &mut Step) -> Result<()> {
    ops.upsert(Item {
        id: 1,
        name: "one".into(),
        price: Some(1.5),
    })
    .await?;
    ops.upsert(Item {
        id: 2,
        name: "two".into(),
        price: None,
    })
    .await?;
    ops.update(Item::patch(1).name("uno")).await?;
    ops.update(Item::patch(99).name("nobody")).await?; // unknown key: ignored
    ops.delete(ItemKey { id: 2 }).await?;
    ops.delete(ItemKey { id: 98 }).await?; // unknown key: ignored
    for _ in 0..2 {
        ops.upsert(AuditLog {
            message: "same".into(),
            level: 1,
        })
        .await?;
    }
    ops.upsert(AuditLog {
        message: "other".into(),
        level: 2,
    })
    .await?;
    state.step += 1;
    ops.checkpoint(state).await?;
    if state.step == 2 {
        ops.truncate::<Item>().await?;
        ops.upsert(Item {
            id: 3,
            name: "three".into(),
            price: None,
        })
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn upsert_update_delete_and_truncate_as_the_destination_applies_them() {
    let mut destination = Destination::new();
    let run = destination.sync::<operations>(json!({})).await.unwrap();
    let total = run.report.total();
    assert_eq!((total.upserts, total.updates, total.deletes), (5, 2, 2));

    let items = destination.table("item");
    let names: Vec<&str> = items.columns().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "id",
            "name",
            "price",
            "_fivetran_deleted",
            "_fivetran_synced"
        ]
    );
    let rows = items.rows();
    assert_eq!(rows.len(), 2, "unknown keys add no rows");
    assert_eq!(rows[0].get("name"), Some(&Value::from("uno")));
    assert_eq!(
        rows[0].get("price"),
        Some(&Value::Double(1.5)),
        "an update keeps other columns"
    );
    assert_eq!(rows[1].get("_fivetran_deleted"), Some(&Value::Bool(true)));
    assert_eq!(
        rows[1].get("name"),
        Some(&Value::from("two")),
        "a delete is soft"
    );

    let log = destination.table("audit_log");
    assert_eq!(log.columns()[0].0, "_fivetran_id");
    assert_eq!(
        log.len(),
        2,
        "equal rows of a table without a key collapse into one"
    );

    // Second run: the truncate soft-deletes what was synced before it, not what follows.
    destination.sync::<operations>(json!({})).await.unwrap();
    let items = destination.table("item");
    let live: Vec<Value> = items
        .live_rows()
        .iter()
        .map(|r| r.get("id").unwrap().clone())
        .collect();
    assert_eq!(live, vec![Value::Long(3)]);
    assert_eq!(destination.state(), json!({"step": 2}));
}

/// Declares a table in a schema and writes nothing to it.
#[sync(tables(CustomerAccount))]
async fn accounts(ops: &Operations) -> Result<()> {
    let _ = ops;
    Ok(())
}

#[tokio::test]
async fn a_declared_table_exists_in_its_schema_from_the_first_commit() {
    let mut destination = Destination::new();
    destination.sync::<accounts>(json!({})).await.unwrap();
    let accounts = destination.table("crm.customer_account");
    assert!(accounts.is_empty());
    assert_eq!(accounts.columns()[2].0, "display_name");
}

async fn discover() -> Result<Vec<TableSchema>> {
    Ok(vec![
        TableSchema::new("orders")
            .column(Column::key("id", Some(DataType::Long)))
            .column(Column::new(
                "total",
                DataType::Decimal {
                    precision: 6,
                    scale: 2,
                },
            )),
    ])
}

#[sync(tables(), schema = discover)]
async fn runtime_tables(ops: &Operations) -> Result<()> {
    ops.upsert_row(
        "orders",
        Row::new()
            .with("id", "17")
            .with("total", 12.345)
            .with("Note", "first"),
    )
    .await?;
    ops.upsert_row("events", Row::new().with("n", 1_i16).with("flag", true))
        .await?;
    ops.upsert_row(
        "events",
        Row::new().with("n", 70_000_i32).with("flag", 2_i64),
    )
    .await?;
    ops.upsert_row(
        "events",
        Row::new()
            .with("n", 2.5)
            .with("when", NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
    )
    .await?;
    ops.update_row(
        "orders",
        Row::new().with("id", 17_i64).with("Note", "changed"),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn run_time_tables_take_declared_types_and_infer_and_widen_the_rest() {
    let mut destination = Destination::new();
    destination.sync::<runtime_tables>(json!({})).await.unwrap();
    let orders = destination.table("orders");
    let row = &orders.rows()[0];
    assert_eq!(
        row.get("id"),
        Some(&Value::Long(17)),
        "text converted to the declared LONG"
    );
    assert_eq!(
        row.get("total"),
        Some(&Value::Decimal(Decimal::new(1235, 2))),
        "rounded half-up"
    );
    assert_eq!(row.get("note"), Some(&Value::from("changed")));

    let events = destination.table("events");
    let types: Vec<(&str, Option<DataType>)> = events.columns();
    assert_eq!(
        types,
        vec![
            ("_fivetran_id", Some(DataType::String)),
            ("flag", Some(DataType::Long)),
            ("n", Some(DataType::Double)),
            ("when", Some(DataType::NaiveDate)),
            ("_fivetran_deleted", Some(DataType::Boolean)),
            ("_fivetran_synced", Some(DataType::UtcDatetime)),
        ]
    );
    let flags = events.column("flag");
    assert_eq!(
        flags,
        vec![Value::Long(1), Value::Long(2), Value::Null],
        "BOOLEAN widened to LONG"
    );
}

#[sync(tables(), schema = discover)]
async fn null_key(ops: &Operations) -> Result<()> {
    ops.upsert_row(
        "orders",
        Row::new().with("id", None::<i64>).with("total", 1),
    )
    .await?;
    Ok(())
}

#[sync(tables(), schema = discover)]
async fn value_too_wide(ops: &Operations) -> Result<()> {
    ops.upsert_row("orders", Row::new().with("id", 1).with("total", 123_456))
        .await?;
    Ok(())
}

#[sync(tables())]
async fn update_without_key(ops: &Operations) -> Result<()> {
    ops.update_row("log", Row::new().with("a", 1)).await?;
    Ok(())
}

#[sync(tables())]
async fn system_name(ops: &Operations) -> Result<()> {
    ops.upsert_row("log", Row::new().with("_Fivetran_Synced", 1))
        .await?;
    Ok(())
}

/// Rows read from JSON whose members come in varying orders, some with a column the table
/// does not declare, some without one it declares.
#[sync(tables(), schema = discover)]
async fn json_rows_in_varying_orders(ops: &Operations) -> Result<()> {
    let page: Vec<Row> = serde_json::from_str(
        r#"[{"id": 1, "total": "1.50"}, {"total": "2.50", "id": 2}, {"id": 3},
            {"total": "4.00", "extra": "x", "id": 4}, {"id": 5, "total": "5.25"}]"#,
    )?;
    for row in page {
        ops.upsert_row("orders", row).await?;
    }
    Ok(())
}

#[tokio::test]
async fn run_time_rows_land_by_column_name_whatever_the_order_of_their_members() {
    let mut destination = Destination::new();
    destination
        .sync::<json_rows_in_varying_orders>(json!({}))
        .await
        .unwrap();
    let rows = destination.table("orders").rows();
    let totals: Vec<(Option<&Value>, Option<&Value>)> = rows
        .iter()
        .map(|row| (row.get("id"), row.get("total")))
        .collect();
    let decimal = |text: &str| Value::Decimal(text.parse().unwrap());
    assert_eq!(
        totals,
        [
            (Some(&Value::Long(1)), Some(&decimal("1.50"))),
            (Some(&Value::Long(2)), Some(&decimal("2.50"))),
            (Some(&Value::Long(3)), Some(&Value::Null)),
            (Some(&Value::Long(4)), Some(&decimal("4.00"))),
            (Some(&Value::Long(5)), Some(&decimal("5.25"))),
        ]
    );
    assert_eq!(rows[3].get("extra"), Some(&Value::String("x".into())));
}

#[tokio::test]
async fn bad_run_time_rows_fail_the_sync_naming_table_and_column() {
    let failed = Destination::new()
        .sync::<null_key>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("primary key column `id` of table `orders` is NULL"),
        "{failed}"
    );
    let failed = Destination::new()
        .sync::<value_too_wide>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed.to_string().contains(
            "table `orders`, column `total`: a value of type INT does not fit DECIMAL(6, 2)"
        ),
        "{failed}"
    );
    let failed = Destination::new()
        .sync::<update_without_key>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("table `log` is not declared: `update_row` and `delete_row` need a table"),
        "{failed}"
    );
    let failed = Destination::new()
        .sync::<system_name>(json!({}))
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("system column `_fivetran_synced`"),
        "{failed}"
    );
}
