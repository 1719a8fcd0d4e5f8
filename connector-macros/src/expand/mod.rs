//! Code generation, one module per macro. Generated code names the runtime only through
//! `::connector_core::__private`, so it compiles whatever the user's crate shadows.

pub mod config;
pub mod state;
pub mod sync;
pub mod table;

use proc_macro2::TokenStream;
use quote::quote;

/// The absolute path of the runtime's hidden re-exports.
pub fn private() -> TokenStream {
    quote!(::connector_core::__private)
}
