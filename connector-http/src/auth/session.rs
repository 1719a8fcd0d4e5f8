//! Session tokens: log in with the connector's function, reuse the token, log in again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::token::{Token, TokenCache};
use super::{Authenticate, Outgoing, Placement};
use crate::{Client, Error, Result, Secret};

type Login = dyn Fn(Client) -> BoxFuture<'static, Result<Token>> + Send + Sync;

/// A session token: the connector's `login` function gets a [`Token`]; the client sends it on
/// every request (`Authorization: Bearer <token>` unless [`header`](SessionToken::header) says
/// otherwise), logs in again shortly before it expires, and once more when the server answers
/// `401`. One login at a time, however many tasks send requests.
///
/// `login` is given the client without authentication, so it can post to a login endpoint
/// relative to the base URL. Clones share the token.
///
/// ```
/// use std::time::Duration;
/// use connector_http::{Client, Secret, SessionToken, Token};
/// use serde_json::{Value, json};
///
/// let (username, password) = (String::from("reader"), Secret::new("pa55word"));
/// let session = SessionToken::new(move |http: Client| {
///     let body = json!({"username": username, "password": password.expose()});
///     async move {
///         let answer: Value = http
///             .post("auth/session_token/login")
///             .json(&body)
///             .retry_non_idempotent()
///             .send()
///             .await?
///             .json()?;
///         let token = answer["token"].as_str().unwrap_or_default();
///         let life = answer["expires_in"].as_u64().unwrap_or(3600);
///         Ok(Token::new(Secret::new(token)).expires_in(Duration::from_secs(life)))
///     }
/// })
/// .header("Authorization", "Token ");
/// let http = Client::builder("my_connector")
///     .base_url("http://127.0.0.1:5001")
///     .auth(session)
///     .build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionToken {
    login: Arc<Login>,
    placement: Placement,
    cache: Arc<TokenCache>,
    secrets: Vec<Secret>,
}

/// How long before its expiry a token is replaced, unless it lives less than twice as long.
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

impl SessionToken {
    /// A session whose tokens come from `login`.
    ///
    /// ```
    /// use connector_http::{Client, Secret, SessionToken, Token};
    ///
    /// let session = SessionToken::new(|http: Client| async move {
    ///     let token = http.post("login").send().await?.text();
    ///     Ok(Token::new(Secret::new(token)))
    /// });
    /// ```
    pub fn new<F, Fut>(login: F) -> Self
    where
        F: Fn(Client) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Token>> + Send + 'static,
    {
        SessionToken {
            login: Arc::new(move |http| Box::pin(login(http))),
            placement: Placement::default(),
            cache: Arc::new(TokenCache::new(REFRESH_BEFORE)),
            secrets: Vec::new(),
        }
    }

    /// Sends the token in header `name` after `prefix` (default `Authorization`, `"Bearer "`).
    ///
    /// ```
    /// # use connector_http::{Client, Secret, SessionToken, Token};
    /// # let session = SessionToken::new(|_: Client| async { Ok(Token::new(Secret::new("t"))) });
    /// let session = session.header("X-Session", "");
    /// ```
    pub fn header(mut self, name: impl Into<String>, prefix: impl Into<String>) -> Self {
        self.placement = Placement {
            header: name.into(),
            prefix: prefix.into(),
        };
        self
    }

    /// Logs in again `margin` before a token expires (default 60 s, or half-way through the
    /// token's life if that is sooner).
    ///
    /// ```
    /// # use connector_http::{Client, Secret, SessionToken, Token};
    /// # let session = SessionToken::new(|_: Client| async { Ok(Token::new(Secret::new("t"))) });
    /// let session = session.refresh_before(std::time::Duration::from_secs(300));
    /// ```
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.cache = Arc::new(TokenCache::new(margin));
        self
    }

    /// A secret the login sends (a password): the client hides it in every URL and error.
    ///
    /// ```
    /// # use connector_http::{Client, Secret, SessionToken, Token};
    /// # let session = SessionToken::new(|_: Client| async { Ok(Token::new(Secret::new("t"))) });
    /// let session = session.secret(Secret::new("pa55word"));
    /// ```
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }
}

impl Authenticate for SessionToken {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            let token = self
                .cache
                .get(|| {
                    let login = (self.login)(http.clone());
                    async move { login.await.map_err(|e| auth_error("session login", e)) }
                })
                .await?;
            self.placement.apply(request, &token)?;
            Ok(Some(token))
        })
    }

    fn refused<'a>(&'a self, used: Option<&'a Secret>) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            self.cache.refused(used).await;
            true
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        self.secrets.clone()
    }
}

/// `error` as an authentication failure of `what`, unless it already is one.
pub(crate) fn auth_error(what: &str, error: Error) -> Error {
    match error {
        Error::Auth { .. } => error,
        error => Error::Auth {
            what: what.to_string(),
            status: error.status(),
            message: error.to_string(),
        },
    }
}
