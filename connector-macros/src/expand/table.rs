//! `#[table]`: the struct as written (helpers removed), its `Table` impl with a static schema,
//! and for a table with a primary key the `<Name>Key` struct and the `<Name>Patch` builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ItemStruct;
use syn::spanned::Spanned;

use super::private;
use crate::attr;
use crate::model::{Column, ColumnKind, Table};

pub fn expand(table: &Table) -> TokenStream {
    let item = strip_helpers(table.item);
    let table_impl = table_impl(table);
    let key = key_and_patch(table);
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

fn table_impl(table: &Table) -> TokenStream {
    let p = private();
    let ident = &table.item.ident;
    let (name, destination) = (&table.name, &table.destination);
    let schema = match &table.schema {
        Some(s) => quote!(#p::Option::Some(#p::Cow::Borrowed(#s))),
        None => quote!(#p::Option::None),
    };
    let columns = table.columns.iter().map(|column| {
        let name = &column.name;
        let data_type = data_type(column);
        let key = column.key;
        quote! {
            #p::Column { name: #p::Cow::Borrowed(#name), data_type: #p::Option::Some(#data_type), primary_key: #key }
        }
    });
    let cells = table.columns.iter().map(|column| {
        let member = column.ident;
        encode(column, quote!(self.#member))
    });
    let extra_columns = table.flatten.as_ref().map(|flatten| {
        let (member, ty) = (flatten.ident, flatten.ty);
        let take = quote_spanned!(flatten.span=> <#ty as #p::FlattenColumns>::take_columns(&mut self.#member));
        quote! {
            #[inline]
            fn take_extra_columns(&mut self) -> #p::Row {
                #take
            }
        }
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

            #extra_columns
        }
    }
}

/// The column's Fivetran type.
fn data_type(column: &Column) -> TokenStream {
    let p = private();
    let ty = column.ty;
    match column.kind {
        ColumnKind::Native => quote_spanned!(ty.span()=> <#ty as #p::ColumnType>::DATA_TYPE),
        ColumnKind::Json(_) => quote!(#p::DataType::Json),
        ColumnKind::Xml(_) => quote!(#p::DataType::Xml),
        ColumnKind::Decimal {
            precision, scale, ..
        } => quote!(#p::DataType::Decimal { precision: #precision, scale: #scale }),
        ColumnKind::Refused => quote!(#p::DataType::String),
    }
}

/// The expression turning `value` (of the field's type) into a cell.
fn encode(column: &Column, value: TokenStream) -> TokenStream {
    let p = private();
    let ty = column.ty;
    match column.kind {
        ColumnKind::Native => {
            quote_spanned!(ty.span()=> <#ty as #p::ColumnType>::into_value(#value))
        }
        ColumnKind::Json(span) => quote_spanned!(span=> <#ty as #p::JsonColumn>::into_json(#value)),
        ColumnKind::Xml(span) => quote_spanned!(span=> <#ty as #p::XmlColumn>::into_xml(#value)),
        ColumnKind::Decimal { span, .. } => {
            let check = quote_spanned!(span=> fn __decimal<T: #p::DecimalColumn>(value: T) -> #p::Value { #p::ColumnType::into_value(value) });
            quote!({ #check __decimal::<#ty>(#value) })
        }
        ColumnKind::Refused => quote!({ let _ = #value; #p::Value::Null }),
    }
}

fn key_and_patch(table: &Table) -> TokenStream {
    let keys: Vec<&Column> = table.keys().collect();
    if keys.is_empty() {
        return TokenStream::new();
    }
    let p = private();
    let ident = &table.item.ident;
    let vis = &table.item.vis;
    let key_ident = format_ident!("{}Key", ident);
    let patch_ident = format_ident!("{}Patch", ident);
    let key_fields = keys.iter().map(|f| {
        let (fvis, fident, fty) = (f.vis, f.ident, f.ty);
        quote!(#fvis #fident: #fty)
    });
    let key_cells = keys.iter().map(|f| {
        let (i, member) = (f.index, f.ident);
        let cell = encode(f, quote!(self.#member));
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
        let idents: Vec<&syn::Ident> = keys.iter().map(|f| f.ident).collect();
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

    let setters = table.columns.iter().filter(|f| !f.key).map(|f| {
        let (fident, fty, i) = (f.ident, f.ty, f.index);
        let cell = encode(f, quote!(::core::convert::Into::<#fty>::into(value)));
        let doc = format!("Sets column `{}`.", f.name);
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
        table.name
    );
    let patch_doc = format!(
        "A partial update of table `{}`: its key and the columns to change.",
        table.name
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
