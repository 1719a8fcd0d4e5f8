//! `/auth/*`: each scheme's success and 401s, and the session token's login, use and expiry.

mod common;

use std::time::Duration;

use common::{get, get_with_auth, send};
use connector_playground::{Credentials, Playground};
use serde_json::{Value, json};

fn server() -> Playground {
    Playground::builder().seed(11).start().unwrap()
}

/// The first 20 users as the auth endpoints serve them.
fn first_twenty(server: &Playground) -> Value {
    serde_json::to_value(&server.users()[..20]).unwrap()
}

#[tokio::test]
async fn each_scheme_accepts_its_credential_and_answers_twenty_users() {
    let server = server();
    let c = server.credentials().clone();
    for (path, authorization) in [
        ("/auth/api_key", c.api_key_header()),
        ("/auth/http_bearer", c.bearer_header()),
        ("/auth/http_basic", c.basic_header()),
    ] {
        let answer = get_with_auth(&server.endpoint(path), &authorization).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(
            answer.json(),
            json!({ "data": first_twenty(&server) }),
            "{path}"
        );
        // Flask's jsonify sorts keys: address comes first, updatedAt last.
        let first = &answer.body[answer.body.find("[{").unwrap()..];
        assert!(first.starts_with("[{\"address\":"), "{path}: {first}");
    }
}

