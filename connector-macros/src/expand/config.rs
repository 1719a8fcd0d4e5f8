//! `#[derive(Configuration)]` and `#[derive(Dropdown)]`: parsing from the configuration map
//! (every bad field reported), the setup form, the secret fields and the setup tests.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::private;
use crate::model::{Config, ConfigField, Dropdown, Read};

pub fn expand(config: &Config) -> TokenStream {
    let p = private();
    let ident = config.ident;
    let reads = config.fields.iter().map(|f| read(f));
    let idents: Vec<_> = config.fields.iter().map(|f| f.ident).collect();
    let build = if idents.is_empty() {
        quote!(#p::Result::Ok(#ident {}))
    } else {
        quote! {
            if let (#(#p::Option::Some(#idents),)*) = (#(#idents,)*) {
                return #p::Result::Ok(#ident { #(#idents),* });
            }
            #p::Result::Err(#p::ConfigError { problems })
        }
    };
    let fields = config.fields.iter().map(|f| form_field(f));
    let secrets = config.fields.iter().filter(|f| f.secret).map(|f| &f.key);
    let tests = config.tests.iter().map(|test| {
        let (function, name, label) = (test.function, &test.name, &test.label);
        quote_spanned! {function.span()=>
            #p::SetupTest {
                name: #name,
                label: #label,
                run: {
                    fn run(config: &#ident) -> #p::BoxFuture<'_, #p::anyhow::Result<()>> {
                        #p::Box::pin(async move { #p::IntoSyncResult::into_sync_result(#function(config).await) })
                    }
                    run
                },
            }
        }
    });
    let form_tests = config.tests.iter().map(|test| {
        let (name, label) = (&test.name, &test.label);
        quote!(#p::FormTest { name: #p::String::from(#name), label: #p::String::from(#label) })
    });
    quote! {
        #[automatically_derived]
        impl #p::Configuration for #ident {
            fn form() -> #p::Form {
                #p::Form {
                    fields: <[_]>::into_vec(#p::Box::new([#(#fields),*])),
                    tests: <[_]>::into_vec(#p::Box::new([#(#form_tests),*])),
                }
            }

            fn from_map(map: &#p::ConfigurationMap) -> #p::Result<Self, #p::ConfigError> {
                let mut problems = #p::Vec::new();
                #(#reads)*
                #build
            }

            fn secret_fields() -> &'static [&'static str] {
                &[#(#secrets),*]
            }

            fn setup_tests() -> #p::Vec<#p::SetupTest<Self>> {
                <[_]>::into_vec(#p::Box::new([#(#tests),*]))
            }
        }
    }
}

/// `let field = read_field(...)`: the parsed value, or `None` with a problem recorded.
fn read(field: &ConfigField) -> TokenStream {
    let p = private();
    let (ident, ty, key, secret) = (field.ident, field.ty, &field.key, field.secret);
    let default = optional_str(&field.default, |d| quote!(#d));
    let (parse, absent) = match field.read {
        Read::OptionalJson(inner) => (
            quote!(|text| #p::parse_json::<#inner>(text).map(#p::Option::Some)),
            quote!(|| #p::Option::Some(#p::Option::None)),
        ),
        Read::Json => (quote!(#p::parse_json::<#ty>), quote!(|| #p::Option::None)),
        Read::Value => (
            quote_spanned!(ty.span()=> <#ty as #p::ConfigValue>::parse),
            quote_spanned!(ty.span()=> <#ty as #p::ConfigValue>::absent),
        ),
    };
    quote! {
        let #ident: #p::Option<#ty> = #p::read_field(map, #key, #default, #secret, #parse, #absent, &mut problems);
    }
}

fn form_field(field: &ConfigField) -> TokenStream {
    let p = private();
    let ty = field.ty;
    let (key, label, required) = (&field.key, &field.label, field.required);
    let string = |v: &String| quote!(#p::String::from(#v));
    let description = optional_str(&field.description, string);
    let placeholder = optional_str(&field.placeholder, string);
    let default_value = optional_str(&field.default, string);
    let kind = match field.read {
        _ if field.secret => quote!(#p::FieldKind::TextField(#p::TextField::Password)),
        Read::Json | Read::OptionalJson(_) => {
            quote!(#p::FieldKind::TextField(#p::TextField::PlainText))
        }
        Read::Value => quote_spanned!(ty.span()=> <#ty as #p::ConfigValue>::kind()),
    };
    quote! {
        #p::FormField {
            name: #p::String::from(#key),
            label: #p::String::from(#label),
            required: #required,
            description: #description,
            kind: #kind,
            default_value: #default_value,
            placeholder: #placeholder,
        }
    }
}

/// `Option::Some(value)` or `Option::None`, by absolute path.
fn optional_str(value: &Option<String>, to_tokens: impl Fn(&String) -> TokenStream) -> TokenStream {
    let p = private();
    match value {
        Some(v) => {
            let v = to_tokens(v);
            quote!(#p::Option::Some(#v))
        }
        None => quote!(#p::Option::None),
    }
}

pub fn expand_dropdown(dropdown: &Dropdown) -> TokenStream {
    let p = private();
    let ident = dropdown.ident;
    let values: Vec<&String> = dropdown.options.iter().map(|(_, v)| v).collect();
    let variants: Vec<&syn::Ident> = dropdown.options.iter().map(|(v, _)| *v).collect();
    let expected = values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let error = format!("must be one of {expected}");
    quote! {
        #[automatically_derived]
        impl #p::ConfigValue for #ident {
            fn parse(text: &str) -> #p::Result<Self, #p::String> {
                let text = text.trim();
                #(
                    if text.eq_ignore_ascii_case(#values) {
                        return #p::Result::Ok(#ident::#variants);
                    }
                )*
                #p::Result::Err(#p::String::from(#error))
            }

            fn kind() -> #p::FieldKind {
                #p::FieldKind::DropdownField(<[_]>::into_vec(#p::Box::new([#(#p::String::from(#values)),*])))
            }
        }

        impl #ident {
            /// The option's value, as the form shows it and the configuration holds it.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(#ident::#variants => #values,)*
                }
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}
