//! A table that declares a column of every Fivetran type. The Rust type of each field is the
//! column's type; `#[column(...)]` picks the types a Rust type alone does not say (DECIMAL's
//! precision and scale, XML, JSON held as text). The destination creates the columns with these
//! types before any row arrives, and never changes them.

use connector_core::prelude::*;
use connector_core::serde_json;

#[table(name = "specified")]
pub struct Specified {
    /// BOOLEAN. The key, as in the Python original: any type but a nullable one can be a key.
    #[primary_key]
    pub boolean: bool,
    /// SHORT
    pub short: i16,
    /// INT
    pub int: i32,
    /// LONG
    pub long: i64,
    /// DECIMAL(15, 2)
    #[column(decimal(15, 2))]
    pub dec: Decimal,
    /// FLOAT
    pub float: f32,
    /// DOUBLE
    pub double: f64,
    /// NAIVE_DATE
    pub ndate: NaiveDate,
    /// NAIVE_DATETIME
    pub ndatetime: NaiveDateTime,
    /// UTC_DATETIME
    pub utc: DateTime<Utc>,
    /// BINARY
    pub binary: Vec<u8>,
    /// XML, held as text.
    #[column(xml)]
    pub xml: String,
    /// STRING
    pub string: String,
    /// JSON, from a parsed document.
    pub json: serde_json::Value,
    /// JSON, from text that already is a JSON document.
    #[column(json)]
    pub json_text: String,
    /// STRING, nullable: `None` is NULL.
    pub null: Option<String>,
    /// LONG, nullable.
    pub maybe_long: Option<i64>,
}

/// The emulated source hands everything over as text or JSON, as an API would; the sync parses
/// each value into its column's type here, at the edge, so a malformed value fails the sync
/// with the column named instead of reaching the destination.
#[sync(tables(Specified))]
pub async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(Specified {
        boolean: true,
        short: 15,
        int: 2_000_000_000,
        long: 132_353_453_453_635,
        dec: "105.34".parse().context("`dec` is not a decimal")?,
        float: 10.4,
        double: 1e-4,
        ndate: "2007-12-03".parse().context("`ndate` is not a date")?,
        ndatetime: "2007-12-03T10:15:30"
            .parse()
            .context("`ndatetime` is not a date and time")?,
        utc: "2007-12-03T10:15:30.123Z"
            .parse()
            .context("`utc` is not an RFC 3339 instant")?,
        binary: vec![0x00, 0x01, 0x02, 0x03],
        xml: "<tag>This is XML</tag>".to_string(),
        string: "This is a string".to_string(),
        json: json!({"a": 10}),
        json_text: r#"{"b": [1, 2]}"#.to_string(),
        null: None,
        maybe_long: Some(7),
    })
    .await?;
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    #[tokio::test]
    async fn every_column_has_its_declared_type() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let columns = destination.table("specified").columns();
        let expected = [
            ("boolean", DataType::Boolean),
            ("short", DataType::Short),
            ("int", DataType::Int),
            ("long", DataType::Long),
            (
                "dec",
                DataType::Decimal {
                    precision: 15,
                    scale: 2,
                },
            ),
            ("float", DataType::Float),
            ("double", DataType::Double),
            ("ndate", DataType::NaiveDate),
            ("ndatetime", DataType::NaiveDatetime),
            ("utc", DataType::UtcDatetime),
            ("binary", DataType::Binary),
            ("xml", DataType::Xml),
            ("string", DataType::String),
            ("json", DataType::Json),
            ("json_text", DataType::Json),
            ("null", DataType::String),
            ("maybe_long", DataType::Long),
            ("_fivetran_deleted", DataType::Boolean),
            ("_fivetran_synced", DataType::UtcDatetime),
        ];
        let expected: Vec<(&str, Option<DataType>)> =
            expected.into_iter().map(|(n, t)| (n, Some(t))).collect();
        assert_eq!(columns, expected);
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
            ("boolean", Value::Bool(true)),
            ("short", Value::Short(15)),
            ("int", Value::Int(2_000_000_000)),
            ("long", Value::Long(132_353_453_453_635)),
            ("dec", Value::Decimal(Decimal::new(10534, 2))),
            ("float", Value::Float(10.4)),
            ("double", Value::Double(0.0001)),
            ("ndate", Value::NaiveDate(date)),
            (
                "ndatetime",
                Value::NaiveDatetime(date.and_hms_opt(10, 15, 30).unwrap()),
            ),
            (
                "utc",
                Value::UtcDatetime(date.and_hms_milli_opt(10, 15, 30, 123).unwrap().and_utc()),
            ),
            ("binary", Value::Binary(vec![0, 1, 2, 3])),
            ("xml", Value::Xml("<tag>This is XML</tag>".into())),
            ("string", Value::String("This is a string".into())),
            ("json", Value::Json(r#"{"a":10}"#.into())),
            ("json_text", Value::Json(r#"{"b": [1, 2]}"#.into())),
            ("null", Value::Null),
            ("maybe_long", Value::Long(7)),
        ];
        for (column, value) in expected {
            assert_eq!(row.get(column), Some(&value), "column `{column}`");
        }
        assert_eq!(row.len(), 17, "no other columns: {row:?}");
    }

    /// The declared schema is what `schema` prints and what the destination is told.
    #[test]
    fn the_declared_schema_lists_one_key_and_every_column() {
        use connector_core::Table;
        let schema = Specified::schema();
        assert_eq!(schema.name, "specified");
        let keys: Vec<&str> = schema.primary_key().map(|c| c.name.as_ref()).collect();
        assert_eq!(keys, ["boolean"]);
        assert_eq!(schema.columns.len(), 17);
    }
}
