//! `/cursors/companies` and `/cursors/{company_id}/departments`: a parent and a child table
//! whose rows change between calls.
//!
//! Both take `order_by`, `order_type` and `updated_since` as the pagination endpoints do and
//! answer `{data, total_items}`, unpaged. Before answering, each call moves the `updatedAt` of a
//! random few of the rows it serves (none to all) to the server's "now", so that a connector
//! has something new to pick up with its cursor. Here "random" is the server's seeded generator
//! and "now" the server's clock, so a test that makes the same calls sees the same changes;
//! `PlaygroundBuilder::cursor_changes(false)` turns them off.
//!
//! A `company_id` that is not an integer is a 400, an unknown one a 404.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use crate::app::{App, lock};
use crate::data::{Company, Dataset, Department, OrderBy};
use crate::query::{Query, python_int};
use crate::reply::{self, Refusal, Reply};
use crate::rng::Rng;
use crate::routes::pagination::{descending, order_by, updated_since};
use crate::time;

/// The cursors endpoints' rows, which change as they are read.
#[derive(Debug)]
pub(crate) struct CursorState {
    companies: Vec<Company>,
    departments: BTreeMap<i64, Vec<Department>>,
    rng: Rng,
    changes: bool,
}

impl CursorState {
    /// The rows as generated; `changes` says whether reading them moves some to "now".
    pub(crate) fn new(data: &Dataset, seed: u64, changes: bool) -> Self {
        let mut departments: BTreeMap<i64, Vec<Department>> = BTreeMap::new();
        for department in data.departments() {
            departments
                .entry(department.company_id)
                .or_default()
                .push(department.clone());
        }
        CursorState {
            companies: data.companies().to_vec(),
            departments,
            // Its own stream, so the changes do not depend on how many users were generated.
            rng: Rng::new(seed ^ 0xC0FF_EE00_C0FF_EE00),
            changes,
        }
    }

    /// The companies as they are now.
    pub(crate) fn companies(&self) -> Vec<Company> {
        self.companies.clone()
    }

    /// A company's departments as they are now (none for an unknown company).
    pub(crate) fn departments(&self, company_id: i64) -> Vec<Department> {
        self.departments
            .get(&company_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Which of `count` rows to move to now: a random number of them, 0 to `count`.
    fn pick_changes(&mut self, count: usize) -> Vec<usize> {
        if !self.changes {
            return Vec::new();
        }
        let k = self.rng.below(count as u64 + 1) as usize;
        self.rng.sample(count, k)
    }
}

#[derive(Serialize)]
struct Listing<T> {
    data: Vec<T>,
    total_items: usize,
}

const ALLOWED: &[&str] = &["order_by", "order_type", "updated_since"];

pub(crate) async fn companies(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(company_listing(&app, &Query::parse(raw.as_deref())))
}

fn company_listing(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(ALLOWED)?;
    let order_by = order_by(query)?;
    let descending = descending(query)?;
    let now = time::format(app.clock.now());
    let mut state = lock(&app.cursors);
    let count = state.companies.len();
    for index in state.pick_changes(count) {
        state.companies[index].updated_at = now.clone();
    }
    let rows = state.companies.clone();
    drop(state);
    let since = updated_since(query)?.map(|(seconds, _)| seconds);
    let rows = arrange(rows, since, order_by, descending, |c| {
        (&c.created_at, &c.updated_at)
    });
    Ok(listing(rows))
}

pub(crate) async fn departments(
    State(app): State<Arc<App>>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    reply::either(department_listing(
        &app,
        &company_id,
        &Query::parse(raw.as_deref()),
    ))
}

fn department_listing(app: &App, company_id: &str, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(ALLOWED)?;
    let order_by = order_by(query)?;
    let descending = descending(query)?;
    let Some(company_id) = python_int(company_id) else {
        return Err(Refusal::bad_request(
            "Invalid value for 'company_id'. 'company_id' must be an integer",
        ));
    };
    let now = time::format(app.clock.now());
    let mut state = lock(&app.cursors);
    let count = match state.departments.get(&company_id) {
        Some(departments) => departments.len(),
        None => {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("company_id '{company_id}' not found"),
            ));
        }
    };
    let changed = state.pick_changes(count);
    let rows = match state.departments.get_mut(&company_id) {
        Some(departments) => {
            for index in changed {
                departments[index].updated_at = now.clone();
            }
            departments.clone()
        }
        None => Vec::new(),
    };
    drop(state);
    let since = updated_since(query)?.map(|(seconds, _)| seconds);
    let rows = arrange(rows, since, order_by, descending, |d| {
        (&d.created_at, &d.updated_at)
    });
    Ok(listing(rows))
}

/// Keeps rows updated at or after `since`, then sorts them by the text of the `order_by` field
/// (stable, so ties keep their order in either direction, as Python's sort does).
fn arrange<T>(
    rows: Vec<T>,
    since: Option<i64>,
    order_by: OrderBy,
    descending: bool,
    times: impl Fn(&T) -> (&String, &String),
) -> Vec<T> {
    let mut rows: Vec<T> = rows
        .into_iter()
        .filter(|row| {
            since.is_none_or(|since| {
                time::parse_with_z(times(row).1).is_some_and(|updated| updated >= since)
            })
        })
        .collect();
    let key = |row: &T| -> String {
        let (created, updated) = times(row);
        match order_by {
            OrderBy::CreatedAt => created.clone(),
            OrderBy::UpdatedAt => updated.clone(),
        }
    };
    if descending {
        rows.sort_by_key(|row| std::cmp::Reverse(key(row)));
    } else {
        rows.sort_by_key(key);
    }
    rows
}

fn listing<T: Serialize>(data: Vec<T>) -> Reply {
    reply::json(
        StatusCode::OK,
        &Listing {
            total_items: data.len(),
            data,
        },
    )
}
