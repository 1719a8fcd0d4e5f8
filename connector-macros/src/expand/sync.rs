//! `#[sync]`: the function as written, a type of the same name implementing `Connector`
//! (types and functions live in different namespaces, so `main!(update)` and a direct call
//! `update(&ops)` both work), `Declared<update>` for each listed table, and a compile-time check
//! that no two listed tables share a destination name.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::private;
use crate::model::Sync;

/// The function, its connector and the declarations. When the signature was refused, the
/// connector never runs and the function is emitted `async` (its error is reported already), so
/// neither its body's `.await`s, `main!` nor the tables raise anything more.
pub fn expand(sync: &Sync) -> TokenStream {
    let mut item = with_connector(sync.item);
    if !sync.runs {
        item.sig.asyncness = Some(syn::Token![async](item.sig.fn_token.span));
    }
    let connector = connector(sync);
    let declared = declared(sync);
    quote! {
        #item
        #connector
        #declared
    }
}

fn connector(sync: &Sync) -> TokenStream {
    let p = private();
    let ident = &sync.item.sig.ident;
    let vis = &sync.item.vis;
    let config = sync
        .config
        .map_or_else(|| quote!(#p::NoConfiguration), |t| quote!(#t));
    let state = sync
        .state
        .map_or_else(|| quote!(#p::NoState), |t| quote!(#t));
    let tables = sync
        .tables
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#path as #p::Table>::schema()));
    let (discover, run) = if !sync.runs {
        let never = quote!(::core::unreachable!(
            "this `#[sync]` function did not compile"
        ));
        (never.clone(), never)
    } else {
        let config_arg = sync.config.map(|_| quote!(config));
        let state_arg = sync.state.map(|_| quote!(state));
        let args = [Some(quote!(ops)), config_arg.clone(), state_arg]
            .into_iter()
            .flatten();
        // Only the user's function names carry the user's spans (so errors point at them); the
        // parameters are ours, spanned like the `fn sync` that declares them.
        let discover = match sync.schema {
            Some(function) => {
                let function = quote_spanned!(function.span()=> #function);
                let arg = config_arg.into_iter();
                quote! {
                    #p::Box::pin(async move {
                        let _ = &config;
                        #p::IntoSchemaResult::into_schema_result(#function(#(#arg),*).await)
                    })
                }
            }
            None => {
                quote!(#p::Box::pin(async move { let _ = config; #p::Result::Ok(#p::Vec::new()) }))
            }
        };
        let function = quote_spanned!(ident.span()=> #ident);
        let run = quote! {
            #p::Box::pin(async move {
                let _ = (&config, &state);
                #p::IntoSyncResult::into_sync_result(#function(#(#args),*).await)
            })
        };
        (discover, run)
    };
    let doc = format!("The connector whose sync is `{ident}`: pass it to `main!` or to `testing`.");
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        #[automatically_derived]
        impl #p::Connector for #ident {
            type Config = #config;
            type State = #state;

            fn tables() -> #p::Vec<&'static #p::TableSchema> {
                <[_]>::into_vec(#p::Box::new([#(#tables),*]))
            }

            fn discover(config: &Self::Config) -> #p::BoxFuture<'_, #p::anyhow::Result<#p::Vec<#p::TableSchema>>> {
                #discover
            }

            fn sync<'a>(
                ops: &'a #p::Operations<Self>,
                config: &'a Self::Config,
                state: &'a mut Self::State,
            ) -> #p::BoxFuture<'a, #p::anyhow::Result<()>> {
                #run
            }
        }
    }
}

/// `Declared` for each listed table, and the check that their destination names differ.
fn declared(sync: &Sync) -> TokenStream {
    let p = private();
    let connector = &sync.item.sig.ident;
    let tables = &sync.tables;
    let impls = tables.iter().map(|path| {
        quote_spanned! {path.span()=>
            #[automatically_derived]
            impl #p::Declared<#connector> for #path {}
        }
    });
    let mut collisions = Vec::new();
    for (i, later) in tables.iter().enumerate() {
        for earlier in &tables[..i] {
            let message = format!(
                "tables `{}` and `{}` have the same destination name",
                quote!(#earlier),
                quote!(#later)
            );
            collisions.push(quote_spanned! {later.span()=>
                if #p::same_name(
                    <#earlier as #p::Table>::DESTINATION_NAME,
                    <#later as #p::Table>::DESTINATION_NAME,
                ) {
                    ::core::panic!(#message);
                }
            });
        }
    }
    let check = if collisions.is_empty() {
        TokenStream::new()
    } else {
        quote!(const _: () = { #(#collisions)* };)
    };
    quote! {
        #(#impls)*
        #check
    }
}

/// The function with its connector filled in: `ops: &Operations` becomes
/// `ops: &Operations<update>`, so that its typed methods accept this sync's tables only. A wrong
/// first parameter (`ops: Operations`) is filled in too: its error is already reported, and
/// `Operations` alone would raise another.
fn with_connector(item: &syn::ItemFn) -> syn::ItemFn {
    let mut item = item.clone();
    let connector = item.sig.ident.clone();
    if let Some(syn::FnArg::Typed(arg)) = item.sig.inputs.first_mut() {
        let mut ty = &mut *arg.ty;
        while let syn::Type::Reference(reference) = ty {
            ty = &mut *reference.elem;
        }
        if let syn::Type::Path(path) = ty
            && let Some(last) = path.path.segments.last_mut()
            && last.ident == "Operations"
            && last.arguments.is_none()
        {
            last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#connector>));
        }
    }
    item
}
