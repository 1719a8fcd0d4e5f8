//! Each pagination style against a server that pages a fixed list of users, its stop rules,
//! and what a walk does when a page is wrong or fails.

mod common;

use std::sync::{Arc, Mutex};

use common::quick_retry;
use connector_http::{
    Client, Cursor, Error, HeaderToken, LinkHeader, NextUrl, Offset, Page, PageNumber, Pick, Retry,
    TryStreamExt,
};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// `n` users `u-01`, `u-02`, ... updated a minute apart.
fn users(n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| json!({"id": format!("u-{i:02}"), "updatedAt": format!("2024-01-01T00:{i:02}:00Z")}))
        .collect()
}

fn param(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn number(request: &Request, name: &str, default: usize) -> usize {
    param(request, name).map_or(default, |v| v.parse().unwrap())
}

/// Every request the server saw, as `path?query`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn note(&self, request: &Request) {
        let query = request
            .url
            .query()
            .map_or(String::new(), |q| format!("?{q}"));
        self.0
            .lock()
            .unwrap()
            .push(format!("{}{query}", request.url.path()));
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The ways the test server pages.
#[derive(Clone, Copy)]
enum Style {
    /// `offset`, `limit` (capped at `cap`) → `{data, offset, limit, total}`.
    Offset { cap: usize },
    /// `page` from 1, `per_page` → `{data, page, total_pages, total_items}`.
    PageNumber,
    /// `updated_since` first, then `scroll_param` alone (both at once is a 400), 5 a page →
    /// `{data, scroll_param}`, the scroll parameter being the last `updatedAt` of the page.
    Keyset,
    /// `page` → `{results, next}`, `next` absolute (or relative) and `null` at the end.
    NextUrl { relative: bool },
    /// `page` → an array, and `Link: <...>; rel="next"`.
    Link,
    /// `pageToken` → an array, and `Toast-Next-Page-Token`.
    HeaderToken,
}

struct Api {
    /// The server's own address (wiremock shows requests as to `localhost`).
    base: String,
    users: Vec<Value>,
    style: Style,
    seen: Seen,
}

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.seen.note(request);
        let base = &self.base;
        let since = param(request, "updated_since");
        let users: Vec<&Value> = self
            .users
            .iter()
            .filter(|u| {
                since
                    .as_deref()
                    .is_none_or(|s| u["updatedAt"].as_str().unwrap() >= s)
            })
            .collect();
        let slice = |from: usize, size: usize| -> Vec<&Value> {
            users.iter().skip(from).take(size).copied().collect()
        };
        match self.style {
            Style::Offset { cap } => {
                let (offset, limit) = (number(request, "offset", 0), number(request, "limit", 10));
                let limit = limit.min(cap);
                ResponseTemplate::new(200).set_body_json(json!({
                    "data": slice(offset, limit), "offset": offset, "limit": limit, "total": users.len(),
                }))
            }
            Style::PageNumber => {
                let (page, size) = (number(request, "page", 1), number(request, "per_page", 10));
                ResponseTemplate::new(200).set_body_json(json!({
                    "data": slice((page - 1) * size, size),
                    "page": page,
                    "total_pages": users.len().div_ceil(size),
                    "total_items": users.len(),
                }))
            }
            Style::Keyset => {
                let scroll = param(request, "scroll_param");
                if scroll.is_some() && since.is_some() {
                    return ResponseTemplate::new(400).set_body_string("both");
                }
                let data: Vec<&Value> = users
                    .iter()
                    .filter(|u| {
                        scroll
                            .as_deref()
                            .is_none_or(|s| u["updatedAt"].as_str().unwrap() > s)
                    })
                    .take(5)
                    .copied()
                    .collect();
                let last = data.last().map(|u| u["updatedAt"].clone());
                let more = last.as_ref() != users.last().map(|u| &u["updatedAt"]);
                let scroll = if more { last } else { None };
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": data, "scroll_param": scroll}))
            }
            Style::NextUrl { relative } => {
                let page = number(request, "page", 1);
                let data = slice((page - 1) * 10, 10);
                let more = page * 10 < users.len();
                let next = match (more, relative) {
                    (false, _) => Value::Null,
                    (true, true) => json!(format!("?page={}", page + 1)),
                    (true, false) => json!(format!("{base}/items?page={}&per_page=10", page + 1)),
                };
                ResponseTemplate::new(200).set_body_json(json!({"results": data, "next": next}))
            }
            Style::Link => {
                let page = number(request, "page", 1);
                let mut answer =
                    ResponseTemplate::new(200).set_body_json(slice((page - 1) * 10, 10));
                let last = format!("<{base}/items?page=3>; rel=\"last\"");
                if page * 10 < users.len() {
                    let link = format!("<{base}/items?page={}>; rel=\"next\", {last}", page + 1);
                    answer = answer.insert_header("Link", link.as_str());
                } else {
                    answer = answer.insert_header("Link", last.as_str());
                }
                answer
            }
            Style::HeaderToken => {
                let from = param(request, "pageToken").map_or(0, |t| t.parse().unwrap());
                let data = slice(from, 10);
                let mut answer = ResponseTemplate::new(200).set_body_json(&data);
                if from + data.len() < users.len() {
                    let token = (from + data.len()).to_string();
                    answer = answer.insert_header("Toast-Next-Page-Token", token.as_str());
                }
                answer
            }
        }
    }
}

