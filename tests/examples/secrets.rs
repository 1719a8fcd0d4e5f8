//! Secrets never leave a connector. Every example with secret configuration fields runs with
//! marker values in them: through `debug` and through `serve` read by `connector-tester`, each
//! in a process of its own (this test binary run again, see [`command_line_child`]), on
//! success and on the failure paths: a wrong credential, requests retried after the
//! playground's injected faults, and a panic (of a connector of this module that quotes its
//! secret in a warning, an error and a panic, since the examples never panic). Everything each
//! process wrote (stdout: the log lines, `serve`'s JSON lines, the outcome; stderr: errors and
//! panics), every state file and every warehouse (its canonical dump and its file's bytes) is
//! searched for every marker, and for the forms a secret takes on the wire (the `Basic` header
//! of `http_basic`): zero hits.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitCode, Output, Stdio};
use std::time::Duration;

use connector_core::__internal::local::Warehouse;
use connector_core::__internal::main_with_args;
use connector_core::__internal::tester::{self, TesterOptions};
use connector_core::naming::Naming;
use connector_core::serde_json::{self, Value, json};
use connector_examples::shipped_configuration;
use connector_playground::{Credentials, Faults, Playground, RetryAfter};

/// The credentials the marker playgrounds accept.
const API_KEY: &str = "MARKER-api-key-3f9c1b";
const BEARER_TOKEN: &str = "MARKER-bearer-token-7d2e40";
const BASIC_PASSWORD: &str = "MARKER-basic-password-81aa";
const SESSION_PASSWORD: &str = "MARKER-session-password-55c0";
/// A wrong credential's marker: `WRONG` and the field's name.
const WRONG: &str = "MARKER-wrong";
/// The Fernet key of `quickstart/configuration` (the one that decrypts its message) and a valid
/// key that does not: base64 of `MARKER-wrong-fernet-key-0123456.`.
const WRONG_FERNET_KEY: &str = "TUFSS0VSLXdyb25nLWZlcm5ldC1rZXktMDEyMzQ1Ni4=";
/// The panicking connector's token.
const PANIC_TOKEN: &str = "MARKER-panic-token-c0ffee";

/// The environment variable that makes this test binary a child running one command line.
const CHILD: &str = "CONNECTOR_SECRETS_CHILD";

/// Not a test of its own: the entry point of the processes the tests below start (this test
/// binary run again with `CONNECTOR_SECRETS_CHILD` set to a JSON list: a connector's name and
/// its command line, or `tester` and the tester's port, configuration and folder). It runs that
/// command line as `main!` (or `connector-tester`) does and exits with its code. Without the
/// variable it does nothing.
#[test]
fn command_line_child() {
    let Ok(call) = std::env::var(CHILD) else {
        return;
    };
    let call: Vec<String> = serde_json::from_str(&call).unwrap();
    let code = match call[0].as_str() {
        "api_key" => main_with_args::<api_key::update>(&call),
        "http_basic" => main_with_args::<http_basic::update>(&call),
        "http_bearer" => main_with_args::<http_bearer::update>(&call),
        "session_token" => main_with_args::<session_token::update>(&call),
        "configuration" => main_with_args::<configuration::update>(&call),
        "panics" => main_with_args::<panics::update>(&call),
        "tester" => tester_command_line(&call[1], &call[2], &call[3]),
        other => panic!("no connector `{other}`"),
    };
    std::process::exit(i32::from(code != ExitCode::SUCCESS));
}

/// `connector-tester --port PORT --configuration FILE --files DIR`.
fn tester_command_line(port: &str, configuration: &str, files: &str) -> ExitCode {
    let options = TesterOptions {
        address: format!("127.0.0.1:{port}"),
        configuration: Some(configuration.into()),
        state: None,
        selection: None,
        files: files.into(),
        naming: Naming::Fivetran,
        wait: Duration::from_secs(10),
    };
    let runtime = connector_core::tokio::runtime::Runtime::new().unwrap();
    match runtime.block_on(tester::run(options)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A connector whose own code quotes its secret everywhere it can: in a warning, then in a
/// panic (or an error).
mod panics {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        #[field(secret)]
        pub token: String,
        /// `panic` or `error`.
        pub ending: String,
    }

    #[table(name = "things")]
    pub struct Thing {
        #[primary_key]
        pub id: i64,
    }

    #[sync(tables(Thing))]
    pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
        ops.warning(format!("connecting with token {}", config.token))
            .await?;
        ops.upsert(Thing { id: 1 }).await?;
        ops.checkpoint(&json!({"things": 1})).await?;
        match config.ending.as_str() {
            "panic" => panic!("the sync crashed holding token {}", config.token),
            _ => bail!("the source refused token {}", config.token),
        }
    }
}

