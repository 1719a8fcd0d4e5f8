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
    /// It accepts what the Python Connector SDK (`fivetran-connector-sdk` 2.13.1) accepts for a
    /// declared column, converted exactly, and refuses what Python would change on the way
    /// (`7.5` for INT, `2` for BOOLEAN). NULL fits every type. Text is trimmed before it is
    /// parsed. The full table, with where Python differs, is in `docs/warehouse.md` ("Values for
    /// declared columns").
    ///
    /// | Declared | Accepted | Refused |
    /// |---|---|---|
    /// | BOOLEAN | a bool; the numbers `0` and `1` (integer or float); the text `true`/`false` (any case) and `1`/`0` | other numbers, other text |
    /// | SHORT, INT, LONG | an integer, a float or decimal with no fractional part, a bool (1/0), integer text (`" 42"`, `+7`), each within the type's range | a fractional part (`7.5`), out of range, NaN, infinities, `"7.0"` |
    /// | DECIMAL(p, s) | integers, decimals, floats, decimal text; rounded half away from zero to `s` digits, then at most `p` digits | bools, dates, other text |
    /// | FLOAT, DOUBLE | any number and a bool (1/0), float text (`"1.5"`, `"1e3"`, `"NaN"`, `"-Infinity"`), rounded to the nearest value of the type; NaN and infinities as they are | a finite number the type overflows to infinity (`1e300` for FLOAT), other text |
    /// | NAIVE_DATE | a date; a timestamp at midnight (a UTC one at UTC midnight); `YYYY-MM-DD` text | a timestamp with a time of day (Python drops it: we refuse the loss), other text |
    /// | NAIVE_DATETIME | a timestamp (a UTC one as its UTC wall time); a date at midnight; `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` text | text with an offset, other text |
    /// | UTC_DATETIME | a UTC timestamp; a naive timestamp or a date (at midnight) read as UTC; text with an offset (`Z`, `+02:00`, `+0200`), `T` or a space between date and time | text without an offset |
    /// | BINARY | bytes | everything else |
    /// | STRING | anything, as its text (see [`Value::into_text`]) | nothing |
    /// | XML | text, XML | everything else |
    /// | JSON | a JSON document (checked); text as a JSON **string** (Python's `json.dumps`); a bool or a number as that JSON value | NaN and infinities, dates, bytes, decimals, XML |
    ///
    /// Errors name the value's type and the declared type, never the value, which may be
    /// private.
    ///
    /// ```
    /// use connector_core::{DataType, Value};
    /// assert_eq!(Value::Long(7).coerce_to(DataType::Short), Ok(Value::Short(7)));
    /// assert!(Value::Long(70_000).coerce_to(DataType::Short).is_err());
    /// assert_eq!(Value::Double(7.0).coerce_to(DataType::Int), Ok(Value::Int(7)));
    /// assert!(Value::Double(7.5).coerce_to(DataType::Int).is_err());
    /// assert_eq!(Value::from("1").coerce_to(DataType::Boolean), Ok(Value::Bool(true)));
    /// assert_eq!(
    ///     Value::from("hello").coerce_to(DataType::Json),
    ///     Ok(Value::Json(r#""hello""#.into()))
    /// );
    /// ```
    pub fn coerce_to(self, target: DataType) -> Result<Value, CoerceError> {
        if self.is_null() {
            return Ok(Value::Null);
        }
        if let Value::String(text) = self {
            return match target {
                DataType::String => Ok(Value::String(text)),
                DataType::Xml => Ok(Value::Xml(text)),
                _ => Value::coerce_text(&text, target),
            };
        }
        let source = self.data_type();
        let fail = || CoerceError::DoesNotFit {
            value: describe(source),
            target,
        };
        let value = match (target, self) {
            (DataType::Boolean, v) => Value::Bool(v.as_bool().ok_or_else(fail)?),
            (DataType::Short, v) => Value::Short(
                v.as_integer()
                    .and_then(|i| i.try_into().ok())
                    .ok_or_else(fail)?,
            ),
            (DataType::Int, v) => Value::Int(
                v.as_integer()
                    .and_then(|i| i.try_into().ok())
                    .ok_or_else(fail)?,
            ),
            (DataType::Long, v) => Value::Long(v.as_integer().ok_or_else(fail)?),
            (DataType::Decimal { precision, scale }, v) => {
                let d = v.as_decimal().ok_or_else(fail)?;
                Value::Decimal(d.fit(precision, scale).ok_or_else(fail)?)
            }
            (DataType::Float, v) => Value::Float(v.as_float().ok_or_else(fail)?),
            (DataType::Double, v) => Value::Double(v.as_double().ok_or_else(fail)?),
            (DataType::NaiveDate, Value::NaiveDate(d)) => Value::NaiveDate(d),
            // Python drops the time of day; only a timestamp at midnight converts exactly.
            (DataType::NaiveDate, Value::NaiveDatetime(d)) => {
                Value::NaiveDate(midnight_date(d).ok_or_else(fail)?)
            }
            (DataType::NaiveDate, Value::UtcDatetime(d)) => {
                Value::NaiveDate(midnight_date(d.naive_utc()).ok_or_else(fail)?)
            }
            (DataType::NaiveDatetime, Value::NaiveDatetime(d)) => Value::NaiveDatetime(d),
            (DataType::NaiveDatetime, Value::NaiveDate(d)) => {
                Value::NaiveDatetime(d.and_hms_opt(0, 0, 0).ok_or_else(fail)?)
            }
            (DataType::NaiveDatetime, Value::UtcDatetime(d)) => Value::NaiveDatetime(d.naive_utc()),
            (DataType::UtcDatetime, Value::UtcDatetime(d)) => Value::UtcDatetime(d),
            (DataType::UtcDatetime, Value::NaiveDatetime(d)) => Value::UtcDatetime(d.and_utc()),
            (DataType::UtcDatetime, Value::NaiveDate(d)) => {
                Value::UtcDatetime(d.and_hms_opt(0, 0, 0).ok_or_else(fail)?.and_utc())
            }
            (DataType::Binary, Value::Binary(b)) => Value::Binary(b),
            (DataType::String, v) => Value::String(v.into_text()),
            (DataType::Json, Value::Json(text)) => {
                serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|_| {
                    CoerceError::NotJson {
                        value: describe(source),
                    }
                })?;
                Value::Json(text)
            }
            (DataType::Json, v) => Value::Json(v.into_json_text().ok_or_else(fail)?),
            (DataType::Xml, Value::Xml(x)) => Value::Xml(x),
            _ => return Err(fail()),
        };
        Ok(value)
    }

    /// [`Value::coerce_to`] of text (`Value::String(text.into())`), read where it lies: a
    /// number, a decimal, a date or a timestamp is parsed from the borrowed text, and only a
    /// STRING, XML or JSON column copies it. A reader of JSON calls it with the text of the
    /// response body.
    pub(crate) fn coerce_text(text: &str, target: DataType) -> Result<Value, CoerceError> {
        let fail = || CoerceError::DoesNotFit {
            value: describe(Some(DataType::String)),
            target,
        };
        let integer = || text.trim().parse::<i64>().ok();
        let value = match target {
            DataType::Boolean => Value::Bool(text_as_bool(text).ok_or_else(fail)?),
            DataType::Short => {
                Value::Short(integer().and_then(|i| i.try_into().ok()).ok_or_else(fail)?)
            }
            DataType::Int => {
                Value::Int(integer().and_then(|i| i.try_into().ok()).ok_or_else(fail)?)
            }
            DataType::Long => Value::Long(integer().ok_or_else(fail)?),
            DataType::Decimal { precision, scale } => {
                let d = Decimal::from_str(text.trim()).map_err(|_| fail())?;
                Value::Decimal(d.fit(precision, scale).ok_or_else(fail)?)
            }
            DataType::Float => Value::Float(parse_float(text).ok_or_else(fail)?),
            DataType::Double => Value::Double(parse_float(text).ok_or_else(fail)?),
            DataType::NaiveDate => Value::NaiveDate(parse_naive_date(text).ok_or_else(fail)?),
            DataType::NaiveDatetime => {
                Value::NaiveDatetime(parse_naive_datetime(text).ok_or_else(fail)?)
            }
            DataType::UtcDatetime => Value::UtcDatetime(parse_utc_datetime(text).ok_or_else(fail)?),
            DataType::Binary => return Err(fail()),
            DataType::String => Value::String(text.to_owned()),
            DataType::Xml => Value::Xml(text.to_owned()),
            // Python's `json.dumps` of a `str`: a JSON string.
            DataType::Json => Value::Json(serde_json::to_string(text).map_err(|_| fail())?),
        };
        Ok(value)
    }

    /// For BOOLEAN: a bool, the numbers 0 and 1 (any integer or float type), or the text
    /// `true`/`false` (any case) or `1`/`0` ([`text_as_bool`]). Python takes any number by its
    /// truth (`2` and `0.5` are true); only 0 and 1 say the same thing as a bool.
    fn as_bool(&self) -> Option<bool> {
        let number = match self {
            Value::Bool(b) => return Some(*b),
            Value::Short(_)
            | Value::Int(_)
            | Value::Long(_)
            | Value::Float(_)
            | Value::Double(_) => self.as_integer()?,
            _ => return None,
        };
        match number {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// For SHORT, INT and LONG (the caller checks the width): integers, a bool as 1 or 0, a
    /// float or decimal without a fractional part (text is read by [`Value::coerce_text`]).
    fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Float(f) => integral(f64::from(*f)),
            Value::Double(f) => integral(*f),
            other => other.as_i64(),
        }
    }

    /// For FLOAT: the nearest `f32` of any number (a bool as 1 or 0); `None` when a finite
    /// value would overflow to infinity.
    fn as_float(&self) -> Option<f32> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(f32::from(u8::from(*b))),
            Value::Short(i) => Some(f32::from(*i)),
            // Rounds to the nearest f32; every i64 is within f32's range.
            Value::Int(_) | Value::Long(_) => self.as_i64().map(|i| i as f32),
            other => {
                let wide = other.as_f64()?;
                let narrow = wide as f32;
                (narrow.is_finite() || !wide.is_finite()).then_some(narrow)
            }
        }
    }

    /// For DOUBLE: the nearest `f64` of any number (a bool as 1 or 0).
    fn as_double(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            other => other.as_f64(),
        }
    }

    /// For JSON, a value that is not a document or text: what Python's `json.dumps` makes of
    /// it, a bool or a finite number as that JSON value. JSON has no NaN or infinities; dates,
    /// bytes, decimals and XML have no JSON form (Python refuses them too, except XML, which it
    /// does not have).
    fn into_json_text(self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Short(_) | Value::Int(_) | Value::Long(_) => {
                self.as_i64().map(|i| i.to_string())
            }
            Value::Float(f) if f.is_finite() => serde_json::to_string(&f).ok(),
            Value::Double(f) if f.is_finite() => serde_json::to_string(&f).ok(),
            _ => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Short(i) => Some(i64::from(*i)),
            Value::Int(i) => Some(i64::from(*i)),
            Value::Long(i) => Some(*i),
            Value::Decimal(d) => d.to_i64(),
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
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Short(_) | Value::Int(_) | Value::Long(_) => self.as_i64().map(|i| i as f64),
            Value::Decimal(d) => Some(d.to_f64()),
            Value::Float(f) => Some(f64::from(*f)),
            Value::Double(f) => Some(*f),
            _ => None,
        }
    }

    /// Converts a value of an inferred column into the column's widened type (see
    /// [`DataType::widen`]): integers grow, numbers become DECIMAL or DOUBLE, dates become
    /// timestamps, anything else becomes its text.
    pub fn widen_to(self, to: DataType) -> Value {
        match (self, to) {
            (Value::Null, _) => Value::Null,
            (
                Value::Bool(b),
                DataType::Short | DataType::Int | DataType::Long | DataType::Decimal { .. },
            ) => {
                // 1 and 0; only a DECIMAL with no digit before the point refuses 1.
                Value::Long(i64::from(b))
                    .coerce_to(to)
                    .unwrap_or_else(|_| Value::String(b.to_string()))
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

/// Why a value does not convert to a column's declared type ([`Value::coerce_to`]). It names the
/// types, never the value, which may be private.
///
/// ```
/// use connector_core::{CoerceError, DataType, Value};
///
/// let error = Value::from("s3cret").coerce_to(DataType::Long).unwrap_err();
/// assert!(matches!(error, CoerceError::DoesNotFit { target: DataType::Long, .. }));
/// assert_eq!(error.to_string(), "a value of type STRING does not fit LONG");
/// let error = Value::Json("{oops".into()).coerce_to(DataType::Json).unwrap_err();
/// assert_eq!(error.to_string(), "a value of type JSON is not a JSON document");
/// ```
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

/// A short description for error messages: the type, never the value (which may be private).
fn describe(data_type: Option<DataType>) -> String {
    match data_type {
        Some(t) => format!("a value of type {}", t.fivetran_name()),
        None => "NULL".to_string(),
    }
}

/// `YYYY-MM-DD`, as Python's `%Y-%m-%d` reads it (month and day may have one digit).
fn parse_naive_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if !starts_with_a_year(text) {
        return None;
    }
    NaiveDate::from_str(text).ok()
}

/// BOOLEAN text: `true`/`false` (any case) or `1`/`0`, spaces around it ignored.
fn text_as_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text == "1" || text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text == "0" || text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The date of a timestamp at midnight; `None` when it has a time of day, which a date would lose.
fn midnight_date(timestamp: NaiveDateTime) -> Option<NaiveDate> {
    (timestamp.time() == chrono::NaiveTime::MIN).then(|| timestamp.date())
}

fn parse_naive_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if !starts_with_a_year(text) {
        return None;
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// An instant with an offset, as Python's `%Y-%m-%dT%H:%M:%S[.%f]%z` reads it: `T` or a space
/// between date and time, seconds required, the offset `Z`, `±HH:MM` or `±HHMM`.
fn parse_utc_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if !starts_with_a_year(text) {
        return None;
    }
    let instant = DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        let text = text.replacen(' ', "T", 1);
        let text = match text.strip_suffix('Z') {
            Some(local) => format!("{local}+00:00"),
            None => text,
        };
        DateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f%z").ok()
    })?;
    Some(instant.with_timezone(&Utc))
}

