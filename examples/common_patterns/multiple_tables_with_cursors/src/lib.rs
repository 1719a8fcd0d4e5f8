//! A parent table and a child table, each with its own incremental cursor: the companies updated
//! since the company cursor (`/cursors/companies`), then, for every company known, its
//! departments updated since that company's department cursor
//! (`/cursors/{company_id}/departments`). The state holds one cursor for the companies and one
//! per company for the departments:
//!
//! ```json
//! {"company_cursor": "2025-12-30T10:00:00Z",
//!  "department_cursor": {"1": "2025-12-31T08:00:00Z", "2": null}}
//! ```
//!
//! A company's entry is made when the company is first written (`null`: none of its departments
//! synced yet), so the departments of a company whose own row did not change are still read
//! for changes, and a sync stopped between a company and its departments picks them up on
//! resume.

use std::collections::BTreeMap;
use std::time::Duration;

use connector_core::http::{Client, Incremental, Retry};
use connector_core::prelude::*;
use connector_core::serde;

/// The format the API writes and reads its times in.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Where a cursor starts: the beginning of time, as in the Python original.
const BEGINNING: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Base URL",
        description = "The API's address: the playground's (`playground start`) by default",
        default = "http://127.0.0.1:5001"
    )]
    pub base_url: String,
    #[field(
        description = "How many times a failed request (429, 5xx, time-out) is sent again",
        default = "5"
    )]
    pub max_retries: u32,
    #[field(
        description = "The shortest wait before a retry, in milliseconds",
        default = "500"
    )]
    pub retry_min_wait_ms: u64,
    #[field(
        description = "The wait before the first retry, in milliseconds; it doubles with each retry",
        default = "1000"
    )]
    pub retry_base_wait_ms: u64,
}

/// A company: the parent table.
#[table(name = "company")]
pub struct Company {
    #[primary_key]
    pub company_id: i64,
    pub company_name: String,
    #[column(name = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[column(name = "updatedAt")]
    pub updated_at: DateTime<Utc>,
}

/// A department: the child table. Department ids repeat across companies (1 to 4 in each), so
/// the key is the pair.
#[table(name = "department")]
pub struct Department {
    #[primary_key]
    pub company_id: i64,
    #[primary_key]
    pub department_id: i64,
    pub department_name: String,
    #[column(name = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[column(name = "updatedAt")]
    pub updated_at: DateTime<Utc>,
}

/// The body of both endpoints.
#[derive(serde::Deserialize)]
#[serde(crate = "connector_core::serde")]
struct Listing<T> {
    data: Vec<T>,
}

#[derive(serde::Deserialize)]
#[serde(crate = "connector_core::serde", rename_all = "camelCase")]
struct ApiCompany {
    #[serde(rename = "company_id")]
    company_id: i64,
    #[serde(rename = "company_name")]
    company_name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(serde::Deserialize)]
