//! DynamoDB through an IAM role, with the official AWS SDK for Rust: STS `AssumeRole` with the
//! configured key, then DynamoDB with the role's temporary credentials.
//!
//! The tables are found at run time: `ListTables`, then `DescribeTable` for each, whose key
//! schema becomes the table's primary key (the schema function `discover`). Each table is read
//! by a parallel `Scan` of four segments (`segments`), one task per segment, each task paging with
//! `ExclusiveStartKey` and upserting every item ([`item`] says how attribute values become
//! columns).
//!
//! After each page, the state records where every segment of the table is, so a sync that
//! stops part-way resumes each segment at its next page and skips the tables it had finished.
//! When every table has been scanned the state is cleared: the next sync scans them all again.

mod clients;
mod item;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ScalarAttributeType;
use connector_core::http::Secret;
use connector_core::prelude::*;
use connector_core::serde::{Deserialize, Serialize};
use connector_core::serde_json::{Map, Value as Json};
use connector_core::tokio::sync::Mutex;
use connector_core::tokio::task::JoinSet;

use crate::clients::aws_error;

/// The connector's settings, under the Python original's keys, and an endpoint override.
#[derive(Debug, Configuration)]
pub struct Config {
    #[field(name = "AWS_ACCESS_KEY_ID", label = "AWS access key ID")]
    pub aws_access_key_id: String,
    #[field(
        name = "AWS_SECRET_ACCESS_KEY",
        label = "AWS secret access key",
        secret
    )]
    pub aws_secret_access_key: Secret,
    #[field(
        name = "ROLE_ARN",
        label = "Role ARN",
        description = "The IAM role the key assumes, which may read DynamoDB"
    )]
    pub role_arn: String,
    #[field(name = "REGION", label = "Region", description = "us-east-1")]
    pub region: String,
    #[field(
        label = "Endpoint URL",
        description = "Another endpoint than AWS's for STS and DynamoDB (a local stand-in); empty for AWS"
    )]
    pub endpoint_url: Option<String>,
    #[field(
        description = "Items per Scan page of a segment (Limit); a checkpoint follows each page",
        default = "100"
    )]
    pub page_size: i32,
    #[field(
        description = "How many segments each table's scan is split into, each read by a task of its own (TotalSegments)",
        default = "4"
    )]
    pub segments: u32,
}

/// Where a segment's scan is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "connector_core::serde", rename_all = "snake_case")]
pub enum Position {
    /// Not begun.
    Start,
    /// Goes on after this key (the `LastEvaluatedKey` of its last page, tagged).
    After(Map<String, Json>),
    /// Every page read.
    Done,
}

/// The tables whose scan has begun since the last full round, with where each of their
/// segments is. Empty between syncs.
#[state]
#[derive(Debug, Default)]
pub struct State {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Vec<Position>>,
}

/// Every table name, page after page of `ListTables`.
async fn table_names(dynamodb: &Client) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = dynamodb.list_tables().into_paginator().items().send();
    while let Some(name) = pages.next().await {
        names.push(name.map_err(|e| anyhow!("listing the tables: {}", aws_error(e)))?);
    }
    Ok(names)
}

/// The schema: one table per DynamoDB table, its key attributes as the primary key (STRING,
/// or BINARY for a `B` key); the other columns are typed from their values.
pub async fn discover(config: &Config) -> Result<Vec<TableSchema>> {
    let dynamodb = clients::dynamodb_as_role(config).await?;
    let mut schemas = Vec::new();
    for name in table_names(&dynamodb).await? {
        let described = dynamodb
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .map_err(|e| anyhow!("describing the table {name}: {}", aws_error(e)))?;
        let table = described
            .table()
            .with_context(|| format!("DynamoDB described {name} without a description"))?;
        let mut schema = TableSchema::new(name.clone());
        for key in table.key_schema() {
            let binary = table.attribute_definitions().iter().any(|definition| {
                definition.attribute_name() == key.attribute_name()
                    && *definition.attribute_type() == ScalarAttributeType::B
            });
            let data_type = if binary {
                DataType::Binary
            } else {
                DataType::String
            };
            schema = schema.column(Column::key(
                key.attribute_name().to_string(),
                Some(data_type),
            ));
        }
        schemas.push(schema);
    }
    Ok(schemas)
}

