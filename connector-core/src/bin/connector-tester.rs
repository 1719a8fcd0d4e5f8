//! `connector-tester`: drives any partner-SDK source connector at a port and writes what it
//! sends into the local DuckDB warehouse, as `debug` does.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use connector_core::__internal::tester::{self, TesterOptions};
use connector_core::naming::Naming;

#[derive(Debug, Parser)]
#[command(
    name = "connector-tester",
    about = "Run a partner-SDK source connector served at a port into the local DuckDB warehouse"
)]
struct Args {
    /// The connector's port.
    #[arg(long)]
    port: u16,
    /// The connector's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The configuration file (a JSON object).
    #[arg(long)]
    configuration: Option<PathBuf>,
    /// Read the starting state from this file and write checkpoints to it.
    #[arg(long)]
    state: Option<PathBuf>,
    /// A selection file (the `Selection` message as JSON).
    #[arg(long)]
    selection: Option<PathBuf>,
    /// The folder of the warehouse and the state.
    #[arg(long, default_value = "files")]
    files: PathBuf,
    /// How table and column names are written.
    #[arg(long, value_enum, default_value_t = Naming::Fivetran)]
    naming: Naming,
    /// Seconds to wait for the connector to accept connections.
    #[arg(long, default_value_t = 10)]
    wait: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let host = if args.host.contains(':') {
        format!("[{}]", args.host)
    } else {
        args.host
    };
    let options = TesterOptions {
        address: format!("{host}:{}", args.port),
        configuration: args.configuration,
        state: args.state,
        selection: args.selection,
        files: args.files,
        naming: args.naming,
        wait: Duration::from_secs(args.wait),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(tester::run(options)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
