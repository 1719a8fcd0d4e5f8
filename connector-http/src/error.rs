//! Errors: the one [`Error`] type of the toolkit, and how much of a body an error quotes.
//!
//! Every error that concerns a request names its method and its URL with secrets hidden; an error
//! that concerns a response quotes the start of its body (at most [`BODY_START`] characters,
//! secret values hidden). No error holds a header value.

use reqwest::{Method, StatusCode};

use crate::secret::Redactor;

/// How many characters of a body an error quotes.
///
/// ```
/// assert_eq!(connector_http::BODY_START, 500);
/// ```
pub const BODY_START: usize = 500;

/// A result whose error is the toolkit's [`Error`].
///
/// ```
/// fn parse(text: &str) -> connector_http::Result<u32> {
///     text.parse().map_err(|_| connector_http::Error::Paginate {
///         url: String::from("https://api.test/items"),
///         message: format!("`{text}` is not a page count"),
///     })
/// }
/// assert!(parse("x").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a request, a response, an authentication or a pagination.
///
/// URLs are shown with secrets hidden, and bodies are quoted up to [`BODY_START`] characters.
///
/// ```no_run
/// # async fn run() -> connector_http::Result<()> {
/// use connector_http::{Client, Error, StatusCode};
///
/// let http = Client::builder("my_connector").base_url("https://api.test/v1").build()?;
/// match http.get("users/42").send().await {
///     Ok(response) => println!("{}", response.text()),
///     Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => println!("no user 42"),
///     Err(error) => return Err(error),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status that is neither a success nor retried (a 4xx other than
    /// 408 and 429; a 5xx of a request that is not retried).
    #[error("{method} {url} answered {status}{}: {body}", hint(*.status))]
    Status {
        /// The request's method.
        method: Method,
        /// The request's URL, secrets hidden.
        url: String,
        /// The status the server answered.
        status: StatusCode,
        /// The start of the body, secrets hidden.
        body: String,
    },
    /// Retries ran out: too many attempts, or the next wait would pass a cap.
    #[error("{method} {url}: gave up {why}; the last attempt {}", last_attempt(.status, .body, .cause))]
    RetriesExhausted {
        /// The request's method.
        method: Method,
        /// The request's URL, secrets hidden.
        url: String,
        /// How many times the request was sent.
        attempts: u32,
        /// Why retrying stopped (`after 6 attempts`, a cap it would pass).
        why: String,
        /// The last status the server answered, if the last attempt got an answer.
        status: Option<StatusCode>,
        /// The start of the last body, secrets hidden (empty without an answer).
        body: String,
        /// The last connection error or time-out, if the last attempt got no answer.
        cause: Option<String>,
    },
    /// The request got no answer (no connection, a time-out, a broken body) and is not retried.
    #[error("{method} {url} failed: {message}")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's URL, secrets hidden.
        url: String,
        /// What failed, secrets hidden.
        message: String,
    },
    /// The body is not the JSON the connector expected.
    #[error("{method} {url}: the body is not the expected JSON ({message}); it starts: {body}")]
    Decode {
        /// The request's method.
        method: Method,
        /// The request's URL, secrets hidden.
        url: String,
        /// What serde said.
        message: String,
        /// The start of the body, secrets hidden.
        body: String,
    },
    /// Logging in or getting a token failed.
    #[error("authentication failed ({what}): {message}")]
    Auth {
        /// Which authentication (`session login`, `OAuth2 refresh token`, ...).
        what: String,
        /// The status the login or token endpoint answered, if it answered.
        status: Option<StatusCode>,
        /// What went wrong, secrets hidden.
        message: String,
    },
    /// A page did not say what its paginator needs (no items where they were expected, a next
    /// page that is the page itself).
    #[error("pagination stopped at {url}: {message}")]
    Paginate {
        /// The URL of the page, secrets hidden.
        url: String,
        /// What is wrong with the page.
        message: String,
    },
    /// A URL that cannot be parsed or joined to the base URL.
    #[error("invalid URL `{url}`: {message}")]
    Url {
        /// The URL as given, secrets hidden.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The client could not be built (a bad header name or value, no TLS backend).
    #[error("cannot build the HTTP client: {message}")]
    Build {
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// The status the server answered, if the error comes from an answer.
    ///
    /// ```
    /// use connector_http::{Error, Method, StatusCode};
    ///
    /// let error = Error::Status {
    ///     method: Method::GET,
    ///     url: String::from("https://api.test/users"),
    ///     status: StatusCode::UNAUTHORIZED,
    ///     body: String::new(),
    /// };
    /// assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    /// assert!(error.to_string().contains("the credentials were refused"));
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::RetriesExhausted { status, .. } | Error::Auth { status, .. } => *status,
            _ => None,
        }
    }
}

fn hint(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => " (the credentials were refused)",
        StatusCode::FORBIDDEN => " (the credentials lack a permission)",
        _ => "",
    }
}

fn last_attempt(status: &Option<StatusCode>, body: &str, cause: &Option<String>) -> String {
    match (status, cause) {
        (Some(status), _) => format!("answered {status}: {body}"),
        (None, Some(cause)) => format!("failed: {cause}"),
        (None, None) => String::from("failed"),
    }
}

/// The start of `body` as an error quotes it: at most [`BODY_START`] characters, secret values
/// hidden, `…` where it was cut.
pub(crate) fn body_start(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return String::from("(empty body)");
    }
    // Four bytes a character at most, and room for a secret that starts among the characters
    // shown, so it is hidden whole before the text is cut.
    let head = &body[..body.len().min(BODY_START * 4 + redactor.longest())];
    let text = redactor.text(&String::from_utf8_lossy(head));
    let mut start: String = text.chars().take(BODY_START).collect();
    if start.len() < text.len() || head.len() < body.len() {
        start.push('…');
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    #[test]
    fn a_body_is_quoted_up_to_its_start_with_secrets_hidden() {
        let mut redactor = Redactor::new();
        redactor.add_value(&Secret::new("hunter2"));
        assert_eq!(body_start(b"", &redactor), "(empty body)");
        assert_eq!(
            body_start(b"bad password hunter2", &redactor),
            "bad password ***"
        );
        let long = "é".repeat(BODY_START + 10);
        let quoted = body_start(long.as_bytes(), &redactor);
        assert_eq!(quoted.chars().count(), BODY_START + 1);
        assert!(quoted.ends_with('…'));
    }

    #[test]
    fn retries_exhausted_names_the_last_status_or_cause() {
        let error = Error::RetriesExhausted {
            method: Method::GET,
            url: String::from("https://api.test/items?api_key=***"),
            attempts: 6,
            why: String::from("after 6 attempts"),
            status: Some(StatusCode::SERVICE_UNAVAILABLE),
            body: String::from("down for maintenance"),
            cause: None,
        };
        assert_eq!(
            error.to_string(),
            "GET https://api.test/items?api_key=***: gave up after 6 attempts; \
             the last attempt answered 503 Service Unavailable: down for maintenance"
        );
    }
}