#[sync(tables(), schema = discover)]
pub async fn update(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    ensure!(
        config.page_size >= 1,
        "page_size must be at least 1, not {}",
        config.page_size
    );
    ensure!(
        (1..=1_000_000).contains(&config.segments),
        "segments must be between 1 and 1000000, not {}",
        config.segments
    );
    let dynamodb = clients::dynamodb_as_role(config).await?;
    let progress = Arc::new(Mutex::new(std::mem::take(state)));
    for table in table_names(&dynamodb).await? {
        scan(ops, &dynamodb, &table, config, &progress).await?;
    }
    // Every table scanned: the next sync scans them all again.
    ops.checkpoint(&State::default()).await?;
    Ok(())
}

/// Scans one table: a task per segment not yet done, all at once.
async fn scan(
    ops: &Operations<update>,
    dynamodb: &Client,
    table: &str,
    config: &Config,
    progress: &Arc<Mutex<State>>,
) -> Result<()> {
    let segments = config.segments as usize;
    let positions = {
        let mut state = progress.lock().await;
        let positions = state
            .tables
            .entry(table.to_string())
            .or_insert_with(|| vec![Position::Start; segments]);
        // Positions saved with another number of segments do not fit these: start over.
        if positions.len() != segments {
            *positions = vec![Position::Start; segments];
        }
        positions.clone()
    };
    let mut tasks = JoinSet::new();
    for (segment, position) in positions.into_iter().enumerate() {
        let segment = Segment {
            ops: ops.clone(),
            dynamodb: dynamodb.clone(),
            table: table.to_string(),
            segment,
            segments,
            page_size: config.page_size,
            progress: progress.clone(),
        };
        tasks.spawn(segment.scan(position));
    }
    // The first segment that fails ends the sync (dropping the set stops the others); the
    // state keeps every segment's last checkpointed page.
    while let Some(finished) = tasks.join_next().await {
        finished.context("a scan segment panicked")??;
    }
    Ok(())
}

/// One segment of a table's parallel scan, run on a task of its own.
struct Segment {
    ops: Operations<update>,
    dynamodb: Client,
    table: String,
    segment: usize,
    segments: usize,
    page_size: i32,
    progress: Arc<Mutex<State>>,
}

impl Segment {
    /// Reads the segment's pages from `position` on, a checkpoint after each.
    async fn scan(self, mut position: Position) -> Result<()> {
        let (segment, table) = (self.segment, &self.table);
        loop {
            let start = match &position {
                Position::Start => None,
                Position::After(key) => Some(item::key_from_json(key)?),
                Position::Done => return Ok(()),
            };
            let page = self
                .dynamodb
                .scan()
                .table_name(table)
                .segment(segment as i32)
                .total_segments(self.segments as i32)
                .limit(self.page_size)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| anyhow!("scanning segment {segment} of {table}: {}", aws_error(e)))?;
            for found in page.items() {
                self.ops.upsert_row(table, item::row(found)).await?;
            }
            position = match page.last_evaluated_key() {
                Some(key) => Position::After(item::key_to_json(key)?),
                None => Position::Done,
            };
            // This segment's rows and where it goes on become durable together. The state
            // also carries the other segments' positions, each recorded after the rows before
            // it were emitted, and a checkpoint covers everything every task emitted before it.
            let mut state = self.progress.lock().await;
            // `scan` put the table's positions in before it started the segments.
            if let Some(positions) = state.tables.get_mut(table) {
                positions[segment] = position.clone();
            }
            self.ops.checkpoint(&*state).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_mock::Moto;
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue as A, BillingMode, KeySchemaElement, KeyType,
    };
    use connector_core::Configuration;
    use connector_core::testing::{Destination, configuration_map};
    use std::collections::HashMap;

    const SECRET: &str = "dynamo-secret-90b2c4";
    const ROLE: &str = "arn:aws:iam::123456789012:role/dynamo-reader";

    fn configuration(url: &str) -> Json {
        json!({
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "ROLE_ARN": ROLE,
            "REGION": "us-east-1",
            "endpoint_url": url,
        })
    }

