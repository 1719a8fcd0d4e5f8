//! An export endpoint that answers CSV instead of JSON: one GET of the playground's
//! `/export/csv` returns a header row and a row per user. The body is parsed with the `csv`
//! crate, which reads the header and handles RFC 4180 quoting (fields in double quotes that hold
//! commas, line breaks and doubled quotes), and each record is deserialized by the header's
//! names into a typed `User`: the times are checked as they are read, and a bad row fails the
//! sync naming its line. Each user is upserted into `user`, then the (empty) state is
//! checkpointed.

use connector_core::http::Client;
use connector_core::prelude::*;
use connector_core::serde::Deserialize;

/// The connector's settings: where the API is.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(
        label = "Base URL",
        description = "The API's address: the playground's by default",
        default = "http://127.0.0.1:5001"
    )]
    pub base_url: String,
}

/// A user as the export writes it. The columns and their types are the Python original's
/// schema; `updatedAt` and `createdAt` keep their source names, which the destination names
/// `updated_at` and `created_at` by Fivetran's rules. The CSV's columns are matched by the
/// header's names, so their order there does not matter.
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

/// The users of a CSV body with a header row, in order. A record that does not fit `User` (a
/// missing column, a time that is not RFC 3339) is an error naming its line.
pub fn parse_users(body: &[u8]) -> Result<Vec<User>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let mut users = Vec::new();
    for record in reader.deserialize::<User>() {
        // csv's error names the record, its line and the field.
        users.push(record.context("a row of the CSV export does not fit the `user` table")?);
    }
    Ok(users)
}

