//! The source's timestamps: text in one of two layouts, `YYYY/MM/DD HH:MM:SS` or
//! `YYYY-MM-DD HH:MM:SS`, without a zone, always meaning UTC. A module of its own so that every
//! part of a connector that reads the source parses them one way, and so that its rules can be
//! tested apart from the sync.

use connector_core::chrono::{DateTime, NaiveDateTime, Utc};

/// The layouts the source writes, tried in this order (`chrono` format strings).
pub const FORMATS: [&str; 2] = ["%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"];

/// A timestamp in none of the [`FORMATS`]. It keeps the text: a source timestamp is not a secret,
/// and the text is what someone fixing the source needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat {
    pub text: String,
}

impl std::fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timestamp format not recognized: {:?} (expected YYYY/MM/DD HH:MM:SS or \
             YYYY-MM-DD HH:MM:SS)",
            self.text
        )
    }
}

impl std::error::Error for UnknownFormat {}

/// Parses a source timestamp as UTC.
///
/// ```
/// use multiple_code_files::source_timestamp;
///
/// let slashes = source_timestamp::parse("2024/09/24 14:30:45").unwrap();
/// let dashes = source_timestamp::parse("2024-09-24 14:30:45").unwrap();
/// assert_eq!(slashes, dashes);
/// assert_eq!(slashes.to_rfc3339(), "2024-09-24T14:30:45+00:00");
/// assert!(source_timestamp::parse("24.09.2024 14:30").is_err());
/// ```
pub fn parse(text: &str) -> Result<DateTime<Utc>, UnknownFormat> {
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
        .ok_or_else(|| UnknownFormat {
            text: text.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn both_layouts_parse_as_utc() {
        assert_eq!(
            parse("2024/09/24 14:30:45"),
            Ok(utc(2024, 9, 24, 14, 30, 45))
        );
        assert_eq!(
            parse("2024-09-24 10:30:45"),
            Ok(utc(2024, 9, 24, 10, 30, 45))
        );
    }

    /// As with Python's `strptime`, a month, day or hour may have one digit.
    #[test]
    fn single_digit_fields_are_accepted() {
        assert_eq!(parse("2024/9/4 1:02:03"), Ok(utc(2024, 9, 4, 1, 2, 3)));
    }

    #[test]
    fn other_layouts_and_impossible_dates_are_refused() {
        for text in [
            "2024-09-24T14:30:45",       // ISO 8601's `T`
            "2024-09-24 14:30:45+02:00", // a zone: the source never sends one
            "2024-09-24 14:30",          // no seconds
            "2024/09/24 14:30:45 UTC",   // trailing text
            "2024/02/30 00:00:00",       // no such day
            "",
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.text, text);
            assert!(
                error.to_string().contains("expected YYYY/MM/DD HH:MM:SS"),
                "{error}"
            );
        }
    }
}
