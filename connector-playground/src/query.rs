//! Reading a query string the way Flask (Werkzeug) and Python read it.
//!
//! - Pairs are split on `&`, then on the first `=`; `+` is a space, `%XX` a byte, a malformed
//!   `%` stays as it is, and bytes that are not UTF-8 become U+FFFD.
//! - When a name repeats, the first value counts (`request.args.get`).
//! - `request.args.get(name, type=int, default=d)` gives `d` when the value is not an integer,
//!   so `per_page=abc` means the default, not an error. Integers are read as Python's `int()`
//!   reads them: surrounding white space, a sign, and `_` between digits are allowed. A value
//!   too large for an `i64` is clamped, so it fails the range checks as it does in Python.

use crate::reply::Refusal;

/// A parsed query string.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses the part of a URL after `?` (nothing when there is none).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                (decode(name), decode(value))
            })
            .collect();
        Query { pairs }
    }

    /// The 400 the original answers when a parameter is not one of `allowed`:
    /// `{"error": "Unexpected query parameters: a, b"}`, the names sorted (the original lists
    /// them in Python's set order, which varies from run to run).
    pub(crate) fn reject_unexpected(&self, allowed: &[&str]) -> Result<(), Refusal> {
        let mut unexpected: Vec<&str> = self
            .pairs
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !allowed.contains(name))
            .collect();
        if unexpected.is_empty() {
            return Ok(());
        }
        unexpected.sort_unstable();
        unexpected.dedup();
        Err(Refusal::bad_request(format!(
            "Unexpected query parameters: {}",
            unexpected.join(", ")
        )))
    }

    /// The first value of `name`.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name` when non-empty (Python's truthiness of the string).
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.text(name).filter(|v| !v.is_empty())
    }

    /// The first value of `name` as an integer, `default` when absent or not an integer.
    pub(crate) fn int_or(&self, name: &str, default: i64) -> i64 {
        self.int(name).unwrap_or(default)
    }

    /// The first value of `name` as an integer, `None` when absent or not an integer.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(python_int)
    }
}

/// Reads an integer as Python's `int(str)` does; `None` where Python raises `ValueError`.
pub(crate) fn python_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = digits.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.last().is_some_and(u8::is_ascii_digit)
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.contains("__");
    if !well_formed {
        return None;
    }
    let magnitude = bytes
        .iter()
        .filter(|b| b.is_ascii_digit())
        .fold(0i64, |acc, b| {
            acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
        });
    Some(if negative { -magnitude } else { magnitude })
}

/// Percent-decodes one name or value of a query string.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.get(i + 1).and_then(|b| hex(*b));
                let low = bytes.get(i + 2).and_then(|b| hex(*b));
                match (high, low) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_werkzeug() {
        let q = Query::parse(Some("a=1+2&b=%41%zz&c&a=9&d=%E2%82%AC&e=%"));
        assert_eq!(q.text("a"), Some("1 2"));
        assert_eq!(q.text("b"), Some("A%zz"));
        assert_eq!(q.text("c"), Some(""));
        assert_eq!(q.text("d"), Some("€"));
        assert_eq!(q.text("e"), Some("%"));
        assert_eq!(q.non_empty("c"), None);
    }

    #[test]
    fn reads_integers_like_python() {
        assert_eq!(python_int(" 42 "), Some(42));
        assert_eq!(python_int("+7"), Some(7));
        assert_eq!(python_int("-3"), Some(-3));
        assert_eq!(python_int("007"), Some(7));
        assert_eq!(python_int("1_000"), Some(1000));
        assert_eq!(python_int("99999999999999999999999"), Some(i64::MAX));
        for bad in ["", "abc", "1.5", "1__0", "_1", "1_", "- 1", "0x10"] {
            assert_eq!(python_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_unexpected_names_sorted_once() {
        let q = Query::parse(Some("zeta=1&page=2&alpha=3&zeta=4"));
        assert!(q.reject_unexpected(&["page", "zeta", "alpha"]).is_ok());
        assert!(q.reject_unexpected(&["page"]).is_err());
    }
}
