//! A secret in the configuration. `my_key` holds a Fernet key; the sync decrypts a message with
//! it and upserts the plain text into `crypto`, as the Python SDK's `configuration` example does.
//! The key is checked when the configuration is read, before the sync starts, and it never
//! reaches a log line or an error: not when it is malformed, not when it is the wrong key.

use std::fmt;

use connector_core::ConfigValue;
use connector_core::prelude::*;
use fernet::Fernet;

/// The message, encrypted with the key in this example's `configuration.json` (the Python
/// original's token).
const ENCRYPTED_MESSAGE: &str = "gAAAAABl-3QGKUHpdUhBNpnW1_SnSkQGrAwev-uBBJaZo4NmtylIMg8UX6usuG4Z-h80OvfJajW6HU56O5hofapEIh4W33vuMpJgq0q3qMQx6R3Ol4qZ3Wc2DyIIapxbK5BrQHshBF95";

/// A Fernet key: 32 bytes in URL-safe base64. A newtype so that the key is checked once, when
/// the configuration is read, and so that it cannot end up in a log by accident: its `Debug`
/// hides it.
pub struct FernetKey(Fernet);

impl FernetKey {
    /// Decrypts a Fernet token into text. A wrong key and a tampered token fail alike, and the
    /// error names neither the key nor the token.
    pub fn decrypt(&self, token: &str) -> Result<String> {
        let bytes = self.0.decrypt(token).map_err(|_| {
            anyhow!("the key in `my_key` does not decrypt the message: it is not the key the message was encrypted with")
        })?;
        String::from_utf8(bytes).context("the decrypted message is not UTF-8 text")
    }
}

impl fmt::Debug for FernetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FernetKey(<secret>)")
    }
}

impl ConfigValue for FernetKey {
    /// The error says what a key looks like and never repeats the text: it may be a real key
    /// pasted into the wrong field.
    fn parse(text: &str) -> Result<Self, String> {
        Fernet::new(text.trim()).map(FernetKey).ok_or_else(|| {
            "must be a Fernet key: 32 bytes in URL-safe base64 (44 characters ending in `=`)"
                .to_string()
        })
    }
}

#[derive(Debug, Configuration)]
#[setup_test(check_key, label = "Decrypting the message with the key")]
pub struct Config {
    #[field(
        label = "Decryption key",
        description = "The Fernet key the message was encrypted with",
        secret
    )]
    pub my_key: FernetKey,
}

/// The setup test behind the form's "Test" button: decrypts the message, writes nothing.
async fn check_key(config: &Config) -> Result<()> {
    config.my_key.decrypt(ENCRYPTED_MESSAGE)?;
    Ok(())
}

/// The decrypted message, keyed by itself as in the Python original.
#[table(name = "crypto")]
pub struct Crypto {
    #[primary_key]
    pub msg: String,
}

#[sync(tables(Crypto))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    let msg = config.my_key.decrypt(ENCRYPTED_MESSAGE)?;
    ops.upsert(Crypto { msg }).await?;
    // The sync keeps no state; the checkpoint saves `{}` and makes the row durable.
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::{Destination, configuration_map};
    use connector_core::{ConfigError, Configuration, SyncError, serde_json};
    use connector_core::{FieldKind, TextField};

    /// The key in `configuration.json`, which the Python original ships too.
    const KEY: &str = "EKlFpH8sZmdhhZ9lGhezgMTwAw3_Y2e7wbco7Gxt3SA=";
    /// A well-formed Fernet key that is not the message's.
    const OTHER_KEY: &str = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
    const NOT_A_KEY: &str = "hunter2-is-not-a-key";

    fn parse(configuration: serde_json::Value) -> Result<Config, ConfigError> {
        Config::from_map(&configuration_map(configuration))
    }

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `crypto` keyed by `msg` STRING, the decrypted
    /// message as its one row, and the state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let configuration: serde_json::Value =
            serde_json::from_str(include_str!("../configuration.json")).unwrap();
        let mut destination = Destination::new();
        let run = destination.sync::<update>(configuration).await.unwrap();

        assert_eq!(destination.table_names(), ["crypto"]);
        assert_eq!(
            destination.table("crypto").columns(),
            [
                ("msg", Some(DataType::String)),
                ("_fivetran_deleted", Some(DataType::Boolean)),
                ("_fivetran_synced", Some(DataType::UtcDatetime)),
            ]
        );
        assert_eq!(destination.table("crypto").primary_key(), ["msg"]);
        let rows = destination.table("crypto").live_rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].get("msg"),
            Some(&Value::from(
                "If you can read this, you have the correct key"
            ))
        );
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    #[tokio::test]
    async fn a_malformed_key_fails_before_the_sync_and_is_not_shown() {
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(json!({"my_key": NOT_A_KEY}))
            .await
            .unwrap_err();
        let SyncError::Configuration(error) = &failed.error else {
            panic!("expected a configuration error, got {failed}");
        };
        assert_eq!(error.problems.len(), 1);
        assert_eq!(error.problems[0].field, "my_key");
        let message = failed.to_string();
        assert!(!message.contains(NOT_A_KEY), "{message}");
        assert!(message.contains("must be a Fernet key"), "{message}");
        assert!(message.contains("not shown"), "{message}");
        // Nothing ran, so nothing was written.
        assert!(destination.warehouse().tables().is_empty());
    }

    #[tokio::test]
    async fn the_wrong_key_fails_the_sync_without_naming_it() {
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(json!({"my_key": OTHER_KEY}))
            .await
            .unwrap_err();
        let message = failed.to_string();
        assert!(
            message.contains("does not decrypt the message"),
            "{message}"
        );
        assert!(!message.contains(OTHER_KEY), "{message}");
        assert!(failed.run.states.is_empty());
        let rows = destination.warehouse().tables().iter().map(|t| t.len());
        assert_eq!(rows.sum::<usize>(), 0);
    }

    #[test]
    fn a_missing_key_is_reported_as_missing() {
        let error = parse(json!({})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: `my_key` is required but missing"
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = parse(json!({"my_key": KEY})).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("FernetKey(<secret>)"), "{debug}");
    }

    #[test]
    fn the_form_shows_the_key_as_a_password_and_lists_the_setup_test() {
        let form = Config::form();
        assert_eq!(form.fields.len(), 1);
        let my_key = &form.fields[0];
        assert_eq!(my_key.name, "my_key");
        assert_eq!(my_key.label, "Decryption key");
        assert_eq!(my_key.kind, FieldKind::TextField(TextField::Password));
        assert!(my_key.required);

        assert_eq!(Config::secret_fields(), ["my_key"]);
        assert_eq!(form.tests.len(), 1);
        assert_eq!(form.tests[0].name, "check_key");
    }

    #[tokio::test]
    async fn the_setup_test_accepts_the_key_and_refuses_another() {
        let tests = Config::setup_tests();
        let good = parse(json!({"my_key": KEY})).unwrap();
        assert!((tests[0].run)(&good).await.is_ok());

        let wrong = parse(json!({"my_key": OTHER_KEY})).unwrap();
        let error = (tests[0].run)(&wrong).await.unwrap_err().to_string();
        assert!(error.contains("does not decrypt the message"), "{error}");
        assert!(!error.contains(OTHER_KEY), "{error}");
    }
}
