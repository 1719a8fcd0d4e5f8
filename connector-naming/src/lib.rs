//! Fivetran naming: how a source name becomes a destination schema, table or column name.
//!
//! Both `connector-macros` (at compile time, to reject colliding and reserved names) and the
//! `connector-core` runtime use this crate, so the two always agree.
//!
//! # The rule
//!
//! Fivetran documents these steps for the Connector SDK, applied in this order to the names in
//! `schema()` and in every operation
//! (<https://fivetran.com/docs/connector-sdk/troubleshooting/schema-table-name-normalization>):
//!
//! 1. Transliterate non-ASCII characters and remove accent marks.
//! 2. Replace every character that is not a letter, digit or `_` by `_`.
//! 3. Split camelCase into snake_case.
//! 4. Collapse runs of `_` into one.
//! 5. Lower-case.
//! 6. Prefix `_` to a name that starts with a digit.
//! 7. Tables only: drop leading underscores that are followed by a letter.
//!
//! The same page's example: `userData`, `user-data` and `user.data` all become `user_data`, one
//! table.
//!
//! Fivetran's documents say no more than that; the following readings are ours.
//!
//! - Step 1 transliterates with `deunicode` (`Straße` → `strasse`, `Москва` → `moskva`,
//!   `北京` → `bei_jing`). A character with no transliteration becomes `_`. When one capital
//!   becomes several letters, they take the case of the next source letter (`Æther` → `aether`,
//!   `ЖУК` → `zhuk`), so that one source letter never makes a camelCase boundary.
//! - Step 3: a capital starts a new word when it follows a lower-case letter (`userData`) or a
//!   digit (`address2Line` → `address2_line`, `A1b2C3` → `a1b2_c3`), and a run of capitals
//!   followed by a lower-case letter ends one letter early (`HTTPServer` → `http_server`).
//!   Nothing else splits: not a letter followed by a digit (`address2`), not a digit followed
//!   by a lower-case letter (`2fa`). Fivetran documents no rule for digits other than step 6;
//!   a capital after a digit starts a word because that is what a capital means in camelCase.
//! - Step 3 comes before step 6, as Fivetran lists them, so `2FA` → `_2_fa`.
//! - Schemas follow the table rules, step 7 included.
//! - Trailing underscores stay (`name_`), and an empty name stays empty (the destination then
//!   refuses it). A name that is not empty never becomes empty: one whose characters all
//!   transliterate to nothing (a lone combining accent, a variation selector) becomes `_`, as a
//!   name of symbols does (`$$` → `_`).
//! - Names are not made unique: two source names may give one destination name, and what
//!   happens then is the destination's rule (docs/warehouse.md, "Names").
//!
//! The names of Fivetran's system columns start with [`RESERVED_COLUMN_PREFIX`]; a source column
//! whose destination name starts with it is refused ([`is_reserved_column`]; ours, see
//! docs/warehouse.md).
//!
//! # Cases
//!
//! ```
//! use connector_naming::{column_name, is_reserved_column, schema_name, table_name};
//!
//! // Separators and camelCase (steps 2 to 5).
//! assert_eq!(table_name("userData"), "user_data");
//! assert_eq!(table_name("user-data"), "user_data");
//! assert_eq!(table_name("user.data"), "user_data");
//! assert_eq!(column_name("place name"), "place_name");
//! assert_eq!(column_name("a.-/ b"), "a_b");
//! assert_eq!(column_name("USER_ID"), "user_id");
//! // Acronyms.
//! assert_eq!(column_name("ID"), "id");
//! assert_eq!(column_name("UserID"), "user_id");
//! assert_eq!(column_name("HTTPServer"), "http_server");
//! assert_eq!(column_name("getHTTPResponseCode"), "get_http_response_code");
//! // Digits after letters do not split.
//! assert_eq!(column_name("address2"), "address2");
//! assert_eq!(column_name("Address2"), "address2");
//! assert_eq!(column_name("sha256sum"), "sha256sum");
//! // A capital after a digit starts a word.
//! assert_eq!(column_name("address2Line"), "address2_line");
//! assert_eq!(column_name("A1b2C3"), "a1b2_c3");
//! assert_eq!(column_name("HTTP2Server"), "http2_server");
//! // Leading digits (step 6, after step 3).
//! assert_eq!(column_name("2fa"), "_2fa");
//! assert_eq!(column_name("2FA"), "_2_fa");
//! assert_eq!(column_name("123"), "_123");
//! assert_eq!(table_name("2 factor"), "_2_factor");
//! // Accents (step 1).
//! assert_eq!(column_name("Città"), "citta");
//! assert_eq!(column_name("Straße"), "strasse");
//! assert_eq!(column_name("naïveCafé"), "naive_cafe");
//! // Non-Latin letters (step 1).
//! assert_eq!(column_name("Москва"), "moskva");
//! assert_eq!(column_name("ЖУК"), "zhuk");
//! assert_eq!(column_name("北京"), "bei_jing");
//! assert_eq!(column_name("prix (€)"), "prix_eur_");
//! // Underscores: columns keep leading ones, tables and schemas drop them before a letter.
//! assert_eq!(column_name("_users"), "_users");
//! assert_eq!(table_name("_users"), "users");
//! assert_eq!(schema_name("_staging"), "staging");
//! assert_eq!(table_name("__x"), "x");
//! assert_eq!(table_name("_2fa"), "_2fa");
//! assert_eq!(column_name("name_"), "name_");
//! assert_eq!(column_name("$$"), "_");
//! // The reserved prefix.
//! assert!(is_reserved_column(&column_name("_fivetran_synced")));
//! assert!(is_reserved_column(&column_name("_Fivetran Deleted")));
//! assert!(!is_reserved_column(&column_name("fivetranSynced")));
//! assert_eq!(table_name("_fivetran_synced"), "fivetran_synced");
//! // Empty.
//! assert_eq!(column_name(""), "");
//! assert_eq!(table_name(""), "");
//! assert_eq!(table_name("\u{fe0f}"), "_");
//! ```

