//! [`Decimal`]: an exact decimal number of up to 38 digits, every value a Fivetran DECIMAL holds.
//!
//! A 128-bit mantissa with a scale (the value is `mantissa / 10^scale`), as Arrow's Decimal128
//! and DuckDB's DECIMAL(38, s) store it, so a value travels from the connector to the wire and
//! the warehouse without passing through a narrower type. It parses, prints, compares and
//! rescales exactly and does no arithmetic: convert to `rust_decimal::Decimal` for that.
//!
//! Why not a crate's type: `rust_decimal` holds 28 digits (a DECIMAL(38, 10) value loses its
//! fraction), `bigdecimal` is unbounded and allocates, and `fastnum`'s `D128` is a floating
//! decimal whose operations round to its context; what a column needs is exactly DECIMAL(38, s)'s
//! set of values, with a refusal, never a rounding, past it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Most digits a [`Decimal`] holds, in all: Fivetran's largest DECIMAL precision.
pub const MAX_DIGITS: u8 = 38;

/// `10^38`: every mantissa is smaller in magnitude.
const MANTISSA_LIMIT: u128 = 10u128.pow(MAX_DIGITS as u32);

/// An exact decimal number of at most 38 digits, at most 38 of them after the point.
///
/// Equality and order are numeric (`1.50 == 1.5`); [`Display`](fmt::Display) keeps the scale
/// (`1.50`). Conversions from integers and from `rust_decimal::Decimal` are exact; text and
/// floats convert when the value fits ([`FromStr`], [`Decimal::from_f64`]).
///
/// ```
/// use connector_core::Decimal;
///
/// // 38 digits, which rust_decimal cannot hold.
/// let big: Decimal = "1234567890123456789012345678.0123456789".parse()?;
/// assert_eq!(big.to_string(), "1234567890123456789012345678.0123456789");
/// assert_eq!(big.scale(), 10);
///
/// // Integers past i64, without text.
/// let huge = Decimal::try_from(10_i128.pow(20))?;
/// assert_eq!(huge.to_string(), "100000000000000000000");
///
/// assert_eq!(Decimal::new(1050, 2).to_string(), "10.50");
/// assert_eq!(Decimal::new(1050, 2), Decimal::new(105, 1));
/// assert!("1e39".parse::<Decimal>().is_err());
/// # Ok::<(), connector_core::DecimalError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Decimal {
    /// Smaller than `10^38` in magnitude.
    mantissa: i128,
    /// At most 38.
    scale: u8,
}

