//! Fault injection: on a chosen share of requests, answer 429 (with or without `Retry-After`),
//! 503, or answer late.
//!
//! The choice is deterministic: the n-th request the faults apply to draws one number from a
//! generator seeded by the fault seed and n, and the shares, taken in the order of [`FaultKind`],
//! split `[0, 1)` between the kinds. So the same seed faults the same requests of a sequential
//! client every run, and a test's fault counts are fixed numbers, not a probability.
//! (Requests that arrive at once are numbered in arrival order, which the client decides.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::rng::Rng;

/// The `Retry-After` a rate-limited answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>` (0 allowed: a client must not turn it into a tight loop).
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this long after the moment of the answer.
    HttpDate(Duration),
}

impl Default for RetryAfter {
    fn default() -> Self {
        RetryAfter::Seconds(1)
    }
}

impl RetryAfter {
    /// The header value at the moment of answering.
    pub(crate) fn header_value(&self) -> String {
        match self {
            RetryAfter::Seconds(seconds) => seconds.to_string(),
            RetryAfter::HttpDate(after) => {
                let now = SystemTime::now();
                httpdate::fmt_http_date(now.checked_add(*after).unwrap_or(now))
            }
        }
    }
}

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// 429 with a `Retry-After` header.
    RateLimited,
    /// 429 without a `Retry-After` header.
    RateLimitedWithoutRetryAfter,
    /// 503 Service Unavailable.
    Unavailable,
    /// The real answer, sent after a delay.
    Slow,
}

/// Which faults to inject, on what share of requests.
///
/// Every share is a fraction of the requests the faults apply to (all of them unless
/// [`Faults::only_under`] narrows it); the shares add up to at most 1.
///
/// ```
/// use std::time::Duration;
/// use connector_playground::{Faults, RetryAfter};
///
/// // 5 % of requests each: 429 + Retry-After: 1, bare 429, 503, and a 2-second delay.
/// let faults = Faults::none()
///     .rate_limited(0.05, RetryAfter::Seconds(1))
///     .rate_limited_without_retry_after(0.05)
///     .unavailable(0.05)
///     .slow(0.05, Duration::from_secs(2))
///     .seed(42);
/// assert_eq!(faults.total_share(), 0.2);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    rate_limited: f64,
    retry_after: RetryAfter,
    rate_limited_bare: f64,
    unavailable: f64,
    slow: f64,
    delay: Duration,
    seed: u64,
    prefixes: Vec<String>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Faults::default()
    }

    /// `share` of requests split evenly over the four kinds: 429 with `Retry-After:
    /// <retry_after_seconds>`, 429 without it, 503, and answers delayed by `delay`.
    pub fn every_kind(share: f64, retry_after_seconds: u64, delay: Duration) -> Self {
        let each = share / 4.0;
        Faults::none()
            .rate_limited(each, RetryAfter::Seconds(retry_after_seconds))
            .rate_limited_without_retry_after(each)
            .unavailable(each)
            .slow(each, delay)
    }

    /// Answers `share` of requests with 429 and `Retry-After`.
    pub fn rate_limited(mut self, share: f64, retry_after: RetryAfter) -> Self {
        self.rate_limited = share;
        self.retry_after = retry_after;
        self
    }

    /// Answers `share` of requests with 429 and no `Retry-After`.
    pub fn rate_limited_without_retry_after(mut self, share: f64) -> Self {
        self.rate_limited_bare = share;
        self
    }

    /// Answers `share` of requests with 503.
    pub fn unavailable(mut self, share: f64) -> Self {
        self.unavailable = share;
        self
    }

    /// Delays the answer to `share` of requests by `delay` (set it past the client's timeout to
    /// make it time out).
    pub fn slow(mut self, share: f64, delay: Duration) -> Self {
        self.slow = share;
        self.delay = delay;
        self
    }

    /// The seed that decides which requests fault (0 unless set).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Faults only requests whose path starts with `prefix` (`/pagination/`, say); may be
    /// called more than once. Other requests are neither faulted nor numbered.
    pub fn only_under(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }

    /// The share of requests that fault, all kinds together.
    pub fn total_share(&self) -> f64 {
        self.rate_limited + self.rate_limited_bare + self.unavailable + self.slow
    }

    /// Every share a fraction, and all of them at most 1 together.
    pub(crate) fn check(&self) -> Result<(), String> {
        let shares = [
            self.rate_limited,
            self.rate_limited_bare,
            self.unavailable,
            self.slow,
        ];
        if shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
            return Err(format!(
                "each fault share must be within 0..=1, got {shares:?}"
            ));
        }
        if self.total_share() > 1.0 + 1e-9 {
            return Err(format!(
                "the fault shares add up to {}, more than 1",
                self.total_share()
            ));
        }
        Ok(())
    }

    fn applies_to(&self, path: &str) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| path.starts_with(p.as_str()))
    }

    /// The fault for the `number`-th request the faults apply to, if any.
    fn decide(&self, number: u64) -> Option<Injected> {
        if self.total_share() <= 0.0 {
            return None;
        }
        let draw = Rng::for_item(self.seed, number).unit();
        let mut bound = self.rate_limited;
        if draw < bound {
            return Some(Injected::RateLimited(self.retry_after));
        }
        bound += self.rate_limited_bare;
        if draw < bound {
            return Some(Injected::RateLimitedWithoutRetryAfter);
        }
        bound += self.unavailable;
        if draw < bound {
            return Some(Injected::Unavailable);
        }
        bound += self.slow;
        if draw < bound {
            return Some(Injected::Slow(self.delay));
        }
        None
    }
}

