//! The canonical dump of a warehouse: the text the golden files of `tests/conformance/expected`
//! hold and that every sink holding tables prints the same way. Tables in (schema, name) order,
//! each with its columns and DuckDB types in the table's order, then its rows as text (as
//! DuckDB casts each value to VARCHAR; `NULL` for NULL), sorted, with `_fivetran_synced`
//! replaced by its rank in the table (`#1` is the earliest; equal stamps share a rank).
//! (docs/warehouse.md, "The canonical dump".)

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::decimal::Decimal;
use crate::schema::DataType;
use crate::value::Value;

use super::system::SYNCED;
use super::types::duckdb_type;

/// One table of a dump: its warehouse schema and name, `(column, type name)` in order, and
/// each row's cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedTable {
    pub schema: String,
    pub name: String,
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<String>>,
}

/// The dump of `tables`.
pub fn render(mut tables: Vec<DumpedTable>) -> String {
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let mut out = String::new();
    for table in tables {
        out.push_str(&format!("table {}.{}\n", table.schema, table.name));
        for (column, data_type) in &table.columns {
            out.push_str(&format!("  {column} {data_type}\n"));
        }
        let mut lines: Vec<String> = table
            .rows
            .iter()
            .map(|cells| format!("  | {}\n", cells.join(" | ")))
            .collect();
        lines.sort();
        out.extend(lines);
    }
    out
}

/// The tables without their `_fivetran_synced` column: what two histories that wrote the same
/// rows at different moments agree on.
pub fn without_synced(tables: Vec<DumpedTable>) -> Vec<DumpedTable> {
    tables
        .into_iter()
        .map(|mut table| {
            if let Some(i) = table.columns.iter().position(|(c, _)| c == SYNCED) {
                table.columns.remove(i);
                for row in &mut table.rows {
                    row.remove(i);
                }
            }
            table
        })
        .collect()
}

/// A type's name as DuckDB's `information_schema.columns` spells it (`DECIMAL(10,2)`).
pub fn type_name(data_type: DataType) -> String {
    duckdb_type(data_type).replace(", ", ",")
}

/// `#<rank>` of each stamp among `stamps` (dense: equal stamps share a rank).
pub fn ranks(stamps: &[i64]) -> Vec<String> {
    let mut distinct = stamps.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    stamps
        .iter()
        .map(|s| format!("#{}", distinct.binary_search(s).map_or(0, |i| i + 1)))
        .collect()
}

/// A value of a column of type `data_type` as DuckDB casts it to VARCHAR.
pub fn text(value: &Value, data_type: DataType) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Short(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Long(n) => n.to_string(),
        Value::Decimal(d) => match data_type {
            DataType::Decimal { scale, .. } => decimal_text(*d, scale),
            _ => d.to_string(),
        },
        Value::Float(f) => float_text(f64::from(*f), format!("{f:e}")),
        Value::Double(f) => float_text(*f, format!("{f:e}")),
        Value::NaiveDate(d) => d.format("%Y-%m-%d").to_string(),
        Value::NaiveDatetime(d) => timestamp_text(*d),
        Value::UtcDatetime(d) => utc_text(*d),
        Value::Binary(bytes) => blob_text(bytes),
        // JSON as sent: DuckDB keeps the document's text, whitespace included.
        Value::String(s) | Value::Json(s) | Value::Xml(s) => s.clone(),
    }
}

/// Exactly `scale` digits after the point, as DuckDB prints a DECIMAL(p, scale).
fn decimal_text(d: Decimal, scale: u8) -> String {
    d.rescale(u32::from(scale)).unwrap_or(d).to_string()
}

