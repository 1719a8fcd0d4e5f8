//! Typed attributes: each macro's options parsed from the user's tokens, keeping spans for
//! errors. Keys are named constants; an unknown or repeated key is an error that lists the
//! valid ones.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, LitInt, LitStr, Path, Token};

use crate::ctxt::Ctxt;

pub const PRIMARY_KEY: &str = "primary_key";
pub const COLUMN: &str = "column";
pub const FIELD: &str = "field";
pub const SETUP_TEST: &str = "setup_test";
pub const DROPDOWN: &str = "dropdown";

/// The keys one attribute accepts, each spelled once: the parser matches on the enum (so the
/// compiler checks that every key is handled) and the "expected one of" list is `ALL`.
trait Keys: Copy + 'static {
    /// What the attribute is called in messages: ``unknown `column` attribute``.
    const WHAT: &'static str;
    const ALL: &'static [(&'static str, Self)];
}

macro_rules! keys {
    ($name:ident for $what:literal { $($variant:ident = $text:literal),* $(,)? }) => {
        #[derive(Clone, Copy)]
        enum $name { $($variant),* }

        impl Keys for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(&'static str, Self)] = &[$(($text, $name::$variant)),*];
        }
    };
}

keys!(TableKey for "table" { Name = "name", Schema = "schema" });
keys!(ColumnKey for "column" {
    Name = "name",
    Decimal = "decimal",
    Json = "json",
    Xml = "xml",
    Skip = "skip",
    Flatten = "flatten",
});
keys!(SyncKey for "sync" { Tables = "tables", Schema = "schema" });
keys!(FieldKey for "field" {
    Name = "name",
    Label = "label",
    Description = "description",
    Placeholder = "placeholder",
    Default = "default",
    Secret = "secret",
    Json = "json",
});
keys!(SetupTestKey for "setup_test" { Label = "label" });
keys!(DropdownKey for "dropdown" { Value = "value" });

/// The key `meta` names, or `None` after recording an error that lists the valid keys (and
/// skipping the key's value, so that the rest of the list still parses).
fn key<K: Keys>(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<K>> {
    if let Some(ident) = meta.path.get_ident()
        && let Some((_, key)) = K::ALL.iter().find(|(text, _)| ident == text)
    {
        return Ok(Some(*key));
    }
    let valid: Vec<String> = K::ALL.iter().map(|(k, _)| format!("`{k}`")).collect();
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {} attribute `{}`; expected one of: {}",
            K::WHAT,
            path_text(&meta.path),
            valid.join(", ")
        ),
    );
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(None)
}

/// A value with the span of the tokens it came from.
#[derive(Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Records `value` unless the key was already given.
fn set_once<K: Keys, T>(cx: &Ctxt, meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "duplicate {} attribute `{}`",
                K::WHAT,
                path_text(&meta.path)
            ),
        );
    } else {
        *slot = Some(value);
    }
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
        let slot = match key::<TableKey>(cx, &meta)? {
            Some(TableKey::Name) => &mut attr.name,
            Some(TableKey::Schema) => &mut attr.schema,
            None => return Ok(()),
        };
        let v = lit_str(&meta)?;
        set_once::<TableKey, _>(cx, &meta, slot, v);
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    attr
}

/// `#[column(name = "...", decimal(p, s), json, xml, skip, flatten)]` and `#[primary_key]` on a
/// field.
#[derive(Default)]
pub struct ColumnAttr {
    pub primary_key: Option<Span>,
    pub name: Option<Spanned<String>>,
    pub decimal: Option<Spanned<(LitInt, LitInt)>>,
    pub json: Option<Span>,
    pub xml: Option<Span>,
    pub skip: Option<Span>,
    pub flatten: Option<Span>,
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
                let flag = |slot: &mut Option<Span>| {
                    set_once::<ColumnKey, _>(cx, &meta, slot, meta.path.span());
                };
                match key::<ColumnKey>(cx, &meta)? {
                    Some(ColumnKey::Name) => {
                        let v = lit_str(&meta)?;
                        set_once::<ColumnKey, _>(cx, &meta, &mut attr.name, v);
                    }
                    Some(ColumnKey::Decimal) => {
                        if let Some(v) = decimal_args(cx, &meta)? {
                            set_once::<ColumnKey, _>(cx, &meta, &mut attr.decimal, v);
                        }
                    }
                    Some(ColumnKey::Json) => flag(&mut attr.json),
                    Some(ColumnKey::Xml) => flag(&mut attr.xml),
                    Some(ColumnKey::Skip) => flag(&mut attr.skip),
                    Some(ColumnKey::Flatten) => flag(&mut attr.flatten),
                    None => {}
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

/// `decimal(precision, scale)`: two integers, checked against DECIMAL's limits in `check`.
fn decimal_args(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
) -> syn::Result<Option<Spanned<(LitInt, LitInt)>>> {
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
        return Ok(None);
    }
    Ok(Some(Spanned {
        value: (args[0].clone(), args[1].clone()),
        span,
    }))
}

/// Whether an attribute is one of `#[table]`'s field helpers, which the expansion removes.
pub fn is_table_helper(attr: &Attribute) -> bool {
    TABLE_HELPERS
        .iter()
        .any(|helper| attr.path().is_ident(helper))
}

/// The field attributes that only `#[table]` understands.
pub const TABLE_HELPERS: &[&str] = &[PRIMARY_KEY, COLUMN];

/// `#[sync(tables(A, B), schema = discover)]`
#[derive(Default)]
pub struct SyncAttr {
    pub tables: Option<Vec<Path>>,
    pub schema: Option<Path>,
}

pub fn parse_sync_attr(cx: &Ctxt, args: proc_macro2::TokenStream) -> SyncAttr {
    let mut attr = SyncAttr::default();
    let parser = syn::meta::parser(|meta| {
        match key::<SyncKey>(cx, &meta)? {
            Some(SyncKey::Tables) => {
                let content;
                syn::parenthesized!(content in meta.input);
                let tables = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                let tables = tables.into_iter().collect();
                set_once::<SyncKey, _>(cx, &meta, &mut attr.tables, tables);
            }
            Some(SyncKey::Schema) => {
                let path: Path = meta.value()?.parse()?;
                set_once::<SyncKey, _>(cx, &meta, &mut attr.schema, path);
            }
            None => {}
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
            let text = match key::<FieldKey>(cx, &meta)? {
                Some(FieldKey::Name) => &mut attr.name,
                Some(FieldKey::Label) => &mut attr.label,
                Some(FieldKey::Description) => &mut attr.description,
                Some(FieldKey::Placeholder) => &mut attr.placeholder,
                Some(FieldKey::Default) => &mut attr.default,
                Some(FieldKey::Secret) => {
                    set_once::<FieldKey, _>(cx, &meta, &mut attr.secret, meta.path.span());
                    return Ok(());
                }
                Some(FieldKey::Json) => {
                    set_once::<FieldKey, _>(cx, &meta, &mut attr.json, meta.path.span());
                    return Ok(());
                }
                None => return Ok(()),
            };
            let v = lit_str(&meta)?;
            set_once::<FieldKey, _>(cx, &meta, text, v);
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
                    if let Some(SetupTestKey::Label) = key::<SetupTestKey>(cx, &meta)? {
                        let v = lit_str(&meta)?;
                        set_once::<SetupTestKey, _>(cx, &meta, &mut label, v);
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
            if let Some(DropdownKey::Value) = key::<DropdownKey>(cx, &meta)? {
                let v = lit_str(&meta)?;
                set_once::<DropdownKey, _>(cx, &meta, &mut value, v);
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    value
}
