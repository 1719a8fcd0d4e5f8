//! Session token authentication, in two steps: a POST of `{username, password}` to the
//! playground's `/auth/session_token/login` answers `{token, expires_in}`; a GET of
//! `/auth/session_token/data` with `Authorization: Token <token>` answers `{"data": [...]}`, the
//! first 20 users. Each is upserted into `user`, then the (empty) state is checkpointed.
//!
//! The login is a function handed to [`SessionToken`]: the client calls it before the first
//! request, reuses the token, logs in again shortly before the token expires (`expires_in`), and
//! once more if the server answers `401`. The password is a `#[field(secret)]` of type
//! [`Secret`]: it goes in the login's body and nowhere else, and never reaches a log line or an
//! error; the token goes in a header, which the client never shows.

use std::time::Duration;

use connector_core::http::{Client, Secret, SessionToken, Token};
use connector_core::prelude::*;
use connector_core::serde::Deserialize;

/// The connector's settings: where the API is and the user name and password it takes.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Base URL",
        description = "The API's address: the playground's by default",
        default = "http://127.0.0.1:5001"
    )]
    pub base_url: String,
    #[field(label = "User name")]
    pub username: String,
    #[field(
        label = "Password",
        description = "Sent in the body of the login request",
        secret
    )]
    pub password: Secret,
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

/// The answer of `/auth/session_token/login`.
#[derive(Deserialize)]
#[serde(crate = "connector_core::serde")]
struct Login {
    token: String,
    expires_in: u64,
}

/// The session: `login` posts the credentials and keeps the token for `expires_in` seconds;
/// the token goes in `Authorization: Token <token>`.
pub fn session(config: &Config) -> SessionToken {
    let (username, password) = (config.username.clone(), config.password.clone());
    SessionToken::new(move |http: Client| {
        let body = json!({"username": username, "password": password.expose()});
        async move {
            let login: Login = http
                .post("auth/session_token/login")
                .json(&body)
                // Logging in twice does no harm: retry it like a GET.
                .retry_non_idempotent()
                .send()
                .await?
                .json()?;
            Ok(Token::new(Secret::new(login.token))
                .expires_in(Duration::from_secs(login.expires_in)))
        }
    })
    .header("Authorization", "Token ")
    .secret(config.password.clone())
}

/// The answer of `/auth/session_token/data`.
#[derive(Deserialize)]
#[serde(crate = "connector_core::serde")]
struct Users {
    data: Vec<User>,
}

#[sync(tables(User))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    // The client logs in before the first request and sends the token on every request; it
    // retries 5xx, 429 and time-outs, and hides the password in every error it makes.
    let http = Client::builder("session_token")
        .base_url(&config.base_url)
        .auth(session(config))
        .build()?;
    let users: Users = http
        .get("auth/session_token/data")
        .send()
        .await
        .context("reading the users with a session token")?
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

    /// A password that the playground refuses; it must never show in an error.
    const WRONG_PASSWORD: &str = "wrong-password-7f3c91d2";

    fn good_configuration(server: &Playground) -> connector_core::serde_json::Value {
        let credentials = server.credentials();
        json!({
            "base_url": server.url(),
            "username": credentials.session_username,
            "password": credentials.session_password,
        })
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

    /// The second sync starts from the first's state (`{}`), logs in again, reads the same 20
    /// users and upserts them over themselves: the same table, the same state.
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
        // Each sync logs in once, then reads once with the token.
        let login = (
            "POST".to_string(),
            "/auth/session_token/login".to_string(),
            200,
        );
        let read = (
            "GET".to_string(),
            "/auth/session_token/data".to_string(),
            200,
        );
        assert_eq!(asked, [login.clone(), read.clone(), login, read]);
    }

    /// A refused password fails the login, so the sync, with the status and the server's
    /// message, and the password shows nowhere in the error; no data request is sent, nothing
    /// is written and the state stays `{}`.
    #[tokio::test]
    async fn a_wrong_password_fails_the_sync_without_showing_it() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(json!({
                "base_url": server.url(),
                "username": server.credentials().session_username,
                "password": WRONG_PASSWORD,
            }))
            .await
            .unwrap_err();
        let message = format!("{failed} {failed:?}");
        assert!(message.contains("401"), "{message}");
        assert!(
            message.contains("the credentials were refused"),
            "{message}"
        );
        assert!(message.contains("session login"), "{message}");
        assert!(message.contains("/auth/session_token/login"), "{message}");
        assert!(
            message.contains("Invalid username or password"),
            "{message}"
        );
        assert!(!message.contains(WRONG_PASSWORD), "{message}");
        let asked: Vec<(String, String, u16)> = server
            .requests()
            .into_iter()
            .map(|r| (r.method, r.path, r.status))
            .collect();
        assert_eq!(
            asked,
            [("POST".into(), "/auth/session_token/login".into(), 401)]
        );
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

    /// A configuration without the password fails before any request, naming the field.
    #[tokio::test]
    async fn a_missing_or_empty_password_fails_before_any_request() {
        let server = Playground::start().unwrap();
        let failed = Destination::new()
            .sync::<update>(json!({"base_url": server.url(), "username": "u"}))
            .await
            .unwrap_err();
        assert!(failed.to_string().contains("password"), "{failed}");
        let failed = Destination::new()
            .sync::<update>(json!({"base_url": server.url(), "username": "u", "password": ""}))
            .await
            .unwrap_err();
        assert!(
            failed.to_string().contains("`password` is required"),
            "{failed}"
        );
        assert!(server.requests().is_empty());
    }

    /// The password is a secret field: a password box on the form, `***` when the configuration is
    /// printed.
    #[test]
    fn the_password_is_a_secret_field() {
        use connector_core::Configuration;
        use connector_core::testing::configuration_map;
        assert_eq!(Config::secret_fields(), ["password"]);
        let config = Config::from_map(&configuration_map(
            json!({"username": "u", "password": WRONG_PASSWORD}),
        ))
        .unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:5001");
        assert!(!format!("{config:?}").contains(WRONG_PASSWORD));
    }

    /// A token the server sees expire is refused with `401`; the client logs in again once and
    /// sends the request again with the new token.
    #[tokio::test]
    async fn logs_in_again_when_the_server_refuses_an_expired_token() {
        use connector_core::Configuration;
        use connector_core::testing::configuration_map;

        let server = Playground::start().unwrap();
        let config = Config::from_map(&configuration_map(good_configuration(&server))).unwrap();
        let http = Client::builder("session_token")
            .base_url(server.url())
            .auth(session(&config))
            .build()
            .unwrap();
        let read = || async {
            let users: Users = http
                .get("auth/session_token/data")
                .send()
                .await
                .unwrap()
                .json()
                .unwrap();
            users.data.len()
        };
        assert_eq!(read().await, 20);
        assert_eq!(read().await, 20);
        // The server's clock passes the token's expiry; the client's does not know it.
        server.advance_clock(Duration::from_secs(3601));
        assert_eq!(read().await, 20);
        let asked: Vec<(String, u16)> = server
            .requests()
            .into_iter()
            .map(|r| (r.path, r.status))
            .collect();
        let (login, data) = ("/auth/session_token/login", "/auth/session_token/data");
        assert_eq!(
            asked,
            [
                (login.into(), 200),
                (data.into(), 200),
                (data.into(), 200),
                (data.into(), 401),
                (login.into(), 200),
                (data.into(), 200),
            ]
        );
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
        // The login's POST met faults too, and was retried.
        assert!(
            faulty
                .requests()
                .iter()
                .any(|r| r.method == "POST" && r.fault.is_some()),
            "{:?}",
            faulty.requests()
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
