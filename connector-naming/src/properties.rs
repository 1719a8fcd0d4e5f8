//! Properties of Fivetran naming on generated names (proptest): what every destination name
//! looks like, that naming is idempotent, and how the three kinds of name relate. The fuzz
//! target `naming` (fuzz/src/naming.rs) checks the same on AFL's inputs.

use proptest::prelude::*;

use super::*;

/// Names as sources write them: ASCII words with separators, capitals and digits, plus
/// accented, non-Latin, combining and unassigned characters.
fn source_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9]{1,6}",
        2 => "[ _.$()/-]{1,2}",
        1 => "[àéïõüßÆŒŁØæœ]{1,3}",
        1 => "[ЖжУКМоскваЩ北京東京タワー€①Ⅻ🦀]{1,2}",
        1 => "[\u{300}-\u{36f}\u{200b}\u{fe0f}]{1,2}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn well_formed(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.contains("__")
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_name_is_lower_case_ascii_without_runs_of_underscores(source in source_name()) {
        for name in [column_name(&source), table_name(&source), schema_name(&source)] {
            prop_assert!(well_formed(&name), "{:?} -> {:?}", source, name);
        }
    }

    #[test]
    fn a_name_that_is_not_empty_never_becomes_empty(source in source_name()) {
        prop_assert_eq!(column_name(&source).is_empty(), source.is_empty(), "{:?}", source);
        prop_assert_eq!(table_name(&source).is_empty(), source.is_empty(), "{:?}", source);
    }

    #[test]
    fn naming_is_idempotent(source in source_name()) {
        let column = column_name(&source);
        let table = table_name(&source);
        prop_assert_eq!(column_name(&column), column.clone());
        prop_assert_eq!(table_name(&table), table.clone());
        prop_assert_eq!(table_name(&column), table);
    }

    #[test]
    fn a_table_name_is_the_column_name_without_underscores_before_a_letter(source in source_name()) {
        let column = column_name(&source);
        let stripped = column.trim_start_matches('_');
        let expected = if stripped.starts_with(|c: char| c.is_ascii_alphabetic()) {
            stripped
        } else {
            column.as_str()
        };
        prop_assert_eq!(table_name(&source), expected);
        prop_assert_eq!(schema_name(&source), expected);
        prop_assert!(!is_reserved_column(&table_name(&source)));
    }

    /// Letters and digits pass through in order (lower-cased): only `_` is added or removed.
    #[test]
    fn ascii_letters_and_digits_are_kept_in_order(source in "[a-zA-Z0-9 _.-]{0,24}") {
        let kept: String = source
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        prop_assert_eq!(column_name(&source).replace('_', ""), kept);
    }

    /// Names that differ only in separators, or in case where no word splits, are one name:
    /// the collisions the destination must report.
    #[test]
    fn separators_do_not_tell_names_apart(words in prop::collection::vec("[a-z]{2}[a-z0-9]{0,4}", 1..4)) {
        let snake = words.join("_");
        for separator in [" ", "-", ".", "__", " - "] {
            prop_assert_eq!(column_name(&words.join(separator)), snake.clone());
        }
        let camel: String = words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.clone() } else { w[..1].to_ascii_uppercase() + &w[1..] })
            .collect();
        prop_assert_eq!(column_name(&camel), snake.clone());
        // In capitals, a digit followed by a letter starts a word (`A0A` is `a0_a`).
        if !snake.contains(|c: char| c.is_ascii_digit()) {
            prop_assert_eq!(column_name(&snake.to_ascii_uppercase()), snake);
        }
    }
}
