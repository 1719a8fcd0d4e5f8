//! Benchmarks of connector-core, each printed beside a baseline measured in the same run.
//!
//! Run one in release, e.g. `cargo run --release -p connector-bench -- encode [--rows N]`;
//! `cargo run --release -p connector-bench -- --help` lists them. Figures are printed, never
//! asserted: they depend on the machine.

mod encode;
mod local;
mod page_number;
mod serve;
mod serve_load;
mod sql;

use clap::{Parser, Subcommand};

/// With `--features mimalloc`, the benchmarks run on mimalloc instead of the system allocator:
/// run-time rows allocate their column names on the sync's thread and free them on the sink's,
/// which glibc's malloc serializes on its arena locks (see docs/benchmarks.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmarks of connector-core, printed beside a baseline measured in the same run.
#[derive(Parser)]
#[command(name = "connector-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per benchmark, each owned by the module of the same name.
#[derive(Subcommand)]
enum Command {
    /// Encode rows into the sink's cell form (`Table::into_cells`) beside `serde_json::to_vec`.
    Encode(encode::Args),
    /// Load rows into DuckDB with `debug` beside a plain Appender and dlt.
    Local(local::Args),
    /// One scenario of `local`, run in a child process (internal).
    #[command(hide = true)]
    LocalScenario(local::ScenarioArgs),
    /// Replicate a PostgreSQL table into `debug` with connector-sql, beside dlt's sql_database.
    Sql(sql::Args),
    /// One replication of `sql`, run in a child process (internal).
    #[command(hide = true)]
    SqlScenario(sql::ScenarioArgs),
    /// Stream rows from `serve` to the tester's client over loopback, beside the Python SDK's server.
    Serve(serve::Args),
    /// The server of `serve`, run in a child process (internal).
    #[command(hide = true)]
    ServeTarget(serve::TargetArgs),
    /// The page_number example against the playground, served and read, beside the Python SDK's.
    PageNumber(page_number::Args),
    /// The reader of `serve`, run in a child process (internal).
    #[command(hide = true)]
    ServeReader(serve::ReaderArgs),
    /// `serve` under load: many concurrent Updates, cancelled and slow clients, and a soak.
    ServeLoad(serve_load::Args),
    /// The server of `serve-load`: the connector's `serve` command line (internal).
    #[command(hide = true)]
    ServeLoadServer(serve_load::ServerArgs),
}

fn main() -> std::process::ExitCode {
    match Cli::parse().command {
        Command::ServeLoad(args) => serve_load::run(&args),
        Command::ServeLoadServer(args) => return serve_load::server(&args),
        Command::Encode(args) => encode::run(&args),
        Command::Local(args) => local::run(&args),
        Command::LocalScenario(args) => local::scenario(&args),
        Command::Sql(args) => sql::run(&args),
        Command::SqlScenario(args) => sql::scenario(&args),
        Command::Serve(args) => serve::run(&args),
        Command::ServeTarget(args) => serve::target(&args),
        Command::ServeReader(args) => serve::reader(&args),
        Command::PageNumber(args) => page_number::run(&args),
    }
    std::process::ExitCode::SUCCESS
}