/// Why a number has no exact [`Decimal`]. The messages never show the number (it may be
/// private).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// More than 38 significant digits.
    #[error("the number has more than 38 digits")]
    TooManyDigits,
    /// More than 38 digits after the point.
    #[error("the number has more than 38 digits after the point")]
    ScaleTooLarge,
    /// Text that is not a decimal number.
    #[error("the text is not a decimal number")]
    NotANumber,
    /// A float that is NaN or infinite.
    #[error("the float is not a finite number")]
    NotFinite,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// One.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        scale: 0,
    };

    /// `mantissa / 10^scale`, as `rust_decimal::Decimal::new` takes it.
    ///
    /// # Panics
    /// When `scale` is above 38. [`Decimal::try_new`] returns an error instead.
    pub const fn new(mantissa: i64, scale: u32) -> Decimal {
        assert!(
            scale <= MAX_DIGITS as u32,
            "a decimal has at most 38 digits after the point"
        );
        Decimal {
            mantissa: mantissa as i128,
            scale: scale as u8,
        }
    }

    /// `mantissa / 10^scale`, when the mantissa has at most 38 digits and the scale is at most 38.
    pub fn try_new(mantissa: i128, scale: u32) -> Result<Decimal, DecimalError> {
        if mantissa.unsigned_abs() >= MANTISSA_LIMIT {
            return Err(DecimalError::TooManyDigits);
        }
        let scale = u8::try_from(scale)
            .ok()
            .filter(|s| *s <= MAX_DIGITS)
            .ok_or(DecimalError::ScaleTooLarge)?;
        Ok(Decimal { mantissa, scale })
    }

    /// The digits, as an integer: the value is `mantissa / 10^scale`.
    pub const fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// The number of digits after the point.
    pub const fn scale(self) -> u32 {
        self.scale as u32
    }

    /// Whether the value is zero.
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether no digit after the point is other than zero.
    pub fn is_integer(self) -> bool {
        self.normalized().scale == 0
    }

    /// The same value at `scale` digits after the point, rounding half away from zero when
    /// digits are dropped; `None` when the result would need more than 38 digits.
    ///
    /// ```
    /// use connector_core::Decimal;
    /// assert_eq!(Decimal::new(1005, 3).rescale(2).unwrap().to_string(), "1.01");
    /// assert_eq!(Decimal::new(-1005, 3).rescale(2).unwrap().to_string(), "-1.01");
    /// assert_eq!(Decimal::new(15, 1).rescale(4).unwrap().to_string(), "1.5000");
    /// ```
    pub fn rescale(self, scale: u32) -> Option<Decimal> {
        let target = u8::try_from(scale).ok().filter(|s| *s <= MAX_DIGITS)?;
        let mantissa = match target.cmp(&self.scale) {
            Ordering::Equal => self.mantissa,
            Ordering::Greater => self
                .mantissa
                .checked_mul(pow10(target - self.scale))
                .filter(|m| m.unsigned_abs() < MANTISSA_LIMIT)?,
            Ordering::Less => {
                let divisor = pow10(self.scale - target);
                let quotient = self.mantissa / divisor;
                let remainder = (self.mantissa % divisor).unsigned_abs();
                // At most 2 * 10^38, inside u128.
                if remainder * 2 >= divisor.unsigned_abs() {
                    quotient + self.mantissa.signum()
                } else {
                    quotient
                }
            }
        };
        Decimal::try_new(mantissa, u32::from(target)).ok()
    }

    /// The value as a DECIMAL(`precision`, `scale`) column holds it: rounded half away from zero
    /// to `scale` digits after the point, then at most `precision - scale` digits before it;
    /// `None` when it does not fit.
    ///
    /// ```
    /// use connector_core::Decimal;
    /// assert_eq!(Decimal::new(99999, 3).fit(5, 2).unwrap().to_string(), "100.00");
    /// assert!(Decimal::new(999995, 3).fit(5, 2).is_none());
    /// ```
    pub fn fit(self, precision: u8, scale: u8) -> Option<Decimal> {
        if precision == 0 || precision > MAX_DIGITS || scale > precision {
            return None;
        }
        let fitted = self.rescale(u32::from(scale))?;
        (fitted.mantissa.unsigned_abs() < 10u128.pow(u32::from(precision))).then_some(fitted)
    }

    /// The decimal that a float's shortest exact text spells (`0.1_f64` is `0.1`, not the
    /// binary fraction nearest to it), as Python's `Decimal(str(x))` reads it.
    ///
    /// ```
    /// use connector_core::Decimal;
    /// assert_eq!(Decimal::from_f64(0.1).unwrap().to_string(), "0.1");
    /// assert_eq!(Decimal::from_f64(1e20).unwrap().to_string(), "100000000000000000000");
    /// assert!(Decimal::from_f64(f64::NAN).is_err());
    /// ```
    pub fn from_f64(value: f64) -> Result<Decimal, DecimalError> {
        if !value.is_finite() {
            return Err(DecimalError::NotFinite);
        }
        // `{:e}` writes the shortest digits that read back as the same float.
        format!("{value:e}").parse()
    }

    /// The nearest float.
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The integer value, when there is no fraction and it fits in an `i64`.
    pub fn to_i64(self) -> Option<i64> {
        let n = self.normalized();
        (n.scale == 0).then(|| i64::try_from(n.mantissa).ok())?
    }

    /// The same value without trailing zeros after the point.
    fn normalized(self) -> Decimal {
        let mut n = self;
        while n.scale > 0 && n.mantissa % 10 == 0 {
            n.mantissa /= 10;
            n.scale -= 1;
        }
        n
    }
}

