//! `/pagination/*`: the users in pages, four ways.
//!
//! `page_number`, `offset` and `next_page_url` take `order_by` (`createdAt` or `updatedAt`,
//! default `updatedAt`), `order_type` (`asc` or `desc`, default `asc`), a page size (1 to 50,
//! default 10) and `updated_since`, which must end in `Z` and keeps users with
//! `updatedAt >= updated_since`. `keyset` takes `updated_since` on the first call and only
//! `scroll_param` after, serves 50 users a page sorted by `updatedAt`, and keeps
//! `updatedAt > ` the decoded `scroll_param`.
//!
//! Each endpoint checks its parameters in the original's order, so a request with two mistakes
//! gets the same message. Page numbers and offsets past the end give empty pages, and
//! `next_page_url` slices as Python does, so a page below 1 counts from the end.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::app::App;
use crate::data::{OrderBy, User};
use crate::query::Query;
use crate::reply::{self, Refusal, Reply};
use crate::routes::auth::python_b64decode;
use crate::time;

/// The page size when none is given.
const DEFAULT_PAGE_SIZE: i64 = 10;
/// The largest page size `page_number`, `offset` and `next_page_url` accept.
const MAX_PAGE_SIZE: i64 = 50;
/// `keyset`'s fixed page size.
const KEYSET_PAGE_SIZE: usize = 50;

pub(crate) const INVALID_ORDER_BY: &str =
    "Invalid value for 'order_by'. Use 'createdAt' or 'updatedAt'";
pub(crate) const INVALID_ORDER_TYPE: &str = "Invalid value for 'order_type'. Use 'asc' or 'desc'";
pub(crate) const INVALID_DATE_FORMAT: &str =
    "Invalid date format for 'updated_since'. Use 'YYYY-MM-DDTHH:MM:SSZ'";
pub(crate) const MISSING_Z: &str =
    "Invalid date format for 'updated_since'. Must end with 'Z' for UTC";

/// `{data, page, page_size, total_pages, total_items}`.
pub(crate) async fn page_number(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(page_number_page(&app, &Query::parse(raw.as_deref())))
}

fn page_number_page(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&[
        "order_by",
        "order_type",
        "per_page",
        "page",
        "updated_since",
    ])?;
    let order_by = order_by(query)?;
    let descending = descending(query)?;
    let per_page = page_size(query, "per_page")?;
    let page = query.int_or("page", 1);
    if page < 1 {
        return Err(bad_request(
            "Invalid value for 'page'. It must be greater than or equal to 1.",
        ));
    }
    let since = updated_since(query)?;
    let selected = app.data.select(order_by, descending, since.map(|s| s.0));
    let start = (page - 1).saturating_mul(per_page);
    let data = users(
        app,
        &selected,
        py_slice(selected.len(), start, start.saturating_add(per_page)),
    );
    let total_items = selected.len() as i64;

    #[derive(Serialize)]
    struct Page<'a> {
        data: Vec<&'a User>,
        page: i64,
        page_size: i64,
        total_pages: i64,
        total_items: i64,
    }
    Ok(reply::json(
        StatusCode::OK,
        &Page {
            data,
            page,
            page_size: per_page,
            total_pages: (total_items + per_page - 1) / per_page,
            total_items,
        },
    ))
}

/// `{data, offset, limit, total}`.
pub(crate) async fn offset(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(offset_page(&app, &Query::parse(raw.as_deref())))
}

fn offset_page(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&["order_by", "order_type", "limit", "offset", "updated_since"])?;
    let limit = page_size(query, "limit")?;
    let offset = query.int_or("offset", 0);
    if offset < 0 {
        return Err(bad_request(
            "Invalid value for 'offset'. It must be greater than or equal to 0.",
        ));
    }
    let order_by = order_by(query)?;
    let descending = descending(query)?;
    let since = updated_since(query)?;
    let selected = app.data.select(order_by, descending, since.map(|s| s.0));
    let data = users(
        app,
        &selected,
        py_slice(selected.len(), offset, offset.saturating_add(limit)),
    );

    #[derive(Serialize)]
    struct Page<'a> {
        data: Vec<&'a User>,
        offset: i64,
        limit: i64,
        total: usize,
    }
    Ok(reply::json(
        StatusCode::OK,
        &Page {
            data,
            offset,
            limit,
            total: selected.len(),
        },
    ))
}

/// `{data, total_items, page, per_page, next_page_url}`; the URL is absolute, carries every
/// parameter, and is null on the last page.
pub(crate) async fn next_page_url(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(next_page_url_page(&app, &Query::parse(raw.as_deref())))
}

fn next_page_url_page(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&[
        "order_by",
        "order_type",
        "per_page",
        "updated_since",
        "page",
    ])?;
    let order_by_text = query.text("order_by").unwrap_or("updatedAt").to_string();
    let order_type_text = query.text("order_type").unwrap_or("asc").to_string();
    let order_by = order_by(query)?;
    let descending = descending(query)?;
    let per_page = page_size(query, "per_page")?;
    let since = updated_since(query)?;
    let selected = app
        .data
        .select(order_by, descending, since.as_ref().map(|s| s.0));
    // Not checked, as in the original: page 0 and below slice from the end, as Python does.
    let page = query.int_or("page", 1);
    let start = page.saturating_sub(1).saturating_mul(per_page);
    let end = start.saturating_add(per_page);
    let data = users(app, &selected, py_slice(selected.len(), start, end));
    let next_page_url = (end < selected.len() as i64).then(|| {
        let mut url = format!(
            "{}/pagination/next_page_url?page={}&per_page={per_page}&order_by={order_by_text}&order_type={order_type_text}",
            app.base_url,
            page.saturating_add(1),
        );
        if let Some((_, text)) = &since {
            url.push_str(&format!("&updated_since={text}Z"));
        }
        url
    });

    #[derive(Serialize)]
    struct Page<'a> {
        data: Vec<&'a User>,
        total_items: usize,
        page: i64,
        per_page: i64,
        next_page_url: Option<String>,
    }
    Ok(reply::json(
        StatusCode::OK,
        &Page {
            data,
            total_items: selected.len(),
            page,
            per_page,
            next_page_url,
        },
    ))
}