#[serde(crate = "connector_core::serde", rename_all = "camelCase")]
struct ApiDepartment {
    #[serde(rename = "department_id")]
    department_id: i64,
    #[serde(rename = "company_id")]
    company_id: i64,
    #[serde(rename = "department_name")]
    department_name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The parent cursor, and a child cursor per company (keyed by company id; `null` until the
/// company's departments are first synced).
#[state]
#[derive(Debug, Default)]
pub struct State {
    pub company_cursor: Incremental<DateTime<Utc>>,
    pub department_cursor: BTreeMap<i64, Incremental<DateTime<Utc>>>,
}

/// The HTTP client of the configuration: its base URL and its retries.
fn client(config: &Config) -> Result<Client> {
    let retry = Retry::default()
        .max_retries(config.max_retries)
        .min_wait(Duration::from_millis(config.retry_min_wait_ms))
        .base_wait(Duration::from_millis(config.retry_base_wait_ms));
    Ok(Client::builder("multiple_tables_with_cursors")
        .base_url(&config.base_url)
        .retry(retry)
        .build()?)
}

/// GETs `path` for the rows updated at or after `since`, oldest first.
async fn changed_since<T: serde::de::DeserializeOwned>(
    http: &Client,
    path: &str,
    since: &Incremental<DateTime<Utc>>,
) -> Result<Vec<T>> {
    let since = since.start_or(BEGINNING.parse().expect("a valid time"));
    let listing: Listing<T> = http
        .get(path)
        .query("order_by", "updatedAt")
        .query("order_type", "asc")
        .query("updated_since", since.format(TIME_FORMAT))
        .send()
        .await?
        .json()?;
    Ok(listing.data)
}

#[sync(tables(Company, Department))]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let http = client(config)?;

    // The parent: the companies changed since the company cursor.
    let companies: Vec<ApiCompany> =
        changed_since(&http, "cursors/companies", &state.company_cursor).await?;
    for company in companies {
        // Known from now on: its departments are read below, and by every later sync.
        state
            .department_cursor
            .entry(company.company_id)
            .or_default();
        state.company_cursor.observe(company.updated_at);
        ops.upsert(Company {
            company_id: company.company_id,
            company_name: company.company_name,
            created_at: company.created_at,
            updated_at: company.updated_at,
        })
        .await?;
    }
    ops.checkpoint(state).await?;

    // The children: for every company known, its departments changed since its own cursor.
    let company_ids: Vec<i64> = state.department_cursor.keys().copied().collect();
    for company_id in company_ids {
        let cursor = state.department_cursor.entry(company_id).or_default();
        let path = format!("cursors/{company_id}/departments");
        let departments: Vec<ApiDepartment> = changed_since(&http, &path, cursor).await?;
        for department in departments {
            cursor.observe(department.updated_at);
            ops.upsert(Department {
                company_id: department.company_id,
                department_id: department.department_id,
                department_name: department.department_name,
                created_at: department.created_at,
                updated_at: department.updated_at,
            })
            .await?;
        }
        ops.checkpoint(state).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::Table;
    use connector_core::serde_json::Value as Json;
    use connector_core::testing::Destination;
    use connector_playground::{Faults, Playground, RetryAfter};

    /// A configuration for the playground at `url`, with short retry waits.
    fn config(url: &str) -> Json {
        json!({
            "base_url": url,
            "retry_min_wait_ms": "10",
            "retry_base_wait_ms": "10",
            "max_retries": "8",
        })
    }

    fn time(text: &str) -> Value {
        Value::UtcDatetime(text.parse().unwrap())
    }

    /// The live rows of a table as lists of values, by column names.
    fn rows(destination: &Destination, table: &str, columns: &[&str]) -> Vec<Vec<Value>> {
        let mut rows: Vec<Vec<Value>> = destination
            .table(table)
            .live_rows()
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|c| row.get(c).unwrap().clone())
                    .collect()
            })
            .collect();
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    }

    /// What the server holds now: companies and departments as the destination should.
    fn server_rows(server: &Playground) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
        let mut companies: Vec<Vec<Value>> = server
            .companies()
            .iter()
            .map(|c| {
                vec![
                    Value::Long(c.company_id),
                    Value::from(c.company_name.as_str()),
                    time(&c.created_at),
                    time(&c.updated_at),
                ]
            })
            .collect();
        companies.sort_by_key(|row| format!("{row:?}"));
        let mut departments: Vec<Vec<Value>> = server
            .companies()
            .iter()
            .flat_map(|c| server.departments(c.company_id))
            .map(|d| {
                vec![
                    Value::Long(d.company_id),
                    Value::Long(d.department_id),
                    Value::from(d.department_name.as_str()),
                    time(&d.created_at),
                    time(&d.updated_at),
                ]
            })
            .collect();
        departments.sort_by_key(|row| format!("{row:?}"));
        (companies, departments)
    }

    const COMPANY: &[&str] = &["company_id", "company_name", "created_at", "updated_at"];
    const DEPARTMENT: &[&str] = &[
        "company_id",
        "department_id",
        "department_name",
        "created_at",
        "updated_at",
    ];

    /// The state the server's data calls for: the largest `updatedAt` of the companies, and of
    /// each company's departments.
    fn expected_state(server: &Playground) -> Json {
        let companies = server.companies();
        let newest = companies
            .iter()
            .map(|c| c.updated_at.clone())
            .max()
            .unwrap();
        let departments: serde_json::Map<String, Json> = companies
            .iter()
            .map(|c| {
                let newest = server
                    .departments(c.company_id)
                    .iter()
                    .map(|d| d.updated_at.clone())
                    .max()
                    .unwrap();
                (c.company_id.to_string(), Json::from(newest))
            })
            .collect();
        json!({"company_cursor": newest, "department_cursor": departments})
    }

    /// The query of every request whose path is `path`, that got no fault.
    fn queries(server: &Playground, path: &str) -> Vec<String> {
        server
            .requests()
            .iter()
            .filter(|r| r.path == path && r.fault.is_none())
            .map(|r| r.query.clone().unwrap_or_default().replace("%3A", ":"))
            .collect()
    }

    #[tokio::test]
    async fn two_syncs_follow_the_parent_and_the_child_cursors() {
        // The server moves a random few rows to "now" at each call, as the original does.
        let server = Playground::builder().start().unwrap();
        let mut destination = Destination::new();
        let first = destination
            .sync::<update>(config(server.url()))
            .await
            .unwrap();

        let tables: Vec<String> = destination
            .warehouse()
            .tables()
            .iter()
            .map(|t| t.qualified_name())
            .collect();
        assert_eq!(tables, ["company", "department"]);
        assert_eq!(
            destination.table("company").columns(),
            [
                ("company_id", Some(DataType::Long)),
                ("company_name", Some(DataType::String)),
                ("created_at", Some(DataType::UtcDatetime)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(
            destination.table("department").columns(),
            [
                ("company_id", Some(DataType::Long)),
                ("department_id", Some(DataType::Long)),
                ("department_name", Some(DataType::String)),
                ("created_at", Some(DataType::UtcDatetime)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        let key = |schema: &TableSchema| -> Vec<String> {
            schema.primary_key().map(|c| c.name.to_string()).collect()
        };
        assert_eq!(key(Company::schema()), ["company_id"]);
        assert_eq!(key(Department::schema()), ["company_id", "department_id"]);

        // Both companies, and all eight departments: ids 1 to 4 of one company do not
        // overwrite those of the other.
        let (companies, departments) = server_rows(&server);
        assert_eq!(companies.len(), 2);
        assert_eq!(departments.len(), 8);
        assert_eq!(rows(&destination, "company", COMPANY), companies);
        assert_eq!(rows(&destination, "department", DEPARTMENT), departments);
        assert_eq!(first.report.total().upserts, 10);
        // One checkpoint after the companies, one after each company's departments.
        assert_eq!(first.states.len(), 3);
        let state = expected_state(&server);
        assert_eq!(destination.state(), state);

        // The second sync asks each endpoint for what changed since its own cursor, and ends
        // with what the server holds now.
        server.clear_requests();
        destination
            .sync::<update>(config(server.url()))
            .await
            .unwrap();
        let since = |cursor: &Json| {
            format!(
                "order_by=updatedAt&order_type=asc&updated_since={}",
                cursor.as_str().unwrap()
            )
        };
        assert_eq!(
            queries(&server, "/cursors/companies"),
            [since(&state["company_cursor"])]
        );
        for company in ["1", "2"] {
            assert_eq!(
                queries(&server, &format!("/cursors/{company}/departments")),
                [since(&state["department_cursor"][company])]
            );
        }
        let (companies, departments) = server_rows(&server);
        assert_eq!(rows(&destination, "company", COMPANY), companies);
        assert_eq!(rows(&destination, "department", DEPARTMENT), departments);
        assert_eq!(destination.state(), expected_state(&server));
    }

    #[tokio::test]
    async fn a_sync_stopped_after_any_checkpoint_resumes_to_the_same_tables() {
        // Rows that change at every call would make each run differ: the data stays put here.
        let server = Playground::builder().cursor_changes(false).start().unwrap();
        let mut destination = Destination::new();
        let run = destination
            .assert_resumable::<update>(config(server.url()))
            .await;
        assert_eq!(run.states.len(), 3);
        destination
            .assert_resumable::<update>(config(server.url()))
            .await;
        let (companies, departments) = server_rows(&server);
        assert_eq!(rows(&destination, "company", COMPANY), companies);
        assert_eq!(rows(&destination, "department", DEPARTMENT), departments);
    }

    /// Six syncs against a server that fails a fifth of the requests (429 with and without
    /// `Retry-After`, 503) end with the tables and state of six syncs against one that does not.
    #[tokio::test]
    async fn faults_on_a_fifth_of_the_requests_change_nothing() {
        async fn syncs(faults: Faults) -> (Playground, String, Json) {
            let server = Playground::builder().faults(faults).start().unwrap();
            let mut destination = Destination::new();
            for _ in 0..6 {
                destination
                    .sync::<update>(config(server.url()))
                    .await
                    .unwrap();
            }
            let dump = destination.dump();
            let state = destination.state();
            (server, dump, state)
        }
        let (_, clean, clean_state) = syncs(Faults::none()).await;
        let faults = Faults::none()
            .rate_limited(0.07, RetryAfter::Seconds(1))
            .rate_limited_without_retry_after(0.07)
            .unavailable(0.06)
            .seed(3);
        let (server, faulty, faulty_state) = syncs(faults).await;
        let counts = server.fault_counts();
        assert!(counts.rate_limited > 0, "{counts:?}");
        assert!(counts.rate_limited_without_retry_after > 0, "{counts:?}");
        assert!(counts.unavailable > 0, "{counts:?}");
        assert_eq!(faulty, clean);
        assert_eq!(faulty_state, clean_state);
    }
}
