//! The client: how it is built ([`ClientBuilder`]), how a request is described
//! ([`RequestBuilder`]) and sent (authentication, rate limit, retries), and what comes back
//! ([`Response`]).
//!
//! A [`Client`] is an `Arc` inside: clones are cheap, share the connection pool, the rate limit
//! and the authentication's token, and can move into tasks. A request's path is appended to the
//! base URL (`base_url("https://api.test/v1")` and `get("users")` or `get("/users")` give
//! `https://api.test/v1/users`); a URL that starts with `http:` or `https:` is used as it is.
//! `send` reads the whole body (within the request time-out) and returns a [`Response`] for a
//! `2xx`, an [`Error`] otherwise.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::body_start;
use crate::paginate::{Pages, Paginator};
use crate::rate_limit::{Limiter, RateLimit};
use crate::retry::{Next, Retry, is_retried_failure, is_retried_status, retry_after};
use crate::secret::Redactor;
use crate::{Auth, Error, Result, Secret};

/// An HTTP client for a connector: timeouts, gzip, a User-Agent that names the connector,
/// authentication, a rate limit and retries. Clones share everything; use one client (or its
/// clones) for the whole sync.
///
/// ```no_run
/// use connector_http::{Bearer, Client, RateLimit, Secret};
///
/// # async fn run() -> connector_http::Result<()> {
/// let http = Client::builder("my_connector")
///     .base_url("https://api.example.com/v2")
///     .auth(Bearer::new(Secret::new("t0k3n")))
///     .rate_limit(RateLimit::per_second(10))
///     .build()?;
/// let user: serde_json::Value = http.get("users/42").send().await?.json()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Option<Url>,
    auth: Auth,
    retry: Retry,
    limiter: Option<Arc<Limiter>>,
    redactor: Arc<Redactor>,
    /// The same client without authentication, for logins and token requests.
    bare: Option<Client>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_ref().map(|u| self.shown(u)))
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// How a [`Client`] is set up. Settings that can be wrong (the base URL, a header) are checked
/// by [`build`](ClientBuilder::build).
///
/// Defaults: a 10 s connect time-out, a 60 s time-out for a whole request (body included),
/// gzip, User-Agent `<name> connector-http/<version>`, no authentication, no rate limit, and
/// [`Retry::default`].
///
/// ```
/// use std::time::Duration;
/// use connector_http::{ApiKey, Client, Retry, Secret};
///
/// let http = Client::builder("my_connector")
///     .base_url("https://api.example.com")
///     .auth(ApiKey::header("X-API-Key", Secret::new("k-123")))
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(30))
///     .header("Accept", "application/json")
///     .retry(Retry::default().max_retries(3))
///     .build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    name: String,
    user_agent: Option<String>,
    base: Option<String>,
    auth: Auth,
    retry: Retry,
    rate_limit: Option<RateLimit>,
    connect_timeout: Duration,
    timeout: Duration,
    headers: Vec<(String, HeaderValueSource)>,
    secrets: Vec<Secret>,
    secret_parameters: Vec<String>,
}

#[derive(Debug)]
enum HeaderValueSource {
    Plain(String),
    Secret(Secret),
}

