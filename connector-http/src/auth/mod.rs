//! Authentication: the credentials a client adds to each request, as values a connector builds
//! from its configuration and hands to [`ClientBuilder::auth`](crate::ClientBuilder::auth).
//!
//! - [`ApiKey`]: a key in a header (with an optional prefix) or in a query parameter.
//! - [`Basic`]: HTTP basic, `Authorization: Basic base64(user:password)`.
//! - [`Bearer`]: a fixed token, `Authorization: Bearer <token>`.
//! - [`SessionToken`]: log in with a function of the connector's, reuse the token, log in again
//!   before it expires or once on a `401`.
//! - [`OAuth2`]: an access token from a refresh token or from client credentials, cached with
//!   its expiry, refreshed before it expires or once on a `401`.
//!
//! The two kinds that fetch a token do it one at a time however many tasks ask: the first task
//! fetches while the others wait for its token, and a `401` answered to many tasks at once
//! triggers one refresh, not one per task. A connector with a scheme of its own (a signature, a
//! header pair) implements [`Authenticate`].

mod oauth2;
mod session;
mod token;

use std::sync::Arc;

use base64::Engine;
use futures_util::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::{Client, Error, Result, Secret};

pub use oauth2::OAuth2;
pub use session::SessionToken;
pub use token::Token;

