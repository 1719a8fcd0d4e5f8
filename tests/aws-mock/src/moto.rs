//! `moto_server` as a child process of the test: found in the venv `interop/moto.sh` makes,
//! started on 127.0.0.1 with a port the system picks, and killed when the handle is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where `interop/moto.sh` puts its venv unless `CONNECTOR_SDK_MOTO_VENV` says otherwise.
const DEFAULT_VENV: &str = "/var/tmp/connector-sdk-moto-venv";

/// How long moto may take to say which port it listens on.
const STARTUP: Duration = Duration::from_secs(60);

/// A running `moto_server`, stopped when dropped.
pub struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    /// Starts `moto_server` accepting any credentials, as moto does by default.
    ///
    /// # Panics
    /// When `moto_server` is not installed (the message says how to install it) or does not
    /// start.
    pub fn start() -> Moto {
        Moto::spawn(None)
    }

    /// Starts `moto_server` checking credentials as AWS does: every request must be signed
    /// with an access key moto's IAM knows, and since none is created, every request is
    /// refused (`InvalidClientTokenId`, "The security token included in the request is
    /// invalid").
    ///
    /// # Panics
    /// As [`Moto::start`].
    pub fn start_refusing_credentials() -> Moto {
        Moto::spawn(Some(0))
    }

    fn spawn(unauthenticated_requests: Option<u32>) -> Moto {
        let program = moto_server();
        // A shell between the test and moto stops moto when its standard input closes: when
        // the handle is dropped, and also when the test process dies without dropping it
        // (killed, or a static never dropped), so that no moto_server outlives its test.
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "\"$0\" -H 127.0.0.1 -p 0 & moto=$!; read -r _; kill $moto; wait $moto",
            ])
            .arg(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(count) = unauthenticated_requests {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", count.to_string());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", program.display()));
        // Werkzeug writes the address it bound to stderr, then one line per request: read it
        // to the end on a thread of its own, so that the pipe never fills up.
        let stderr = child.stderr.take().expect("stderr is piped");
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line
                    .split_whitespace()
                    .find(|word| word.starts_with("http://127.0.0.1:"))
                    && let Some(found) = found.take()
                {
                    let _ = found.send(url.to_string());
                }
            }
        });
        match address.recv_timeout(STARTUP) {
            Ok(url) => Moto { child, url },
            Err(_) => {
                drop(child.stdin.take());
                let status = child.wait();
                panic!(
                    "{} did not say which port it listens on within {STARTUP:?} ({status:?})",
                    program.display()
                )
            }
        }
    }

    /// The endpoint of every service: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues the result of the next Athena queries (moto's
    /// `POST /moto-api/static/athena/query-results`): each query that asks for its results
    /// takes the next one, in order. `results` is moto's list of `{"rows": [...],
    /// "column_info": [...]}`; rows are Athena's `{"Data": [{"VarCharValue": ...}]}`.
    ///
    /// # Panics
    /// When moto does not accept them.
    pub fn queue_athena_results(&self, region: &str, results: serde_json::Value) {
        let body = serde_json::json!({"region": region, "results": results});
        let status = self.post("/moto-api/static/athena/query-results", &body);
        assert_eq!(status, 201, "moto refused the Athena results");
    }

    /// Makes each Athena query report QUEUED, then RUNNING, then SUCCEEDED, one state per
    /// `GetQueryExecution` (moto's state manager; by default a query has succeeded at once).
    ///
    /// # Panics
    /// When moto does not accept it.
    pub fn athena_queries_take_two_polls(&self) {
        let body = serde_json::json!({
            "model_name": "athena::execution",
            "transition": {"progression": "manual", "times": 1},
        });
        let status = self.post("/moto-api/state-manager/set-transition", &body);
        assert_eq!(status, 201, "moto refused the state transition");
    }

    /// One call of DynamoDB's JSON API (`CreateTable`, `PutItem`, ...) with a body in
    /// DynamoDB's JSON; the answer. For a moto that checks no credentials ([`Moto::start`]).
    ///
    /// # Panics
    /// When moto refuses the call.
    pub fn dynamodb(&self, action: &str, body: serde_json::Value) -> serde_json::Value {
        let header = format!(
            "X-Amz-Target: DynamoDB_20120810.{action}\r\nAuthorization: AWS4-HMAC-SHA256 \
             Credential=AKIDSETUP/20260101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=host, Signature=0\r\n"
        );
        let (status, answer) = self.send(
            "/",
            "application/x-amz-json-1.0",
            &header,
            &body.to_string(),
        );
        assert_eq!(status, 200, "moto refused {action}: {answer}");
        serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null)
    }

    /// POSTs JSON to moto's own API and returns the status code.
    fn post(&self, path: &str, body: &serde_json::Value) -> u16 {
        let (status, _) = self.send(path, "application/json", "", &body.to_string());
        status
    }

    /// Sends one POST, with an extra header line (or none); the status and the body.
    fn send(&self, path: &str, content_type: &str, header: &str, body: &str) -> (u16, String) {
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("moto accepts connections");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
             {header}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("moto reads the request");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("moto answers the request");
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("moto's answer has no status: {answer}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_string();
        (status, body)
    }

    /// Starts `moto_server` checking credentials and policies as AWS does, with an IAM user
    /// whose key may only assume a role (`sts:AssumeRole`), and that role, which may do
    /// anything in DynamoDB. A client that signs DynamoDB requests with the user's key is
    /// refused (`AccessDenied`); one that signs with the role's temporary credentials is not.
    ///
    /// # Panics
    /// As [`Moto::start`], and when moto refuses the setup.
    pub fn start_with_role() -> (Moto, RoleSetup) {
        // The setup's requests are the only ones moto lets through unchecked.
        let moto = Moto::spawn(Some(IAM_SETUP_REQUESTS));
        let assume_only = policy("sts:AssumeRole");
        let dynamodb_only = policy("dynamodb:*");
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/connector"},"Action":"sts:AssumeRole"}]}"#;
        let calls: [&[(&str, &str)]; IAM_SETUP_REQUESTS as usize] = [
            &[("Action", "CreateUser"), ("UserName", "connector")],
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", "assume-only"),
                ("PolicyDocument", &assume_only),
            ],
            &[
                ("Action", "AttachUserPolicy"),
                ("UserName", "connector"),
                ("PolicyArn", "arn:aws:iam::123456789012:policy/assume-only"),
            ],
            &[
                ("Action", "CreateRole"),
                ("RoleName", "dynamo-reader"),
                ("AssumeRolePolicyDocument", trust),
            ],
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", "dynamodb-only"),
                ("PolicyDocument", &dynamodb_only),
            ],
            &[
                ("Action", "AttachRolePolicy"),
                ("RoleName", "dynamo-reader"),
                (
                    "PolicyArn",
                    "arn:aws:iam::123456789012:policy/dynamodb-only",
                ),
            ],
            &[("Action", "CreateAccessKey"), ("UserName", "connector")],
        ];
        let mut answer = String::new();
        for call in calls {
            answer = moto.iam(call);
        }
        let element = |name: &str| {
            let start = answer
                .find(&format!("<{name}>"))
                .unwrap_or_else(|| panic!("no {name} in moto's answer: {answer}"))
                + name.len()
                + 2;
            let end = answer[start..].find('<').expect("a closing tag") + start;
            answer[start..end].to_string()
        };
        let setup = RoleSetup {
            access_key_id: element("AccessKeyId"),
            secret_access_key: element("SecretAccessKey"),
            role_arn: "arn:aws:iam::123456789012:role/dynamo-reader".into(),
        };
        (moto, setup)
    }

    /// One IAM call (form-encoded, as the query protocol sends it); the answer's body.
    fn iam(&self, parameters: &[(&str, &str)]) -> String {
        let mut form = String::from("Version=2010-05-08");
        for (name, value) in parameters {
            form.push_str(&format!("&{name}={}", form_encoded(value)));
        }
        // moto finds the service in the credential scope; it checks no signature yet.
        let header = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDSETUP/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n";
        let (status, body) = self.send("/", "application/x-www-form-urlencoded", header, &form);
        assert_eq!(status, 200, "moto refused {parameters:?}: {body}");
        body
    }
}

