//! Configuration values beyond text. Fivetran hands every value over as a string; the
//! `Configuration` derive parses each field by its Rust type, so the sync gets a list, an integer,
//! a boolean and a list of JSON objects instead of casting strings itself:
//!
//! | field          | Rust type                  | accepted text                                   |
//! |----------------|----------------------------|-------------------------------------------------|
//! | `regions`      | `Vec<String>`              | `us-east-1,us-east-4` or `["us-east-1", ...]`   |
//! | `api_quota`    | `u32`                      | `12345`                                         |
//! | `use_bulk_api` | `bool` (default `false`)   | `true`/`false`, `yes`/`no`, `1`/`0`, `on`/`off` |
//! | `currencies`   | `Vec<CurrencyPair>` (json) | `[{"From": "USD", "To": "EUR"}, ...]`           |
//! | `base_currency`| `Option<String>`           | `USD`, or absent/empty for none                 |
//!
//! The fields describe an imagined currency API. As in the Python original, the sync calls no
//! source: once the configuration has parsed, it writes one row, `hello world`, into `crypto`.

use connector_core::prelude::*;
use connector_core::serde;

/// One conversion the source should report, as the configuration writes it:
/// `{"From": "USD", "To": "EUR"}`. Read with `#[field(json)]`, so a missing key or a number
/// where text belongs is a configuration error, not a panic in the sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(crate = "connector_core::serde", deny_unknown_fields)]
pub struct CurrencyPair {
    #[serde(rename = "From")]
    pub from: String,
    #[serde(rename = "To")]
    pub to: String,
}

#[derive(Debug, Configuration)]
pub struct Config {
    #[field(description = "Regions to sync: comma-separated, or a JSON array of strings")]
    pub regions: Vec<String>,
    #[field(description = "API calls the connector may make in one sync")]
    pub api_quota: u32,
    #[field(
        label = "Use the bulk API",
        description = "One call per region instead of one per currency pair",
        default = "false"
    )]
    pub use_bulk_api: bool,
    #[field(
        json,
        description = r#"A JSON array of pairs: [{"From": "USD", "To": "EUR"}]"#
    )]
    pub currencies: Vec<CurrencyPair>,
    #[field(description = "Only sync pairs from this currency; leave empty for all")]
    pub base_currency: Option<String>,
}

/// The table the Python original writes: one column, `msg`, which is also the key.
#[table(name = "crypto")]
pub struct Crypto {
    #[primary_key]
    pub msg: String,
}

