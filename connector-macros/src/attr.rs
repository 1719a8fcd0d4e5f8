//! Typed attributes: each macro's options parsed from the user's tokens, keeping spans for
//! errors. Keys are named constants; an unknown or repeated key is an error that lists the
//! valid ones.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Ident, LitInt, LitStr, Path, Token};

use crate::ctxt::Ctxt;

pub const PRIMARY_KEY: &str = "primary_key";
pub const COLUMN: &str = "column";
pub const FIELD: &str = "field";
pub const SETUP_TEST: &str = "setup_test";
pub const DROPDOWN: &str = "dropdown";

const TABLE_KEYS: &[&str] = &["name", "schema"];
const COLUMN_KEYS: &[&str] = &["name", "decimal", "json", "xml", "skip"];
const SYNC_KEYS: &[&str] = &["tables", "schema"];
const FIELD_KEYS: &[&str] = &[
    "name",
    "label",
    "description",
    "placeholder",
    "default",
    "secret",
    "json",
];
const SETUP_TEST_KEYS: &[&str] = &["label"];
const DROPDOWN_KEYS: &[&str] = &["value"];

/// A value with the span of the tokens it came from.
#[derive(Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Records `value` unless the key was already given.
fn set_once<T>(cx: &Ctxt, what: &str, meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!("duplicate {what} attribute `{}`", path_text(&meta.path)),
        );
    } else {
        *slot = Some(value);
    }
}

fn unknown_key(cx: &Ctxt, what: &str, meta: &ParseNestedMeta, valid: &[&str]) -> syn::Result<()> {
    let valid: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {what} attribute `{}`; expected one of: {}",
            path_text(&meta.path),
            valid.join(", ")
        ),
    );
    // Skip whatever value follows so the rest of the list still parses.
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

/// `#[table(name = "...", schema = "...")]`
#[derive(Default)]
pub struct TableAttr {
    pub name: Option<Spanned<String>>,
    pub schema: Option<Spanned<String>>,
}

pub fn parse_table_attr(cx: &Ctxt, args: proc_macro2::TokenStream) -> TableAttr {
    let mut attr = TableAttr::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            let v = lit_str(&meta)?;
            set_once(cx, "table", &meta, &mut attr.name, v);
        } else if meta.path.is_ident("schema") {
            let v = lit_str(&meta)?;
            set_once(cx, "table", &meta, &mut attr.schema, v);
        } else {
            unknown_key(cx, "table", &meta, TABLE_KEYS)?;
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    attr
}

/// `#[column(name = "...", decimal(p, s), json, xml, skip)]` and `#[primary_key]` on a field.
#[derive(Default)]
pub struct ColumnAttr {
    pub primary_key: Option<Span>,
    pub name: Option<Spanned<String>>,
    pub decimal: Option<Spanned<(LitInt, LitInt)>>,
    pub json: Option<Span>,
    pub xml: Option<Span>,
    pub skip: Option<Span>,
}