/// A way to authenticate requests. Implement it for a scheme the toolkit lacks; the kinds it has
/// ([`ApiKey`], [`Basic`], [`Bearer`], [`SessionToken`], [`OAuth2`]) implement it too.
///
/// ```
/// use connector_http::{Authenticate, BoxFuture, Client, Outgoing, Result, Secret};
///
/// /// Sends an account id and a key in two headers.
/// struct AccountKey { account: String, key: Secret }
///
/// impl Authenticate for AccountKey {
///     fn authorize<'a>(
///         &'a self,
///         request: &'a mut Outgoing<'_>,
///         _http: &'a Client,
///     ) -> BoxFuture<'a, Result<Option<Secret>>> {
///         Box::pin(async move {
///             request.set_header("X-Account", &self.account)?;
///             request.set_header("X-Key", self.key.expose())?;
///             Ok(None)
///         })
///     }
///
///     fn secrets(&self) -> Vec<Secret> {
///         vec![self.key.clone()]
///     }
/// }
///
/// let auth = AccountKey { account: "42".into(), key: Secret::new("k-123") };
/// let http = Client::builder("my_connector").auth(auth).build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
pub trait Authenticate: Send + Sync + 'static {
    /// Adds the credential to a request about to be sent (each attempt, so a retry carries the
    /// newest token). `http` is the client without authentication, for a login or a token
    /// request. Returns the credential used, which [`refused`](Authenticate::refused) is given if
    /// the server answers `401`.
    ///
    /// ```
    /// use connector_http::{Authenticate, BoxFuture, Client, Outgoing, Result, Secret};
    ///
    /// struct Tenant(Secret);
    ///
    /// impl Authenticate for Tenant {
    ///     fn authorize<'a>(&'a self, request: &'a mut Outgoing<'_>, _: &'a Client)
    ///         -> BoxFuture<'a, Result<Option<Secret>>>
    ///     {
    ///         Box::pin(async move {
    ///             request.set_header("X-Tenant-Key", self.0.expose())?;
    ///             Ok(Some(self.0.clone()))
    ///         })
    ///     }
    /// }
    /// ```
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>>;

    /// The server answered `401` to a request that carried `used`. Returns whether a new
    /// credential may help, in which case the request is sent once more. The default: no, the
    /// `401` is the error.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use connector_http::{Authenticate, BoxFuture, Client, Outgoing, Result, Secret};
    ///
    /// /// A key that a vault rotates: on a 401, read it again.
    /// struct Rotated(Mutex<Secret>);
    ///
    /// impl Authenticate for Rotated {
    ///     fn authorize<'a>(&'a self, request: &'a mut Outgoing<'_>, _: &'a Client)
    ///         -> BoxFuture<'a, Result<Option<Secret>>>
    ///     {
    ///         let key = self.0.lock().unwrap().clone();
    ///         Box::pin(async move {
    ///             request.set_header("X-Key", key.expose())?;
    ///             Ok(Some(key))
    ///         })
    ///     }
    ///
    ///     fn refused<'a>(&'a self, used: Option<&'a Secret>) -> BoxFuture<'a, bool> {
    ///         let mut key = self.0.lock().unwrap();
    ///         if used == Some(&*key) {
    ///             *key = Secret::new(std::env::var("API_KEY").unwrap_or_default());
    ///         }
    ///         Box::pin(async { true })
    ///     }
    /// }
    /// ```
    fn refused<'a>(&'a self, used: Option<&'a Secret>) -> BoxFuture<'a, bool> {
        let _ = used;
        Box::pin(async { false })
    }

    /// The secrets this authentication holds: the client hides them in every URL and error.
    ///
    /// ```
    /// use connector_http::{Authenticate, Bearer, Secret};
    /// assert_eq!(Bearer::new(Secret::new("t0k3n")).secrets(), [Secret::new("t0k3n")]);
    /// ```
    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }

    /// The query parameters this authentication sets: the client hides their values in URLs.
    ///
    /// ```
    /// use connector_http::{ApiKey, Authenticate};
    /// let key = ApiKey::query("access_key", "k-123".into());
    /// assert_eq!(key.secret_parameters(), ["access_key"]);
    /// ```
    fn secret_parameters(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The authentication of a client: none, one of the toolkit's kinds, or one of the connector's
/// own. Every kind converts into it, so [`ClientBuilder::auth`](crate::ClientBuilder::auth)
/// takes any of them.
///
/// ```
/// use connector_http::{Auth, Bearer, Secret};
///
/// let auth: Auth = Bearer::new(Secret::new("t0k3n")).into();
/// let none = Auth::none();
/// ```
#[derive(Clone, Default)]
pub struct Auth(Option<Arc<dyn Authenticate>>);

impl Auth {
    /// No authentication.
    ///
    /// ```
    /// let auth = connector_http::Auth::none();
    /// ```
    pub fn none() -> Self {
        Auth(None)
    }

    pub(crate) async fn authorize(
        &self,
        request: &mut reqwest::Request,
        http: &Client,
    ) -> Result<Option<Secret>> {
        match &self.0 {
            Some(auth) => auth.authorize(&mut Outgoing { request }, http).await,
            None => Ok(None),
        }
    }

    pub(crate) async fn refused(&self, used: Option<&Secret>) -> bool {
        match &self.0 {
            Some(auth) => auth.refused(used).await,
            None => false,
        }
    }

    pub(crate) fn secrets(&self) -> Vec<Secret> {
        self.0.as_ref().map(|a| a.secrets()).unwrap_or_default()
    }

    pub(crate) fn secret_parameters(&self) -> Vec<String> {
        self.0
            .as_ref()
            .map(|a| a.secret_parameters())
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Auth(***)"
        } else {
            "Auth(none)"
        })
    }
}

impl<A: Authenticate> From<A> for Auth {
    fn from(auth: A) -> Self {
        Auth(Some(Arc::new(auth)))
    }
}

/// A request about to be sent, as an [`Authenticate`] sees it: it can read the method and the
/// URL, and set headers (marked sensitive, never logged) and query parameters.
///
/// ```
/// use connector_http::{Authenticate, BoxFuture, Client, Outgoing, Result, Secret};
///
/// /// Signs each request's path with a shared key.
/// struct Signed(Secret);
///
/// impl Authenticate for Signed {
///     fn authorize<'a>(&'a self, request: &'a mut Outgoing<'_>, _: &'a Client)
///         -> BoxFuture<'a, Result<Option<Secret>>>
///     {
///         Box::pin(async move {
///             let text = format!("{} {}", request.method(), request.url().path());
///             let signature = format!("{:x}", text.len() ^ self.0.expose().len()); // a real HMAC here
///             request.set_query("signature", &signature);
///             Ok(None)
///         })
///     }
///
///     fn secret_parameters(&self) -> Vec<String> {
///         vec!["signature".into()]
///     }
/// }
/// ```
pub struct Outgoing<'a> {
    request: &'a mut reqwest::Request,
}

