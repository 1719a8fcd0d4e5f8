//! The package Fivetran builds, `fivetran_source` (`deploy/fivetran_source`, the `hello`
//! example without the local runner): built as Fivetran builds it (debug here, to save time) in
//! a target directory of its own, it leaves exactly one executable, compiles no DuckDB, and
//! its `serve` answers a gRPC client.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use connector_core::__internal::proto;
use connector_core::__internal::proto::source_connector_client::SourceConnectorClient;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A target directory for this package alone, kept between runs so that only the first build
/// is slow.
fn target_dir() -> PathBuf {
    let shared = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    shared.join("fivetran_source-package")
}

fn executables(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            let meta = e.metadata().unwrap();
            meta.is_file() && meta.permissions().mode() & 0o111 != 0
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn fivetran_source_builds_one_executable_without_duckdb_and_serves() {
    let target = target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(cargo)
        .args(["build", "--locked", "-p", "fivetran_source"])
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let out = target.join("debug");
    assert_eq!(executables(&out), ["fivetran_source"]);
    let duckdb_built = std::fs::read_dir(out.join("build"))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().contains("duckdb"));
    assert!(!duckdb_built, "the production build compiled DuckDB");

    let binary = out.join("fivetran_source");
    let no_debug = Command::new(&binary).arg("debug").output().unwrap();
    assert!(
        !no_debug.status.success(),
        "the production binary has no local runner"
    );

    let mut server = Command::new(&binary)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let port: u16 = lines
        .by_ref()
        .map(|line| serde_json::from_str::<serde_json::Value>(&line.unwrap()).unwrap())
        .find_map(|json| {
            json["message"]
                .as_str()?
                .strip_prefix("listening on 0.0.0.0:")?
                .parse()
                .ok()
        })
        .expect("the server says where it listens");
    let schema = SourceConnectorClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .unwrap()
        .schema(proto::SchemaRequest::default())
        .await;
    let _ = server.kill();
    let _ = server.wait();
    let Some(proto::schema_response::Response::WithoutSchema(list)) =
        schema.unwrap().into_inner().response
    else {
        panic!("a table list")
    };
    assert_eq!(list.tables[0].name, "hello");
}