    /// A client that writes moto's tables with the configured key.
    fn writer(moto: &Moto) -> Client {
        let config = Config::from_map(&configuration_map(configuration(moto.url()))).unwrap();
        clients::dynamodb_with_key(&config)
    }

    /// Creates a table keyed by `keys` (name, type; the first the partition key).
    async fn create(dynamodb: &Client, table: &str, keys: &[(&str, ScalarAttributeType)]) {
        let mut create = dynamodb
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest);
        for (n, (name, kind)) in keys.iter().enumerate() {
            let role = if n == 0 {
                KeyType::Hash
            } else {
                KeyType::Range
            };
            create = create
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(*name)
                        .key_type(role)
                        .build()
                        .unwrap(),
                )
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(*name)
                        .attribute_type(kind.clone())
                        .build()
                        .unwrap(),
                );
        }
        create.send().await.unwrap();
    }

    async fn put(dynamodb: &Client, table: &str, item: &[(&str, A)]) {
        let item: HashMap<String, A> = item
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        dynamodb
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }

    /// `customers` (key customer_id S) with every attribute type, and `orders` (key order_id
    /// S, line N). (No table keyed by a `B` attribute: moto 5.2 fails a segmented scan of one
    /// with a 500.)
    async fn seed(dynamodb: &Client) {
        create(
            dynamodb,
            "customers",
            &[("customer_id", ScalarAttributeType::S)],
        )
        .await;
        create(
            dynamodb,
            "orders",
            &[
                ("order_id", ScalarAttributeType::S),
                ("line", ScalarAttributeType::N),
            ],
        )
        .await;
        put(
            dynamodb,
            "customers",
            &[
                ("customer_id", A::S("c1".into())),
                ("name", A::S("Ada".into())),
                ("age", A::N("36".into())),
                ("active", A::Bool(true)),
                ("tags", A::Ss(vec!["vip".into()])),
                ("nickname", A::Null(true)),
                ("avatar", A::B(Blob::new(vec![0xde, 0xad]))),
                (
                    "address",
                    A::M(HashMap::from([("city".to_string(), A::S("London".into()))])),
                ),
            ],
        )
        .await;
        put(
            dynamodb,
            "customers",
            &[
                ("customer_id", A::S("c2".into())),
                ("name", A::S("Alan".into())),
                ("age", A::N("41.5".into())),
            ],
        )
        .await;
        for (order, line, sku) in [
            ("o1", "1", "apple"),
            ("o1", "2", "pear"),
            ("o2", "1", "fig"),
        ] {
            put(
                dynamodb,
                "orders",
                &[
                    ("order_id", A::S(order.into())),
                    ("line", A::N(line.into())),
                    ("sku", A::S(sku.into())),
                ],
            )
            .await;
        }
    }

    /// A column of a table's live rows, ordered by the first column given.
    fn rows(destination: &Destination, table: &str, columns: &[&str]) -> Vec<Vec<Value>> {
        let mut rows: Vec<Vec<Value>> = destination
            .table(table)
            .live_rows()
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|c| row.get(c).cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    }

    fn text(value: &str) -> Value {
        Value::String(value.into())
    }

    /// The schema: every table, its key schema as its primary key (a `B` key is BINARY).
    #[tokio::test(flavor = "multi_thread")]
    async fn discovery_makes_each_tables_key_schema_its_primary_key() {
        let moto = Moto::start();
        let dynamodb = writer(&moto);
        seed(&dynamodb).await;
        create(&dynamodb, "photos", &[("digest", ScalarAttributeType::B)]).await;
        let config = Config::from_map(&configuration_map(configuration(moto.url()))).unwrap();
        /// A table's name and its columns' names, types and key flags.
        type Found = (String, Vec<(String, Option<DataType>, bool)>);
        let mut found: Vec<Found> = discover(&config)
            .await
            .unwrap()
            .iter()
            .map(|table| {
                let columns = table
                    .columns
                    .iter()
                    .map(|c| (c.name.to_string(), c.data_type, c.primary_key))
                    .collect();
                (table.name.to_string(), columns)
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let key = |name: &str, data_type| (name.to_string(), Some(data_type), true);
        assert_eq!(
            found,
            [
                (
                    "customers".to_string(),
                    vec![key("customer_id", DataType::String)]
                ),
                (
                    "orders".to_string(),
                    vec![
                        key("order_id", DataType::String),
                        key("line", DataType::String)
                    ]
                ),
                ("photos".to_string(), vec![key("digest", DataType::Binary)]),
            ]
        );
    }

    /// Two syncs: every item of every table once (four segments, none read twice), mapped
    /// without type tags; the second sync scans again from the cleared state and picks up a
    /// changed and a new item.
    #[tokio::test(flavor = "multi_thread")]
    async fn two_syncs_upsert_every_item_and_the_second_sees_the_changes() {
        let moto = Moto::start();
        let dynamodb = writer(&moto);
        seed(&dynamodb).await;
        let mut destination = Destination::new();
        let first = destination
            .sync::<update>(configuration(moto.url()))
            .await
            .unwrap();
        assert_eq!(first.report.total().upserts, 5);
        assert_eq!(
            destination.table("orders").primary_key(),
            ["order_id", "line"]
        );
        assert_eq!(
            rows(
                &destination,
                "customers",
                &[
                    "customer_id",
                    "name",
                    "age",
                    "active",
                    "tags",
                    "nickname",
                    "address",
                    "avatar"
                ]
            ),
            [
                vec![
                    text("c1"),
                    text("Ada"),
                    text("36"),
                    Value::Bool(true),
                    Value::Json(r#"["vip"]"#.into()),
                    Value::Null,
                    Value::Json(r#"{"city":"London"}"#.into()),
                    Value::Binary(vec![0xde, 0xad]),
                ],
                vec![
                    text("c2"),
                    text("Alan"),
                    text("41.5"),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null
                ],
            ]
        );
        assert_eq!(
            rows(&destination, "orders", &["order_id", "line", "sku"]),
            [
                vec![text("o1"), text("1"), text("apple")],
                vec![text("o1"), text("2"), text("pear")],
                vec![text("o2"), text("1"), text("fig")],
            ]
        );
        // A checkpoint per page of each segment, each with the positions of the four segments
        // of the tables begun; the last one clears the state.
        let begun = &first.states[0]["tables"];
        let segments = begun.as_object().unwrap().values().next().unwrap();
        assert_eq!(segments.as_array().unwrap().len(), 4);
        assert_eq!(first.states.last().unwrap(), &json!({}));
        assert_eq!(destination.state(), json!({}));

        put(
            &dynamodb,
            "customers",
            &[
                ("customer_id", A::S("c2".into())),
                ("name", A::S("Alan Turing".into())),
                ("age", A::N("41.5".into())),
            ],
        )
        .await;
        put(
            &dynamodb,
            "customers",
            &[
                ("customer_id", A::S("c3".into())),
                ("name", A::S("Grace".into())),
            ],
        )
        .await;
        let second = destination
            .sync::<update>(configuration(moto.url()))
            .await
            .unwrap();
        assert_eq!(second.report.total().upserts, 6);
        assert_eq!(
            rows(&destination, "customers", &["customer_id", "name"]),
            [
                vec![text("c1"), text("Ada")],
                vec![text("c2"), text("Alan Turing")],
                vec![text("c3"), text("Grace")],
            ]
        );
        assert_eq!(destination.state(), json!({}));
    }

    /// Stopped after any page of any segment, a sync resumes every segment at its next page,
    /// skips the tables it had finished, and ends with the tables of an uninterrupted sync.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_scan_stopped_after_any_page_resumes_each_segment_where_it_was() {
        let moto = Moto::start();
        let dynamodb = writer(&moto);
        create(&dynamodb, "events", &[("event_id", ScalarAttributeType::N)]).await;
        create(&dynamodb, "users", &[("user_id", ScalarAttributeType::S)]).await;
        for n in 0..24 {
            put(
                &dynamodb,
                "events",
                &[
                    ("event_id", A::N(n.to_string())),
                    ("kind", A::S("click".into())),
                ],
            )
            .await;
        }
        for n in 0..6 {
            put(&dynamodb, "users", &[("user_id", A::S(format!("u{n}")))]).await;
        }
        let mut configuration = configuration(moto.url());
        configuration["page_size"] = json!("3");
        let mut destination = Destination::new();
        let run = destination.assert_resumable::<update>(configuration).await;
        assert!(run.states.len() > 8, "{}", run.states.len());
        assert_eq!(run.report.total().upserts, 30);
        assert_eq!(destination.table("events").live_rows().len(), 24);
        assert_eq!(destination.table("users").live_rows().len(), 6);
        // Some checkpoint saw a segment part-way, with the key to go on from.
        assert!(
            run.states
                .iter()
                .any(|s| s.to_string().contains(r#"{"after":{"event_id":{"N":"#)),
            "{:?}",
            run.states
        );
    }

    /// A state saved with another number of segments (the configuration changed while a table
    /// was part-way) starts that table over; a table the state marks done is skipped.
    #[tokio::test(flavor = "multi_thread")]
    async fn positions_of_another_number_of_segments_start_the_table_over() {
        let moto = Moto::start();
        seed(&writer(&moto)).await;
        let mut destination = Destination::with_state(json!({"tables": {
            "customers": ["done", "done"],
            "orders": ["done", "done", "done", "done"],
        }}));
        let run = destination
            .sync::<update>(configuration(moto.url()))
            .await
            .unwrap();
        assert_eq!(destination.table("customers").live_rows().len(), 2);
        assert_eq!(run.report.total().upserts, 2);
        assert_eq!(destination.state(), json!({}));
    }

    /// Credentials AWS does not know fail the sync at AssumeRole with AWS's answer, and the
    /// secret key shows nowhere in the error.
    #[tokio::test(flavor = "multi_thread")]
    async fn wrong_credentials_fail_at_assume_role_without_showing_the_secret() {
        let moto = Moto::start_refusing_credentials();
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(configuration(moto.url()))
            .await
            .unwrap_err();
        // moto wraps the error in one element more than STS does, so the SDK cannot read
        // the code: the status and the body's text say what happened.
        let message = failed.to_string();
        assert!(
            message.contains(&format!("assuming the role {ROLE}: HTTP 403: ")),
            "{message}"
        );
        assert!(
            message.contains("The security token included in the request is invalid"),
            "{message}"
        );
        let everything = format!("{failed} {failed:?}");
        assert!(!everything.contains(SECRET), "{everything}");
        assert!(failed.run.states.is_empty());
    }
}

/// Against moto checking credentials and policies: a key that may only assume the role.
#[cfg(test)]
mod role_tests {
    use super::*;
    use aws_mock::Moto;
    use connector_core::Configuration;
    use connector_core::testing::{Destination, configuration_map};

    /// The key of the user, which may only assume the role: DynamoDB is read as the role, and
    /// the same key signing DynamoDB requests itself is refused.
    #[tokio::test(flavor = "multi_thread")]
    async fn dynamodb_is_read_with_the_roles_temporary_credentials() {
        let (moto, setup) = Moto::start_with_role();
        let configuration = json!({
            "AWS_ACCESS_KEY_ID": setup.access_key_id,
            "AWS_SECRET_ACCESS_KEY": setup.secret_access_key,
            "ROLE_ARN": setup.role_arn,
            "REGION": "us-east-1",
            "endpoint_url": moto.url(),
        });
        let config = Config::from_map(&configuration_map(configuration.clone())).unwrap();

        // The key alone may not read DynamoDB.
        let refused = clients::dynamodb_with_key(&config)
            .list_tables()
            .send()
            .await
            .unwrap_err();
        let refused = aws_error(refused);
        assert!(refused.contains("AccessDenied"), "{refused}");

        // As the role it may: fill a table, then sync it.
        let as_role = clients::dynamodb_as_role(&config).await.unwrap();
        as_role
            .create_table()
            .table_name("notes")
            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
            .key_schema(
                aws_sdk_dynamodb::types::KeySchemaElement::builder()
                    .attribute_name("note_id")
                    .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                aws_sdk_dynamodb::types::AttributeDefinition::builder()
                    .attribute_name("note_id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        as_role
            .put_item()
            .table_name("notes")
            .item(
                "note_id",
                aws_sdk_dynamodb::types::AttributeValue::S("n1".into()),
            )
            .send()
            .await
            .unwrap();
        let mut destination = Destination::new();
        destination.sync::<update>(configuration).await.unwrap();
        assert_eq!(destination.table("notes").live_rows().len(), 1);
    }
}
