//! The local runner: `debug` runs a sync into the DuckDB warehouse under `files/` and tells the
//! user what it did; `reset` deletes `files/`. What the user sees follows Fivetran's local
//! testing: log lines `<time>: <LEVEL> ⚡ <origin>: ...`, a table of operation counts, and
//! `SYNC SUCCEEDED` or `SYNC FAILED`. [`tester`] is the same runner for a connector served at a
//! port: it reads the `Update` stream and writes it into the same warehouse.

pub mod tester;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

use crate::config::read_configuration;
use crate::config::{Configuration as _, ConfigurationMap, Redactor};
use crate::connector::Connector;
use crate::driver::{self, SyncReport};
use crate::naming::Naming;
use crate::warehouse::{Files, Progress, Warehouse, WarehouseSink};

/// What `debug` was asked to do.
#[derive(Debug, Clone)]
pub struct DebugOptions {
    pub configuration: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub files: PathBuf,
    pub naming: Naming,
}

/// Runs one sync of `C` into the local warehouse and prints the outcome. Exit code 1 on failure.
pub async fn debug<C: Connector>(options: DebugOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let configuration = match &options.configuration {
        Some(path) => read_configuration(path)?,
        None if Path::new("configuration.json").exists() => {
            read_configuration(Path::new("configuration.json"))?
        }
        None => ConfigurationMap::new(),
    };
    init_logging(Redactor::for_configuration::<C::Config>(&configuration));
    let files = Files::new(&options.files, options.state.as_deref());
    check_inputs::<C>(&configuration, &files)?;
    tracing::info!(target: "debugger", "running the sync into {}", files.warehouse.display());
    let (sink, outcome) =
        sync_into_warehouse::<C>(&configuration, &files, options.naming, true).await?;
    let redactor = Redactor::for_configuration::<C::Config>(&configuration);
    Ok(report_outcome(&sink, outcome, &files, started, &redactor))
}

/// Refuses a bad configuration or state file before the warehouse is opened, so that a run that
/// cannot start creates and changes nothing: the error names the file and the field or value
/// (the value of a secret field never).
fn check_inputs<C: Connector>(
    configuration: &ConfigurationMap,
    files: &Files,
) -> anyhow::Result<()> {
    C::Config::from_map(configuration)?;
    let state = files.read_state()?;
    driver::parse_state::<C::State>(Some(&state))
        .with_context(|| format!("the state file {}", files.state.display()))?;
    Ok(())
}

