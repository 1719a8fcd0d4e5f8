//! A table whose columns are not declared: the schema function names the table and its key, and
//! the destination types every column from the first value it sees. A Rust value carries its
//! type, so inference reads it: an `i16` makes a SHORT column, a `NaiveDate` a NAIVE_DATE one.
//! Text stays text: a date or a number sent as a string makes a STRING column, as in Python.
//! This is the path for tables known only at run time (a database's tables, a sheet's columns).

use connector_core::prelude::*;

/// Declares the table with its key only; the key's type, like every other column's, is
/// inferred. Without this, `upsert_row` would still create the table, keyed by `_fivetran_id`.
async fn schema() -> Result<Vec<TableSchema>> {
    Ok(vec![
        TableSchema::new("unspecified").column(Column::key("id", None)),
    ])
}

#[sync(schema = schema)]
pub async fn update(ops: &Operations) -> Result<()> {
    let date = NaiveDate::from_ymd_opt(2007, 12, 3).context("invalid date")?;
    let row = Row::new()
        .with("id", 1_i64)
        .with("_bool", true)
        .with("_short", 15_i16)
        .with("_long", 132_353_453_453_635_i64)
        .with("_dec", Decimal::new(10534, 2))
        .with("_float", 10.4_f32)
        .with("_double", 1e-4_f64)
        .with("_ndate", date)
        .with(
            "_ndatetime",
            date.and_hms_opt(10, 15, 30).context("invalid time")?,
        )
        .with(
            "_utc",
            "2007-12-03T10:15:30.123Z"
                .parse::<DateTime<Utc>>()
                .context("`_utc` is not an RFC 3339 instant")?,
        )
        .with("_binary", vec![0x00_u8, 0x01, 0x02, 0x03])
        .with("_xml", "<tag>This is XML</tag>")
        .with("_str", "This is a string")
        .with("_json", json!({"a": 10}))
        // Text is never parsed: these two stay STRING, as they do when Python sends a `str`.
        .with("_dec_text", "105.34")
        .with("_date_text", "2007-12-03")
        // A column that has only ever seen NULL has no type, so it is not created.
        .with("_null", None::<String>);
    ops.upsert_row("unspecified", row).await?;
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    #[tokio::test]
    async fn column_types_are_inferred_from_the_values() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let expected = [
            // The declared key first, then the inferred columns in name order.
            ("id", DataType::Long),
            ("_binary", DataType::Binary),
            ("_bool", DataType::Boolean),
            ("_date_text", DataType::String),
            (
                "_dec",
                DataType::Decimal {
                    precision: 38,
                    scale: 2,
                },
            ),
            ("_dec_text", DataType::String),
            ("_double", DataType::Double),
            ("_float", DataType::Float),
            ("_json", DataType::Json),
            ("_long", DataType::Long),
            ("_ndate", DataType::NaiveDate),
            ("_ndatetime", DataType::NaiveDatetime),
            ("_short", DataType::Short),
            ("_str", DataType::String),
            ("_utc", DataType::UtcDatetime),
            ("_xml", DataType::String),
            ("_fivetran_deleted", DataType::Boolean),
            ("_fivetran_synced", DataType::UtcDatetime),
        ];
        let expected: Vec<(&str, Option<DataType>)> =
            expected.into_iter().map(|(n, t)| (n, Some(t))).collect();
        assert_eq!(destination.table("unspecified").columns(), expected);
    }

    #[tokio::test]
    async fn values_arrive_as_sent_and_the_key_holds() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        // A second sync upserts the same key: still one row.
        destination.sync::<update>(json!({})).await.unwrap();
        let rows = destination.table("unspecified").live_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.get("id"), Some(&Value::Long(1)));
        assert_eq!(
            row.get("_dec"),
            Some(&Value::Decimal(Decimal::new(10534, 2)))
        );
        assert_eq!(row.get("_dec_text"), Some(&Value::from("105.34")));
        assert_eq!(row.get("_json"), Some(&Value::Json(r#"{"a":10}"#.into())));
        assert_eq!(
            row.get("_utc"),
            Some(&Value::UtcDatetime(
                NaiveDate::from_ymd_opt(2007, 12, 3)
                    .unwrap()
                    .and_hms_milli_opt(10, 15, 30, 123)
                    .unwrap()
                    .and_utc()
            ))
        );
        assert_eq!(row.get("_null"), None);
    }
}