impl Client {
    /// A builder for a client of the connector called `name` (it goes in the User-Agent).
    ///
    /// ```
    /// let http = connector_http::Client::builder("my_connector").build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn builder(name: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            name: name.into(),
            user_agent: None,
            base: None,
            auth: Auth::none(),
            retry: Retry::default(),
            rate_limit: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            headers: Vec::new(),
            secrets: Vec::new(),
            secret_parameters: Vec::new(),
        }
    }

    /// A `GET` request of `path` (relative to the base URL) or of an absolute URL.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let body = http.get("users").query("limit", 50).send().await?.text();
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A `POST` request (not retried unless the connector opts in).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let found = http.post("search").json(&serde_json::json!({"q": "x"})).retry_non_idempotent().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.put("flags/sync").json(&true).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request (not retried unless the connector opts in).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.patch("jobs/7").json(&serde_json::json!({"seen": true})).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.delete("exports/7").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// A request with any method.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let head = http.request(connector_http::Method::HEAD, "export.csv").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let (url, fault) = match self.resolve(path) {
            Ok(url) => (Some(url), None),
            Err(fault) => (None, Some(fault)),
        };
        RequestBuilder {
            client: self.clone(),
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
            retry_non_idempotent: false,
            fault,
        }
    }

    /// `url` as errors and logs show it: secret query parameters, secret values and passwords
    /// hidden.
    ///
    /// ```
    /// use connector_http::{ApiKey, Client, Url};
    ///
    /// let http = Client::builder("c").auth(ApiKey::query("key", "k-123".into())).build()?;
    /// let url = Url::parse("https://api.test/items?key=k-123&page=2").unwrap();
    /// assert_eq!(http.shown(&url), "https://api.test/items?key=***&page=2");
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn shown(&self, url: &Url) -> String {
        self.inner.redactor.url(url)
    }

    /// `text` with every secret the client knows replaced by `***`: for a message of the
    /// connector's own that quotes a body or a URL.
    ///
    /// ```
    /// use connector_http::{Bearer, Client};
    ///
    /// let http = Client::builder("c").auth(Bearer::new("t0k3n".into())).build()?;
    /// assert_eq!(http.hide_secrets("token t0k3n refused"), "token *** refused");
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn hide_secrets(&self, text: &str) -> String {
        self.inner.redactor.text(text)
    }

    /// The path joined to the base URL, or the URL as it is when it starts with `http:` or
    /// `https:`.
    fn resolve(&self, path: &str) -> Result<Url, Fault> {
        // Only http(s) counts as a scheme: `items:batchGet` is a path.
        if let Ok(url) = Url::parse(path)
            && matches!(url.scheme(), "http" | "https")
        {
            return Ok(url);
        }
        let Some(base) = &self.inner.base else {
            return Err(Fault::Url {
                url: self.hide_secrets(path),
                message: String::from("a relative path needs a base URL"),
            });
        };
        let joined = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        Url::parse(&joined).map_err(|e| Fault::Url {
            url: self.hide_secrets(&joined),
            message: e.to_string(),
        })
    }

    /// This client without authentication.
    fn bare(&self) -> Client {
        self.inner.bare.clone().unwrap_or_else(|| self.clone())
    }
}

