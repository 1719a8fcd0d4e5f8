//! `configuration.json` and the state, from any text: a configuration's secret never changes
//! what its errors say, a configuration that parses prints back to itself, a state that parses
//! saves and loads back to itself, and the field types read back what they print.

use connector_core::__internal::{configuration_from_json, parse_state};
use connector_core::prelude::*;
use connector_core::{ConfigValue, ConfigurationMap};

#[derive(Debug, PartialEq, Configuration)]
pub struct FuzzConfig {
    #[field(secret)]
    pub api_key: String,
    pub page_size: u16,
    #[field(default = "true")]
    pub verbose: bool,
    pub ratio: Option<f64>,
    pub tags: Vec<String>,
    #[field(default = "[]")]
    pub ids: Vec<i64>,
    pub region: Option<String>,
}

#[state]
#[derive(Debug, Default, PartialEq)]
pub struct FuzzState {
    pub cursor: Option<String>,
    pub page: u64,
    pub seen: Vec<i64>,
    pub at: Option<DateTime<Utc>>,
}

const OTHER_SECRET: &str = "another-secret-value";

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(document) = serde_json::from_str::<serde_json::Value>(&text) {
        configuration(document);
    }
    state(&text);
    fields(&text);
}

fn configuration(document: serde_json::Value) {
    let members = document.as_object().map(serde_json::Map::len);
    let map = match configuration_from_json(document) {
        Ok(map) => map,
        Err(_) => {
            assert!(members.is_none(), "an object was refused");
            return;
        }
    };
    assert_eq!(map.len(), members.unwrap_or(0));
    let parsed = FuzzConfig::from_map(&map);

    // The secret's value changes nothing that is shown (a blank one is a missing one).
    if map.get("api_key").is_some_and(|k| !k.trim().is_empty()) {
        let mut other = map.clone();
        other.insert("api_key".into(), OTHER_SECRET.into());
        let again = FuzzConfig::from_map(&other);
        match (&parsed, &again) {
            (Ok(_), Ok(_)) => {}
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("the secret's value decided whether the configuration parses"),
        }
    }

    // A configuration prints back to itself.
    if let Ok(config) = parsed {
        let mut printed = ConfigurationMap::new();
        printed.insert("api_key".into(), config.api_key.clone());
        printed.insert("page_size".into(), config.page_size.to_string());
        printed.insert("verbose".into(), config.verbose.to_string());
        if let Some(ratio) = config.ratio {
            printed.insert("ratio".into(), ratio.to_string());
        }
        printed.insert("tags".into(), serde_json::to_string(&config.tags).unwrap());
        printed.insert("ids".into(), serde_json::to_string(&config.ids).unwrap());
        if let Some(region) = &config.region {
            printed.insert("region".into(), region.clone());
        }
        let again = FuzzConfig::from_map(&printed).expect("a printed configuration parses");
        assert!(
            same_config(&config, &again),
            "{config:?} printed reads as {again:?}"
        );
    }
}

/// Equal, NaN equal to NaN.
fn same_config(a: &FuzzConfig, b: &FuzzConfig) -> bool {
    let ratio = match (a.ratio, b.ratio) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits(),
        (x, y) => x == y,
    };
    ratio
        && a.api_key == b.api_key
        && a.page_size == b.page_size
        && a.verbose == b.verbose
        && a.tags == b.tags
        && a.ids == b.ids
        && a.region == b.region
}

fn state(text: &str) {
    let parsed = parse_state::<FuzzState>(Some(text));
    let document = serde_json::from_str::<serde_json::Value>(text);
    if text.trim().is_empty() {
        assert_eq!(parsed.ok(), Some(FuzzState::default()));
        return;
    }
    if !document.as_ref().is_ok_and(serde_json::Value::is_object) {
        assert!(
            parsed.is_err(),
            "a state that is not a JSON object was read"
        );
        return;
    }
    // What is saved loads back as it was.
    if let Ok(state) = parsed {
        let saved = serde_json::to_string(&state).unwrap();
        let loaded = parse_state::<FuzzState>(Some(&saved)).expect("a saved state loads");
        assert_eq!(loaded, state, "{saved}");
    }
}

fn fields(text: &str) {
    if let Ok(ids) = Vec::<i64>::parse(text) {
        let joined: Vec<String> = ids.iter().map(i64::to_string).collect();
        assert_eq!(Vec::<i64>::parse(&joined.join(",")).unwrap(), ids);
        let array = serde_json::to_string(&ids).unwrap();
        assert_eq!(Vec::<i64>::parse(&array).unwrap(), ids);
    }
    if let Ok(tags) = Vec::<String>::parse(text) {
        if !text.trim_start().starts_with('[') {
            // Comma-separated items are trimmed, and empty ones are dropped.
            assert!(
                tags.iter().all(|t| !t.is_empty() && t.trim() == t),
                "{tags:?}"
            );
        }
        let array = serde_json::to_string(&tags).unwrap();
        assert_eq!(Vec::<String>::parse(&array).unwrap(), tags);
    }
    if let Ok(flag) = bool::parse(text) {
        assert_eq!(bool::parse(&flag.to_string()), Ok(flag));
    }
    if let Ok(number) = f64::parse(text) {
        let again = f64::parse(&number.to_string()).unwrap();
        assert_eq!(again.to_bits(), number.to_bits(), "{text:?}");
    }
    if let Ok(size) = Option::<u16>::parse(text) {
        let printed = size.map(|s| s.to_string()).unwrap_or_default();
        assert_eq!(Option::<u16>::parse(&printed), Ok(size));
    }
}
