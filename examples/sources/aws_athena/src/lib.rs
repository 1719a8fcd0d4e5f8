//! Amazon Athena with the official AWS SDK for Rust: `SELECT * FROM <table>` started with
//! `StartQueryExecution`, polled with `GetQueryExecution` until it ends, and its results read
//! with `GetQueryResults` a page at a time (`MaxResults` rows, then `NextToken`), every row
//! upserted into `customers`.
//!
//! After each page the state holds the query and the token of the next page, so a sync that
//! stops part-way resumes at the next page of the same query instead of starting it again.
//! When the last page is written the state is cleared: the next sync runs a new query.
//!
//! The endpoint can be overridden (`endpoint_url`), which is how the tests point the SDK at
//! moto and at a small mock of Athena's API.

use std::time::Duration;

use aws_sdk_athena::Client;
use aws_sdk_athena::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_athena::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_athena::types::{
    ColumnInfo, QueryExecutionContext, QueryExecutionState, ResultConfiguration,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use connector_core::http::Secret;
use connector_core::prelude::*;

/// The connector's settings: the original's five, and what the Python original hard-codes.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(label = "AWS access key ID")]
    pub aws_access_key_id: String,
    #[field(label = "AWS secret access key", secret)]
    pub aws_secret_access_key: Secret,
    #[field(label = "Region", description = "The AWS region of Athena: us-east-1")]
    pub region_name: String,
    #[field(
        label = "Database",
        description = "The Athena (Glue) database of the table"
    )]
    pub database_name: String,
    #[field(
        label = "S3 staging directory",
        description = "Where Athena writes the query's results: s3://bucket/prefix/"
    )]
    pub s3_staging_dir: String,
    #[field(
        label = "Table",
        description = "The table the query reads",
        default = "test_rows"
    )]
    pub table_name: String,
    #[field(
        label = "Endpoint URL",
        description = "Another endpoint than AWS's for the region (a local stand-in); empty for AWS"
    )]
    pub endpoint_url: Option<String>,
    #[field(
        description = "How long to wait between two looks at a running query, in milliseconds",
        default = "5000"
    )]
    pub poll_interval_ms: u64,
    #[field(
        description = "Rows per page of results (GetQueryResults' MaxResults, at most 1000)",
        default = "1000"
    )]
    pub page_size: i32,
}

/// A customer: the Python original's table, every column a STRING.
#[table(name = "customers")]
#[derive(Debug)]
pub struct Customer {
    #[primary_key]
    pub customer_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// Where a sync that stopped part-way goes on: the query whose results it was reading and the
/// token of the page it had not read. Both empty between syncs.
#[state]
#[derive(Debug, Default)]
pub struct State {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An Athena client built from the configuration alone (no environment, no profile files),
/// on rustls with ring.
fn athena(config: &Config) -> Client {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let credentials = Credentials::new(
        &config.aws_access_key_id,
        config.aws_secret_access_key.expose(),
        None,
        None,
        "configuration",
    );
    let mut settings = aws_sdk_athena::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region_name.clone()))
        .credentials_provider(credentials)
        .http_client(https);
    if let Some(url) = config.endpoint_url.as_deref().filter(|u| !u.is_empty()) {
        settings = settings.endpoint_url(url);
    }
    Client::from_conf(settings.build())
}

/// An SDK error in one line: AWS's code and message (`UnrecognizedClientException: The
/// security token included in the request is invalid.`); for an answer the SDK could not read,
/// its status and the start of its body; otherwise the error's chain of causes. AWS never sends
/// a secret key back, and the SDK never puts one in an error.
fn aws_error<E>(error: SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(code) = error.code() {
        return format!("{code}: {}", error.message().unwrap_or("(no message)"));
    }
    match error.raw_response() {
        Some(response) => {
            let body = response.body().bytes().unwrap_or_default();
            let body = String::from_utf8_lossy(&body[..body.len().min(500)]);
            format!("HTTP {}: {}", response.status().as_u16(), body.trim())
        }
        None => DisplayErrorContext(&error).to_string(),
    }
}

