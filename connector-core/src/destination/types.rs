//! Types at the destination: the DuckDB type that holds each Fivetran type, fitting a value to
//! its column's type (a declared column converts it or refuses it; an untyped column takes the
//! value's type; an inferred column widens to hold it), and the ladder inferred types widen
//! along ([`DataType::widen`]). (docs/warehouse.md, "Types and widening".)

use crate::schema::{DataType, MAX_DECIMAL_PRECISION};
use crate::value::{CoerceError, Value};

use super::columns::Column;

/// A value that does not fit its column's declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("table `{table}`, column `{column}`: {why}")]
pub struct FitError {
    pub table: String,
    pub column: String,
    /// Why, naming the types and never the value (which may be private).
    pub why: CoerceError,
}

/// The DuckDB type that holds a Fivetran type.
///
/// ```ignore
/// use connector_core::destination::types::duckdb_type;
/// use connector_core::DataType;
/// assert_eq!(duckdb_type(DataType::UtcDatetime), "TIMESTAMP WITH TIME ZONE");
/// ```
pub fn duckdb_type(data_type: DataType) -> String {
    match data_type {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Short => "SMALLINT".into(),
        DataType::Int => "INTEGER".into(),
        DataType::Long => "BIGINT".into(),
        DataType::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        DataType::Float => "FLOAT".into(),
        DataType::Double => "DOUBLE".into(),
        DataType::NaiveDate => "DATE".into(),
        DataType::NaiveDatetime => "TIMESTAMP".into(),
        DataType::UtcDatetime => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Binary => "BLOB".into(),
        DataType::Xml | DataType::String => "VARCHAR".into(),
        DataType::Json => "JSON".into(),
    }
}

/// Fits a value to `column` of table `table`: converted to a declared type (or refused), the
/// type of an untyped column, or the widened type of an inferred one (the column's type widens
/// with it). NULL fits every column and types none.
///
/// The error is boxed: this runs for every cell, and a small `Result` is cheaper to return.
#[inline]
pub fn fit(column: &mut Column, value: Value, table: &str) -> Result<Value, Box<FitError>> {
    let Some(value_type) = value.data_type() else {
        return Ok(Value::Null);
    };
    let refuse = |why| {
        Box::new(FitError {
            table: table.to_string(),
            column: column.name.clone(),
            why,
        })
    };
    // A JSON value must be a document in an inferred column too, as in a declared one: the
    // warehouse's JSON column refuses anything else (quoting it), and the modes must agree.
    let value = match value {
        Value::Json(_) if !column.declared => value.coerce_to(DataType::Json).map_err(refuse)?,
        value => value,
    };
    match (column.declared, column.data_type) {
        (true, Some(declared)) => value.coerce_to(declared).map_err(refuse),
        (_, None) => {
            column.data_type = Some(value_type);
            column.integer_digits = integer_digits(&value);
            Ok(value)
        }
        (false, Some(current)) => {
            // A DECIMAL keeps room for the integer digits of every number the column took, this
            // one included; when they and the larger scale pass 38 digits, no DECIMAL holds them
            // all and the column is DOUBLE (LONG 10^18 and a decimal of 20 places, in either
            // order: found by the property tests).
            let digits = column.integer_digits.max(integer_digits(&value));
            let widened = match current.widen(value_type) {
                DataType::Decimal { scale, .. }
                    if u16::from(digits) + u16::from(scale) > u16::from(MAX_DECIMAL_PRECISION) =>
                {
                    DataType::Double
                }
                widened => widened,
            };
            let value = value.widen_to(widened);
            // A number is never kept as text in a DECIMAL column. Only a DECIMAL narrower than
            // 38 digits refuses one now: a column the target table held before this run, whose
            // values are not read (`DECIMAL(10, 2)` and a LONG of 12 digits).
            if matches!(widened, DataType::Decimal { .. }) && !matches!(value, Value::Decimal(_)) {
                return Err(refuse(CoerceError::DoesNotFit {
                    value: format!("a value of type {}", value_type.fivetran_name()),
                    target: widened,
                }));
            }
            column.data_type = Some(widened);
            column.integer_digits = digits;
            Ok(value)
        }
    }
}

