//! A synthetic primary key for a source whose records have no field that identifies them: the
//! SHA-1 of the record itself. The record is first written as JSON exactly as Python's
//! `json.dumps(record, sort_keys=True)` writes it ([`python_json`]), so the keys are the ones
//! the Python original computes, and a table it filled can be continued by this port.
//!
//! A record that changes in any value gets a new key, so it becomes a new row: the destination
//! keeps every version of it, and a sync that reads the same records again writes nothing new.

pub mod python_json;

use connector_core::prelude::*;
use connector_core::serde_json::Value as Json;
use sha1::{Digest, Sha1};

/// The emulated source: five records as a JSON API would return them. The third and fourth have
/// `email: null`; the fifth has no `email` at all, and its hash differs from the one it would
/// have with `email: null`.
fn source_records() -> [Json; 5] {
    [
        json!({
            "first_name": "John",
            "last_name": "Doe",
            "email": "john.doe@example.com",
            "updated_at": "2007-12-03T10:15:30Z",
        }),
        // The same person, updated later.
        json!({
            "first_name": "John",
            "last_name": "Doe",
            "email": "john.doe@example.com",
            "updated_at": "2008-02-13T03:30:50Z",
        }),
        // The same again, now without an email.
        json!({
            "first_name": "John",
            "last_name": "Doe",
            "email": null,
            "updated_at": "2008-02-13T03:30:50Z",
        }),
        json!({
            "first_name": "Joe",
            "last_name": "Smith",
            "email": null,
            "updated_at": "2014-05-10T00:00:30Z",
        }),
        json!({
            "first_name": "Jane",
            "last_name": "Dalton",
            "updated_at": null,
        }),
    ]
}