/// `"name"` with inner quotes doubled: an Athena identifier.
fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Starts the query and waits for it to succeed; its id.
async fn run_query(athena: &Client, config: &Config) -> Result<String> {
    let started = athena
        .start_query_execution()
        .query_string(format!("SELECT * FROM {}", quoted(&config.table_name)))
        .query_execution_context(
            QueryExecutionContext::builder()
                .database(&config.database_name)
                .build(),
        )
        .result_configuration(
            ResultConfiguration::builder()
                .output_location(&config.s3_staging_dir)
                .build(),
        )
        .send()
        .await
        .map_err(|e| anyhow!("starting the Athena query: {}", aws_error(e)))?;
    let id = started
        .query_execution_id()
        .context("Athena started the query without an id")?
        .to_string();
    let interval = Duration::from_millis(config.poll_interval_ms);
    loop {
        let execution = athena
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .map_err(|e| anyhow!("reading the state of query {id}: {}", aws_error(e)))?;
        let status = execution.query_execution().and_then(|q| q.status());
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => return Ok(id),
            Some(state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled)) => {
                let reason = status
                    .and_then(|s| s.state_change_reason())
                    .unwrap_or("no reason given");
                bail!("the Athena query {id} ended {state}: {reason}");
            }
            // QUEUED or RUNNING.
            _ => connector_core::tokio::time::sleep(interval).await,
        }
    }
}

/// Where each of the table's columns is in the result's rows, by the result's column names.
struct Positions {
    customer_id: usize,
    first_name: usize,
    last_name: usize,
    email: usize,
}

impl Positions {
    fn of(columns: &[ColumnInfo]) -> Result<Positions> {
        let find = |name: &str| {
            columns
                .iter()
                .position(|c| c.name() == name)
                .with_context(|| format!("the query's result has no column {name}"))
        };
        Ok(Positions {
            customer_id: find("customer_id")?,
            first_name: find("first_name")?,
            last_name: find("last_name")?,
            email: find("email")?,
        })
    }

    /// The customer of one result row; a missing cell and a NULL are both `None`.
    fn customer(&self, row: &aws_sdk_athena::types::Row) -> Result<Customer> {
        let cell = |position: usize| {
            row.data()
                .get(position)
                .and_then(|d| d.var_char_value())
                .map(str::to_owned)
        };
        Ok(Customer {
            customer_id: cell(self.customer_id).context("a row has no customer_id")?,
            first_name: cell(self.first_name),
            last_name: cell(self.last_name),
            email: cell(self.email),
        })
    }
}

