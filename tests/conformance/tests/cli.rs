//! `debug` and `reset` as a user runs them: what they print, the files they leave, and what
//! bad input gives: a bad configuration, state or warehouse file, a warehouse in use, a bad
//! command line (the exit code, one message naming the file or field, nothing written).

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
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is in use by another process; close it"),
        "{stderr}"
    );
    assert!(!run.path().join("files/state.json").exists());
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

/// A connector with a required secret field, for the bad-input tests below: `batches` batches
/// of 10 rows, a checkpoint after each.
mod with_a_secret {
    use connector_core::prelude::*;

    #[derive(Configuration)]
    pub struct Config {
        #[field(secret)]
        pub token: String,
        #[field(default = "2")]
        pub batches: u32,
    }

    #[table(name = "rows")]
    pub struct Numbered {
        #[primary_key]
        pub id: i64,
        pub batch: i64,
    }

    #[state]
    #[derive(Default)]
    pub struct Batches {
        pub batches: u32,
    }

    #[sync(tables(Numbered))]
    pub async fn update(ops: &Operations, config: &Config, state: &mut Batches) -> Result<()> {
        ensure!(config.token.starts_with("tok-"), "the token was refused");
        while state.batches < config.batches {
            let batch = i64::from(state.batches);
            for i in 0..10 {
                ops.upsert(Numbered {
                    id: batch * 10 + i,
                    batch,
                })
                .await?;
            }
            state.batches += 1;
            ops.checkpoint(state).await?;
        }
        Ok(())
    }
}

/// The secret of the bad-input tests: it must show in no message.
const TOKEN: &str = "tok-bad-input-5f1e";

/// Not a test of its own: the entry point of the processes that [`with_a_secret_cli`] starts
/// (this test binary run again with `CONNECTOR_CLI_ARGS` set), which run the command line of
/// `main!` for [`with_a_secret::update`] and exit with its code. Without the variable it does
/// nothing.
#[test]
fn command_line_child() {
    let Ok(args) = std::env::var("CONNECTOR_CLI_ARGS") else {
        return;
    };
    let args: Vec<String> = connector_core::serde_json::from_str(&args).unwrap();
    let code = connector_core::__internal::main_with_args::<with_a_secret::update>(args);
    std::process::exit(if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    });
}

/// Runs `with_a_secret`'s command line with `args` in a process of its own, in `dir`.
fn with_a_secret_cli(dir: &std::path::Path, args: &[&str]) -> Output {
    let args: Vec<&str> = std::iter::once("with_a_secret")
        .chain(args.iter().copied())
        .collect();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "command_line_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            "CONNECTOR_CLI_ARGS",
            connector_core::serde_json::to_string(&args).unwrap(),
        )
        .current_dir(dir)
        .output()
        .unwrap()
}

/// What a run must leave unchanged: every file under `files/` with its bytes (the warehouse
/// through its canonical dump, as DuckDB may rewrite its file on open), and the state file.
fn left(dir: &std::path::Path) -> Vec<(String, String)> {
    let files = dir.join("files");
    let mut left = Vec::new();
    let Ok(entries) = std::fs::read_dir(&files) else {
        return left;
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = files.join(&name);
        let content = if name == "warehouse.db" {
            match Warehouse::open(&path, Naming::Fivetran).and_then(|w| w.dump()) {
                Ok(dump) => dump,
                Err(_) => String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            }
        } else {
            String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
        };
        left.push((name, content));
    }
    left
}

/// Asserts that a run failed with exit code 1 and one message on stderr that contains
/// `message` and never the secret, and ran no sync.
fn assert_refused(output: &Output, message: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one message: {stderr}");
    assert!(errors[0].contains(message), "{stderr}\nwanted: {message}");
    assert!(!stdout.contains("SYNC"), "no sync ran: {stdout}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains(TOKEN), "the secret shows: {text}");
    }
}

