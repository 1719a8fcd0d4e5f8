//! What every test file shares: a client and a few ways to call the playground.

#![allow(dead_code)]

use reqwest::header::HeaderMap;
use serde_json::Value;

/// An answer read whole.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` of a JSON error answer.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {}", self.body))
            .to_string()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the playground answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("a body");
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(url: &str) -> Answer {
    send(client().get(url)).await
}

pub async fn get_with_auth(url: &str, authorization: &str) -> Answer {
    send(client().get(url).header("Authorization", authorization)).await
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `id` of every user in `data`.
pub fn ids(data: &Value) -> Vec<String> {
    data.as_array()
        .expect("an array")
        .iter()
        .map(|user| user["id"].as_str().expect("an id").to_string())
        .collect()
}
