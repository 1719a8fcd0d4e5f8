//! Columns under Fivetran naming: source names that land in one destination column are
//! reported, and the cell of the name that sorts first wins, whatever the order of the row.

use std::borrow::Cow;
use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::destination::columns::Columns;
use crate::naming::Naming;
use crate::value::Value;

/// Source names, many of which collide (`userData`, `user data`, `USER_DATA`).
fn source_name() -> impl Strategy<Value = String> {
    let word = prop_oneof!["user", "data", "id", "ID", "Data", "2fa", "città", "citta"];
    let separator = prop_oneof!["", "_", " ", "-", ".", "__"];
    (word.clone(), separator, word).prop_map(|(a, s, b)| format!("{a}{s}{b}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn names_that_land_in_one_column_are_reported_and_the_first_wins(
        names in prop::collection::btree_set(source_name(), 1..8),
        order in any::<prop::sample::Index>(),
    ) {
        let mut row: Vec<(Cow<'static, str>, Value)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (Cow::Owned(n.clone()), Value::Long(i as i64)))
            .collect();
        let shift = order.index(row.len());
        row.rotate_left(shift);

        // The expected columns: each destination name and the value of its first source name.
        let mut groups: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for name in &names {
            groups.entry(connector_naming::column_name(name)).or_default().push(name);
        }

        let mut columns = Columns::new("t".into(), true);
        let placed = columns.place_named(row, Naming::Fivetran).expect("no reserved names");
        prop_assert_eq!(placed.len(), groups.len());
        prop_assert_eq!(columns.len(), groups.len());
        for (index, value) in placed {
            let column = &columns[index].name;
            let first = groups[column][0];
            let position = names.iter().position(|n| n == first).unwrap();
            prop_assert_eq!(value, Value::Long(position as i64), "column `{}`", column);
        }
        // Every name that shares a column with another is reported, once.
        let shared = columns.shared_names();
        let expected: usize = groups.values().map(|g| g.len() - 1).sum();
        prop_assert_eq!(shared.len(), expected, "{:?}", shared);
        for (a, b) in shared {
            prop_assert_eq!(connector_naming::column_name(a), connector_naming::column_name(b));
            prop_assert_ne!(a, b);
        }
    }
}
