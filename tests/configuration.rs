//! `#[derive(Configuration)]` and `#[derive(Dropdown)]`: typed parsing of Fivetran's string map,
//! one error naming every bad field (never a secret's value), the setup form, setup tests.

use std::collections::BTreeMap;

use connector_core::prelude::*;
use connector_core::testing::configuration_map;
use connector_core::{FieldKind, TextField};

#[derive(Debug, PartialEq, Dropdown)]
pub enum Region {
    #[dropdown(value = "us-east-1")]
    UsEast,
    #[dropdown(value = "eu-west-1")]
    EuWest,
}

#[state]
#[derive(Debug, Default, PartialEq)]
pub struct Filter {
    pub field: String,
    pub values: Vec<String>,
}

#[derive(Debug, Configuration)]
#[setup_test(reaches_api, label = "Connecting to the API")]
#[setup_test(has_tables)]
pub struct Config {
    #[field(label = "API key", description = "From the admin page", secret)]
    pub api_key: String,
    #[field(name = "pageSize", default = "100", placeholder = "100")]
    pub page_size: u32,
    pub region: Region,
    pub tables: Vec<String>,
    pub verbose: bool,
    pub ratio: Option<f64>,
    #[field(json)]
    pub filter: Option<Filter>,
    pub extra: serde_json::Value,
}

async fn reaches_api(config: &Config) -> Result<()> {
    if config.api_key == "good" {
        Ok(())
    } else {
        bail!("the API refused the key")
    }
}

async fn has_tables(config: &Config) -> Result<()> {
    ensure!(!config.tables.is_empty(), "no tables selected");
    Ok(())
}

fn parse(document: serde_json::Value) -> std::result::Result<Config, connector_core::ConfigError> {
    Config::from_map(&configuration_map(document))
}

#[test]
fn every_kind_of_field_parses_from_text() {
    let config = parse(json!({
        "api_key": "k-123",
        "region": "EU-WEST-1",
        "tables": "users, orders",
        "verbose": "true",
        "filter": r#"{"field": "status", "values": ["open"]}"#,
        "extra": r#"{"depth": 2}"#,
    }))
    .unwrap();
    assert_eq!(config.page_size, 100, "the default applies");
    assert_eq!(config.region, Region::EuWest);
    assert_eq!(config.tables, ["users", "orders"]);
    assert!(config.verbose);
    assert_eq!(config.ratio, None);
    assert_eq!(
        config.filter,
        Some(Filter {
            field: "status".into(),
            values: vec!["open".into()]
        })
    );
    assert_eq!(config.extra, json!({"depth": 2}));

    let config = parse(json!({
        "api_key": "k", "pageSize": 5, "region": "us-east-1", "tables": ["a,b", "c"],
        "verbose": false, "ratio": "0.25", "extra": "[]",
    }))
    .unwrap();
    assert_eq!(config.page_size, 5);
    assert_eq!(
        config.tables,
        ["a,b", "c"],
        "a JSON array keeps commas inside items"
    );
    assert_eq!(config.ratio, Some(0.25));
}

#[test]
fn one_error_names_every_bad_field_and_no_secret() {
    let map: BTreeMap<String, String> = [
        ("api_key", ""),
        ("pageSize", "-3"),
        ("region", "mars"),
        ("tables", "x"),
        ("verbose", "perhaps"),
        ("filter", "{not json"),
        ("extra", "{}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let error = Config::from_map(&map).unwrap_err();
    let fields: Vec<&str> = error.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["api_key", "pageSize", "region", "verbose", "filter"]
    );
    let message = error.to_string();
    assert!(
        message.contains("`api_key` is required but missing"),
        "{message}"
    );
    assert!(
        message.contains("`region` must be one of `us-east-1`, `eu-west-1`, not \"mars\""),
        "{message}"
    );

    let secret = "sk_live_do_not_print";
    let mut with_secret = map.clone();
    with_secret.insert("api_key".into(), secret.into());
    let message = Config::from_map(&with_secret).unwrap_err().to_string();
    assert!(!message.contains(secret), "{message}");
    assert_eq!(Config::secret_fields(), ["api_key"]);
}

#[derive(Debug, Configuration)]
pub struct Numeric {
    #[field(secret)]
    pub pin: u16,
}

#[test]
fn a_secret_that_fails_to_parse_is_not_repeated() {
    let error = Numeric::from_map(&configuration_map(json!({"pin": "12a4"}))).unwrap_err();
    let message = error.to_string();
    assert!(!message.contains("12a4"), "{message}");
    assert!(
        message.contains("the value is secret and not shown"),
        "{message}"
    );
}

#[test]
fn the_form_lists_fields_with_their_kind_and_the_setup_tests() {
    let form = Config::form();
    let by_name = |name: &str| form.fields.iter().find(|f| f.name == name).unwrap();
    let key = by_name("api_key");
    assert_eq!(key.label, "API key");
    assert_eq!(key.description.as_deref(), Some("From the admin page"));
    assert_eq!(key.kind, FieldKind::TextField(TextField::Password));
    assert!(key.required);
    let page = by_name("pageSize");
    assert_eq!((page.label.as_str(), page.required), ("Page size", false));
    assert_eq!(page.default_value.as_deref(), Some("100"));
    assert_eq!(page.placeholder.as_deref(), Some("100"));
    assert_eq!(
        by_name("region").kind,
        FieldKind::DropdownField(vec!["us-east-1".into(), "eu-west-1".into()])
    );
    assert_eq!(by_name("verbose").kind, FieldKind::ToggleField);
    assert!(!by_name("ratio").required);
    assert!(!by_name("filter").required);
    let tests: Vec<(&str, &str)> = form
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.label.as_str()))
        .collect();
    assert_eq!(
        tests,
        [
            ("reaches_api", "Connecting to the API"),
            ("has_tables", "Has tables")
        ]
    );
}

#[tokio::test]
async fn setup_tests_report_success_or_the_failure_message() {
    let config = parse(json!({"api_key": "bad", "region": "us-east-1", "tables": "[]", "verbose": "no", "extra": "1"}))
        .unwrap();
    let tests = Config::setup_tests();
    let mut outcomes = Vec::new();
    for test in &tests {
        outcomes.push((
            test.name,
            (test.run)(&config).await.map_err(|e| e.to_string()),
        ));
    }
    assert_eq!(
        outcomes,
        vec![
            ("reaches_api", Err("the API refused the key".to_string())),
            ("has_tables", Err("no tables selected".to_string()))
        ]
    );
}
