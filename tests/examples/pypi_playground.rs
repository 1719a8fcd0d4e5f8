//! The HTTP examples against the original the Rust playground stands in for: the MIT PyPI
//! package fivetran-api-playground 1.1.9 (random data and random credentials, in the interop
//! venv that `interop/venv.sh` makes), served by `interop/pypi_playground.py` on a free port. One
//! sync of each example into the in-memory destination: a check against a server nobody here
//! wrote.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use connector_core::Connector;
use connector_core::serde_json::{Value, json};
use connector_core::testing::Destination;

use crate::python_interop::{interop_dir, python};

/// The PyPI playground, stopped when dropped.
struct PypiPlayground {
    child: Child,
    url: String,
    credentials: Value,
}

impl PypiPlayground {
    fn start() -> PypiPlayground {
        let mut child = Command::new(python())
            .arg(interop_dir().join("pypi_playground.py"))
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the PyPI playground starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("it prints its credentials");
        let credentials: Value = connector_core::serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("credentials as JSON, not {line:?}: {e}"));
        let url = format!("http://127.0.0.1:{}", credentials["port"]);
        PypiPlayground {
            child,
            url,
            credentials,
        }
    }

    fn credential(&self, name: &str) -> Value {
        self.credentials[name].clone()
    }
}

impl Drop for PypiPlayground {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One sync of `C`; the number of live rows of each table.
async fn sync<C: Connector>(name: &str, configuration: Value, tables: &[&str]) -> Vec<usize> {
    let mut destination = Destination::new();
    destination
        .sync::<C>(configuration)
        .await
        .unwrap_or_else(|failed| panic!("{name} against the PyPI playground: {failed}"));
    tables
        .iter()
        .map(|table| destination.table(table).live_rows().len())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_examples_sync_from_the_pypi_playground() {
    let server = PypiPlayground::start();
    let url = json!(server.url);
    let user = ["user"];
    // Its auth endpoints answer the first 20 users; the other endpoints all 200.
    let auth = [
        (
            sync::<api_key::update>(
                "api_key",
                json!({"base_url": url, "api_key": server.credential("api_key")}),
                &user,
            )
            .await,
            "api_key",
        ),
        (
            sync::<http_bearer::update>(
                "http_bearer",
                json!({"base_url": url, "bearer_token": server.credential("bearer_token")}),
                &user,
            )
            .await,
            "http_bearer",
        ),
        (
            sync::<http_basic::update>(
                "http_basic",
                json!({"base_url": url, "username": server.credential("basic_username"),
                       "password": server.credential("basic_password")}),
                &user,
            )
            .await,
            "http_basic",
        ),
        (
            sync::<session_token::update>(
                "session_token",
                json!({"base_url": url, "username": server.credential("session_username"),
                       "password": server.credential("session_password")}),
                &user,
            )
            .await,
            "session_token",
        ),
    ];
    for (rows, name) in auth {
        assert_eq!(rows, [20], "{name}");
    }
    let plain = json!({"base_url": url});
    let paged = json!({"base_url": url, "page_size": "50"});
    assert_eq!(
        sync::<export_csv::update>("export_csv", plain.clone(), &user).await,
        [200]
    );
    assert_eq!(
        sync::<page_number::update>("page_number", paged.clone(), &user).await,
        [200]
    );
    assert_eq!(
        sync::<offset_based::update>("offset_based", paged.clone(), &user).await,
        [200]
    );
    assert_eq!(
        sync::<next_page_url::update>("next_page_url", paged, &user).await,
        [200]
    );
    // The original's keyset pages on `updatedAt >` the last value of a page; two users that
    // share a second across a page boundary lose one (50 a page: at most 3 of 200).
    let keyset = sync::<keyset::update>("keyset", plain.clone(), &user).await;
    assert!((197..=200).contains(&keyset[0]), "{keyset:?}");
    assert_eq!(
        sync::<multiple_tables_with_cursors::update>(
            "multiple_tables_with_cursors",
            plain,
            &["company", "department"]
        )
        .await,
        [2, 8]
    );
}
