//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, `postgres` on
//! a free port of 127.0.0.1, one database, all stopped and removed when the value is dropped.
//!
//! The binaries are Debian's (`apt-get install postgresql`, found under
//! `/usr/lib/postgresql/*/bin`, the newest version first; `PG_BIN` names another directory).
//! PostgreSQL refuses to run as root, and tests often do (containers, CI): as root, the cluster
//! belongs to the unprivileged user `nobody` (the temporary directory is given to it) and every
//! server command runs through `setpriv --reuid=nobody --regid=nogroup --clear-groups`
//! (util-linux; not `runuser`, which can stop on SIGTTOU when a test runs in the background).
//! Clients connect over TCP with a password (SCRAM), as a connector does.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connector_core::anyhow::{self, Context as _, bail};
use tempfile::TempDir;

use crate::connection::{ConnectionSettings, Password};
use crate::dialect::Dialect;
use crate::postgres::Postgres;

/// The superuser of test clusters.
pub const USER: &str = "postgres";
/// Its password.
pub const PASSWORD: &str = "connector-sql-test";
/// The user a cluster runs as when the tests run as root.
const UNPRIVILEGED: &str = "nobody";
/// Its group (Debian's name for it).
const UNPRIVILEGED_GROUP: &str = "nogroup";

/// A running throwaway cluster with one database.
///
/// ```no_run
/// # async fn test() -> connector_core::anyhow::Result<()> {
/// let cluster = connector_sql::testing::TestPostgres::start("shop")?;
/// let db = cluster.connect().await?;
/// db.client().batch_execute("CREATE TABLE t (id int PRIMARY KEY)").await?;
/// // `cluster.settings()` is what a connector's configuration would hold.
/// # Ok(()) }
/// ```
pub struct TestPostgres {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    database: String,
    as_user: Option<&'static str>,
    running: bool,
}

impl TestPostgres {
    /// Creates a cluster, starts it and creates `database`. Fails with a message naming the
    /// Debian package when the binaries are missing.
    pub fn start(database: &str) -> anyhow::Result<TestPostgres> {
        let bin = binaries()?;
        let dir = tempfile::Builder::new()
            .prefix("connector-sql-pg")
            .tempdir()?;
        let as_user = is_root().then_some(UNPRIVILEGED);
        if let Some(user) = as_user {
            run(Command::new("chown").args(["-R", user]).arg(dir.path()))?;
        }
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, PASSWORD)?;
        if let Some(user) = as_user {
            run(Command::new("chown").arg(user).arg(&password_file))?;
        }
        let mut cluster = TestPostgres {
            bin,
            dir,
            port: 0,
            database: database.to_string(),
            as_user,
            running: false,
        };
        let data = cluster.data_dir();
        run(cluster
            .server_command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "-E",
                "UTF8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", password_file.display())))?;
        cluster.port = free_port()?;
        cluster.start_server()?;
        cluster.psql("postgres", &format!("CREATE DATABASE \"{database}\""))?;
        Ok(cluster)
    }

    /// The connection settings of the cluster's database (user `postgres`, its password).
    pub fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            database: self.database.clone(),
            user: USER.into(),
            password: Password::new(PASSWORD),
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection to the database.
    pub async fn connect(&self) -> anyhow::Result<Postgres> {
        Postgres::connect(&self.settings(), Dialect::Postgres).await
    }

    /// Runs SQL in `database` with `psql` (blocking), failing on the first error.
    pub fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = run(self
            .server_command("psql")
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.dir.path())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                "-d",
                database,
                "-c",
                sql,
            ]))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Stops the server at once (`immediate`: as a crash would), keeping its files; clients
    /// lose their connections. [`restart`](Self::restart) starts it again.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if self.running {
            self.running = false;
            run(self
                .server_command("pg_ctl")
                .args(["stop", "-m", "immediate", "-w", "-D"])
                .arg(self.data_dir()))?;
        }
        Ok(())
    }

    /// Starts a stopped server again, on the same port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        if !self.running {
            self.start_server()?;
        }
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start_server(&mut self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .server_command("pg_ctl")
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-o", &options]))
        .with_context(|| {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            format!("the test cluster did not start; its log:\n{log}")
        })?;
        self.running = true;
        Ok(())
    }

    /// A command of the server's binaries, as the cluster's owner.
    fn server_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match self.as_user {
            Some(user) => {
                // `setpriv` only changes the ids and execs: `runuser` opens a PAM session and can
                // stop on terminal signals (SIGTTOU) when run in the background.
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={user}"))
                    .arg(format!("--regid={UNPRIVILEGED_GROUP}"))
                    .args(["--clear-groups", "--"])
                    .arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Where the server's binaries are.
fn binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed: \
             `apt-get install -y postgresql` (Debian's package puts them in \
             /usr/lib/postgresql/<version>/bin), or set PG_BIN to their directory"
        ),
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|uids| uids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// A port of 127.0.0.1 that nothing listens on (asked of the system, then released).
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn run(command: &mut Command) -> anyhow::Result<Output> {
    let output = command
        .output()
        .with_context(|| format!("could not run {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed ({}): {}{}",
            Path::new(command.get_program()),
            output.status,
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
    }
    Ok(output)
}

/// Waits until `condition` holds, checking every 10 ms, for at most `limit`.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}
