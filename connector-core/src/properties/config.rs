//! Configuration fields and states: a secret's value never shows, and what a field or a state
//! prints reads back as itself.

use proptest::prelude::*;

use crate::config::{ConfigValue, ConfigurationMap, configuration_from_json, read_field};
use crate::driver::parse_state;

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct State {
    cursor: Option<String>,
    page: u64,
    seen: Vec<i64>,
    at: Option<chrono::DateTime<chrono::Utc>>,
}

fn state() -> impl Strategy<Value = State> {
    (
        prop::option::of("\\PC{0,8}"),
        any::<u64>(),
        prop::collection::vec(any::<i64>(), 0..4),
        prop::option::of((-62_135_596_800_i64..253_402_300_800, 0_u32..1_000_000_000)),
    )
        .prop_map(|(cursor, page, seen, at)| State {
            cursor,
            page,
            seen,
            at: at.and_then(|(s, n)| chrono::DateTime::from_timestamp(s, n)),
        })
}

/// A field's problem, if any, as `#[derive(Configuration)]` reads it.
fn problem<T>(map: &ConfigurationMap, secret: bool) -> Option<String>
where
    T: ConfigValue,
{
    let mut problems = Vec::new();
    read_field::<T>(
        map,
        "field",
        None,
        secret,
        T::parse,
        T::absent,
        &mut problems,
    );
    problems.pop().map(|p| p.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A secret field's problem is the same whatever its value, and never quotes it. A field
    /// that is not secret quotes its value.
    #[test]
    fn a_secret_never_shows_in_a_problem(
        a in "\\PC{1,12}",
        b in "[0-9a-z -]{1,12}",
        around in ("[\\[\\]\",0-9 ]{0,3}", "[\\[\\]\",0-9 ]{0,3}"),
    ) {
        prop_assume!(!a.trim().is_empty() && !b.trim().is_empty());
        let map = |v: &str| ConfigurationMap::from([("field".to_string(), v.to_string())]);
        let scalars = [
            (problem::<u16>(&map(&a), true), problem::<u16>(&map(&b), true)),
            (problem::<bool>(&map(&a), true), problem::<bool>(&map(&b), true)),
            (problem::<f32>(&map(&a), true), problem::<f32>(&map(&b), true)),
        ];
        for pair in scalars {
            if let (Some(pa), Some(pb)) = pair {
                prop_assert_eq!(pa, pb);
            }
        }
        // A list's problem says where it fails (`item 2`, a JSON syntax error's position), never
        // what the value is.
        let marked = format!("{}s3cr3t{}", around.0, around.1);
        for shown in [
            problem::<Vec<i8>>(&map(&marked), true),
            problem::<Vec<bool>>(&map(&marked), true),
            problem::<serde_json::Value>(&map(&marked), true),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(!shown.contains("s3cr3t"), "{}", shown);
        }
        if let Some(shown) = problem::<u16>(&map(&a), false) {
            prop_assert!(shown.contains(&format!("{a:?}")), "{}", shown);
        }
    }

    /// Lists, numbers, flags and optional values read back from what they print.
    #[test]
    fn fields_read_back_what_they_print(
        ids in prop::collection::vec(any::<i64>(), 0..5),
        tags in prop::collection::vec("\\PC{0,6}", 0..4),
        number in prop::num::f64::ANY,
        flag in any::<bool>(),
        size in prop::option::of(any::<u16>()),
    ) {
        let joined: Vec<String> = ids.iter().map(i64::to_string).collect();
        prop_assert_eq!(Vec::<i64>::parse(&joined.join(", ")), Ok(ids.clone()));
        prop_assert_eq!(Vec::<i64>::parse(&serde_json::to_string(&ids).unwrap()), Ok(ids));
        prop_assert_eq!(Vec::<String>::parse(&serde_json::to_string(&tags).unwrap()), Ok(tags));
        let read = f64::parse(&number.to_string()).unwrap();
        prop_assert!(read.to_bits() == number.to_bits() || read.is_nan() && number.is_nan());
        prop_assert_eq!(bool::parse(&flag.to_string()), Ok(flag));
        prop_assert_eq!(
            Option::<u16>::parse(&size.map(|s| s.to_string()).unwrap_or_default()),
            Ok(size)
        );
    }

    /// A configuration object keeps every member, text as it is and anything else as its
    /// JSON; anything but an object (or null) is refused.
    #[test]
    fn a_configuration_keeps_every_member(document in super::json_text()) {
        let document: serde_json::Value = serde_json::from_str(&document).unwrap();
        match (configuration_from_json(document.clone()), &document) {
            (Ok(map), serde_json::Value::Object(members)) => {
                prop_assert_eq!(map.len(), members.len());
                for (k, v) in members {
                    let expected = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    prop_assert_eq!(&map[k], &expected);
                }
            }
            (Ok(map), serde_json::Value::Null) => prop_assert!(map.is_empty()),
            (Ok(_), other) => prop_assert!(false, "{:?} was read as a configuration", other),
            (Err(_), document) => prop_assert!(!document.is_object() && !document.is_null()),
        }
    }

    /// A state saves and loads back as it was; what is not an object is refused.
    #[test]
    fn a_state_loads_back_as_it_was_saved(state in state(), other in super::json_text()) {
        let saved = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(parse_state::<State>(Some(&saved)).ok(), Some(state));
        let document: serde_json::Value = serde_json::from_str(&other).unwrap();
        if !document.is_object() {
            prop_assert!(parse_state::<State>(Some(&other)).is_err());
        }
        prop_assert_eq!(parse_state::<State>(Some(" \n")).ok(), Some(State::default()));
    }
}
