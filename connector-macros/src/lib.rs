//! The macros of `connector-core`: `#[table]`, `#[sync]`, `#[state]`, `#[derive(Configuration)]`
//! and `#[derive(Dropdown)]`. Use them through `connector_core`, which re-exports them.
//!
//! Each one reads its input (`attr`, `ast`), checks the rules (`check`) with every error
//! collected in a `Ctxt`, and generates code (`expand`). On errors it still emits the item and
//! a stand-in implementation, so one mistake gives one error.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;

use proc_macro::TokenStream;
use quote::quote;
use syn::parse_macro_input;

use crate::ctxt::Ctxt;

/// Declares a table: the struct is its schema. See `connector_core::table`'s documentation.
#[proc_macro_attribute]
pub fn table(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemStruct);
    let cx = Ctxt::default();
    let attr = attr::parse_table_attr(&cx, args.into());
    let table = ast::Table::from_ast(&cx, attr, &item);
    let refused = check::table(&cx, &table);
    let expanded = expand::table::expand(&table, &refused);
    let errors = cx.into_compile_errors();
    quote!(#errors #expanded).into()
}

/// Declares the sync function and the tables it writes. See `connector_core::sync`.
#[proc_macro_attribute]
pub fn sync(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemFn);
    let cx = Ctxt::default();
    let attr = attr::parse_sync_attr(&cx, args.into());
    let sync = ast::Sync::from_ast(&cx, attr, &item);
    check::sync(&cx, &sync);
    let expanded = if cx.has_errors() {
        expand::sync::fallback(&sync)
    } else {
        expand::sync::expand(&sync)
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #expanded).into()
}

/// Makes a struct a sync state: serde's derives through `connector_core`, and
/// `#[serde(default)]` so older states still load.
#[proc_macro_attribute]
pub fn state(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::Item);
    let mut errors = proc_macro2::TokenStream::new();
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        errors = syn::Error::new_spanned(args, "`#[state]` takes no arguments").to_compile_error();
    }
    let expanded = expand::state::expand(&item);
    quote!(#errors #expanded).into()
}

/// Derives `Configuration`: typed parsing of Fivetran's configuration map and the setup form.
#[proc_macro_derive(Configuration, attributes(field, setup_test))]
pub fn derive_configuration(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    let cx = Ctxt::default();
    let config = ast::Config::from_ast(&cx, &input);
    check::config(&cx, &config);
    let expanded = expand::config::expand(&config);
    let errors = cx.into_compile_errors();
    quote!(#errors #expanded).into()
}

/// Derives a dropdown configuration value for an enum of unit variants.
#[proc_macro_derive(Dropdown, attributes(dropdown))]
pub fn derive_dropdown(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    let cx = Ctxt::default();
    let dropdown = ast::Dropdown::from_ast(&cx, &input);
    check::dropdown(&cx, &dropdown);
    let expanded = expand::config::expand_dropdown(&dropdown);
    let errors = cx.into_compile_errors();
    quote!(#errors #expanded).into()
}
