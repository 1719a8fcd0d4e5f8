//! A typed configuration: a secret API key, a dropdown and a field with a default, read from
//! `configuration.json` (or the setup form) into a struct before the sync starts. A bad
//! configuration fails with one error that names every bad field and never shows the secret.

use std::fmt;
use std::time::Duration;

use connector_core::ConfigValue;
use connector_core::prelude::*;

/// The source's API key. A newtype so that the key is checked once, when the configuration is
/// read, and so that it cannot end up in a log by accident: its `Debug` hides the value.
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the one place that sends it to the source.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<secret>)")
    }
}

impl ConfigValue for ApiKey {
    /// The error says what a key looks like and never repeats the text: it may be a real key
    /// pasted into the wrong field.
    fn parse(text: &str) -> Result<Self, String> {
        let key = text.trim();
        let well_formed = key.len() >= 32
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='));
        if well_formed {
            Ok(ApiKey(key.to_string()))
        } else {
            Err("must be an API key of at least 32 letters, digits, `-`, `_` or `=`".to_string())
        }
    }
}

/// Where the source keeps the data; a dropdown in the setup form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Dropdown)]
pub enum Region {
    #[dropdown(value = "us")]
    Us,
    #[dropdown(value = "eu")]
    Eu,
}

#[derive(Debug, Configuration)]
#[setup_test(check_api_key, label = "Checking that the source accepts the API key")]
pub struct Config {
    #[field(
        label = "API key",
        description = "The key from the source's settings page",
        secret
    )]
    pub api_key: ApiKey,
    #[field(description = "Where the source keeps the data")]
    pub region: Region,
    #[field(
        label = "Request timeout (seconds)",
        description = "How long to wait for the source before the sync fails",
        default = "30"
    )]
    pub timeout_seconds: u64,
}

/// The setup test behind the form's "Test" button: one call with the key, nothing written.
async fn check_api_key(config: &Config) -> Result<()> {
    source::fetch_message(&config.api_key).await?;
    Ok(())
}

/// The table the message lands in, keyed by the message as in the Python original.
#[table(name = "crypto")]
pub struct Crypto {
    #[primary_key]
    pub msg: String,
    pub region: String,
}

#[sync(tables(Crypto))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    let timeout = Duration::from_secs(config.timeout_seconds);
    let msg = connector_core::tokio::time::timeout(timeout, source::fetch_message(&config.api_key))
        .await
        .with_context(|| format!("the source did not answer within {timeout:?}"))??;
    ops.upsert(Crypto {
        msg,
        region: config.region.to_string(),
    })
    .await?;
    // Nothing to resume from: the checkpoint only makes the row durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

/// The emulated source: it answers only to its demo key. (The Python original decrypts a Fernet
/// token with the key; the examples here depend on `connector-core` alone, so the source checks
/// the key instead of a cipher doing it.)
mod source {
    use super::ApiKey;
    use connector_core::prelude::*;

    /// The key in this example's `configuration.json`.
    pub const DEMO_KEY: &str = "EKlFpH8sZmdhhZ9lGhezgMTwAw3_Y2e7wbco7Gxt3SA=";

    pub async fn fetch_message(key: &ApiKey) -> Result<String> {
        if key.expose() != DEMO_KEY {
            // Like a real API, the refusal names no part of the key.
            bail!("the source refused the API key (401 Unauthorized)");
        }
        Ok("If you can read this, you have the correct key".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::SyncError;
    use connector_core::testing::{Destination, configuration_map};
    use connector_core::{ConfigError, Configuration, serde_json};
    use connector_core::{FieldKind, TextField};

    const BAD_KEY: &str = "hunter2-is-not-a-key";

    fn parse(configuration: serde_json::Value) -> Result<Config, ConfigError> {
        Config::from_map(&configuration_map(configuration))
    }

    #[tokio::test]
    async fn the_example_configuration_syncs_the_message() {
        let configuration: serde_json::Value =
            serde_json::from_str(include_str!("../configuration.json")).unwrap();
        let mut destination = Destination::new();
        destination.sync::<update>(configuration).await.unwrap();
        let rows = destination.table("crypto").live_rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].get("msg"),
            Some(&Value::from(
                "If you can read this, you have the correct key"
            ))
        );
        assert_eq!(rows[0].get("region"), Some(&Value::from("us")));
    }

