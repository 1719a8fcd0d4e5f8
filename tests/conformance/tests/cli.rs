//! `debug` and `reset` as a user runs them: what they print, the files they leave, and the plain
//! message for a warehouse held by another process.

use std::process::{Command, Output};

use connector_conformance::LocalRun;
use connector_core::__internal::local::Warehouse;
use connector_core::naming::Naming;

fn target(args: &[&str], dir: &std::path::Path) -> Output {
    let configuration = dir.join("configuration.json");
    std::fs::write(&configuration, r#"{"batches": "2"}"#).unwrap();
    Command::new(env!("CARGO_BIN_EXE_kill_target"))
        .args(args)
        .arg("--files")
        .arg(dir.join("files"))
        .args(if args[0] == "debug" {
            vec!["--configuration".into(), configuration]
        } else {
            vec![]
        })
        .output()
        .unwrap()
}

#[test]
fn debug_prints_the_counts_and_the_outcome_and_writes_the_files() {
    let run = LocalRun::new();
    let output = target(&["debug"], run.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("INFO ⚡ debugger: running the sync into"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Upserts") && l.ends_with(" 2000")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Checkpoints") && l.ends_with(" 2")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("rows ") && l.contains("2000")),
        "{stdout}"
    );
    assert!(stdout.contains("SYNC SUCCEEDED in "), "{stdout}");
    assert!(
        stdout.contains("Open the warehouse with: duckdb "),
        "{stdout}"
    );
    let state = std::fs::read_to_string(run.path().join("files/state.json")).unwrap();
    assert_eq!(state, r#"{"batches":2}"#);

    // A second run starts from the state: nothing left to do, nothing written.
    let output = target(&["debug"], run.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Upserts") && l.ends_with(" 0")),
        "{stdout}"
    );
    assert!(stdout.contains("made no checkpoint"), "{stdout}");
}

#[test]
fn a_warehouse_held_by_another_process_is_refused_with_a_plain_message() {
    let run = LocalRun::new();
    let warehouse =
        Warehouse::open(&run.path().join("files/warehouse.db"), Naming::Fivetran).unwrap();
    let output = target(&["debug"], run.path());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is in use by another process; close it"),
        "{stderr}"
    );
    drop(warehouse);
}

#[test]
fn reset_deletes_the_files_and_says_when_there_are_none() {
    let run = LocalRun::new();
    assert!(target(&["debug"], run.path()).status.success());
    assert!(run.path().join("files/warehouse.db").exists());
    let output = target(&["reset", "--force"], run.path());
    assert!(output.status.success());
    assert!(!run.path().join("files").exists());
    let output = target(&["reset", "--force"], run.path());
    assert!(String::from_utf8_lossy(&output.stdout).contains("Nothing to reset"));
}

/// In a terminal, `debug` shows a live line of rows and rows per second per table (the run is
/// given a pseudo-terminal by `script`); through a pipe it shows none.
#[test]
fn the_progress_line_shows_in_a_terminal_only() {
    let run = LocalRun::new();
    let configuration = run.path().join("configuration.json");
    std::fs::write(&configuration, r#"{"batches": "150"}"#).unwrap();
    let command = format!(
        "{} debug --configuration {} --files {}",
        env!("CARGO_BIN_EXE_kill_target"),
        configuration.display(),
        run.path().join("files").display()
    );
    let in_terminal = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("`script` (util-linux) runs");
    let screen = String::from_utf8_lossy(&in_terminal.stdout);
    assert!(in_terminal.status.success(), "{screen}");
    assert!(
        screen.contains("tester.rows: ") && screen.contains(" rows (") && screen.contains("/s)"),
        "no progress line in: {screen}"
    );
    assert!(screen.contains("SYNC SUCCEEDED"), "{screen}");

    let piped_dir = run.path().join("piped");
    std::fs::create_dir_all(&piped_dir).unwrap();
    let piped = target(&["debug"], &piped_dir);
    let stdout = String::from_utf8_lossy(&piped.stdout);
    assert!(piped.status.success(), "{stdout}");
    assert!(
        !stdout.contains("/s)"),
        "a progress line through a pipe: {stdout}"
    );
}