/// `{data, scroll_param}`; `scroll_param` is base64 of the page's last `updatedAt`, null when no
/// user is left after this page.
pub(crate) async fn keyset(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Reply {
    reply::either(keyset_page(&app, &Query::parse(raw.as_deref())))
}

fn keyset_page(app: &App, query: &Query) -> Result<Reply, Refusal> {
    query.reject_unexpected(&["scroll_param", "updated_since"])?;
    let scroll = query.non_empty("scroll_param");
    if scroll.is_some() && query.non_empty("updated_since").is_some() {
        return Err(bad_request(
            "You can only use 'updated_since' in first request, subsequent requests should use \
             only 'scroll_param'",
        ));
    }
    let selected: &[u32] = if let Some((since, _)) = updated_since(query)? {
        app.data.updated_after(since - 1)
    } else if let Some(scroll) = scroll {
        let after = python_b64decode(scroll)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| time::parse_with_z(&text))
            .ok_or_else(|| bad_request("Invalid scroll_param value"))?;
        app.data.updated_after(after)
    } else {
        app.data.updated_after(i64::MIN)
    };
    let page = &selected[..selected.len().min(KEYSET_PAGE_SIZE)];
    let data: Vec<&User> = page.iter().map(|&i| app.data.user(i)).collect();
    let scroll_param = (selected.len() > KEYSET_PAGE_SIZE)
        .then(|| data.last().map(|last| STANDARD.encode(&last.updated_at)))
        .flatten();

    #[derive(Serialize)]
    struct Page<'a> {
        data: Vec<&'a User>,
        scroll_param: Option<String>,
    }
    Ok(reply::json(StatusCode::OK, &Page { data, scroll_param }))
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::bad_request(message)
}

/// `order_by`, `updatedAt` unless given.
pub(crate) fn order_by(query: &Query) -> Result<OrderBy, Refusal> {
    match query.text("order_by").unwrap_or("updatedAt") {
        "updatedAt" => Ok(OrderBy::UpdatedAt),
        "createdAt" => Ok(OrderBy::CreatedAt),
        _ => Err(bad_request(INVALID_ORDER_BY)),
    }
}

/// Whether `order_type` is `desc` (`asc` unless given).
pub(crate) fn descending(query: &Query) -> Result<bool, Refusal> {
    match query.text("order_type").unwrap_or("asc") {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err(bad_request(INVALID_ORDER_TYPE)),
    }
}

/// A page size parameter: 10 unless given as an integer, and then 1 to 50.
fn page_size(query: &Query, name: &str) -> Result<i64, Refusal> {
    let size = query.int_or(name, DEFAULT_PAGE_SIZE);
    if (1..=MAX_PAGE_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err(bad_request(format!(
            "Invalid value for '{name}'. It should be between 1 and 50."
        )))
    }
}

/// `updated_since` (when non-empty) as seconds since the epoch, with the text before its `Z`.
pub(crate) fn updated_since(query: &Query) -> Result<Option<(i64, String)>, Refusal> {
    since_parameter(query, "updated_since")
}

/// A timestamp parameter: it must end in `Z`, then read as `%Y-%m-%dT%H:%M:%S`.
pub(crate) fn since_parameter(query: &Query, name: &str) -> Result<Option<(i64, String)>, Refusal> {
    let Some(text) = query.non_empty(name) else {
        return Ok(None);
    };
    let Some(naive) = text.strip_suffix('Z') else {
        return Err(bad_request(MISSING_Z));
    };
    match time::parse_naive(naive) {
        Some(seconds) => Ok(Some((seconds, naive.to_string()))),
        None => Err(bad_request(INVALID_DATE_FORMAT)),
    }
}

/// The users at `range` of `selected`.
fn users<'a>(app: &'a App, selected: &[u32], range: std::ops::Range<usize>) -> Vec<&'a User> {
    selected[range].iter().map(|&i| app.data.user(i)).collect()
}

/// Python's `list[start:end]` for a list of `len` items: negative bounds count from the end,
/// and out-of-range bounds are clamped.
fn py_slice(len: usize, start: i64, end: i64) -> std::ops::Range<usize> {
    let len = len as i64;
    let clamp = |bound: i64| {
        if bound < 0 {
            (bound.saturating_add(len)).max(0)
        } else {
            bound.min(len)
        }
    };
    let (start, end) = (clamp(start), clamp(end));
    if start >= end {
        0..0
    } else {
        start as usize..end as usize
    }
}

#[cfg(test)]
mod tests {
    use super::py_slice;

    #[test]
    fn slices_like_python() {
        assert_eq!(py_slice(200, 0, 10), 0..10);
        assert_eq!(py_slice(200, 195, 205), 195..200);
        assert_eq!(py_slice(200, 300, 310), 0..0);
        // page 0 of 10: [-10:0] is empty; page -1: [-20:-10] is items 180..190.
        assert_eq!(py_slice(200, -10, 0), 0..0);
        assert_eq!(py_slice(200, -20, -10), 180..190);
        assert_eq!(py_slice(5, -20, -10), 0..0);
    }
}