/// Prints how a sync into the local warehouse ended (shared by `debug` and `connector-tester`):
/// shared destination names, the table of counts, `SYNC SUCCEEDED` or `SYNC FAILED`.
pub fn report_outcome(
    sink: &WarehouseSink,
    outcome: Result<SyncReport, driver::SyncError>,
    files: &Files,
    started: Instant,
    redactor: &Redactor,
) -> ExitCode {
    for (table, sources) in sink.shared_tables() {
        let sources: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
        tracing::warn!(target: "debugger", "tables {} share the destination table `{table}`: their rows land in one table", sources.join(" and "));
    }
    for (table, first, second) in sink.shared_names() {
        tracing::warn!(target: "debugger", "columns `{first}` and `{second}` of table `{table}` share one destination name");
    }
    let elapsed = started.elapsed().as_secs_f64();
    match outcome {
        Ok(report) => {
            print_report(&report, sink.schema_changes);
            if report.checkpoints == 0 {
                tracing::warn!(
                    target: "debugger",
                    "the sync made no checkpoint: its rows are saved, but the next run starts from the same state"
                );
            }
            println!("SYNC SUCCEEDED in {elapsed:.2} s");
            println!(
                "Open the warehouse with: duckdb {}",
                files.warehouse.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(target: "debugger", "{}", redactor.redact(&error.to_string()));
            println!(
                "SYNC FAILED in {elapsed:.2} s: the warehouse and {} stay at the last checkpoint",
                files.state.display()
            );
            ExitCode::FAILURE
        }
    }
}

/// Runs one sync of `C` into the warehouse of `files`: the state comes from the state file (or
/// the warehouse's own record, see `starting_state`), checkpoints commit to the warehouse and
/// rewrite the state file. Returns the sink (holding the warehouse) and the outcome.
pub async fn sync_into_warehouse<C: Connector>(
    configuration: &ConfigurationMap,
    files: &Files,
    naming: Naming,
    show_progress: bool,
) -> anyhow::Result<(WarehouseSink, Result<SyncReport, driver::SyncError>)> {
    let (sink, state) = open_sink(files, naming)?;
    let progress_line = if show_progress {
        ProgressLine::start(sink.progress())
    } else {
        ProgressLine::none()
    };
    let outcome = driver::run::<C, _>(configuration, Some(&state), sink).await;
    progress_line.stop();
    Ok(outcome)
}

/// Opens the warehouse of `files` as a sink, with the state the sync starts from.
pub fn open_sink(files: &Files, naming: Naming) -> anyhow::Result<(WarehouseSink, String)> {
    let warehouse = Warehouse::open(&files.warehouse, naming)?;
    let state = starting_state(files, &warehouse)?;
    let sink = WarehouseSink::new(warehouse, files.clone(), &state);
    Ok((sink, state))
}

/// The state to start from. A run killed between committing a checkpoint and rewriting the
/// state file leaves the file one checkpoint behind the warehouse; the warehouse records the
/// checkpoint and whether the file was rewritten, so the file is brought forward. (A state file
/// that a user deleted or edited after a complete run is taken as it is.)
fn starting_state(files: &Files, warehouse: &Warehouse) -> anyhow::Result<String> {
    let state = files.read_state()?;
    if files.state_given {
        return Ok(state);
    }
    if let Some((previous, current)) = warehouse.unwritten_state()?
        && same_json(&state, &previous)
        && !same_json(&previous, &current)
    {
        tracing::warn!(target: "debugger", "the state file was one checkpoint behind the warehouse; it is brought forward");
        files.write_state(&current)?;
        return Ok(current);
    }
    Ok(state)
}

fn same_json(a: &str, b: &str) -> bool {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    parse(a) == parse(b)
}

/// `Operation | Calls` and the operations per table.
fn print_report(report: &SyncReport, schema_changes: u64) {
    let total = report.total();
    println!();
    println!("{:<14} | {:>10}", "Operation", "Calls");
    println!("{:-<14}-+-{:->10}", "", "");
    for (operation, calls) in [
        ("Upserts", total.upserts),
        ("Updates", total.updates),
        ("Deletes", total.deletes),
        ("Truncates", total.truncates),
        ("SchemaChanges", schema_changes),
        ("Checkpoints", report.checkpoints),
    ] {
        println!("{operation:<14} | {calls:>10}");
    }
    if !report.tables.is_empty() {
        let width = report
            .tables
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(5)
            .max(5);
        println!();
        println!(
            "{:<width$} | {:>10} | {:>10} | {:>10} | {:>10}",
            "Table", "Upserts", "Updates", "Deletes", "Truncates"
        );
        for (table, counts) in &report.tables {
            println!(
                "{table:<width$} | {:>10} | {:>10} | {:>10} | {:>10}",
                counts.upserts, counts.updates, counts.deletes, counts.truncates
            );
        }
    }
    println!();
}

/// The live line of rows per second per table, shown only when stdout is a terminal.
pub(crate) struct ProgressLine {
    task: Option<(tokio::task::JoinHandle<()>, indicatif::ProgressBar)>,
}

impl ProgressLine {
    pub(crate) fn none() -> ProgressLine {
        ProgressLine { task: None }
    }

    pub(crate) fn start(progress: Progress) -> ProgressLine {
        if !std::io::stdout().is_terminal() {
            return ProgressLine { task: None };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        let shown = bar.clone();
        let started = Instant::now();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let seconds = started.elapsed().as_secs_f64().max(0.001);
                let line = progress
                    .lock()
                    .expect("progress lock")
                    .iter()
                    .map(|(table, rows)| {
                        format!("{table}: {rows} rows ({:.0}/s)", *rows as f64 / seconds)
                    })
                    .collect::<Vec<_>>()
                    .join("  ");
                shown.set_message(line);
            }
        });
        ProgressLine {
            task: Some((task, bar)),
        }
    }

    pub(crate) fn stop(self) {
        if let Some((task, bar)) = self.task {
            task.abort();
            bar.finish_and_clear();
        }
    }
}

/// Deletes `files/` (the warehouse and the state) after asking, unless `force`.
pub fn reset(files: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if !files.exists() {
        println!("Nothing to reset: {} does not exist.", files.display());
        return Ok(ExitCode::SUCCESS);
    }
    if !force {
        print!(
            "This will delete your current state and `warehouse.db` files. Do you want to continue? (Y/n) "
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "" | "y" | "yes"
        ) {
            println!("Reset cancelled.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    std::fs::remove_dir_all(files)?;
    println!("Deleted {}.", files.display());
    Ok(ExitCode::SUCCESS)
}

/// Log lines as the local run prints them, with secrets hidden; a panic (the connector's, in
/// any task) is one such line too, instead of Rust's plain text on stderr, which would show a
/// secret the panic's message quotes.
pub fn init_logging(redactor: Redactor) {
    let redactor = Arc::new(redactor);
    let format = LocalFormat {
        redactor: redactor.clone(),
    };
    let installed = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .event_format(format)
        .try_init();
    if installed.is_ok() {
        std::panic::set_hook(Box::new(move |info| {
            let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
            let message = redactor.redact(&format!("a task {info}"));
            println!("{time}: SEVERE ⚡ connector: {message}");
        }));
    }
}

struct LocalFormat {
    redactor: Arc<Redactor>,
}

impl<S, N> FormatEvent<S, N> for LocalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let metadata = event.metadata();
        let level = match *metadata.level() {
            Level::ERROR => "SEVERE",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            _ => "FINE",
        };
        let origin = match metadata.target() {
            "debugger" => "debugger",
            target if target.starts_with("connector_core") => "sdk",
            _ => "connector",
        };
        let mut message = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut message), event)?;
        let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
        writeln!(
            writer,
            "{time}: {level} ⚡ {origin}: {}",
            self.redactor.redact(&message)
        )
    }
}
