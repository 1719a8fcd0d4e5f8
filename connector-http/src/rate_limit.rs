//! The client-side rate limit: at most so many requests a second or a minute, shared by every
//! clone of a client and by every task that uses one.
//!
//! It is the generic cell rate algorithm (GCRA) in a dozen lines over `tokio::time`: one instant
//! behind a mutex, the time at which the next request is due. Each attempt (retries too, and the
//! logins and token requests of the authentication) takes the next slot and sleeps until it.
//! By default requests are spread evenly (100 a minute: one every 600 ms), which no server's
//! window, fixed or sliding, can count as more than 100 a minute; [`RateLimit::burst`] lets a
//! few go at once after a quiet spell.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A client-side rate limit: `n` requests per second, per minute or per any period.
///
/// ```
/// use connector_http::{Client, RateLimit};
///
/// // The API allows 100 requests a minute: one every 600 ms.
/// let http = Client::builder("my_connector").rate_limit(RateLimit::per_minute(100)).build()?;
/// let task_http = http.clone(); // shares the same limit
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    interval: Duration,
    burst: u32,
}

impl RateLimit {
    /// At most `requests` a second. Panics when `requests` is 0.
    ///
    /// ```
    /// let limit = connector_http::RateLimit::per_second(10);
    /// ```
    pub fn per_second(requests: u32) -> Self {
        RateLimit::per(requests, Duration::from_secs(1))
    }

    /// At most `requests` a minute. Panics when `requests` is 0.
    ///
    /// ```
    /// let limit = connector_http::RateLimit::per_minute(600);
    /// ```
    pub fn per_minute(requests: u32) -> Self {
        RateLimit::per(requests, Duration::from_secs(60))
    }

    /// At most `requests` each `period`. Panics when `requests` is 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// let limit = connector_http::RateLimit::per(5000, Duration::from_secs(3600));
    /// ```
    pub fn per(requests: u32, period: Duration) -> Self {
        assert!(requests > 0, "a rate limit allows at least one request");
        RateLimit {
            interval: period / requests,
            burst: 1,
        }
    }

    /// Lets up to `requests` go at once after a quiet spell, instead of spreading every request
    /// evenly (default 1). The long-run rate stays the same. Panics when `requests` is 0.
    ///
    /// ```
    /// let limit = connector_http::RateLimit::per_second(10).burst(10);
    /// ```
    pub fn burst(mut self, requests: u32) -> Self {
        assert!(requests > 0, "a burst holds at least one request");
        self.burst = requests;
        self
    }

    /// The time between two requests in the long run.
    ///
    /// ```
    /// use std::time::Duration;
    /// let limit = connector_http::RateLimit::per_minute(120);
    /// assert_eq!(limit.interval(), Duration::from_millis(500));
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// The shared state of one rate limit.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    /// How far ahead of now the next due time may run: `(burst - 1) × interval`.
    tolerance: Duration,
    /// The time the next request is due at (GCRA's "theoretical arrival time").
    due: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: &RateLimit) -> Self {
        Limiter {
            interval: limit.interval,
            tolerance: limit.interval * (limit.burst - 1),
            due: Mutex::new(None),
        }
    }

    /// Takes the next slot and waits for it. A slot taken by a future that is dropped before its
    /// time is lost, which only makes the limit stricter.
    pub(crate) async fn acquire(&self) {
        let at = {
            let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let next = due.map_or(now, |due| due.max(now));
            *due = Some(next + self.interval);
            next.checked_sub(self.tolerance)
                .map_or(now, |at| at.max(now))
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spread_evenly() {
        let limiter = Limiter::new(&RateLimit::per_second(4));
        let start = Instant::now();
        for _ in 0..9 {
            limiter.acquire().await;
        }
        // The first goes at once, the next eight 250 ms apart.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_rate_holds() {
        let limiter = Limiter::new(&RateLimit::per_second(4).burst(4));
        let start = Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // After a quiet spell the burst is back, no more.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let quiet = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(quiet.elapsed(), Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_share_the_limit() {
        let limiter = Arc::new(Limiter::new(&RateLimit::per_minute(60)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire().await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