/// The configuration arrives parsed and checked: a value that does not parse fails the sync
/// before this function runs, with every bad field named. A real connector would call its source
/// with these values; the Python original only parses them and writes one row, and so does this
/// port.
#[sync(tables(Crypto))]
pub async fn update(ops: &Operations, _config: &Config) -> Result<()> {
    ops.upsert(Crypto {
        msg: "hello world".to_string(),
    })
    .await?;
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

    fn example() -> serde_json::Value {
        serde_json::from_str(include_str!("../configuration.json")).unwrap()
    }

    /// The example configuration with some fields replaced (`null` removes a field).
    fn with(changes: serde_json::Value) -> serde_json::Value {
        let mut configuration = example();
        for (key, value) in changes.as_object().unwrap() {
            match value {
                serde_json::Value::Null => configuration.as_object_mut().unwrap().remove(key),
                value => configuration
                    .as_object_mut()
                    .unwrap()
                    .insert(key.clone(), value.clone()),
            };
        }
        configuration
    }

    fn parse(configuration: serde_json::Value) -> Result<Config, ConfigError> {
        Config::from_map(&configuration_map(configuration))
    }

    fn pair(from: &str, to: &str) -> CurrencyPair {
        CurrencyPair {
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    #[test]
    fn the_example_configuration_parses_into_typed_values() {
        let config = parse(example()).unwrap();
        assert_eq!(config.regions, ["us-east-1", "us-east-4", "us-central-1"]);
        assert_eq!(config.api_quota, 12345);
        assert!(config.use_bulk_api);
        assert_eq!(config.currencies, [pair("USD", "EUR"), pair("USD", "GBP")]);
        assert_eq!(config.base_currency, None);
    }

    #[test]
    fn a_list_is_comma_separated_text_or_a_json_array() {
        let comma = parse(with(json!({"regions": " eu-west-1 ,, eu-north-1 "}))).unwrap();
        assert_eq!(comma.regions, ["eu-west-1", "eu-north-1"]);
        // A JSON array can hold a comma inside an item.
        let array = parse(with(json!({"regions": r#"["eu-west-1", "a,b"]"#}))).unwrap();
        assert_eq!(array.regions, ["eu-west-1", "a,b"]);
    }

    #[test]
    fn integers_and_booleans_are_parsed_and_checked() {
        let config = parse(with(json!({"api_quota": " 7 ", "use_bulk_api": "No"}))).unwrap();
        assert_eq!(config.api_quota, 7);
        assert!(!config.use_bulk_api);

        let error = parse(with(json!({"api_quota": "-1", "use_bulk_api": "maybe"}))).unwrap_err();
        let fields: Vec<&str> = error.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["api_quota", "use_bulk_api"]);
        assert!(
            error.to_string().contains("must be true or false"),
            "{error}"
        );
    }

    #[test]
    fn a_default_fills_an_absent_field_and_an_option_may_be_absent() {
        let config = parse(with(json!({"use_bulk_api": null, "base_currency": null}))).unwrap();
        assert!(!config.use_bulk_api);
        assert_eq!(config.base_currency, None);
        let empty = parse(with(json!({"base_currency": ""}))).unwrap();
        assert_eq!(empty.base_currency, None);
        let set = parse(with(json!({"base_currency": "USD"}))).unwrap();
        assert_eq!(set.base_currency.as_deref(), Some("USD"));
        // Without a default, absence is an error.
        let error = parse(with(json!({"api_quota": null}))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: `api_quota` is required but missing"
        );
    }

    #[test]
    fn json_objects_must_have_the_expected_shape() {
        let other = parse(with(
            json!({"currencies": r#"[{"From": "EUR", "To": "JPY"}]"#}),
        ))
        .unwrap();
        assert_eq!(other.currencies, [pair("EUR", "JPY")]);

        let missing_key = parse(with(json!({"currencies": r#"[{"From": "USD"}]"#}))).unwrap_err();
        assert_eq!(missing_key.problems[0].field, "currencies");
        assert!(
            missing_key.to_string().contains("unexpected shape"),
            "{missing_key}"
        );
        let not_json = parse(with(json!({"currencies": "USD->EUR"}))).unwrap_err();
        assert!(not_json.to_string().contains("syntax error"), "{not_json}");
    }

    #[test]
    fn the_form_shows_a_toggle_for_the_boolean() {
        let form = Config::form();
        let field = |name: &str| form.fields.iter().find(|f| f.name == name).unwrap();
        assert_eq!(field("use_bulk_api").kind, FieldKind::ToggleField);
        assert!(!field("use_bulk_api").required);
        assert_eq!(
            field("currencies").kind,
            FieldKind::TextField(TextField::PlainText)
        );
        assert!(!field("base_currency").required);
        assert!(field("regions").required);
    }

    /// What the Python original leaves (its schema and "Resulting table" comment, plus the
    /// system columns the comment leaves out): `crypto` keyed by `msg` STRING, one row, and the
    /// state `{}` after one checkpoint.
    #[tokio::test]
    async fn writes_what_the_python_original_writes() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(example()).await.unwrap();
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
        assert_eq!(rows[0].get("msg"), Some(&Value::from("hello world")));
        assert_eq!(run.states, [json!({})]);
        assert_eq!(destination.state(), json!({}));
    }

    /// Where Python's `int(...)` or `json.loads(...)` would raise inside `update()`, the sync
    /// does not start: nothing is written and the state stays as it was.
    #[tokio::test]
    async fn a_bad_value_fails_the_sync_before_it_writes_anything() {
        let mut destination = Destination::new();
        let failed = destination
            .sync::<update>(with(json!({"api_quota": "lots", "currencies": "USD->EUR"})))
            .await
            .unwrap_err();
        let SyncError::Configuration(error) = &failed.error else {
            panic!("expected a configuration error, got {failed}");
        };
        let fields: Vec<&str> = error.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["api_quota", "currencies"]);
        assert!(destination.warehouse().tables().is_empty());
        assert_eq!(destination.state(), json!({}));
    }
}