impl ClientBuilder {
    /// The base URL that request paths are appended to.
    ///
    /// ```
    /// let http = connector_http::Client::builder("c").base_url("http://127.0.0.1:5001").build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base = Some(url.into());
        self
    }

    /// How requests are authenticated (default: not at all).
    ///
    /// ```
    /// use connector_http::{Basic, Client};
    /// let http = Client::builder("c").auth(Basic::new("user", "pw".into())).build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn auth(mut self, auth: impl Into<Auth>) -> Self {
        self.auth = auth.into();
        self
    }

    /// How failed requests are retried (default [`Retry::default`]).
    ///
    /// ```
    /// use connector_http::{Client, Retry};
    /// let http = Client::builder("c").retry(Retry::default().max_retries(2)).build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// A client-side rate limit, shared by every clone of the client (default: none).
    ///
    /// ```
    /// use connector_http::{Client, RateLimit};
    /// let http = Client::builder("c").rate_limit(RateLimit::per_minute(100)).build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The longest wait for a connection (default 10 s).
    ///
    /// ```
    /// let http = connector_http::Client::builder("c")
    ///     .connect_timeout(std::time::Duration::from_secs(3))
    ///     .build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest time for a whole request, from connecting to the end of the body (default
    /// 60 s). A request that takes longer fails as a time-out, which is retried.
    ///
    /// ```
    /// let http = connector_http::Client::builder("c")
    ///     .timeout(std::time::Duration::from_secs(120))
    ///     .build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the whole User-Agent (default `<name> connector-http/<version>`).
    ///
    /// ```
    /// let http = connector_http::Client::builder("c")
    ///     .user_agent("acme-connector/2.1 (data@acme.test)")
    ///     .build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// A header sent with every request.
    ///
    /// ```
    /// let http = connector_http::Client::builder("c").header("Accept", "application/json").build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .push((name.into(), HeaderValueSource::Plain(value.into())));
        self
    }

    /// A header with a secret value, sent with every request; the value is hidden wherever the
    /// client shows text.
    ///
    /// ```
    /// use connector_http::{Client, Secret};
    /// let http = Client::builder("c").secret_header("X-Tenant-Key", Secret::new("tk-1")).build()?;
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn secret_header(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secrets.push(value.clone());
        self.headers
            .push((name.into(), HeaderValueSource::Secret(value)));
        self
    }

    /// A secret to hide wherever the client shows text (URLs, quoted bodies), besides those of
    /// its authentication: a configuration field marked secret that the connector sends its
    /// own way.
    ///
    /// ```
    /// use connector_http::{Client, Secret};
    /// let http = Client::builder("c").secret(Secret::new("account-pin")).build()?;
    /// assert_eq!(http.hide_secrets("pin account-pin"), "pin ***");
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// A query parameter whose value is hidden in every URL the client shows, besides the usual
    /// names (`api_key`, `token`, `access_token`, `client_secret`, `password`, `signature`, ...).
    ///
    /// ```
    /// use connector_http::{Client, Url};
    /// let http = Client::builder("c").secret_parameter("session").build()?;
    /// let url = Url::parse("https://a.test/x?session=abc").unwrap();
    /// assert_eq!(http.shown(&url), "https://a.test/x?session=***");
    /// # Ok::<(), connector_http::Error>(())
    /// ```
    pub fn secret_parameter(mut self, name: impl Into<String>) -> Self {
        self.secret_parameters.push(name.into());
        self
    }

    /// The client, or what is wrong with the settings.
    ///
    /// ```
    /// let error = connector_http::Client::builder("c").base_url("not a url").build().unwrap_err();
    /// assert!(error.to_string().starts_with("invalid URL `not a url`"));
    /// ```
    pub fn build(self) -> Result<Client> {
        let mut redactor = Redactor::new();
        for secret in self.secrets.iter().chain(&self.auth.secrets()) {
            redactor.add_value(secret);
        }
        for name in self
            .secret_parameters
            .iter()
            .chain(&self.auth.secret_parameters())
        {
            redactor.add_name(name);
        }
        let base = match &self.base {
            Some(base) => Some(Url::parse(base).map_err(|e| Error::Url {
                url: redactor.text(base),
                message: e.to_string(),
            })?),
            None => None,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Build {
                message: format!("`{name}` is not a header name"),
            })?;
            let (text, sensitive) = match value {
                HeaderValueSource::Plain(text) => (text.as_str(), false),
                HeaderValueSource::Secret(secret) => (secret.expose(), true),
            };
            let mut value = HeaderValue::from_str(text).map_err(|_| Error::Build {
                message: format!("the value of header `{name}` holds characters a header cannot"),
            })?;
            value.set_sensitive(sensitive);
            headers.insert(header, value);
        }
        let user_agent = self.user_agent.clone().unwrap_or_else(|| {
            format!("{} connector-http/{}", self.name, env!("CARGO_PKG_VERSION"))
        });
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .gzip(true)
            .build()
            .map_err(|e| Error::Build {
                message: e.to_string(),
            })?;
        let limiter = self.rate_limit.as_ref().map(|l| Arc::new(Limiter::new(l)));
        let redactor = Arc::new(redactor);
        let bare = Client {
            inner: Arc::new(Inner {
                http: http.clone(),
                base: base.clone(),
                auth: Auth::none(),
                retry: self.retry.clone(),
                limiter: limiter.clone(),
                redactor: redactor.clone(),
                bare: None,
            }),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: self.auth,
                retry: self.retry,
                limiter,
                redactor,
                bare: Some(bare),
            }),
        })
    }
}

/// A mistake found while a request was described, reported when it is sent.
#[derive(Clone, Debug)]
enum Fault {
    Url { url: String, message: String },
    Build { message: String },
}

impl From<Fault> for Error {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Url { url, message } => Error::Url { url, message },
            Fault::Build { message } => Error::Build { message },
        }
    }
}