use std::borrow::Cow;

use deunicode::AsciiChars;

/// The prefix of Fivetran's system column names (`_fivetran_synced`, `_fivetran_deleted`,
/// `_fivetran_id`): no source column may take a destination name that starts with it.
pub const RESERVED_COLUMN_PREFIX: &str = "_fivetran_";

/// Whether a destination column name is reserved for Fivetran's system columns.
///
/// ```
/// assert!(connector_naming::is_reserved_column("_fivetran_synced"));
/// assert!(!connector_naming::is_reserved_column("fivetran_synced"));
/// ```
#[must_use]
pub fn is_reserved_column(destination: &str) -> bool {
    destination.starts_with(RESERVED_COLUMN_PREFIX)
}

/// Destination name of a table (Fivetran naming).
///
/// Follows the column rules, then drops leading underscores that precede a letter (step 7).
///
/// ```
/// use connector_naming::table_name;
///
/// assert_eq!(table_name("UserAccounts"), "user_accounts");
/// assert_eq!(table_name("_users"), "users");
/// assert_eq!(table_name("2fa"), "_2fa");
/// ```
#[must_use]
pub fn table_name(source: &str) -> String {
    let mut name = normalize(source);
    let underscores = name.len() - name.trim_start_matches('_').len();
    if name[underscores..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.drain(..underscores);
    }
    name
}

/// Destination name of a column (Fivetran naming).
///
/// Leading underscores are kept, so `_fivetran_synced` stays `_fivetran_synced`.
///
/// ```
/// use connector_naming::column_name;
///
/// assert_eq!(column_name("createdAt"), "created_at");
/// assert_eq!(column_name("Città"), "citta");
/// assert_eq!(column_name("2fa"), "_2fa");
/// assert_eq!(column_name("_fivetran_synced"), "_fivetran_synced");
/// ```
#[must_use]
pub fn column_name(source: &str) -> String {
    normalize(source)
}

/// Destination name of a schema (follows the table rules).
///
/// ```
/// use connector_naming::schema_name;
///
/// assert_eq!(schema_name("MySchema"), "my_schema");
/// assert_eq!(schema_name("_staging"), "staging");
/// ```
#[must_use]
pub fn schema_name(source: &str) -> String {
    table_name(source)
}

