//! What a macro emits when `syn` cannot parse its input: the user's item as it was written,
//! followed by the error, as tokio's macros do. The item still exists for the rest of the crate,
//! so one mistake gives one error rather than one more at every use of the item.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

/// The item as written (less the helper attributes that only the macro understands, which the
/// compiler would report as unknown) and `error`.
pub fn item_with_error(item: TokenStream, error: &syn::Error, helpers: &[&str]) -> TokenStream {
    let item = strip_helpers(item, helpers);
    let error = error.to_compile_error();
    quote!(#item #error)
}

/// Removes `#[helper ...]` attributes at any depth of the token tree.
fn strip_helpers(tokens: TokenStream, helpers: &[&str]) -> TokenStream {
    let mut out = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(pound) if pound.as_char() == '#' => {
                if let Some(TokenTree::Group(attribute)) = tokens.peek()
                    && attribute.delimiter() == Delimiter::Bracket
                    && is_helper(attribute.stream(), helpers)
                {
                    tokens.next();
                    continue;
                }
                out.push(TokenTree::Punct(pound));
            }
            TokenTree::Group(group) => {
                let mut stripped = proc_macro2::Group::new(
                    group.delimiter(),
                    strip_helpers(group.stream(), helpers),
                );
                stripped.set_span(group.span());
                out.push(TokenTree::Group(stripped));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

fn is_helper(attribute: TokenStream, helpers: &[&str]) -> bool {
    matches!(
        attribute.into_iter().next(),
        Some(TokenTree::Ident(name)) if helpers.iter().any(|h| name == h)
    )
}