#[tokio::test]
async fn the_documented_defaults_work() {
    let server = server();
    assert_eq!(server.credentials(), &Credentials::default());
    let answer = get_with_auth(
        &server.endpoint("/auth/http_basic"),
        // base64("basic@example.com:basic-password")
        "Basic YmFzaWNAZXhhbXBsZS5jb206YmFzaWMtcGFzc3dvcmQ=",
    )
    .await;
    assert_eq!(answer.status, 200);
    let answer = get_with_auth(
        &server.endpoint("/auth/api_key"),
        "apiKey playground-api-key",
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_werkzeugs_401_page() {
    let server = server();
    let c = server.credentials().clone();
    let missing = get(&server.endpoint("/auth/api_key")).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        missing.body,
        "<!doctype html>\n<html lang=en>\n<title>401 Unauthorized</title>\n<h1>Unauthorized</h1>\n<p>Authorization header is missing</p>\n"
    );
    let cases = [
        ("/auth/api_key", "apiKey wrong".to_string()),
        ("/auth/api_key", format!("Bearer {}", c.api_key)),
        ("/auth/api_key", "apiKey".to_string()),
        ("/auth/api_key", format!("apikey {}", c.api_key)),
        ("/auth/http_bearer", "Bearer nope".to_string()),
        ("/auth/http_bearer", c.bearer_token.clone()),
        ("/auth/http_basic", "Basic dXNlcjpwYXNz".to_string()),
        (
            "/auth/http_basic",
            c.basic_header().replace("Basic", "basic"),
        ),
    ];
    for (path, authorization) in cases {
        let answer = get_with_auth(&server.endpoint(path), &authorization).await;
        assert_eq!(answer.status, 401, "{path} {authorization}");
        assert!(
            answer.body.contains("<p>Invalid API key or format</p>"),
            "{path}: {}",
            answer.body
        );
    }
    for path in ["/auth/http_bearer", "/auth/http_basic"] {
        assert_eq!(get(&server.endpoint(path)).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn credentials_can_be_set() {
    let credentials = Credentials {
        api_key: "k-123".into(),
        ..Credentials::default()
    };
    let server = Playground::builder()
        .credentials(credentials)
        .start()
        .unwrap();
    let url = server.endpoint("/auth/api_key");
    assert_eq!(get_with_auth(&url, "apiKey k-123").await.status, 200);
    assert_eq!(
        get_with_auth(&url, "apiKey playground-api-key")
            .await
            .status,
        401
    );
}

#[test]
fn session_credentials_with_a_colon_are_refused_at_start() {
    let credentials = Credentials {
        session_password: "a:b".into(),
        ..Credentials::default()
    };
    let error = Playground::builder()
        .credentials(credentials)
        .start()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

async fn login(server: &Playground, body: Value) -> common::Answer {
    send(
        common::client()
            .post(server.endpoint("/auth/session_token/login"))
            .json_body(&body),
    )
    .await
}

/// `RequestBuilder::json` needs reqwest's `json` feature; this is all it does.
trait JsonBody {
    fn json_body(self, body: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header("Content-Type", "application/json")
            .body(body.to_string())
    }
}

#[tokio::test]
async fn a_session_token_opens_the_data_until_it_expires() {
    let server = server();
    let c = server.credentials().clone();
    let answer = login(
        &server,
        json!({"username": c.session_username, "password": c.session_password}),
    )
    .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["expires_in"], 3600);
    let token = body["token"].as_str().unwrap().to_string();
    // The token is base64("user:password:expires_at"), expires_at by the server's clock.
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&token)
        .unwrap();
    let expires_at = server.now().timestamp() + 3600;
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        format!("{}:{}:{expires_at}", c.session_username, c.session_password)
    );

    let data_url = server.endpoint("/auth/session_token/data");
    let answer = get_with_auth(&data_url, &format!("Token {token}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({ "data": first_twenty(&server) }));
    // As in the original, the prefix may be left out.
    assert_eq!(get_with_auth(&data_url, &token).await.status, 200);

    server.advance_clock(Duration::from_secs(3599));
    assert_eq!(
        get_with_auth(&data_url, &format!("Token {token}"))
            .await
            .status,
        200
    );
    server.advance_clock(Duration::from_secs(1));
    let expired = get_with_auth(&data_url, &format!("Token {token}")).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.error(), "Token has expired");

    // Logging in again gives a token that works.
    let fresh = login(
        &server,
        json!({"username": c.session_username, "password": c.session_password}),
    )
    .await
    .json();
    let fresh = fresh["token"].as_str().unwrap();
    assert_eq!(
        get_with_auth(&data_url, &format!("Token {fresh}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_short_token_lifetime_can_be_set() {
    let server = Playground::builder()
        .session_token_ttl(Duration::from_secs(5))
        .start()
        .unwrap();
    let c = server.credentials().clone();
    let body = login(
        &server,
        json!({"username": c.session_username, "password": c.session_password}),
    )
    .await
    .json();
    assert_eq!(body["expires_in"], 5);
    server.advance_clock(Duration::from_secs(5));
    let token = body["token"].as_str().unwrap();
    let answer = get_with_auth(
        &server.endpoint("/auth/session_token/data"),
        &format!("Token {token}"),
    )
    .await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn login_mistakes_get_the_original_answers() {
    let server = server();
    let c = server.credentials().clone();
    let wrong = login(
        &server,
        json!({"username": c.session_username, "password": "nope"}),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error(), "Invalid username or password");
    for body in [
        json!({"username": c.session_username}),
        json!({"username": "", "password": "x"}),
        json!({"username": null, "password": "x"}),
        json!(["not", "an", "object"]),
    ] {
        let answer = login(&server, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.error(), "Username and password are required");
    }
    // Not JSON: Werkzeug's 415 and 400 pages.
    let form = send(
        common::client()
            .post(server.endpoint("/auth/session_token/login"))
            .body("username=a&password=b"),
    )
    .await;
    assert_eq!(form.status, 415);
    assert!(
        form.body
            .contains("<title>415 Unsupported Media Type</title>")
    );
    let broken = send(
        common::client()
            .post(server.endpoint("/auth/session_token/login"))
            .header("Content-Type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(broken.status, 400);
    assert!(broken.body.contains("<title>400 Bad Request</title>"));
    // GET is not allowed on the login.
    assert_eq!(
        get(&server.endpoint("/auth/session_token/login"))
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn bad_session_tokens_get_the_original_answers() {
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let server = server();
    let c = server.credentials().clone();
    let url = server.endpoint("/auth/session_token/data");
    let missing = get(&url).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.error(), "Token is missing");
    let future = server.now().timestamp() + 100;
    let cases = [
        ("Token !!!".to_string(), 400, "Invalid token format"),
        (format!("Token {}", b64("a:b")), 400, "Invalid token format"),
        (
            format!("Token {}", b64("a:b:soon")),
            400,
            "Invalid token format",
        ),
        (
            format!("Token {}", b64(&format!("someone:else:{future}"))),
            401,
            "Invalid Token",
        ),
        (
            // Expiry is checked before the credentials.
            format!("Token {}", b64("someone:else:0")),
            401,
            "Token has expired",
        ),
        (
            format!(
                "Token {}",
                b64(&format!(
                    "{}:{}:{future}",
                    c.session_username, c.session_password
                ))
            ),
            200,
            "",
        ),
    ];
    for (authorization, status, message) in cases {
        let answer = get_with_auth(&url, &authorization).await;
        assert_eq!(answer.status, status, "{authorization}: {}", answer.body);
        if status != 200 {
            assert_eq!(answer.error(), message, "{authorization}");
        }
    }
}