impl Outgoing<'_> {
    /// The request's method.
    ///
    /// ```
    /// # use connector_http::Outgoing;
    /// fn is_read(request: &Outgoing<'_>) -> bool {
    ///     request.method() == connector_http::Method::GET
    /// }
    /// ```
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The request's URL. It may hold secrets: never log it.
    ///
    /// ```
    /// # use connector_http::Outgoing;
    /// fn path(request: &Outgoing<'_>) -> String {
    ///     request.url().path().to_string()
    /// }
    /// ```
    pub fn url(&self) -> &Url {
        self.request.url()
    }

    /// Sets a header, replacing any of the same name. Its value is marked sensitive: the client
    /// never shows it.
    ///
    /// ```
    /// # use connector_http::{Outgoing, Secret};
    /// fn add_key(request: &mut Outgoing<'_>, key: &Secret) -> connector_http::Result<()> {
    ///     request.set_header("X-API-Key", key.expose())
    /// }
    /// ```
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<()> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Build {
            message: format!("`{name}` is not a header name"),
        })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| Error::Build {
            message: format!("the value of header `{name}` holds characters a header cannot"),
        })?;
        value.set_sensitive(true);
        self.request.headers_mut().insert(name, value);
        Ok(())
    }

    /// Sets a query parameter, replacing any of the same name.
    ///
    /// ```
    /// # use connector_http::{Outgoing, Secret};
    /// fn add_key(request: &mut Outgoing<'_>, key: &Secret) {
    ///     request.set_query("access_key", key.expose());
    /// }
    /// ```
    pub fn set_query(&mut self, name: &str, value: &str) {
        crate::client::set_query(self.request.url_mut(), name, value);
    }
}

/// Where an API key goes.
#[derive(Clone, Debug)]
enum KeyPlace {
    Header { name: String, prefix: String },
    Query { name: String },
}

/// An API key, sent in a header or a query parameter on every request.
///
/// ```
/// use connector_http::{ApiKey, Client, Secret};
///
/// let key = Secret::new("k-123");
/// // X-API-Key: k-123
/// let in_header = ApiKey::header("X-API-Key", key.clone());
/// // Authorization: apiKey k-123 (the playground's scheme)
/// let with_prefix = ApiKey::header("Authorization", key.clone()).prefix("apiKey ");
/// // ?access_key=k-123 (shown as access_key=*** in errors and logs)
/// let in_query = ApiKey::query("access_key", key);
/// let http = Client::builder("my_connector").auth(in_query).build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ApiKey {
    key: Secret,
    place: KeyPlace,
}

impl ApiKey {
    /// The key in header `name`, as it is (see [`prefix`](ApiKey::prefix)).
    ///
    /// ```
    /// let auth = connector_http::ApiKey::header("X-API-Key", "k-123".into());
    /// ```
    pub fn header(name: impl Into<String>, key: Secret) -> Self {
        ApiKey {
            key,
            place: KeyPlace::Header {
                name: name.into(),
                prefix: String::new(),
            },
        }
    }

    /// The key in query parameter `name`. The parameter's value is hidden in every URL the
    /// client shows.
    ///
    /// ```
    /// let auth = connector_http::ApiKey::query("api_key", "k-123".into());
    /// ```
    pub fn query(name: impl Into<String>, key: Secret) -> Self {
        ApiKey {
            key,
            place: KeyPlace::Query { name: name.into() },
        }
    }

