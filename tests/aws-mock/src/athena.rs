//! A mock of the three calls of Athena's JSON 1.1 API a query needs, `StartQueryExecution`,
//! `GetQueryExecution` and `GetQueryResults`, for what moto does not do: results in pages with
//! `NextToken`, and queries that fail.
//!
//! As Athena does, the first page starts with a header row of the column names, counted in
//! `MaxResults` (1000 when absent); later pages hold data rows only; `NextToken` is opaque.
//! Every query returns the same rows, and reports the scripted states one per poll.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// What [`AthenaMock::builder`] sets up: the result's columns and rows, and the states.
pub struct AthenaMockBuilder {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    states: Vec<String>,
    failure_reason: String,
}

impl AthenaMockBuilder {
    /// The result's column names, in order (all of Athena type `varchar`).
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// One more row of the result (`None` is a NULL cell).
    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = Option<S>>) -> Self {
        self.rows
            .push(cells.into_iter().map(|c| c.map(Into::into)).collect());
        self
    }

    /// The states a query reports to successive `GetQueryExecution` calls; the last one is
    /// kept. Default: `SUCCEEDED` at once.
    pub fn states<S: Into<String>>(mut self, states: impl IntoIterator<Item = S>) -> Self {
        self.states = states.into_iter().map(Into::into).collect();
        self
    }

    /// The `StateChangeReason` a FAILED or CANCELLED query reports.
    pub fn failure_reason(mut self, reason: impl Into<String>) -> Self {
        self.failure_reason = reason.into();
        self
    }

    /// Binds 127.0.0.1 on a free port and serves on a thread of its own.
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start(self) -> AthenaMock {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let mock = Arc::new(Mock {
            builder: self,
            executions: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/", post(answer))
            .with_state(mock.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                tokio::select! {
                    _ = axum::serve(listener, router).into_future() => {}
                    _ = stopped => {}
                }
            });
        });
        AthenaMock {
            url,
            mock,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// A running mock of Athena, stopped when dropped.
pub struct AthenaMock {
    url: String,
    mock: Arc<Mock>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// One call the mock answered: its action (`GetQueryResults`) and its JSON body.
#[derive(Clone, Debug)]
pub struct AthenaRequest {
    /// The operation, from `X-Amz-Target` without the `AmazonAthena.` prefix.
    pub action: String,
    /// The request's JSON body.
    pub body: Value,
}

impl AthenaMock {
    /// A mock with no columns, no rows, and queries that succeed at once.
    pub fn builder() -> AthenaMockBuilder {
        AthenaMockBuilder {
            columns: Vec::new(),
            rows: Vec::new(),
            states: vec!["SUCCEEDED".into()],
            failure_reason: "the query failed".into(),
        }
    }

    /// The endpoint: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every call answered so far, in order.
    pub fn requests(&self) -> Vec<AthenaRequest> {
        self.mock.requests.lock().expect("not poisoned").clone()
    }

    /// The calls of one action, in order.
    pub fn requests_of(&self, action: &str) -> Vec<AthenaRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.action == action)
            .collect()
    }
}

impl Drop for AthenaMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Mock {
    builder: AthenaMockBuilder,
    /// How many times each query (by index: its id is `query-<index>`) has been polled.
    executions: Mutex<Vec<usize>>,
    requests: Mutex<Vec<AthenaRequest>>,
}

async fn answer(
    axum::extract::State(mock): axum::extract::State<Arc<Mock>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let action = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("AmazonAthena."))
        .unwrap_or_default()
        .to_string();
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    mock.requests
        .lock()
        .expect("not poisoned")
        .push(AthenaRequest {
            action: action.clone(),
            body: body.clone(),
        });
    let answer = match action.as_str() {
        "StartQueryExecution" => Ok(mock.start_query()),
        "GetQueryExecution" => mock.poll(&body),
        "GetQueryResults" => mock.results(&body),
        _ => Err(format!("the mock does not know {action:?}")),
    };
    let (status, document) = match answer {
        Ok(document) => (StatusCode::OK, document),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            json!({"__type": "InvalidRequestException", "Message": message}),
        ),
    };
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        document.to_string(),
    )
        .into_response()
}

impl Mock {
    fn start_query(&self) -> Value {
        let mut executions = self.executions.lock().expect("not poisoned");
        executions.push(0);
        json!({"QueryExecutionId": format!("query-{}", executions.len() - 1)})
    }

    /// The index of the query the body names.
    fn query(&self, body: &Value) -> Result<usize, String> {
        let id = body["QueryExecutionId"].as_str().unwrap_or_default();
        let known = self.executions.lock().expect("not poisoned").len();
        id.strip_prefix("query-")
            .and_then(|n| n.parse().ok())
            .filter(|n| *n < known)
            .ok_or_else(|| format!("QueryExecution {id} was not found"))
    }

    /// The query's state at this poll (the scripted one, the last kept), counting the poll.
    fn state_of(&self, query: usize) -> &str {
        let mut executions = self.executions.lock().expect("not poisoned");
        let polls = executions[query];
        executions[query] += 1;
        let states = &self.builder.states;
        &states[polls.min(states.len() - 1)]
    }

    fn poll(&self, body: &Value) -> Result<Value, String> {
        let query = self.query(body)?;
        let state = self.state_of(query);
        let mut status = json!({"State": state});
        if state == "FAILED" || state == "CANCELLED" {
            status["StateChangeReason"] = json!(self.builder.failure_reason);
        }
        Ok(json!({"QueryExecution": {
            "QueryExecutionId": format!("query-{query}"),
            "Query": body["QueryString"],
            "Status": status,
        }}))
    }

    fn results(&self, body: &Value) -> Result<Value, String> {
        let query = self.query(body)?;
        // The state the last poll saw: results exist once that was SUCCEEDED.
        let polls = self.executions.lock().expect("not poisoned")[query];
        let states = &self.builder.states;
        let seen = &states[polls.saturating_sub(1).min(states.len() - 1)];
        if polls == 0 || seen != "SUCCEEDED" {
            return Err(format!("Query has not yet finished. Current state: {seen}"));
        }
        let page_size = body["MaxResults"].as_u64().unwrap_or(1000) as usize;
        // Positions in the result as Athena counts it: the header row is position 0.
        let start = match body["NextToken"].as_str() {
            None => 0,
            Some(token) => token
                .strip_prefix("after-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("the NextToken {token:?} is not valid"))?,
        };
        let total = self.builder.rows.len() + 1;
        let end = (start + page_size).min(total);
        let header = self.builder.columns.iter().map(|c| Some(c.clone()));
        let cells = |row: Vec<Option<String>>| {
            let data: Vec<Value> = row
                .into_iter()
                .map(|cell| cell.map_or(json!({}), |v| json!({"VarCharValue": v})))
                .collect();
            json!({"Data": data})
        };
        let rows: Vec<Value> = (start..end)
            .map(|position| match position {
                0 => cells(header.clone().collect()),
                n => cells(self.builder.rows[n - 1].clone()),
            })
            .collect();
        let columns: Vec<Value> = self
            .builder
            .columns
            .iter()
            .map(|name| json!({"Name": name, "Label": name, "Type": "varchar", "Nullable": "UNKNOWN"}))
            .collect();
        let mut answer = json!({
            "ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": columns}},
            "UpdateCount": 0,
        });
        if end < total {
            answer["NextToken"] = json!(format!("after-{end}"));
        }
        Ok(answer)
    }
}
