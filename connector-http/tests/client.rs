//! The client's basics against a real server: the User-Agent, gzip, URLs, bodies, headers and
//! time-outs.

use std::io::Write;
use std::time::Duration;

use connector_http::{Client, Error, Retry, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_user_agent_names_the_connector_and_gzip_is_asked_for_and_read() {
    let server = MockServer::start().await;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(br#"{"compressed": true}"#).unwrap();
    Mock::given(path("/hello"))
        .and(header(
            "User-Agent",
            &*format!("my_connector connector-http/{}", env!("CARGO_PKG_VERSION")),
        ))
        .and(header("Accept-Encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Encoding", "gzip")
                .insert_header("Content-Type", "application/json")
                .set_body_bytes(gzip.finish().unwrap()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let http = Client::builder("my_connector")
        .base_url(server.uri())
        .build()
        .unwrap();
    let body: Value = http.get("hello").send().await.unwrap().json().unwrap();
    assert_eq!(body, json!({"compressed": true}));
}

#[tokio::test]
async fn paths_join_the_base_url_and_absolute_urls_stay_as_they_are() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_string("v1"))
        .mount(&server)
        .await;
    Mock::given(path("/other"))
        .and(query_param("a", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("other"))
        .mount(&server)
        .await;
    for base in [
        format!("{}/api/v1", server.uri()),
        format!("{}/api/v1/", server.uri()),
    ] {
        let http = Client::builder("c").base_url(base).build().unwrap();
        assert_eq!(http.get("users").send().await.unwrap().text(), "v1");
        assert_eq!(http.get("/users").send().await.unwrap().text(), "v1");
        let absolute = format!("{}/other?a=1", server.uri());
        assert_eq!(http.get(&absolute).send().await.unwrap().text(), "other");
    }
    // A colon in a path is not a scheme.
    Mock::given(path("/api/v1/items:batchGet"))
        .respond_with(ResponseTemplate::new(200).set_body_string("batch"))
        .mount(&server)
        .await;
    let http = Client::builder("c")
        .base_url(format!("{}/api/v1", server.uri()))
        .build()
        .unwrap();
    assert_eq!(
        http.get("items:batchGet").send().await.unwrap().text(),
        "batch"
    );
    let no_base = Client::builder("c").build().unwrap();
    let error = no_base.get("users").send().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid URL `users`: a relative path needs a base URL"
    );
}

#[tokio::test]
async fn json_form_and_raw_bodies_carry_their_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/json"))
        .and(header("Content-Type", "application/json"))
        .and(body_string(r#"{"q":"a b"}"#))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(header("Content-Type", "application/x-www-form-urlencoded"))
        .and(body_string("q=a+b&n=%26"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/csv"))
        .and(header("Content-Type", "text/csv"))
        .and(body_string("id\n1\n"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let http = Client::builder("c").base_url(server.uri()).build().unwrap();
    http.post("json")
        .json(&json!({"q": "a b"}))
        .send()
        .await
        .unwrap();
    http.post("form")
        .form(&[("q", "a b"), ("n", "&")])
        .send()
        .await
        .unwrap();
    let put = http
        .put("csv")
        .body("id\n1\n", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn default_and_request_headers() {
    let server = MockServer::start().await;
    Mock::given(path("/h"))
        .and(header("Accept", "application/xml"))
        .and(header("X-Restaurant", "r-1"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Next", "n-2"))
        .mount(&server)
        .await;
    let http = Client::builder("c")
        .base_url(server.uri())
        .header("Accept", "application/json")
        .build()
        .unwrap();
    let response = http
        .get("h")
        .header("Accept", "application/xml")
        .header("X-Restaurant", "r-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.header("x-next"), Some("n-2"));
    let error = http
        .get("h")
        .header("bad header", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build the HTTP client: `bad header` is not a header name"
    );
    let error = Client::builder("c")
        .header("X", "line\nbreak")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Build { .. }), "{error}");
}

#[tokio::test]
async fn a_request_time_out_overrides_the_clients() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .mount(&server)
        .await;
    let http = Client::builder("c")
        .base_url(server.uri())
        .timeout(Duration::from_millis(100))
        .retry(Retry::never())
        .build()
        .unwrap();
    let error = http.get("slow").send().await.unwrap_err();
    assert!(error.to_string().contains("timed out"), "{error}");
    http.get("slow")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
}
