//! JSON text exactly as Python's `json.dumps(value, sort_keys=True)` writes it, so that a hash of
//! that text matches the hash a Python connector computed: `", "` between items and `": "` after
//! keys, object keys sorted at every depth, every character outside printable ASCII escaped as
//! `\uXXXX` (UTF-16, lowercase hex, as `ensure_ascii=True` does), `null` for `None`, and floats as
//! Python's `repr` writes them (`1.0`, `1e+16`, `1.5e-05`).
//!
//! serde_json writes the text; [`PythonFormatter`], a `serde_json::ser::Formatter`, sets the
//! separators, the escaping and the floats, and [`dumps_sorted`] sorts the keys (serde_json keeps
//! an object's keys in insertion order when its `preserve_order` feature is on, which any crate
//! in a build can turn on, so the order is not left to its map).

use std::io;

use connector_core::serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use connector_core::serde_json::{self, Value};

/// `json.dumps(value, sort_keys=True)`.
///
/// ```
/// use hashes::python_json::dumps_sorted;
/// use connector_core::serde_json::json;
///
/// let row = json!({"last_name": "Doe", "first_name": "Zoë", "email": null, "age": 1.0});
/// assert_eq!(
///     dumps_sorted(&row),
///     r#"{"age": 1.0, "email": null, "first_name": "Zo\u00eb", "last_name": "Doe"}"#
/// );
/// ```
pub fn dumps_sorted(value: &Value) -> String {
    let mut text = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, PythonFormatter);
    Sorted(value)
        .serialize(&mut serializer)
        .expect("a JSON value serializes into memory");
    String::from_utf8(text).expect("every character outside ASCII is escaped")
}

/// A JSON value whose objects serialize with their keys sorted, at every depth. Keys compare as
/// Python compares `str`s, by code point, which is the byte order of UTF-8.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, &Sorted(value))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// The parts of Python's `json` output that differ from serde_json's compact output. Quotes,
/// backslashes and control characters are escaped by serde_json's defaults, which are Python's
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, else `\u00xx` in lowercase).
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// A run of characters that serde_json does not escape: everything but printable ASCII
    /// (space to `~`) becomes `\uXXXX`, a character beyond the BMP two of them (a surrogate
    /// pair), and DEL (0x7f) too, as Python's `ensure_ascii` does.
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            plain = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        // Python has no 32-bit float: a value reaches `json.dumps` as the double it widens to.
        self.write_f64(writer, f64::from(value))
    }
}

/// Python's `repr(float)`: the shortest digits that read back as the same double (Rust's `{:e}`
/// finds the same ones), written in fixed notation with at least one decimal when the decimal
/// point falls within -4 < position <= 16 of the first digit, and in exponent notation with a
/// sign and at least two exponent digits otherwise.
fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("the exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let digits = mantissa.replace('.', "");
    // Where the decimal point falls, counted from the first digit: 1.5 has it at 1.
    let point = exponent + 1;
    if -4 < point && point <= 16 {
        let point = usize::try_from(point).ok();
        match point {
            None | Some(0) => {
                let zeros = usize::try_from(-exponent - 1).expect("point <= 0");
                format!("{sign}0.{}{digits}", "0".repeat(zeros))
            }
            Some(point) if point >= digits.len() => {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            }
            Some(point) => format!("{sign}{}.{}", &digits[..point], &digits[point..]),
        }
    } else {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{mantissa}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::serde_json::json;

    /// Each pair: a value and what Python 3's `json.dumps(value, sort_keys=True)` writes for it
    /// (the right-hand sides were printed by CPython's standard `json` module).
    #[test]
    fn writes_what_python_writes() {
        let cases = [
            (
                json!({"b": [1, {"z": 1, "a": "é😀\u{7f}\u{0}\n/"}], "a": null, "c": true}),
                r#"{"a": null, "b": [1, {"a": "\u00e9\ud83d\ude00\u007f\u0000\n/", "z": 1}], "c": true}"#,
            ),
            (json!({}), "{}"),
            (json!([]), "[]"),
            (json!([1, [2, 3], {}]), "[1, [2, 3], {}]"),
            (
                json!("tab\there \"quoted\" back\\slash"),
                r#""tab\there \"quoted\" back\\slash""#,
            ),
            (json!("\u{8}\u{c}\r\u{1f}"), r#""\b\f\r\u001f""#),
            (json!(-12), "-12"),
            (json!(u64::MAX), "18446744073709551615"),
            (json!(false), "false"),
        ];
        for (value, python) in cases {
            assert_eq!(dumps_sorted(&value), python, "{value:?}");
        }
    }

    /// Keys sort by code point, so upper case comes before lower case and `é` after `z`.
    #[test]
    fn keys_sort_by_code_point() {
        let value = json!({"é": 1, "z": 2, "Z": 3, "a": 4, "_": 5, "10": 6, "9": 7});
        assert_eq!(
            dumps_sorted(&value),
            r#"{"10": 6, "9": 7, "Z": 3, "_": 5, "a": 4, "z": 2, "\u00e9": 1}"#
        );
    }

    /// `repr(float)` as CPython prints it.
    #[test]
    fn floats_are_written_as_python_writes_them() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (0.0001, "0.0001"),
            (1.5e-05, "1.5e-05"),
            (2.5e-07, "2.5e-07"),
            (1e15, "1000000000000000.0"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (1e22, "1e+22"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-1.5e-05, "-1.5e-05"),
        ];
        for (value, python) in cases {
            assert_eq!(float_repr(value), python, "{value:e}");
            assert_eq!(dumps_sorted(&json!(value)), python, "{value:e}");
        }
        assert_eq!(float_repr(f64::NAN), "NaN");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-Infinity");
    }
}