/// A user, keyed by the hash of the record it was read from.
#[table(name = "user")]
#[derive(Debug)]
pub struct User {
    #[primary_key]
    pub hash_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The hash key of a record: the SHA-1, in lowercase hex, of `json.dumps(record,
/// sort_keys=True)` encoded as UTF-8, as Python's `hashlib.sha1(...).hexdigest()` gives it.
///
/// ```
/// use connector_core::serde_json::json;
///
/// let record = json!({"first_name": "Jane", "last_name": "Dalton", "updated_at": null});
/// assert_eq!(hashes::row_hash(&record), "aa1f248cbe6e71e1f36db2f09c5b68a2fbe3febb");
/// ```
pub fn row_hash(record: &Json) -> String {
    let digest = Sha1::digest(python_json::dumps_sorted(record).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl User {
    /// The row for a source record, keyed by `hash_id`. A field that is absent or `null` is
    /// NULL; a field of another JSON type, or an `updated_at` that is not an RFC 3339
    /// timestamp, is an error naming the field.
    pub fn from_record(hash_id: String, record: &Json) -> Result<User> {
        let text = |field: &str| -> Result<Option<String>> {
            match record.get(field) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(text)) => Ok(Some(text.clone())),
                Some(other) => bail!("`{field}` of user {hash_id} is not text: {other}"),
            }
        };
        let updated_at = text("updated_at")?
            .map(|text| {
                DateTime::parse_from_rfc3339(&text)
                    .map(|at| at.to_utc())
                    .with_context(|| {
                        format!(
                            "`updated_at` of user {hash_id} is not an RFC 3339 timestamp: {text:?}"
                        )
                    })
            })
            .transpose()?;
        Ok(User {
            first_name: text("first_name")?,
            last_name: text("last_name")?,
            email: text("email")?,
            updated_at,
            hash_id,
        })
    }
}

#[sync(tables(User))]
pub async fn update(ops: &Operations) -> Result<()> {
    for record in source_records() {
        // The hash covers the record as the source sent it, before it becomes a row.
        let hash_id = row_hash(&record);
        ops.upsert(User::from_record(hash_id, &record)?).await?;
    }
    // The sync keeps no state; the checkpoint saves `{}` and makes the rows durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::chrono::TimeZone;
    use connector_core::testing::Destination;

    /// The hashes in the Python original's "Resulting table" comment, record by record.
    const PYTHON_HASHES: [&str; 5] = [
        "9507eb591ddb60eb68452d06cf70696d8d5e8140",
        "7d09ec9c2cfa02549a329a36fcd0221b1ea020ab",
        "f01ca16d545bf1af5a8bbce87acc622101e1a992",
        "a211fe507efd31c94e30e91fc8883b4a68605d3d",
        "aa1f248cbe6e71e1f36db2f09c5b68a2fbe3febb",
    ];

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Value {
        Value::UtcDatetime(Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap())
    }

    fn text(value: &str) -> Value {
        Value::from(value)
    }

    /// Every row, as `[hash_id, first_name, last_name, email, updated_at]`.
    fn rows(destination: &Destination) -> Vec<[Value; 5]> {
        destination
            .table("user")
            .live_rows()
            .iter()
            .map(|row| {
                ["hash_id", "first_name", "last_name", "email", "updated_at"]
                    .map(|column| row.get(column).unwrap().clone())
            })
            .collect()
    }

    /// The Python original's "Resulting table", row by row.
    fn python_rows() -> Vec<[Value; 5]> {
        let row = |hash: &str, first: &str, last: &str, email: Option<&str>, updated_at| {
            [
                text(hash),
                text(first),
                text(last),
                email.map_or(Value::Null, text),
                updated_at,
            ]
        };
        let [h1, h2, h3, h4, h5] = PYTHON_HASHES;
        let email = Some("john.doe@example.com");
        vec![
            row(h1, "John", "Doe", email, utc(2007, 12, 3, 10, 15, 30)),
            row(h2, "John", "Doe", email, utc(2008, 2, 13, 3, 30, 50)),
            row(h3, "John", "Doe", None, utc(2008, 2, 13, 3, 30, 50)),
            row(h4, "Joe", "Smith", None, utc(2014, 5, 10, 0, 0, 30)),
            row(h5, "Jane", "Dalton", None, Value::Null),
        ]
    }

    #[test]
    fn the_hashes_are_the_python_originals() {
        let hashes: Vec<String> = source_records().iter().map(row_hash).collect();
        assert_eq!(hashes, PYTHON_HASHES);
    }

    /// `null` and a missing key are different JSON, so different keys: the fifth record with
    /// `email: null` would be another row.
    #[test]
    fn a_null_field_and_a_missing_field_hash_differently() {
        let missing = json!({"first_name": "Jane", "last_name": "Dalton", "updated_at": null});
        let null =
            json!({"first_name": "Jane", "last_name": "Dalton", "updated_at": null, "email": null});
        assert_eq!(row_hash(&missing), PYTHON_HASHES[4]);
        assert_ne!(row_hash(&null), row_hash(&missing));
        // The order the source sends the fields in does not matter.
        let reordered = json!({"updated_at": null, "last_name": "Dalton", "first_name": "Jane"});
        assert_eq!(row_hash(&reordered), PYTHON_HASHES[4]);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_an_error_naming_it() {
        let record = json!({"first_name": 7, "updated_at": null});
        let error = User::from_record("k".into(), &record).unwrap_err();
        assert_eq!(error.to_string(), "`first_name` of user k is not text: 7");
        let record = json!({"updated_at": "yesterday"});
        let error = User::from_record("k".into(), &record).unwrap_err();
        assert!(
            error.to_string().contains("not an RFC 3339 timestamp"),
            "{error}"
        );
    }

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `user` keyed by `hash_id` STRING, the names and
    /// email STRING, `updated_at` UTC_DATETIME, five rows, and the state `{}`.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["user"]);
        assert_eq!(
            destination.table("user").columns(),
            [
                ("hash_id", Some(DataType::String)),
                ("first_name", Some(DataType::String)),
                ("last_name", Some(DataType::String)),
                ("email", Some(DataType::String)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("user").primary_key(), ["hash_id"]);
        assert_eq!(rows(&destination), python_rows());
        assert_eq!(run.report.total().upserts, 5);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// The second sync starts from the first's state and reads the same records: the same
    /// hashes, so the same five rows, upserted over themselves.
    #[tokio::test]
    async fn a_second_sync_from_the_first_state_adds_no_row() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let second = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(second.report.total().upserts, 5);
        assert_eq!(rows(&destination), python_rows());
        assert_eq!(destination.state(), json!({}));
    }
}
