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

/// One currency pair served in one region.
#[table(name = "currency_pairs")]
pub struct CurrencyPairRow {
    #[primary_key]
    pub region: String,
    #[primary_key]
    pub from_currency: String,
    #[primary_key]
    pub to_currency: String,
    /// Whether the pair came from the bulk API.
    pub bulk: bool,
}

#[sync(tables(CurrencyPairRow))]
pub async fn update(ops: &Operations, config: &Config) -> Result<()> {
    let pairs: Vec<&CurrencyPair> = config
        .currencies
        .iter()
        .filter(|pair| {
            config
                .base_currency
                .as_deref()
                .is_none_or(|base| pair.from.eq_ignore_ascii_case(base))
        })
        .collect();
    // The emulated source charges one call per region with the bulk API, one per pair without.
    let calls_per_region = if config.use_bulk_api { 1 } else { pairs.len() };
    let mut calls = 0;
    for region in &config.regions {
        if calls + calls_per_region > config.api_quota as usize {
            // Stop cleanly at the quota: what was fetched so far is still delivered.
            ops.warning(format!(
                "API quota of {} calls reached; skipping region {region} and the ones after it",
                config.api_quota
            ))
            .await?;
            break;
        }
        calls += calls_per_region;
        for pair in &pairs {
            ops.upsert(CurrencyPairRow {
                region: region.clone(),
                from_currency: pair.from.clone(),
                to_currency: pair.to.clone(),
                bulk: config.use_bulk_api,
            })
            .await?;
        }
    }
    ops.checkpoint(&json!({})).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::{Destination, configuration_map};
    use connector_core::{ConfigError, Configuration, serde_json};
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

    /// The rows as `(region, from, to, bulk)`.
    fn rows(destination: &Destination) -> Vec<(String, String, String, bool)> {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            other => panic!("expected text, got {other:?}"),
        };
        destination
            .table("currency_pairs")
            .live_rows()
            .iter()
            .map(|row| {
                (
                    text(row.get("region")),
                    text(row.get("from_currency")),
                    text(row.get("to_currency")),
                    row.get("bulk") == Some(&Value::Bool(true)),
                )
            })
            .collect()
    }

    fn row(region: &str, from: &str, to: &str, bulk: bool) -> (String, String, String, bool) {
        (region.into(), from.into(), to.into(), bulk)
    }

    #[tokio::test]
    async fn the_sync_delivers_every_pair_in_every_region() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(example()).await.unwrap();
        assert!(run.warnings.is_empty());
        assert_eq!(
            rows(&destination),
            [
                row("us-east-1", "USD", "EUR", true),
                row("us-east-1", "USD", "GBP", true),
                row("us-east-4", "USD", "EUR", true),
                row("us-east-4", "USD", "GBP", true),
                row("us-central-1", "USD", "EUR", true),
                row("us-central-1", "USD", "GBP", true),
            ]
        );
    }

    #[tokio::test]
    async fn the_quota_and_the_base_currency_limit_the_sync() {
        let mut destination = Destination::new();
        let configuration = with(json!({
            "regions": "us-east-1, us-east-4",
            "api_quota": "3",
            "use_bulk_api": "false",
            "currencies": r#"[{"From": "USD", "To": "EUR"}, {"From": "USD", "To": "GBP"}, {"From": "EUR", "To": "JPY"}]"#,
            "base_currency": "usd",
        }));
        let run = destination.sync::<update>(configuration).await.unwrap();
        // Two USD pairs cost two calls per region: the second region would exceed the quota.
        assert_eq!(
            rows(&destination),
            [
                row("us-east-1", "USD", "EUR", false),
                row("us-east-1", "USD", "GBP", false),
            ]
        );
        assert_eq!(run.warnings.len(), 1);
        assert!(
            run.warnings[0].contains("skipping region us-east-4"),
            "{:?}",
            run.warnings
        );
    }
}