/// A folder with a warehouse and a state file from one good run of 2 batches.
fn after_a_good_run() -> LocalRun {
    let run = LocalRun::new();
    std::fs::write(
        run.path().join("configuration.json"),
        format!(r#"{{"token": "{TOKEN}"}}"#),
    )
    .unwrap();
    let output = with_a_secret_cli(run.path(), &["debug"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(run.path().join("files/state.json")).unwrap(),
        r#"{"batches":2}"#
    );
    run
}

/// A configuration that is missing, not JSON, not an object, lacks a required field or has a
/// value of the wrong type: `debug` exits with 1 and one message naming the file or the field
/// (a secret's value never), before it opens the warehouse: nothing is created, nothing
/// changes.
#[test]
fn a_bad_configuration_is_refused_before_anything_is_written() {
    let cases: [(&str, Option<String>, &str); 5] = [
        ("missing", None, "cannot read the configuration file"),
        (
            "not JSON",
            Some(format!(r#"{{"token": "{TOKEN}", "batches": "3""#)),
            "bad.json is not JSON",
        ),
        (
            "not an object",
            Some(format!(r#"["{TOKEN}"]"#)),
            "bad.json: a configuration must be a JSON object",
        ),
        (
            "lacks a required field",
            Some(r#"{"batches": "3"}"#.into()),
            "invalid configuration: `token` is required but missing",
        ),
        (
            "a wrong type",
            Some(format!(r#"{{"token": "{TOKEN}", "batches": "three"}}"#)),
            "invalid configuration: `batches` must be a whole number between 0 and 4294967295, not \"three\"",
        ),
    ];
    for (case, content, message) in cases {
        // Into an existing warehouse, and into none.
        for run in [after_a_good_run(), LocalRun::new()] {
            let path = run.path().join("bad.json");
            if let Some(content) = &content {
                std::fs::write(&path, content).unwrap();
            }
            let before = left(run.path());
            let output = with_a_secret_cli(
                run.path(),
                &["debug", "--configuration", path.to_str().unwrap()],
            );
            assert_refused(&output, message);
            assert_eq!(left(run.path()), before, "{case}: the files changed");
        }
    }
    // No configuration.json and no --configuration: the required field is missing.
    let run = LocalRun::new();
    assert_refused(
        &with_a_secret_cli(run.path(), &["debug"]),
        "`token` is required but missing",
    );
    assert!(!run.path().join("files").exists());
}

/// A state file that is truncated, not JSON, not an object, or of an older shape whose field
/// changed type, and a `--state` file that does not exist: exit code 1, one message naming the
/// file and the value, and the warehouse and state file as they were.
#[test]
fn a_bad_state_file_is_refused_before_anything_is_written() {
    let cases = [
        (
            r#"{"batches": 2"#,
            "files/state.json is not JSON: EOF while parsing",
        ),
        ("batches=2", "files/state.json is not JSON: expected value"),
        ("[2]", "files/state.json must hold a JSON object"),
        (
            r#"{"batches": "two"}"#,
            "files/state.json: invalid state: invalid type: string \"two\", expected u32",
        ),
    ];
    for (content, message) in cases {
        let run = after_a_good_run();
        std::fs::write(run.path().join("files/state.json"), content).unwrap();
        let before = left(run.path());
        let output = with_a_secret_cli(
            run.path(),
            &["debug", "--configuration", "configuration.json"],
        );
        assert_refused(&output, message);
        assert_eq!(
            left(run.path()),
            before,
            "state {content}: the files changed"
        );
    }
    // An older shape that lacks a field loads with the field's default (`#[state]`): the run
    // starts over from batch 0 and ends at 2.
    let run = after_a_good_run();
    std::fs::write(run.path().join("files/state.json"), r#"{"cursor": "x"}"#).unwrap();
    let output = with_a_secret_cli(run.path(), &["debug"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(run.path().join("files/state.json")).unwrap(),
        r#"{"batches":2}"#
    );

    let run = after_a_good_run();
    let before = left(run.path());
    let output = with_a_secret_cli(run.path(), &["debug", "--state", "absent.json"]);
    assert_refused(&output, "cannot read the state file absent.json");
    assert_eq!(left(run.path()), before);
}

/// A warehouse file that is read-only or not a DuckDB file: exit code 1, one message naming
/// the file, and the file and the state as they were.
#[test]
fn a_read_only_or_foreign_warehouse_file_is_refused_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt as _;

    let run = after_a_good_run();
    let warehouse = run.path().join("files/warehouse.db");
    std::fs::set_permissions(&warehouse, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = left(run.path());
    let bytes = std::fs::read(&warehouse).unwrap();
    let output = with_a_secret_cli(run.path(), &["debug"]);
    assert_refused(&output, "files/warehouse.db is read-only");
    assert_eq!(std::fs::read(&warehouse).unwrap(), bytes);
    assert_eq!(left(run.path()), before);

    let run = LocalRun::new();
    std::fs::write(
        run.path().join("configuration.json"),
        format!(r#"{{"token": "{TOKEN}"}}"#),
    )
    .unwrap();
    std::fs::create_dir_all(run.path().join("files")).unwrap();
    let warehouse = run.path().join("files/warehouse.db");
    std::fs::write(&warehouse, "id,name\n1,not a database\n".repeat(200)).unwrap();
    let before = std::fs::read(&warehouse).unwrap();
    let output = with_a_secret_cli(run.path(), &["debug"]);
    assert_refused(&output, "cannot open the warehouse files/warehouse.db");
    assert_eq!(std::fs::read(&warehouse).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(run.path().join("files"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["warehouse.db"], "nothing else was written");
}

/// A second `debug` while one runs: the second is refused at once with exit code 1 and a
/// message naming the file to close; the first ends as if alone.
#[test]
fn a_second_debug_on_a_running_one_s_warehouse_is_refused() {
    let run = LocalRun::new();
    let configuration = run.path().join("configuration.json");
    std::fs::write(&configuration, r#"{"batches": "60"}"#).unwrap();
    let files = run.path().join("files");
    let debug = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kill_target"));
        command
            .args(["debug", "--configuration"])
            .arg(&configuration)
            .arg("--files")
            .arg(&files);
        command
    };
    let mut first = debug().stdout(std::process::Stdio::null()).spawn().unwrap();
    // Running: its first checkpoint is written.
    let started = std::time::Instant::now();
    while !files.join("state.json").exists() {
        assert!(
            started.elapsed().as_secs() < 60,
            "the first run never checkpointed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = debug().output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in use by another process; close it"),
        "{stderr}"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run had ended before the second started: make it longer"
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(files.join("state.json")).unwrap(),
        r#"{"batches":60}"#
    );
    let warehouse = Warehouse::open(&files.join("warehouse.db"), Naming::Fivetran).unwrap();
    let rows: i64 = warehouse
        .connection()
        .query_row("SELECT count(*) FROM tester.rows", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 60_000);
}

/// A command line that does not parse exits with 2 and clap's message naming the value.
#[test]
fn a_bad_command_line_exits_with_2() {
    let run = LocalRun::new();
    let output = with_a_secret_cli(run.path(), &["debug", "--naming", "upper"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'upper' for '--naming <NAMING>'"),
        "{stderr}"
    );
    assert!(!run.path().join("files").exists());
}