pub fn parse_column_attrs(cx: &Ctxt, attrs: &[Attribute]) -> ColumnAttr {
    let mut attr = ColumnAttr::default();
    for a in attrs {
        if a.path().is_ident(PRIMARY_KEY) {
            if let Err(e) = a.meta.require_path_only() {
                cx.syn_error(syn::Error::new(
                    e.span(),
                    "`#[primary_key]` takes no arguments",
                ));
            } else if attr.primary_key.is_some() {
                cx.error_spanned_by(a, "duplicate `#[primary_key]`");
            }
            attr.primary_key = Some(a.path().span());
        } else if a.path().is_ident(COLUMN) {
            let result = a.parse_nested_meta(|meta| {
                let flag =
                    |slot: &mut Option<Span>| set_once(cx, "column", &meta, slot, meta.path.span());
                if meta.path.is_ident("name") {
                    let v = lit_str(&meta)?;
                    set_once(cx, "column", &meta, &mut attr.name, v);
                } else if meta.path.is_ident("decimal") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let args = Punctuated::<LitInt, Token![,]>::parse_terminated(&content)?;
                    let span = meta
                        .path
                        .span()
                        .join(content.span())
                        .unwrap_or(meta.path.span());
                    if args.len() != 2 {
                        cx.error_spanned_by(&args, "expected `decimal(precision, scale)`");
                    } else {
                        let v = Spanned {
                            value: (args[0].clone(), args[1].clone()),
                            span,
                        };
                        set_once(cx, "column", &meta, &mut attr.decimal, v);
                    }
                } else if meta.path.is_ident("json") {
                    flag(&mut attr.json);
                } else if meta.path.is_ident("xml") {
                    flag(&mut attr.xml);
                } else if meta.path.is_ident("skip") {
                    flag(&mut attr.skip);
                } else {
                    unknown_key(cx, "column", &meta, COLUMN_KEYS)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
    }
    attr
}

/// Whether an attribute is one of `#[table]`'s field helpers, which the expansion removes.
pub fn is_table_helper(attr: &Attribute) -> bool {
    attr.path().is_ident(PRIMARY_KEY) || attr.path().is_ident(COLUMN)
}

/// `#[sync(tables(A, B), schema = discover)]`
#[derive(Default)]
pub struct SyncAttr {
    pub tables: Option<Vec<Path>>,
    pub schema: Option<Path>,
}

pub fn parse_sync_attr(cx: &Ctxt, args: proc_macro2::TokenStream) -> SyncAttr {
    let mut attr = SyncAttr::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("tables") {
            let content;
            syn::parenthesized!(content in meta.input);
            let tables = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
            set_once(
                cx,
                "sync",
                &meta,
                &mut attr.tables,
                tables.into_iter().collect(),
            );
        } else if meta.path.is_ident("schema") {
            let path: Path = meta.value()?.parse()?;
            set_once(cx, "sync", &meta, &mut attr.schema, path);
        } else {
            unknown_key(cx, "sync", &meta, SYNC_KEYS)?;
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    attr
}

/// `#[field(name, label, description, placeholder, default, secret, json)]` on a configuration field.
#[derive(Default)]
pub struct FieldAttr {
    pub name: Option<Spanned<String>>,
    pub label: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub placeholder: Option<Spanned<String>>,
    pub default: Option<Spanned<String>>,
    pub secret: Option<Span>,
    pub json: Option<Span>,
}

pub fn parse_field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttr {
    let mut attr = FieldAttr::default();
    for a in attrs.iter().filter(|a| a.path().is_ident(FIELD)) {
        let result = a.parse_nested_meta(|meta| {
            let text = |slot: &mut Option<Spanned<String>>| -> syn::Result<()> {
                let v = lit_str(&meta)?;
                set_once(cx, "field", &meta, slot, v);
                Ok(())
            };
            match meta.path.get_ident().map(Ident::to_string).as_deref() {
                Some("name") => text(&mut attr.name)?,
                Some("label") => text(&mut attr.label)?,
                Some("description") => text(&mut attr.description)?,
                Some("placeholder") => text(&mut attr.placeholder)?,
                Some("default") => text(&mut attr.default)?,
                Some("secret") => set_once(cx, "field", &meta, &mut attr.secret, meta.path.span()),
                Some("json") => set_once(cx, "field", &meta, &mut attr.json, meta.path.span()),
                _ => unknown_key(cx, "field", &meta, FIELD_KEYS)?,
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    attr
}

/// `#[setup_test(function, label = "...")]` on a configuration struct.
pub struct SetupTestAttr {
    pub function: Path,
    pub label: Option<Spanned<String>>,
}

pub fn parse_setup_tests(cx: &Ctxt, attrs: &[Attribute]) -> Vec<SetupTestAttr> {
    let mut tests = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident(SETUP_TEST)) {
        let result = a.parse_args_with(|input: syn::parse::ParseStream| {
            let function: Path = input.parse()?;
            let mut label = None;
            if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
                let parser = syn::meta::parser(|meta| {
                    if meta.path.is_ident("label") {
                        let v = lit_str(&meta)?;
                        set_once(cx, "setup_test", &meta, &mut label, v);
                    } else {
                        unknown_key(cx, "setup_test", &meta, SETUP_TEST_KEYS)?;
                    }
                    Ok(())
                });
                syn::parse::Parser::parse2(parser, input.parse()?)?;
            }
            Ok(SetupTestAttr { function, label })
        });
        match result {
            Ok(test) => tests.push(test),
            Err(e) => cx.syn_error(e),
        }
    }
    tests
}

/// `#[dropdown(value = "...")]` on an enum variant.
pub fn parse_dropdown_value(cx: &Ctxt, attrs: &[Attribute]) -> Option<Spanned<String>> {
    let mut value = None;
    for a in attrs.iter().filter(|a| a.path().is_ident(DROPDOWN)) {
        let result = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("value") {
                let v = lit_str(&meta)?;
                set_once(cx, "dropdown", &meta, &mut value, v);
            } else {
                unknown_key(cx, "dropdown", &meta, DROPDOWN_KEYS)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    value
}
