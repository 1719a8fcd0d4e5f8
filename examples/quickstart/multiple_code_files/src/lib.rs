//! A connector in more than one file. The sync lives here; the rules for reading the source's
//! timestamps live in their own module, [`source_timestamp`], which the sync calls and which
//! has its own tests. The source writes its timestamps in two layouts (`2024/09/24 14:30:45`
//! and `2024-09-24 10:30:45`), both meaning UTC; the table gets them as UTC_DATETIME.

pub mod source_timestamp;

use connector_core::prelude::*;

/// The emulated source: two events, their timestamps in the two layouts.
const SOURCE_EVENTS: [(&str, &str); 2] = [
    ("Event1", "2024/09/24 14:30:45"),
    ("Event2", "2024-09-24 10:30:45"),
];

/// One event, keyed by its name.
#[table(name = "event")]
pub struct Event {
    #[primary_key]
    pub name: String,
    pub timestamp: DateTime<Utc>,
}

#[sync(tables(Event))]
pub async fn update(ops: &Operations) -> Result<()> {
    for (name, timestamp) in SOURCE_EVENTS {
        // A timestamp in neither layout fails the sync, naming the text it could not read.
        let timestamp = source_timestamp::parse(timestamp)
            .with_context(|| format!("reading the timestamp of event {name}"))?;
        ops.upsert(Event {
            name: name.to_string(),
            timestamp,
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

    /// The live rows of `event` as `(name, timestamp)`, in first-written order.
    fn rows(destination: &Destination) -> Vec<(Value, Value)> {
        destination
            .table("event")
            .live_rows()
            .iter()
            .map(|row| {
                (
                    row.get("name").unwrap().clone(),
                    row.get("timestamp").unwrap().clone(),
                )
            })
            .collect()
    }

    fn row(name: &str, (h, mi, s): (u32, u32, u32)) -> (Value, Value) {
        let timestamp = Utc.with_ymd_and_hms(2024, 9, 24, h, mi, s).unwrap();
        (Value::from(name), Value::UtcDatetime(timestamp))
    }

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `event` keyed by `name` STRING, `timestamp`
    /// UTC_DATETIME, two rows, and the state `{}`.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(destination.table_names(), ["event"]);
        assert_eq!(
            destination.table("event").columns(),
            [
                ("name", Some(DataType::String)),
                ("timestamp", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("event").primary_key(), ["name"]);
        assert_eq!(
            rows(&destination),
            [row("Event1", (14, 30, 45)), row("Event2", (10, 30, 45))]
        );
        assert_eq!(run.report.total().upserts, 2);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// The second sync starts from the first's state (`{}`), reads the same two events and
    /// upserts them over themselves: still two rows.
    #[tokio::test]
    async fn a_second_sync_from_the_first_state_leaves_the_same_table() {
        let mut destination = Destination::new();
        destination.sync::<update>(json!({})).await.unwrap();
        let second = destination.sync::<update>(json!({})).await.unwrap();
        assert_eq!(second.report.total().upserts, 2);
        assert_eq!(
            rows(&destination),
            [row("Event1", (14, 30, 45)), row("Event2", (10, 30, 45))]
        );
        assert_eq!(destination.state(), json!({}));
    }
}
