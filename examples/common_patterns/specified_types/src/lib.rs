//! A table that declares a column of every Fivetran type a source sends, as the Python SDK's
//! `specified_types` example does. The Rust type of each field is the column's type;
//! `#[column(...)]` gives the destination name and what a Rust type alone does not say
//! (DECIMAL's precision and scale, XML). The destination creates the columns with these types
//! before any row arrives, and never changes them.

use connector_core::prelude::*;
use connector_core::serde_json;

/// The Python example's table: its column names start with `_` so that they do not read as
/// type names (`_bool`, `_str`); the fields carry plain names and `#[column(name = ...)]`.
#[table(name = "specified")]
pub struct Specified {
    /// BOOLEAN. The key, as in the Python original: any type but a nullable one can be a key.
    #[primary_key]
    #[column(name = "_bool")]
    pub boolean: bool,
    /// SHORT
    #[column(name = "_short")]
    pub short: i16,
    /// LONG
    #[column(name = "_long")]
    pub long: i64,
    /// DECIMAL(15, 2)
    #[column(name = "_dec", decimal(15, 2))]
    pub dec: Decimal,
    /// FLOAT
    #[column(name = "_float")]
    pub float: f32,
    /// DOUBLE
    #[column(name = "_double")]
    pub double: f64,
    /// NAIVE_DATE
    #[column(name = "_ndate")]
    pub ndate: NaiveDate,
    /// NAIVE_DATETIME
    #[column(name = "_ndatetime")]
    pub ndatetime: NaiveDateTime,
    /// UTC_DATETIME
    #[column(name = "_utc")]
    pub utc: DateTime<Utc>,
    /// BINARY
    #[column(name = "_binary")]
    pub binary: Vec<u8>,
    /// XML, held as text.
    #[column(name = "_xml", xml)]
    pub xml: String,
    /// STRING
    #[column(name = "_str")]
    pub string: String,
    /// JSON
    #[column(name = "_json")]
    pub json: serde_json::Value,
    /// STRING, nullable: `None` is NULL.
    #[column(name = "_null")]
    pub null: Option<String>,
}

/// The values are the Python example's. Those it gives as text (the decimal, the dates and
/// times) are parsed here, at the edge, so a malformed value fails the sync naming the column
/// instead of reaching the destination.
#[sync(tables(Specified))]
pub async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(Specified {
        boolean: true,
        short: 15,
        long: 132_353_453_453_635,
        dec: "105.34".parse().context("`_dec` is not a decimal")?,
        float: 10.4,
        double: 1e-4,
        ndate: "2007-12-03".parse().context("`_ndate` is not a date")?,
        ndatetime: "2007-12-03T10:15:30"
            .parse()
            .context("`_ndatetime` is not a date and time")?,
        utc: "2007-12-03T10:15:30.123Z"
            .parse()
            .context("`_utc` is not an RFC 3339 instant")?,
        binary: vec![0x00, 0x01, 0x02, 0x03],
        xml: "<tag>This is XML</tag>".to_string(),
        string: "This is a string".to_string(),
        json: json!({"a": 10}),
        null: None,
    })
    .await?;
    // The sync keeps no state; the checkpoint saves `{}` and makes the row durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `specified` keyed by `_bool`, a column of each
    /// declared type in declaration order, and the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["specified"]);

        let expected = [
            ("_bool", DataType::Boolean),
            ("_short", DataType::Short),
            ("_long", DataType::Long),
            (
                "_dec",
                DataType::Decimal {
                    precision: 15,
                    scale: 2,
                },
            ),
            ("_float", DataType::Float),
            ("_double", DataType::Double),
            ("_ndate", DataType::NaiveDate),
            ("_ndatetime", DataType::NaiveDatetime),
            ("_utc", DataType::UtcDatetime),
            ("_binary", DataType::Binary),
            ("_xml", DataType::Xml),
            ("_str", DataType::String),
            ("_json", DataType::Json),
            ("_null", DataType::String),
            ("_fivetran_deleted", DataType::Boolean),
            ("_fivetran_synced", DataType::UtcDatetime),
        ];
        let expected: Vec<(&str, Option<DataType>)> =
            expected.into_iter().map(|(n, t)| (n, Some(t))).collect();
        assert_eq!(destination.table("specified").columns(), expected);

        assert_eq!(destination.table("specified").primary_key(), ["_bool"]);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    #[tokio::test]
    async fn every_value_arrives_as_sent() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let rows = destination.table("specified").live_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        let date = NaiveDate::from_ymd_opt(2007, 12, 3).unwrap();
        let expected = [
            ("_bool", Value::Bool(true)),
            ("_short", Value::Short(15)),
            ("_long", Value::Long(132_353_453_453_635)),
            ("_dec", Value::Decimal(Decimal::new(10534, 2))),
            ("_float", Value::Float(10.4)),
            ("_double", Value::Double(0.0001)),
            ("_ndate", Value::NaiveDate(date)),
            (
                "_ndatetime",
                Value::NaiveDatetime(date.and_hms_opt(10, 15, 30).unwrap()),
            ),
            (
                "_utc",
                Value::UtcDatetime(date.and_hms_milli_opt(10, 15, 30, 123).unwrap().and_utc()),
            ),
            ("_binary", Value::Binary(vec![0, 1, 2, 3])),
            ("_xml", Value::Xml("<tag>This is XML</tag>".into())),
            ("_str", Value::String("This is a string".into())),
            ("_json", Value::Json(r#"{"a":10}"#.into())),
            ("_null", Value::Null),
        ];
        for (column, value) in expected {
            assert_eq!(row.get(column), Some(&value), "column `{column}`");
        }
        assert_eq!(row.len(), 14, "no other columns: {row:?}");
    }
}
