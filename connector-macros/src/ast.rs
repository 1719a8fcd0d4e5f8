//! A borrowed model of each macro's input, with its attributes parsed and the user's tokens
//! kept for spans. Building it records shape errors (wrong kind of item, a sync signature that
//! does not fit); the rules live in `check`, which turns this model into the validated one.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Fields, FnArg, Ident, ItemFn, ItemStruct, Pat, Type, Visibility};

use crate::attr::{self, ColumnAttr, FieldAttr, SetupTestAttr, Spanned, SyncAttr, TableAttr};
use crate::ctxt::Ctxt;

/// A `#[table]` struct.
pub struct Table<'a> {
    pub item: &'a ItemStruct,
    pub attr: TableAttr,
    /// Every field; skipped ones are kept (they are still part of the struct).
    pub fields: Vec<TableField<'a>>,
}

pub struct TableField<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    pub attr: ColumnAttr,
}

impl TableField<'_> {
    /// The source column name: `#[column(name = "...")]` or the field's name.
    pub fn column_name(&self) -> String {
        self.attr
            .name
            .as_ref()
            .map_or_else(|| self.ident.to_string(), |n| n.value.clone())
    }

    /// The span of the tokens that set the column name.
    pub fn name_span(&self) -> Span {
        self.attr
            .name
            .as_ref()
            .map_or(self.ident.span(), |n| n.span)
    }
}

impl<'a> Table<'a> {
    pub fn from_ast(cx: &Ctxt, attr: TableAttr, item: &'a ItemStruct) -> Table<'a> {
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(&item.generics, "a `#[table]` struct cannot be generic");
        }
        let fields = match &item.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .filter_map(|f| {
                    Some(TableField {
                        ident: f.ident.as_ref()?,
                        vis: &f.vis,
                        ty: &f.ty,
                        attr: attr::parse_column_attrs(cx, &f.attrs),
                    })
                })
                .collect(),
            _ => {
                cx.error_spanned_by(
                    &item.ident,
                    "a `#[table]` must be a struct with named fields",
                );
                Vec::new()
            }
        };
        Table { item, attr, fields }
    }

    /// The source table name: `name = "..."` or the struct name in snake_case.
    pub fn name(&self) -> String {
        self.attr.name.as_ref().map_or_else(
            || connector_naming::table_name(&self.item.ident.to_string()),
            |n| n.value.clone(),
        )
    }
}

/// A `#[sync]` function.
pub struct Sync<'a> {
    pub item: &'a ItemFn,
    pub attr: SyncAttr,
    pub config: Option<&'a Type>,
    pub state: Option<&'a Type>,
    /// Whether the signature has the expected shape (its errors are recorded when not).
    pub signature_accepted: bool,
}

impl<'a> Sync<'a> {
    /// Reads the signature `async fn(ops: &Operations, config: &C, state: &mut S) -> Result<()>`
    /// (config and state optional), recording what does not fit.
    pub fn from_ast(cx: &Ctxt, attr: SyncAttr, item: &'a ItemFn) -> Sync<'a> {
        let sig = &item.sig;
        const SHAPE: &str = "expected `async fn(ops: &Operations, config: &Config, state: &mut State) -> Result<()>` \
                             (config and state may be left out)";
        let mut accepted = true;
        let mut refuse = |error: syn::Error| {
            accepted = false;
            cx.syn_error(error);
        };
        if sig.asyncness.is_none() {
            refuse(syn::Error::new_spanned(
                sig.fn_token,
                format!("a `#[sync]` function must be `async`; {SHAPE}"),
            ));
        }
        if !sig.generics.params.is_empty() {
            refuse(syn::Error::new_spanned(
                &sig.generics,
                "a `#[sync]` function cannot be generic",
            ));
        }
        if let syn::ReturnType::Default = sig.output {
            refuse(syn::Error::new_spanned(
                &sig.ident,
                "a `#[sync]` function must return `Result<()>`",
            ));
        }
        let mut config = None;
        let mut state = None;
        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            Some(FnArg::Typed(arg)) if is_operations(&arg.ty) => {}
            Some(other) => refuse(syn::Error::new_spanned(
                other,
                format!("the first parameter must be `ops: &Operations`; {SHAPE}"),
            )),
            None => refuse(syn::Error::new(
                sig.paren_token.span.join(),
                format!("the first parameter must be `ops: &Operations`; {SHAPE}"),
            )),
        }
        for input in inputs {
            let FnArg::Typed(arg) = input else {
                refuse(syn::Error::new_spanned(
                    input,
                    "a `#[sync]` function cannot take `self`",
                ));
                continue;
            };
            match &*arg.ty {
                Type::Reference(r)
                    if r.mutability.is_none() && config.is_none() && state.is_none() =>
                {
                    config = Some(&*r.elem)
                }
                Type::Reference(r) if r.mutability.is_some() && state.is_none() => {
                    state = Some(&*r.elem)
                }
                _ => refuse(syn::Error::new_spanned(
                    &arg.ty,
                    format!("unexpected parameter `{}`; {SHAPE}", pat_text(&arg.pat)),
                )),
            }
        }
        Sync {
            item,
            attr,
            config,
            state,
            signature_accepted: accepted,
        }
    }
}