async fn serve(style: Style, users: Vec<Value>) -> (MockServer, Client, Seen) {
    let server = MockServer::start().await;
    let seen = Seen::default();
    Mock::given(path("/items"))
        .respond_with(Api {
            base: server.uri(),
            users,
            style,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    let http = Client::builder("paginate_test")
        .base_url(server.uri())
        .retry(quick_retry())
        .build()
        .unwrap();
    (server, http, seen)
}

/// The ids of every item of every page.
async fn ids(pages: connector_http::Pages) -> Vec<String> {
    let pages: Vec<Page> = pages.try_collect().await.unwrap();
    pages
        .iter()
        .flat_map(|p| {
            p.items()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_string())
        })
        .collect()
}

fn expected(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("u-{i:02}")).collect()
}

#[tokio::test]
async fn offset_stops_at_the_total() {
    let (_server, http, seen) = serve(Style::Offset { cap: 50 }, users(20)).await;
    let paginator = Offset::new("offset", "limit", 10)
        .total("/total")
        .items_at("/data");
    assert_eq!(
        ids(http.get("items").paginate(paginator)).await,
        expected(20)
    );
    // The total says the second page was the last: no third request.
    assert_eq!(
        seen.all(),
        ["/items?offset=0&limit=10", "/items?offset=10&limit=10"]
    );
}

#[tokio::test]
async fn offset_without_a_total_stops_at_a_short_page() {
    let (_server, http, seen) = serve(Style::Offset { cap: 50 }, users(23)).await;
    let paginator = Offset::new("offset", "limit", 10).items_at("/data");
    assert_eq!(
        ids(http.get("items").paginate(paginator)).await,
        expected(23)
    );
    assert_eq!(seen.all().len(), 3);
}

#[tokio::test]
async fn offset_with_a_total_follows_a_server_that_caps_the_limit() {
    let (_server, http, seen) = serve(Style::Offset { cap: 10 }, users(23)).await;
    let paginator = Offset::new("offset", "limit", 50)
        .total("total")
        .items_at("/data");
    assert_eq!(
        ids(http.get("items").paginate(paginator)).await,
        expected(23)
    );
    assert_eq!(
        seen.all(),
        [
            "/items?offset=0&limit=50",
            "/items?offset=10&limit=50",
            "/items?offset=20&limit=50"
        ]
    );
}

