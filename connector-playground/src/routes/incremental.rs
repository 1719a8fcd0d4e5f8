//! `/incremental/*`: two endpoints the original serves beside pagination.
//!
//! - `/incremental/timestamp?since=...` answers `{data}`: every user with `updatedAt >= since`,
//!   oldest first (all of them without `since`).
//! - `/incremental/step?start_id=a&end_id=b` answers `{data}`: the users numbered `a` to `b`
//!   (from 1, in generation order) with `id` replaced by that number as a string. Both are
//!   required integers, `start_id >= 1` and `end_id >= start_id`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use crate::app::App;
use crate::data::User;
use crate::query::Query;
use crate::reply::{self, Refusal, Reply};
use crate::routes::pagination::since_parameter;

#[derive(Serialize)]
struct Data<T> {
    data: Vec<T>,
}

pub(crate) async fn timestamp(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(since(&app, &Query::parse(raw.as_deref())))
}

fn since(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&["since"])?;
    let after = since_parameter(query, "since")?.map_or(i64::MIN, |(seconds, _)| seconds - 1);
    let data: Vec<&User> = app
        .data
        .updated_after(after)
        .iter()
        .map(|&i| app.data.user(i))
        .collect();
    Ok(reply::json(StatusCode::OK, &Data { data }))
}

pub(crate) async fn step(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(numbered(&app, &Query::parse(raw.as_deref())))
}

fn numbered(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&["start_id", "end_id"])?;
    let (Some(start), Some(end)) = (query.int("start_id"), query.int("end_id")) else {
        return Err(Refusal::bad_request(
            "Both 'start_id' and 'end_id' parameters are required",
        ));
    };
    if start < 1 {
        return Err(Refusal::bad_request(
            "Invalid value for 'start_id'. It must be greater than or equal to 1.",
        ));
    }
    if end < start {
        return Err(Refusal::bad_request(
            "Invalid value for 'end_id'. It must be greater than or equal to 'start_id'.",
        ));
    }
    let users = app.data.users();
    let first = (start - 1).min(users.len() as i64) as usize;
    let last = end.min(users.len() as i64) as usize;
    let data: Vec<User> = users[first..last]
        .iter()
        .zip(first + 1..)
        .map(|(user, number)| User {
            id: number.to_string(),
            ..user.clone()
        })
        .collect();
    Ok(reply::json(StatusCode::OK, &Data { data }))
}
