//! The incremental cursor over syncs against a server that filters on `updated_since >=`: the
//! state follows the largest `updatedAt` emitted, the next sync asks only for what changed, the
//! row at the boundary is read again (and a row that took the boundary's timestamp after the
//! last sync is not lost), and a sync that fails mid-walk resumes from its last checkpoint.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use connector_http::{Client, Incremental, PageNumber, Result, Retry};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct User {
    id: String,
    name: String,
    #[serde(rename = "updatedAt")]
    updated_at: DateTime<Utc>,
}

#[derive(Default, Serialize, Deserialize)]
struct State {
    #[serde(default)]
    users: Incremental<DateTime<Utc>>,
}

/// The source: users by id, paged 3 at a time in `updatedAt` order, filtered on
/// `updated_since >=`; it can fail one page once.
#[derive(Clone, Default)]
struct Source {
    users: Arc<Mutex<BTreeMap<String, (String, String)>>>,
    fail_page: Arc<Mutex<Option<usize>>>,
}

impl Source {
    fn put(&self, id: &str, name: &str, minute: u32) {
        let at = format!("2024-01-01T00:{minute:02}:00Z");
        self.users
            .lock()
            .unwrap()
            .insert(id.into(), (name.into(), at));
    }
}

impl Respond for Source {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let page: usize = query["page"].parse().unwrap();
        if *self.fail_page.lock().unwrap() == Some(page) {
            *self.fail_page.lock().unwrap() = None;
            return ResponseTemplate::new(500);
        }
        let since = query.get("updated_since").cloned().unwrap_or_default();
        let mut rows: Vec<Value> = self
            .users
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, (_, at))| *at >= since)
            .map(|(id, (name, at))| json!({"id": id, "name": name, "updatedAt": at}))
            .collect();
        rows.sort_by_key(|r| (r["updatedAt"].to_string(), r["id"].to_string()));
        let data: Vec<Value> = rows.iter().skip((page - 1) * 3).take(3).cloned().collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "data": data,
            "total_pages": rows.len().div_ceil(3),
        }))
    }
}

/// What a sync leaves: the destination's rows by id and the state of its checkpoints.
struct Destination {
    rows: BTreeMap<String, User>,
    state: Value,
    /// The ids each sync read, in order.
    reads: Vec<Vec<String>>,
}

impl Default for Destination {
    fn default() -> Self {
        // A first sync gets the state `{}`.
        Destination {
            rows: BTreeMap::new(),
            state: json!({}),
            reads: Vec::new(),
        }
    }
}

/// A connector's sync: a page at a time, upsert its rows, follow the cursor, checkpoint.
async fn sync(http: &Client, destination: &mut Destination) -> Result<()> {
    let mut state: State = serde_json::from_value(destination.state.clone()).unwrap();
    let since = state.users.start_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut pages = http
        .get("users")
        .query("updated_since", since.format("%Y-%m-%dT%H:%M:%SZ"))
        .paginate(
            PageNumber::new("page")
                .total_pages("/total_pages")
                .items_at("/data"),
        );
    let mut read = Vec::new();
    let outcome = async {
        while let Some(page) = pages.next_page().await? {
            for user in page.into_items_as::<User>()? {
                read.push(user.id.clone());
                state.users.observe(user.updated_at);
                destination.rows.insert(user.id.clone(), user);
            }
            // The checkpoint: the rows so far are durable, and so is the state.
            destination.state = serde_json::to_value(&state).unwrap();
        }
        Ok(())
    }
    .await;
    destination.reads.push(read);
    outcome
}

async fn start(source: &Source) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(path("/users"))
        .respond_with(source.clone())
        .mount(&server)
        .await;
    let http = Client::builder("incremental_test")
        .base_url(server.uri())
        .retry(Retry::never())
        .build()
        .unwrap();
    (server, http)
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn the_second_sync_reads_only_what_changed_and_the_boundary_again() {
    let source = Source::default();
    for (i, minute) in [1, 2, 3, 4, 5, 5, 6].into_iter().enumerate() {
        source.put(&format!("u-{}", i + 1), "first", minute);
    }
    let (_server, http) = start(&source).await;
    let mut destination = Destination::default();
    sync(&http, &mut destination).await.unwrap();
    assert_eq!(destination.rows.len(), 7);
    assert_eq!(destination.state, json!({"users": "2024-01-01T00:06:00Z"}));

    // After the first sync: a new row takes the saved timestamp, another row changes.
    source.put("u-8", "late", 6);
    source.put("u-2", "changed", 9);
    sync(&http, &mut destination).await.unwrap();
    // Read again: u-7 (at the saved 00:06, upserted once more); new: u-8 (a strict `>` would
    // have lost it) and u-2.
    assert_eq!(destination.reads[1], ids(&["u-7", "u-8", "u-2"]));
    assert_eq!(destination.state, json!({"users": "2024-01-01T00:09:00Z"}));
    assert_eq!(destination.rows.len(), 8);
    assert_eq!(destination.rows["u-2"].name, "changed");
    assert_eq!(destination.rows["u-8"].name, "late");
}

#[tokio::test]
async fn a_sync_that_fails_mid_walk_resumes_from_its_last_checkpoint() {
    let source = Source::default();
    for i in 1..=8 {
        source.put(&format!("u-{i}"), "first", i);
    }
    let (_server, http) = start(&source).await;
    let mut uninterrupted = Destination::default();
    sync(&http, &mut uninterrupted).await.unwrap();

    *source.fail_page.lock().unwrap() = Some(2);
    let mut resumed = Destination::default();
    let error = sync(&http, &mut resumed).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    // The first page was emitted and checkpointed; nothing after it.
    assert_eq!(resumed.state, json!({"users": "2024-01-01T00:03:00Z"}));
    sync(&http, &mut resumed).await.unwrap();
    // The resumed sync starts at the checkpoint's row and loses nothing.
    assert_eq!(resumed.reads[1][0], "u-3");
    assert_eq!(resumed.rows, uninterrupted.rows);
    assert_eq!(resumed.state, uninterrupted.state);
}

#[test]
fn a_pair_cursor_reads_nothing_twice() {
    // (updatedAt, id): the API filters `(updatedAt, id) > saved`, or `is_new` drops what a `>=`
    // filter on the timestamp alone sends again.
    let saved: Incremental<(String, String)> =
        serde_json::from_value(json!(["2024-01-01T00:06:00Z", "u-7"])).unwrap();
    let sent = [
        ("2024-01-01T00:06:00Z", "u-6"),
        ("2024-01-01T00:06:00Z", "u-7"),
        ("2024-01-01T00:06:00Z", "u-8"),
    ];
    let new: Vec<&str> = sent
        .iter()
        .filter(|(at, id)| saved.is_new(&(at.to_string(), id.to_string())))
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(new, ["u-8"]);
    let mut state = saved.clone();
    state.observe(("2024-01-01T00:06:00Z".into(), "u-8".into()));
    assert_eq!(
        serde_json::to_value(&state).unwrap(),
        json!(["2024-01-01T00:06:00Z", "u-8"])
    );
    assert_eq!(
        serde_json::to_value(Incremental::<i64>::new()).unwrap(),
        Value::Null
    );
}
