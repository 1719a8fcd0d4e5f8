//! Time: the server's clock, and the one timestamp format the playground reads and writes.
//!
//! Every timestamp is `%Y-%m-%dT%H:%M:%SZ` in UTC, whole seconds. Reading follows Python's
//! `datetime.strptime`, which the original calls: month, day, hour, minute and second may have one
//! digit or two, the year has exactly four, the `T` may be lower case, and the date must exist.
//!
//! The clock is frozen at a chosen instant unless asked to follow the system clock (as the
//! binary does); a test moves a frozen clock with [`crate::Playground::advance_clock`]. Session
//! tokens expire and the cursors endpoints stamp their changes by this clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// The playground's notion of now.
#[derive(Debug)]
pub(crate) struct Clock {
    /// Seconds since the epoch when the server started.
    start: i64,
    /// When the clock follows the system clock: the instant it started.
    ticking_since: Option<Instant>,
    /// Seconds added by [`Clock::advance`].
    offset: AtomicI64,
}

impl Clock {
    /// A clock that stays at `start` until advanced.
    pub(crate) fn frozen(start: i64) -> Self {
        Clock {
            start,
            ticking_since: None,
            offset: AtomicI64::new(0),
        }
    }

    /// A clock that starts at the system time and moves with it.
    pub(crate) fn system() -> Self {
        Clock {
            start: system_now(),
            ticking_since: Some(Instant::now()),
            offset: AtomicI64::new(0),
        }
    }

    /// The instant the clock started at, in seconds since the epoch.
    pub(crate) fn start(&self) -> i64 {
        self.start
    }

    /// Now, in seconds since the epoch.
    pub(crate) fn now(&self) -> i64 {
        let elapsed = self
            .ticking_since
            .map_or(0, |since| since.elapsed().as_secs() as i64);
        // Saturating: a test may advance the clock by any amount, and a request must not panic.
        self.start
            .saturating_add(elapsed)
            .saturating_add(self.offset.load(Ordering::SeqCst))
    }

    /// Moves the clock forward by `seconds`.
    pub(crate) fn advance(&self, seconds: i64) {
        let _ = self
            .offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(seconds))
            });
    }
}

/// The system time in whole seconds since the epoch.
pub(crate) fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `seconds` since the epoch as a UTC `DateTime`.
pub(crate) fn to_datetime(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// Formats `seconds` since the epoch as `%Y-%m-%dT%H:%M:%SZ`.
pub(crate) fn format(seconds: i64) -> String {
    let t = to_datetime(seconds);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads `%Y-%m-%dT%H:%M:%S` the way Python's `strptime` does, into seconds since the epoch.
/// `None` when Python would raise `ValueError`.
pub(crate) fn parse_naive(text: &str) -> Option<i64> {
    let mut rest = text.as_bytes();
    let year = take_digits(&mut rest, 4, 4)?;
    take_literal(&mut rest, b'-')?;
    let month = take_digits(&mut rest, 1, 2)?;
    take_literal(&mut rest, b'-')?;
    let day = take_digits(&mut rest, 1, 2)?;
    if !matches!(rest.first(), Some(b'T' | b't')) {
        return None;
    }
    rest = &rest[1..];
    let hour = take_digits(&mut rest, 1, 2)?;
    take_literal(&mut rest, b':')?;
    let minute = take_digits(&mut rest, 1, 2)?;
    take_literal(&mut rest, b':')?;
    let second = take_digits(&mut rest, 1, 2)?;
    // Python's datetime has no year 0.
    if !rest.is_empty() || year == 0 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = date.and_hms_opt(hour, minute, second)?;
    Some(time.and_utc().timestamp())
}

/// Reads `%Y-%m-%dT%H:%M:%SZ` (the trailing `Z` in either case, as `strptime` matches literals).
pub(crate) fn parse_with_z(text: &str) -> Option<i64> {
    let naive = text.strip_suffix('Z').or_else(|| text.strip_suffix('z'))?;
    parse_naive(naive)
}

/// Takes `min..=max` ASCII digits from the front of `rest`. Like `strptime`'s patterns, it takes
/// as many as it can, so `2024-1-10` reads the day as `10`.
fn take_digits(rest: &mut &[u8], min: usize, max: usize) -> Option<u32> {
    let count = rest
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if count < min {
        return None;
    }
    let value = rest[..count]
        .iter()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    *rest = &rest[count..];
    Some(value)
}

fn take_literal(rest: &mut &[u8], literal: u8) -> Option<()> {
    if rest.first() == Some(&literal) {
        *rest = &rest[1..];
        Some(())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_back() {
        let t = parse_naive("2024-09-22T12:15:33").unwrap();
        assert_eq!(format(t), "2024-09-22T12:15:33Z");
        assert_eq!(parse_with_z("2024-09-22T12:15:33Z"), Some(t));
        assert_eq!(
            format(parse_naive("0001-01-01T00:00:00").unwrap()),
            "0001-01-01T00:00:00Z"
        );
    }

    #[test]
    fn reads_what_strptime_reads() {
        assert_eq!(
            parse_naive("2024-9-2t1:2:3"),
            parse_naive("2024-09-02T01:02:03")
        );
        assert!(parse_naive("2024-02-29T00:00:00").is_some());
    }

    #[test]
    fn refuses_what_strptime_refuses() {
        for bad in [
            "2023-02-29T00:00:00",
            "24-01-01T00:00:00",
            "2024-01-01 00:00:00",
            "2024-01-01T24:00:00",
            "2024-01-01T00:00:60",
            "2024-01-01T00:00:00.5",
            "2024-13-01T00:00:00",
            "0000-01-01T00:00:00",
            "",
        ] {
            assert_eq!(parse_naive(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::frozen(1000);
        assert_eq!(clock.now(), 1000);
        clock.advance(60);
        assert_eq!(clock.now(), 1060);
    }
}
