//! Typed cell values: what one column of one row holds on its way to a sink.
//!
//! A `#[table]` row is encoded field by field into [`Value`]s (no strings, no JSON on the way);
//! a run-time [`Row`](crate::Row) holds them by column name. [`Value::coerce_to`] fits a value to a
//! column's declared type and says why when it cannot.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::decimal::Decimal;

use crate::schema::DataType;

/// One cell. `Json` and `Xml` hold their document as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (a NULL cell).
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// SHORT.
    Short(i16),
    /// INT.
    Int(i32),
    /// LONG.
    Long(i64),
    /// DECIMAL: up to 38 digits, exactly.
    Decimal(Decimal),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// NAIVE_DATE.
    NaiveDate(NaiveDate),
    /// NAIVE_DATETIME.
    NaiveDatetime(NaiveDateTime),
    /// UTC_DATETIME.
    UtcDatetime(DateTime<Utc>),
    /// BINARY.
    Binary(Vec<u8>),
    /// STRING.
    String(String),
    /// JSON, as the document's text.
    Json(String),
    /// XML, as the document's text.
    Xml(String),
}

impl Value {
    /// The type this value carries, or `None` for `Null` (which carries none).
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Boolean,
            Value::Short(_) => DataType::Short,
            Value::Int(_) => DataType::Int,
            Value::Long(_) => DataType::Long,
            Value::Decimal(d) => DataType::Decimal {
                precision: 38,
                scale: d.scale() as u8,
            },
            Value::Float(_) => DataType::Float,
            Value::Double(_) => DataType::Double,
            Value::NaiveDate(_) => DataType::NaiveDate,
            Value::NaiveDatetime(_) => DataType::NaiveDatetime,
            Value::UtcDatetime(_) => DataType::UtcDatetime,
            Value::Binary(_) => DataType::Binary,
            Value::String(_) => DataType::String,
            Value::Json(_) => DataType::Json,
            Value::Xml(_) => DataType::Xml,
        })
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Converts the value to a column's declared type, or says why it does not fit.
    ///
    /// Integers must fit the declared width, decimals are rounded half-up to the declared scale
    /// and must then fit the precision, and text is parsed for the declared type (ISO dates,
    /// RFC 3339 instants with an offset, numbers, `true`/`false`), as the Python SDK does.
    ///
    /// ```
    /// use connector_core::{DataType, Value};
    /// assert_eq!(Value::Long(7).coerce_to(DataType::Short), Ok(Value::Short(7)));
    /// assert!(Value::Long(70_000).coerce_to(DataType::Short).is_err());
    /// ```
    pub fn coerce_to(self, target: DataType) -> Result<Value, CoerceError> {
        if self.is_null() {
            return Ok(Value::Null);
        }
        let source = self.data_type();
        let fail = || CoerceError::DoesNotFit {
            value: describe(source),
            target,
        };
        let value = match (target, self) {
            (DataType::Boolean, Value::Bool(b)) => Value::Bool(b),
            (DataType::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(fail()),
            },
            (DataType::Short, v) => Value::Short(
                v.as_i64()
                    .and_then(|i| i.try_into().ok())
                    .ok_or_else(fail)?,
            ),
            (DataType::Int, v) => Value::Int(
                v.as_i64()
                    .and_then(|i| i.try_into().ok())
                    .ok_or_else(fail)?,
            ),
            (DataType::Long, v) => Value::Long(v.as_i64().ok_or_else(fail)?),
            (DataType::Decimal { precision, scale }, v) => {
                let d = v.as_decimal().ok_or_else(fail)?;
                Value::Decimal(d.fit(precision, scale).ok_or_else(fail)?)
            }
            (DataType::Float, v) => Value::Float(v.as_f64().ok_or_else(fail)? as f32),
            (DataType::Double, v) => Value::Double(v.as_f64().ok_or_else(fail)?),
            (DataType::NaiveDate, Value::NaiveDate(d)) => Value::NaiveDate(d),
            (DataType::NaiveDate, Value::String(s)) => {
                Value::NaiveDate(NaiveDate::from_str(s.trim()).map_err(|_| fail())?)
            }
            (DataType::NaiveDatetime, Value::NaiveDatetime(d)) => Value::NaiveDatetime(d),
            (DataType::NaiveDatetime, Value::NaiveDate(d)) => {
                Value::NaiveDatetime(d.and_hms_opt(0, 0, 0).ok_or_else(fail)?)
            }
            (DataType::NaiveDatetime, Value::String(s)) => {
                Value::NaiveDatetime(parse_naive_datetime(&s).ok_or_else(fail)?)
            }
            (DataType::UtcDatetime, Value::UtcDatetime(d)) => Value::UtcDatetime(d),
            (DataType::UtcDatetime, Value::NaiveDatetime(d)) => Value::UtcDatetime(d.and_utc()),
            (DataType::UtcDatetime, Value::NaiveDate(d)) => {
                Value::UtcDatetime(d.and_hms_opt(0, 0, 0).ok_or_else(fail)?.and_utc())
            }
            (DataType::UtcDatetime, Value::String(s)) => Value::UtcDatetime(
                DateTime::parse_from_rfc3339(s.trim())
                    .map_err(|_| fail())?
                    .with_timezone(&Utc),
            ),
            (DataType::Binary, Value::Binary(b)) => Value::Binary(b),
            (DataType::String, v) => Value::String(v.into_text()),
            (DataType::Json, Value::Json(text) | Value::String(text)) => {
                serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|_| {
                    CoerceError::NotJson {
                        value: describe(source),
                    }
                })?;
                Value::Json(text)
            }
            (DataType::Xml, Value::Xml(x) | Value::String(x)) => Value::Xml(x),
            _ => return Err(fail()),
        };
        Ok(value)
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Short(i) => Some(i64::from(*i)),
            Value::Int(i) => Some(i64::from(*i)),
            Value::Long(i) => Some(*i),
            Value::Decimal(d) => d.to_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Short(_) | Value::Int(_) | Value::Long(_) => self.as_i64().map(Decimal::from),
            Value::Decimal(d) => Some(*d),
            // An `f32` by its own shortest text (`0.1`), not by the wider `f64` it widens to.
            Value::Float(f) if f.is_finite() => Decimal::from_str(&format!("{f:e}")).ok(),
            Value::Double(f) => Decimal::from_f64(*f).ok(),
            Value::String(s) => Decimal::from_str(s.trim()).ok(),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Short(_) | Value::Int(_) | Value::Long(_) => self.as_i64().map(|i| i as f64),
            Value::Decimal(d) => Some(d.to_f64()),
            Value::Float(f) => Some(f64::from(*f)),
            Value::Double(f) => Some(*f),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Converts a value of an inferred column into the column's widened type (see
    /// [`DataType::widen`]): integers grow, numbers become DECIMAL or DOUBLE, dates become
    /// timestamps, anything else becomes its text.
    pub fn widen_to(self, to: DataType) -> Value {
        match (self, to) {
            (Value::Null, _) => Value::Null,
            (Value::Bool(b), DataType::Short | DataType::Int | DataType::Long) => {
                Value::Long(i64::from(b))
                    .coerce_to(to)
                    .expect("0 and 1 fit every integer")
            }
            (value, DataType::String) => Value::String(value.into_text()),
            (value, to) => {
                let text = value.to_string();
                value.coerce_to(to).unwrap_or(Value::String(text))
            }
        }
    }

    /// The value as text: what a STRING column holds when another type is widened into it.
    pub fn into_text(self) -> String {
        match self {
            Value::String(s) | Value::Json(s) | Value::Xml(s) => s,
            other => other.to_string(),
        }
    }
}