/// The test binary run again as the child `call`, in `dir`.
fn child(call: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "secrets::command_line_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, serde_json::to_string(call).unwrap())
        .env_remove("RUST_LOG")
        .current_dir(dir);
    command
}

/// What one run left to search: what its processes wrote, its state file and its warehouse.
#[derive(Default)]
struct Evidence {
    /// (where it came from, text)
    texts: Vec<(String, String)>,
}

impl Evidence {
    fn add(&mut self, label: impl Into<String>, text: impl Into<String>) {
        self.texts.push((label.into(), text.into()));
    }

    fn add_output(&mut self, label: &str, output: &Output) {
        self.add(
            format!("{label}: stdout"),
            String::from_utf8_lossy(&output.stdout),
        );
        self.add(
            format!("{label}: stderr"),
            String::from_utf8_lossy(&output.stderr),
        );
    }

    /// The state file and the warehouse (its dump, and its bytes) of a run's `files` folder.
    fn add_files(&mut self, label: &str, files: &Path) {
        if let Ok(state) = std::fs::read_to_string(files.join("state.json")) {
            self.add(format!("{label}: state.json"), state);
        }
        let warehouse = files.join("warehouse.db");
        if warehouse.exists() {
            let bytes = std::fs::read(&warehouse).unwrap();
            self.add(
                format!("{label}: warehouse.db bytes"),
                String::from_utf8_lossy(&bytes),
            );
            let dump = Warehouse::open(&warehouse, Naming::Fivetran)
                .and_then(|w| w.dump())
                .unwrap();
            self.add(format!("{label}: warehouse dump"), dump);
        }
    }

    /// Every place a marker shows.
    fn hits(&self, markers: &[String]) -> Vec<String> {
        let mut hits = Vec::new();
        for (label, text) in &self.texts {
            for marker in markers {
                for line in text.lines().filter(|line| line.contains(marker.as_str())) {
                    hits.push(format!("{label}: `{marker}` in: {line}"));
                }
            }
        }
        hits
    }

    fn all(&self) -> String {
        self.texts
            .iter()
            .map(|(label, text)| format!("--- {label}\n{text}"))
            .collect()
    }
}

/// Every marker, and the forms a secret takes on the wire (the `Basic` header's base64 of
/// `user:password`, right and wrong).
fn markers() -> Vec<String> {
    let basic = |password: &str| {
        let credentials = Credentials {
            basic_password: password.into(),
            ..credentials()
        };
        credentials.basic_header()["Basic ".len()..].to_string()
    };
    let mut markers: Vec<String> = [
        API_KEY,
        BEARER_TOKEN,
        BASIC_PASSWORD,
        SESSION_PASSWORD,
        WRONG,
        WRONG_FERNET_KEY,
        PANIC_TOKEN,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    markers.push(shipped_fernet_key());
    markers.push(basic(BASIC_PASSWORD));
    markers.push(basic(&format!("{WRONG}-password")));
    markers
}

fn shipped_fernet_key() -> String {
    shipped_configuration("quickstart/configuration")["my_key"]
        .as_str()
        .unwrap()
        .to_string()
}

fn credentials() -> Credentials {
    Credentials {
        api_key: API_KEY.into(),
        bearer_token: BEARER_TOKEN.into(),
        basic_password: BASIC_PASSWORD.into(),
        session_password: SESSION_PASSWORD.into(),
        ..Credentials::default()
    }
}

/// A playground that takes the marker credentials; with `faults`, half of its requests are
/// refused with 503 or 429 (`Retry-After: 0`), so the examples retry.
fn playground(faults: bool) -> Playground {
    let mut builder = Playground::builder()
        .credentials(credentials())
        .cursor_changes(false);
    if faults {
        builder = builder.faults(
            Faults::none()
                .unavailable(0.3)
                .rate_limited(0.2, RetryAfter::Seconds(0))
                .seed(3),
        );
    }
    builder.start().expect("the playground starts")
}

/// An example with secret fields, and the configuration it runs with.
struct Example {
    /// Its crate name (the child's connector).
    name: &'static str,
    /// Its folder under `examples/`.
    dir: &'static str,
    /// Secret field → the marker the playground accepts.
    secrets: &'static [(&'static str, &'static str)],
    /// Whether it reads the playground.
    http: bool,
}

const EXAMPLES: [Example; 5] = [
    Example {
        name: "api_key",
        dir: "common_patterns/api_key",
        secrets: &[("api_key", API_KEY)],
        http: true,
    },
    Example {
        name: "http_basic",
        dir: "common_patterns/http_basic",
        secrets: &[("password", BASIC_PASSWORD)],
        http: true,
    },
    Example {
        name: "http_bearer",
        dir: "common_patterns/http_bearer",
        secrets: &[("bearer_token", BEARER_TOKEN)],
        http: true,
    },
    Example {
        name: "session_token",
        dir: "common_patterns/session_token",
        secrets: &[("password", SESSION_PASSWORD)],
        http: true,
    },
    Example {
        name: "configuration",
        dir: "quickstart/configuration",
        // The shipped key is the only one that decrypts the example's message.
        secrets: &[("my_key", "")],
        http: false,
    },
];

/// How a run is meant to end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    /// The right credential.
    Success,
    /// A wrong credential: the sync fails.
    WrongCredential,
    /// The right credential against a playground that fails half of the requests.
    Retried,
}