#[sync(tables(User))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    // The client retries 5xx, 429 and time-outs, and names the URL and status when it gives up.
    let http = Client::builder("export_csv")
        .base_url(&config.base_url)
        .build()?;
    let export = http
        .get("export/csv")
        .header("Accept", "text/csv")
        .send()
        .await
        .context("downloading the CSV export")?;
    let users = parse_users(export.bytes())?;
    for user in users {
        ops.upsert(user).await?;
    }
    // The sync keeps no state: each sync downloads the whole export again and upserts it over
    // itself. The checkpoint saves `{}` and makes the rows durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::Table;
    use connector_core::chrono::TimeZone;
    use connector_core::testing::Destination;
    use connector_playground::Playground;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

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

    /// What the playground exports: the text without commas and line breaks, which it deletes
    /// instead of quoting.
    fn exported(text: &str) -> Value {
        Value::from(
            text.chars()
                .filter(|c| !matches!(c, ',' | '\n' | '\r'))
                .collect::<String>(),
        )
    }

    /// Every user of the playground, as the rows the sync should leave.
    fn expected_rows(server: &Playground) -> Vec<Vec<Value>> {
        server
            .users()
            .iter()
            .map(|u| {
                vec![
                    exported(&u.id),
                    exported(&u.name),
                    exported(&u.email),
                    exported(&u.address),
                    exported(&u.company),
                    exported(&u.job),
                    Value::UtcDatetime(u.updated_at_time()),
                    Value::UtcDatetime(u.created_at_time()),
                ]
            })
            .collect()
    }

    fn configuration(base_url: &str) -> connector_core::serde_json::Value {
        json!({"base_url": base_url})
    }

    /// `user` keyed by `id`, the Python original's columns and types, all 200 users of the
    /// export, and the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_every_user_of_the_export() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        let run = destination
            .sync::<update>(configuration(server.url()))
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
        assert_eq!(server.users().len(), 200);
        assert_eq!(rows(&destination), expected_rows(&server));
        assert_eq!(run.report.total().upserts, 200);
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// The second sync starts from the first's state (`{}`), downloads the export again and
    /// upserts it over itself: the same table and the same state.
    #[tokio::test]
    async fn a_second_sync_from_the_first_state_leaves_the_same_table() {
        let server = Playground::start().unwrap();
        let mut destination = Destination::new();
        destination
            .sync::<update>(configuration(server.url()))
            .await
            .unwrap();
        let first = destination.dump();
        let second = destination
            .sync::<update>(configuration(server.url()))
            .await
            .unwrap();
        assert_eq!(second.report.total().upserts, 200);
        assert_eq!(second.states, [json!({})]);
        assert_eq!(rows(&destination), expected_rows(&server));
        assert_eq!(destination.state(), json!({}));
        assert_eq!(destination.dump(), first);
        assert_eq!(server.requests().len(), 2);
    }

    /// A fixture export as an RFC 4180 writer makes it: fields in double quotes holding commas,
    /// line breaks (`\n` and `\r\n`) and doubled quotes, lines ending in `\r\n`, and the columns
    /// in another order than the table's. Every value comes out exactly.
    #[tokio::test]
    async fn reads_quoted_fields_with_commas_line_breaks_and_quotes() {
        let body = concat!(
            "updatedAt,id,name,email,address,company,job,createdAt\r\n",
            "2025-01-02T03:04:05Z,u-1,\"Doe, Jane\",jane@example.com,",
            "\"123 Oak Street\nSpringfield, IL 62704\",\"Smith, Jones and Brown\",",
            "\"Engineer, mining\",2025-01-01T00:00:00Z\r\n",
            "2025-02-03T04:05:06Z,u-2,\"Bob \"\"The Builder\"\" Smith\",bob@example.org,",
            "\"1 Main St\r\nApt 2\",Acme,Plain job,2025-02-01T10:20:30Z\r\n",
        );
        let mock = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/export/csv"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "text/csv")
                    .set_body_string(body),
            )
            .expect(1)
            .mount(&mock)
            .await;

        let mut destination = Destination::new();
        let run = destination
            .sync::<update>(configuration(&mock.uri()))
            .await
            .unwrap();
        let time = |y, mo, d, h, mi, s| {
            Value::UtcDatetime(Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap())
        };
        assert_eq!(
            rows(&destination),
            [
                vec![
                    Value::from("u-1"),
                    Value::from("Doe, Jane"),
                    Value::from("jane@example.com"),
                    Value::from("123 Oak Street\nSpringfield, IL 62704"),
                    Value::from("Smith, Jones and Brown"),
                    Value::from("Engineer, mining"),
                    time(2025, 1, 2, 3, 4, 5),
                    time(2025, 1, 1, 0, 0, 0),
                ],
                vec![
                    Value::from("u-2"),
                    Value::from("Bob \"The Builder\" Smith"),
                    Value::from("bob@example.org"),
                    Value::from("1 Main St\r\nApt 2"),
                    Value::from("Acme"),
                    Value::from("Plain job"),
                    time(2025, 2, 3, 4, 5, 6),
                    time(2025, 2, 1, 10, 20, 30),
                ],
            ]
        );
        assert_eq!(run.states, [json!({})]);
    }

    /// A row whose time is not RFC 3339 fails the sync, naming the line and the field; nothing
    /// is checkpointed.
    #[tokio::test]
    async fn a_bad_row_fails_the_sync_naming_its_line() {
        let body = concat!(
            "id,name,email,address,company,job,createdAt,updatedAt\n",
            "u-1,Jane,jane@example.com,Here,Acme,Job,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n",
            "u-2,Bob,bob@example.com,There,Acme,Job,yesterday,2025-01-01T00:00:00Z\n",
        );
        let mock = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/export/csv"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&mock)
            .await;
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(configuration(&mock.uri()))
            .await
            .unwrap_err();
        let message = failed.to_string();
        assert!(
            message.contains("does not fit the `user` table"),
            "{message}"
        );
        assert!(message.contains("line: 3"), "{message}");
        assert!(failed.run.states.is_empty());
        assert_eq!(destination.state(), json!({}));
    }

    /// An export that fails (the playground answers 400 when it has no users) fails the sync
    /// with the URL, the status and the server's message.
    #[tokio::test]
    async fn a_failed_export_fails_the_sync() {
        let server = Playground::builder().users(0).start().unwrap();
        let failed = Destination::new()
            .sync::<update>(configuration(server.url()))
            .await
            .unwrap_err();
        let message = failed.to_string();
        assert!(message.contains("/export/csv"), "{message}");
        assert!(message.contains("400"), "{message}");
        assert!(
            message.contains("No data available to export."),
            "{message}"
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
                .sync::<update>(configuration(server.url()))
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
                .sync::<update>(configuration(faulty.url()))
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
            .assert_resumable::<update>(configuration(server.url()))
            .await;
        assert_eq!(rows(&destination), expected_rows(&server));
    }
}
