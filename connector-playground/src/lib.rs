//! A deterministic stand-in for the `fivetran-api-playground` test server (PyPI 1.1.9, MIT):
//! the same endpoints, parameters, validation, status codes and JSON shapes, with data fixed by
//! a seed, fixed credentials, and faults to inject.
//!
//! ```
//! use connector_playground::Playground;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Playground::builder().users(200).seed(7).start()?;
//! let page: serde_json::Value = serde_json::from_str(
//!     &reqwest::get(server.endpoint("/pagination/page_number?per_page=50"))
//!         .await?
//!         .text()
//!         .await?,
//! )?;
//! assert_eq!(page["total_pages"], 4);
//! // The generated data is there to compute what a connector should produce.
//! let oldest = server.data().users_by_updated_at()[0];
//! assert_eq!(page["data"][0]["id"], oldest.id.as_str());
//! # Ok(())
//! # }
//! ```
//!
//! What it serves (every path as in the original):
//!
//! | path | what |
//! |---|---|
//! | `GET /auth/api_key`, `/auth/http_bearer`, `/auth/http_basic` | the first 20 users behind `Authorization` |
//! | `POST /auth/session_token/login`, `GET /auth/session_token/data` | a session token, then the first 20 users |
//! | `GET /pagination/page_number`, `/offset`, `/next_page_url`, `/keyset` | every user, in pages |
//! | `GET /export/csv` | every user as CSV |
//! | `GET /cursors/companies`, `/cursors/{company_id}/departments` | 2 companies × 4 departments that change as they are read |
//! | `GET /incremental/timestamp`, `/incremental/step` | users since a time, users by number |
//!
//! The modules: [`data`] generates what is served, [`credentials`] holds what `/auth/*` accepts,
//! [`faults`] decides which requests fail, `rate_limit` is the original's opt-in token bucket,
//! `routes` holds one module per endpoint family, `query` reads query strings as Flask does,
//! `reply` writes the original's three kinds of answer, `time` holds the clock and the
//! timestamp format, `rng` the seeded generator, and `server` starts and stops it all.
//!
//! The crate's README lists where it differs from the original, and why.

#![warn(missing_docs)]

mod app;
pub mod credentials;
pub mod data;
pub mod faults;
mod query;
mod rate_limit;
mod reply;
mod rng;
mod routes;
mod server;
mod time;
mod words;

pub use app::RecordedRequest;
pub use credentials::Credentials;
pub use data::{Company, Dataset, Department, User};
pub use faults::{FaultCounts, FaultKind, Faults, RetryAfter};
pub use rate_limit::RateLimit;
pub use server::{
    DEFAULT_NOW, DEFAULT_PORT, DEFAULT_SEED, DEFAULT_SESSION_TOKEN_TTL, DEFAULT_USERS,
    InvalidSetting, Playground, PlaygroundBuilder,
};
