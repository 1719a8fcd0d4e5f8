//! The client-side rate limit against a real server: every clone and every task shares it, and
//! retries count against it.

mod common;

use std::time::{Duration, Instant};

use common::quick_retry;
use connector_http::{Client, RateLimit};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn clones_in_tasks_share_one_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200))
        .expect(10)
        .mount(&server)
        .await;
    let http = Client::builder("rate_test")
        .base_url(server.uri())
        .rate_limit(RateLimit::per_second(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    http.get("items").send().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // Ten requests 50 ms apart: nine intervals, whichever clone sent them. Two limits of their
    // own would have taken half as long.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn retries_take_their_turn() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let http = Client::builder("rate_test")
        .base_url(server.uri())
        .rate_limit(RateLimit::per_second(5))
        .retry(quick_retry())
        .build()
        .unwrap();
    let started = Instant::now();
    http.get("items").send().await.unwrap();
    // Four attempts, 200 ms apart at 5 a second, though the retry waits are 10 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn separate_clients_have_separate_limits() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let build = || {
        Client::builder("rate_test")
            .base_url(server.uri())
            .rate_limit(RateLimit::per_minute(6))
            .build()
            .unwrap()
    };
    let (first, second) = (build(), build());
    let started = Instant::now();
    first.get("items").send().await.unwrap();
    second.get("items").send().await.unwrap();
    // One shared limit would have held the second request for 10 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
