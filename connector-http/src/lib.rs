//! The HTTP toolkit of a connector: what every connector that reads an HTTP API would otherwise
//! write by hand.
//!
//! - [`Client`]: reqwest with rustls (no OpenSSL), gzip, connect and request time-outs, and a
//!   User-Agent that names the connector; cheap to clone, shared by tasks.
//! - [`Retry`]: exponential backoff with full jitter on connection errors, time-outs, `5xx`,
//!   `408` and `429`, honouring `Retry-After` (seconds or an HTTP date), each wait and the total
//!   capped, `POST` and `PATCH` retried only when the connector says so, each retry logged at
//!   WARNING.
//! - [`RateLimit`]: requests per second or per minute, shared by every clone of the client.
//! - Authentication: [`ApiKey`], [`Basic`], [`Bearer`], [`SessionToken`], [`OAuth2`] (refresh
//!   token or client credentials), or the connector's own [`Authenticate`].
//! - [`Secret`]: credentials that print `***`; URLs in errors and logs hide secret query
//!   parameters, and header values are never shown.
//! - Pagination as async streams: [`Offset`], [`PageNumber`], [`Cursor`], [`NextUrl`],
//!   [`LinkHeader`], [`HeaderToken`].
//! - [`Incremental`]: a typed cursor kept in the state that follows the largest value emitted.
//!
//! ```no_run
//! use connector_http::{ApiKey, Client, Incremental, PageNumber, RateLimit, Secret};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct User {
//!     id: String,
//!     #[serde(rename = "updatedAt")]
//!     updated_at: String,
//! }
//!
//! # async fn sync(api_key: Secret, mut cursor: Incremental<String>) -> connector_http::Result<()> {
//! let http = Client::builder("my_connector")
//!     .base_url("http://127.0.0.1:5001")
//!     .auth(ApiKey::header("Authorization", api_key).prefix("apiKey "))
//!     .rate_limit(RateLimit::per_second(20))
//!     .build()?;
//! let since = cursor.start_or(String::from("0001-01-01T00:00:00Z"));
//! let mut pages = http
//!     .get("pagination/page_number")
//!     .query("order_by", "updatedAt")
//!     .query("order_type", "asc")
//!     .query("updated_since", &since)
//!     .paginate(
//!         PageNumber::new("page")
//!             .page_size("per_page", 50)
//!             .total_pages("/total_pages")
//!             .items_at("/data"),
//!     );
//! while let Some(page) = pages.next_page().await? {
//!     for user in page.into_items_as::<User>()? {
//!         // upsert the row, then:
//!         cursor.observe(user.updated_at);
//!     }
//!     // checkpoint the state holding `cursor`
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A connector gets it as `connector_core::http`, with `connector-core`'s `http` feature; this
//! crate depends on nothing of the connector runtime. Logs go through `tracing`, which the
//! runtime writes as Fivetran log lines (a retry is a WARNING).

#![warn(missing_docs)]

mod auth;
mod client;
mod error;
mod incremental;
mod paginate;
mod rate_limit;
mod retry;
mod secret;

pub use auth::{ApiKey, Auth, Authenticate, Basic, Bearer, OAuth2, Outgoing, SessionToken, Token};
pub use client::{Client, ClientBuilder, RequestBuilder, Response};
pub use error::{BODY_START, Error, Result};
pub use incremental::Incremental;
pub use paginate::{
    Cursor, HeaderToken, LinkHeader, NextUrl, Offset, Page, PageNumber, Pages, Paginator, Pick,
};
pub use rate_limit::RateLimit;
pub use retry::Retry;
pub use secret::Secret;

/// A boxed future, as [`Authenticate`] returns them.
pub use futures_util::future::BoxFuture;
/// Stream traits, to walk [`Pages`] with `try_next`, `try_collect` and the like without naming
/// `futures-util` in the connector's `Cargo.toml`.
pub use futures_util::{Stream, StreamExt, TryStreamExt};
/// HTTP types of the API: methods, statuses, headers, URLs.
pub use reqwest::{Method, StatusCode, Url, header};