    /// Text sent before the key in its header (`"apiKey "`, `"Token "`). No effect on a key in a
    /// query parameter.
    ///
    /// ```
    /// let auth = connector_http::ApiKey::header("Authorization", "k-123".into()).prefix("apiKey ");
    /// ```
    pub fn prefix(mut self, text: impl Into<String>) -> Self {
        if let KeyPlace::Header { prefix, .. } = &mut self.place {
            *prefix = text.into();
        }
        self
    }
}

impl Authenticate for ApiKey {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        _http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            match &self.place {
                KeyPlace::Header { name, prefix } => {
                    request.set_header(name, &format!("{prefix}{}", self.key.expose()))?
                }
                KeyPlace::Query { name } => request.set_query(name, self.key.expose()),
            }
            Ok(None)
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.key.clone()]
    }

    fn secret_parameters(&self) -> Vec<String> {
        match &self.place {
            KeyPlace::Query { name } => vec![name.clone()],
            KeyPlace::Header { .. } => Vec::new(),
        }
    }
}

/// HTTP basic authentication: `Authorization: Basic base64(username:password)`.
///
/// ```
/// use connector_http::{Basic, Client, Secret};
///
/// let http = Client::builder("my_connector")
///     .auth(Basic::new("reader", Secret::new("pa55word")))
///     .build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Basic {
    username: String,
    password: Secret,
    /// `Basic base64(username:password)`, made once.
    header: Secret,
}

impl Basic {
    /// Basic authentication as `username` with `password`.
    ///
    /// ```
    /// let auth = connector_http::Basic::new("reader", "pa55word".into());
    /// ```
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        let username = username.into();
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{}", password.expose()));
        Basic {
            username,
            password,
            header: Secret::new(format!("Basic {encoded}")),
        }
    }

    /// The user name.
    ///
    /// ```
    /// let auth = connector_http::Basic::new("reader", "pa55word".into());
    /// assert_eq!(auth.username(), "reader");
    /// ```
    pub fn username(&self) -> &str {
        &self.username
    }

    /// `Basic base64(username:password)`.
    pub(crate) fn header_value(&self) -> &Secret {
        &self.header
    }
}

impl Authenticate for Basic {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        _http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            request.set_header(AUTHORIZATION.as_str(), self.header.expose())?;
            Ok(None)
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.password.clone(), self.header.clone()]
    }
}

/// A fixed bearer token: `Authorization: Bearer <token>`.
///
/// ```
/// use connector_http::{Bearer, Client, Secret};
///
/// let http = Client::builder("my_connector")
///     .auth(Bearer::new(Secret::new("t0k3n")))
///     .build()?;
/// # Ok::<(), connector_http::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Bearer {
    token: Secret,
}

impl Bearer {
    /// Bearer authentication with `token`.
    ///
    /// ```
    /// let auth = connector_http::Bearer::new("t0k3n".into());
    /// ```
    pub fn new(token: Secret) -> Self {
        Bearer { token }
    }
}

impl Authenticate for Bearer {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Outgoing<'_>,
        _http: &'a Client,
    ) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            request.set_header(
                AUTHORIZATION.as_str(),
                &format!("Bearer {}", self.token.expose()),
            )?;
            Ok(None)
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.token.clone()]
    }
}

/// Where a fetched token goes: a header and the text before the token.
#[derive(Clone, Debug)]
pub(crate) struct Placement {
    pub(crate) header: String,
    pub(crate) prefix: String,
}

impl Default for Placement {
    fn default() -> Self {
        Placement {
            header: AUTHORIZATION.as_str().to_string(),
            prefix: String::from("Bearer "),
        }
    }
}

impl Placement {
    pub(crate) fn apply(&self, request: &mut Outgoing<'_>, token: &Secret) -> Result<()> {
        request.set_header(&self.header, &format!("{}{}", self.prefix, token.expose()))
    }
}
