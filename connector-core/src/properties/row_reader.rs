//! `RowReader`: a JSON object read by the table's reader gives the record `upsert_row` makes of
//! the same object read as a plain `Row`, or fails where that fails, whatever the members'
//! order, repeats, extra members and values.

use proptest::prelude::*;

use super::{data_type, parseable_text, same};
use crate::operations::checked_cells;
use crate::record::{Cells, RecordKind};
use crate::row::Row;
use crate::row_reader::RowReader;
use crate::schema::{Column, DataType, TableRef, TableSchema};
use crate::value::Value;

/// A table of 1 to 5 columns `c0..`, each of any declared type, `c0` a key or not, with some
/// columns left untyped.
fn table() -> impl Strategy<Value = TableRef> {
    (
        prop::collection::vec(prop::option::weighted(0.9, data_type()), 1..=5),
        any::<bool>(),
    )
        .prop_map(|(types, keyed)| {
            let mut table = TableSchema::new("t");
            for (i, data_type) in types.into_iter().enumerate() {
                let name = format!("c{i}");
                table = table.column(match (i, keyed, data_type) {
                    (0, true, data_type) => Column::key(name, data_type),
                    (_, _, Some(data_type)) => Column::new(name, data_type),
                    (_, _, None) => Column {
                        name: name.into(),
                        data_type: None,
                        primary_key: false,
                    },
                });
            }
            TableRef::from(table)
        })
}

/// A member's value: any JSON kind, text shaped like what coercion parses most of the time.
fn member_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        1 => Just(serde_json::Value::Null),
        1 => any::<bool>().prop_map(serde_json::Value::from),
        1 => any::<i64>().prop_map(serde_json::Value::from),
        1 => any::<u64>().prop_map(serde_json::Value::from),
        1 => prop::num::f64::NORMAL.prop_map(serde_json::Value::from),
        3 => parseable_text().prop_map(serde_json::Value::from),
        1 => "\\PC{0,6}".prop_map(serde_json::Value::from),
        1 => Just(serde_json::json!([1, "a"])),
        1 => Just(serde_json::json!({"k": {"n": null}})),
    ]
}

/// An object's text: either exactly the columns in any order (the reader's row of one value per
/// column), or members drawn from the columns and two undeclared names, in any order, repeats
/// included.
fn object(columns: usize) -> impl Strategy<Value = String> {
    let names = prop_oneof![
        prop::collection::vec(member_value(), columns..=columns)
            .prop_map(|values| {
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("c{i}"), v))
                    .collect::<Vec<_>>()
            })
            .prop_shuffle(),
        prop::collection::vec((0..columns + 2, member_value()), 0..8).prop_map(move |members| {
            members
                .into_iter()
                .map(|(i, v)| match i.checked_sub(columns) {
                    None => (format!("c{i}"), v),
                    Some(extra) => (format!("x{extra}"), v),
                })
                .collect()
        }),
    ];
    names.prop_map(|members| {
        let members: Vec<String> = members
            .iter()
            .map(|(name, value)| format!("{}: {value}", serde_json::Value::from(name.as_str())))
            .collect();
        format!("{{{}}}", members.join(", "))
    })
}

