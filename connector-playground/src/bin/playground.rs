//! `playground start`: the playground on a fixed port, for running the examples by hand.
//!
//! Unlike the library's default, the clock follows the system clock (as the original's does), so
//! session tokens expire in real time and the data ends just before the moment of starting;
//! `--now` freezes it instead.

use std::process::ExitCode;

use connector_playground::{DEFAULT_PORT, Playground, RateLimit};

const USAGE: &str = "\
usage: playground start [--port PORT] [--users N] [--seed N] [--now YYYY-MM-DDTHH:MM:SSZ]
                        [--rate-limit [true|false]] [--capacity N] [--quiet]

  --port        port on 127.0.0.1 (default 5001)
  --users       how many users to generate (default 200)
  --seed        the seed of the generated data (default 0)
  --now         generate the data before this instant and freeze the clock there
                (default: the system time, and a clock that follows it)
  --rate-limit  token-bucket rate limit, 10 requests/s refill (default off)
  --capacity    the rate limit's burst size (default 20)
  --quiet       do not log each request";

struct Options {
    port: u16,
    users: usize,
    seed: u64,
    now: Option<chrono::DateTime<chrono::Utc>>,
    rate_limit: bool,
    capacity: u32,
    quiet: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Playground::builder()
        .port(options.port)
        .users(options.users)
        .seed(options.seed)
        .log_requests(!options.quiet);
    builder = match options.now {
        Some(now) => builder.now(now),
        None => builder.system_clock(),
    };
    if options.rate_limit {
        builder = builder.rate_limit(RateLimit {
            capacity: options.capacity,
            ..RateLimit::default()
        });
    }
    let server = match builder.start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot start the playground on port {}: {e}", options.port);
            return ExitCode::FAILURE;
        }
    };
    print_banner(&server, &options);
    // The server runs on its own thread until the process is interrupted.
    loop {
        std::thread::park();
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        port: DEFAULT_PORT,
        users: 200,
        seed: 0,
        now: None,
        rate_limit: false,
        capacity: 20,
        quiet: false,
    };
    let mut args = args.iter().peekable();
    match args.next().map(String::as_str) {
        Some("start") => {}
        Some("-h" | "--help") => return Err("playground: a local API to try connectors on".into()),
        Some(other) => return Err(format!("invalid command: {other}")),
        None => return Err("missing command".into()),
    }
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name {
            "--port" => options.port = number(&value("a port")?, name)?,
            "--users" => options.users = number(&value("a count")?, name)?,
            "--seed" => options.seed = number(&value("a number")?, name)?,
            "--capacity" => {
                options.capacity = number(&value("a number")?, name)?;
                if options.capacity < 1 {
                    return Err("--capacity must be at least 1".into());
                }
            }
            "--now" => {
                let text = value("a time")?;
                let now = chrono::DateTime::parse_from_rfc3339(&text)
                    .map_err(|e| format!("--now {text}: {e}"))?;
                options.now = Some(now.with_timezone(&chrono::Utc));
            }
            "--rate-limit" => {
                // Like the original: a bare flag means true, and a value is read as a boolean.
                let given = inline
                    .clone()
                    .or_else(|| args.next_if(|next| !next.starts_with("--")).cloned());
                options.rate_limit = given.is_none_or(|v| v.eq_ignore_ascii_case("true"));
            }
            "--quiet" => options.quiet = true,
            "-h" | "--help" => return Err("playground: a local API to try connectors on".into()),
            other => return Err(format!("unknown option: {other}")),
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: not a valid number: {text}"))
}

fn print_banner(server: &Playground, options: &Options) {
    let url = server.url();
    let c = server.credentials();
    let rule = "-".repeat(110);
    println!("Starting Local API on port {} ...\n", server.addr().port());
    let sections: [(&str, Vec<(&str, String)>); 4] = [
        (
            "Pagination Type",
            vec![
                (
                    "Next Page URL Pagination",
                    format!("GET {url}/pagination/next_page_url"),
                ),
                (
                    "Page Number Pagination",
                    format!("GET {url}/pagination/page_number"),
                ),
                ("Offset Pagination", format!("GET {url}/pagination/offset")),
                ("Keyset Pagination", format!("GET {url}/pagination/keyset")),
            ],
        ),
        (
            "API Endpoint Type",
            vec![("Export with CSV", format!("GET {url}/export/csv"))],
        ),
        (
            "Incremental Sync Type",
            vec![
                (
                    "Timestamp Incremental Sync",
                    format!("GET {url}/incremental/timestamp"),
                ),
                (
                    "Step-size Incremental Sync",
                    format!("GET {url}/incremental/step"),
                ),
            ],
        ),
        (
            "Cursor Endpoint Type",
            vec![
                ("Companies Cursor", format!("GET {url}/cursors/companies")),
                (
                    "Departments by Company Cursor",
                    format!("GET {url}/cursors/<company_id>/departments"),
                ),
            ],
        ),
    ];
    for (title, rows) in sections {
        println!("{rule}\n{title:<30} | Endpoint\n{rule}");
        for (kind, endpoint) in rows {
            println!("{kind:<30} | {endpoint}");
        }
        println!("{rule}\n");
    }
    println!(
        "{rule}\n{:<30} | {:<52} | Credentials\n{rule}",
        "Authentication Endpoint Type", "Endpoint"
    );
    let auth = [
        (
            "Http Basic Auth",
            format!("GET {url}/auth/http_basic"),
            format!(
                "Username: {} Password: {}",
                c.basic_username, c.basic_password
            ),
        ),
        (
            "HTTP Bearer",
            format!("GET {url}/auth/http_bearer"),
            format!("Bearer Token: {}", c.bearer_token),
        ),
        (
            "Auth API Key",
            format!("GET {url}/auth/api_key"),
            format!("API Key: {}", c.api_key),
        ),
        (
            "Session Token Auth Login",
            format!("POST {url}/auth/session_token/login"),
            format!(
                "Username: {}  Password: {}",
                c.session_username, c.session_password
            ),
        ),
        (
            "Session Token Auth Data",
            format!("GET {url}/auth/session_token/data"),
            "Use Token Received from Login endpoint".to_string(),
        ),
    ];
    for (kind, endpoint, credentials) in auth {
        println!("{kind:<30} | {endpoint:<52} | {credentials}");
    }
    println!("{rule}");
    println!(
        "{} users from seed {}; the data ends before {}.",
        server.users().len(),
        options.seed,
        server.now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    if options.rate_limit {
        println!(
            "Rate limiting enabled: capacity: {} tokens, refill rate: 10 tokens/s",
            options.capacity
        );
    }
    println!("Keep this process running while you try the API; Ctrl-C stops it.");
}
