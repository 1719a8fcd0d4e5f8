//! One pass over the `user` endpoint, forwards (recent data) or over one stretch of history:
//! the Python original's `users_sync.py`. The caller checkpoints after it.

use connector_core::chrono::{DateTime, Utc};
use connector_core::prelude::*;

use crate::User;
use crate::fake_api::UsersApi;
use crate::state::State;

/// Which cursor a pass moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Recent data: from the incremental cursor up to now, page after page; the cursor moves
    /// to the newest user read.
    Incremental,
    /// One stretch of history, from `updated_since` up to the historical cursor; the cursor
    /// moves back to `updated_since`.
    Historical,
}

/// Fetches the users updated since `updated_since`, upserts them, and moves the cursor that
/// `direction` names. A page that fails to arrive fails the pass, with the cursor unmoved.
pub async fn sync_users<C>(
    ops: &Operations<C>,
    api: &dyn UsersApi,
    state: &mut State,
    updated_since: DateTime<Utc>,
    direction: Direction,
) -> Result<()>
where
    User: Declared<C>,
{
    let historical_cursor = state.pfs_cursors.table("user").historical_cursor;
    let mut page_start = updated_since;
    let mut last_updated_at = updated_since;
    loop {
        let page = api
            .users_since(page_start)
            .with_context(|| format!("fetching the users updated since {page_start}"))?;
        if page.data.is_empty() {
            break;
        }
        for user in page.data {
            // The API returns users oldest first: the last one read is the newest.
            last_updated_at = user.updated_at;
            ops.upsert(user).await?;
        }
        // A stretch of history ends where the history fetched so far begins.
        if direction == Direction::Historical && last_updated_at >= historical_cursor {
            break;
        }
        if !page.has_more {
            break;
        }
        // The next page starts at the newest user read, which it reads again.
        page_start = last_updated_at;
    }
    let cursors = state.pfs_cursors.table_mut("user");
    match direction {
        Direction::Incremental => cursors.incremental_cursor = last_updated_at,
        Direction::Historical => cursors.historical_cursor = updated_since,
    }
    Ok(())
}
