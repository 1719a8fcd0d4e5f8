//! The state of a priority-first sync, laid out as the Python original lays it out, so that a
//! state either one saved can be read by the other:
//!
//! ```json
//! {"pfs_cursors": {
//!     "user": {"incremental_cursor": "2025-03-04T12:00:00+00:00",
//!              "historical_cursor": "2025-03-03T12:00:00+00:00",
//!              "historical_limit": "2025-02-27T12:00:00+00:00"},
//!     "is_incremental_sync": false}}
//! ```
//!
//! Times are written as Python's `datetime.isoformat()` writes an aware UTC time (`+00:00`,
//! microseconds only when there are some) and read from any RFC 3339 time.

use std::collections::BTreeMap;

use connector_core::chrono::{DateTime, TimeDelta, Utc};
use connector_core::serde::{Deserialize, Serialize};
use connector_core::state;

/// How far back the first incremental sync starts, and where the history starts from.
pub const RECENT: TimeDelta = TimeDelta::days(1);
/// How far back the history goes. A real connector may go back to the epoch.
pub const HISTORY: TimeDelta = TimeDelta::days(5);

/// The whole state: the cursors of every table, under `pfs_cursors`.
#[state]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub pfs_cursors: PfsCursors,
}

/// The cursors of each table by table name, and which kind of sync comes next.
#[state]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfsCursors {
    /// Each table's cursors, keyed by table name beside `is_incremental_sync`, as Python keys
    /// them.
    #[serde(flatten)]
    pub tables: BTreeMap<String, TableCursors>,
    /// Whether the next sync fetches recent data (`true`) or a stretch of history (`false`).
    pub is_incremental_sync: bool,
}

/// A first sync (no state) is incremental.
impl Default for PfsCursors {
    fn default() -> PfsCursors {
        PfsCursors {
            tables: BTreeMap::new(),
            is_incremental_sync: true,
        }
    }
}

/// One table's two cursors: recent data is fetched forwards from `incremental_cursor`; history
/// is fetched backwards from `historical_cursor` until it reaches `historical_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "connector_core::serde")]
pub struct TableCursors {
    #[serde(with = "isoformat")]
    pub incremental_cursor: DateTime<Utc>,
    #[serde(with = "isoformat")]
    pub historical_cursor: DateTime<Utc>,
    #[serde(with = "isoformat")]
    pub historical_limit: DateTime<Utc>,
}

impl TableCursors {
    /// The cursors of a table seen for the first time at `now`: recent data is the last day,
    /// history is the four days before it.
    pub fn starting_at(now: DateTime<Utc>) -> TableCursors {
        TableCursors {
            incremental_cursor: now - RECENT,
            historical_cursor: now - RECENT,
            historical_limit: now - HISTORY,
        }
    }

    /// Whether the history has been fetched back to its limit.
    pub fn history_complete(&self) -> bool {
        self.historical_cursor <= self.historical_limit
    }
}

impl PfsCursors {
    /// Gives each of `tables` that has no cursors yet the cursors of a table first seen at `now`.
    pub fn initialize(&mut self, tables: &[&str], now: DateTime<Utc>) {
        for table in tables {
            self.tables
                .entry((*table).to_string())
                .or_insert_with(|| TableCursors::starting_at(now));
        }
    }

    /// The cursors of `table`.
    ///
    /// # Panics
    /// When `table` was not [`initialize`](PfsCursors::initialize)d.
    pub fn table(&self, table: &str) -> &TableCursors {
        self.tables
            .get(table)
            .unwrap_or_else(|| panic!("the cursors of `{table}` are initialized first"))
    }

    /// The cursors of `table`, to move them.
    ///
    /// # Panics
    /// When `table` was not [`initialize`](PfsCursors::initialize)d.
    pub fn table_mut(&mut self, table: &str) -> &mut TableCursors {
        self.tables
            .get_mut(table)
            .unwrap_or_else(|| panic!("the cursors of `{table}` are initialized first"))
    }
}

/// `datetime.isoformat()` of an aware UTC time, and its reverse for any RFC 3339 time: the serde
/// form of the state's times.
pub mod isoformat {
    use connector_core::chrono::{DateTime, Utc};
    use connector_core::serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    /// `2025-03-04T12:00:00+00:00`, or `2025-03-04T12:00:00.250000+00:00` with microseconds.
    pub fn format(at: &DateTime<Utc>) -> String {
        if at.timestamp_subsec_micros() == 0 {
            at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
        } else {
            at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
        }
    }

    /// An RFC 3339 time in any offset (`Z`, `+00:00`, `-05:00`), as UTC.
    pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.to_utc())
            .map_err(|why| format!("{text:?} is not an RFC 3339 time ({why})"))
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::chrono::TimeZone;
    use connector_core::serde_json::{self, json};

    #[test]
    fn times_are_written_as_python_writes_them_and_read_in_any_offset() {
        let noon = Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap();
        assert_eq!(isoformat::format(&noon), "2025-03-04T12:00:00+00:00");
        let later = noon + TimeDelta::microseconds(250_000);
        assert_eq!(
            isoformat::format(&later),
            "2025-03-04T12:00:00.250000+00:00"
        );
        for text in [
            "2025-03-04T12:00:00+00:00",
            "2025-03-04T12:00:00Z",
            "2025-03-04T07:00:00-05:00",
        ] {
            assert_eq!(isoformat::parse(text), Ok(noon), "{text}");
        }
        assert_eq!(
            isoformat::parse("2025-03-04T12:00:00.250000+00:00"),
            Ok(later)
        );
        // Without an offset the time is ambiguous: refused.
        assert!(isoformat::parse("2025-03-04T12:00:00").is_err());
    }

    #[test]
    fn the_state_has_the_python_originals_layout() {
        let now = Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap();
        let mut state = State::default();
        state.pfs_cursors.initialize(&["user"], now);
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(
            json,
            json!({"pfs_cursors": {
                "user": {
                    "incremental_cursor": "2025-03-03T12:00:00+00:00",
                    "historical_cursor": "2025-03-03T12:00:00+00:00",
                    "historical_limit": "2025-02-27T12:00:00+00:00",
                },
                "is_incremental_sync": true,
            }})
        );
        assert_eq!(serde_json::from_value::<State>(json).unwrap(), state);
    }

    /// A first sync, or a full re-sync, starts from `{}`; a state with cursors but without
    /// `is_incremental_sync` is incremental next, as in Python.
    #[test]
    fn missing_parts_of_the_state_take_their_defaults() {
        let empty: State = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, State::default());
        assert!(empty.pfs_cursors.is_incremental_sync);
        let partial: State = serde_json::from_value(json!({"pfs_cursors": {}})).unwrap();
        assert!(partial.pfs_cursors.is_incremental_sync);
    }

    #[test]
    fn initializing_keeps_the_cursors_a_table_has() {
        let first = Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap();
        let mut cursors = PfsCursors::default();
        cursors.initialize(&["user"], first);
        cursors.initialize(&["user"], first + TimeDelta::days(3));
        assert_eq!(cursors.table("user"), &TableCursors::starting_at(first));
        assert!(!cursors.table("user").history_complete());
    }
}
