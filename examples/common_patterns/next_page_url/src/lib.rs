//! Next-page-URL pagination of an HTTP API with an incremental cursor: the playground's
//! `/pagination/next_page_url` read page by page (the first request with its parameters, then
//! the absolute `next_page_url` each page gives, until it is null),
//! every user upserted into `user`, and a checkpoint after each page that saves the largest
//! `updatedAt` synced. The next sync asks only for the users updated since then
//! (`updated_since`, which the API compares with `>=`: the user at the boundary comes again and
//! is upserted over itself).
//!
//! `connector_core::http` does the paging ([`NextUrl`]), the retries (429 with or without
//! `Retry-After`, 5xx) and the cursor ([`Incremental`]); the sync only emits rows and checkpoints.

use std::time::Duration;

use connector_core::http::{Client, Incremental, NextUrl, Retry};
use connector_core::prelude::*;
use connector_core::serde;

/// The format the API writes and reads its times in.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Where the first sync starts: the beginning of time, as in the Python original.
const BEGINNING: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Base URL",
        description = "The API's address: the playground's (`playground start`) by default",
        default = "http://127.0.0.1:5001"
    )]
    pub base_url: String,
    #[field(description = "Users per page (1 to 50)", default = "50")]
    pub page_size: u32,
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

/// A user of the playground, with the API's column names.
#[table(name = "user")]
pub struct User {
    #[primary_key]
    pub id: String,
    pub name: String,
    pub email: String,
    pub address: String,
    pub company: String,
    pub job: String,
    #[column(name = "updatedAt")]
    pub updated_at: DateTime<Utc>,
    #[column(name = "createdAt")]
    pub created_at: DateTime<Utc>,
}