fn is_operations(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Operations"),
            _ => false,
        },
        _ => false,
    }
}

fn pat_text(pat: &Pat) -> String {
    match pat {
        Pat::Ident(p) => p.ident.to_string(),
        _ => "_".to_string(),
    }
}

/// A `#[derive(Configuration)]` struct.
pub struct Config<'a> {
    pub ident: &'a Ident,
    pub fields: Vec<ConfigField<'a>>,
    pub tests: Vec<SetupTestAttr>,
}

pub struct ConfigField<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attr: FieldAttr,
}

impl ConfigField<'_> {
    /// The key in the configuration map: `#[field(name = "...")]` or the field's name.
    pub fn key(&self) -> String {
        self.attr
            .name
            .as_ref()
            .map_or_else(|| self.ident.to_string(), |n| n.value.clone())
    }
}

impl<'a> Config<'a> {
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Config<'a> {
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "a `Configuration` struct cannot be generic",
            );
        }
        let fields = match &input.data {
            syn::Data::Struct(syn::DataStruct {
                fields: Fields::Named(named),
                ..
            }) => named
                .named
                .iter()
                .filter_map(|f| {
                    Some(ConfigField {
                        ident: f.ident.as_ref()?,
                        ty: &f.ty,
                        attr: attr::parse_field_attrs(cx, &f.attrs),
                    })
                })
                .collect(),
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "`Configuration` can only be derived for a struct with named fields",
                );
                Vec::new()
            }
        };
        Config {
            ident: &input.ident,
            fields,
            tests: attr::parse_setup_tests(cx, &input.attrs),
        }
    }
}

/// A `#[derive(Dropdown)]` enum.
pub struct Dropdown<'a> {
    pub ident: &'a Ident,
    pub options: Vec<(&'a Ident, Spanned<String>)>,
}

impl<'a> Dropdown<'a> {
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Dropdown<'a> {
        let syn::Data::Enum(data) = &input.data else {
            cx.error_spanned_by(
                &input.ident,
                "`Dropdown` can only be derived for an enum of unit variants",
            );
            return Dropdown {
                ident: &input.ident,
                options: Vec::new(),
            };
        };
        let mut options = Vec::new();
        for variant in &data.variants {
            if !matches!(variant.fields, Fields::Unit) {
                cx.error_spanned_by(&variant.fields, "a `Dropdown` option cannot carry data");
            }
            let value = attr::parse_dropdown_value(cx, &variant.attrs).unwrap_or_else(|| Spanned {
                value: variant.ident.to_string(),
                span: variant.ident.span(),
            });
            options.push((&variant.ident, value));
        }
        if options.is_empty() {
            cx.error_spanned_by(&input.ident, "a `Dropdown` needs at least one option");
        }
        Dropdown {
            ident: &input.ident,
            options,
        }
    }
}

/// Whether a type is written `Option<...>` (or a path ending in `Option`), and its inner type.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// The last path segment's name of a type, if it is a path (`chrono::NaiveTime` → `NaiveTime`).
pub fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

pub fn span_of(ty: &Type) -> Span {
    ty.span()
}
