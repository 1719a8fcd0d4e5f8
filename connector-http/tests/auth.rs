//! Each kind of authentication against a real server: what it sends, and for the kinds that
//! fetch tokens, when they fetch one (once, before expiry, once on a 401, once for many tasks).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Logs, quick_retry};
use connector_http::{
    ApiKey, Basic, Bearer, Client, Error, OAuth2, Secret, SessionToken, StatusCode, Token,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Every request without the expected credentials gets 401.
async fn refuse_the_rest(server: &MockServer) {
    Mock::given(path("/data"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad credentials"))
        .with_priority(10)
        .mount(server)
        .await;
}

async fn data_with(server: &MockServer, name: &str, value: &str) {
    Mock::given(path("/data"))
        .and(header(name, value))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [1, 2]})))
        .mount(server)
        .await;
}

fn client(server: &MockServer, auth: impl Into<connector_http::Auth>) -> Client {
    Client::builder("auth_test")
        .base_url(server.uri())
        .auth(auth)
        .retry(quick_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_api_key_goes_in_a_header_with_a_prefix_or_in_the_query() {
    let server = MockServer::start().await;
    data_with(&server, "Authorization", "apiKey k-123").await;
    Mock::given(path("/data"))
        .and(header("X-API-Key", "k-456"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/data"))
        .and(query_param("access_key", "k-789"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    refuse_the_rest(&server).await;

    let prefixed = ApiKey::header("Authorization", "k-123".into()).prefix("apiKey ");
    client(&server, prefixed).get("data").send().await.unwrap();
    let plain = ApiKey::header("X-API-Key", "k-456".into());
    client(&server, plain).get("data").send().await.unwrap();
    let in_query = ApiKey::query("access_key", "k-789".into());
    client(&server, in_query)
        .get("data")
        .query("page", 2)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_api_key_fails_with_a_clear_error() {
    let server = MockServer::start().await;
    data_with(&server, "Authorization", "apiKey right").await;
    refuse_the_rest(&server).await;
    let wrong = ApiKey::header("Authorization", "wrong-key".into()).prefix("apiKey ");
    let error = client(&server, wrong).get("data").send().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        error.to_string(),
        format!(
            "GET {}/data answered 401 Unauthorized (the credentials were refused): bad credentials",
            server.uri()
        )
    );
}

#[tokio::test]
async fn basic_and_bearer() {
    let server = MockServer::start().await;
    // base64("reader:pa55word")
    data_with(&server, "Authorization", "Basic cmVhZGVyOnBhNTV3b3Jk").await;
    data_with(&server, "Authorization", "Bearer t0k3n").await;
    refuse_the_rest(&server).await;
    let basic = Basic::new("reader", "pa55word".into());
    client(&server, basic).get("data").send().await.unwrap();
    client(&server, Bearer::new("t0k3n".into()))
        .get("data")
        .send()
        .await
        .unwrap();
    let wrong = Basic::new("reader", "guess".into());
    let error = client(&server, wrong).get("data").send().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
}

/// A server that hands out tokens `tok-1`, `tok-2`, ... and accepts only those still valid.
#[derive(Clone, Default)]
struct Tokens {
    issued: Arc<AtomicUsize>,
    valid: Arc<Mutex<HashSet<String>>>,
    /// The form bodies of the token requests.
    requests: Arc<Mutex<Vec<String>>>,
}

impl Tokens {
    fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    fn revoke_all(&self) {
        self.valid.lock().unwrap().clear();
    }
}

/// The login or token endpoint: a new token, valid for `life` seconds by the server's word.
struct Issue {
    tokens: Tokens,
    life: u64,
    delay: Duration,
}

impl Respond for Issue {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.tokens.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}");
        self.tokens.valid.lock().unwrap().insert(token.clone());
        self.tokens
            .requests
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&request.body).into_owned());
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "token": token,
                "access_token": token,
                "expires_in": self.life,
                "refresh_token": format!("refresh-{}", n + 1),
            }))
            .set_delay(self.delay)
    }
}

/// The data endpoint: 200 for a valid token after `prefix`, 401 otherwise.
struct Guard {
    tokens: Tokens,
    prefix: &'static str,
}