/// A request being described: its query, headers and body; sent with
/// [`send`](RequestBuilder::send) or walked page by page with
/// [`paginate`](RequestBuilder::paginate). Cloning it copies the description.
///
/// ```no_run
/// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
/// let response = http
///     .get("orders")
///     .query("status", "open")
///     .query("limit", 100)
///     .header("Toast-Restaurant-External-ID", "r-1")
///     .timeout(std::time::Duration::from_secs(120))
///     .send()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    method: Method,
    url: Option<Url>,
    headers: HeaderMap,
    body: Option<(Bytes, HeaderValue)>,
    timeout: Option<Duration>,
    retry_non_idempotent: bool,
    fault: Option<Fault>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url.as_ref().map(|u| self.client.shown(u)))
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    /// Appends a query parameter.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.get("users").query("updated_since", "2024-01-01T00:00:00Z").query("per_page", 50).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        if let Some(url) = &mut self.url {
            url.query_pairs_mut().append_pair(name, &value.to_string());
        }
        self
    }

    /// Sets a header, replacing any of the same name (and the client's default).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.get("menus").header("Toast-Restaurant-External-ID", "r-1").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn header(self, name: &str, value: &str) -> Self {
        self.set_header(name, value, false)
    }

    /// Sets a header whose value is a secret: marked sensitive, and hidden wherever the client
    /// shows text.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let pin = connector_http::Secret::new("1234");
    /// http.get("vault").secret_header("X-Pin", pin).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn secret_header(self, name: &str, value: Secret) -> Self {
        self.set_header(name, value.expose(), true)
    }

    fn set_header(mut self, name: &str, value: &str, sensitive: bool) -> Self {
        let header = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(value);
        match (header, value) {
            (Ok(header), Ok(mut value)) => {
                value.set_sensitive(sensitive);
                self.headers.insert(header, value);
            }
            (Err(_), _) => {
                self.fault.get_or_insert(Fault::Build {
                    message: format!("`{name}` is not a header name"),
                });
            }
            (Ok(_), Err(_)) => {
                self.fault.get_or_insert(Fault::Build {
                    message: format!(
                        "the value of header `{name}` holds characters a header cannot"
                    ),
                });
            }
        }
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.post("query").json(&serde_json::json!({"q": "select id from users"})).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some((
                    Bytes::from(bytes),
                    HeaderValue::from_static("application/json"),
                ))
            }
            Err(e) => {
                self.fault.get_or_insert(Fault::Build {
                    message: format!("the JSON body cannot be written: {e}"),
                });
            }
        }
        self
    }

    /// A form body (`Content-Type: application/x-www-form-urlencoded`).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.post("query").form(&[("q", "select id from users")]).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn form<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator,
        I::Item: Borrow<(K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = Some((
            Bytes::from(body),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ));
        self
    }

    /// A body of any type, with its content type.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.post("upload").body("id,name\n1,a\n", "text/csv").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &str) -> Self {
        match HeaderValue::from_str(content_type) {
            Ok(value) => self.body = Some((body.into(), value)),
            Err(_) => {
                self.fault.get_or_insert(Fault::Build {
                    message: format!("`{content_type}` is not a content type"),
                });
            }
        }
        self
    }

    /// A time-out for this request instead of the client's.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.get("export.csv").timeout(std::time::Duration::from_secs(600)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries this request even if its method is not idempotent (`POST`, `PATCH`): say so only
    /// when sending it twice does no harm.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// http.post("search").json(&serde_json::json!({"page": 2})).retry_non_idempotent().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn retry_non_idempotent(mut self) -> Self {
        self.retry_non_idempotent = true;
        self
    }

    /// Walks the pages of this request's answers as a stream; see [`Paginator`].
    ///
    /// ```no_run
    /// use connector_http::PageNumber;
    ///
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let mut pages = http
    ///     .get("pagination/page_number")
    ///     .query("per_page", 50)
    ///     .paginate(PageNumber::new("page").total_pages("/total_pages").items_at("/data"));
    /// while let Some(page) = pages.next_page().await? {
    ///     println!("page {}: {} items", page.number(), page.items().len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn paginate(self, paginator: impl Into<Paginator>) -> Pages {
        Pages::new(self, paginator.into())
    }

    /// The client this request goes through.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The URL, if it could be made.
    pub(crate) fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    /// Sets a query parameter, replacing any of the same name.
    pub(crate) fn set_query(mut self, name: &str, value: &str) -> Self {
        if let Some(url) = &mut self.url {
            set_query(url, name, value);
        }
        self
    }

    /// Drops the whole query.
    pub(crate) fn clear_query(mut self) -> Self {
        if let Some(url) = &mut self.url {
            url.set_query(None);
        }
        self
    }

    /// The same request to another URL.
    pub(crate) fn with_url(mut self, url: Url) -> Self {
        self.url = Some(url);
        self
    }

    /// Sends the request: authenticated, within the rate limit, retried as the client's
    /// [`Retry`] says. A `2xx` is a [`Response`] with its whole body; anything else an
    /// [`Error`] that names the method, the URL (secrets hidden), the status and the start of the
    /// body.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let response = http.get("users").send().await?;
    /// assert!(response.status().is_success());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<Response> {
        if let Some(fault) = self.fault {
            return Err(fault.into());
        }
        let Some(url) = self.url else {
            return Err(Error::Build {
                message: String::from("the request has no URL"),
            });
        };
        let inner = &self.client.inner;
        let bare = self.client.bare();
        let method = self.method;
        let may_retry = inner.retry.may_retry(&method, self.retry_non_idempotent);
        let started = Instant::now();
        let mut retries = 0;
        let mut reauthorized = false;
        loop {
            let mut request = reqwest::Request::new(method.clone(), url.clone());
            *request.headers_mut() = self.headers.clone();
            if let Some((body, content_type)) = &self.body {
                request
                    .headers_mut()
                    .entry(CONTENT_TYPE)
                    .or_insert_with(|| content_type.clone());
                *request.body_mut() = Some(body.clone().into());
            }
            if let Some(timeout) = self.timeout {
                *request.timeout_mut() = Some(timeout);
            }
            let used = inner.auth.authorize(&mut request, &bare).await?;
            let shown = inner.redactor.url(request.url());
            if let Some(limiter) = &inner.limiter {
                limiter.acquire().await;
            }
            let answer = match inner.http.execute(request).await {
                Ok(answer) => {
                    let status = answer.status();
                    let headers = answer.headers().clone();
                    let final_url = answer.url().clone();
                    answer.bytes().await.map(|body| Response {
                        method: method.clone(),
                        status,
                        headers,
                        url: final_url,
                        body,
                        redactor: inner.redactor.clone(),
                    })
                }
                Err(error) => Err(error),
            };
            let (after, failure) = match answer {
                Ok(response) if response.status.is_success() => return Ok(response),
                Ok(response)
                    if response.status == StatusCode::UNAUTHORIZED
                        && !reauthorized
                        && inner.auth.refused(used.as_ref()).await =>
                {
                    tracing::warn!(
                        "{method} {shown} answered 401 Unauthorized; sending it again with new credentials"
                    );
                    reauthorized = true;
                    continue;
                }
                Ok(response) if may_retry && is_retried_status(response.status) => {
                    let after = retry_after(&response.headers, SystemTime::now());
                    (after, Failure::Answer(Box::new(response)))
                }
                Ok(response) => {
                    return Err(Error::Status {
                        method,
                        url: shown,
                        status: response.status,
                        body: body_start(&response.body, &inner.redactor),
                    });
                }
                Err(error) if may_retry && is_retried_failure(&error) => {
                    (None, Failure::NoAnswer(describe(error, &inner.redactor)))
                }
                Err(error) => {
                    return Err(Error::Transport {
                        method,
                        url: shown,
                        message: describe(error, &inner.redactor),
                    });
                }
            };
            match inner.retry.next(retries, after, started.elapsed()) {
                Next::Wait(wait) => {
                    retries += 1;
                    let what = match &failure {
                        Failure::Answer(response) => format!("answered {}", response.status),
                        Failure::NoAnswer(message) => format!("failed ({message})"),
                    };
                    let asked = after.map_or(String::new(), |a| {
                        format!(" (Retry-After: {} s)", a.as_secs_f64())
                    });
                    tracing::warn!(
                        "{method} {shown} {what}{asked}; retry {retries} of {} in {:.3} s",
                        inner.retry.retries(),
                        wait.as_secs_f64()
                    );
                    tokio::time::sleep(wait).await;
                }
                Next::GiveUp(why) => {
                    let (status, body, cause) = match failure {
                        Failure::Answer(response) => (
                            Some(response.status),
                            body_start(&response.body, &inner.redactor),
                            None,
                        ),
                        Failure::NoAnswer(message) => (None, String::new(), Some(message)),
                    };
                    return Err(Error::RetriesExhausted {
                        method,
                        url: shown,
                        attempts: retries + 1,
                        why,
                        status,
                        body,
                        cause,
                    });
                }
            }
        }
    }
}

