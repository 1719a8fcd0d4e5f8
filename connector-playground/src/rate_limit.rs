//! The original's opt-in rate limit (`playground start --rate-limit --capacity N`): one token
//! bucket for the whole server.
//!
//! Each request takes a token; an empty bucket answers 429 `{"error": "Rate limit exceeded"}`
//! with `Retry-After` (whole seconds until the next token, rounded up). While the limit is on,
//! every answer carries `X-RateLimit-Limit` (the capacity), `X-RateLimit-Remaining` (whole
//! tokens left) and `X-RateLimit-Reset` (seconds until the bucket is full, rounded up). Unlike
//! injected faults this depends on real time, as a real API's limit does.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// A token bucket's size and refill rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// The most tokens the bucket holds: the largest burst (the original's `--capacity`,
    /// default 20).
    pub capacity: u32,
    /// Tokens added per second (the original's fixed 10).
    pub per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            capacity: 20,
            per_second: 10.0,
        }
    }
}

/// What one request's token decision says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u64,
    pub(crate) reset_seconds: u64,
    pub(crate) retry_after_seconds: u64,
}

/// The bucket itself.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(limit: RateLimit) -> Self {
        TokenBucket {
            limit,
            state: Mutex::new((f64::from(limit.capacity), Instant::now())),
        }
    }

    /// Refills by the time passed, then takes a token if there is one.
    pub(crate) fn take(&self) -> Decision {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        let capacity = f64::from(self.limit.capacity);
        let rate = self.limit.per_second;
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(capacity);
        *last = now;
        let allowed = *tokens >= 1.0;
        if allowed {
            *tokens -= 1.0;
        }
        let seconds_until = |deficit: f64| {
            if rate > 0.0 && deficit > 0.0 {
                (deficit / rate).ceil() as u64
            } else {
                0
            }
        };
        Decision {
            allowed,
            limit: self.limit.capacity,
            remaining: tokens.max(0.0) as u64,
            reset_seconds: seconds_until(capacity - *tokens),
            retry_after_seconds: if *tokens >= 1.0 {
                0
            } else {
                seconds_until(1.0 - *tokens)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_capacity_is_refused() {
        let bucket = TokenBucket::new(RateLimit {
            capacity: 3,
            per_second: 0.001,
        });
        let decisions: Vec<bool> = (0..5).map(|_| bucket.take().allowed).collect();
        assert_eq!(decisions, [true, true, true, false, false]);
        let refused = bucket.take();
        assert_eq!(refused.remaining, 0);
        assert!(refused.retry_after_seconds >= 1);
    }
}
