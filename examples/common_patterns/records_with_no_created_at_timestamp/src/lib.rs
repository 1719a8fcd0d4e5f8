//! Keeping every version of a record when the source says when a record changed (`updated_at`)
//! but not when it was created. With `updated_at` in the primary key beside `id`, a record that
//! changes arrives under a new key and becomes a new row instead of overwriting the old one:
//! the destination keeps one row per version, and the row of a record with the earliest
//! `_fivetran_synced` tells when it was first seen.
//!
//! Only the versions a sync sees are kept: a record updated twice between two syncs arrives once,
//! in its latest version.

use connector_core::prelude::*;

/// One version of a source record: `(id, first_name, last_name, designation, updated_at)`.
type SourceRecord = (i32, &'static str, &'static str, &'static str, &'static str);

/// The emulated source: user 123, then user 123 again after a promotion, then user 456.
const SOURCE_RECORDS: [SourceRecord; 3] = [
    (123, "John", "Doe", "Manager", "2007-12-03T10:15:30Z"),
    (123, "John", "Doe", "Senior Manager", "2008-01-04T23:44:21Z"),
    (456, "Jane", "Dalton", "VP", "2008-11-12T00:00:20Z"),
];

/// One version of a user: the key is the user's id and the time of this version.
#[table(name = "user")]
pub struct User {
    #[primary_key]
    pub id: i32,
    #[primary_key]
    pub updated_at: DateTime<Utc>,
    pub first_name: String,
    pub last_name: String,
    pub designation: String,
}

#[sync(tables(User))]
pub async fn update(ops: &Operations) -> Result<()> {
    for (id, first_name, last_name, designation, updated_at) in SOURCE_RECORDS {
        let updated_at = updated_at
            .parse::<DateTime<Utc>>()
            .with_context(|| format!("`updated_at` of user {id}: {updated_at:?}"))?;
        ops.upsert(User {
            id,
            updated_at,
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            designation: designation.to_string(),
        })
        .await?;
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

    /// Every row as `[id, updated_at, first_name, last_name, designation]`.
    fn rows(destination: &Destination) -> Vec<[Value; 5]> {
        destination
            .table("user")
            .live_rows()
            .iter()
            .map(|row| {
                ["id", "updated_at", "first_name", "last_name", "designation"]
                    .map(|column| row.get(column).unwrap().clone())
            })
            .collect()
    }

    /// The Python original's "Resulting table", row by row.
    fn python_rows() -> Vec<[Value; 5]> {
        let row = |id, (y, mo, d, h, mi, s), first: &str, last: &str, designation: &str| {
            [
                Value::Int(id),
                Value::UtcDatetime(Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()),
                Value::from(first),
                Value::from(last),
                Value::from(designation),
            ]
        };
        vec![
            row(123, (2007, 12, 3, 10, 15, 30), "John", "Doe", "Manager"),
            row(
                123,
                (2008, 1, 4, 23, 44, 21),
                "John",
                "Doe",
                "Senior Manager",
            ),
            row(456, (2008, 11, 12, 0, 0, 20), "Jane", "Dalton", "VP"),
        ]
    }

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `user` keyed by (`id` INT, `updated_at`
    /// UTC_DATETIME), the names and designation STRING, three rows (two versions of user 123),
    /// and the state `{}`.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["user"]);
        assert_eq!(
            destination.table("user").columns(),
            [
                ("id", Some(DataType::Int)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("first_name", Some(DataType::String)),
                ("last_name", Some(DataType::String)),
                ("designation", Some(DataType::String)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(
            destination.table("user").primary_key(),
            ["id", "updated_at"]
        );
        assert_eq!(rows(&destination), python_rows());
        assert_eq!(run.report.total().upserts, 3);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// The second sync starts from the first's state and reads the same three versions: the
    /// same keys, so the same three rows, upserted over themselves.
    #[tokio::test]
    async fn a_second_sync_from_the_first_state_adds_no_row() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let second = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(second.report.total().upserts, 3);
        assert_eq!(rows(&destination), python_rows());
        assert_eq!(destination.state(), json!({}));
    }
}
