//! Retries against a real server: which failures are retried, how long the client waits, when
//! it gives up, and what the error and the log say.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{Logs, quick_retry};
use connector_http::{ApiKey, Client, Error, Retry, StatusCode};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, retry: Retry) -> Client {
    Client::builder("retry_test")
        .base_url(server.uri())
        .retry(retry)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

/// `status` for the first `times` requests to `at`, then `200 ok`.
async fn fail_then_succeed(server: &MockServer, at: &str, failure: ResponseTemplate, times: u64) {
    Mock::given(path(at))
        .respond_with(failure)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_waits_that_long() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    fail_then_succeed(&server, "/items", limited, 1).await;
    let started = Instant::now();
    let response = client(&server, quick_retry())
        .get("items")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text(), "ok");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_with_retry_after_as_an_http_date_waits_until_then() {
    let server = MockServer::start().await;
    // HTTP dates have whole seconds: two seconds from now is at least one second away.
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", when.as_str());
    fail_then_succeed(&server, "/items", limited, 1).await;
    let started = Instant::now();
    client(&server, quick_retry())
        .get("items")
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn retry_after_zero_waits_the_floor_not_a_tight_loop() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "0");
    fail_then_succeed(&server, "/items", limited, 3).await;
    let retry = quick_retry().min_wait(Duration::from_millis(200));
    let started = Instant::now();
    client(&server, retry).get("items").send().await.unwrap();
    // Three waits of at least the 200 ms floor.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_503_is_retried_and_each_retry_is_logged() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, "/items", ResponseTemplate::new(503), 2).await;
    let (logs, _guard) = Logs::capture();
    client(&server, quick_retry())
        .get("items")
        .send()
        .await
        .unwrap();
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("GET http://"), "{}", warnings[0]);
    assert!(warnings[0].contains("/items answered 503 Service Unavailable; retry 1 of 5 in"));
    assert!(warnings[1].contains("retry 2 of 5 in"));
}

#[tokio::test]
async fn a_time_out_is_retried() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    fail_then_succeed(&server, "/slow", slow, 1).await;
    let (logs, _guard) = Logs::capture();
    let response = client(&server, quick_retry())
        .get("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text(), "ok");
    let warnings = logs.warnings();
    assert!(warnings[0].contains("failed (timed out"), "{warnings:?}");
}

#[tokio::test]
async fn a_connection_error_is_retried_then_named_in_the_error() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http = Client::builder("retry_test")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(quick_retry().max_retries(2))
        .build()
        .unwrap();
    let error = http.get("items").send().await.unwrap_err();
    let Error::RetriesExhausted {
        attempts,
        status,
        cause,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!((*attempts, *status), (3, None));
    assert!(
        cause.as_deref().unwrap().contains("error sending request"),
        "{error}"
    );
    assert!(error.to_string().starts_with(&format!(
        "GET http://127.0.0.1:{port}/items: gave up after 3 attempts; the last attempt failed: "
    )));
}

#[tokio::test]
async fn when_retries_run_out_the_error_names_method_url_status_and_body() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(502).set_body_string("upstream k-123 is down"))
        .expect(4)
        .mount(&server)
        .await;
    let http = Client::builder("retry_test")
        .base_url(server.uri())
        .auth(ApiKey::query("api_key", "k-123".into()))
        .retry(quick_retry().max_retries(3))
        .build()
        .unwrap();
    let error = http.get("items").query("page", 2).send().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(
        error.to_string(),
        format!(
            "GET {}/items?page=2&api_key=***: gave up after 4 attempts; the last attempt \
             answered 502 Bad Gateway: upstream *** is down",
            server.uri()
        )
    );
}

#[tokio::test]
async fn a_long_body_is_quoted_up_to_its_start() {
    let server = MockServer::start().await;
    let body = format!("{}TAIL", "x".repeat(10_000));
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(500).set_body_string(body))
        .mount(&server)
        .await;
    let error = client(&server, Retry::never())
        .get("items")
        .send()
        .await
        .unwrap_err();
    let Error::RetriesExhausted { body, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(body.chars().count(), connector_http::BODY_START + 1);
    assert!(!error.to_string().contains("TAIL"));
}

#[tokio::test]
async fn a_retry_after_longer_than_the_longest_wait_stops_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let retry = quick_retry().max_wait(Duration::from_secs(60));
    let started = Instant::now();
    let error = client(&server, retry)
        .get("items")
        .send()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        error.to_string().contains(
            "gave up as the server asked to wait 3600 s, longer than the longest wait of 60 s"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn the_total_time_is_capped() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let retry = quick_retry()
        .max_retries(1000)
        .min_wait(Duration::from_millis(100))
        .max_total(Duration::from_millis(450));
    let started = Instant::now();
    let error = client(&server, retry)
        .get("items")
        .send()
        .await
        .unwrap_err();
    // A few attempts 100 ms or more apart, then a stop long before 1000 retries would end.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("allowed in all"), "{error}");
    let Error::RetriesExhausted { attempts, .. } = error else {
        panic!("{error}");
    };
    assert!((1..=5).contains(&attempts), "{attempts}");
}

#[tokio::test]
async fn a_post_is_not_retried_unless_the_connector_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server, quick_retry());
    let error = http.post("orders").json(&1).send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                ..
            }
        ),
        "{error}"
    );
    let error = http.patch("orders").json(&1).send().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));

    // Opting in, per request or for the whole client.
    Mock::given(path("/orders"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/orders"))
        .respond_with(ResponseTemplate::new(201))
        .expect(2)
        .mount(&server)
        .await;
    let created = http
        .post("orders")
        .json(&1)
        .retry_non_idempotent()
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let every = client(&server, quick_retry().non_idempotent(true));
    every.patch("orders").json(&1).send().await.unwrap();
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no such thing"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server, quick_retry())
        .get("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "GET {}/missing answered 404 Not Found: no such thing",
            server.uri()
        )
    );
}
