//! The rules, applied to the input model (`ast`) to build the validated model (`model`) that
//! the expansion writes code from. Each rule records its errors in the `Ctxt` and never stops
//! the others, so the user sees every mistake at once; what a rule refuses becomes a stand-in in
//! the model rather than a hole.

use proc_macro2::Span;

use crate::ast::{self, TableField};
use crate::ctxt::Ctxt;
use crate::model::{self, Column, ColumnKind, ConfigField, Flatten, Read, SetupTest};

/// Rust types refused with a suggestion, because no Fivetran type holds all their values.
const REFUSED_INTEGERS: &[(&str, &str)] = &[
    (
        "u64",
        "use `i64` if values stay below 2^63, or `connector_core::Decimal`",
    ),
    (
        "usize",
        "its width depends on the platform; use `u32` or `i64`",
    ),
    (
        "isize",
        "its width depends on the platform; use `i32` or `i64`",
    ),
    ("i128", "use `connector_core::Decimal`"),
    ("u128", "use `connector_core::Decimal`"),
];

/// DECIMAL's precision range at Fivetran.
const DECIMAL_PRECISION: std::ops::RangeInclusive<u32> = 1..=38;

pub fn table<'a>(cx: &Ctxt, table: &ast::Table<'a>) -> model::Table<'a> {
    // A table and its schema need a name.
    for (what, given) in [("table", &table.attr.name), ("schema", &table.attr.schema)] {
        if let Some(name) = given.as_ref().filter(|n| n.value.trim().is_empty()) {
            cx.syn_error(syn::Error::new(
                name.span,
                format!("a {what} name cannot be empty"),
            ));
        }
    }
    let name = table.name();
    let schema = table.attr.schema.as_ref().map(|s| s.value.clone());
    let destination = match &schema {
        Some(s) => format!(
            "{}.{}",
            connector_naming::schema_name(s),
            connector_naming::table_name(&name)
        ),
        None => connector_naming::table_name(&name),
    };
    let mut columns: Vec<Column<'a>> = Vec::new();
    let mut destinations: Vec<String> = Vec::new();
    let mut flatten: Option<Flatten<'a>> = None;
    for field in &table.fields {
        if let Some(span) = field.attr.flatten {
            flatten_field(cx, field, span, &mut flatten);
            continue;
        }
        let kind = column_kind(cx, field);
        if field.attr.skip.is_some() {
            continue;
        }
        // Records address columns by a `u16` index.
        let Ok(index) = u16::try_from(columns.len()) else {
            cx.error_spanned_by(field.ident, "a table can have at most 65536 columns");
            break;
        };
        // Two columns must not land on one destination name.
        let source = field.column_name();
        let destination = connector_naming::column_name(&source);
        if destination.is_empty() {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                "a column name cannot be empty",
            ));
        } else if connector_naming::is_reserved_column(&destination) {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                format!("column `{source}` would be named `{destination}`, which is reserved for Fivetran's system columns"),
            ));
        } else if let Some(first) = destinations.iter().position(|d| *d == destination) {
            cx.syn_error(syn::Error::new(
                field.name_span(),
                format!(
                    "column `{source}` has the same destination name `{destination}` as column `{}`",
                    columns[first].name
                ),
            ));
        }
        destinations.push(destination);
        columns.push(Column {
            ident: field.ident,
            vis: field.vis,
            ty: field.ty,
            name: source,
            index,
            key: field.attr.primary_key.is_some(),
            kind,
        });
    }
    model::Table {
        item: table.item,
        name,
        schema,
        destination,
        columns,
        flatten,
    }
}

/// A `#[column(flatten)]` field: the table's one field of undeclared columns, with no other
/// column option (it is not a column itself).
fn flatten_field<'a>(
    cx: &Ctxt,
    field: &TableField<'a>,
    span: Span,
    flatten: &mut Option<Flatten<'a>>,
) {
    let attr = &field.attr;
    let others = [
        ("primary_key", attr.primary_key),
        ("name", attr.name.as_ref().map(|n| n.span)),
        ("decimal", attr.decimal.as_ref().map(|d| d.span)),
        ("json", attr.json),
        ("xml", attr.xml),
        ("skip", attr.skip),
    ];
    for (other, at) in others {
        if let Some(at) = at {
            cx.syn_error(syn::Error::new(
                at,
                format!(
                    "`{other}` cannot be set on a `flatten` field: its columns are the ones the \
                     table does not declare"
                ),
            ));
        }
    }
    if flatten.is_some() {
        cx.syn_error(syn::Error::new(
            span,
            "a table has at most one `#[column(flatten)]` field",
        ));
        return;
    }
    *flatten = Some(Flatten {
        ident: field.ident,
        ty: field.ty,
        span,
    });
}

