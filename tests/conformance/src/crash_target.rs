//! The connector of the crash sweep (tests/crash_sweep, run as the `crash_target` binary):
//! `windows` windows (default 4), each checkpointed, over two tables that take the warehouse's
//! two paths.
//!
//! - `items`, a declared table upserted in ascending key order: its rows skip staging and are
//!   appended straight to the target inside the window's transaction.
//! - `events`, a run-time table keyed by `id`: upserts that overlap the window before, an update
//!   and a delete, staged and merged at the checkpoint. Window 2 adds a column (`note`) and
//!   window 3 widens one (`amount`, from LONG to DOUBLE): schema changes inside a window.
//!
//! This package builds connector-core with its `crash-points` feature, so `CONNECTOR_CRASH_AT`
//! can kill the binary at an exact line (see connector-core's `crash` module).

use connector_core::prelude::*;

#[derive(Configuration)]
pub struct Config {
    /// Windows to sync, each ending in a checkpoint.
    #[field(default = "4")]
    pub windows: u32,
    /// Rows of each table per window.
    #[field(default = "400")]
    pub rows: u32,
    /// Milliseconds between two windows, so that a timed kill can land anywhere in the run.
    #[field(default = "5")]
    pub pause_ms: u32,
}

#[table(name = "items")]
pub struct Item {
    #[primary_key]
    pub id: i64,
    pub window: i64,
    pub label: String,
}

#[state]
#[derive(Default)]
pub struct Windows {
    pub window: u32,
}

async fn schema(_config: &Config) -> Result<Vec<TableSchema>> {
    Ok(vec![
        TableSchema::new("events").column(Column::key("id", Some(DataType::Long))),
    ])
}

/// Window 2 on has a `note` column; from window 3 on `amount` is a DOUBLE.
fn event(id: i64, window: u32) -> Row {
    let mut row = Row::new().with("id", id).with("window", i64::from(window));
    row = if window >= 3 {
        row.with("amount", id as f64 + 0.5)
    } else {
        row.with("amount", id * 10)
    };
    if window >= 2 {
        row = row.with("note", format!("event {id} of window {window}"));
    }
    row
}

#[sync(tables(Item), schema = schema)]
pub async fn update(ops: &Operations, config: &Config, state: &mut Windows) -> Result<()> {
    let rows = i64::from(config.rows);
    while state.window < config.windows {
        let window = state.window;
        let w = i64::from(window);
        for i in 0..rows {
            let id = w * rows + i;
            ops.upsert(Item {
                id,
                window: w,
                label: format!("item {id} of window {window}"),
            })
            .await?;
        }
        // Half of these keys were upserted by the window before.
        for i in 0..rows {
            ops.upsert_row("events", event(w * rows / 2 + i, window))
                .await?;
        }
        if window > 0 {
            ops.update_row("events", Row::new().with("id", 0_i64).with("window", w))
                .await?;
            ops.delete_row("events", Row::new().with("id", w * rows / 2 - 1))
                .await?;
        }
        state.window += 1;
        ops.checkpoint(state).await?;
        connector_core::tokio::time::sleep(std::time::Duration::from_millis(u64::from(
            config.pause_ms,
        )))
        .await;
    }
    Ok(())
}
