//! API key authentication: one GET of the playground's `/auth/api_key` with
//! `Authorization: apiKey <key>`, whose answer `{"data": [...]}` holds the first 20 users; each
//! is upserted into `user`, then the (empty) state is checkpointed.
//!
//! The key is a `#[field(secret)]` of type [`Secret`]: it is sent in the header and nowhere
//! else. It never reaches a log line or an error, not even when the server refuses it.

use connector_core::http::{ApiKey, Client, Secret};
use connector_core::prelude::*;
use connector_core::serde::Deserialize;

/// The connector's settings: where the API is and the key it takes.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Base URL",
        description = "The API's address: the playground's by default",
        default = "http://127.0.0.1:5001"
    )]
    pub base_url: String,
    #[field(
        label = "API key",
        description = "Sent as `Authorization: apiKey <key>`",
        secret
    )]
    pub api_key: Secret,
}

/// A user as the playground serves it. The columns and their types are the Python original's
/// schema; `updatedAt` and `createdAt` keep their source names, which the destination names
/// `updated_at` and `created_at` by Fivetran's rules.
#[table(name = "user")]
#[derive(Debug, Deserialize)]
#[serde(crate = "connector_core::serde")]
pub struct User {
    #[primary_key]
    pub id: String,
    pub name: String,
    pub email: String,
    pub address: String,
    pub company: String,
    pub job: String,
    #[column(name = "updatedAt")]
    #[serde(rename = "updatedAt")]
    pub updated_at: DateTime<Utc>,
    #[column(name = "createdAt")]
    #[serde(rename = "createdAt")]
    pub created_at: DateTime<Utc>,
}

/// The answer of `/auth/api_key`.
#[derive(Deserialize)]
#[serde(crate = "connector_core::serde")]
struct Users {
    data: Vec<User>,
}