fn pow10(exponent: u8) -> i128 {
    10i128.pow(u32::from(exponent))
}

/// Plain or scientific notation: `12`, `-0.50`, `.5`, `1e20`, `1.5E-3`. The scale is the
/// number of digits written after the point (less the exponent); zeros past 38 digits after the
/// point are dropped, any other digit past 38 is refused.
impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Decimal, DecimalError> {
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (number, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((number, exponent)) => {
                let exponent: i64 = exponent.parse().map_err(|_| DecimalError::NotANumber)?;
                (number, exponent)
            }
            None => (unsigned, 0),
        };
        let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (integer.is_empty() && fraction.is_empty())
            || !all_digits(integer)
            || !all_digits(fraction)
        {
            return Err(DecimalError::NotANumber);
        }
        // The significant digits, and the scale they are read at.
        let digits = integer.bytes().chain(fraction.bytes());
        let mut significant: Vec<u8> = digits.skip_while(|d| *d == b'0').collect();
        let mut scale = i64::try_from(fraction.len())
            .ok()
            .and_then(|f| f.checked_sub(exponent))
            .ok_or(DecimalError::TooManyDigits)?;
        if significant.is_empty() {
            return Ok(Decimal {
                mantissa: 0,
                scale: scale.clamp(0, i64::from(MAX_DIGITS)) as u8,
            });
        }
        while scale > 0
            && (significant.len() > usize::from(MAX_DIGITS) || scale > i64::from(MAX_DIGITS))
            && significant.last() == Some(&b'0')
        {
            significant.pop();
            scale -= 1;
        }
        if scale > i64::from(MAX_DIGITS) {
            return Err(DecimalError::ScaleTooLarge);
        }
        let zeros = usize::try_from(-scale.min(0)).map_err(|_| DecimalError::TooManyDigits)?;
        if significant.len().saturating_add(zeros) > usize::from(MAX_DIGITS) {
            return Err(DecimalError::TooManyDigits);
        }
        let magnitude = significant
            .iter()
            .chain(std::iter::repeat_n(&b'0', zeros))
            .fold(0i128, |m, d| m * 10 + i128::from(d - b'0'));
        Ok(Decimal {
            mantissa: if negative { -magnitude } else { magnitude },
            scale: scale.max(0) as u8,
        })
    }
}

