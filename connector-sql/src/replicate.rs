//! Key-based incremental replication of one table: its rows after the saved position, in
//! `(cursor, key)` order, written as upserts, with a checkpoint every N rows that saves the
//! position of the last row written (the crate's documentation states the rule).

use std::collections::BTreeMap;

use connector_core::Operations;
use connector_core::anyhow;
use connector_core::serde::{Deserialize, Serialize};
use futures_util::{TryStreamExt, pin_mut};

use crate::discover::TablePlan;
use crate::source::Source;

/// Where a table's replication stands: the cursor and the key of the last row written, each as
/// the database's text for it (`"2024-05-01 10:00:00+00"`, `["42"]`). A table without a
/// primary key saves its cursor alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "connector_core::serde")]
pub struct Position {
    /// The cursor column's value.
    pub cursor: String,
    /// The primary key's values, in key order (the cursor left out when it is a key column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
}

impl Position {
    fn from_columns(mut columns: Vec<String>) -> Position {
        let cursor = columns.remove(0);
        Position {
            cursor,
            key: columns,
        }
    }

    fn columns(&self) -> Vec<String> {
        std::iter::once(self.cursor.clone())
            .chain(self.key.iter().cloned())
            .collect()
    }
}

/// The position of each table, by `schema.table`: a SQL connector's state, or a field of it.
///
/// ```
/// use connector_sql::{Position, Positions};
/// let mut positions = Positions::default();
/// positions.set("shop.orders", Position { cursor: "2024-05-01 10:00:00+00".into(), key: vec!["42".into()] });
/// assert_eq!(
///     connector_core::serde_json::to_string(&positions).unwrap(),
///     r#"{"shop.orders":{"cursor":"2024-05-01 10:00:00+00","key":["42"]}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "connector_core::serde", transparent)]
pub struct Positions(BTreeMap<String, Position>);

impl Positions {
    /// The position of a table (`schema.table`), if it was ever checkpointed.
    pub fn get(&self, table: &str) -> Option<&Position> {
        self.0.get(table)
    }

    /// Sets the position of a table.
    pub fn set(&mut self, table: &str, position: Position) {
        self.0.insert(table.to_string(), position);
    }
}

/// What one table's replication did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicationReport {
    /// Rows upserted.
    pub rows: u64,
    /// Checkpoints taken.
    pub checkpoints: u64,
}

/// Replicates `plan`'s table from its saved position in `state` (found by `positions`) to its
/// end: each row upserted into the table of [`SourceTable::schema`](crate::SourceTable::schema),
/// the state checkpointed every `plan.checkpoint_every` rows and after the last row, with the
/// position of the last row written. A column whose type has no Fivetran type is reported once
/// as a warning. The rows stream from the database; none waits in memory for a checkpoint.
///
/// A sync that stops anywhere (an error, a kill, the database going away) resumes from its last
/// checkpoint and writes every row once: the rows after the checkpoint are read again and
/// upserted over themselves.
pub async fn replicate<C, S>(
    ops: &Operations<C>,
    source: &impl Source,
    plan: &TablePlan,
    state: &mut S,
    positions: impl Fn(&mut S) -> &mut Positions,
) -> anyhow::Result<ReplicationReport>
where
    S: Serialize,
{
    let table = plan.table.qualified_name();
    let destination = plan.table.name.as_str();
    for column in plan.table.unknown_columns() {
        ops.warning(format!(
            "column `{}` of `{table}` has type {}, which has no Fivetran type: it is sent as STRING",
            column.name, column.cast_type
        ))
        .await?;
    }
    let start = positions(state).get(&table).map(Position::columns);
    let rows = source.rows_after(plan, start.as_deref()).await?;
    pin_mut!(rows);
    let mut report = ReplicationReport::default();
    let mut since_checkpoint = 0;
    let mut last: Option<Position> = None;
    while let Some((row, position)) = rows.try_next().await? {
        let position = Position::from_columns(position);
        // Without a key, rows of one cursor value are only told apart by the value: the
        // checkpoint waits until all of them are written, at the first row of the next value.
        if !plan.has_tie_breaker()
            && since_checkpoint >= plan.checkpoint_every
            && let Some(previous) = last.take_if(|p| p.cursor != position.cursor)
        {
            checkpoint(ops, state, &positions, &table, previous, &mut report).await?;
            since_checkpoint = 0;
        }
        ops.upsert_row(destination, row).await?;
        report.rows += 1;
        since_checkpoint += 1;
        last = Some(position);
        if plan.has_tie_breaker() && since_checkpoint >= plan.checkpoint_every {
            let position = last.take().expect("the row just written");
            checkpoint(ops, state, &positions, &table, position, &mut report).await?;
            since_checkpoint = 0;
        }
    }
    if let Some(position) = last.filter(|_| since_checkpoint > 0) {
        checkpoint(ops, state, &positions, &table, position, &mut report).await?;
    }
    Ok(report)
}

async fn checkpoint<C, S: Serialize>(
    ops: &Operations<C>,
    state: &mut S,
    positions: &impl Fn(&mut S) -> &mut Positions,
    table: &str,
    position: Position,
    report: &mut ReplicationReport,
) -> anyhow::Result<()> {
    positions(state).set(table, position);
    ops.checkpoint(state).await?;
    report.checkpoints += 1;
    Ok(())
}