fn same_cells(a: &Cells, b: &Cells) -> bool {
    match (a, b) {
        (Cells::All(a), Cells::All(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Cells::Indexed(a), Cells::Indexed(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.0 == b.0 && same(&a.1, &b.1))
        }
        (Cells::Named(a), Cells::Named(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.0 == b.0 && same(&a.1, &b.1))
        }
        (a, b) => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn the_reader_gives_the_record_a_plain_row_gives(
        (table, text) in table().prop_flat_map(|t| {
            let columns = t.columns.len();
            (Just(t), object(columns))
        }),
    ) {
        let plain: Row = serde_json::from_str(&text).expect("an object");
        let rows = RowReader::new(table.clone())
            .rows(format!("[{text}]").as_bytes())
            .expect("an array of objects");
        prop_assert_eq!(rows.len(), 1);
        let read = rows.into_iter().next().expect("one row");
        // The same columns (a row of one value per column lists them in column order)...
        let mut read_names: Vec<&str> = read.iter().map(|(name, _)| name).collect();
        let mut plain_names: Vec<&str> = plain.iter().map(|(name, _)| name).collect();
        read_names.sort_unstable();
        plain_names.sort_unstable();
        prop_assert_eq!(read_names, plain_names);
        // ...and the same record, or the same refusal.
        let expected = checked_cells(&table, plain, RecordKind::Upsert);
        let actual = checked_cells(&table, read, RecordKind::Upsert);
        match (&expected, &actual) {
            (Ok(e), Ok(a)) => prop_assert!(same_cells(e, a), "{:?} vs {:?}", e, a),
            (Err(e), Err(a)) => {
                // When several members do not fit, each names the first it meets: the plain row
                // in the object's order, a row of one value per column in column order.
                let fit = "table `t`, column `";
                let (e, a) = (e.to_string(), a.to_string());
                if !(e.starts_with(fit) && a.starts_with(fit)) {
                    prop_assert_eq!(e, a);
                }
            }
            _ => prop_assert!(false, "{} -> {:?} vs {:?}", text, expected, actual),
        }
    }
}

#[test]
fn members_in_column_order_travel_as_one_value_per_column() {
    let table = TableRef::from(
        TableSchema::new("orders")
            .column(Column::key("id", Some(DataType::Long)))
            .column(Column::new("at", DataType::UtcDatetime))
            .column(Column::new(
                "price",
                DataType::Decimal {
                    precision: 18,
                    scale: 4,
                },
            )),
    );
    let reader = RowReader::new(table.clone());
    let body = br#"[{"id": 1, "at": "2024-01-05T10:00:00Z", "price": "12.5"},
                    {"price": "1", "id": 2, "at": "2024-01-05T10:00:00Z"},
                    {"id": 3, "at": "2024-01-05T10:00:00Z", "price": "1", "note": "x"},
                    {"id": 4, "at": "2024-01-05T10:00:00Z"},
                    {"id": 5, "at": "2024-01-05T10:00:00Z", "id": 6, "price": "1"}]"#;
    let rows = reader.rows(body).unwrap();
    let forms: Vec<&str> = rows
        .into_iter()
        .map(
            |row| match checked_cells(&table, row, RecordKind::Upsert).unwrap() {
                Cells::All(values) => {
                    assert_eq!(values.len(), 3);
                    "all"
                }
                Cells::Named(_) => "named",
                Cells::Indexed(_) => "indexed",
                Cells::None => "none",
            },
        )
        .collect();
    // Every column once, in any order: as it was read. An extra member: by name. A missing
    // column: by index. A repeated one: its last value, as a plain row.
    assert_eq!(forms, ["all", "all", "named", "indexed", "all"]);

    // A row read for the table and changed with `set` is checked again.
    let mut row = reader
        .rows(br#"[{"id": 1, "at": "2024-01-05T10:00:00Z", "price": "12.5"}]"#)
        .unwrap()
        .remove(0);
    row.set("price", "not a number");
    let error = checked_cells(&table, row, RecordKind::Upsert).unwrap_err();
    assert_eq!(
        error.to_string(),
        "table `orders`, column `price`: a value of type STRING does not fit DECIMAL(18, 4)"
    );
}

#[test]
fn a_table_of_up_to_128_columns_keeps_one_value_per_column_and_a_wider_one_reads_by_name() {
    for columns in [128, 129] {
        let mut schema = TableSchema::new("wide").column(Column::key("c0", Some(DataType::Long)));
        for i in 1..columns {
            schema = schema.column(Column::new(format!("c{i}"), DataType::Long));
        }
        let table = TableRef::from(schema);
        // Every column once, in reverse column order.
        let members: Vec<String> = (0..columns)
            .rev()
            .map(|i| format!(r#""c{i}": {i}"#))
            .collect();
        let body = format!("[{{{}}}]", members.join(", "));
        let row = RowReader::new(table.clone())
            .rows(body.as_bytes())
            .unwrap()
            .remove(0);
        let one_per_column = row.clone().into_values_of(table.id()).is_ok();
        assert_eq!(one_per_column, columns <= 128, "{columns} columns");
        // Either way the checks give the whole row in column order.
        let Cells::All(values) = checked_cells(&table, row, RecordKind::Upsert).unwrap() else {
            panic!("{columns} columns: not a whole row");
        };
        let expected: Vec<Value> = (0..columns).map(|i| Value::Long(i as i64)).collect();
        assert_eq!(values, expected, "{columns} columns");
    }
}
