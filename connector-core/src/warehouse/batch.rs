//! Staged rows as an Arrow record batch, built column by column, for DuckDB's Arrow appender:
//! one call per batch instead of one per cell. A batch is laid out for the table it goes to: a
//! staging table (`_seq`, `_op`, `_synced`, `_present`, then the typed columns) or, for rows
//! appended straight to the target, the target's typed columns and its system columns.

use std::sync::Arc;

use anyhow::bail;
use duckdb::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanArray, BooleanBuilder, Date32Builder, Decimal128Builder,
    Float32Builder, Float64Builder, Int16Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder, UInt8Builder,
};
use duckdb::arrow::datatypes::{Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::table::StagedRow;
use crate::decimal::Decimal;
use crate::schema::DataType;
use crate::value::Value;

/// One column of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    /// The row's order in the run (`_seq`).
    Seq,
    /// The operation (`_op`): 0 upsert, 1 update, 2 delete.
    Op,
    /// The row's `_fivetran_synced` stamp.
    Synced,
    /// Which columns an update sets (`_present`), NULL for other operations.
    Present,
    /// `_fivetran_deleted`, false: only upserts are appended straight to a target.
    NotDeleted,
    /// The value at this position of the row, of this type.
    Value(usize, DataType),
}

/// The layout of a staging table whose typed columns are `columns` (position, type).
pub(crate) fn staging_layout(columns: &[(usize, DataType)]) -> Vec<Slot> {
    [Slot::Seq, Slot::Op, Slot::Synced, Slot::Present]
        .into_iter()
        .chain(columns.iter().map(|&(i, t)| Slot::Value(i, t)))
        .collect()
}

/// The rows as a batch laid out as `slots`. Each value already has its column's type (or is
/// NULL); a DECIMAL is rescaled to the column's scale. Values are moved out of the rows.
pub(crate) fn record_batch(rows: &mut [StagedRow], slots: &[Slot]) -> anyhow::Result<RecordBatch> {
    let count = rows.len();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(slots.len());
    for &slot in slots {
        let array: ArrayRef = match slot {
            Slot::Seq => {
                let mut seq = Int64Builder::with_capacity(count);
                rows.iter().for_each(|row| seq.append_value(row.seq));
                Arc::new(seq.finish())
            }
            Slot::Op => {
                let mut op = UInt8Builder::with_capacity(count);
                rows.iter().for_each(|row| op.append_value(row.kind as u8));
                Arc::new(op.finish())
            }
            Slot::Synced => {
                let mut synced =
                    TimestampMicrosecondBuilder::with_capacity(count).with_timezone("UTC");
                rows.iter()
                    .for_each(|row| synced.append_value(row.synced_micros));
                Arc::new(synced.finish())
            }
            Slot::Present => {
                let mut present = StringBuilder::new();
                rows.iter()
                    .for_each(|row| present.append_option(row.present.as_deref()));
                Arc::new(present.finish())
            }
            Slot::NotDeleted => Arc::new(BooleanArray::from(vec![false; count])),
            Slot::Value(index, data_type) => {
                let cells = rows.iter_mut().map(|row| {
                    row.values
                        .get_mut(index)
                        .map_or(Value::Null, |v| std::mem::replace(v, Value::Null))
                });
                column(cells, data_type, count)?
            }
        };
        arrays.push(array);
    }
    let fields: Vec<Field> = arrays
        .iter()
        .enumerate()
        .map(|(i, array)| Field::new(format!("c{i}"), array.data_type().clone(), true))
        .collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// One column's array from its cells.
fn column(
    cells: impl Iterator<Item = Value>,
    data_type: DataType,
    count: usize,
) -> anyhow::Result<ArrayRef> {
    macro_rules! build {
        ($builder:expr, $($pattern:pat => $value:expr),+) => {{
            let mut builder = $builder;
            for cell in cells {
                match cell {
                    Value::Null => builder.append_null(),
                    $($pattern => builder.append_value($value),)+
                    other => bail!(
                        "a {} value in a {} column while staging",
                        other.data_type().map_or("NULL", DataType::fivetran_name),
                        data_type.fivetran_name()
                    ),
                }
            }
            Arc::new(builder.finish()) as ArrayRef
        }};
    }
    Ok(match data_type {
        DataType::Boolean => build!(BooleanBuilder::with_capacity(count), Value::Bool(b) => b),
        DataType::Short => build!(Int16Builder::with_capacity(count), Value::Short(n) => n),
        DataType::Int => build!(Int32Builder::with_capacity(count), Value::Int(n) => n),
        DataType::Long => build!(Int64Builder::with_capacity(count), Value::Long(n) => n),
        DataType::Decimal { precision, scale } => build!(
            Decimal128Builder::with_capacity(count)
                .with_precision_and_scale(precision, scale as i8)?,
            Value::Decimal(d) => mantissa_at(d, scale)?
        ),
        DataType::Float => build!(Float32Builder::with_capacity(count), Value::Float(f) => f),
        DataType::Double => build!(Float64Builder::with_capacity(count), Value::Double(f) => f),
        DataType::NaiveDate => build!(
            Date32Builder::with_capacity(count),
            Value::NaiveDate(d) => days_since_epoch(d)?
        ),
        DataType::NaiveDatetime => build!(
            TimestampMicrosecondBuilder::with_capacity(count),
            Value::NaiveDatetime(d) => d.and_utc().timestamp_micros()
        ),
        DataType::UtcDatetime => build!(
            TimestampMicrosecondBuilder::with_capacity(count).with_timezone("UTC"),
            Value::UtcDatetime(d) => d.timestamp_micros()
        ),
        DataType::Binary => build!(BinaryBuilder::new(), Value::Binary(b) => b),
        DataType::String | DataType::Xml | DataType::Json => build!(
            StringBuilder::new(),
            Value::String(s) | Value::Json(s) | Value::Xml(s) => s
        ),
    })
}

/// The decimal's digits at `scale`, as Arrow's Decimal128 holds them. The value already fits
/// its column (the declared type was checked where the row was made), so this only rescales.
fn mantissa_at(d: Decimal, scale: u8) -> anyhow::Result<i128> {
    d.rescale(u32::from(scale))
        .map(Decimal::mantissa)
        .ok_or_else(|| anyhow::anyhow!("a DECIMAL value does not fit 38 digits at scale {scale}"))
}

fn days_since_epoch(date: chrono::NaiveDate) -> anyhow::Result<i32> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    Ok(i32::try_from((date - epoch).num_days())?)
}

#[cfg(test)]
mod tests {
    use super::mantissa_at;
    use crate::decimal::Decimal;

    #[test]
    fn decimals_keep_their_value_at_any_scale_up_to_38_digits() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(mantissa_at(d("1.5"), 4).unwrap(), 15_000);
        assert_eq!(mantissa_at(d("-0.00015"), 4).unwrap(), -2);
        // 30 digits at scale 18, and all 38.
        assert_eq!(
            mantissa_at(d("100000000000"), 18).unwrap(),
            100_000_000_000 * 10i128.pow(18)
        );
        assert_eq!(
            mantissa_at(d("-12345678901.123456789"), 18).unwrap(),
            -12_345_678_901_123_456_789 * 10i128.pow(9)
        );
        assert_eq!(
            mantissa_at(d("1234567890123456789012345678.0123456789"), 10).unwrap(),
            12_345_678_901_234_567_890_123_456_780_123_456_789
        );
    }
}
