//! Priority-first sync: for a source with a long history, fetch the recent data first so that it
//! is usable at once, then fill in the history a day at a time, without letting the recent data
//! go stale meanwhile.
//!
//! Each table has two cursors ([`state::TableCursors`]). The first sync sets the incremental
//! cursor and the historical cursor to a day ago, and the historical limit to five days ago.
//! Syncs then alternate:
//! - an incremental sync fetches every table from its incremental cursor up to now, and moves
//!   the cursor to the newest user read;
//! - a historical sync walks each table's historical cursor back towards its limit, one day per
//!   step, with a checkpoint after each step, until the limit is reached or the sync has run for
//!   six hours; the next sync is then incremental, and the history goes on after it.
//!
//! Once the history is complete every sync is incremental. The source is an in-process fake
//! ([`fake_api`]); the time comes from a [`Clock`], the real one unless the configuration pins it.

pub mod clock;
pub mod fake_api;
pub mod state;
pub mod users_sync;

use connector_core::ConfigValue;
use connector_core::chrono::TimeDelta;
use connector_core::prelude::*;

pub use clock::{Clock, PinnedClock, SystemClock};
use fake_api::{FakeUsersApi, UsersApi};
pub use state::State;
use users_sync::{Direction, sync_users};

/// The tables synced priority-first, in the order each sync visits them.
pub const TABLES: [&str; 1] = ["user"];
/// How much history one historical step fetches (the original's constant says hours, and its
/// code steps by days).
pub const HISTORICAL_STEP: TimeDelta = TimeDelta::days(1);
/// How long a historical sync may run before it stops, so that the next sync brings in recent
/// data again.
pub const SYNC_DURATION_THRESHOLD: TimeDelta = TimeDelta::hours(6);

/// A user of the source.
#[table(name = "user")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    #[primary_key]
    pub id: String,
    pub name: String,
    pub email: String,
    pub address: String,
    pub company: String,
    pub job: String,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// The configuration: the source needs none; `now` pins the clock for replays.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Pinned time",
        description = "Leave empty: every sync runs at the current time. An RFC 3339 time \
                       (2025-03-04T12:00:00Z) makes every sync run as if it started then, to \
                       replay syncs exactly in tests and demos."
    )]
    pub now: Option<PinnedTime>,
}

/// A time the configuration pins the clock to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedTime(pub DateTime<Utc>);

impl ConfigValue for PinnedTime {
    fn parse(text: &str) -> Result<Self, String> {
        state::isoformat::parse(text.trim())
            .map(PinnedTime)
            .map_err(|_| "must be an RFC 3339 time such as 2025-03-04T12:00:00Z".to_string())
    }
}

impl Config {
    /// The clock the sync reads: pinned when the configuration says so, else the real one.
    pub fn clock(&self) -> Box<dyn Clock> {
        match self.now {
            Some(PinnedTime(at)) => Box::new(PinnedClock::new(at)),
            None => Box::new(SystemClock),
        }
    }
}

/// The production sync: the configured clock, and the fake source as it is when the sync starts.
#[sync(tables(User))]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let clock = config.clock();
    let api = FakeUsersApi::at(clock.now());
    priority_first_sync(ops, state, clock.as_ref(), &api).await
}

/// One priority-first sync of every table in [`TABLES`], reading the time from `clock` and the
/// users from `api`. Each pass over a table ends with a checkpoint of its cursors; the last one
/// also says which kind of sync comes next. Any error ends the sync with it: what was
/// checkpointed stays, and the next sync starts from there.
pub async fn priority_first_sync<C>(
    ops: &Operations<C>,
    state: &mut State,
    clock: &dyn Clock,
    api: &dyn UsersApi,
) -> Result<()>
where
    User: Declared<C>,
{
    let sync_start = clock.now();
    state.pfs_cursors.initialize(&TABLES, sync_start);
    if state.pfs_cursors.is_incremental_sync || history_complete(state) {
        incremental_sync(ops, state, api).await
    } else {
        historical_sync(ops, state, clock, sync_start, api).await
    }
}

/// Whether every table's history has been fetched back to its limit.
fn history_complete(state: &State) -> bool {
    TABLES
        .iter()
        .all(|table| state.pfs_cursors.table(table).history_complete())
}

/// Fetches each table from its incremental cursor up to now; the next sync is historical.
async fn incremental_sync<C>(
    ops: &Operations<C>,
    state: &mut State,
    api: &dyn UsersApi,
) -> Result<()>
where
    User: Declared<C>,
{
    let last = TABLES.len() - 1;
    for (index, table) in TABLES.into_iter().enumerate() {
        let since = state.pfs_cursors.table(table).incremental_cursor;
        sync_table(ops, api, state, table, since, Direction::Incremental).await?;
        // The last pass's checkpoint also makes the next sync historical, so that a sync
        // stopped after it is over, not one to resume.
        if index == last {
            state.pfs_cursors.is_incremental_sync = false;
        }
        ops.checkpoint(state).await?;
    }
    Ok(())
}

/// Walks each table's history back, one [`HISTORICAL_STEP`] at a time, until its limit, or
/// until the sync has run for [`SYNC_DURATION_THRESHOLD`]; the next sync is incremental.
async fn historical_sync<C>(
    ops: &Operations<C>,
    state: &mut State,
    clock: &dyn Clock,
    sync_start: DateTime<Utc>,
    api: &dyn UsersApi,
) -> Result<()>
where
    User: Declared<C>,
{
    for table in TABLES {
        while !state.pfs_cursors.table(table).history_complete() {
            let cursors = state.pfs_cursors.table(table);
            let since = (cursors.historical_cursor - HISTORICAL_STEP).max(cursors.historical_limit);
            sync_table(ops, api, state, table, since, Direction::Historical).await?;
            // Past the threshold, stop here: the next sync fetches recent data, and the history
            // resumes after it.
            let out_of_time = clock.now() - sync_start >= SYNC_DURATION_THRESHOLD;
            if out_of_time || history_complete(state) {
                state.pfs_cursors.is_incremental_sync = true;
            }
            // The step's rows, its cursor and what comes next become durable together.
            ops.checkpoint(state).await?;
            if out_of_time {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// One pass over `table`'s endpoint.
async fn sync_table<C>(
    ops: &Operations<C>,
    api: &dyn UsersApi,
    state: &mut State,
    table: &str,
    since: DateTime<Utc>,
    direction: Direction,
) -> Result<()>
where
    User: Declared<C>,
{
    match table {
        "user" => sync_users(ops, api, state, since, direction).await,
        other => bail!("no endpoint for table `{other}`"),
    }
}

#[cfg(test)]
mod tests;