    #[test]
    fn fields_are_typed_and_the_default_fills_a_missing_one() {
        let config = parse(json!({"api_key": source::DEMO_KEY, "region": "EU"})).unwrap();
        assert_eq!(config.api_key.expose(), source::DEMO_KEY);
        assert_eq!(config.region, Region::Eu);
        assert_eq!(config.timeout_seconds, 30);
    }

    #[tokio::test]
    async fn a_bad_configuration_names_every_bad_field_and_hides_the_secret() {
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(json!({
                "api_key": BAD_KEY,
                "region": "mars",
                "timeout_seconds": "soon",
            }))
            .await
            .unwrap_err();
        let SyncError::Configuration(error) = &failed.error else {
            panic!("expected a configuration error, got {failed}");
        };
        let fields: Vec<&str> = error.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["api_key", "region", "timeout_seconds"]);

        let message = failed.to_string();
        assert!(!message.contains(BAD_KEY), "{message}");
        assert!(
            message.contains("`api_key` must be an API key"),
            "{message}"
        );
        assert!(message.contains("not shown"), "{message}");
        // Values of fields that are not secret are quoted, to help find the typo.
        assert!(
            message.contains("`region` must be one of `us`, `eu`, not \"mars\""),
            "{message}"
        );
        assert!(message.contains("\"soon\""), "{message}");
        // Nothing ran, so nothing was written.
        assert!(destination.warehouse().tables().is_empty());
    }

    #[test]
    fn a_missing_secret_is_reported_as_missing() {
        let error = parse(json!({"region": "us"})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: `api_key` is required but missing"
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = parse(json!({"api_key": source::DEMO_KEY, "region": "us"})).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(source::DEMO_KEY), "{debug}");
        assert!(debug.contains("ApiKey(<secret>)"), "{debug}");
    }

    #[test]
    fn the_form_shows_the_key_as_a_password_and_lists_the_setup_test() {
        let form = Config::form();
        let field = |name: &str| form.fields.iter().find(|f| f.name == name).unwrap();

        let api_key = field("api_key");
        assert_eq!(api_key.label, "API key");
        assert_eq!(api_key.kind, FieldKind::TextField(TextField::Password));
        assert!(api_key.required);

        let region = field("region");
        assert_eq!(
            region.kind,
            FieldKind::DropdownField(vec!["us".to_string(), "eu".to_string()])
        );
        assert!(region.required);

        let timeout = field("timeout_seconds");
        assert_eq!(timeout.kind, FieldKind::TextField(TextField::PlainText));
        assert_eq!(timeout.default_value.as_deref(), Some("30"));
        assert!(!timeout.required);

        assert_eq!(Config::secret_fields(), ["api_key"]);
        assert_eq!(form.tests.len(), 1);
        assert_eq!(form.tests[0].name, "check_api_key");
    }

    #[tokio::test]
    async fn the_setup_test_accepts_the_demo_key_and_refuses_another() {
        let tests = Config::setup_tests();
        let good = parse(json!({"api_key": source::DEMO_KEY, "region": "us"})).unwrap();
        assert!((tests[0].run)(&good).await.is_ok());

        let other_key = "A".repeat(44);
        let wrong = parse(json!({"api_key": other_key, "region": "us"})).unwrap();
        let error = (tests[0].run)(&wrong).await.unwrap_err().to_string();
        assert!(error.contains("refused the API key"), "{error}");
        assert!(!error.contains(&other_key), "{error}");
    }
}
