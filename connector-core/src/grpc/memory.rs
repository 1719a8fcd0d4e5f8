//! Memory that `serve`'s syncs freed, given back to the system when the last running sync ends.
//!
//! glibc's allocator keeps what its threads free in their arenas for later allocations, and
//! gives back only the free memory at the top of each heap: after syncs that each held a window
//! of records, a server's resident set stays near its peak, in steps, although nothing uses the
//! memory (docs/benchmarks.md, "Issue 13"). When no sync is running and no response stream is
//! left, the server is idle: nothing allocates, so it asks glibc (`malloc_trim`) to return every
//! free page of every arena, on the thread that ended last (a trim of a large heap takes a few
//! milliseconds, and only a new request could be waiting). Elsewhere (musl, macOS) this does
//! nothing; a program that installs another global allocator (mimalloc) pays for a trim of
//! glibc's nearly empty heap.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

/// The syncs running in this process, and what the last to end calls.
struct Syncs {
    running: AtomicUsize,
    release: fn(),
}

static SYNCS: Syncs = Syncs {
    running: AtomicUsize::new(0),
    release: release_freed_memory,
};

/// Held by a running sync, from its start until its task and its response stream are both
/// gone; the last one dropped gives the freed memory back to the system.
pub(crate) struct Running {
    syncs: &'static Syncs,
}

impl Running {
    pub(crate) fn start() -> Running {
        Running::of(&SYNCS)
    }

    fn of(syncs: &'static Syncs) -> Running {
        syncs.running.fetch_add(1, Ordering::SeqCst);
        Running { syncs }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.syncs.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            (self.syncs.release)();
        }
    }
}

/// An `Update`'s response stream, holding its sync's [`Running`] until tonic drops it: the
/// records still on their way to the client are freed with it, after the sync's task ended.
pub struct Holding<S> {
    stream: S,
    _running: Arc<Running>,
}

impl<S> Holding<S> {
    pub(crate) fn new(stream: S, running: Arc<Running>) -> Holding<S> {
        Holding {
            stream,
            _running: running,
        }
    }
}

impl<S: tokio_stream::Stream + Unpin> tokio_stream::Stream for Holding<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut self.stream).poll_next(cx)
    }
}

/// Returns the free pages of glibc's arenas to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release_freed_memory() {
    // SAFETY: `malloc_trim` takes no pointer and only changes glibc's own free lists, each under
    // its arena's lock (it is MT-Safe): nothing the program holds is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators give memory back themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    static RELEASED: AtomicUsize = AtomicUsize::new(0);

    fn count_release() {
        RELEASED.fetch_add(1, Ordering::SeqCst);
    }

    static COUNTED: Syncs = Syncs {
        running: AtomicUsize::new(0),
        release: count_release,
    };

    #[test]
    fn memory_is_released_when_the_last_running_sync_ends_and_not_before() {
        let first = Running::of(&COUNTED);
        let second = Running::of(&COUNTED);
        drop(first);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 0, "a sync still runs");
        drop(second);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
        // The next sync to start and end alone releases again.
        drop(Running::of(&COUNTED));
        assert_eq!(RELEASED.load(Ordering::SeqCst), 2);
        // The real release runs, whatever the allocator.
        release_freed_memory();
    }
}