/// The digits with a point `scale` digits from the right: `10.50`, `-0.001`, `0.00`.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        if self.mantissa < 0 {
            f.write_str("-")?;
        }
        if scale == 0 {
            return f.write_str(&digits);
        }
        if digits.len() > scale {
            let (integer, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{integer}.{fraction}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        (n.mantissa, n.scale).hash(state);
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        let (a, b) = (self.normalized(), other.normalized());
        let (low, high, reversed) = match a.scale.cmp(&b.scale) {
            Ordering::Equal => return a.mantissa.cmp(&b.mantissa),
            Ordering::Less => (a, b, false),
            Ordering::Greater => (b, a, true),
        };
        // Raising `low` to `high`'s scale overflows only when its magnitude passes 1.7 * 10^38,
        // beyond every mantissa: then it is the larger in magnitude.
        let ordering = match low.mantissa.checked_mul(pow10(high.scale - low.scale)) {
            Some(raised) => raised.cmp(&high.mantissa),
            None => low.mantissa.cmp(&0),
        };
        if reversed {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

impl std::ops::Neg for Decimal {
    type Output = Decimal;

    fn neg(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }
}

impl Default for Decimal {
    fn default() -> Decimal {
        Decimal::ZERO
    }
}

macro_rules! from_integer {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Decimal {
            fn from(n: $ty) -> Decimal {
                Decimal { mantissa: i128::from(n), scale: 0 }
            }
        }
    )*};
}

from_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

impl TryFrom<i128> for Decimal {
    type Error = DecimalError;

    fn try_from(n: i128) -> Result<Decimal, DecimalError> {
        Decimal::try_new(n, 0)
    }
}

impl TryFrom<u128> for Decimal {
    type Error = DecimalError;

    fn try_from(n: u128) -> Result<Decimal, DecimalError> {
        let n = i128::try_from(n).map_err(|_| DecimalError::TooManyDigits)?;
        Decimal::try_new(n, 0)
    }
}

impl TryFrom<f64> for Decimal {
    type Error = DecimalError;

    fn try_from(value: f64) -> Result<Decimal, DecimalError> {
        Decimal::from_f64(value)
    }
}

/// Exact: a `rust_decimal::Decimal` has at most 29 digits and 28 after the point.
impl From<rust_decimal::Decimal> for Decimal {
    fn from(d: rust_decimal::Decimal) -> Decimal {
        Decimal {
            mantissa: d.mantissa(),
            scale: d.scale() as u8,
        }
    }
}

/// Exact, when the value has at most 28 digits after the point (trailing zeros aside) and its
/// digits fit rust_decimal's 96 bits.
impl TryFrom<Decimal> for rust_decimal::Decimal {
    type Error = DecimalError;

    fn try_from(d: Decimal) -> Result<rust_decimal::Decimal, DecimalError> {
        let d = if d.scale > 28 { d.normalized() } else { d };
        if d.scale > 28 {
            return Err(DecimalError::ScaleTooLarge);
        }
        rust_decimal::Decimal::try_from_i128_with_scale(d.mantissa, d.scale())
            .map_err(|_| DecimalError::TooManyDigits)
    }
}

/// As text (`"10.50"`), so no digit is lost to a JSON reader's floats.
impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// From text, or from a JSON number (an integer exactly, a float by its shortest text).
impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number or its text")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
                text.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Decimal, E> {
                Ok(Decimal::from(n))
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Decimal, E> {
                Ok(Decimal::from(n))
            }

            fn visit_i128<E: serde::de::Error>(self, n: i128) -> Result<Decimal, E> {
                Decimal::try_from(n).map_err(E::custom)
            }

            fn visit_u128<E: serde::de::Error>(self, n: u128) -> Result<Decimal, E> {
                Decimal::try_from(n).map_err(E::custom)
            }

            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Decimal, E> {
                Decimal::from_f64(n).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse()
            .unwrap_or_else(|e| panic!("`{text}` should parse: {e}"))
    }

    #[test]
    fn text_round_trips_with_its_scale() {
        for text in [
            "0",
            "0.00",
            "1",
            "-1",
            "10.50",
            "-0.001",
            "1234567890123456789012345678.0123456789",
            "-99999999999999999999999999999999999999",
            "0.00000000000000000000000000000000000001",
            "170141183460469231731687303715884105",
        ] {
            assert_eq!(dec(text).to_string(), text);
        }
        assert_eq!(dec("+.5").to_string(), "0.5");
        assert_eq!(dec("5.").to_string(), "5");
        assert_eq!(dec("007").to_string(), "7");
        assert_eq!(dec("-0").to_string(), "0");
    }

    #[test]
    fn scientific_notation_is_read_exactly() {
        assert_eq!(dec("1e20").to_string(), "100000000000000000000");
        assert_eq!(dec("1.5E-3").to_string(), "0.0015");
        assert_eq!(dec("12.50e1").to_string(), "125.0");
        assert_eq!(dec("0e-50").to_string(), "0.".to_string() + &"0".repeat(38));
        assert_eq!(dec("1e37").to_string(), format!("1{}", "0".repeat(37)));
    }

    #[test]
    fn past_38_digits_only_zeros_after_the_point_are_dropped() {
        let forty = format!("1.{}", "0".repeat(39));
        assert_eq!(dec(&forty), Decimal::from(1));
        assert_eq!(
            "1".repeat(39).parse::<Decimal>(),
            Err(DecimalError::TooManyDigits)
        );
        assert_eq!(
            format!("0.{}1", "0".repeat(38)).parse::<Decimal>(),
            Err(DecimalError::ScaleTooLarge)
        );
        assert_eq!("1e38".parse::<Decimal>(), Err(DecimalError::TooManyDigits));
        assert_eq!(
            "1e9999999999999999999".parse::<Decimal>(),
            Err(DecimalError::NotANumber)
        );
        assert_eq!(
            "1e999999999999999999".parse::<Decimal>(),
            Err(DecimalError::TooManyDigits)
        );
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for text in ["", "-", ".", "1.2.3", "1,5", "abc", "1e", "e5", " 1", "NaN"] {
            assert_eq!(
                text.parse::<Decimal>(),
                Err(DecimalError::NotANumber),
                "{text:?}"
            );
        }
    }

    #[test]
    fn equality_and_order_are_numeric() {
        assert_eq!(dec("1.50"), dec("1.5"));
        assert!(dec("-1") < dec("0.001"));
        assert!(dec("0.1") > dec("0.09"));
        let max = dec(&"9".repeat(38));
        let tiny = dec(&format!("0.{}1", "0".repeat(36)));
        assert_eq!(max.cmp(&tiny), Ordering::Greater);
        assert_eq!(tiny.cmp(&max), Ordering::Less);
        assert!(-max < -tiny);
        let set: std::collections::HashSet<Decimal> = [dec("2.0"), dec("2")].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn rescaling_rounds_half_away_from_zero_and_refuses_overflow() {
        assert_eq!(dec("2.345").rescale(2).unwrap().to_string(), "2.35");
        assert_eq!(dec("2.344").rescale(2).unwrap().to_string(), "2.34");
        assert_eq!(dec("-2.345").rescale(0).unwrap().to_string(), "-2");
        assert_eq!(dec("-0.5").rescale(0).unwrap().to_string(), "-1");
        assert_eq!(dec(&"9".repeat(38)).rescale(1), None);
        assert_eq!(
            dec("100000000000").rescale(18).unwrap().mantissa(),
            100_000_000_000 * 10i128.pow(18)
        );
    }

    #[test]
    fn fit_checks_precision_after_rounding() {
        let value = dec("1234567890123456789012345678.0123456789");
        assert_eq!(value.fit(38, 10), Some(value));
        assert_eq!(value.fit(38, 11).map(|d| d.scale()), None);
        assert_eq!(dec("123456789.1").fit(10, 2), None);
        assert_eq!(
            dec("12345678.1").fit(10, 2).unwrap().to_string(),
            "12345678.10"
        );
        assert_eq!(dec("1").fit(0, 0), None);
        assert_eq!(dec("1").fit(5, 7), None);
    }

    #[test]
    fn conversions_are_exact() {
        assert_eq!(Decimal::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(
            Decimal::try_from(10_i128.pow(37)).unwrap().to_string(),
            format!("1{}", "0".repeat(37))
        );
        assert_eq!(
            Decimal::try_from(10_i128.pow(38)),
            Err(DecimalError::TooManyDigits)
        );
        assert_eq!(
            Decimal::try_from(u128::MAX),
            Err(DecimalError::TooManyDigits)
        );
        let r = rust_decimal::Decimal::new(-12345, 3);
        assert_eq!(Decimal::from(r).to_string(), "-12.345");
        assert_eq!(rust_decimal::Decimal::try_from(Decimal::from(r)), Ok(r));
        assert!(
            rust_decimal::Decimal::try_from(dec("1234567890123456789012345678.0123456789"))
                .is_err()
        );
        assert_eq!(
            Decimal::from_f64(-2.5e-7).unwrap().to_string(),
            "-0.00000025"
        );
        assert_eq!(dec("0.1").to_f64(), 0.1);
        assert_eq!(dec("7.000").to_i64(), Some(7));
        assert_eq!(dec("7.5").to_i64(), None);
    }

    #[test]
    fn serde_uses_text_and_reads_numbers() {
        let d = dec("1234567890123456789012345678.0123456789");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"1234567890123456789012345678.0123456789\"");
        assert_eq!(serde_json::from_str::<Decimal>(&json).unwrap(), d);
        assert_eq!(serde_json::from_str::<Decimal>("12").unwrap(), dec("12"));
        assert_eq!(
            serde_json::from_str::<Decimal>("0.25").unwrap(),
            dec("0.25")
        );
        assert!(serde_json::from_str::<Decimal>("\"x\"").is_err());
    }
}
