//! Starting, reading and stopping a playground: [`Playground`] and its [`PlaygroundBuilder`].
//!
//! The server runs on a thread of its own with a single-threaded Tokio runtime, so it answers
//! whatever the test does with its own thread: a plain `#[test]`, a `#[tokio::test]` on the
//! current-thread runtime, or a connector that blocks. [`PlaygroundBuilder::start`] binds the
//! port before it returns, and dropping the [`Playground`] stops the server, drops its open
//! connections (delayed answers included) and frees the port before `drop` returns.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::app::{App, RecordedRequest, lock};
use crate::credentials::Credentials;
use crate::data::{Company, Dataset, Department, User};
use crate::faults::{FaultCounts, Faults, Injector};
use crate::rate_limit::{RateLimit, TokenBucket};
use crate::routes;
use crate::routes::cursors::CursorState;
use crate::time::{self, Clock};

/// How many users the original serves.
pub const DEFAULT_USERS: usize = 200;

/// The seed used unless another is set.
pub const DEFAULT_SEED: u64 = 0;

/// The instant the data is generated before, unless another is set: 2026-01-01T00:00:00Z.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

/// How long a session token lasts unless set otherwise, as in the original: one hour.
pub const DEFAULT_SESSION_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// The port the binary listens on unless told otherwise, as the original: 5001.
pub const DEFAULT_PORT: u16 = 5001;

/// A setting the playground cannot run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSetting(String);

impl fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidSetting {}

/// How a playground is set up; [`Playground::builder`] makes one with the defaults.
///
/// ```
/// use std::time::Duration;
/// use connector_playground::{Faults, Playground};
///
/// let server = Playground::builder()
///     .users(500)
///     .seed(7)
///     .session_token_ttl(Duration::from_secs(60))
///     .faults(Faults::every_kind(0.2, 1, Duration::from_secs(3)).seed(1))
///     .start()?;
/// assert_eq!(server.users().len(), 500);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PlaygroundBuilder {
    users: usize,
    seed: u64,
    now: Option<DateTime<Utc>>,
    system_clock: bool,
    credentials: Credentials,
    session_token_ttl: Duration,
    faults: Faults,
    rate_limit: Option<RateLimit>,
    cursor_changes: bool,
    port: u16,
    log_requests: bool,
}

impl Default for PlaygroundBuilder {
    fn default() -> Self {
        PlaygroundBuilder {
            users: DEFAULT_USERS,
            seed: DEFAULT_SEED,
            now: None,
            system_clock: false,
            credentials: Credentials::default(),
            session_token_ttl: DEFAULT_SESSION_TOKEN_TTL,
            faults: Faults::none(),
            rate_limit: None,
            cursor_changes: true,
            port: 0,
            log_requests: false,
        }
    }
}

impl PlaygroundBuilder {
    /// How many users to generate (200 unless set).
    pub fn users(mut self, users: usize) -> Self {
        self.users = users;
        self
    }