#[tokio::test]
async fn page_number_stops_at_the_page_count_a_short_page_or_an_empty_page() {
    let (_server, http, seen) = serve(Style::PageNumber, users(30)).await;
    let request = http.get("items").query("order_by", "updatedAt");

    let counted = PageNumber::new("page")
        .page_size("per_page", 10)
        .total_pages("/total_pages");
    assert_eq!(
        ids(request.clone().paginate(counted.items_at("/data"))).await,
        expected(30)
    );
    assert_eq!(seen.all().len(), 3);
    assert_eq!(
        seen.all()[2],
        "/items?order_by=updatedAt&page=3&per_page=10"
    );

    // No page count: 30 items in pages of 10 end with an empty fourth page.
    let uncounted = PageNumber::new("page")
        .page_size("per_page", 10)
        .items_at("/data");
    assert_eq!(ids(request.clone().paginate(uncounted)).await, expected(30));
    assert_eq!(seen.all().len(), 3 + 4);

    // A short page ends the walk when the page size is known.
    let (_server, http, seen) = serve(Style::PageNumber, users(25)).await;
    let short = PageNumber::new("page")
        .page_size("per_page", 10)
        .items_at("/data");
    assert_eq!(ids(http.get("items").paginate(short)).await, expected(25));
    assert_eq!(seen.all().len(), 3);
}

#[tokio::test]
async fn a_cursor_from_the_body_can_replace_the_first_query() {
    let (_server, http, seen) = serve(Style::Keyset, users(14)).await;
    let request = http
        .get("items")
        .query("updated_since", "2024-01-01T00:03:00Z");
    let keyset = Cursor::new("/scroll_param", "scroll_param")
        .token_only()
        .items_at("/data");
    assert_eq!(ids(request.paginate(keyset)).await, expected(14)[2..]);
    assert_eq!(
        seen.all(),
        [
            "/items?updated_since=2024-01-01T00%3A03%3A00Z",
            "/items?scroll_param=2024-01-01T00%3A07%3A00Z",
            "/items?scroll_param=2024-01-01T00%3A12%3A00Z"
        ]
    );
    // Keeping the first query, the server refuses the second page.
    let keeping = Cursor::new("/scroll_param", "scroll_param").items_at("/data");
    let request = http
        .get("items")
        .query("updated_since", "2024-01-01T00:03:00Z");
    let error = request
        .paginate(keeping)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn a_next_url_from_the_body_absolute_or_relative() {
    let (_server, http, seen) = serve(Style::NextUrl { relative: false }, users(25)).await;
    let next = NextUrl::new("/next").items_at("/results");
    assert_eq!(
        ids(http.get("items").paginate(next.clone())).await,
        expected(25)
    );
    assert_eq!(
        seen.all(),
        [
            "/items",
            "/items?page=2&per_page=10",
            "/items?page=3&per_page=10"
        ]
    );

    let (_server, http, seen) = serve(Style::NextUrl { relative: true }, users(25)).await;
    assert_eq!(ids(http.get("items").paginate(next)).await, expected(25));
    assert_eq!(seen.all(), ["/items", "/items?page=2", "/items?page=3"]);
}

#[tokio::test]
async fn the_link_header() {
    let (_server, http, seen) = serve(Style::Link, users(25)).await;
    assert_eq!(
        ids(http.get("items").paginate(LinkHeader::new())).await,
        expected(25)
    );
    assert_eq!(seen.all(), ["/items", "/items?page=2", "/items?page=3"]);
}

#[tokio::test]
async fn a_token_in_a_response_header_keeps_the_query_and_headers() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    Mock::given(path("/items"))
        .and(header("Toast-Restaurant-External-ID", "r-1"))
        .respond_with(Api {
            base: server.uri(),
            users: users(25),
            style: Style::HeaderToken,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    let http = Client::builder("paginate_test")
        .base_url(server.uri())
        .build()
        .unwrap();
    let pages = http
        .get("items")
        .header("Toast-Restaurant-External-ID", "r-1")
        .query("startDate", "2024-01-01")
        .paginate(HeaderToken::new("Toast-Next-Page-Token", "pageToken"));
    assert_eq!(ids(pages).await, expected(25));
    assert_eq!(
        seen.all(),
        [
            "/items?startDate=2024-01-01",
            "/items?startDate=2024-01-01&pageToken=10",
            "/items?startDate=2024-01-01&pageToken=20"
        ]
    );
}

#[tokio::test]
async fn items_as_a_typed_stream() {
    #[derive(Deserialize)]
    struct User {
        id: String,
        #[serde(rename = "updatedAt")]
        updated_at: String,
    }
    let (_server, http, _seen) = serve(Style::PageNumber, users(23)).await;
    let paginator = PageNumber::new("page")
        .total_pages("/total_pages")
        .items_at("/data");
    let all: Vec<User> = http
        .get("items")
        .paginate(paginator)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 23);
    assert_eq!(all[22].id, "u-23");
    assert_eq!(all[22].updated_at, "2024-01-01T00:23:00Z");
}

#[tokio::test]
async fn items_are_found_without_a_pointer_in_the_usual_places_and_with_a_function() {
    let (_server, http, _seen) = serve(Style::PageNumber, users(12)).await;
    let auto = PageNumber::new("page").total_pages("/total_pages");
    assert_eq!(ids(http.get("items").paginate(auto)).await, expected(12));
    let with = PageNumber::new("page")
        .total_pages(Pick::with(|body: &Value| body.get("total_pages").cloned()))
        .items_with(|body: &mut Value| serde_json::from_value(body["data"].take()).ok());
    assert_eq!(ids(http.get("items").paginate(with)).await, expected(12));
}

#[tokio::test]
async fn max_pages_stops_early_and_pages_are_numbered() {
    let (_server, http, seen) = serve(Style::PageNumber, users(50)).await;
    let paginator = PageNumber::new("page").items_at("/data").max_pages(2);
    let pages: Vec<Page> = http
        .get("items")
        .paginate(paginator)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.iter().map(Page::number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(pages[1].body()["page"], 2);
    assert_eq!(
        pages[1].body()["data"],
        Value::Null,
        "the items were taken out of the body"
    );
    assert_eq!(seen.all().len(), 2);
}

/// A server whose every page says the next is itself.
struct Stuck(String);

impl Respond for Stuck {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let own = format!("{}{}", self.0, request.url.path());
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": [1], "next": own, "cursor": "same"}))
    }
}

#[tokio::test]
async fn a_page_that_points_at_itself_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(Stuck(server.uri()))
        .mount(&server)
        .await;
    let http = Client::builder("paginate_test")
        .base_url(server.uri())
        .build()
        .unwrap();

    let mut pages = http.get("items").paginate(NextUrl::new("/next"));
    let error = pages.next_page().await.unwrap_err();
    assert!(matches!(error, Error::Paginate { .. }), "{error}");
    assert!(
        error
            .to_string()
            .ends_with("the next page's URL is the page's own: the walk would never end")
    );

    let mut pages = http.get("items").paginate(Cursor::new("/cursor", "cursor"));
    assert_eq!(pages.next_page().await.unwrap().unwrap().items().len(), 1);
    let error = pages.next_page().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the next page's token is the page's own"),
        "{error}"
    );
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "the stream ends after its error"
    );
}

