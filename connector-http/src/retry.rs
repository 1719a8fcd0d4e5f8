//! Retries: which failures are retried, how long to wait before the next attempt, and when to
//! give up.
//!
//! A request is retried after a connection error, a time-out, a broken body, `408`, `429` and
//! any `5xx` but `501 Not Implemented` and `505 HTTP Version Not Supported` (no later attempt can
//! change them). The wait before retry *n* is drawn uniformly from `0..=min(max_wait, base_wait ×
//! 2^(n-1))` ("full jitter", so many clients that failed together do not come back together),
//! then raised to `min_wait`. When the answer carries `Retry-After` (seconds, or an HTTP date),
//! the wait is what it says, raised to `min_wait`: `Retry-After: 0` does not become a tight loop.
//! A `Retry-After` longer than `max_wait` stops the retries at once (waiting less than the server
//! asked would only earn another refusal). Retries stop after `max_retries`, or when the next
//! wait would take the time since the first attempt past `max_total`.
//!
//! `POST` and `PATCH` (and any method that is not idempotent) are retried only when the
//! connector says so, with [`Retry::non_idempotent`] or per request: a second `POST` may create a
//! second order. A `401` is the exception: when the authentication can get a new credential (a
//! session login, an OAuth2 token) the request is sent once more with it, whatever its method,
//! since the server refused it before doing anything.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// How a client retries: how many times, how long it waits, and whether non-idempotent requests
/// are retried.
///
/// The default retries 5 times, waits from 1 s doubling (full jitter) up to 60 s a wait and 5
/// minutes in all, at least 500 ms a wait, and does not retry `POST` or `PATCH`.
///
/// ```
/// use std::time::Duration;
/// use connector_http::{Client, Retry};
///
/// let retry = Retry::default()
///     .max_retries(8)
///     .base_wait(Duration::from_millis(200))
///     .max_wait(Duration::from_secs(30))
///     .max_total(Duration::from_secs(120));
/// let http = Client::builder("my_connector").retry(retry).build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    max_retries: u32,
    base_wait: Duration,
    min_wait: Duration,
    max_wait: Duration,
    max_total: Duration,
    non_idempotent: bool,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_retries: 5,
            base_wait: Duration::from_secs(1),
            min_wait: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            max_total: Duration::from_secs(300),
            non_idempotent: false,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this long, then send the request again.
    Wait(Duration),
    /// Stop, for this reason (`after 6 attempts`, ...).
    GiveUp(String),
}