impl Example {
    /// The shipped configuration, on `playground`, with the marker (or a wrong marker) in each
    /// secret field.
    fn configuration(&self, playground: Option<&Playground>, ending: Ending) -> Value {
        let mut configuration = shipped_configuration(self.dir);
        if let Some(playground) = playground {
            configuration["base_url"] = json!(playground.url());
        }
        for (field, right) in self.secrets {
            let value = match (ending, self.http) {
                (Ending::WrongCredential, true) => format!("{WRONG}-{field}"),
                (Ending::WrongCredential, false) => WRONG_FERNET_KEY.to_string(),
                (_, true) => (*right).to_string(),
                (_, false) => shipped_fernet_key(),
            };
            configuration[*field] = json!(value);
        }
        configuration
    }
}

/// A `serve` child on a free port, its stdout read as it goes.
struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    early: String,
    port: u16,
}

impl Server {
    fn start(connector: &str, dir: &Path) -> Server {
        let mut child = child(&[connector, "serve", "--port", "0"], dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut early = String::new();
        let port = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "serve ended: {early}"
            );
            early.push_str(&line);
            // The test harness's `test ... ` may start the first line.
            let json = line.find('{').map_or("", |start| &line[start..]);
            let message = serde_json::from_str::<Value>(json)
                .ok()
                .and_then(|json| json["message"].as_str().map(String::from));
            if let Some(port) = message
                .as_deref()
                .and_then(|m| m.strip_prefix("listening on 0.0.0.0:"))
            {
                break port.parse().unwrap();
            }
        };
        Server {
            child,
            stdout,
            early,
            port,
        }
    }

    /// Stops the server with SIGTERM and adds everything it wrote to `evidence`.
    fn stop(mut self, label: &str, evidence: &mut Evidence) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
        let status = self.child.wait().unwrap();
        let mut stdout = self.early;
        self.stdout.read_to_string(&mut stdout).unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(status.success(), "serve stopped badly: {stdout}{stderr}");
        evidence.add(format!("{label}: serve stdout"), stdout);
        evidence.add(format!("{label}: serve stderr"), stderr);
    }
}

