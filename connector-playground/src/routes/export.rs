//! `/export/csv`: every user as CSV, in generation order.
//!
//! A header line (`id,name,email,address,company,job,createdAt,updatedAt`), then a line per user.
//! As in the original nothing is quoted: commas, carriage returns and newlines are deleted from
//! the text fields, so a consumer can split lines on `\n` and fields on `,`. Query parameters are
//! ignored. With no users the answer is 400 `{"error": "No data available to export."}`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::app::App;
use crate::reply::{self, Reply};

pub(crate) async fn csv(State(app): State<Arc<App>>) -> Reply {
    if app.data.users().is_empty() {
        return reply::error(StatusCode::BAD_REQUEST, "No data available to export.");
    }
    let body = app.csv.get_or_init(|| Bytes::from(app.data.csv())).clone();
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=data_export.csv"),
    );
    response
}
