//! OAuth2: access tokens from a refresh token or from client credentials (RFC 6749, sections 6
//! and 4.4), cached until shortly before they expire.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::session::auth_error;
use super::token::{Token, TokenCache};
use super::{Authenticate, Outgoing, Placement};
use crate::{Basic, Client, Error, Result, Secret};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grant {
    RefreshToken,
    ClientCredentials,
}

/// What an OAuth2 authentication shares between its clones: the cached access token and the
/// newest refresh token.
#[derive(Debug)]
struct Shared {
    cache: TokenCache,
    refresh_token: Mutex<Option<Secret>>,
}

/// OAuth2 access tokens, sent as `Authorization: Bearer <token>`, from a token endpoint: with a
/// refresh token ([`OAuth2::refresh_token`]) or with client credentials
/// ([`OAuth2::client_credentials`]).
///
/// The token is cached with its expiry (`expires_in`) and replaced 60 s before it expires (or
/// half-way through its life if that is sooner), and once when the server answers `401`; one
/// token request at a time however many tasks ask. When the endpoint rotates refresh tokens (it
/// answers a new `refresh_token`), the next refresh uses the new one, and
/// [`current_refresh_token`](OAuth2::current_refresh_token) gives it to the connector to save.
/// Clones share the token, so keep one to read it.
///
/// The client's credentials go in the form body (`client_id`, `client_secret`), or as HTTP basic
/// with [`basic_client_auth`](OAuth2::basic_client_auth). The token endpoint may be absolute or
/// relative to the base URL. Token requests are `POST`s that are retried like any `GET`: asking
/// twice for a token does no harm.
///
/// ```
/// use connector_http::{Client, OAuth2, Secret};
///
/// let oauth = OAuth2::refresh_token(
///     "https://api.hubapi.com/oauth/v1/token",
///     "my-client-id",
///     Secret::new("client-secret"),
///     Secret::new("refresh-token"),
/// );
/// let http = Client::builder("hubspot")
///     .base_url("https://api.hubapi.com")
///     .auth(oauth.clone())
///     .build()?;
/// // After the sync, save a rotated refresh token if the endpoint gave one.
/// let newest = oauth.current_refresh_token();
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone)]
pub struct OAuth2 {
    grant: Grant,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    basic: bool,
    scope: Option<String>,
    params: Vec<(String, String)>,
    placement: Placement,
    shared: Arc<Shared>,
}

/// How long before its expiry a token is replaced, unless it lives less than twice as long.
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

impl OAuth2 {
    /// Access tokens from `refresh_token` (grant type `refresh_token`).
    ///
    /// ```
    /// let oauth = connector_http::OAuth2::refresh_token(
    ///     "https://auth.example.com/token", "id", "secret".into(), "refresh".into());
    /// ```
    pub fn refresh_token(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
        refresh_token: Secret,
    ) -> Self {
        OAuth2::new(
            Grant::RefreshToken,
            token_url.into(),
            client_id.into(),
            client_secret,
            Some(refresh_token),
        )
    }

    /// Access tokens for the client itself (grant type `client_credentials`).
    ///
    /// ```
    /// let oauth = connector_http::OAuth2::client_credentials(
    ///     "https://acme.api.accelo.com/oauth2/v0/token", "id", "secret".into())
    ///     .scope("read(all)");
    /// ```
    pub fn client_credentials(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Self {
        OAuth2::new(
            Grant::ClientCredentials,
            token_url.into(),
            client_id.into(),
            client_secret,
            None,
        )
    }

    fn new(
        grant: Grant,
        token_url: String,
        client_id: String,
        client_secret: Secret,
        refresh_token: Option<Secret>,
    ) -> Self {
        OAuth2 {
            grant,
            token_url,
            client_id,
            client_secret,
            basic: false,
            scope: None,
            params: Vec::new(),
            placement: Placement::default(),
            shared: Arc::new(Shared {
                cache: TokenCache::new(REFRESH_BEFORE),
                refresh_token: Mutex::new(refresh_token),
            }),
        }
    }

    /// The scope to ask for (`scope=...` in the token request).
    ///
    /// ```
    /// # let oauth = connector_http::OAuth2::client_credentials("https://a.test/token", "id", "s".into());
    /// let oauth = oauth.scope("read write");
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Another form parameter of the token request (`audience`, `resource`, ...).
    ///
    /// ```
    /// # let oauth = connector_http::OAuth2::client_credentials("https://a.test/token", "id", "s".into());
    /// let oauth = oauth.param("audience", "https://api.example.com");
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Sends the client's id and secret as HTTP basic instead of in the form body (RFC 6749,
    /// section 2.3.1, prefers it; some servers accept only one of the two).
    ///
    /// ```
    /// # let oauth = connector_http::OAuth2::client_credentials("https://a.test/token", "id", "s".into());
    /// let oauth = oauth.basic_client_auth();
    /// ```
    pub fn basic_client_auth(mut self) -> Self {
        self.basic = true;
        self
    }

    /// Replaces a token `margin` before it expires (default 60 s, or half-way through its life
    /// if that is sooner).
    ///
    /// ```
    /// # let oauth = connector_http::OAuth2::client_credentials("https://a.test/token", "id", "s".into());
    /// let oauth = oauth.refresh_before(std::time::Duration::from_secs(300));
    /// ```
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        let refresh_token = self.current_refresh_token();
        self.shared = Arc::new(Shared {
            cache: TokenCache::new(margin),
            refresh_token: Mutex::new(refresh_token),
        });
        self
    }