/// How many requests the faults applied to, and what was injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests the faults applied to (every request, unless [`Faults::only_under`] narrowed it),
    /// faulted or not.
    pub requests: u64,
    /// 429 with `Retry-After`.
    pub rate_limited: u64,
    /// 429 without `Retry-After`.
    pub rate_limited_without_retry_after: u64,
    /// 503.
    pub unavailable: u64,
    /// Delayed answers.
    pub slow: u64,
}

impl FaultCounts {
    /// Every injected fault, all kinds together.
    pub fn faulted(&self) -> u64 {
        self.rate_limited + self.rate_limited_without_retry_after + self.unavailable + self.slow
    }
}

/// A fault decided for one request, with what the answer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    RateLimited(RetryAfter),
    RateLimitedWithoutRetryAfter,
    Unavailable,
    Slow(Duration),
}

impl Injected {
    pub(crate) fn kind(&self) -> FaultKind {
        match self {
            Injected::RateLimited(_) => FaultKind::RateLimited,
            Injected::RateLimitedWithoutRetryAfter => FaultKind::RateLimitedWithoutRetryAfter,
            Injected::Unavailable => FaultKind::Unavailable,
            Injected::Slow(_) => FaultKind::Slow,
        }
    }
}

/// The server's faults: the current settings, the request numbering and the counts.
#[derive(Debug, Default)]
pub(crate) struct Injector {
    faults: Mutex<Faults>,
    next: AtomicU64,
    counts: Mutex<FaultCounts>,
}

impl Injector {
    pub(crate) fn new(faults: Faults) -> Self {
        Injector {
            faults: Mutex::new(faults),
            ..Injector::default()
        }
    }

    /// Replaces the settings; the numbering and the counts go on.
    pub(crate) fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Numbers a request to `path` if the faults apply to it, and decides its fault.
    pub(crate) fn draw(&self, path: &str) -> Option<Injected> {
        let faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        if !faults.applies_to(path) {
            return None;
        }
        let number = self.next.fetch_add(1, Ordering::SeqCst);
        let injected = faults.decide(number);
        drop(faults);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.requests += 1;
        match injected.map(|i| i.kind()) {
            Some(FaultKind::RateLimited) => counts.rate_limited += 1,
            Some(FaultKind::RateLimitedWithoutRetryAfter) => {
                counts.rate_limited_without_retry_after += 1
            }
            Some(FaultKind::Unavailable) => counts.unavailable += 1,
            Some(FaultKind::Slow) => counts.slow += 1,
            None => {}
        }
        injected
    }

    pub(crate) fn counts(&self) -> FaultCounts {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_must_be_fractions_that_fit_in_one() {
        assert!(Faults::none().check().is_ok());
        assert!(Faults::none().unavailable(1.5).check().is_err());
        assert!(Faults::none().unavailable(-0.1).check().is_err());
        assert!(
            Faults::none()
                .unavailable(0.6)
                .slow(0.6, Duration::ZERO)
                .check()
                .is_err()
        );
        assert!(Faults::every_kind(1.0, 0, Duration::ZERO).check().is_ok());
    }

    #[test]
    fn the_same_seed_faults_the_same_requests() {
        let faults = Faults::every_kind(0.4, 1, Duration::from_millis(5)).seed(9);
        let a: Vec<_> = (0..100).map(|n| faults.decide(n)).collect();
        let b: Vec<_> = (0..100).map(|n| faults.decide(n)).collect();
        let c: Vec<_> = (0..100)
            .map(|n| faults.clone().seed(10).decide(n))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn only_under_narrows_the_requests() {
        let injector = Injector::new(Faults::none().unavailable(1.0).only_under("/pagination/"));
        assert_eq!(injector.draw("/auth/api_key"), None);
        assert_eq!(
            injector.draw("/pagination/keyset"),
            Some(Injected::Unavailable)
        );
        assert_eq!(injector.counts().requests, 1);
        assert_eq!(injector.counts().unavailable, 1);
    }
}
