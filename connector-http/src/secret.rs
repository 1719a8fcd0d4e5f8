//! Secrets: the [`Secret`] string every credential is held in, and the hiding of secrets in the
//! URLs and texts that reach an error or a log line.
//!
//! A [`Secret`] prints `***` in `Debug` and `Display`; its value is read with
//! [`Secret::expose`] alone. A client knows the secrets of its authentication and those given to
//! [`ClientBuilder::secret`](crate::ClientBuilder::secret); every URL it names in an error or a
//! log line has the values of query parameters with a secret name (`api_key`, `token`,
//! `client_secret`, ...) or a secret value replaced by `***`, and the password of the URL's user
//! information too. Header values never reach an error or a log line.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use url::Url;

/// A credential: an API key, a password, a token. `Debug` and `Display` print `***`; the value is
/// read with [`expose`](Secret::expose), where it is sent.
///
/// Cloning is cheap (the text is shared). It deserializes from a string, so a configuration
/// field can be a `Secret`; it does not serialize, so it cannot slip into a saved state.
///
/// ```
/// use connector_http::Secret;
///
/// let key = Secret::new("sk-12345");
/// assert_eq!(format!("{key} {key:?}"), "*** ***");
/// assert_eq!(key.expose(), "sk-12345");
///
/// #[derive(serde::Deserialize)]
/// struct Config { api_key: Secret }
/// let config: Config = serde_json::from_str(r#"{"api_key": "sk-12345"}"#).unwrap();
/// assert_eq!(config.api_key, key);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Arc<str>);

impl Secret {
    /// A secret holding `value`.
    ///
    /// ```
    /// let token = connector_http::Secret::new(String::from("t0k3n"));
    /// assert_eq!(token.expose(), "t0k3n");
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    /// The secret's value, to send it. Never log it.
    ///
    /// ```
    /// let token = connector_http::Secret::new("t0k3n");
    /// let header = format!("Bearer {}", token.expose());
    /// # assert_eq!(header, "Bearer t0k3n");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty (an unset configuration field).
    ///
    /// ```
    /// assert!(connector_http::Secret::new("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Names of query parameters whose values are hidden whatever they hold, compared without case.
const SECRET_PARAMETERS: &[&str] = &[
    "access_key",
    "access_token",
    "api-key",
    "api_key",
    "apikey",
    "auth",
    "client_secret",
    "code",
    "key",
    "password",
    "passwd",
    "refresh_token",
    "secret",
    "sig",
    "signature",
    "token",
];

/// What a client hides: secret parameter names and secret values.
#[derive(Clone, Debug, Default)]
pub(crate) struct Redactor {
    names: BTreeSet<String>,
    /// Longest first, so a secret that holds another is hidden whole.
    values: Vec<Secret>,
}

impl Redactor {
    pub(crate) fn new() -> Self {
        Redactor {
            names: SECRET_PARAMETERS.iter().map(|n| n.to_string()).collect(),
            values: Vec::new(),
        }
    }

    pub(crate) fn add_name(&mut self, name: &str) {
        self.names.insert(name.to_ascii_lowercase());
    }

    pub(crate) fn add_value(&mut self, secret: &Secret) {
        // A one-character secret would star out half of every message; it hides nothing anyway.
        if secret.expose().len() < 2 || self.values.contains(secret) {
            return;
        }
        self.values.push(secret.clone());
        self.values
            .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
    }

    /// The length of the longest secret value, in bytes.
    pub(crate) fn longest(&self) -> usize {
        self.values.first().map_or(0, |s| s.expose().len())
    }

    /// `text` with every secret value replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        self.values.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.expose(), "***")
        })
    }

    /// `url` as it may be shown: the password of its user information and the values of secret
    /// query parameters are `***`, and so is any secret value elsewhere in it.
    pub(crate) fn url(&self, url: &Url) -> String {
        let mut shown = url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        if shown.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(name, value)| {
                    let hidden = self.names.contains(&name.to_ascii_lowercase())
                        || self.values.iter().any(|s| value.contains(s.expose()));
                    let value = if hidden {
                        "***".to_string()
                    } else {
                        value.into_owned()
                    };
                    (name.into_owned(), value)
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        // Secret values in the path are hidden too.
        self.text(shown.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_hide_secret_parameters_values_and_passwords() {
        let mut redactor = Redactor::new();
        redactor.add_value(&Secret::new("s3cr3t"));
        redactor.add_name("X-Custom");
        let url = Url::parse(
            "https://user:pw@api.test/v1/s3cr3t/items?page=2&API_KEY=abc&x-custom=1&q=is-s3cr3t-here",
        )
        .unwrap();
        assert_eq!(
            redactor.url(&url),
            "https://user:***@api.test/v1/***/items?page=2&API_KEY=***&x-custom=***&q=***"
        );
    }

    #[test]
    fn longer_secrets_are_hidden_whole() {
        let mut redactor = Redactor::new();
        redactor.add_value(&Secret::new("abc"));
        redactor.add_value(&Secret::new("abcdef"));
        redactor.add_value(&Secret::new("x"));
        assert_eq!(redactor.text("abcdef abc x"), "*** *** x");
    }
}
