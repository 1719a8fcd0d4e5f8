//! Crash points: named moments of the local run (inside the merge, just before and just after
//! the COMMIT, around the state file's rename, during a schema change) where the crash sweep of
//! `tests/conformance` kills the process with SIGKILL, at an exact line.
//!
//! They exist only in a build with the `crash-points` feature, which only the sweep's fixture
//! binaries turn on; in any other build [`point`] is an empty function and nothing here is
//! compiled. With the feature, a point does nothing unless the environment variable
//! `CONNECTOR_CRASH_AT` names it:
//!
//! - `NAME:N` kills the process the `N`th time (from 1) point `NAME` is reached, before the
//!   line after it runs;
//! - `NAME:N:+MICROS` lets the run go on from there and kills it `MICROS` microseconds later
//!   (a kill that lands inside the COMMIT that follows point `commit`, say).

/// Kills the process here when `CONNECTOR_CRASH_AT` names this moment (see the module doc).
#[cfg(feature = "crash-points")]
pub(crate) fn point(name: &'static str) {
    armed::reached(name);
}

/// Without the `crash-points` feature: nothing.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub(crate) fn point(_name: &'static str) {}

#[cfg(feature = "crash-points")]
mod armed {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// The environment variable that arms one point.
    const VARIABLE: &str = "CONNECTOR_CRASH_AT";

    /// The armed point: its name, on which hit to fire, and the delay of the kill after it.
    struct Armed {
        name: String,
        hit: u64,
        delay: Option<Duration>,
        hits: AtomicU64,
    }

    fn armed() -> Option<&'static Armed> {
        static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
        ARMED
            .get_or_init(|| {
                let text = std::env::var(VARIABLE).ok()?;
                let parsed = parse(&text);
                if parsed.is_none() {
                    eprintln!("{VARIABLE}={text:?} is not NAME:N or NAME:N:+MICROS; ignored");
                }
                parsed
            })
            .as_ref()
    }

    fn parse(text: &str) -> Option<Armed> {
        let mut parts = text.split(':');
        let name = parts.next().filter(|n| !n.is_empty())?.to_string();
        let hit = parts.next()?.parse().ok().filter(|&n| n > 0)?;
        let delay = match parts.next() {
            None => None,
            Some(micros) => Some(Duration::from_micros(
                micros.strip_prefix('+')?.parse().ok()?,
            )),
        };
        parts.next().is_none().then_some(Armed {
            name,
            hit,
            delay,
            hits: AtomicU64::new(0),
        })
    }

    pub(super) fn reached(name: &'static str) {
        let Some(armed) = armed().filter(|a| a.name == name) else {
            return;
        };
        if armed.hits.fetch_add(1, Ordering::SeqCst) + 1 != armed.hit {
            return;
        }
        match armed.delay {
            None => kill(),
            Some(delay) => {
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    kill();
                });
            }
        }
    }

    /// SIGKILL to this process: no destructor, no flush, as when a user's machine loses the
    /// process.
    fn kill() {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        // The signal is delivered before `kill` returns; this line is never passed.
        loop {
            std::thread::park();
        }
    }

    #[cfg(test)]
    mod tests {
        use super::parse;

        #[test]
        fn a_point_is_armed_by_name_and_hit_with_an_optional_delay() {
            let armed = parse("commit:3").unwrap();
            assert_eq!(
                (armed.name.as_str(), armed.hit, armed.delay),
                ("commit", 3, None)
            );
            let armed = parse("commit:1:+250").unwrap();
            assert_eq!(armed.delay, Some(std::time::Duration::from_micros(250)));
            for wrong in [
                "",
                "commit",
                "commit:0",
                "commit:x",
                "commit:1:250",
                "a:1:+2:3",
            ] {
                assert!(parse(wrong).is_none(), "{wrong}");
            }
        }
    }
}