/// How many requests [`Moto::start_with_role`] makes before moto checks credentials.
const IAM_SETUP_REQUESTS: u32 = 7;

/// What [`Moto::start_with_role`] made: the user's key and the role it may assume.
#[derive(Clone, Debug)]
pub struct RoleSetup {
    /// The user's access key ID.
    pub access_key_id: String,
    /// The user's secret access key.
    pub secret_access_key: String,
    /// The role that may read DynamoDB.
    pub role_arn: String,
}

/// A policy document allowing `action` on everything.
fn policy(action: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    })
    .to_string()
}

/// `text` as a form value: everything but unreserved characters percent-encoded.
fn form_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing the shell's standard input makes it stop moto and wait for it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The `moto_server` to run: `$MOTO_SERVER`, else the one of the venv `interop/moto.sh`
/// makes, else one on the `PATH`.
///
/// # Panics
/// When there is none, saying how to install it.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = std::env::var_os("CONNECTOR_SDK_MOTO_VENV")
        .map_or_else(|| PathBuf::from(DEFAULT_VENV), PathBuf::from);
    let in_venv = venv.join("bin/moto_server");
    if in_venv.is_file() {
        return in_venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server is not installed: the AWS examples' tests run against it. Install it \
             with `bash interop/moto.sh` (PyPI's moto[server] 5.2 in a venv at {}), or set \
             MOTO_SERVER to a moto_server",
            venv.display()
        )
    })
}