/// A short description for error messages: the type, never the value (which may be private).
/// Why a value does not convert to a column's declared type ([`Value::coerce_to`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoerceError {
    /// The value has no exact form in the declared type (out of range, not parseable, another
    /// kind of value).
    #[error("{value} does not fit {target}")]
    DoesNotFit {
        /// The value's kind (`a value of type LONG`), never the value itself.
        value: String,
        /// The declared type.
        target: DataType,
    },
    /// Text declared JSON that does not parse as JSON.
    #[error("{value} is not a JSON document")]
    NotJson {
        /// The value's kind, never the value itself.
        value: String,
    },
}

fn describe(data_type: Option<DataType>) -> String {
    match data_type {
        Some(t) => format!("a value of type {}", t.fivetran_name()),
        None => "NULL".to_string(),
    }
}

fn parse_naive_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Text as a destination shows it: ISO dates, RFC 3339 instants with microseconds, decimal text,
/// base64-free lower-case hex for binary.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Short(i) => write!(f, "{i}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Long(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Double(x) => write!(f, "{x}"),
            Value::NaiveDate(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::NaiveDatetime(d) => write!(f, "{}", d.format("%Y-%m-%dT%H:%M:%S%.6f")),
            Value::UtcDatetime(d) => write!(f, "{}", d.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
            Value::Binary(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Value::String(s) | Value::Json(s) | Value::Xml(s) => f.write_str(s),
        }
    }
}

macro_rules! value_from {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Value {
                Value::$variant(v.into())
            }
        }
    )*};
}