#[sync(tables(Customer))]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    ensure!(
        (1..=1000).contains(&config.page_size),
        "page_size must be between 1 and 1000, not {}",
        config.page_size
    );
    let athena = athena(config);
    let saved = (state.query_execution_id.take(), state.next_token.take());
    let mut resuming = saved.0.is_some() && saved.1.is_some();
    let (mut query, mut token) = match saved {
        // A sync stopped part-way: the same query, from the page it had not read.
        (Some(query), Some(token)) => (query, Some(token)),
        _ => (run_query(&athena, config).await?, None),
    };
    loop {
        let asked = athena
            .get_query_results()
            .query_execution_id(&query)
            .max_results(config.page_size)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match asked {
            Ok(page) => page,
            // The saved query's results are gone (Athena keeps them for a while only): run
            // the query again. Rows written before the stop are upserted over themselves.
            Err(error) if resuming && error.code() == Some("InvalidRequestException") => {
                let why = aws_error(error);
                ops.warning(format!(
                    "query {query} cannot be resumed ({why}): running the query again"
                ))
                .await?;
                (query, token, resuming) = (run_query(&athena, config).await?, None, false);
                continue;
            }
            Err(error) => bail!("reading the results of query {query}: {}", aws_error(error)),
        };
        resuming = false;
        let result = page
            .result_set()
            .context("Athena answered without a result set")?;
        // Athena sends the column names as the first row of the first page, and only there.
        let skip = usize::from(token.is_none());
        let rows = result.rows().get(skip..).unwrap_or_default();
        if !rows.is_empty() {
            let columns = result
                .result_set_metadata()
                .map(|m| m.column_info())
                .unwrap_or_default();
            let positions = Positions::of(columns)?;
            for row in rows {
                ops.upsert(positions.customer(row)?).await?;
            }
        }
        token = page.next_token().map(str::to_owned);
        // The page's rows and where the next page starts become durable together.
        match &token {
            Some(next) => {
                state.query_execution_id = Some(query.clone());
                state.next_token = Some(next.clone());
                ops.checkpoint(state).await?;
            }
            None => {
                *state = State::default();
                ops.checkpoint(state).await?;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_mock::{AthenaMock, Moto};
    use connector_core::Table;
    use connector_core::serde_json::Value as Json;
    use connector_core::testing::Destination;

    const SECRET: &str = "athena-secret-5d1e7a";
    const REGION: &str = "us-east-1";

    /// A configuration for the endpoint at `url`, polling every 20 ms.
    fn config(url: &str) -> Json {
        json!({
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": SECRET,
            "region_name": REGION,
            "database_name": "sales",
            "s3_staging_dir": "s3://results/athena/",
            "endpoint_url": url,
            "poll_interval_ms": "20",
        })
    }

    /// The live rows of `customers` as `[customer_id, first_name, last_name, email]`, ordered
    /// by customer_id.
    fn customers(destination: &Destination) -> Vec<Vec<Option<String>>> {
        let mut rows: Vec<Vec<Option<String>>> = destination
            .table("customers")
            .live_rows()
            .iter()
            .map(|row| {
                ["customer_id", "first_name", "last_name", "email"]
                    .iter()
                    .map(|column| match row.get(column) {
                        Some(Value::String(text)) => Some(text.clone()),
                        Some(Value::Null) | None => None,
                        other => panic!("{column} is {other:?}"),
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    }

    fn some(cells: [&str; 4]) -> Vec<Option<String>> {
        cells.iter().map(|c| Some(c.to_string())).collect()
    }

    /// A result as moto takes it: the header row first, as Athena sends it.
    fn moto_result(rows: &[[&str; 4]]) -> Json {
        let header = ["customer_id", "first_name", "last_name", "email"];
        let data: Vec<Json> = std::iter::once(&header)
            .chain(rows)
            .map(|row| json!({"Data": row.iter().map(|v| json!({"VarCharValue": v})).collect::<Vec<_>>()}))
            .collect();
        let columns: Vec<Json> = header
            .iter()
            .map(|name| json!({"Name": name, "Type": "varchar", "CatalogName": "hive", "SchemaName": "sales", "TableName": "test_rows", "Label": name, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true}))
            .collect();
        json!({"rows": data, "column_info": columns})
    }

    /// A mock of Athena whose result is `count` customers `c01`, `c02`, ...
    fn paging_mock(count: usize) -> AthenaMock {
        let mut mock = AthenaMock::builder()
            .columns(["customer_id", "first_name", "last_name", "email"])
            .states(["QUEUED", "RUNNING", "SUCCEEDED"]);
        for n in 1..=count {
            mock = mock.row([
                Some(format!("c{n:02}")),
                Some(format!("First{n}")),
                // A NULL cell, as Athena sends it: a Datum without VarCharValue.
                (n % 3 != 0).then(|| format!("Last{n}")),
                Some(format!("c{n}@example.com")),
            ]);
        }
        mock.start()
    }

    /// Two syncs against moto: each starts a query, polls it through QUEUED and RUNNING, and
    /// upserts its rows; the second (a new query, since the first cleared its state) updates
    /// a changed customer and adds a new one.
    #[tokio::test(flavor = "multi_thread")]
    async fn two_syncs_against_moto_each_run_the_query_and_upsert_its_rows() {
        let moto = Moto::start();
        moto.athena_queries_take_two_polls();
        moto.queue_athena_results(
            REGION,
            json!([
                moto_result(&[
                    ["1", "Ada", "Lovelace", "ada@example.com"],
                    ["2", "Alan", "Turing", "alan@example.com"],
                ]),
                moto_result(&[
                    ["2", "Alan", "Turing", "alan.turing@example.com"],
                    ["3", "Grace", "Hopper", "grace@example.com"],
                ]),
            ]),
        );
        let mut destination = Destination::new();
        let first = destination
            .sync::<update>(config(moto.url()))
            .await
            .unwrap();
        assert_eq!(
            destination.table("customers").columns(),
            [
                ("customer_id", Some(DataType::String)),
                ("first_name", Some(DataType::String)),
                ("last_name", Some(DataType::String)),
                ("email", Some(DataType::String)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        let keys: Vec<&str> = Customer::schema()
            .primary_key()
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(keys, ["customer_id"]);
        // The header row is not a customer.
        assert_eq!(
            customers(&destination),
            [
                some(["1", "Ada", "Lovelace", "ada@example.com"]),
                some(["2", "Alan", "Turing", "alan@example.com"]),
            ]
        );
        assert_eq!(first.report.total().upserts, 2);
        assert_eq!(first.states, [json!({})]);

        let second = destination
            .sync::<update>(config(moto.url()))
            .await
            .unwrap();
        assert_eq!(second.report.total().upserts, 2);
        assert_eq!(
            customers(&destination),
            [
                some(["1", "Ada", "Lovelace", "ada@example.com"]),
                some(["2", "Alan", "Turing", "alan.turing@example.com"]),
                some(["3", "Grace", "Hopper", "grace@example.com"]),
            ]
        );
        assert_eq!(destination.state(), json!({}));
    }

    /// A query without rows (moto's answer when no result is queued: no header row, no
    /// column information) writes nothing and clears the state.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_query_without_rows_writes_nothing() {
        let moto = Moto::start();
        let mut destination = Destination::new();
        let run = destination
            .sync::<update>(config(moto.url()))
            .await
            .unwrap();
        assert_eq!(run.report.total().upserts, 0);
        assert_eq!(run.states, [json!({})]);
    }

    /// Results in pages: every page is read with the token the previous one gave, every row
    /// of every page is written (the Python original threw page 1 away and dropped the first
    /// row of every page), NULL cells stay NULL, and each page is checkpointed with the token
    /// of the next.
    #[tokio::test(flavor = "multi_thread")]
    async fn results_in_pages_are_read_with_next_token_and_no_row_is_lost() {
        let mock = paging_mock(7);
        let mut configuration = config(mock.url());
        configuration["page_size"] = json!("3");
        let mut destination = Destination::new();
        let run = destination.sync::<update>(configuration).await.unwrap();

        let rows = customers(&destination);
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_deref().unwrap()).collect();
        assert_eq!(ids, ["c01", "c02", "c03", "c04", "c05", "c06", "c07"]);
        assert_eq!(
            rows[2],
            [
                Some("c03".into()),
                Some("First3".into()),
                None,
                Some("c3@example.com".into())
            ]
        );
        assert_eq!(run.report.total().upserts, 7);
        // The header and 2 rows, then 3 rows, then 2.
        let asked: Vec<(Json, Json)> = mock
            .requests_of("GetQueryResults")
            .iter()
            .map(|r| (r.body["NextToken"].clone(), r.body["MaxResults"].clone()))
            .collect();
        assert_eq!(
            asked,
            [
                (Json::Null, json!(3)),
                (json!("after-3"), json!(3)),
                (json!("after-6"), json!(3)),
            ]
        );
        assert_eq!(
            run.states,
            [
                json!({"query_execution_id": "query-0", "next_token": "after-3"}),
                json!({"query_execution_id": "query-0", "next_token": "after-6"}),
                json!({}),
            ]
        );
        // The query as configured, and polled until it succeeded.
        let started = mock.requests_of("StartQueryExecution");
        assert_eq!(started.len(), 1);
        assert_eq!(
            started[0].body["QueryString"],
            "SELECT * FROM \"test_rows\""
        );
        assert_eq!(
            started[0].body["QueryExecutionContext"]["Database"],
            "sales"
        );
        assert_eq!(
            started[0].body["ResultConfiguration"]["OutputLocation"],
            "s3://results/athena/"
        );
        assert_eq!(mock.requests_of("GetQueryExecution").len(), 3);
    }

    /// Stopped after any page, a sync resumes at the next page of the same query (it starts
    /// no new query) and ends with the tables of an uninterrupted sync.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_sync_stopped_after_any_page_resumes_at_the_next_page_of_the_same_query() {
        let mock = paging_mock(10);
        let mut configuration = config(mock.url());
        configuration["page_size"] = json!("4");
        let mut destination = Destination::new();
        let run = destination.assert_resumable::<update>(configuration).await;
        assert_eq!(run.states.len(), 3);
        assert_eq!(customers(&destination).len(), 10);
        // The uninterrupted sync, and for each of the 2 stops the stopped sync, started a
        // query; the resumed syncs did not.
        assert_eq!(mock.requests_of("StartQueryExecution").len(), 3);
    }

    /// A saved query whose results Athena no longer has (an InvalidRequestException on its
    /// token) is run again, with a warning, and the sync ends as a first sync does.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_saved_query_that_is_gone_is_run_again_with_a_warning() {
        let mock = paging_mock(5);
        let mut destination = Destination::with_state(
            json!({"query_execution_id": "query-9", "next_token": "after-3"}),
        );
        let run = destination
            .sync::<update>(config(mock.url()))
            .await
            .unwrap();
        assert_eq!(run.warnings.len(), 1, "{:?}", run.warnings);
        assert!(
            run.warnings[0].contains(
                "query query-9 cannot be resumed (InvalidRequestException: QueryExecution query-9 was not found)"
            ),
            "{}",
            run.warnings[0]
        );
        assert_eq!(customers(&destination).len(), 5);
        assert_eq!(mock.requests_of("StartQueryExecution").len(), 1);
        assert_eq!(destination.state(), json!({}));
    }

    /// A query that fails fails the sync with Athena's reason (the Python original only
    /// printed it and went on); nothing is written and the state stays as it was.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_query_fails_the_sync_with_athenas_reason() {
        let mock = AthenaMock::builder()
            .states(["RUNNING", "FAILED"])
            .failure_reason("TABLE_NOT_FOUND: line 1:15: Table 'sales.test_rows' does not exist")
            .start();
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(config(mock.url()))
            .await
            .unwrap_err();
        let message = failed.to_string();
        assert!(message.contains("ended FAILED"), "{message}");
        assert!(
            message.contains("Table 'sales.test_rows' does not exist"),
            "{message}"
        );
        assert!(failed.run.states.is_empty());
        assert!(mock.requests_of("GetQueryResults").is_empty());
        assert_eq!(destination.state(), json!({}));
    }

    /// Credentials AWS does not know fail the sync with AWS's answer, and the secret key
    /// shows nowhere in the error.
    #[tokio::test(flavor = "multi_thread")]
    async fn wrong_credentials_fail_the_sync_without_showing_the_secret() {
        let moto = Moto::start_refusing_credentials();
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(config(moto.url()))
            .await
            .unwrap_err();
        // moto answers in XML where Athena answers in JSON, so the SDK cannot read the code:
        // the status and the body's text say what happened.
        assert!(
            failed
                .to_string()
                .contains("starting the Athena query: HTTP 403: "),
            "{failed}"
        );
        assert!(
            failed
                .to_string()
                .contains("The security token included in the request is invalid"),
            "{failed}"
        );
        let message = format!("{failed} {failed:?}");
        assert!(!message.contains(SECRET), "{message}");
        assert!(failed.run.states.is_empty());
    }

    /// The configuration's checks: MaxResults must be one Athena takes.
    #[tokio::test]
    async fn a_page_size_athena_refuses_fails_before_any_request() {
        let mut configuration = config("http://127.0.0.1:9");
        configuration["page_size"] = json!("5000");
        let failed = Destination::new()
            .sync::<update>(configuration)
            .await
            .unwrap_err();
        assert!(
            failed.to_string().contains("between 1 and 1000"),
            "{failed}"
        );
    }
}