#[sync(tables(User))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    // The client sends the key on every request, retries 5xx, 429 and time-outs, and hides the
    // key in every error it makes.
    let http = Client::builder("api_key")
        .base_url(&config.base_url)
        .auth(ApiKey::header("Authorization", config.api_key.clone()).prefix("apiKey "))
        .build()?;
    let users: Users = http
        .get("auth/api_key")
        .send()
        .await
        .context("reading the users with the API key")?
        .json()?;
    for user in users.data {
        ops.upsert(user).await?;
    }
    // The sync keeps no state: each sync reads the same users again and upserts them over
    // themselves. The checkpoint saves `{}` and makes the rows durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::Table;
    use connector_core::testing::Destination;
    use connector_playground::Playground;

    /// A key that the playground refuses; it must never show in an error.
    const WRONG_KEY: &str = "wrong-key-7f3c91d2";

    fn good_configuration(server: &Playground) -> connector_core::serde_json::Value {
        json!({"base_url": server.url(), "api_key": server.credentials().api_key})
    }

    /// The live rows of `user` as `[id, name, email, address, company, job, updated_at,
    /// created_at]`, in first-written order.
    fn rows(destination: &Destination) -> Vec<Vec<Value>> {
        destination
            .table("user")
            .live_rows()
            .iter()
            .map(|row| {
                COLUMNS
                    .iter()
                    .map(|column| row.get(column).unwrap().clone())
                    .collect()
            })
            .collect()
    }

    const COLUMNS: [&str; 8] = [
        "id",
        "name",
        "email",
        "address",
        "company",
        "job",
        "updated_at",
        "created_at",
    ];

    /// The first 20 users of the playground, as the rows the sync should leave.
    fn expected_rows(server: &Playground) -> Vec<Vec<Value>> {
        server.users()[..20]
            .iter()
            .map(|u| {
                vec![
                    Value::from(u.id.as_str()),
                    Value::from(u.name.as_str()),
                    Value::from(u.email.as_str()),
                    Value::from(u.address.as_str()),
                    Value::from(u.company.as_str()),
                    Value::from(u.job.as_str()),
                    Value::UtcDatetime(u.updated_at_time()),
                    Value::UtcDatetime(u.created_at_time()),
                ]
            })
            .collect()
    }

    /// `user` keyed by `id`, the Python original's columns and types, the first 20 users, and
    /// the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_the_first_20_users() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        let run = destination
            .sync::<update>(good_configuration(&server))
            .await
            .unwrap();

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
        assert_eq!(rows(&destination), expected_rows(&server));
        assert_eq!(run.report.total().upserts, 20);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// The second sync starts from the first's state (`{}`), reads the same 20 users and
    /// upserts them over themselves: the same table, the same state, one request each.
    #[tokio::test]
    async fn a_second_sync_from_the_first_state_leaves_the_same_table() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        destination
            .sync::<update>(good_configuration(&server))
            .await
            .unwrap();
        let first = destination.dump();
        let second = destination
            .sync::<update>(good_configuration(&server))
            .await
            .unwrap();
        assert_eq!(second.report.total().upserts, 20);
        assert_eq!(second.states, [json!({})]);
        assert_eq!(rows(&destination), expected_rows(&server));
        assert_eq!(destination.state(), json!({}));
        // Only `_fivetran_synced` may differ between the two dumps, and it is dumped as a rank.
        assert_eq!(destination.dump(), first);
        let asked: Vec<(String, String, u16)> = server
            .requests()
            .into_iter()
            .map(|r| (r.method, r.path, r.status))
            .collect();
        let one = ("GET".to_string(), "/auth/api_key".to_string(), 200);
        assert_eq!(asked, [one.clone(), one]);
    }

    /// A refused key fails the sync with the status and a hint, and the key shows nowhere in
    /// the error; nothing is written and the state stays `{}`.
    #[tokio::test]
    async fn a_wrong_key_fails_the_sync_without_showing_it() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(json!({"base_url": server.url(), "api_key": WRONG_KEY}))
            .await
            .unwrap_err();
        let message = format!("{failed} {failed:?}");
        assert!(message.contains("401"), "{message}");
        assert!(
            message.contains("the credentials were refused"),
            "{message}"
        );
        assert!(message.contains("/auth/api_key"), "{message}");
        assert!(!message.contains(WRONG_KEY), "{message}");
        assert!(failed.run.states.is_empty());
        assert_eq!(destination.state(), json!({}));
        assert!(
            destination
                .warehouse()
                .tables()
                .iter()
                .all(|t| t.live_rows().is_empty())
        );
    }

    /// A configuration without the key fails before any request, naming the field.
    #[tokio::test]
    async fn a_missing_or_empty_key_fails_before_any_request() {
        let server = Playground::start().unwrap();
        let failed = Destination::new()
            .sync::<update>(json!({"base_url": server.url()}))
            .await
            .unwrap_err();
        assert!(failed.to_string().contains("api_key"), "{failed}");
        let failed = Destination::new()
            .sync::<update>(json!({"base_url": server.url(), "api_key": ""}))
            .await
            .unwrap_err();
        assert!(
            failed.to_string().contains("`api_key` is required"),
            "{failed}"
        );
        assert!(server.requests().is_empty());
    }

    /// The key is a secret field: a password box on the form, `***` when the configuration is
    /// printed.
    #[test]
    fn the_key_is_a_secret_field() {
        use connector_core::Configuration;
        use connector_core::testing::configuration_map;
        assert_eq!(Config::secret_fields(), ["api_key"]);
        let config = Config::from_map(&configuration_map(json!({"api_key": WRONG_KEY}))).unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:5001");
        assert!(!format!("{config:?}").contains(WRONG_KEY));
    }

    /// With 429s (with and without `Retry-After`) and 503s answered to half the requests, the
    /// client's retries carry three syncs through to the tables and state of a run without
    /// faults.
    #[tokio::test]
    async fn faults_on_half_the_requests_change_nothing() {
        use connector_playground::{Faults, RetryAfter};

        let server = Playground::start().unwrap();
        let mut clean = Destination::new();
        for _ in 0..3 {
            clean
                .sync::<update>(good_configuration(&server))
                .await
                .unwrap();
        }

        let faults = Faults::none()
            .rate_limited(0.2, RetryAfter::Seconds(1))
            .rate_limited_without_retry_after(0.1)
            .unavailable(0.2)
            .seed(3);
        let faulty = Playground::builder().faults(faults).start().unwrap();
        let mut destination = Destination::new();
        for _ in 0..3 {
            destination
                .sync::<update>(good_configuration(&faulty))
                .await
                .unwrap();
        }
        assert!(
            faulty.fault_counts().faulted() > 0,
            "{:?}",
            faulty.fault_counts()
        );
        assert_eq!(destination.dump(), clean.dump());
        assert_eq!(destination.state(), clean.state());
    }

    /// Stopped after its checkpoint and resumed, the sync ends with the same table.
    #[tokio::test]
    async fn resumes_from_its_checkpoint() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        destination
            .assert_resumable::<update>(good_configuration(&server))
            .await;
        assert_eq!(rows(&destination), expected_rows(&server));
    }
}