impl Retry {
    /// No retries: the first failure is the error.
    ///
    /// ```
    /// let http = connector_http::Client::builder("my_connector")
    ///     .retry(connector_http::Retry::never())
    ///     .build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn never() -> Self {
        Retry::default().max_retries(0)
    }

    /// How many times a request is sent again after it first fails (default 5).
    ///
    /// ```
    /// let retry = connector_http::Retry::default().max_retries(3);
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry, before jitter; it doubles with each retry (default 1 s).
    ///
    /// ```
    /// let retry = connector_http::Retry::default().base_wait(std::time::Duration::from_millis(250));
    /// ```
    pub fn base_wait(mut self, wait: Duration) -> Self {
        self.base_wait = wait;
        self
    }

    /// The shortest wait, whatever the jitter draws or `Retry-After` says (default 500 ms).
    ///
    /// ```
    /// let retry = connector_http::Retry::default().min_wait(std::time::Duration::from_secs(1));
    /// ```
    pub fn min_wait(mut self, wait: Duration) -> Self {
        self.min_wait = wait;
        self
    }

    /// The longest single wait (default 60 s). A `Retry-After` longer than this stops the
    /// retries.
    ///
    /// ```
    /// let retry = connector_http::Retry::default().max_wait(std::time::Duration::from_secs(10));
    /// ```
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The longest time from the first attempt to the last retry (default 5 minutes).
    ///
    /// ```
    /// let retry = connector_http::Retry::default().max_total(std::time::Duration::from_secs(60));
    /// ```
    pub fn max_total(mut self, total: Duration) -> Self {
        self.max_total = total;
        self
    }

    /// Whether `POST`, `PATCH` and other non-idempotent requests are retried too (default no).
    /// Say yes only when sending one twice does no harm (a search by `POST`, a request with an
    /// idempotency key); a single request can opt in with
    /// [`RequestBuilder::retry_non_idempotent`](crate::RequestBuilder::retry_non_idempotent).
    ///
    /// ```
    /// let retry = connector_http::Retry::default().non_idempotent(true);
    /// ```
    pub fn non_idempotent(mut self, retry: bool) -> Self {
        self.non_idempotent = retry;
        self
    }

    /// How many retries at most.
    pub(crate) fn retries(&self) -> u32 {
        self.max_retries
    }

    /// Whether a request of `method` may be retried.
    pub(crate) fn may_retry(&self, method: &Method, opted_in: bool) -> bool {
        is_idempotent(method) || self.non_idempotent || opted_in
    }

    /// What to do after `retries` retries have failed (0 after the first attempt), with the
    /// answer's `Retry-After` if it had one, `elapsed` after the first attempt started.
    pub(crate) fn next(
        &self,
        retries: u32,
        retry_after: Option<Duration>,
        elapsed: Duration,
    ) -> Next {
        if retries >= self.max_retries {
            let attempts = retries + 1;
            let plural = if attempts == 1 { "" } else { "s" };
            return Next::GiveUp(format!("after {attempts} attempt{plural}"));
        }
        let wait = match retry_after {
            Some(asked) if asked > self.max_wait => {
                return Next::GiveUp(format!(
                    "as the server asked to wait {}, longer than the longest wait of {}",
                    seconds(asked),
                    seconds(self.max_wait)
                ));
            }
            Some(asked) => asked,
            None => self.jittered(retries + 1),
        };
        let wait = wait.max(self.min_wait).min(self.max_wait);
        if elapsed + wait > self.max_total {
            return Next::GiveUp(format!(
                "after {} attempts, as the next wait of {} would pass the {} allowed in all",
                retries + 1,
                seconds(wait),
                seconds(self.max_total)
            ));
        }
        Next::Wait(wait)
    }

    /// A wait drawn uniformly from `0..=min(max_wait, base_wait × 2^(retry-1))`.
    fn jittered(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self.base_wait.saturating_mul(factor).min(self.max_wait);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// `GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT` and `DELETE` (RFC 9110, section 9.2.2).
fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// Whether an answer with `status` is worth another attempt.
pub(crate) fn is_retried_status(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error()
            && status != StatusCode::NOT_IMPLEMENTED
            && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
}

/// Whether a request that got no answer is worth another attempt: every failure but a request
/// that could not be built and a redirect loop.
pub(crate) fn is_retried_failure(error: &reqwest::Error) -> bool {
    !(error.is_builder() || error.is_redirect())
}

/// The wait a `Retry-After` header asks for, at `now`: delay-seconds, or an HTTP date (a date
/// in the past asks for no wait). An unreadable value is ignored.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A number too large for u64 is a very long wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs} s")
    } else {
        format!("{secs:.3} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn after(value: &str, now: SystemTime) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        retry_after(&headers, now)
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(after(" 0 ", now), Some(Duration::ZERO));
        let in_ten = httpdate::fmt_http_date(now + Duration::from_secs(10));
        assert_eq!(after(&in_ten, now), Some(Duration::from_secs(10)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(after(&past, now), Some(Duration::ZERO));
        assert_eq!(after("soon", now), None);
        assert_eq!(after("-5", now), None);
        assert_eq!(
            after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn waits_are_floored_capped_and_jittered() {
        let retry = Retry::default()
            .base_wait(Duration::from_secs(1))
            .min_wait(Duration::from_millis(500))
            .max_wait(Duration::from_secs(8));
        let zero = Duration::ZERO;
        // Retry-After: 0 is raised to the floor.
        assert_eq!(
            retry.next(0, Some(zero), zero),
            Next::Wait(Duration::from_millis(500))
        );
        assert_eq!(
            retry.next(0, Some(Duration::from_secs(3)), zero),
            Next::Wait(Duration::from_secs(3))
        );
        for retries in 0..5 {
            let Next::Wait(wait) = retry.next(retries, None, zero) else {
                panic!("gave up after {retries} retries");
            };
            let ceiling = Duration::from_secs(1 << retries).min(Duration::from_secs(8));
            assert!(
                wait >= Duration::from_millis(500) && wait <= ceiling,
                "{wait:?}"
            );
        }
    }

    #[test]
    fn retries_stop_at_each_cap() {
        let retry = Retry::default()
            .max_retries(2)
            .max_wait(Duration::from_secs(10))
            .max_total(Duration::from_secs(30));
        let zero = Duration::ZERO;
        assert_eq!(
            retry.next(2, None, zero),
            Next::GiveUp(String::from("after 3 attempts"))
        );
        assert_eq!(
            retry.next(0, Some(Duration::from_secs(11)), zero),
            Next::GiveUp(String::from(
                "as the server asked to wait 11 s, longer than the longest wait of 10 s"
            ))
        );
        assert_eq!(
            retry.next(1, Some(Duration::from_secs(5)), Duration::from_secs(26)),
            Next::GiveUp(String::from(
                "after 2 attempts, as the next wait of 5 s would pass the 30 s allowed in all"
            ))
        );
        assert_eq!(
            Retry::never().next(0, None, zero),
            Next::GiveUp(String::from("after 1 attempt"))
        );
    }

    #[test]
    fn statuses_and_methods() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retried_status(StatusCode::from_u16(status).unwrap()));
        }
        for status in [200, 400, 401, 403, 404, 501, 505] {
            assert!(!is_retried_status(StatusCode::from_u16(status).unwrap()));
        }
        let retry = Retry::default();
        assert!(retry.may_retry(&Method::GET, false));
        assert!(retry.may_retry(&Method::PUT, false));
        assert!(!retry.may_retry(&Method::POST, false));
        assert!(!retry.may_retry(&Method::PATCH, false));
        assert!(retry.may_retry(&Method::POST, true));
        assert!(retry.non_idempotent(true).may_retry(&Method::PATCH, false));
    }
}
