//! The HTTP surface: which handler answers which path, and what happens around every request
//! (numbering and injecting faults, the optional rate limit, the journal and the log line).
//!
//! Each endpoint family has its module: `auth`, `pagination`, `export`, `cursors` and
//! `incremental`. Unknown paths and wrong methods get Werkzeug's HTML 404 and 405 pages, as in
//! the original.

pub(crate) mod auth;
pub(crate) mod cursors;
pub(crate) mod export;
pub(crate) mod incremental;
pub(crate) mod pagination;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::{App, RecordedRequest, lock};
use crate::faults::Injected;
use crate::reply;

/// The router for `app`.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/auth/api_key", get(auth::api_key))
        .route("/auth/http_bearer", get(auth::http_bearer))
        .route("/auth/http_basic", get(auth::http_basic))
        .route("/auth/session_token/login", post(auth::session_login))
        .route("/auth/session_token/data", get(auth::session_data))
        .route("/pagination/page_number", get(pagination::page_number))
        .route("/pagination/offset", get(pagination::offset))
        .route("/pagination/next_page_url", get(pagination::next_page_url))
        .route("/pagination/keyset", get(pagination::keyset))
        .route("/export/csv", get(export::csv))
        .route("/cursors/companies", get(cursors::companies))
        .route(
            "/cursors/{company_id}/departments",
            get(cursors::departments),
        )
        .route("/incremental/timestamp", get(incremental::timestamp))
        .route("/incremental/step", get(incremental::step))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), around))
        .with_state(app)
}

async fn not_found() -> Response {
    reply::html(
        StatusCode::NOT_FOUND,
        "The requested URL was not found on the server. If you entered the URL manually please \
         check your spelling and try again.",
    )
}

async fn method_not_allowed() -> Response {
    reply::html(
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not allowed for the requested URL.",
    )
}

/// Runs around every request: injects a fault or passes the request on, then records it.
async fn around(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let injected = app.faults.draw(&path);
    let response = match injected {
        Some(Injected::RateLimited(retry_after)) => {
            let mut response = rate_limit_exceeded();
            if let Ok(value) = HeaderValue::from_str(&retry_after.header_value()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Injected::RateLimitedWithoutRetryAfter) => rate_limit_exceeded(),
        Some(Injected::Unavailable) => {
            reply::error(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable")
        }
        Some(Injected::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            limited(&app, request, next).await
        }
        None => limited(&app, request, next).await,
    };
    let status = response.status().as_u16();
    if app.log_requests {
        let target = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let at = chrono::Utc::now().format("%d/%b/%Y %H:%M:%S");
        eprintln!("127.0.0.1 - - [{at}] \"{method} {target} HTTP/1.1\" {status} -");
    }
    lock(&app.journal).push(RecordedRequest {
        method,
        path,
        query,
        status,
        fault: injected.map(|i| i.kind()),
    });
    response
}

/// Passes the request on, through the token bucket when the rate limit is on.
async fn limited(app: &App, request: Request, next: Next) -> Response {
    let Some(bucket) = &app.bucket else {
        return next.run(request).await;
    };
    let decision = bucket.take();
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        app.bucket_refusals.fetch_add(1, Ordering::SeqCst);
        let mut response = rate_limit_exceeded();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, decision.retry_after_seconds.into());
        response
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", u64::from(decision.limit)),
        ("x-ratelimit-remaining", decision.remaining),
        ("x-ratelimit-reset", decision.reset_seconds),
    ] {
        headers.insert(HeaderName::from_static(name), value.into());
    }
    response
}

fn rate_limit_exceeded() -> Response {
    reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
}
