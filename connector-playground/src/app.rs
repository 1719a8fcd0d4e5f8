//! The state every handler shares: the data, the credentials, the clock, the cursors' changing
//! copy, the faults, the rate limit and the journal of requests.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::credentials::Credentials;
use crate::data::Dataset;
use crate::faults::{FaultKind, Injector};
use crate::rate_limit::TokenBucket;
use crate::routes::cursors::CursorState;
use crate::time::Clock;

/// One request the server answered, as [`crate::Playground::requests`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query (`/pagination/keyset`).
    pub path: String,
    /// The query string as sent, without the `?`.
    pub query: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The fault injected into the answer, if one was.
    pub fault: Option<FaultKind>,
}

impl RecordedRequest {
    /// The first value of query parameter `name`, percent-decoded as the server read it.
    pub fn param(&self, name: &str) -> Option<String> {
        crate::query::Query::parse(self.query.as_deref())
            .text(name)
            .map(str::to_string)
    }
}

/// Everything the handlers read.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) data: Dataset,
    pub(crate) credentials: Credentials,
    pub(crate) clock: Clock,
    pub(crate) session_ttl_seconds: i64,
    pub(crate) cursors: Mutex<CursorState>,
    pub(crate) faults: Injector,
    pub(crate) bucket: Option<TokenBucket>,
    pub(crate) bucket_refusals: AtomicU64,
    pub(crate) journal: Mutex<Vec<RecordedRequest>>,
    /// `http://127.0.0.1:<port>`: what absolute URLs in answers start with.
    pub(crate) base_url: String,
    pub(crate) log_requests: bool,
    /// The CSV export, made on first request.
    pub(crate) csv: OnceLock<axum::body::Bytes>,
}

/// Locks a mutex, taking the data even if a thread panicked while holding it: the data here is
/// always left consistent between statements.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
