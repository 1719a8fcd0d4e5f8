//! Property tests (proptest) of the model and the wire: values and rows (`values`), the two
//! `Records` encoders and the tester's decoder (`records`), configuration fields and states
//! (`config`), and the destination's columns under Fivetran naming (`columns`). Case counts are
//! kept small so that `cargo test` stays fast; the fuzz targets in `fuzz/` run the same kinds of
//! checks for millions of inputs (docs/reliability.md, "Fuzzing").

mod columns;
mod config;
#[cfg(feature = "reader")]
mod records;
mod row_reader;
mod values;

use proptest::prelude::*;

use crate::decimal::Decimal;
use crate::schema::DataType;
use crate::value::Value;

/// Every type a column can declare.
pub(crate) fn data_type() -> impl Strategy<Value = DataType> {
    prop_oneof![
        Just(DataType::Boolean),
        Just(DataType::Short),
        Just(DataType::Int),
        Just(DataType::Long),
        (1_u8..=38)
            .prop_flat_map(|p| (Just(p), 0..=p))
            .prop_map(|(precision, scale)| DataType::Decimal { precision, scale }),
        Just(DataType::Float),
        Just(DataType::Double),
        Just(DataType::NaiveDate),
        Just(DataType::NaiveDatetime),
        Just(DataType::UtcDatetime),
        Just(DataType::Binary),
        Just(DataType::String),
        Just(DataType::Json),
        Just(DataType::Xml),
    ]
}

fn decimal() -> impl Strategy<Value = Decimal> {
    let mantissa = prop_oneof![
        any::<i64>().prop_map(i128::from),
        (-(10_i128.pow(38)) + 1)..10_i128.pow(38),
    ];
    (mantissa, 0_u32..=38).prop_map(|(m, s)| Decimal::try_new(m, s).expect("38 digits"))
}

/// An instant chrono holds, leap seconds included (nanoseconds past 10^9 on a `:59` second).
fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
    prop_oneof![
        4 => (-62_135_596_800_i64..253_402_300_800, 0_u32..1_000_000_000),
        1 => (-8_334_601_228_800_i64..8_210_266_876_799, 0_u32..1_000_000_000),
        1 => ((-1_000_000_i64..1_000_000).prop_map(|m| m * 60 + 59), 1_000_000_000_u32..2_000_000_000),
    ]
    .prop_filter_map("in chrono's range", |(s, n)| chrono::DateTime::from_timestamp(s, n))
}

/// Text shaped like what coercion parses: integers, decimals, floats, dates and instants, with
/// stray spaces and signs.
fn parseable_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i32>(), " {0,2}", "[+]?").prop_map(|(n, pad, sign)| format!("{pad}{sign}{n}{pad}")),
        decimal().prop_map(|d| d.to_string()),
        prop::num::f64::ANY.prop_map(|f| f.to_string()),
        prop::num::f32::ANY.prop_map(|f| format!("{f:e}")),
        Just("NaN".to_string()),
        Just("-Infinity".to_string()),
        "(true|false|TRUE|True|yes|0|1|2)",
        instant().prop_map(|i| i.date_naive().to_string()),
        instant().prop_map(|i| i.naive_utc().to_string()),
        instant().prop_map(|i| i.to_rfc3339()),
        (instant(), -1439_i32..1440).prop_map(|(i, minutes)| {
            let zone = chrono::FixedOffset::east_opt(minutes * 60).expect("within a day");
            i.with_timezone(&zone).to_rfc3339().replacen('T', " ", 1)
        }),
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
    ]
}

/// A JSON document's text.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        prop::num::f64::NORMAL.prop_map(serde_json::Value::from),
        "\\PC{0,6}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("\\PC{0,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| v.to_string())
}

/// Any value, NaN, infinities, leap seconds, empty and odd text included.
pub(crate) fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(Value::Short),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        decimal().prop_map(Value::Decimal),
        prop::num::f32::ANY.prop_map(Value::Float),
        prop::num::f64::ANY.prop_map(Value::Double),
        instant().prop_map(|i| Value::NaiveDate(i.date_naive())),
        instant().prop_map(|i| Value::NaiveDatetime(i.naive_utc())),
        instant().prop_map(Value::UtcDatetime),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Binary),
        "\\PC{0,8}".prop_map(Value::String),
        parseable_text().prop_map(Value::String),
        json_text().prop_map(Value::Json),
        "\\PC{0,6}".prop_map(Value::Json),
        "\\PC{0,8}".prop_map(Value::Xml),
    ]
}

/// Equal, a NaN equal to a NaN of the same bits.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        (a, b) => a == b,
    }
}

/// Whether `value` is a value of `data_type` (NULL is of every type); a DECIMAL has the
/// column's scale and fits its precision.
pub(crate) fn has_type(value: &Value, data_type: DataType) -> bool {
    match (value, data_type) {
        (Value::Null, _) => true,
        (Value::Decimal(d), DataType::Decimal { precision, scale }) => {
            d.scale() == u32::from(scale) && d.fit(precision, scale) == Some(*d)
        }
        (value, data_type) => value.data_type() == Some(data_type),
    }
}
