//! The incremental cursor: a typed value kept in the connector's state that follows the largest
//! cursor (an `updatedAt`, an id) of the rows emitted, so the next sync asks only for what
//! changed since.
//!
//! ## The rule for rows whose cursor equals the saved one
//! - **A cursor that is not unique** (a timestamp): ask the API for rows *at or after* the saved
//!   value (`updated_since >= start`). The rows whose cursor equals it are read again and
//!   upserted again. Upserts by primary key are idempotent, so the destination ends the same;
//!   and a row that took the same timestamp after the last sync read it is not lost, which a
//!   strict `>` would do. The cost is a few rows read twice per sync.
//! - **A cursor that is unique** (an increasing id, or a `(timestamp, id)` pair when the API can
//!   filter on both, as keyset pagination does): ask for rows strictly *after* it, and nothing
//!   is read twice. Where the API can only filter with `>=` on the timestamp, drop what
//!   [`is_new`](Incremental::is_new) says was already emitted.
//!
//! Either way, [`observe`](Incremental::observe) each row's cursor after emitting it and
//! checkpoint the state: what the checkpoint saves is the largest cursor emitted up to it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An incremental cursor of type `C` (a `DateTime<Utc>`, an `i64` id, a `(DateTime<Utc>, String)`
/// pair), kept in the state.
///
/// It remembers the value the sync started from ([`start`](Incremental::start), what to ask the
/// API for) and the largest value observed since ([`last`](Incremental::last)). It serializes as
/// that largest value alone (`null` before any), so the next sync starts from it. A timestamp
/// cursor should be a typed timestamp, not a string: `"2024-01-01T00:00:00Z"` and
/// `"2024-01-01T00:00:00+00:00"` are one instant but do not compare as such.
///
/// ```
/// use connector_http::Incremental;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct State {
///     #[serde(default)]
///     users: Incremental<String>, // a timestamp in one fixed format here; prefer DateTime<Utc>
/// }
///
/// // The first sync: nothing saved, so start from the beginning.
/// let mut state = State::default();
/// let since = state.users.start_or(String::from("0001-01-01T00:00:00Z"));
/// // ... ask for `updated_since=<since>`, emit each row, then:
/// for updated_at in ["2024-03-01T10:00:00Z", "2024-03-02T09:00:00Z", "2024-02-28T00:00:00Z"] {
///     state.users.observe(updated_at.to_string());
/// }
/// assert_eq!(serde_json::to_string(&state).unwrap(), r#"{"users":"2024-03-02T09:00:00Z"}"#);
///
/// // The next sync starts from the largest value emitted.
/// let next: State = serde_json::from_str(r#"{"users":"2024-03-02T09:00:00Z"}"#).unwrap();
/// assert_eq!(next.users.start().map(String::as_str), Some("2024-03-02T09:00:00Z"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Incremental<C> {
    start: Option<C>,
    last: Option<C>,
}

impl<C> Default for Incremental<C> {
    fn default() -> Self {
        Incremental {
            start: None,
            last: None,
        }
    }
}

impl<C: Ord + Clone> Incremental<C> {
    /// A cursor with nothing saved: the first sync.
    ///
    /// ```
    /// let cursor = connector_http::Incremental::<i64>::new();
    /// assert_eq!(cursor.start(), None);
    /// ```
    pub fn new() -> Self {
        Incremental::default()
    }

    /// A cursor as a sync that saved `value` left it.
    ///
    /// ```
    /// let cursor = connector_http::Incremental::from_saved(120_i64);
    /// assert_eq!(cursor.start(), Some(&120));
    /// ```
    pub fn from_saved(value: C) -> Self {
        Incremental {
            start: Some(value.clone()),
            last: Some(value),
        }
    }

    /// The value this sync started from: what to ask the API for. `None` on the first sync.
    ///
    /// ```
    /// let cursor = connector_http::Incremental::from_saved(7_i64);
    /// let query = cursor.start().map(|id| format!("id_gt={id}"));
    /// ```
    pub fn start(&self) -> Option<&C> {
        self.start.as_ref()
    }

    /// The value this sync started from, or `initial` on the first sync.
    ///
    /// ```
    /// let cursor = connector_http::Incremental::<i64>::new();
    /// assert_eq!(cursor.start_or(0), 0);
    /// ```
    pub fn start_or(&self, initial: C) -> C {
        self.start.clone().unwrap_or(initial)
    }

    /// The largest value observed (or the saved one): what a checkpoint now saves.
    ///
    /// ```
    /// let mut cursor = connector_http::Incremental::from_saved(7_i64);
    /// cursor.observe(9);
    /// assert_eq!(cursor.last(), Some(&9));
    /// ```
    pub fn last(&self) -> Option<&C> {
        self.last.as_ref()
    }

    /// Notes the cursor of an emitted row; the largest value is kept, so the rows may come in
    /// any order.
    ///
    /// ```
    /// let mut cursor = connector_http::Incremental::new();
    /// cursor.observe(5_i64);
    /// cursor.observe(3);
    /// assert_eq!(cursor.last(), Some(&5));
    /// ```
    pub fn observe(&mut self, value: C) {
        if self.last.as_ref().is_none_or(|last| value > *last) {
            self.last = Some(value);
        }
    }

    /// Notes the cursors of many emitted rows.
    ///
    /// ```
    /// let mut cursor = connector_http::Incremental::new();
    /// cursor.observe_all([4_i64, 8, 6]);
    /// assert_eq!(cursor.last(), Some(&8));
    /// ```
    pub fn observe_all(&mut self, values: impl IntoIterator<Item = C>) {
        for value in values {
            self.observe(value);
        }
    }

    /// Whether a row with cursor `value` comes after what the last sync saved (always, on the
    /// first sync). For a unique cursor (an id, a `(timestamp, id)` pair) this drops the rows
    /// an API that filters with `>=` sends again; for a timestamp alone, keep the rows it
    /// refuses and upsert them again (see the module's rule).
    ///
    /// ```
    /// use connector_http::Incremental;
    ///
    /// // (updatedAt, id): the pair the last sync saved was emitted, later ones were not.
    /// let saved = Incremental::from_saved(("2024-03-02T09:00:00Z", "u-7"));
    /// assert!(!saved.is_new(&("2024-03-02T09:00:00Z", "u-7")));
    /// assert!(saved.is_new(&("2024-03-02T09:00:00Z", "u-8")));
    /// assert!(!saved.is_new(&("2024-03-01T00:00:00Z", "u-9")));
    /// ```
    pub fn is_new(&self, value: &C) -> bool {
        self.start.as_ref().is_none_or(|start| value > start)
    }
}

impl<C: Serialize> Serialize for Incremental<C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.last.serialize(serializer)
    }
}

impl<'de, C: Deserialize<'de> + Clone> Deserialize<'de> for Incremental<C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = Option::<C>::deserialize(deserializer)?;
        Ok(Incremental {
            start: saved.clone(),
            last: saved,
        })
    }
}
