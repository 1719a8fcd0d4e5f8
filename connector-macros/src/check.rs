//! The rules that look at more than one token or attribute. Each records its errors in the
//! `Ctxt` and never stops the others, so the user sees every mistake at once.

use std::collections::HashSet;

use syn::Ident;

use crate::ast::{self, Config, Dropdown, Sync, Table, TableField};
use crate::ctxt::Ctxt;

/// Rust types refused with a suggestion, because no Fivetran type holds all their values.
const REFUSED_INTEGERS: &[(&str, &str)] = &[
    (
        "u64",
        "use `i64` if values stay below 2^63, or `rust_decimal::Decimal`",
    ),
    (
        "usize",
        "its width depends on the platform; use `u32` or `i64`",
    ),
    (
        "isize",
        "its width depends on the platform; use `i32` or `i64`",
    ),
    ("i128", "use `rust_decimal::Decimal`"),
    ("u128", "use `rust_decimal::Decimal`"),
];

/// Checks a `#[table]`; returns the fields whose type was refused here, so that the expansion
/// does not ask the compiler about them again.
pub fn table<'a>(cx: &Ctxt, table: &'a Table<'a>) -> HashSet<&'a Ident> {
    let mut refused = HashSet::new();
    // A table needs a name.
    for (what, given) in [("table", &table.attr.name), ("schema", &table.attr.schema)] {
        if let Some(name) = given.as_ref().filter(|n| n.value.trim().is_empty()) {
            cx.syn_error(syn::Error::new(
                name.span,
                format!("a {what} name cannot be empty"),
            ));
        }
    }
    let mut seen: Vec<(String, &TableField)> = Vec::new();
    for field in &table.fields {
        if !column_type(cx, field) {
            refused.insert(field.ident);
        }
        column_options(cx, field);
        if !field.is_column() {
            continue;
        }
        // Two columns must not land on one destination name.
        let source = field.column_name();
        let destination = connector_naming::column_name(&source);
        if destination.is_empty() {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                "a column name cannot be empty",
            ));
        } else if destination.starts_with("_fivetran_") {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                format!("column `{source}` would be named `{destination}`, which is reserved for Fivetran's system columns"),
            ));
        } else if let Some((_, first)) = seen.iter().find(|(d, _)| *d == destination) {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                format!(
                    "column `{source}` has the same destination name `{destination}` as column `{}`",
                    first.column_name()
                ),
            ));
        } else {
            seen.push((destination, field));
        }
    }
    refused
}

/// A field's type must have a Fivetran type a source can send. Returns false when refused.
fn column_type(cx: &Ctxt, field: &TableField) -> bool {
    if !field.is_column() {
        return true;
    }
    let inner = ast::option_inner(field.ty);
    // A primary key cannot be NULL.
    if let (Some(_), Some(_)) = (field.attr.primary_key, inner) {
        cx.syn_error(syn::Error::new(
            ast::span_of(field.ty),
            "a primary key column cannot be an `Option`: key values are never NULL",
        ));
    }
    let ty = inner.unwrap_or(field.ty);
    match ast::last_segment(ty).as_deref() {
        Some("NaiveTime") => {
            cx.error_spanned_by(
                ty,
                "source connectors cannot send NAIVE_TIME (many destinations lack it); \
                 store the time as a `String` or combine it with a date into a `NaiveDateTime`",
            );
            false
        }
        Some(name) => match REFUSED_INTEGERS
            .iter()
            .find(|(refused, _)| *refused == name)
        {
            Some((_, suggestion)) => {
                cx.error_spanned_by(ty, format!("`{name}` has no Fivetran type: {suggestion}"));
                false
            }
            None => true,
        },
        None => true,
    }
}

/// `json`, `xml` and `decimal(p, s)` pick a type: at most one, and a valid DECIMAL.
fn column_options(cx: &Ctxt, field: &TableField) {
    let attr = &field.attr;
    if let (Some(_), Some(skip)) = (attr.primary_key, attr.skip) {
        cx.syn_error(syn::Error::new(
            skip,
            "a skipped field cannot be part of the primary key",
        ));
    }
    let chosen: Vec<(&str, proc_macro2::Span)> = [
        ("json", attr.json),
        ("xml", attr.xml),
        ("decimal", attr.decimal.as_ref().map(|d| d.span)),
    ]
    .into_iter()
    .filter_map(|(name, span)| span.map(|s| (name, s)))
    .collect();
    if let [(first, _), (second, span), ..] = chosen.as_slice() {
        cx.syn_error(syn::Error::new(
            *span,
            format!("`{first}` and `{second}` cannot both be set on one column"),
        ));
    }
    if let Some(decimal) = &attr.decimal {
        let (precision, scale) = &decimal.value;
        match (precision.base10_parse::<u32>(), scale.base10_parse::<u32>()) {
            (Ok(p), _) if !(1..=38).contains(&p) => {
                cx.error_spanned_by(
                    precision,
                    format!("DECIMAL precision must be within 1..=38, not {p}"),
                );
            }
            (Ok(p), Ok(s)) if s > p => {
                cx.error_spanned_by(
                    scale,
                    format!("DECIMAL scale {s} is greater than its precision {p}"),
                );
            }
            (Err(e), _) | (_, Err(e)) => cx.syn_error(e),
            _ => {}
        }
    }
}

/// The DECIMAL parameters of a field when they are valid.
pub fn decimal_params(field: &TableField) -> Option<(u8, u8)> {
    let (p, s) = &field.attr.decimal.as_ref()?.value;
    let (p, s) = (p.base10_parse::<u8>().ok()?, s.base10_parse::<u8>().ok()?);
    ((1..=38).contains(&p) && s <= p).then_some((p, s))
}

/// A table is listed once in `tables(...)`.
pub fn sync(cx: &Ctxt, sync: &Sync) {
    let mut seen: Vec<String> = Vec::new();
    for path in sync.attr.tables.iter().flatten() {
        let text = quote::quote!(#path).to_string();
        if seen.contains(&text) {
            cx.error_spanned_by(path, format!("table `{text}` is listed twice"));
        }
        seen.push(text);
    }
}

/// Configuration keys and setup-test names are unique.
pub fn config(cx: &Ctxt, config: &Config) {
    let mut keys: Vec<String> = Vec::new();
    for field in &config.fields {
        let key = field.key();
        if keys.contains(&key) {
            cx.error_spanned_by(
                field.ident,
                format!("two fields read the configuration key `{key}`"),
            );
        }
        keys.push(key);
    }
    let mut names: Vec<String> = Vec::new();
    for test in &config.tests {
        let function = &test.function;
        let name = quote::quote!(#function).to_string();
        if names.contains(&name) {
            cx.error_spanned_by(&test.function, "this setup test is listed twice");
        }
        names.push(name);
    }
}

/// Dropdown values are unique.
pub fn dropdown(cx: &Ctxt, dropdown: &Dropdown) {
    let mut values: Vec<&str> = Vec::new();
    for (_, value) in &dropdown.options {
        if values.contains(&value.value.as_str()) {
            cx.syn_error(syn::Error::new(
                value.span,
                format!("the option value `{}` is used twice", value.value),
            ));
        }
        values.push(&value.value);
    }
}