/// The digits before the point of a number (`true` is 1, `false` and 0 have none); 0 for a
/// value that is not a number an inferred DECIMAL column takes (a FLOAT or DOUBLE makes it
/// DOUBLE).
fn integer_digits(value: &Value) -> u8 {
    let digits = |magnitude: u128| (magnitude.checked_ilog10().map_or(0, |log| log + 1)) as u8;
    match value {
        Value::Bool(b) => u8::from(*b),
        Value::Short(n) => digits(n.unsigned_abs().into()),
        Value::Int(n) => digits(n.unsigned_abs().into()),
        Value::Long(n) => digits(n.unsigned_abs().into()),
        // A scale is at most 38.
        Value::Decimal(d) => digits(d.mantissa().unsigned_abs()).saturating_sub(d.scale() as u8),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;

    fn decimal(precision: u8, scale: u8) -> DataType {
        DataType::Decimal { precision, scale }
    }

    fn column(data_type: Option<DataType>, declared: bool) -> Column {
        Column {
            name: "c".into(),
            data_type,
            declared,
            primary_key: false,
            target_type: None,
            integer_digits: 0,
        }
    }

    #[test]
    fn declared_columns_convert_or_refuse_and_never_change() {
        let mut short = column(Some(DataType::Short), true);
        assert_eq!(fit(&mut short, Value::Long(7), "t"), Ok(Value::Short(7)));
        let error = fit(&mut short, Value::Long(70_000), "t").unwrap_err();
        assert_eq!(
            error.to_string(),
            "table `t`, column `c`: a value of type LONG does not fit SHORT"
        );
        assert_eq!(short.data_type, Some(DataType::Short));
        assert_eq!(fit(&mut short, Value::Null, "t"), Ok(Value::Null));
    }

    #[test]
    fn inferred_columns_take_the_first_type_then_widen() {
        let mut inferred = column(None, false);
        assert_eq!(fit(&mut inferred, Value::Null, "t"), Ok(Value::Null));
        assert_eq!(inferred.data_type, None, "NULL carries no type");
        assert_eq!(
            fit(&mut inferred, Value::Bool(true), "t"),
            Ok(Value::Bool(true))
        );
        assert_eq!(fit(&mut inferred, Value::Int(5), "t"), Ok(Value::Int(5)));
        assert_eq!(inferred.data_type, Some(DataType::Int));
        assert_eq!(
            fit(&mut inferred, Value::Double(2.5), "t"),
            Ok(Value::Double(2.5))
        );
        assert_eq!(inferred.data_type, Some(DataType::Double));
        assert_eq!(
            fit(&mut inferred, Value::Short(1), "t"),
            Ok(Value::Double(1.0))
        );
        assert_eq!(
            fit(&mut inferred, Value::from("x"), "t"),
            Ok(Value::from("x"))
        );
        assert_eq!(inferred.data_type, Some(DataType::String));
        assert_eq!(
            fit(&mut inferred, Value::Long(3), "t"),
            Ok(Value::from("3"))
        );
    }

    /// Found by the property tests: a JSON value that is not a document went unchecked into an
    /// inferred column (the warehouse's cast refused it, quoting the value; the memory
    /// destination kept it).
    #[test]
    fn an_inferred_column_refuses_json_that_is_not_a_document() {
        for mut inferred in [
            column(None, false),
            column(Some(DataType::Json), false),
            column(Some(DataType::String), false),
        ] {
            let error =
                fit(&mut inferred, Value::Json("{\"key\": s3cret".into()), "t").unwrap_err();
            assert_eq!(
                error.to_string(),
                "table `t`, column `c`: a value of type JSON is not a JSON document"
            );
            let kept = fit(&mut inferred, Value::Json("[1]".into()), "t").unwrap();
            assert!(matches!(&kept, Value::Json(t) | Value::String(t) if t == "[1]"));
        }
    }

    /// Found by the property tests (finding 5 of docs/reliability.md, "Fuzzing"): a LONG in an
    /// inferred DECIMAL(38, 20) column (a decimal of 20 places came first) has 19 integer digits
    /// and 18 places for them; it was kept as text in the DECIMAL column, then refused. No
    /// DECIMAL holds both: the column is DOUBLE. A LONG with room stays a DECIMAL.
    #[test]
    fn an_inferred_decimal_without_room_for_a_number_becomes_double() {
        let mut inferred = column(None, false);
        let places = Decimal::new(1, 20);
        assert!(fit(&mut inferred, Value::Decimal(places), "t").is_ok());
        assert_eq!(
            fit(&mut inferred, Value::Long(7), "t"),
            Ok(Value::Decimal(Decimal::new(7, 0).rescale(20).unwrap()))
        );
        assert_eq!(inferred.data_type, Some(decimal(38, 20)));
        assert_eq!(
            fit(&mut inferred, Value::Long(-1_000_000_000_000_000_000), "t"),
            Ok(Value::Double(-1e18))
        );
        assert_eq!(inferred.data_type, Some(DataType::Double));
        // 38 places leave no integer digit: `true` is 1, `false` 0.
        let mut no_integer_digits = column(None, false);
        fit(
            &mut no_integer_digits,
            Value::Decimal(Decimal::new(1, 38)),
            "t",
        )
        .unwrap();
        assert_eq!(
            fit(&mut no_integer_digits, Value::Bool(false), "t"),
            Ok(Value::Decimal(Decimal::new(0, 38)))
        );
        assert_eq!(no_integer_digits.data_type, Some(decimal(38, 38)));
        assert_eq!(
            fit(&mut no_integer_digits, Value::Bool(true), "t"),
            Ok(Value::Double(1.0))
        );
        assert_eq!(no_integer_digits.data_type, Some(DataType::Double));
    }

    /// The open half of finding 5: a number held *before* the column widened. LONG 10^18 then a
    /// decimal of 20 places made the column DECIMAL(38, 20), which cannot hold the LONG (the
    /// warehouse's `ALTER COLUMN` failed; the memory destination kept it as text). Either
    /// order now ends DOUBLE, and every value held converts to it.
    #[test]
    fn a_number_held_before_a_decimal_widens_the_column_keeps_its_digits() {
        let long = Value::Long(1_000_000_000_000_000_000);
        let places = Value::Decimal("0.00000000000000000000".parse().unwrap());
        for values in [[long.clone(), places.clone()], [places, long]] {
            let mut inferred = column(None, false);
            for v in &values {
                fit(&mut inferred, v.clone(), "t").unwrap();
            }
            assert_eq!(inferred.data_type, Some(DataType::Double), "{values:?}");
            let held: Vec<Value> = values
                .iter()
                .map(|v| v.clone().widen_to(DataType::Double))
                .collect();
            assert!(
                matches!(held[..], [Value::Double(_), Value::Double(_)]),
                "{held:?}"
            );
        }
        // With room for both (a LONG of 18 digits), DECIMAL(38, 20) still.
        let mut inferred = column(None, false);
        fit(&mut inferred, Value::Long(999_999_999_999_999_999), "t").unwrap();
        fit(&mut inferred, Value::Decimal(Decimal::new(1, 20)), "t").unwrap();
        assert_eq!(inferred.data_type, Some(decimal(38, 20)));
        assert_eq!(
            Value::Long(999_999_999_999_999_999).widen_to(decimal(38, 20)),
            Value::Decimal(
                Decimal::new(999_999_999_999_999_999, 0)
                    .rescale(20)
                    .unwrap()
            )
        );
        // Two decimals: 30 integer digits, then 10 places.
        let mut inferred = column(None, false);
        let big = Value::Decimal(Decimal::try_from(10_i128.pow(29)).unwrap());
        fit(&mut inferred, big, "t").unwrap();
        fit(&mut inferred, Value::Decimal(Decimal::new(1, 8)), "t").unwrap();
        assert_eq!(inferred.data_type, Some(decimal(38, 8)));
        fit(&mut inferred, Value::Decimal(Decimal::new(1, 9)), "t").unwrap();
        assert_eq!(inferred.data_type, Some(DataType::Double));
    }

    /// A DECIMAL the target table held before this run, narrower than 38 digits, still refuses
    /// a number it has no digits for (its own values are not read).
    #[test]
    fn a_narrow_decimal_of_the_target_refuses_a_number_it_has_no_digits_for() {
        let mut existing = column(Some(decimal(10, 2)), false);
        let error = fit(&mut existing, Value::Long(1_000_000_000_000), "t").unwrap_err();
        assert_eq!(
            error.to_string(),
            "table `t`, column `c`: a value of type LONG does not fit DECIMAL(10, 2)"
        );
        assert_eq!(existing.data_type, Some(decimal(10, 2)));
    }

    #[test]
    fn a_key_declared_without_a_type_is_inferred() {
        let mut key = column(None, false);
        key.primary_key = true;
        assert_eq!(fit(&mut key, Value::Long(1), "t"), Ok(Value::Long(1)));
        assert_eq!(key.data_type, Some(DataType::Long));
    }
}
