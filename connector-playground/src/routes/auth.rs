//! `/auth/*`: four ways to authenticate, each answering the first 20 users.
//!
//! - `/auth/api_key`, `/auth/http_bearer`, `/auth/http_basic` read `Authorization: <scheme>
//!   <value>` and compare both parts exactly (so `Basic` must carry exactly
//!   `base64(user:password)`). No header, or an empty one: 401 "Authorization header is missing";
//!   anything else wrong: 401 "Invalid API key or format". Both are Werkzeug HTML pages, because
//!   the original calls `abort(401)`.
//! - `POST /auth/session_token/login` takes JSON `{username, password}` and answers
//!   `{expires_in, token}`, the token being `base64(username:password:expires_at)` with
//!   `expires_at` in seconds since the epoch by the server's clock.
//! - `GET /auth/session_token/data` takes `Authorization: Token <token>` (the `Token ` prefix is
//!   optional, as in the original) and checks the expiry before the credentials.
//!
//! These answers come from Flask's `jsonify`, which sorts keys: a user's fields are in
//! alphabetical order here, unlike the pagination endpoints.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::data::User;
use crate::query::python_int;
use crate::reply::{self, Reply};

/// How many users the auth endpoints answer.
const AUTH_USERS: usize = 20;

const HEADER_IS_MISSING: &str = "Authorization header is missing";
const API_KEY_OR_FORMAT: &str = "Invalid API key or format";

pub(crate) async fn api_key(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    guarded(&app, &headers, "apiKey", &app.credentials.api_key)
}

pub(crate) async fn http_bearer(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    guarded(&app, &headers, "Bearer", &app.credentials.bearer_token)
}

pub(crate) async fn http_basic(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    guarded(&app, &headers, "Basic", &app.credentials.basic_encoded())
}

/// The first users when `Authorization` is exactly `<scheme> <expected>`, a 401 page otherwise.
fn guarded(app: &App, headers: &HeaderMap, scheme: &str, expected: &str) -> Reply {
    let Some(value) = headers.get(header::AUTHORIZATION).filter(|v| !v.is_empty()) else {
        return reply::html(StatusCode::UNAUTHORIZED, HEADER_IS_MISSING);
    };
    let accepted = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(given_scheme, given)| given_scheme == scheme && given == expected);
    if accepted {
        first_users(app)
    } else {
        reply::html(StatusCode::UNAUTHORIZED, API_KEY_OR_FORMAT)
    }
}

/// `{"data": [first 20 users]}`, each user's keys sorted.
fn first_users(app: &App) -> Reply {
    #[derive(Serialize)]
    struct Data<'a> {
        data: Vec<SortedUser<'a>>,
    }
    let users = app.data.users();
    let data = users[..users.len().min(AUTH_USERS)]
        .iter()
        .map(SortedUser::from)
        .collect();
    reply::json(StatusCode::OK, &Data { data })
}

/// A user with its keys in the order `jsonify` writes them: sorted.
#[derive(Serialize)]
struct SortedUser<'a> {
    address: &'a str,
    company: &'a str,
    #[serde(rename = "createdAt")]
    created_at: &'a str,
    email: &'a str,
    id: &'a str,
    job: &'a str,
    name: &'a str,
    #[serde(rename = "updatedAt")]
    updated_at: &'a str,
}

impl<'a> From<&'a User> for SortedUser<'a> {
    fn from(user: &'a User) -> Self {
        SortedUser {
            address: &user.address,
            company: &user.company,
            created_at: &user.created_at,
            email: &user.email,
            id: &user.id,
            job: &user.job,
            name: &user.name,
            updated_at: &user.updated_at,
        }
    }
}

pub(crate) async fn session_login(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    if !is_json(&headers) {
        return reply::html(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Did not attempt to load JSON data because the request Content-Type was not \
             'application/json'.",
        );
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(e) => {
            return reply::html(
                StatusCode::BAD_REQUEST,
                &format!("Failed to decode JSON object: {e}"),
            );
        }
    };
    let field = |name: &str| {
        json.as_object()
            .and_then(|o| o.get(name))
            .filter(|v| truthy(v))
    };
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "Username and password are required",
        );
    };
    let credentials = &app.credentials;
    if username.as_str() != Some(credentials.session_username.as_str())
        || password.as_str() != Some(credentials.session_password.as_str())
    {
        return reply::error(StatusCode::UNAUTHORIZED, "Invalid username or password");
    }
    let expires_at = app.clock.now().saturating_add(app.session_ttl_seconds);
    let token = STANDARD.encode(format!(
        "{}:{}:{expires_at}",
        credentials.session_username, credentials.session_password
    ));
    #[derive(Serialize)]
    struct Login {
        expires_in: i64,
        token: String,
    }
    reply::json(
        StatusCode::OK,
        &Login {
            expires_in: app.session_ttl_seconds,
            token,
        },
    )
}

pub(crate) async fn session_data(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    let Some(value) = headers.get(header::AUTHORIZATION).filter(|v| !v.is_empty()) else {
        return reply::error(StatusCode::BAD_REQUEST, "Token is missing");
    };
    let Some((username, password, expires_at)) = value.to_str().ok().and_then(read_token) else {
        return reply::error(StatusCode::BAD_REQUEST, "Invalid token format");
    };
    if app.clock.now() >= expires_at {
        return reply::error(StatusCode::UNAUTHORIZED, "Token has expired");
    }
    let credentials = &app.credentials;
    if username != credentials.session_username || password != credentials.session_password {
        return reply::error(StatusCode::UNAUTHORIZED, "Invalid Token");
    }
    first_users(app.as_ref())
}

/// `(username, password, expires_at)` from `[Token ]base64(username:password:expires_at)`.
fn read_token(header: &str) -> Option<(String, String, i64)> {
    let token = header.strip_prefix("Token ").unwrap_or(header);
    let decoded = String::from_utf8(python_b64decode(token)?).ok()?;
    let mut parts = decoded.split(':');
    let (username, password, expires_at) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        username.to_string(),
        password.to_string(),
        python_int(expires_at)?,
    ))
}

/// Python's `base64.b64decode(text)`: characters outside the alphabet are skipped, padding is
/// required, and leftover bits are ignored.
pub(crate) fn python_b64decode(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    LENIENT.decode(kept).ok()
}

/// Whether the request says it carries JSON, as Flask's `Request.is_json` reads it.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Python's truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_as_python_reads_them() {
        let token = STANDARD.encode("a@example.com:pw:1700000000");
        assert_eq!(
            read_token(&format!("Token {token}")),
            Some(("a@example.com".into(), "pw".into(), 1_700_000_000))
        );
        assert_eq!(read_token(&token).map(|t| t.2), Some(1_700_000_000));
        assert_eq!(read_token("Token !!!"), None);
        assert_eq!(read_token(&STANDARD.encode("a:b")), None);
        assert_eq!(read_token(&STANDARD.encode("a:b:c:1")), None);
        assert_eq!(read_token(&STANDARD.encode("a:b:soon")), None);
    }

    #[test]
    fn b64decode_skips_foreign_characters_and_needs_padding() {
        assert_eq!(python_b64decode("YW Jj\n"), Some(b"abc".to_vec()));
        assert_eq!(python_b64decode("YWI="), Some(b"ab".to_vec()));
        assert_eq!(python_b64decode("YWI"), None);
    }
}