/// How a field's column is typed, after the rules on its type and its `#[column]` options.
fn column_kind(cx: &Ctxt, field: &TableField) -> ColumnKind {
    let attr = &field.attr;
    // A skipped field is not a column, so it cannot be part of the key.
    if let (Some(_), Some(skip)) = (attr.primary_key, attr.skip) {
        cx.syn_error(syn::Error::new(
            skip,
            "a skipped field cannot be part of the primary key",
        ));
    }
    if attr.skip.is_some() {
        return ColumnKind::Refused;
    }
    let type_accepted = column_type(cx, field);
    // `json`, `xml` and `decimal(p, s)` each pick the type: at most one of them.
    let chosen: Vec<(&str, Span)> = [
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
    let decimal = attr
        .decimal
        .as_ref()
        .map(|d| (decimal(cx, &d.value), d.span));
    if !type_accepted || chosen.len() > 1 {
        return ColumnKind::Refused;
    }
    match (attr.json, attr.xml, decimal) {
        (Some(span), _, _) => ColumnKind::Json(span),
        (_, Some(span), _) => ColumnKind::Xml(span),
        (_, _, Some((Some((precision, scale)), span))) => ColumnKind::Decimal {
            precision,
            scale,
            span,
        },
        (_, _, Some((None, _))) => ColumnKind::Refused,
        (None, None, None) => ColumnKind::Native,
    }
}

/// A field's type must have a Fivetran type a source can send. Returns false when refused.
fn column_type(cx: &Ctxt, field: &TableField) -> bool {
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

/// DECIMAL's precision is within 1..=38 and its scale at most the precision: the parameters,
/// or `None` with the error recorded.
fn decimal(cx: &Ctxt, (precision, scale): &(syn::LitInt, syn::LitInt)) -> Option<(u8, u8)> {
    match (precision.base10_parse::<u32>(), scale.base10_parse::<u32>()) {
        (Ok(p), _) if !DECIMAL_PRECISION.contains(&p) => {
            cx.error_spanned_by(
                precision,
                format!("DECIMAL precision must be within 1..=38, not {p}"),
            );
            None
        }
        (Ok(p), Ok(s)) if s > p => {
            cx.error_spanned_by(
                scale,
                format!("DECIMAL scale {s} is greater than its precision {p}"),
            );
            None
        }
        (Ok(p), Ok(s)) => Some((u8::try_from(p).ok()?, u8::try_from(s).ok()?)),
        (Err(e), _) | (_, Err(e)) => {
            cx.syn_error(e);
            None
        }
    }
}

/// A table is listed once in `tables(...)`; the model keeps the first listing.
pub fn sync<'a>(cx: &Ctxt, sync: &'a ast::Sync<'a>) -> model::Sync<'a> {
    let mut tables: Vec<&'a syn::Path> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for path in sync.attr.tables.iter().flatten() {
        let text = quote::quote!(#path).to_string();
        if seen.contains(&text) {
            cx.error_spanned_by(path, format!("table `{text}` is listed twice"));
        } else {
            seen.push(text);
            tables.push(path);
        }
    }
    model::Sync {
        item: sync.item,
        config: sync.config,
        state: sync.state,
        tables,
        schema: sync.attr.schema.as_ref(),
        runs: sync.signature_accepted,
    }
}

/// Configuration keys and setup tests are unique.
pub fn config<'a>(cx: &Ctxt, config: &'a ast::Config<'a>) -> model::Config<'a> {
    let mut fields: Vec<ConfigField<'a>> = Vec::new();
    for field in &config.fields {
        let key = field.key();
        if fields.iter().any(|f| f.key == key) {
            cx.error_spanned_by(
                field.ident,
                format!("two fields read the configuration key `{key}`"),
            );
        }
        let attr = &field.attr;
        let text = |v: &Option<crate::attr::Spanned<String>>| v.as_ref().map(|v| v.value.clone());
        let optional = ast::option_inner(field.ty);
        fields.push(ConfigField {
            ident: field.ident,
            ty: field.ty,
            label: text(&attr.label).unwrap_or_else(|| label(&field.ident.to_string())),
            description: text(&attr.description),
            placeholder: text(&attr.placeholder),
            default: text(&attr.default),
            secret: attr.secret.is_some(),
            required: attr.default.is_none() && optional.is_none(),
            read: match (attr.json, optional) {
                (Some(_), Some(inner)) => Read::OptionalJson(inner),
                (Some(_), None) => Read::Json,
                (None, _) => Read::Value,
            },
            key,
        });
    }
    let mut tests: Vec<SetupTest<'a>> = Vec::new();
    for test in &config.tests {
        let function = &test.function;
        let name = function
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if tests.iter().any(|t| t.function == function) {
            cx.error_spanned_by(function, "this setup test is listed twice");
            continue;
        }
        tests.push(SetupTest {
            function,
            label: test
                .label
                .as_ref()
                .map_or_else(|| label(&name), |l| l.value.clone()),
            name,
        });
    }
    model::Config {
        ident: config.ident,
        fields,
        tests,
    }
}

/// Dropdown values are unique.
pub fn dropdown<'a>(cx: &Ctxt, dropdown: &ast::Dropdown<'a>) -> model::Dropdown<'a> {
    let mut options: Vec<(&'a syn::Ident, String)> = Vec::new();
    for (variant, value) in &dropdown.options {
        if options.iter().any(|(_, v)| *v == value.value) {
            cx.syn_error(syn::Error::new(
                value.span,
                format!("the option value `{}` is used twice", value.value),
            ));
        }
        options.push((variant, value.value.clone()));
    }
    model::Dropdown {
        ident: dropdown.ident,
        options,
    }
}

/// The form's label for a field or test without one: `api_key` → `Api key`.
fn label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