#[tokio::test]
async fn a_body_without_items_is_an_error_that_says_what_to_do() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"rows": {"a": 1}})))
        .mount(&server)
        .await;
    let http = Client::builder("paginate_test")
        .base_url(server.uri())
        .build()
        .unwrap();
    let mut pages = http.get("items").paginate(LinkHeader::new());
    let error = pages.next_page().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("say where they are with `items_at`"),
        "{error}"
    );
    let mut pages = http
        .get("items")
        .paginate(LinkHeader::new().items_at("rows"));
    let error = pages.next_page().await.unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("the items are an object, not an array"),
        "{error}"
    );
}

#[tokio::test]
async fn a_failed_page_ends_the_walk_after_the_pages_before_it() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(Api {
            base: server.uri(),
            users: users(30),
            style: Style::PageNumber,
            seen: Seen::default(),
        })
        .mount(&server)
        .await;
    let http = Client::builder("paginate_test")
        .base_url(server.uri())
        .retry(Retry::never())
        .build()
        .unwrap();
    let mut pages = http
        .get("items")
        .paginate(PageNumber::new("page").items_at("/data"));
    assert_eq!(pages.next_page().await.unwrap().unwrap().items().len(), 10);
    let error = pages.next_page().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(pages.next_page().await.unwrap().is_none());
}
