//! Fivetran naming (`connector-naming`) on any text: every name is well formed, naming a name
//! again changes nothing, and the three kinds of name agree with each other.

use connector_naming::{column_name, is_reserved_column, schema_name, table_name};

pub fn check(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let column = column_name(&source);
    let table = table_name(&source);

    for name in [&column, &table] {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{source:?} -> {name:?}: a character outside [a-z0-9_]"
        );
        assert!(!name.contains("__"), "{source:?} -> {name:?}: a run of `_`");
        assert!(
            !name.starts_with(|c: char| c.is_ascii_digit()),
            "{source:?} -> {name:?}: starts with a digit"
        );
    }
    // A name that is not empty never becomes empty (a character with no transliteration
    // becomes `_`).
    assert_eq!(
        column.is_empty(),
        source.is_empty(),
        "{source:?} -> {column:?}"
    );
    assert_eq!(
        table.is_empty(),
        source.is_empty(),
        "{source:?} -> {table:?}"
    );
    // Idempotent: a destination name is its own destination name.
    assert_eq!(column_name(&column), column, "column_name({source:?})");
    assert_eq!(table_name(&table), table, "table_name({source:?})");
    // A table name is the column name without the leading `_`s before a letter.
    assert_eq!(table_name(&column), table, "{source:?}");
    let stripped = column.trim_start_matches('_');
    if stripped.starts_with(|c: char| c.is_ascii_alphabetic()) {
        assert_eq!(table, stripped, "{source:?}");
    } else {
        assert_eq!(table, column, "{source:?}");
    }
    assert_eq!(schema_name(&source), table, "{source:?}");
    // Only a name with the reserved prefix is reserved, and no table name is.
    assert_eq!(
        is_reserved_column(&column),
        column.starts_with("_fivetran_")
    );
    assert!(!is_reserved_column(&table));
    // ASCII letters, digits and `_` only: the name of the lower-cased name is the same but for
    // the camelCase splits, so lower-casing the source never adds a `_`.
    if source.is_ascii() {
        let lower = column_name(&source.to_ascii_lowercase());
        assert!(
            lower.len() <= column.len(),
            "{source:?}: {lower:?} vs {column:?}"
        );
        assert_eq!(
            lower.replace('_', ""),
            column.replace('_', ""),
            "{source:?}"
        );
    }
}
