//! Where a sync reads the time: the start of the sync, and how long it has run. A trait, so that
//! tests can run a sync at a chosen time and let time pass inside it.

use connector_core::chrono::{DateTime, SubsecRound, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time, to the microsecond (what the state keeps, as Python does).
    fn now(&self) -> DateTime<Utc>;
}

/// The real time: what a sync in production reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A time that does not move: every reading is the same instant. The configuration's `now`
/// makes one, so a sync can be replayed exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedClock(DateTime<Utc>);

impl PinnedClock {
    /// A clock stopped at `at` (to the microsecond).
    pub fn new(at: DateTime<Utc>) -> PinnedClock {
        PinnedClock(at.trunc_subsecs(6))
    }
}

impl Clock for PinnedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::chrono::TimeDelta;

    #[test]
    fn readings_are_whole_microseconds() {
        let at = SystemClock.now();
        assert_eq!(at.timestamp_subsec_nanos() % 1000, 0);
        let pinned = PinnedClock::new(at + TimeDelta::nanoseconds(999));
        assert_eq!(pinned.now(), at);
        assert_eq!(pinned.now(), pinned.now());
    }
}