impl Respond for Guard {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let sent = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix(self.prefix))
            .unwrap_or_default();
        if self.tokens.valid.lock().unwrap().contains(sent) {
            ResponseTemplate::new(200).set_body_json(json!({"data": [sent]}))
        } else {
            ResponseTemplate::new(401).set_delay(Duration::from_millis(50))
        }
    }
}

async fn token_server(life: u64, delay: Duration, prefix: &'static str) -> (MockServer, Tokens) {
    let server = MockServer::start().await;
    let tokens = Tokens::default();
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(Issue {
            tokens: tokens.clone(),
            life,
            delay,
        })
        .mount(&server)
        .await;
    Mock::given(path("/data"))
        .respond_with(Guard {
            tokens: tokens.clone(),
            prefix,
        })
        .mount(&server)
        .await;
    (server, tokens)
}

fn session() -> SessionToken {
    let password = Secret::new("pa55word");
    SessionToken::new(move |http: Client| {
        let body = json!({"username": "reader", "password": password.expose()});
        async move {
            let answer: Value = http.post("login").json(&body).send().await?.json()?;
            let token = answer["token"].as_str().unwrap_or_default();
            let life = answer["expires_in"].as_u64().unwrap_or(0);
            Ok(Token::new(Secret::new(token)).expires_in(Duration::from_secs(life)))
        }
    })
    .header("Authorization", "Token ")
    .secret(Secret::new("pa55word"))
}

async fn data(http: &Client) -> Result<String, Error> {
    let body: Value = http.get("data").send().await?.json()?;
    Ok(body["data"][0].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_session_logs_in_once_and_reuses_its_token() {
    let (server, tokens) = token_server(3600, Duration::ZERO, "Token ").await;
    let http = client(&server, session());
    for _ in 0..5 {
        assert_eq!(data(&http).await.unwrap(), "tok-1");
    }
    assert_eq!(data(&http.clone()).await.unwrap(), "tok-1");
    assert_eq!(tokens.issued(), 1);
    let login = tokens.requests.lock().unwrap()[0].clone();
    assert_eq!(login, r#"{"password":"pa55word","username":"reader"}"#);
}

#[tokio::test]
async fn a_session_logs_in_again_on_a_401_once() {
    let (server, tokens) = token_server(3600, Duration::ZERO, "Token ").await;
    let http = client(&server, session());
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    tokens.revoke_all();
    let (logs, _guard) = Logs::capture();
    assert_eq!(data(&http).await.unwrap(), "tok-2");
    assert_eq!(tokens.issued(), 2);
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("answered 401 Unauthorized; sending it again with new credentials")
    );
}

#[tokio::test]
async fn a_session_whose_new_token_is_refused_too_fails_after_one_new_login() {
    let server = MockServer::start().await;
    let tokens = Tokens::default();
    Mock::given(path("/login"))
        .respond_with(Issue {
            tokens: tokens.clone(),
            life: 3600,
            delay: Duration::ZERO,
        })
        .mount(&server)
        .await;
    refuse_the_rest(&server).await;
    let error = data(&client(&server, session())).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(tokens.issued(), 2);
}

#[tokio::test]
async fn a_session_logs_in_again_before_its_token_expires() {
    // A token of 1 s is replaced half-way through its life.
    let (server, tokens) = token_server(1, Duration::ZERO, "Token ").await;
    let http = client(&server, session());
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(data(&http).await.unwrap(), "tok-2");
    assert_eq!(tokens.issued(), 2);
}

#[tokio::test]
async fn a_failed_login_is_an_authentication_error_without_the_password() {
    let server = MockServer::start().await;
    Mock::given(path("/login"))
        .respond_with(
            ResponseTemplate::new(403).set_body_string("user reader, password pa55word: locked"),
        )
        .mount(&server)
        .await;
    let error = data(&client(&server, session())).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Auth {
                status: Some(StatusCode::FORBIDDEN),
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "authentication failed (session login): POST {}/login answered 403 Forbidden (the \
             credentials lack a permission): user reader, password ***: locked",
            server.uri()
        )
    );
}

#[tokio::test]
async fn many_tasks_share_one_login() {
    let (server, tokens) = token_server(3600, Duration::from_millis(200), "Token ").await;
    let http = client(&server, session());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move { data(&http).await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "tok-1");
    }
    assert_eq!(tokens.issued(), 1);
}