    /// The refresh token the next refresh will use: the one given, or the newest the endpoint
    /// answered. `None` for client credentials.
    ///
    /// ```
    /// let oauth = connector_http::OAuth2::refresh_token(
    ///     "https://a.test/token", "id", "secret".into(), "refresh-1".into());
    /// assert_eq!(oauth.current_refresh_token().unwrap().expose(), "refresh-1");
    /// ```
    pub fn current_refresh_token(&self) -> Option<Secret> {
        self.shared
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn what(&self) -> &'static str {
        match self.grant {
            Grant::RefreshToken => "OAuth2 refresh token",
            Grant::ClientCredentials => "OAuth2 client credentials",
        }
    }

    /// Asks the token endpoint for a new access token.
    async fn fetch(&self, http: &Client) -> Result<Token> {
        let mut form: Vec<(String, String)> = Vec::new();
        match self.grant {
            Grant::RefreshToken => {
                form.push(("grant_type".into(), "refresh_token".into()));
                if let Some(token) = self.current_refresh_token() {
                    form.push(("refresh_token".into(), token.expose().to_string()));
                }
            }
            Grant::ClientCredentials => {
                form.push(("grant_type".into(), "client_credentials".into()));
            }
        }
        let mut request = http.post(&self.token_url).retry_non_idempotent();
        if self.basic {
            let basic = Basic::new(self.client_id.clone(), self.client_secret.clone());
            request = request.secret_header("Authorization", basic.header_value().clone());
        } else {
            form.push(("client_id".into(), self.client_id.clone()));
            form.push((
                "client_secret".into(),
                self.client_secret.expose().to_string(),
            ));
        }
        if let Some(scope) = &self.scope {
            form.push(("scope".into(), scope.clone()));
        }
        form.extend(self.params.iter().cloned());
        let answer: Value = request.form(&form).send().await?.json()?;
        let access_token = answer
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Auth {
                what: self.what().to_string(),
                status: None,
                message: String::from("the token endpoint answered no `access_token`"),
            })?;
        if let Some(rotated) = answer.get("refresh_token").and_then(Value::as_str) {
            *self
                .shared
                .refresh_token
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Secret::new(rotated));
        }
        let mut token = Token::new(Secret::new(access_token));
        // `expires_in` is a number of seconds; some servers send it as a string.
        let lifetime = match answer.get("expires_in") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        if let Some(seconds) = lifetime.filter(|s| s.is_finite() && *s >= 0.0) {
            token = token.expires_in(Duration::from_secs_f64(seconds));
        }
        Ok(token)
    }
}

impl Authenticate for OAuth2 {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            let token = self
                .shared
                .cache
                .get(|| async move {
                    self.fetch(http)
                        .await
                        .map_err(|e| auth_error(self.what(), e))
                })
                .await?;
            self.placement.apply(request, &token)?;
            Ok(Some(token))
        })
    }

    fn refused<'a>(&'a self, used: Option<&'a Secret>) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            self.shared.cache.refused(used).await;
            true
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut secrets = vec![self.client_secret.clone()];
        secrets.extend(self.current_refresh_token());
        secrets
    }
}
