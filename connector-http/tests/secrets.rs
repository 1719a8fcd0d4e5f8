//! Secrets never reach an error, a log line or a `Debug`: not as a query parameter, not as a
//! header value, not echoed in a body.

mod common;

use common::{Logs, quick_retry};
use connector_http::{ApiKey, Bearer, Client, Error, PageNumber, Retry, Secret};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "key-5ecret-111";
const TOKEN: &str = "tok-5ecret-222";
const PIN: &str = "pin-5ecret-333";
const HEADER: &str = "hdr-5ecret-444";

fn assert_hidden(text: &str) {
    for secret in [KEY, TOKEN, PIN, HEADER] {
        assert!(!text.contains(secret), "`{secret}` shown in: {text}");
    }
}

/// Echoes the client's secrets in its body, after `status`.
async fn echo(server: &MockServer, at: &str, status: u16) {
    let body = format!("key={KEY} pin={PIN} header={HEADER}");
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(server)
        .await;
}

fn client(base: &str, retry: Retry) -> Client {
    Client::builder("secrets_test")
        .base_url(base)
        .auth(ApiKey::query("api_key", Secret::new(KEY)))
        .secret(Secret::new(PIN))
        .secret_header("X-Tenant", Secret::new(HEADER))
        .retry(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn retries_and_their_error_hide_every_secret() {
    let server = MockServer::start().await;
    echo(&server, "/items", 503).await;
    let (logs, _guard) = Logs::capture();
    let http = client(&server.uri(), quick_retry().max_retries(2));
    let error = http
        .get("items")
        .query("pin", PIN)
        .query("token", TOKEN)
        .send()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert_hidden(&text);
    assert_hidden(&format!("{error:?}"));
    assert!(
        text.contains("/items?pin=***&token=***&api_key=***"),
        "{text}"
    );
    assert!(text.ends_with("key=*** pin=*** header=***"), "{text}");
    let logs = logs.text();
    assert_eq!(logs.matches("retry").count(), 2, "{logs}");
    assert_hidden(&logs);
}

#[tokio::test]
async fn a_refused_request_hides_every_secret() {
    let server = MockServer::start().await;
    echo(&server, "/items", 400).await;
    let http = client(&server.uri(), quick_retry());
    let error = http.get("items").query("q", PIN).send().await.unwrap_err();
    assert!(matches!(error, Error::Status { .. }));
    assert_hidden(&error.to_string());
    assert!(error.to_string().contains("?q=***&api_key=***"), "{error}");
}

#[tokio::test]
async fn a_connection_error_and_its_warnings_hide_every_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (logs, _guard) = Logs::capture();
    let http = client(
        &format!("http://127.0.0.1:{port}"),
        quick_retry().max_retries(1),
    );
    let error = http.get(&format!("items/{PIN}")).send().await.unwrap_err();
    assert_hidden(&error.to_string());
    assert!(
        error.to_string().contains("/items/***?api_key=***"),
        "{error}"
    );
    assert!(logs.text().contains("retry 1"), "{}", logs.text());
    assert_hidden(&logs.text());
}

#[tokio::test]
async fn a_body_that_is_not_the_expected_json_hides_every_secret() {
    let server = MockServer::start().await;
    echo(&server, "/items", 200).await;
    let http = client(&server.uri(), quick_retry());
    let error = http
        .get("items")
        .send()
        .await
        .unwrap()
        .json::<Vec<u8>>()
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }));
    assert_hidden(&error.to_string());
    let mut pages = http.get("items").paginate(PageNumber::new("page"));
    let error = pages.next_page().await.unwrap_err();
    assert_hidden(&error.to_string());
}

#[tokio::test]
async fn debug_output_hides_every_secret() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([1])))
        .mount(&server)
        .await;
    let http = Client::builder("secrets_test")
        .base_url(server.uri())
        .auth(Bearer::new(Secret::new(TOKEN)))
        .secret_header("X-Tenant", Secret::new(HEADER))
        .build()
        .unwrap();
    let request = http
        .get("items")
        .query("api_key", KEY)
        .secret_header("X-Pin", Secret::new(PIN));
    let response = request.clone().send().await.unwrap();
    let shown = format!(
        "{http:?} {request:?} {response:?} {} {:?}",
        response.shown_url(),
        Secret::new(KEY)
    );
    assert_hidden(&shown);
    assert!(shown.contains("api_key=***"), "{shown}");
}