/// Step 1: transliterate to ASCII; borrows when the source is already ASCII.
fn transliterate(source: &str) -> Cow<'_, str> {
    if source.is_ascii() {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 8);
    let mut chars = source.chars().peekable();
    // `ascii_chars` yields one item per source char, trimming the spaces that separate
    // transliterated CJK syllables at the end of the string.
    for ascii in source.ascii_chars() {
        let Some(c) = chars.next() else { break };
        let ascii = ascii.unwrap_or("_");
        if c.is_uppercase() && ascii.len() > 1 && ascii.bytes().all(|b| b.is_ascii_alphabetic()) {
            // `Æ` is "AE" but `Ж` is "Zh": pick all-caps or title case from the next letter.
            let title = chars.peek().is_some_and(|n| n.is_lowercase());
            for (i, b) in ascii.bytes().enumerate() {
                let upper = i == 0 || !title;
                out.push(char::from(if upper {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }));
            }
        } else {
            out.push_str(ascii);
        }
    }
    Cow::Owned(out)
}

/// Steps 1 to 6, shared by every kind of name.
fn normalize(source: &str) -> String {
    let ascii = transliterate(source);
    // Step 2: anything but an ASCII letter, digit or `_` becomes `_`.
    let bytes: Vec<u8> = ascii
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { b } else { b'_' })
        .collect();

    let mut out = String::with_capacity(bytes.len() + 4);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            // Step 4: collapse runs of `_`.
            if !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        // Step 3: camelCase boundaries. The inserted `_` always sits between two
        // alphanumerics, so it never creates a run of underscores.
        if b.is_ascii_uppercase() && i > 0 {
            let prev = bytes[i - 1];
            let next_is_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        // Step 5: lower-case.
        out.push(char::from(b.to_ascii_lowercase()));
    }

    // Step 6: a name may not start with a digit.
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    // Characters that transliterate to nothing (`\u{fe0f}`) do not make a name empty.
    if out.is_empty() && !source.is_empty() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    /// `(source, column name, table name)`.
    const CASES: &[(&str, &str, &str)] = &[
        // Empty and symbol-only names.
        ("", "", ""),
        ("$$", "_", "_"),
        ("_", "_", "_"),
        ("___", "_", "_"),
        // Already fine.
        ("users", "users", "users"),
        ("user_data", "user_data", "user_data"),
        ("_fivetran_synced", "_fivetran_synced", "fivetran_synced"),
        ("_fivetran_deleted", "_fivetran_deleted", "fivetran_deleted"),
        ("_Fivetran Deleted", "_fivetran_deleted", "fivetran_deleted"),
        // Separators.
        ("place name", "place_name", "place_name"),
        ("user-data", "user_data", "user_data"),
        ("user.data", "user_data", "user_data"),
        ("user - data", "user_data", "user_data"),
        ("a__b", "a_b", "a_b"),
        ("a.-/ b", "a_b", "a_b"),
        ("name_", "name_", "name_"),
        ("name!", "name_", "name_"),
        ("(name)", "_name_", "name_"),
        // camelCase and capitals.
        ("userData", "user_data", "user_data"),
        ("updatedAt", "updated_at", "updated_at"),
        ("createdAt", "created_at", "created_at"),
        ("UserAccounts", "user_accounts", "user_accounts"),
        ("ID", "id", "id"),
        ("UserID", "user_id", "user_id"),
        ("userId", "user_id", "user_id"),
        ("HTTPServer", "http_server", "http_server"),
        (
            "getHTTPResponseCode",
            "get_http_response_code",
            "get_http_response_code",
        ),
        ("XMLHttpRequest", "xml_http_request", "xml_http_request"),
        ("USER_ID", "user_id", "user_id"),
        ("User_Data", "user_data", "user_data"),
        ("already_Snake", "already_snake", "already_snake"),
        ("A", "a", "a"),
        ("aB", "a_b", "a_b"),
        ("Ab", "ab", "ab"),
        // Digits.
        ("address2", "address2", "address2"),
        ("Address2", "address2", "address2"),
        ("address2Line", "address2_line", "address2_line"),
        ("v2", "v2", "v2"),
        ("HTTP2Server", "http2_server", "http2_server"),
        ("A1b2C3", "a1b2_c3", "a1b2_c3"),
        ("a1B2c3", "a1_b2c3", "a1_b2c3"),
        ("sha256sum", "sha256sum", "sha256sum"),
        ("2fa", "_2fa", "_2fa"),
        // A digit before a capital splits, even at the start (rule 3 before rule 6).
        ("2FA", "_2_fa", "_2_fa"),
        ("123", "_123", "_123"),
        ("_2fa", "_2fa", "_2fa"),
        ("__2fa", "_2fa", "_2fa"),
        ("2 factor", "_2_factor", "_2_factor"),
        // Leading underscores.
        ("_users", "_users", "users"),
        ("__x", "_x", "x"),
        ("$users", "_users", "users"),
        (" users", "_users", "users"),
        // Accents and non-Latin scripts.
        ("Città", "citta", "citta"),
        ("café", "cafe", "cafe"),
        ("Straße", "strasse", "strasse"),
        ("Ünïcödé", "unicode", "unicode"),
        ("Ñandú", "nandu", "nandu"),
        ("naïveCafé", "naive_cafe", "naive_cafe"),
        ("prix (€)", "prix_eur_", "prix_eur_"),
        ("Łódź", "lodz", "lodz"),
        ("Ørsted", "orsted", "orsted"),
        ("Æther", "aether", "aether"),
        ("ÆTHER", "aether", "aether"),
        ("Œuvre", "oeuvre", "oeuvre"),
        ("ẞ", "ss", "ss"),
        ("Жук", "zhuk", "zhuk"),
        ("ЖУК", "zhuk", "zhuk"),
        ("ЩУКА", "shchuka", "shchuka"),
        ("userЖук", "user_zhuk", "user_zhuk"),
        ("Москва", "moskva", "moskva"),
        ("北京", "bei_jing", "bei_jing"),
        ("北京Data", "bei_jing_data", "bei_jing_data"),
        ("Ⅻ", "xii", "xii"),
        ("①st", "_1st", "_1st"),
        ("\u{10FFFF}", "_", "_"),
        // Characters that transliterate to nothing: a name of them alone is `_`, not empty
        // (found by fuzzing), and an accent on a letter is removed.
        ("\u{fe0f}", "_", "_"),
        ("\u{301}", "_", "_"),
        ("\u{200b}\u{fe0f}", "_", "_"),
        ("e\u{301}", "e", "e"),
        ("\u{fe0f}Data", "data", "data"),
    ];

    #[test]
    fn column_names() {
        for &(source, column, _) in CASES {
            assert_eq!(column_name(source), column, "column_name({source:?})");
        }
    }

    #[test]
    fn table_names() {
        for &(source, _, table) in CASES {
            assert_eq!(table_name(source), table, "table_name({source:?})");
        }
    }

    #[test]
    fn schema_names_follow_table_rules() {
        for &(source, _, table) in CASES {
            assert_eq!(schema_name(source), table, "schema_name({source:?})");
        }
    }

    #[test]
    fn output_is_idempotent_and_well_formed() {
        for &(source, _, _) in CASES {
            for name in [column_name(source), table_name(source)] {
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{name:?} has invalid characters"
                );
                assert!(!name.contains("__"), "{name:?} has a run of underscores");
                assert!(!name.starts_with(|c: char| c.is_ascii_digit()));
                assert_eq!(column_name(&name), name, "column_name not idempotent");
            }
            let table = table_name(source);
            assert_eq!(table_name(&table), table, "table_name not idempotent");
        }
    }

    #[test]
    fn non_latin_scripts_become_ascii() {
        for source in ["北京", "Москва", "東京タワー", "emoji🦀name", "\u{10FFFF}"] {
            let name = column_name(source);
            assert!(name.is_ascii(), "{source:?} -> {name:?}");
            assert!(!name.is_empty(), "{source:?} -> empty");
        }
        assert_eq!(column_name("Москва"), "moskva");
    }
}