/// A failed attempt that may be retried.
enum Failure {
    Answer(Box<Response>),
    NoAnswer(String),
}

/// What a request error says, down its chain of causes, without its URL and with secrets hidden.
fn describe(error: reqwest::Error, redactor: &Redactor) -> String {
    let mut parts = Vec::new();
    if error.is_timeout() {
        parts.push(String::from("timed out"));
    }
    let error = error.without_url();
    parts.push(error.to_string());
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    redactor.text(&parts.join(": "))
}

/// Sets query parameter `name` of `url`: in the place of the first of that name (any others are
/// dropped), or at the end.
pub(crate) fn set_query(url: &mut Url, name: &str, value: &str) {
    let mut found = false;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (n, v) in url.query_pairs() {
        if n != name {
            pairs.push((n.into_owned(), v.into_owned()));
        } else if !found {
            found = true;
            pairs.push((n.into_owned(), value.to_string()));
        }
    }
    if !found {
        pairs.push((name.to_string(), value.to_string()));
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// An answer with a `2xx` status and its whole body.
///
/// ```no_run
/// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Users { data: Vec<serde_json::Value> }
///
/// let response = http.get("users").send().await?;
/// let next = response.header("Toast-Next-Page-Token").map(str::to_string);
/// let users: Users = response.json()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Response {
    method: Method,
    status: StatusCode,
    headers: HeaderMap,
    url: Url,
    body: Bytes,
    redactor: Arc<Redactor>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("method", &self.method)
            .field("url", &self.redactor.url(&self.url))
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let created = http.post("exports").send().await?.status() == connector_http::StatusCode::CREATED;
    /// # Ok(())
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let response = http.get("users").send().await?;
    /// let remaining = response.headers().get("x-ratelimit-remaining");
    /// # Ok(())
    /// # }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value, if it is there and is text.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let response = http.get("orders").send().await?;
    /// let token = response.header("Toast-Next-Page-Token");
    /// # Ok(())
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL that answered (after redirects). It may hold secrets: show it with
    /// [`shown_url`](Response::shown_url).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let response = http.get("users").send().await?;
    /// let next = response.url().join("?page=2").unwrap();
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL that answered, secrets hidden.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let response = http.get("users").send().await?;
    /// println!("read {}", response.shown_url());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shown_url(&self) -> String {
        self.redactor.url(&self.url)
    }

    /// The body.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let csv = http.get("export/csv").send().await?.bytes().clone();
    /// # Ok(())
    /// # }
    /// ```
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced by `�`).
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let text = http.get("health").send().await?.text();
    /// # Ok(())
    /// # }
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`; an error quotes the start of the body.
    ///
    /// ```no_run
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let body: serde_json::Value = http.get("users").send().await?.json()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(&e))
    }

    /// A [`Error::Decode`] about this response.
    pub(crate) fn decode_error(&self, error: &dyn fmt::Display) -> Error {
        Error::Decode {
            method: self.method.clone(),
            url: self.shown_url(),
            message: self.redactor.text(&error.to_string()),
            body: body_start(&self.body, &self.redactor),
        }
    }
}
