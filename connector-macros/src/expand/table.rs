//! `#[table]`: the struct as written (helpers removed), its `Table` impl with a static schema,
//! and for a table with a primary key the `<Name>Key` struct and the `<Name>Patch` builder.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemStruct};

use super::private;
use crate::ast::{Table, TableField};
use crate::attr;
use crate::check;

/// The whole expansion. `refused` fields had their type refused by `check`: they are encoded
/// without asking the compiler about their type again, so no error cascades.
pub fn expand(table: &Table, refused: &HashSet<&Ident>) -> TokenStream {
    let item = strip_helpers(table.item);
    let table_impl = table_impl(table, refused);
    let key = key_and_patch(table, refused);
    quote! {
        #item
        #table_impl
        #key
    }
}

/// The struct without `#[primary_key]` and `#[column]`, which only `#[table]` understands.
pub fn strip_helpers(item: &ItemStruct) -> ItemStruct {
    let mut item = item.clone();
    for field in item.fields.iter_mut() {
        field.attrs.retain(|a| !attr::is_table_helper(a));
    }
    item
}

fn table_impl(table: &Table, refused: &HashSet<&Ident>) -> TokenStream {
    let p = private();
    let ident = &table.item.ident;
    let name = table.name();
    let schema = match &table.attr.schema {
        Some(s) => {
            let s = &s.value;
            quote!(#p::Option::Some(#p::Cow::Borrowed(#s)))
        }
        None => quote!(#p::Option::None),
    };
    let destination = match &table.attr.schema {
        Some(s) => format!(
            "{}.{}",
            connector_naming::schema_name(&s.value),
            connector_naming::table_name(&name)
        ),
        None => connector_naming::table_name(&name),
    };
    let columns = table.columns().map(|field| {
        let column = field.column_name();
        let data_type = data_type(field, refused);
        let key = field.is_key();
        quote! {
            #p::Column { name: #p::Cow::Borrowed(#column), data_type: #p::Option::Some(#data_type), primary_key: #key }
        }
    });
    let cells = table.columns().map(|field| {
        let member = field.ident;
        encode(field, quote!(self.#member), refused)
    });
    quote! {
        #[automatically_derived]
        impl #p::Table for #ident {
            const NAME: &'static str = #name;
            const DESTINATION_NAME: &'static str = #destination;

            fn schema() -> &'static #p::TableSchema {
                static SCHEMA: #p::TableSchema = #p::TableSchema {
                    name: #p::Cow::Borrowed(#name),
                    schema: #schema,
                    columns: #p::Cow::Borrowed(&[#(#columns),*]),
                };
                &SCHEMA
            }

            #[inline]
            fn into_cells(self) -> #p::Vec<#p::Value> {
                <[_]>::into_vec(#p::Box::new([#(#cells),*]))
            }
        }
    }
}

/// The column's Fivetran type, from `#[column(...)]` or from the field's Rust type.
fn data_type(field: &TableField, refused: &HashSet<&Ident>) -> TokenStream {
    let p = private();
    let ty = field.ty;
    if field.attr.json.is_some() {
        quote!(#p::DataType::Json)
    } else if field.attr.xml.is_some() {
        quote!(#p::DataType::Xml)
    } else if let Some((precision, scale)) = check::decimal_params(field) {
        quote!(#p::DataType::Decimal { precision: #precision, scale: #scale })
    } else if refused.contains(field.ident) || field.attr.decimal.is_some() {
        quote!(#p::DataType::String)
    } else {
        quote_spanned!(ty.span()=> <#ty as #p::ColumnType>::DATA_TYPE)
    }
}

/// The expression turning `value` (of the field's type) into a cell.
fn encode(field: &TableField, value: TokenStream, refused: &HashSet<&Ident>) -> TokenStream {
    let p = private();
    let ty = field.ty;
    if refused.contains(field.ident) {
        return quote!({ let _ = #value; #p::Value::Null });
    }
    if let Some(span) = field.attr.json {
        quote_spanned!(span=> <#ty as #p::JsonColumn>::into_json(#value))
    } else if let Some(span) = field.attr.xml {
        quote_spanned!(span=> <#ty as #p::XmlColumn>::into_xml(#value))
    } else if let Some(decimal) = &field.attr.decimal {
        let span = decimal.span;
        let check = quote_spanned!(span=> fn __decimal<T: #p::DecimalColumn>(value: T) -> #p::Value { #p::ColumnType::into_value(value) });
        quote!({ #check __decimal::<#ty>(#value) })
    } else {
        quote_spanned!(ty.span()=> <#ty as #p::ColumnType>::into_value(#value))
    }
}

fn key_and_patch(table: &Table, refused: &HashSet<&Ident>) -> TokenStream {
    let keys: Vec<&TableField> = table.keys().collect();
    if keys.is_empty() {
        return TokenStream::new();
    }
    let p = private();
    let ident = &table.item.ident;
    let vis = &table.item.vis;
    let key_ident = format_ident!("{}Key", ident);
    let patch_ident = format_ident!("{}Patch", ident);
    let index_of = |field: &TableField| -> u16 {
        let i = table
            .columns()
            .position(|c| c.ident == field.ident)
            .expect("a key is a column");
        u16::try_from(i).expect("fewer than 65536 columns")
    };

    let key_fields = keys.iter().map(|f| {
        let (fvis, fident, fty) = (f.vis, f.ident, f.ty);
        quote!(#fvis #fident: #fty)
    });
    let key_cells = keys.iter().map(|f| {
        let (i, member) = (index_of(f), f.ident);
        let cell = encode(f, quote!(self.#member), refused);
        quote!((#i, #cell))
    });
    let from_impl = if let [only] = keys.as_slice() {
        let (fident, fty) = (only.ident, only.ty);
        quote! {
            #[automatically_derived]
            impl ::core::convert::From<#fty> for #key_ident {
                fn from(#fident: #fty) -> Self {
                    #key_ident { #fident }
                }
            }
        }
    } else {
        let idents: Vec<&Ident> = keys.iter().map(|f| f.ident).collect();
        let types: Vec<&syn::Type> = keys.iter().map(|f| f.ty).collect();
        quote! {
            #[automatically_derived]
            impl ::core::convert::From<(#(#types),*)> for #key_ident {
                fn from((#(#idents),*): (#(#types),*)) -> Self {
                    #key_ident { #(#idents),* }
                }
            }
        }
    };

    let setters = table.columns().filter(|f| !f.is_key()).map(|f| {
        let (fident, fty) = (f.ident, f.ty);
        let i = index_of(f);
        let cell = encode(
            f,
            quote!(::core::convert::Into::<#fty>::into(value)),
            refused,
        );
        let doc = format!("Sets column `{}`.", f.column_name());
        quote! {
            #[doc = #doc]
            #[must_use]
            #vis fn #fident(mut self, value: impl ::core::convert::Into<#fty>) -> Self {
                self.cells.push((#i, #cell));
                self
            }
        }
    });
    let key_doc = format!(
        "The primary key of table `{}`: what a delete needs.",
        table.name()
    );
    let patch_doc = format!(
        "A partial update of table `{}`: its key and the columns to change.",
        table.name()
    );
    quote! {
        #[doc = #key_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        #vis struct #key_ident {
            #(#key_fields),*
        }

        #from_impl

        #[automatically_derived]
        impl #p::Key for #key_ident {
            type Table = #ident;

            fn into_cells(self) -> #p::Vec<(u16, #p::Value)> {
                <[_]>::into_vec(#p::Box::new([#(#key_cells),*]))
            }
        }

        #[doc = #patch_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone)]
        #vis struct #patch_ident {
            cells: #p::Vec<(u16, #p::Value)>,
        }

        impl #ident {
            /// Starts a partial update of the row with this key.
            #[must_use]
            #vis fn patch(key: impl ::core::convert::Into<#key_ident>) -> #patch_ident {
                #patch_ident { cells: #p::Key::into_cells(::core::convert::Into::<#key_ident>::into(key)) }
            }
        }

        impl #patch_ident {
            #(#setters)*
        }

        #[automatically_derived]
        impl #p::Patch for #patch_ident {
            type Table = #ident;

            fn into_cells(self) -> #p::Vec<(u16, #p::Value)> {
                self.cells
            }
        }
    }
}
