//! `/pagination/*`: shapes, checks in the original's order, and that every style serves every
//! user exactly once, in order, and filters on `updated_since`.

mod common;

use common::{encode, get, ids};
use connector_playground::{Playground, User};
use serde_json::{Value, json};

const USER_KEYS: [&str; 8] = [
    "id",
    "name",
    "email",
    "address",
    "company",
    "job",
    "createdAt",
    "updatedAt",
];

fn server() -> Playground {
    Playground::builder().users(200).seed(7).start().unwrap()
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// The body's top-level keys, in the order they were written.
fn keys_in_order(body: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    let value: Value = serde_json::from_str(body).unwrap();
    for key in value.as_object().unwrap().keys() {
        let at = body.find(&format!("\"{key}\":")).unwrap();
        found.push((at, key.clone()));
    }
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

fn user_ids(users: &[&User]) -> Vec<String> {
    users.iter().map(|u| u.id.clone()).collect()
}

#[tokio::test]
async fn page_number_has_the_original_shape() {
    let server = server();
    let answer = get(&server.endpoint("/pagination/page_number")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        keys_in_order(&answer.body),
        ["data", "page", "page_size", "total_pages", "total_items"]
    );
    let page = answer.json();
    assert_eq!(page["page"], 1);
    assert_eq!(page["page_size"], 10);
    assert_eq!(page["total_pages"], 20);
    assert_eq!(page["total_items"], 200);
    let first = &page["data"][0];
    let mut expected_keys: Vec<String> = USER_KEYS.iter().map(|k| k.to_string()).collect();
    let mut got = keys(first);
    expected_keys.sort();
    got.sort();
    assert_eq!(got, expected_keys);
    // The user's fields are written in the original's order.
    let user_text = &answer.body[answer.body.find("{\"id\"").unwrap()..];
    let positions: Vec<usize> = USER_KEYS
        .iter()
        .map(|k| user_text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{user_text}");
    let oldest = server.data().users_by_updated_at()[0];
    assert_eq!(first, &serde_json::to_value(oldest).unwrap());
}

#[tokio::test]
async fn offset_and_next_page_url_and_keyset_have_the_original_shapes() {
    let server = server();
    let offset = get(&server.endpoint("/pagination/offset")).await;
    assert_eq!(
        keys_in_order(&offset.body),
        ["data", "offset", "limit", "total"]
    );
    let offset = offset.json();
    assert_eq!(
        (&offset["offset"], &offset["limit"], &offset["total"]),
        (&json!(0), &json!(10), &json!(200))
    );

    let next = get(&server.endpoint("/pagination/next_page_url")).await;
    assert_eq!(
        keys_in_order(&next.body),
        ["data", "total_items", "page", "per_page", "next_page_url"]
    );
    let next = next.json();
    assert_eq!(
        next["next_page_url"],
        format!(
            "{}/pagination/next_page_url?page=2&per_page=10&order_by=updatedAt&order_type=asc",
            server.url()
        )
    );

    let keyset = get(&server.endpoint("/pagination/keyset")).await;
    assert_eq!(keys_in_order(&keyset.body), ["data", "scroll_param"]);
    let keyset = keyset.json();
    assert_eq!(keyset["data"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn page_number_serves_every_user_once_in_order() {
    let server = server();
    let expected = user_ids(&server.data().users_by_updated_at());
    for per_page in [50, 7] {
        let mut seen = Vec::new();
        let mut page = 1;
        loop {
            let answer = get(&server.endpoint(&format!(
                "/pagination/page_number?per_page={per_page}&page={page}&order_by=updatedAt&order_type=asc"
            )))
            .await
            .json();
            seen.extend(ids(&answer["data"]));
            if page >= answer["total_pages"].as_i64().unwrap() {
                break;
            }
            page += 1;
        }
        assert_eq!(seen, expected, "per_page={per_page}");
    }
    // Past the end: an empty page, still 200.
    let past = get(&server.endpoint("/pagination/page_number?page=99")).await;
    assert_eq!(past.status, 200);
    assert_eq!(past.json()["data"], json!([]));
}

#[tokio::test]
async fn offset_serves_every_user_once_in_order() {
    let server = server();
    let expected = user_ids(&server.data().users_by_updated_at());
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let answer = get(&server.endpoint(&format!(
            "/pagination/offset?limit=50&offset={offset}&order_by=updatedAt&order_type=asc"
        )))
        .await
        .json();
        let data = ids(&answer["data"]);
        offset = answer["offset"].as_i64().unwrap() + data.len() as i64;
        seen.extend(data);
        if offset >= answer["total"].as_i64().unwrap() {
            break;
        }
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn next_page_url_serves_every_user_once_in_order() {
    let server = server();
    let expected = user_ids(&server.data().users_by_updated_at());
    let mut seen = Vec::new();
    let mut url = server.endpoint(
        "/pagination/next_page_url?order_by=updatedAt&order_type=asc&per_page=50&updated_since=0001-01-01T00:00:00Z",
    );
    let mut pages = 0;
    loop {
        let answer = get(&url).await.json();
        pages += 1;
        seen.extend(ids(&answer["data"]));
        match answer["next_page_url"].as_str() {
            Some(next) => {
                assert!(next.starts_with(server.url()), "{next}");
                assert!(
                    next.contains("&updated_since=0001-01-01T00:00:00Z"),
                    "{next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn keyset_serves_every_user_once_in_order() {
    let server = server();
    let expected = user_ids(&server.data().users_by_updated_at());
    let first = get(&server.endpoint("/pagination/keyset?updated_since=0001-01-01T00:00:00Z"))
        .await
        .json();
    let mut seen = ids(&first["data"]);
    let mut scroll = first["scroll_param"].as_str().map(str::to_string);
    while let Some(param) = scroll {
        let answer = get(&server.endpoint(&format!(
            "/pagination/keyset?scroll_param={}",
            encode(&param)
        )))
        .await
        .json();
        seen.extend(ids(&answer["data"]));
        scroll = answer["scroll_param"].as_str().map(str::to_string);
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn keyset_scroll_param_is_base64_of_the_last_updated_at() {
    let server = server();
    let first = get(&server.endpoint("/pagination/keyset")).await.json();
    let last = first["data"][49]["updatedAt"].as_str().unwrap().to_string();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(first["scroll_param"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), last);
    // The last page (exactly 50 left) says there is nothing after it.
    let by_updated = server.data().users_by_updated_at();
    let since = &by_updated[150].updated_at;
    let tail = get(&server.endpoint(&format!("/pagination/keyset?updated_since={since}")))
        .await
        .json();
    assert_eq!(tail["data"].as_array().unwrap().len(), 50);
    assert_eq!(tail["scroll_param"], Value::Null);
}

#[tokio::test]
async fn other_orders_sort_as_python_does() {
    let server = server();
    let by_updated = user_ids(&server.data().users_by_updated_at());
    let newest_first: Vec<String> = by_updated.iter().rev().cloned().collect();
    let mut by_created: Vec<&User> = server.users().iter().collect();
    by_created.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    // The two fields order the users differently, as in the original.
    assert_ne!(user_ids(&by_created), by_updated);
    let mut by_created_desc: Vec<&User> = server.users().iter().collect();
    by_created_desc.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    for (query, expected) in [
        ("order_type=desc", newest_first),
        ("order_by=createdAt", user_ids(&by_created)),
        (
            "order_by=createdAt&order_type=desc",
            user_ids(&by_created_desc),
        ),
    ] {
        let mut seen = Vec::new();
        for page in 1..=4 {
            let answer = get(&server.endpoint(&format!(
                "/pagination/page_number?per_page=50&page={page}&{query}"
            )))
            .await
            .json();
            seen.extend(ids(&answer["data"]));
        }
        assert_eq!(seen, expected, "{query}");
    }
}

#[tokio::test]
async fn updated_since_keeps_users_updated_at_or_after_it() {
    let server = server();
    let by_updated = server.data().users_by_updated_at();
    let since = by_updated[120].updated_at.clone();
    let expected = user_ids(&by_updated[120..]);
    assert_eq!(
        user_ids(&server.data().users_updated_since(&since).unwrap()),
        expected
    );

    let page = get(&server.endpoint(&format!(
        "/pagination/page_number?per_page=50&updated_since={since}"
    )))
    .await
    .json();
    assert_eq!(page["total_items"], 80);
    assert_eq!(page["total_pages"], 2);
    // The boundary user comes first: the filter is `>=`.
    assert_eq!(ids(&page["data"])[0], expected[0]);

    let offset = get(&server.endpoint(&format!(
        "/pagination/offset?limit=50&offset=50&updated_since={since}"
    )))
    .await
    .json();
    assert_eq!(offset["total"], 80);
    assert_eq!(ids(&offset["data"]), expected[50..]);

    let next = get(&server.endpoint(&format!(
        "/pagination/next_page_url?per_page=50&updated_since={since}"
    )))
    .await
    .json();
    assert_eq!(next["total_items"], 80);

    let keyset = get(&server.endpoint(&format!("/pagination/keyset?updated_since={since}")))
        .await
        .json();
    assert_eq!(ids(&keyset["data"]), expected[..50]);

    // A filter after every user leaves nothing.
    let none = get(&server.endpoint("/pagination/page_number?updated_since=2999-01-01T00:00:00Z"))
        .await
        .json();
    assert_eq!(
        (&none["total_items"], &none["total_pages"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test]
async fn mistakes_get_the_original_messages_in_its_order() {
    let server = server();
    let cases: &[(&str, &str)] = &[
        (
            "/pagination/page_number?foo=1&bar=2&page=1",
            "Unexpected query parameters: bar, foo",
        ),
        (
            "/pagination/page_number?order_by=name&order_type=up&per_page=0",
            "Invalid value for 'order_by'. Use 'createdAt' or 'updatedAt'",
        ),
        (
            "/pagination/page_number?order_type=up&per_page=0",
            "Invalid value for 'order_type'. Use 'asc' or 'desc'",
        ),
        (
            "/pagination/page_number?per_page=51&page=0",
            "Invalid value for 'per_page'. It should be between 1 and 50.",
        ),
        (
            "/pagination/page_number?per_page=99999999999999999999999",
            "Invalid value for 'per_page'. It should be between 1 and 50.",
        ),
        (
            "/pagination/page_number?page=0&updated_since=x",
            "Invalid value for 'page'. It must be greater than or equal to 1.",
        ),
        (
            "/pagination/page_number?updated_since=2024-01-01T00:00:00",
            "Invalid date format for 'updated_since'. Must end with 'Z' for UTC",
        ),
        (
            "/pagination/page_number?updated_since=2024-02-30T00:00:00Z",
            "Invalid date format for 'updated_since'. Use 'YYYY-MM-DDTHH:MM:SSZ'",
        ),
        (
            "/pagination/page_number?order_by=",
            "Invalid value for 'order_by'. Use 'createdAt' or 'updatedAt'",
        ),
        // offset checks the page size and the offset before the order.
        (
            "/pagination/offset?limit=0&order_by=name",
            "Invalid value for 'limit'. It should be between 1 and 50.",
        ),
        (
            "/pagination/offset?offset=-1&order_by=name",
            "Invalid value for 'offset'. It must be greater than or equal to 0.",
        ),
        (
            "/pagination/offset?per_page=10",
            "Unexpected query parameters: per_page",
        ),
        (
            "/pagination/next_page_url?per_page=0",
            "Invalid value for 'per_page'. It should be between 1 and 50.",
        ),
        (
            "/pagination/next_page_url?limit=5",
            "Unexpected query parameters: limit",
        ),
        (
            "/pagination/keyset?per_page=10",
            "Unexpected query parameters: per_page",
        ),
        (
            "/pagination/keyset?updated_since=2024-01-01T00:00:00Z&scroll_param=abc",
            "You can only use 'updated_since' in first request, subsequent requests should use only 'scroll_param'",
        ),
        (
            "/pagination/keyset?updated_since=2024-01-01",
            "Invalid date format for 'updated_since'. Must end with 'Z' for UTC",
        ),
        (
            "/pagination/keyset?scroll_param=not-base64",
            "Invalid scroll_param value",
        ),
        (
            // base64 of "yesterday"
            "/pagination/keyset?scroll_param=eWVzdGVyZGF5",
            "Invalid scroll_param value",
        ),
    ];
    for (path, message) in cases {
        let answer = get(&server.endpoint(path)).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.error(), *message, "{path}");
    }
}

#[tokio::test]
async fn values_python_cannot_read_as_integers_mean_the_default() {
    let server = server();
    let page = get(&server.endpoint("/pagination/page_number?per_page=abc&page=x"))
        .await
        .json();
    assert_eq!((&page["page"], &page["page_size"]), (&json!(1), &json!(10)));
    let offset = get(&server.endpoint("/pagination/offset?limit=1.5&offset=+5"))
        .await
        .json();
    assert_eq!(
        (&offset["limit"], &offset["offset"]),
        (&json!(10), &json!(5))
    );
    // Empty filters are no filters.
    let keyset = get(&server.endpoint("/pagination/keyset?updated_since=&scroll_param="))
        .await
        .json();
    assert_eq!(keyset["data"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn next_page_url_slices_pages_below_one_as_python_does() {
    let server = server();
    let by_updated = user_ids(&server.data().users_by_updated_at());
    // page=-1, per_page=10: items[-20:-10].
    let answer = get(&server.endpoint("/pagination/next_page_url?page=-1"))
        .await
        .json();
    assert_eq!(ids(&answer["data"]), by_updated[180..190]);
    assert_eq!(answer["page"], -1);
    assert!(
        answer["next_page_url"]
            .as_str()
            .unwrap()
            .contains("?page=0&")
    );
    let zero = get(&server.endpoint("/pagination/next_page_url?page=0"))
        .await
        .json();
    assert_eq!(zero["data"], json!([]));
}

#[tokio::test]
async fn next_page_url_is_null_on_the_last_page() {
    let server = server();
    let last = get(&server.endpoint("/pagination/next_page_url?per_page=50&page=4"))
        .await
        .json();
    assert_eq!(last["next_page_url"], Value::Null);
    assert_eq!(last["data"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn a_hundred_thousand_users_page_as_two_hundred_do() {
    let server = Playground::builder()
        .users(100_000)
        .seed(1)
        .start()
        .unwrap();
    let by_updated = server.data().users_by_updated_at();
    let first = get(&server.endpoint("/pagination/page_number?per_page=50"))
        .await
        .json();
    assert_eq!(first["total_pages"], 2000);
    assert_eq!(first["total_items"], 100_000);
    assert_eq!(ids(&first["data"]), user_ids(&by_updated[..50]));
    let last = get(&server.endpoint("/pagination/page_number?per_page=50&page=2000"))
        .await
        .json();
    assert_eq!(ids(&last["data"]), user_ids(&by_updated[99_950..]));
    let since = &by_updated[99_990].updated_at;
    let tail = get(&server.endpoint(&format!("/pagination/keyset?updated_since={since}")))
        .await
        .json();
    assert_eq!(ids(&tail["data"]), user_ids(&by_updated[99_990..]));
    assert_eq!(tail["scroll_param"], Value::Null);
}
