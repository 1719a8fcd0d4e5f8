//! `#[state]`: serde's derives through the runtime's re-export, so a connector's state
//! serializes without the user's crate depending on serde; `#[serde(default)]` on a struct lets
//! an older state that lacks a newer field still load.

use proc_macro2::TokenStream;
use quote::quote;

use super::private;

pub fn expand(item: &syn::Item) -> TokenStream {
    let p = private();
    let serde_path = format!("{p}::serde").replace(' ', "");
    let default = match item {
        syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => {
            quote!(#[serde(default)])
        }
        _ => TokenStream::new(),
    };
    quote! {
        #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        #default
        #item
    }
}