/// Runs `example` through `test` and `debug`, then through `serve` read by the tester, and adds
/// everything they left to `evidence`. Asserts that each ended as `ending` means.
fn run(example: &Example, ending: Ending, evidence: &mut Evidence) {
    let playground = example.http.then(|| playground(ending == Ending::Retried));
    let dir = tempfile::tempdir().unwrap();
    let configuration = dir.path().join("configuration.json");
    std::fs::write(
        &configuration,
        example
            .configuration(playground.as_ref(), ending)
            .to_string(),
    )
    .unwrap();
    let label = format!("{} {ending:?}", example.name);
    let succeeds = ending != Ending::WrongCredential;

    // `test`: the setup tests, then `debug`.
    let test = child(&[example.name, "test"], dir.path()).output().unwrap();
    evidence.add_output(&format!("{label} test"), &test);
    let debug = child(&[example.name, "debug"], dir.path())
        .output()
        .unwrap();
    evidence.add_output(&format!("{label} debug"), &debug);
    assert_eq!(
        debug.status.success(),
        succeeds,
        "{label} debug:\n{}",
        evidence.all()
    );
    evidence.add_files(&format!("{label} debug"), &dir.path().join("files"));

    // `serve`, read by the tester.
    let server = Server::start(example.name, dir.path());
    let served = dir.path().join("served");
    let tester = child(
        &[
            "tester",
            &server.port.to_string(),
            configuration.to_str().unwrap(),
            served.to_str().unwrap(),
        ],
        dir.path(),
    )
    .output()
    .unwrap();
    server.stop(&label, evidence);
    evidence.add_output(&format!("{label} tester"), &tester);
    assert_eq!(
        tester.status.success(),
        succeeds,
        "{label} tester:\n{}",
        evidence.all()
    );
    evidence.add_files(&format!("{label} tester"), &served);

    if let Some(playground) = playground
        && ending == Ending::Retried
    {
        assert!(
            playground.fault_counts().faulted() > 0,
            "{label}: no fault was injected"
        );
    }
}

/// Every example with secret fields, on every path, through `debug`, `test` and `serve` read
/// by the tester: no marker anywhere.
#[test]
fn no_secret_of_an_example_shows_in_any_output_state_or_warehouse() {
    let mut evidence = Evidence::default();
    for example in &EXAMPLES {
        for ending in [Ending::Success, Ending::WrongCredential, Ending::Retried] {
            if ending == Ending::Retried && !example.http {
                continue;
            }
            run(example, ending, &mut evidence);
        }
    }
    let everything = evidence.all();
    // The runs did what they were meant to: rows landed, a wrong credential was refused, a
    // request was retried.
    assert!(everything.contains("SYNC SUCCEEDED"), "{everything}");
    assert!(everything.contains("SYNC FAILED"), "{everything}");
    assert!(everything.contains("retry 1 of"), "{everything}");
    let hits = evidence.hits(&markers());
    assert!(
        hits.is_empty(),
        "secrets in the output:\n{}",
        hits.join("\n")
    );
}

/// A connector that quotes its secret in a warning and then panics (or fails) quoting it
/// again, through `debug` and `serve` read by the tester: the marker shows nowhere, and the
/// panic is reported.
#[test]
fn a_secret_quoted_by_the_connector_in_a_warning_an_error_or_a_panic_never_shows() {
    let mut evidence = Evidence::default();
    for ending in ["panic", "error"] {
        let dir = tempfile::tempdir().unwrap();
        let configuration = dir.path().join("configuration.json");
        std::fs::write(
            &configuration,
            json!({"token": PANIC_TOKEN, "ending": ending}).to_string(),
        )
        .unwrap();
        let label = format!("panics {ending}");
        let debug = child(&["panics", "debug"], dir.path()).output().unwrap();
        assert!(!debug.status.success());
        evidence.add_output(&format!("{label} debug"), &debug);
        evidence.add_files(&format!("{label} debug"), &dir.path().join("files"));

        let server = Server::start("panics", dir.path());
        let served = dir.path().join("served");
        let tester = child(
            &[
                "tester",
                &server.port.to_string(),
                configuration.to_str().unwrap(),
                served.to_str().unwrap(),
            ],
            dir.path(),
        )
        .output()
        .unwrap();
        assert!(!tester.status.success());
        server.stop(&label, &mut evidence);
        evidence.add_output(&format!("{label} tester"), &tester);
        evidence.add_files(&format!("{label} tester"), &served);
    }
    let everything = evidence.all();
    assert!(
        everything.contains("the sync crashed holding token ***"),
        "{everything}"
    );
    assert!(
        everything.contains("the source refused token ***"),
        "{everything}"
    );
    assert!(
        everything.contains("connecting with token ***"),
        "{everything}"
    );
    let hits = evidence.hits(&[PANIC_TOKEN.to_string()]);
    assert!(
        hits.is_empty(),
        "the secret in the output:\n{}",
        hits.join("\n")
    );
}