/// Float text as Python's `float()` reads it (`1.5`, `1e3`, `NaN`, `inf`, `-Infinity`), to the
/// nearest value of the type; `None` for a finite number the type overflows to infinity (Python
/// would write infinity).
fn parse_float<F: FromStr + Copy + Into<f64>>(text: &str) -> Option<F> {
    let text = text.trim();
    let x: F = text.parse().ok()?;
    let spells_infinity = {
        let unsigned = text.trim_start_matches(['+', '-']);
        unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity")
    };
    (!x.into().is_infinite() || spells_infinity).then_some(x)
}

/// Whether date text starts with a four-digit year and `-`, as Python's `%Y` requires (chrono
/// would read `24-01-05` as the year 24).
fn starts_with_a_year(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
}

/// A float's value as an integer when it has no fractional part and fits an `i64`.
fn integral(f: f64) -> Option<i64> {
    // -2^63 and 2^63 are exact in f64; every integral f64 in between is an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
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
    }

    /// The value `value` converts to for `target`; panics with the error otherwise.
    fn fit(value: impl Into<Value>, target: DataType) -> Value {
        let value = value.into();
        let shown = format!("{value:?}");
        value
            .coerce_to(target)
            .unwrap_or_else(|e| panic!("{shown} for {target}: {e}"))
    }

    /// Asserts that `value` is refused for `target`, with an error that names the types.
    fn refuse(value: impl Into<Value>, target: DataType) {
        let value = value.into();
        let shown = format!("{value:?}");
        let source = describe(value.data_type());
        match value.coerce_to(target) {
            Ok(fitted) => panic!("{shown} for {target} gave {fitted:?}"),
            Err(e) => assert!(e.to_string().starts_with(&source), "{e}"),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn datetime(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, min, s).unwrap()
    }

    #[test]
    fn null_fits_every_type() {
        for target in [
            DataType::Boolean,
            DataType::Short,
            DataType::Long,
            DataType::DEFAULT_DECIMAL,
            DataType::Float,
            DataType::NaiveDate,
            DataType::UtcDatetime,
            DataType::Binary,
            DataType::String,
            DataType::Xml,
            DataType::Json,
        ] {
            assert_eq!(fit(Value::Null, target), Value::Null);
        }
    }

    #[test]
    fn boolean_takes_bools_zero_and_one_and_their_text() {
        let t = DataType::Boolean;
        for (value, expected) in [
            (Value::Bool(true), true),
            (Value::Bool(false), false),
            (Value::Short(1), true),
            (Value::Int(0), false),
            (Value::Long(1), true),
            (Value::Long(0), false),
            (Value::Float(1.0), true),
            (Value::Double(0.0), false),
            (Value::Double(-0.0), false),
            (Value::from("1"), true),
            (Value::from("0"), false),
            (Value::from(" 1 "), true),
            (Value::from("true"), true),
            (Value::from("FALSE"), false),
            (Value::from("True"), true),
        ] {
            assert_eq!(fit(value, t), Value::Bool(expected));
        }
        // Python takes these by their truth; only 0 and 1 say what a bool says.
        refuse(Value::Long(2), t);
        refuse(Value::Int(-1), t);
        refuse(Value::Double(0.5), t);
        refuse(Value::Double(f64::NAN), t);
        refuse(Value::Float(f32::INFINITY), t);
        // Python refuses these too.
        refuse("yes", t);
        refuse("", t);
        refuse("2", t);
        refuse("1.0", t);
        refuse(Value::Decimal(Decimal::ONE), t);
        refuse(Value::Binary(vec![1]), t);
        refuse(Value::NaiveDate(date(2024, 1, 5)), t);
        refuse(Value::Json("true".into()), t);
    }

    #[test]
    fn integers_take_integral_numbers_bools_and_integer_text() {
        assert_eq!(fit(Value::Double(7.0), DataType::Int), Value::Int(7));
        assert_eq!(fit(Value::Float(-3.0), DataType::Short), Value::Short(-3));
        assert_eq!(fit(Value::Double(-0.0), DataType::Long), Value::Long(0));
        assert_eq!(
            fit(Value::Double(-9_223_372_036_854_775_808.0), DataType::Long),
            Value::Long(i64::MIN)
        );
        assert_eq!(
            fit(Value::Double(9_007_199_254_740_992.0), DataType::Long),
            Value::Long(9_007_199_254_740_992)
        );
        assert_eq!(fit(Value::Bool(true), DataType::Long), Value::Long(1));
        assert_eq!(fit(Value::Bool(false), DataType::Short), Value::Short(0));
        assert_eq!(fit(Value::Short(7), DataType::Int), Value::Int(7));
        assert_eq!(fit(Value::Int(7), DataType::Long), Value::Long(7));
        assert_eq!(
            fit(Value::Decimal(dec("7.00")), DataType::Int),
            Value::Int(7)
        );
        for (text, expected) in [("7", 7), (" 42\n", 42), ("+7", 7), ("-0", 0), ("007", 7)] {
            assert_eq!(fit(text, DataType::Long), Value::Long(expected));
        }
        assert_eq!(fit("-32768", DataType::Short), Value::Short(i16::MIN));
    }

    #[test]
    fn integers_refuse_fractions_and_what_the_width_cannot_hold() {
        for t in [DataType::Short, DataType::Int, DataType::Long] {
            refuse(Value::Double(7.5), t);
            refuse(Value::Float(0.5), t);
            refuse(Value::Double(f64::NAN), t);
            refuse(Value::Double(f64::INFINITY), t);
            refuse(Value::Double(f64::NEG_INFINITY), t);
            // Python truncates a decimal (7.5 becomes 7).
            refuse(Value::Decimal(dec("7.5")), t);
            refuse("7.0", t);
            refuse("7.5", t);
            refuse("1_000", t);
            refuse("0x7", t);
            refuse("", t);
            refuse(Value::NaiveDate(date(2024, 1, 5)), t);
            refuse(Value::Binary(vec![7]), t);
            refuse(Value::Json("7".into()), t);
        }
        // Python checks SHORT against INT's range.
        refuse(Value::Long(40_000), DataType::Short);
        refuse(Value::Double(40_000.0), DataType::Short);
        refuse("-32769", DataType::Short);
        refuse(Value::Long(1 << 31), DataType::Int);
        refuse(Value::Double(1e10), DataType::Int);
        refuse(Value::Double(9_223_372_036_854_775_808.0), DataType::Long);
        refuse("9223372036854775808", DataType::Long);
    }

    #[test]
    fn double_takes_numbers_bools_and_float_text() {
        let t = DataType::Double;
        assert_eq!(fit(Value::Double(1.5), t), Value::Double(1.5));
        assert_eq!(fit(Value::Float(0.1), t), Value::Double(f64::from(0.1_f32)));
        assert_eq!(fit(Value::Short(-2), t), Value::Double(-2.0));
        assert_eq!(fit(Value::Int(7), t), Value::Double(7.0));
        // The nearest double, as Python's float() gives.
        assert_eq!(
            fit(Value::Long(i64::MAX), t),
            Value::Double(9_223_372_036_854_775_808.0)
        );
        assert_eq!(fit(Value::Decimal(dec("0.1")), t), Value::Double(0.1));
        assert_eq!(fit(Value::Bool(true), t), Value::Double(1.0));
        assert_eq!(fit(Value::Bool(false), t), Value::Double(0.0));
        for (text, expected) in [
            ("1.5", 1.5),
            (" 1e3 ", 1000.0),
            ("-0.25", -0.25),
            ("7", 7.0),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("+INF", f64::INFINITY),
        ] {
            assert_eq!(fit(text, t), Value::Double(expected));
        }
        for nan in [
            Value::from("NaN"),
            Value::from("nan"),
            Value::Double(f64::NAN),
        ] {
            assert!(matches!(fit(nan, t), Value::Double(x) if x.is_nan()));
        }
        assert_eq!(
            fit(Value::Double(f64::INFINITY), t),
            Value::Double(f64::INFINITY)
        );
        // Python writes infinity for text past f64's range.
        refuse("1e400", t);
        refuse("-1e400", t);
        refuse("abc", t);
        refuse("", t);
        refuse("0x10", t);
        refuse("1_0", t);
        refuse(Value::NaiveDate(date(2024, 1, 5)), t);
        refuse(Value::Binary(vec![1]), t);
        refuse(Value::Json("1.5".into()), t);
    }

    #[test]
    fn float_rounds_to_the_nearest_f32_and_refuses_overflow() {
        let t = DataType::Float;
        assert_eq!(fit(Value::Float(1.5), t), Value::Float(1.5));
        assert_eq!(fit(Value::Double(0.1), t), Value::Float(0.1));
        assert_eq!(fit(Value::Double(3.4e38), t), Value::Float(3.4e38));
        assert_eq!(fit(Value::Double(1e-50), t), Value::Float(0.0));
        assert_eq!(fit(Value::Long(16_777_217), t), Value::Float(16_777_216.0));
        assert_eq!(fit(Value::Short(i16::MIN), t), Value::Float(-32768.0));
        assert_eq!(fit(Value::Bool(true), t), Value::Float(1.0));
        assert_eq!(fit(Value::Decimal(dec("0.5")), t), Value::Float(0.5));
        assert_eq!(fit("0.1", t), Value::Float(0.1));
        assert_eq!(fit("-inf", t), Value::Float(f32::NEG_INFINITY));
        assert_eq!(
            fit(Value::Double(f64::INFINITY), t),
            Value::Float(f32::INFINITY)
        );
        assert!(matches!(fit("nan", t), Value::Float(x) if x.is_nan()));
        assert!(matches!(fit(Value::Double(f64::NAN), t), Value::Float(x) if x.is_nan()));
        // Python stores infinity for these.
        refuse(Value::Double(1e300), t);
        refuse(Value::Double(-3.5e38), t);
        refuse("1e39", t);
        refuse("abc", t);
        refuse(
            Value::UtcDatetime(datetime(2024, 1, 5, 0, 0, 0).and_utc()),
            t,
        );
    }

    #[test]
    fn naive_date_takes_dates_timestamps_at_midnight_and_iso_text() {
        let t = DataType::NaiveDate;
        let day = Value::NaiveDate(date(2024, 1, 5));
        assert_eq!(fit(day.clone(), t), day);
        // Python drops the time of day; we refuse to lose it.
        refuse(Value::NaiveDatetime(datetime(2024, 1, 5, 23, 59, 59)), t);
        refuse(
            Value::UtcDatetime(datetime(2024, 1, 5, 23, 30, 0).and_utc()),
            t,
        );
        assert_eq!(
            fit(Value::NaiveDatetime(datetime(2024, 1, 5, 0, 0, 0)), t),
            day
        );
        assert_eq!(
            fit(
                Value::UtcDatetime(datetime(2024, 1, 5, 0, 0, 0).and_utc()),
                t
            ),
            day
        );
        assert_eq!(fit("2024-01-05", t), day);
        assert_eq!(fit(" 2024-01-05 ", t), day);
        assert_eq!(fit("2024-1-5", t), day);
        refuse("2024-01-05T10:00:00", t);
        refuse("2024-02-30", t);
        refuse("24-01-05", t);
        refuse("05/01/2024", t);
        refuse("", t);
        refuse(Value::Long(20_240_105), t);
        refuse(Value::Binary(vec![1]), t);
    }

    #[test]
    fn naive_datetime_takes_timestamps_dates_and_text_without_an_offset() {
        let t = DataType::NaiveDatetime;
        let at = datetime(2024, 1, 5, 10, 30, 0);
        assert_eq!(fit(Value::NaiveDatetime(at), t), Value::NaiveDatetime(at));
        assert_eq!(
            fit(Value::NaiveDate(date(2024, 1, 5)), t),
            Value::NaiveDatetime(datetime(2024, 1, 5, 0, 0, 0))
        );
        assert_eq!(
            fit(Value::UtcDatetime(at.and_utc()), t),
            Value::NaiveDatetime(at)
        );
        for text in [
            "2024-01-05T10:30:00",
            "2024-01-05 10:30:00",
            " 2024-01-05T10:30:00.000 ",
            "2024-01-05T10:30",
        ] {
            assert_eq!(fit(text, t), Value::NaiveDatetime(at), "{text}");
        }
        assert_eq!(
            fit("2024-01-05 10:30:00.5", t),
            Value::NaiveDatetime(at + chrono::Duration::milliseconds(500))
        );
        // Python stops at 6 digits.
        assert_eq!(
            fit("2024-01-05T10:30:00.123456789", t),
            Value::NaiveDatetime(at + chrono::Duration::nanoseconds(123_456_789))
        );
        refuse("2024-01-05T10:30:00Z", t);
        refuse("2024-01-05T10:30:00+02:00", t);
        refuse("2024-01-05", t);
        refuse("24-01-05T10:30:00", t);
        refuse(Value::Long(1_704_450_600), t);
    }

    #[test]
    fn utc_datetime_takes_instants_naive_values_as_utc_and_text_with_an_offset() {
        let t = DataType::UtcDatetime;
        let at = datetime(2024, 1, 5, 8, 0, 0).and_utc();
        assert_eq!(fit(Value::UtcDatetime(at), t), Value::UtcDatetime(at));
        assert_eq!(
            fit(Value::NaiveDatetime(datetime(2024, 1, 5, 8, 0, 0)), t),
            Value::UtcDatetime(at)
        );
        assert_eq!(
            fit(Value::NaiveDate(date(2024, 1, 5)), t),
            Value::UtcDatetime(datetime(2024, 1, 5, 0, 0, 0).and_utc())
        );
        for text in [
            "2024-01-05T08:00:00Z",
            "2024-01-05T10:00:00+02:00",
            "2024-01-05 10:00:00+02:00",
            "2024-01-05 10:00:00+0200",
            "2024-01-05T08:00:00.000-0000",
            "2024-01-05T06:00:00-02:00",
            " 2024-01-05T08:00:00Z ",
            "2024-1-5T8:0:0Z",
        ] {
            assert_eq!(fit(text, t), Value::UtcDatetime(at), "{text}");
        }
        assert_eq!(
            fit("2024-01-05T08:00:00.123+00:00", t),
            Value::UtcDatetime(at + chrono::Duration::milliseconds(123))
        );
        assert_eq!(
            fit("2024-01-05T08:00:00.123456789Z", t),
            Value::UtcDatetime(at + chrono::Duration::nanoseconds(123_456_789))
        );
        refuse("2024-01-05T08:00:00", t);
        refuse("2024-01-05", t);
        refuse("2024-01-05T08:00Z", t);
        refuse("24-01-05 08:00:00+00:00", t);
        refuse("yesterday", t);
        refuse(Value::Long(1_704_441_600), t);
    }

    #[test]
    fn binary_takes_bytes_only() {
        let t = DataType::Binary;
        assert_eq!(fit(vec![0_u8, 255], t), Value::Binary(vec![0, 255]));
        refuse("ab", t);
        refuse(Value::Json("[1]".into()), t);
        refuse(Value::Long(1), t);
    }

    #[test]
    fn string_takes_anything_as_its_text() {
        let t = DataType::String;
        for (value, text) in [
            (Value::from("s"), "s"),
            (Value::Long(7), "7"),
            (Value::Double(1.5), "1.5"),
            (Value::Bool(true), "true"),
            (Value::Binary(vec![0xab, 1]), "ab01"),
            (Value::Json(r#"{"a":1}"#.into()), r#"{"a":1}"#),
            (Value::Xml("<a/>".into()), "<a/>"),
            (Value::NaiveDate(date(2024, 1, 5)), "2024-01-05"),
            (
                Value::NaiveDatetime(datetime(2024, 1, 5, 10, 0, 0)),
                "2024-01-05T10:00:00.000000",
            ),
            (Value::Decimal(dec("1.50")), "1.50"),
        ] {
            assert_eq!(fit(value, t), Value::String(text.into()));
        }
    }

    #[test]
    fn xml_takes_text_only() {
        let t = DataType::Xml;
        assert_eq!(fit("<a/>", t), Value::Xml("<a/>".into()));
        // Not checked, as in Python.
        assert_eq!(fit("not xml", t), Value::Xml("not xml".into()));
        assert_eq!(fit(Value::Xml("<a/>".into()), t), Value::Xml("<a/>".into()));
        refuse(Value::Long(1), t);
        refuse(Value::Binary(b"<a/>".to_vec()), t);
        refuse(Value::Json("{}".into()), t);
    }

    #[test]
    fn json_takes_documents_and_writes_text_and_scalars_as_json_values() {
        let t = DataType::Json;
        let json = |text: &str| Value::Json(text.into());
        assert_eq!(fit(json(r#"{"a": [1]}"#), t), json(r#"{"a": [1]}"#));
        assert_eq!(fit(json("3"), t), json("3"));
        // Text is a JSON string, as Python's json.dumps makes it, even text that parses as JSON.
        assert_eq!(fit("hello", t), json(r#""hello""#));
        assert_eq!(fit(r#"{"a":1}"#, t), json(r#""{\"a\":1}""#));
        assert_eq!(fit("", t), json(r#""""#));
        assert_eq!(fit("é\n", t), json("\"é\\n\""));
        assert_eq!(fit(Value::Long(3), t), json("3"));
        assert_eq!(fit(Value::Short(-3), t), json("-3"));
        assert_eq!(fit(Value::Int(0), t), json("0"));
        assert_eq!(fit(Value::Double(1.5), t), json("1.5"));
        assert_eq!(fit(Value::Double(1e20), t), json("1e+20"));
        assert_eq!(fit(Value::Double(1.0), t), json("1.0"));
        assert_eq!(fit(Value::Float(0.1), t), json("0.1"));
        assert_eq!(fit(Value::Bool(true), t), json("true"));
        assert_eq!(
            json("{not json").coerce_to(t).unwrap_err().to_string(),
            "a value of type JSON is not a JSON document"
        );
        // Python writes `NaN` and `Infinity`, which are not JSON.
        refuse(Value::Double(f64::NAN), t);
        refuse(Value::Double(f64::INFINITY), t);
        refuse(Value::Float(f32::NEG_INFINITY), t);
        // Python refuses these (json.dumps cannot write them).
        refuse(Value::NaiveDate(date(2024, 1, 5)), t);
        refuse(
            Value::UtcDatetime(datetime(2024, 1, 5, 0, 0, 0).and_utc()),
            t,
        );
        refuse(Value::Binary(vec![1]), t);
        refuse(Value::Decimal(dec("1.5")), t);
        refuse(Value::Xml("<a/>".into()), t);
    }

    #[test]
    fn a_bool_widened_into_a_double_column_is_one_or_zero() {
        assert_eq!(
            Value::Bool(true).widen_to(DataType::Double),
            Value::Double(1.0)
        );
        assert_eq!(
            Value::Bool(false).widen_to(DataType::Double),
            Value::Double(0.0)
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
        let err = Value::Double(7.25)
            .coerce_to(DataType::Int)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "a value of type DOUBLE does not fit INT");
        let err = Value::Json("{\"password\": \"s3cret\"".into())
            .coerce_to(DataType::Json)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn json_values_keep_their_shape() {
        let v: Value = serde_json::json!({"a": [1, 2]}).into();
        assert_eq!(v, Value::Json(r#"{"a":[1,2]}"#.into()));
        assert_eq!(Value::from(serde_json::json!(3)), Value::Long(3));
        assert_eq!(Value::from(serde_json::json!(0.5)), Value::Double(0.5));
    }
}
