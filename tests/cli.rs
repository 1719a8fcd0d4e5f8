//! The command line that `main!` generates, run as a real binary (`bin/cli_fixture.rs`).

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cli-fixture"))
        .args(args)
        .output()
        .expect("the fixture runs")
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn configuration_file(content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cli-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "configuration-{:x}.json",
        content.len() * 31 + content.bytes().map(usize::from).sum::<usize>()
    ));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn schema_prints_the_declared_tables() {
    let schema = stdout_json(&run(&["schema"]));
    assert_eq!(
        schema,
        serde_json::json!({"tables": [{
            "name": "greetings",
            "columns": [
                {"name": "id", "type": "LONG", "primary_key": true},
                {"name": "sentAt", "type": "UTC_DATETIME", "primary_key": false}
            ]
        }]})
    );
}

#[test]
fn form_prints_fields_and_setup_tests() {
    let form = stdout_json(&run(&["form"]));
    assert_eq!(form["fields"][0]["name"], "api_key");
    assert_eq!(form["fields"][0]["text_field"], "Password");
    assert_eq!(form["fields"][1]["default_value"], "10");
    assert_eq!(form["tests"][1]["label"], "Calling the API");
}

#[test]
fn test_runs_the_setup_tests_and_never_prints_the_secret() {
    let path = configuration_file(r#"{"api_key": "sk-very-secret-123"}"#);
    let output = run(&["test", "--configuration", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stdout.contains("ok      key_present: Checking the key"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "FAILED  key_accepted: Calling the API: 401 from https://api.example.com/v1?key=***"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("sk-very-secret-123"), "{stdout}");

    let only = run(&[
        "test",
        "--configuration",
        path.to_str().unwrap(),
        "--name",
        "key_present",
    ]);
    assert!(
        only.status.success(),
        "{}",
        String::from_utf8_lossy(&only.stdout)
    );
}

#[test]
fn a_bad_configuration_fails_with_every_problem() {
    let path = configuration_file(r#"{"api_key": "", "page_size": "lots"}"#);
    let output = run(&["test", "--configuration", path.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`api_key` is required but missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`page_size` must be a whole number"),
        "{stderr}"
    );

    let missing = run(&["test", "--configuration", "/nonexistent/configuration.json"]);
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read the configuration file")
    );
}