/// A user as the API sends it.
#[derive(serde::Deserialize)]
#[serde(crate = "connector_core::serde", rename_all = "camelCase")]
struct ApiUser {
    id: String,
    name: String,
    email: String,
    address: String,
    company: String,
    job: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ApiUser> for User {
    fn from(user: ApiUser) -> Self {
        User {
            id: user.id,
            name: user.name,
            email: user.email,
            address: user.address,
            company: user.company,
            job: user.job,
            updated_at: user.updated_at,
            created_at: user.created_at,
        }
    }
}

/// The largest `updatedAt` synced, as `{"last_updated_at": "2025-12-24T10:00:00Z"}`.
#[state]
#[derive(Debug, Default)]
pub struct State {
    pub last_updated_at: Incremental<DateTime<Utc>>,
}

/// The HTTP client of the configuration: its base URL and its retries.
fn client(config: &Config) -> Result<Client> {
    let retry = Retry::default()
        .max_retries(config.max_retries)
        .min_wait(Duration::from_millis(config.retry_min_wait_ms))
        .base_wait(Duration::from_millis(config.retry_base_wait_ms));
    Ok(Client::builder("next_page_url")
        .base_url(&config.base_url)
        .retry(retry)
        .build()?)
}

#[sync(tables(User))]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let http = client(config)?;
    let since = state
        .last_updated_at
        .start_or(BEGINNING.parse().expect("a valid time"));
    let mut pages = http
        .get("pagination/next_page_url")
        .query("order_by", "updatedAt")
        .query("order_type", "asc")
        .query("updated_since", since.format(TIME_FORMAT))
        .query("per_page", config.page_size)
        .paginate(NextUrl::new("/next_page_url").items_at("/data"));
    // An empty first page (nothing changed) is a page without items: nothing to upsert.
    while let Some(page) = pages.next_page().await? {
        for user in page.into_items_as::<ApiUser>()? {
            let updated_at = user.updated_at;
            ops.upsert(User::from(user)).await?;
            state.last_updated_at.observe(updated_at);
        }
        // The page's rows and the cursor past them become durable together: a sync that stops
        // later resumes from here, and loses and duplicates nothing.
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
    fn config(url: &str, page_size: u32) -> Json {
        json!({
            "base_url": url,
            "page_size": page_size.to_string(),
            "retry_min_wait_ms": "10",
            "retry_base_wait_ms": "10",
            "max_retries": "8",
        })
    }

    /// The ids of the live rows of `user`, in first-written order.
    fn ids(destination: &Destination) -> Vec<String> {
        destination
            .table("user")
            .live_rows()
            .iter()
            .map(|row| match row.get("id") {
                Some(Value::String(id)) => id.clone(),
                other => panic!("id is {other:?}"),
            })
            .collect()
    }

    /// The `updated_since` of every request to the endpoint, in order.
    fn asked_since(server: &Playground) -> Vec<Option<String>> {
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/pagination/next_page_url" && r.fault.is_none())
            .map(|r| r.param("updated_since"))
            .collect()
    }

    #[tokio::test]
    async fn two_syncs_write_every_user_once_and_the_second_asks_only_for_changes() {
        let server = Playground::builder().start().unwrap();
        let expected: Vec<String> = server
            .data()
            .users_by_updated_at()
            .iter()
            .map(|u| u.id.clone())
            .collect();
        let newest = server
            .data()
            .users_by_updated_at()
            .last()
            .unwrap()
            .updated_at
            .clone();

        let mut destination = Destination::new();
        let first = destination
            .sync::<update>(config(server.url(), 50))
            .await
            .unwrap();
        // The table: its name, columns, types and key.
        let tables: Vec<String> = destination
            .warehouse()
            .tables()
            .iter()
            .map(|t| t.qualified_name())
            .collect();
        assert_eq!(tables, ["user"]);
        assert_eq!(
            destination.table("user").columns(),
            [
                ("id", Some(DataType::String)),
                ("name", Some(DataType::String)),
                ("email", Some(DataType::String)),
                ("address", Some(DataType::String)),
                ("company", Some(DataType::String)),
                ("job", Some(DataType::String)),
                ("updated_at", Some(DataType::UtcDatetime)),
                ("created_at", Some(DataType::UtcDatetime)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        let keys: Vec<&str> = User::schema()
            .primary_key()
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(keys, ["id"]);
        // Every user once, in the API's order; a checkpoint per page of 50.
        assert_eq!(ids(&destination), expected);
        assert_eq!(first.report.total().upserts, 200);
        assert_eq!(first.states.len(), 4);
        assert_eq!(destination.state(), json!({"last_updated_at": newest}));

        // The second sync starts from the saved cursor: only the user at it comes again.
        let second = destination
            .sync::<update>(config(server.url(), 50))
            .await
            .unwrap();
        assert_eq!(
            asked_since(&server),
            [
                Some(BEGINNING.to_string()),
                Some(BEGINNING.to_string()),
                Some(BEGINNING.to_string()),
                Some(BEGINNING.to_string()),
                Some(newest.clone()),
            ]
        );
        assert_eq!(second.report.total().upserts, 1);
        assert_eq!(ids(&destination), expected);
        assert_eq!(destination.state(), json!({"last_updated_at": newest}));
    }

    #[tokio::test]
    async fn a_sync_stopped_after_any_checkpoint_resumes_to_the_same_tables() {
        let server = Playground::builder().start().unwrap();
        let mut destination = Destination::new();
        let run = destination
            .assert_resumable::<update>(config(server.url(), 20))
            .await;
        assert_eq!(run.states.len(), 10);
        assert_eq!(ids(&destination).len(), 200);
        // And the next sync, from the state the first left.
        destination
            .assert_resumable::<update>(config(server.url(), 20))
            .await;
    }

    /// Nothing changed since the saved cursor: the first page is empty, and the sync ends
    /// without a row (the Python original fails here with an `IndexError`).
    #[tokio::test]
    async fn an_empty_first_page_ends_the_sync_without_rows() {
        let server = Playground::builder().start().unwrap();
        let saved = json!({"last_updated_at": "2026-01-01T00:00:00Z"});
        let mut destination = Destination::with_state(saved.clone());
        let run = destination
            .sync::<update>(config(server.url(), 50))
            .await
            .unwrap();
        assert_eq!(run.report.total().upserts, 0);
        assert_eq!(destination.state(), saved);
    }

    /// A sync whose retries run out fails with the state of its last checkpoint and the rows
    /// before it; the next sync resumes from there and ends as an uninterrupted sync does.
    #[tokio::test]
    async fn a_failed_sync_resumes_from_its_last_checkpoint() {
        let server = Playground::builder()
            .faults(Faults::none().unavailable(0.3).seed(1))
            .start()
            .unwrap();
        let expected: Vec<String> = server
            .data()
            .users_by_updated_at()
            .iter()
            .map(|u| u.id.clone())
            .collect();
        let mut no_retries = config(server.url(), 10);
        no_retries["max_retries"] = json!("0");
        let mut destination = Destination::new();
        let failed = destination.sync::<update>(no_retries).await.unwrap_err();
        assert!(failed.to_string().contains("503"), "{failed}");
        let checkpoints = failed.run.states.len();
        assert!(
            checkpoints > 0 && ids(&destination).len() < 200,
            "{checkpoints}"
        );
        assert_eq!(&destination.state(), failed.run.states.last().unwrap());
        assert_eq!(ids(&destination), expected[..ids(&destination).len()]);

        server.set_faults(Faults::none()).unwrap();
        destination
            .sync::<update>(config(server.url(), 10))
            .await
            .unwrap();
        assert_eq!(ids(&destination), expected);
        let newest = &server
            .data()
            .users_by_updated_at()
            .last()
            .unwrap()
            .updated_at;
        assert_eq!(destination.state(), json!({"last_updated_at": newest}));
    }

    /// Two syncs against a server that fails a fifth of the requests (429 with and without
    /// `Retry-After`, 503) end with the tables and state of two syncs against one that does not.
    #[tokio::test]
    async fn faults_on_a_fifth_of_the_requests_change_nothing() {
        async fn two_syncs(faults: Faults) -> (Playground, String, Json) {
            let server = Playground::builder().faults(faults).start().unwrap();
            let mut destination = Destination::new();
            for _ in 0..2 {
                destination
                    .sync::<update>(config(server.url(), 10))
                    .await
                    .unwrap();
            }
            let dump = destination.dump();
            let state = destination.state();
            (server, dump, state)
        }
        let (_, clean, clean_state) = two_syncs(Faults::none()).await;
        let faults = Faults::none()
            .rate_limited(0.07, RetryAfter::Seconds(1))
            .rate_limited_without_retry_after(0.07)
            .unavailable(0.06)
            .seed(3);
        let (server, faulty, faulty_state) = two_syncs(faults).await;
        let counts = server.fault_counts();
        assert!(counts.rate_limited > 0, "{counts:?}");
        assert!(counts.rate_limited_without_retry_after > 0, "{counts:?}");
        assert!(counts.unavailable > 0, "{counts:?}");
        assert_eq!(faulty, clean);
        assert_eq!(faulty_state, clean_state);
    }
}
