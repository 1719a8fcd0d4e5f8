//! The three kinds of answer the original gives: JSON built by its handlers, `{"error": ...}`
//! JSON, and Werkzeug's HTML error page (from `abort()`, unknown paths and wrong methods).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// An answer.
pub(crate) type Reply = Response;

/// `body` as JSON with `status`.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Reply {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_type(status, "application/json", bytes),
        // Only maps with non-string keys fail to serialize, and no answer has one.
        Err(e) => with_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            format!("cannot serialize the answer: {e}").into_bytes(),
        ),
    }
}

/// `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
    }
    json(status, &ErrorBody { error: message })
}

/// Werkzeug's HTML error page for `status`, with `description` as its paragraph.
pub(crate) fn html(status: StatusCode, description: &str) -> Reply {
    let name = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{description}</p>\n",
        code = status.as_u16(),
        description = escape(description),
    );
    with_type(status, "text/html; charset=utf-8", body.into_bytes())
}

/// `body` with `status` and `Content-Type: content_type`.
pub(crate) fn with_type(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An `{"error": message}` answer, decided but not yet written: what the checks of a request
/// return when it fails them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    /// A refusal with `status`.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// A 400 refusal.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, message)
    }

    /// The answer.
    pub(crate) fn into_reply(self) -> Reply {
        error(self.status, &self.message)
    }
}

/// The answer, or the refusal's answer.
pub(crate) fn either(result: Result<Reply, Refusal>) -> Reply {
    result.unwrap_or_else(Refusal::into_reply)
}
