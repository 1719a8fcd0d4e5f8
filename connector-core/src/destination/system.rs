//! System columns: the names `_fivetran_synced`, `_fivetran_deleted` and `_fivetran_id`, the
//! `_fivetran_` prefix that source columns may not take, the row id of a table without a primary
//! key, the clock that stamps `_fivetran_synced`, and which rows a truncate marks deleted.
//! (docs/warehouse.md, "System columns" and "Operations".)

use sha2::{Digest, Sha256};

use crate::value::Value;

/// When the destination received the operation that last wrote the row.
pub const SYNCED: &str = "_fivetran_synced";
/// Whether the row was deleted (soft delete) or truncated.
pub const DELETED: &str = "_fivetran_deleted";
/// The primary key of a table that declares none: a hash of the row (see [`row_id`]).
pub const ID: &str = "_fivetran_id";
/// Whether a destination column name is reserved for system columns: it starts with
/// `_fivetran_`, which a source column may not take (the macros refuse it at compile time with
/// the same rule, from `connector-naming`), in any case, since the warehouse's names ignore
/// case (`_Fivetran_Synced` under source naming).
pub fn is_reserved(name: &str) -> bool {
    connector_naming::is_reserved_column(&name.to_ascii_lowercase())
}

/// `_fivetran_id`: SHA-256, hex, of the compact JSON array of `[column, value as text]` pairs for
/// the non-null cells, in column-name order. Equal rows get equal ids.
///
/// ```ignore
/// use connector_core::destination::system::row_id;
/// use connector_core::Value;
/// let a = row_id([("n", &Value::Long(1)), ("m", &Value::from("x"))]);
/// let b = row_id([("m", &Value::from("x")), ("n", &Value::Long(1)), ("z", &Value::Null)]);
/// assert_eq!(a, b);
/// ```
pub fn row_id<'a>(cells: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let mut pairs: Vec<(&str, String)> = cells
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| (name, value.to_string()))
        .collect();
    pairs.sort();
    let document = serde_json::to_string(&pairs).expect("pairs of strings serialize");
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stamps operations for `_fivetran_synced` as they are received: now, in microseconds since
/// the epoch, and always later than the stamp before, so that "synced before the truncate" is
/// never ambiguous.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    last: i64,
}

impl Clock {
    /// The next stamp, in microseconds since the epoch.
    pub fn stamp(&mut self) -> i64 {
        // Straight from the system clock: chrono's `Utc::now` splits it into a date and time
        // that would only be joined again.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        self.last = now.max(self.last + 1);
        self.last
    }
}

/// Whether a truncate stamped `truncate` marks deleted a row stamped `synced`: every row synced
/// before it, and no row written after it.
pub fn truncates(synced: i64, truncate: i64) -> bool {
    synced < truncate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_id_hashes_the_non_null_cells_in_name_order() {
        let id = row_id([("b", &Value::Long(2)), ("a", &Value::from("x"))]);
        let expected: String = Sha256::digest(br#"[["a","x"],["b","2"]]"#)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(id, expected);
        assert_eq!(
            row_id([
                ("a", &Value::from("x")),
                ("c", &Value::Null),
                ("b", &Value::Long(2))
            ]),
            expected,
            "a NULL cell is as if it were absent"
        );
        assert_ne!(id, row_id([("a", &Value::from("x"))]));
    }

    #[test]
    fn stamps_always_grow() {
        let mut clock = Clock::default();
        let stamps: Vec<i64> = (0..1000).map(|_| clock.stamp()).collect();
        assert!(stamps.windows(2).all(|w| w[0] < w[1]));
        assert!(truncates(stamps[0], stamps[1]));
        assert!(!truncates(stamps[1], stamps[1]));
    }

    #[test]
    fn only_the_prefix_is_reserved() {
        assert!(is_reserved(SYNCED) && is_reserved(DELETED) && is_reserved(ID));
        assert!(is_reserved("_fivetran_anything"));
        assert!(!is_reserved("fivetran_synced"));
        assert!(!is_reserved("_fivetran"));
    }
}
