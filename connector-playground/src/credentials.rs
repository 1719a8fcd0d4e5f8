//! The credentials the `/auth/*` endpoints accept.
//!
//! The original makes random ones at every start and prints them; here they are fixed (and
//! documented below) so that an example's `configuration.json` works against every run, and a test
//! may set its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The fixed API key: `Authorization: apiKey playground-api-key`.
pub const DEFAULT_API_KEY: &str = "playground-api-key";
/// The fixed bearer token: `Authorization: Bearer playground-bearer-token`.
pub const DEFAULT_BEARER_TOKEN: &str = "playground-bearer-token";
/// The fixed HTTP basic user name.
pub const DEFAULT_BASIC_USERNAME: &str = "basic@example.com";
/// The fixed HTTP basic password.
pub const DEFAULT_BASIC_PASSWORD: &str = "basic-password";
/// The fixed user name for `/auth/session_token/login`.
pub const DEFAULT_SESSION_USERNAME: &str = "session@example.com";
/// The fixed password for `/auth/session_token/login`.
pub const DEFAULT_SESSION_PASSWORD: &str = "session-password";

/// What each `/auth/*` endpoint accepts.
///
/// ```
/// use connector_playground::Credentials;
///
/// let credentials = Credentials::default();
/// assert_eq!(credentials.api_key, "playground-api-key");
/// assert_eq!(credentials.api_key_header(), "apiKey playground-api-key");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Accepted by `/auth/api_key` as `Authorization: apiKey <api_key>`.
    pub api_key: String,
    /// Accepted by `/auth/http_bearer` as `Authorization: Bearer <bearer_token>`.
    pub bearer_token: String,
    /// The user name of `/auth/http_basic`.
    pub basic_username: String,
    /// The password of `/auth/http_basic`.
    pub basic_password: String,
    /// The user name `/auth/session_token/login` accepts.
    pub session_username: String,
    /// The password `/auth/session_token/login` accepts.
    pub session_password: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            api_key: DEFAULT_API_KEY.into(),
            bearer_token: DEFAULT_BEARER_TOKEN.into(),
            basic_username: DEFAULT_BASIC_USERNAME.into(),
            basic_password: DEFAULT_BASIC_PASSWORD.into(),
            session_username: DEFAULT_SESSION_USERNAME.into(),
            session_password: DEFAULT_SESSION_PASSWORD.into(),
        }
    }
}

impl Credentials {
    /// The `Authorization` value `/auth/api_key` accepts: `apiKey <api_key>`.
    pub fn api_key_header(&self) -> String {
        format!("apiKey {}", self.api_key)
    }

    /// The `Authorization` value `/auth/http_bearer` accepts: `Bearer <bearer_token>`.
    pub fn bearer_header(&self) -> String {
        format!("Bearer {}", self.bearer_token)
    }

    /// The `Authorization` value `/auth/http_basic` accepts: `Basic base64(user:password)`.
    pub fn basic_header(&self) -> String {
        format!("Basic {}", self.basic_encoded())
    }

    /// `base64(basic_username:basic_password)`, the only form `/auth/http_basic` accepts.
    pub(crate) fn basic_encoded(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.basic_username, self.basic_password))
    }

    /// Session tokens are `base64(user:password:expiry)` split on `:` when read back, so a colon
    /// in the session user name or password would make every token unreadable.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.session_username.contains(':') || self.session_password.contains(':') {
            return Err("the session user name and password may not contain ':'".into());
        }
        if self.session_username.is_empty() || self.session_password.is_empty() {
            return Err("the session user name and password may not be empty".into());
        }
        Ok(())
    }
}