value_from! {
    bool => Bool,
    i8 => Short,
    i16 => Short,
    u8 => Short,
    i32 => Int,
    u16 => Int,
    i64 => Long,
    u32 => Long,
    u64 => Decimal,
    Decimal => Decimal,
    rust_decimal::Decimal => Decimal,
    f32 => Float,
    f64 => Double,
    NaiveDate => NaiveDate,
    NaiveDateTime => NaiveDatetime,
    DateTime<Utc> => UtcDatetime,
    Vec<u8> => Binary,
    String => String,
    &str => String,
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// JSON from a source keeps what JSON can say: `null`, booleans, integers as LONG, other numbers
/// as DOUBLE, text as STRING, and arrays and objects as JSON documents.
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Long(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s),
            other @ (serde_json::Value::Array(_) | serde_json::Value::Object(_)) => {
                Value::Json(other.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn integers_must_fit_the_declared_width() {
        assert_eq!(
            Value::Long(i64::from(i16::MAX)).coerce_to(DataType::Short),
            Ok(Value::Short(i16::MAX))
        );
        assert!(
            Value::Long(i64::from(i16::MAX) + 1)
                .coerce_to(DataType::Short)
                .is_err()
        );
        assert!(
            Value::Long(i64::from(i32::MIN) - 1)
                .coerce_to(DataType::Int)
                .is_err()
        );
        assert_eq!(
            Value::String(" 42 ".into()).coerce_to(DataType::Long),
            Ok(Value::Long(42))
        );
        assert!(Value::Double(1.5).coerce_to(DataType::Long).is_err());
    }

    #[test]
    fn decimals_round_half_up_then_must_fit_the_precision() {
        let t = DataType::Decimal {
            precision: 5,
            scale: 2,
        };
        assert_eq!(
            Value::Decimal(dec("1.005")).coerce_to(t),
            Ok(Value::Decimal(dec("1.01")))
        );
        assert_eq!(
            Value::Decimal(dec("-1.005")).coerce_to(t),
            Ok(Value::Decimal(dec("-1.01")))
        );
        assert_eq!(
            Value::Decimal(dec("999.994")).coerce_to(t),
            Ok(Value::Decimal(dec("999.99")))
        );
        let err = Value::Decimal(dec("999.995")).coerce_to(t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a value of type DECIMAL does not fit DECIMAL(5, 2)"
        );
        assert!(Value::Decimal(dec("-999.995")).coerce_to(t).is_err());
        // Past rust_decimal's 96-bit mantissa at the column's scale: 22 + 18 digits > 38.
        let wide = DataType::Decimal {
            precision: 38,
            scale: 18,
        };
        assert!(
            Value::Decimal(dec("1000000000000000000000"))
                .coerce_to(wide)
                .is_err()
        );
        assert!(Value::Decimal(dec("100000000000")).coerce_to(wide).is_ok());
        assert_eq!(
            Value::Decimal(dec("-0.004")).coerce_to(t),
            Ok(Value::Decimal(dec("0.00")))
        );
        assert_eq!(Value::Long(7).coerce_to(t), Ok(Value::Decimal(dec("7.00"))));
    }

    #[test]
    fn text_is_parsed_for_declared_dates() {
        assert_eq!(
            Value::String("1969-07-20".into()).coerce_to(DataType::NaiveDate),
            Ok(Value::NaiveDate(
                NaiveDate::from_ymd_opt(1969, 7, 20).unwrap()
            ))
        );
        let instant = Value::String("2024-01-01T02:00:00+02:00".into())
            .coerce_to(DataType::UtcDatetime)
            .unwrap();
        assert_eq!(instant.to_string(), "2024-01-01T00:00:00.000000Z");
        assert!(
            Value::String("yesterday".into())
                .coerce_to(DataType::NaiveDate)
                .is_err()
        );
        assert!(
            Value::String("{not json".into())
                .coerce_to(DataType::Json)
                .is_err()
        );
    }

    #[test]
    fn errors_name_the_type_and_never_the_value() {
        let err = Value::String("s3cret".into())
            .coerce_to(DataType::Long)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert_eq!(err, "a value of type STRING does not fit LONG");
    }

    #[test]
    fn json_values_keep_their_shape() {
        let v: Value = serde_json::json!({"a": [1, 2]}).into();
        assert_eq!(v, Value::Json(r#"{"a":[1,2]}"#.into()));
        assert_eq!(Value::from(serde_json::json!(3)), Value::Long(3));
        assert_eq!(Value::from(serde_json::json!(0.5)), Value::Double(0.5));
    }
}