/// A FLOAT or DOUBLE as DuckDB prints it (as Python's `repr` does): the shortest digits that
/// read back as the same number, with `.0` on whole numbers, in exponent form (`1e-05`,
/// `1.5e+16`) when the decimal exponent is below -4 or 16 and above. `scientific` is Rust's
/// shortest `{:e}` form of the number (`1.5e-7`), which has the digits and the exponent.
fn float_text(value: f64, scientific: String) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` has an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    // The number is d.ddd × 10^exponent.
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let body = if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if digits.len() <= point as usize {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (integer, fraction) = digits.split_at(point as usize);
            format!("{integer}.{fraction}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{point}{rest}e{exp_sign}{:02}", exponent.abs())
    };
    format!("{sign}{body}")
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, the fraction without trailing zeros.
fn timestamp_text(at: NaiveDateTime) -> String {
    let mut text = at.format("%Y-%m-%d %H:%M:%S").to_string();
    let micros = at.and_utc().timestamp_subsec_micros();
    if micros > 0 {
        let fraction = format!("{micros:06}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text
}

/// A timestamp with time zone in the session's zone, UTC: the timestamp, then `+00`.
fn utc_text(at: DateTime<Utc>) -> String {
    format!("{}+00", timestamp_text(at.naive_utc()))
}

/// Printable ASCII as itself, every other byte (and `\`, `'`, `"`) as `\xHH`.
fn blob_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &b in bytes {
        if (32..=126).contains(&b) && !matches!(b, b'\\' | b'\'' | b'"') {
            text.push(char::from(b));
        } else {
            text.push_str(&format!("\\x{b:02X}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn values_read_as_duckdb_prints_them() {
        let decimal = |s: &str| Value::Decimal(s.parse().unwrap());
        let d = |p, s| DataType::Decimal {
            precision: p,
            scale: s,
        };
        assert_eq!(text(&decimal("-12345678.91"), d(10, 2)), "-12345678.91");
        assert_eq!(text(&decimal("1.5"), d(38, 3)), "1.500");
        assert_eq!(text(&decimal("-0.05"), d(38, 2)), "-0.05");
        assert_eq!(text(&decimal("7"), d(38, 0)), "7");
        assert_eq!(
            text(&decimal("-123456789012.123456789"), d(38, 18)),
            "-123456789012.123456789000000000"
        );
        assert_eq!(text(&Value::Double(1.0), DataType::Double), "1.0");
        assert_eq!(text(&Value::Double(2.5), DataType::Double), "2.5");
        assert_eq!(text(&Value::Double(0.1), DataType::Double), "0.1");
        assert_eq!(text(&Value::Double(-0.25), DataType::Double), "-0.25");
        assert_eq!(text(&Value::Float(-1.5), DataType::Float), "-1.5");
        assert_eq!(text(&Value::Float(3.25), DataType::Float), "3.25");
        assert_eq!(text(&Value::Double(1e-7), DataType::Double), "1e-07");
        assert_eq!(text(&Value::Double(1e-4), DataType::Double), "0.0001");
        assert_eq!(text(&Value::Double(1.5e-5), DataType::Double), "1.5e-05");
        assert_eq!(
            text(&Value::Double(1e15), DataType::Double),
            "1000000000000000.0"
        );
        assert_eq!(text(&Value::Double(1e16), DataType::Double), "1e+16");
        assert_eq!(text(&Value::Double(123.456), DataType::Double), "123.456");
        assert_eq!(text(&Value::Double(-0.0), DataType::Double), "-0.0");
        let day = NaiveDate::from_ymd_opt(2038, 1, 19).unwrap();
        assert_eq!(
            text(
                &Value::NaiveDatetime(day.and_hms_opt(3, 14, 8).unwrap()),
                DataType::NaiveDatetime
            ),
            "2038-01-19 03:14:08"
        );
        assert_eq!(
            text(
                &Value::UtcDatetime(day.and_hms_micro_opt(3, 14, 8, 500_000).unwrap().and_utc()),
                DataType::UtcDatetime
            ),
            "2038-01-19 03:14:08.5+00"
        );
        assert_eq!(
            text(&Value::Binary(vec![0, 255, b'A']), DataType::Binary),
            "\\x00\\xFFA"
        );
        assert_eq!(
            text(&Value::Json("{\"a\": [1, \"b c\"]}".into()), DataType::Json),
            "{\"a\": [1, \"b c\"]}"
        );
        assert_eq!(text(&Value::Null, DataType::Long), "NULL");
    }

    #[test]
    fn tables_and_rows_are_sorted_and_stamps_ranked() {
        assert_eq!(ranks(&[30, 10, 30, 20]), ["#3", "#1", "#3", "#2"]);
        let table = |schema: &str, rows: &[&str]| DumpedTable {
            schema: schema.into(),
            name: "t".into(),
            columns: vec![("a".into(), "BIGINT".into())],
            rows: rows.iter().map(|r| vec![r.to_string()]).collect(),
        };
        assert_eq!(
            render(vec![
                table("tester_x", &["2", "1"]),
                table("tester", &["b", "a"])
            ]),
            "table tester.t\n  a BIGINT\n  | a\n  | b\ntable tester_x.t\n  a BIGINT\n  | 1\n  | 2\n"
        );
    }
}
