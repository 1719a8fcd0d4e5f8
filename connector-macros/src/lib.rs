//! The macros of `connector-core`: `#[table]`, `#[sync]`, `#[state]`, `#[derive(Configuration)]`
//! and `#[derive(Dropdown)]`. Use them through `connector_core`, which re-exports them and holds
//! their reference documentation, with examples that its doctests compile and run.
//!
//! Each macro reads in one line: parse the input (`attr`, `ast`), check it into a validated
//! model (`check` → `model`, every error collected in a `Ctxt`), and write code from the model
//! (`expand`). On errors it still emits the item and stand-in impls, and when `syn` cannot parse
//! the item at all it emits the item as written (`fallback`): one mistake gives one error.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod model;

use proc_macro::TokenStream;

use crate::ctxt::Ctxt;

/// Declares a table: the struct is its schema.
///
/// The reference (`#[table(name, schema)]`, `#[primary_key]`, `#[column(name, decimal, json,
/// xml, skip)]`, the type map and what is generated) is on `connector_core::table`, whose
/// examples compile and run.
#[proc_macro_attribute]
pub fn table(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse::<syn::ItemStruct>(input.clone()) {
        Ok(item) => item,
        Err(e) => return reemit(input, e, "`#[table]` goes on a struct", attr::TABLE_HELPERS),
    };
    let cx = Ctxt::default();
    let table = ast::Table::from_ast(&cx, attr::parse_table_attr(&cx, args.into()), &item);
    let table = check::table(&cx, &table);
    cx.finish(expand::table::expand(&table)).into()
}

/// Declares the sync function and the tables it writes.
///
/// The reference (`#[sync(tables(...), schema = function)]`, the accepted signatures and the
/// connector type it generates) is on `connector_core::sync`, whose examples compile and run.
#[proc_macro_attribute]
pub fn sync(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse::<syn::ItemFn>(input.clone()) {
        Ok(item) => item,
        Err(e) => return reemit(input, e, "`#[sync]` goes on an `async fn`", &[]),
    };
    let cx = Ctxt::default();
    let sync = ast::Sync::from_ast(&cx, attr::parse_sync_attr(&cx, args.into()), &item);
    let sync = check::sync(&cx, &sync);
    cx.finish(expand::sync::expand(&sync)).into()
}

/// Makes a type a sync state: serde's derives through `connector_core`, and `#[serde(default)]`
/// on a struct so that older states still load.
///
/// The reference and an example are on `connector_core::state`.
#[proc_macro_attribute]
pub fn state(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse::<syn::Item>(input.clone()) {
        Ok(item) => item,
        Err(e) => return reemit(input, e, "`#[state]` goes on a struct or an enum", &[]),
    };
    let cx = Ctxt::default();
    let args = proc_macro2::TokenStream::from(args);
    if !args.is_empty() {
        cx.error_spanned_by(args, "`#[state]` takes no arguments");
    }
    cx.finish(expand::state::expand(&item)).into()
}

/// Derives `Configuration`: typed parsing of Fivetran's configuration map and the setup form.
///
/// The reference (`#[field(name, label, description, placeholder, default, secret, json)]`,
/// `#[setup_test(function, label)]`) is on `connector_core::Configuration`'s derive, whose
/// examples compile and run.
#[proc_macro_derive(Configuration, attributes(field, setup_test))]
pub fn derive_configuration(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => input,
        // A derive leaves its item in place: only the error is added.
        Err(e) => return e.to_compile_error().into(),
    };
    let cx = Ctxt::default();
    let config = ast::Config::from_ast(&cx, &input);
    let config = check::config(&cx, &config);
    cx.finish(expand::config::expand(&config)).into()
}

/// Derives a dropdown configuration value for an enum of unit variants.
///
/// The reference (`#[dropdown(value = "...")]`) is on `connector_core::Dropdown`'s derive.
#[proc_macro_derive(Dropdown, attributes(dropdown))]
pub fn derive_dropdown(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error().into(),
    };
    let cx = Ctxt::default();
    let dropdown = ast::Dropdown::from_ast(&cx, &input);
    let dropdown = check::dropdown(&cx, &dropdown);
    cx.finish(expand::config::expand_dropdown(&dropdown)).into()
}

/// The unparsable item as written, with `syn`'s error and what the macro goes on.
fn reemit(item: TokenStream, error: syn::Error, goes_on: &str, helpers: &[&str]) -> TokenStream {
    let error = syn::Error::new(error.span(), format!("{error}; {goes_on}"));
    fallback::item_with_error(item.into(), &error, helpers).into()
}
