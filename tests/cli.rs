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

/// `serve` logs one JSON object per line on stdout, with Fivetran's levels and origin, and the
/// secret of a configuration it was given shows in none of them, even when a setup test's error
/// quotes it.
#[tokio::test(flavor = "multi_thread")]
async fn serve_logs_json_lines_without_secrets() {
    use connector_core::__internal::proto;
    use connector_core::__internal::proto::source_connector_client::SourceConnectorClient;
    use std::io::{BufRead as _, BufReader};

    const SECRET: &str = "sk-live-0123456789";
    let mut server = Command::new(env!("CARGO_BIN_EXE_cli-fixture"))
        .args(["serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut early = Vec::new();
    let port: u16 = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no port in {early:?}"
        );
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        let message = json["message"].as_str().unwrap().to_string();
        if let Some(port) = message.strip_prefix("listening on 0.0.0.0:") {
            break port.parse().unwrap();
        }
        early.push(json);
    };

    let mut client = SourceConnectorClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    let test = client
        .test(proto::TestRequest {
            name: "key_accepted".into(),
            configuration: [("api_key".to_string(), SECRET.to_string())].into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        test.response,
        Some(proto::test_response::Response::Failure(
            "401 from https://api.example.com/v1?key=***".into()
        ))
    );
    let mut updates = client
        .update(proto::UpdateRequest {
            configuration: [("api_key".to_string(), SECRET.to_string())].into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    while updates.message().await.unwrap().is_some() {}
    // A failed sync: one line that says so once.
    let mut failed = client
        .update(proto::UpdateRequest {
            configuration: [
                ("api_key".to_string(), SECRET.to_string()),
                ("page_size".to_string(), "0".to_string()),
            ]
            .into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    while let Ok(Some(_)) = failed.message().await {}

    // SIGTERM: the server stops cleanly.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(server.wait().unwrap().success());
    let lines: Vec<serde_json::Value> = early
        .into_iter()
        .chain(
            stdout
                .lines()
                .map(|line| serde_json::from_str(&line.unwrap()).expect("every line is JSON")),
        )
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    for line in &lines {
        let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["level", "message", "message-origin"], "{line}");
        assert!(["INFO", "WARNING", "SEVERE"].contains(&line["level"].as_str().unwrap()));
        assert_eq!(line["message-origin"], "sdk_connector");
        assert!(!line.to_string().contains(SECRET), "{line}");
    }
    assert!(
        messages.iter().any(|m| m.contains(
            "setup test `key_accepted`: failed: 401 from https://api.example.com/v1?key=***"
        )),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("sync succeeded")),
        "{messages:?}"
    );
    assert!(
        lines.iter().any(|l| l["level"] == "SEVERE"
            && l["message"] == "the sync failed: the page size must be positive"),
        "{messages:?}"
    );
    assert_eq!(messages.last(), Some(&"stopped"));
}
