//! The server itself: ports, stopping, determinism, the journal, unknown paths and the optional
//! rate limit.

mod common;

use std::net::TcpStream;

use chrono::{DateTime, Utc};
use common::get;
use connector_playground::{Dataset, Playground, RateLimit, RecordedRequest};

#[test]
fn servers_take_free_ports_and_free_them_when_dropped() {
    let a = Playground::start().unwrap();
    let b = Playground::start().unwrap();
    assert_ne!(a.addr().port(), b.addr().port());
    assert_eq!(a.url(), format!("http://127.0.0.1:{}", a.addr().port()));
    let addr = a.addr();
    assert!(TcpStream::connect(addr).is_ok());
    drop(a);
    assert!(TcpStream::connect(addr).is_err());
    b.stop();
}

#[test]
fn a_plain_test_without_a_runtime_can_use_it() {
    let server = Playground::start().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = runtime.block_on(get(&server.endpoint("/pagination/keyset")));
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn the_same_seed_and_now_give_the_same_answers() {
    let a = Playground::builder().seed(42).start().unwrap();
    let b = Playground::builder().seed(42).start().unwrap();
    let c = Playground::builder().seed(43).start().unwrap();
    let path = "/pagination/page_number?per_page=50&page=3";
    let body_a = get(&a.endpoint(path)).await.body;
    assert_eq!(body_a, get(&b.endpoint(path)).await.body);
    assert_ne!(body_a, get(&c.endpoint(path)).await.body);
    assert_eq!(a.users(), b.users());
}

#[test]
fn the_data_ends_before_the_chosen_now() {
    let now: DateTime<Utc> = "2024-06-01T12:00:00Z".parse().unwrap();
    let server = Playground::builder().now(now).start().unwrap();
    assert_eq!(server.now(), now);
    let users = server.data().users_by_updated_at();
    let newest = users.last().unwrap().updated_at_time();
    let oldest = server
        .users()
        .iter()
        .map(|u| u.created_at_time())
        .min()
        .unwrap();
    assert!(newest < now);
    assert!(now - oldest <= chrono::Duration::hours(201));
    assert!(now - oldest > chrono::Duration::hours(199));
    // The same data without a server.
    assert_eq!(Dataset::generate(200, 0, now).users(), server.users());
}

#[tokio::test]
async fn unknown_paths_and_methods_get_werkzeugs_pages() {
    let server = Playground::start().unwrap();
    let missing = get(&server.endpoint("/pagination/unknown")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<title>404 Not Found</title>"));
    let trailing = get(&server.endpoint("/export/csv/")).await;
    assert_eq!(trailing.status, 404);
    let post = common::send(common::client().post(server.endpoint("/pagination/keyset"))).await;
    assert_eq!(post.status, 405);
    assert!(post.body.contains("<title>405 Method Not Allowed</title>"));
}

#[tokio::test]
async fn the_journal_lists_every_request() {
    let server = Playground::start().unwrap();
    get(&server.endpoint("/pagination/offset?limit=5")).await;
    get(&server.endpoint("/auth/api_key")).await;
    assert_eq!(
        server.requests(),
        [
            RecordedRequest {
                method: "GET".into(),
                path: "/pagination/offset".into(),
                query: Some("limit=5".into()),
                status: 200,
                fault: None,
            },
            RecordedRequest {
                method: "GET".into(),
                path: "/auth/api_key".into(),
                query: None,
                status: 401,
                fault: None,
            },
        ]
    );
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_optional_rate_limit_refuses_a_burst_past_its_capacity() {
    let server = Playground::builder()
        .rate_limit(RateLimit {
            capacity: 3,
            // Slow enough that no token comes back during the test.
            per_second: 0.1,
        })
        .start()
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let answer = get(&server.endpoint("/pagination/keyset")).await;
        assert_eq!(answer.header("x-ratelimit-limit"), Some("3"));
        assert!(answer.header("x-ratelimit-remaining").is_some());
        assert!(answer.header("x-ratelimit-reset").is_some());
        if answer.status == 429 {
            assert_eq!(answer.error(), "Rate limit exceeded");
            let retry_after: u64 = answer.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=10).contains(&retry_after), "{retry_after}");
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(server.rate_limit_refusals(), 2);
    // Injected faults are counted apart.
    assert_eq!(server.fault_counts().faulted(), 0);
}

#[tokio::test]
async fn a_clock_moved_absurdly_far_still_answers() {
    let server = Playground::start().unwrap();
    server.advance_clock(std::time::Duration::MAX);
    server.advance_clock(std::time::Duration::MAX);
    assert_eq!(
        get(&server.endpoint("/cursors/companies")).await.status,
        200
    );
    let login = common::send(
        common::client()
            .post(server.endpoint("/auth/session_token/login"))
            .header("Content-Type", "application/json")
            .body(r#"{"username": "session@example.com", "password": "session-password"}"#),
    )
    .await;
    assert_eq!(login.status, 200);
}