    /// The seed every generated value follows (0 unless set).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The instant the data is generated before and the clock starts at
    /// ([`DEFAULT_NOW`] unless set). The clock stays there until
    /// [`Playground::advance_clock`] moves it.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self.system_clock = false;
        self
    }

    /// Generates the data before the system time, and lets the clock follow the system clock,
    /// as the original does. The data then differs from one start to the next.
    pub fn system_clock(mut self) -> Self {
        self.system_clock = true;
        self.now = None;
        self
    }

    /// The credentials the `/auth/*` endpoints accept ([`Credentials::default`] unless set).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// How long session tokens last, in whole seconds (one hour unless set).
    pub fn session_token_ttl(mut self, ttl: Duration) -> Self {
        self.session_token_ttl = ttl;
        self
    }

    /// The faults to inject (none unless set); [`Playground::set_faults`] changes them later.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Turns on the original's opt-in token-bucket rate limit.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Whether the cursors endpoints move some rows' `updatedAt` to "now" on each call (on
    /// unless set, as in the original).
    pub fn cursor_changes(mut self, changes: bool) -> Self {
        self.cursor_changes = changes;
        self
    }

    /// The port to listen on, on 127.0.0.1 (0, any free port, unless set).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Prints a Werkzeug-style line for every request on standard error (off unless set).
    pub fn log_requests(mut self, log: bool) -> Self {
        self.log_requests = log;
        self
    }

    /// Generates the data, binds the port and starts serving.
    ///
    /// Fails when the port cannot be bound, or with [`io::ErrorKind::InvalidInput`] (wrapping an
    /// [`InvalidSetting`]) when the faults' shares do not fit in 1, a session credential holds a
    /// `:`, or a rate limit has no capacity.
    pub fn start(self) -> io::Result<Playground> {
        let invalid =
            |message: String| io::Error::new(io::ErrorKind::InvalidInput, InvalidSetting(message));
        self.faults.check().map_err(invalid)?;
        self.credentials.check().map_err(invalid)?;
        if self.rate_limit.is_some_and(|l| l.capacity == 0) {
            return Err(invalid(
                "a rate limit needs a capacity of at least 1".into(),
            ));
        }

        let clock = if self.system_clock {
            Clock::system()
        } else {
            let default_now = time::parse_with_z(DEFAULT_NOW).unwrap_or_default();
            Clock::frozen(self.now.map_or(default_now, |now| now.timestamp()))
        };
        let data = Dataset::generate(self.users, self.seed, time::to_datetime(clock.start()));

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");

        let app = Arc::new(App {
            cursors: Mutex::new(CursorState::new(&data, self.seed, self.cursor_changes)),
            data,
            credentials: self.credentials,
            clock,
            session_ttl_seconds: i64::try_from(self.session_token_ttl.as_secs())
                .unwrap_or(i64::MAX),
            faults: Injector::new(self.faults),
            bucket: self.rate_limit.map(TokenBucket::new),
            bucket_refusals: AtomicU64::new(0),
            journal: Mutex::new(Vec::new()),
            base_url: base_url.clone(),
            log_requests: self.log_requests,
            csv: OnceLock::new(),
        });

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = routes::router(app.clone());
        let thread = std::thread::Builder::new()
            .name(format!("playground-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, router).into_future() => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here drops every open connection and pending answer.
            })?;

        Ok(Playground {
            addr,
            base_url,
            app,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running playground server on `127.0.0.1`; dropping it stops the server.
///
/// ```
/// use connector_playground::Playground;
///
/// let server = Playground::builder().users(200).seed(7).start()?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// assert_eq!(
///     server.endpoint("/pagination/keyset"),
///     format!("{}/pagination/keyset", server.url())
/// );
/// assert_eq!(server.credentials().api_key, "playground-api-key");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Playground {
    addr: SocketAddr,
    base_url: String,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Playground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Playground")
            .field("url", &self.base_url)
            .field("users", &self.app.data.users().len())
            .finish_non_exhaustive()
    }
}

impl Playground {
    /// A builder with the defaults: 200 users, seed 0, "now" [`DEFAULT_NOW`], the default
    /// credentials, no faults, any free port.
    pub fn builder() -> PlaygroundBuilder {
        PlaygroundBuilder::default()
    }

    /// Starts a playground with the defaults.
    pub fn start() -> io::Result<Playground> {
        PlaygroundBuilder::default().start()
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// The URL of `path` (which starts with `/`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials the `/auth/*` endpoints accept.
    pub fn credentials(&self) -> &Credentials {
        &self.app.credentials
    }

    /// Everything generated at start.
    pub fn data(&self) -> &Dataset {
        &self.app.data
    }

    /// The users, in generation order.
    pub fn users(&self) -> &[User] {
        self.app.data.users()
    }

    /// The companies as the cursors endpoint holds them now (with its changes).
    pub fn companies(&self) -> Vec<Company> {
        lock(&self.app.cursors).companies()
    }

    /// A company's departments as the cursors endpoint holds them now (with its changes).
    pub fn departments(&self, company_id: i64) -> Vec<Department> {
        lock(&self.app.cursors).departments(company_id)
    }

    /// The server's "now": the start instant plus every [`Playground::advance_clock`] (plus the
    /// time passed, with [`PlaygroundBuilder::system_clock`]).
    pub fn now(&self) -> DateTime<Utc> {
        time::to_datetime(self.app.clock.now())
    }

    /// Moves the server's clock forward (by whole seconds): session tokens expire by it and the
    /// cursors endpoints stamp their changes with it.
    pub fn advance_clock(&self, by: Duration) {
        self.app
            .clock
            .advance(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
    }

    /// Replaces the faults; the request numbering and the counts carry on.
    pub fn set_faults(&self, faults: Faults) -> Result<(), InvalidSetting> {
        faults.check().map_err(InvalidSetting)?;
        self.app.faults.set(faults);
        Ok(())
    }

    /// What the faults have done so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.app.faults.counts()
    }

    /// How many requests the rate limit (not fault injection) refused with 429.
    pub fn rate_limit_refusals(&self) -> u64 {
        self.app.bucket_refusals.load(Ordering::SeqCst)
    }

    /// Every request answered so far, in the order the answers were sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.app.journal).clone()
    }

    /// Forgets the requests answered so far.
    pub fn clear_requests(&self) {
        lock(&self.app.journal).clear();
    }

    /// Stops the server and waits until its port is closed (what dropping it does).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Playground {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