fn oauth_refresh(server: &MockServer) -> OAuth2 {
    OAuth2::refresh_token(
        format!("{}/login", server.uri()),
        "client-1",
        Secret::new("client-secret-1"),
        Secret::new("refresh-1"),
    )
}

#[tokio::test]
async fn oauth2_refresh_token_caches_rotates_and_refreshes_once_for_many_tasks_on_a_401() {
    let (server, tokens) = token_server(3600, Duration::from_millis(100), "Bearer ").await;
    let oauth = oauth_refresh(&server);
    let http = client(&server, oauth.clone());
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    assert_eq!(tokens.issued(), 1);
    // The endpoint rotated the refresh token; the next refresh sends the new one.
    assert_eq!(oauth.current_refresh_token().unwrap().expose(), "refresh-2");

    tokens.revoke_all();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move { data(&http).await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "tok-2");
    }
    assert_eq!(tokens.issued(), 2, "ten tasks refused at once refresh once");
    let requests = tokens.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            "grant_type=refresh_token&refresh_token=refresh-1&client_id=client-1&client_secret=client-secret-1",
            "grant_type=refresh_token&refresh_token=refresh-2&client_id=client-1&client_secret=client-secret-1",
        ]
    );
}

#[tokio::test]
async fn oauth2_refreshes_before_expiry() {
    let (server, tokens) = token_server(1, Duration::ZERO, "Bearer ").await;
    let http = client(&server, oauth_refresh(&server));
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(data(&http).await.unwrap(), "tok-2");
    assert_eq!(tokens.issued(), 2);
}

#[tokio::test]
async fn oauth2_client_credentials_with_basic_client_auth_and_a_scope() {
    let server = MockServer::start().await;
    let tokens = Tokens::default();
    Mock::given(method("POST"))
        .and(path("/oauth2/v0/token"))
        // base64("client-1:client-secret-1")
        .and(header(
            "Authorization",
            "Basic Y2xpZW50LTE6Y2xpZW50LXNlY3JldC0x",
        ))
        .and(header("Content-Type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(
            "grant_type=client_credentials&scope=read%28all%29",
        ))
        .respond_with(Issue {
            tokens: tokens.clone(),
            life: 3600,
            delay: Duration::ZERO,
        })
        .mount(&server)
        .await;
    Mock::given(path("/data"))
        .respond_with(Guard {
            tokens: tokens.clone(),
            prefix: "Bearer ",
        })
        .mount(&server)
        .await;
    let oauth = OAuth2::client_credentials("oauth2/v0/token", "client-1", "client-secret-1".into())
        .scope("read(all)")
        .basic_client_auth();
    assert_eq!(oauth.current_refresh_token(), None);
    let http = client(&server, oauth);
    assert_eq!(data(&http).await.unwrap(), "tok-1");
    assert_eq!(
        tokens.requests.lock().unwrap()[0],
        "grant_type=client_credentials&scope=read%28all%29"
    );
}

#[tokio::test]
async fn a_token_endpoint_that_refuses_is_an_authentication_error_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(path("/login"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "refresh token refresh-1 of client-secret-1 expired",
        })))
        .mount(&server)
        .await;
    let error = data(&client(&server, oauth_refresh(&server)))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("authentication failed (OAuth2 refresh token): POST"),
        "{text}"
    );
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(
        !text.contains("refresh-1") && !text.contains("client-secret-1"),
        "{text}"
    );
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
}

#[tokio::test]
async fn a_token_answer_without_an_access_token_is_an_authentication_error() {
    let server = MockServer::start().await;
    Mock::given(path("/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_type": "bearer"})))
        .mount(&server)
        .await;
    let error = data(&client(&server, oauth_refresh(&server)))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "authentication failed (OAuth2 refresh token): the token endpoint answered no `access_token`"
    );
}
