//! The generated code: a `static` site registered with `inventory`, and a body that times the
//! original one.
//!
//! Every name the expansion introduces is either a local with `Span::mixed_site()` (invisible to
//! the user's code, so it shadows nothing and cannot be shadowed) or an item inside a block of
//! its own, and every path is absolute (`::timed_runtime::__private::...`, `::core::...`), so a
//! user's `mod inventory` or `const SITE` changes nothing.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{AttrStyle, Attribute, Block, ItemFn, LitStr, Signature, Stmt};

use crate::attr::Args;
use crate::infer::{return_type_hint, returns_never};

/// The phase of a site whose attribute names none.
pub(crate) const DEFAULT_PHASE: &str = "default";

pub(crate) fn timed(args: &Args, function: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    // syn keeps a body's inner attributes (`#![allow(..)]`) with the outer ones; they must go
    // back inside the body, where they still apply to the whole function.
    let (inner, outer): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Inner(_)));
    let site = site(args, &sig);
    let body = if sig.asyncness.is_some() {
        async_body(&site, &sig, &inner, &block)
    } else {
        sync_body(&site, &inner, &block)
    };
    quote! {
        #(#outer)*
        #vis #sig #body
    }
}

/// An expression of type `&'static Site`: the function's static site, submitted to the
/// registry. The static is shared by every monomorphisation, as it mentions no generics.
fn site(args: &Args, sig: &Signature) -> TokenStream {
    let span = Span::mixed_site();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span()));
    let phase = args
        .phase
        .clone()
        .unwrap_or_else(|| LitStr::new(DEFAULT_PHASE, span));
    // `env!` expands in the user's crate, so the default component is the user's package.
    let component = args.component.as_ref().map_or_else(
        || quote_spanned!(span=> ::core::env!("CARGO_PKG_NAME")),
        |component| quote!(#component),
    );
    // `line!()` reports the line of the span it is given: the function's name, not the attribute.
    let line = quote_spanned!(sig.ident.span()=> ::core::line!());
    quote_spanned! {span=>
        {
            static SITE: ::timed_runtime::__private::Site = ::timed_runtime::__private::Site::new(
                #name,
                #phase,
                #component,
                ::core::module_path!(),
                ::core::file!(),
                #line,
            );
            ::timed_runtime::__private::inventory::submit! {
                ::timed_runtime::__private::SiteRegistration(&SITE)
            }
            &SITE
        }
    }
}

/// The guard is the body's first local, so it drops after everything the original body
/// creates, on every way out: the tail value, `return`, `?`, a panic.
fn sync_body(site: &TokenStream, inner: &[Attribute], block: &Block) -> TokenStream {
    let span = Span::mixed_site();
    let guard = quote_spanned! {span=>
        let timed_guard = ::timed_runtime::__private::Guard::enter(#site);
    };
    reopened(inner, block, guard)
}

/// The original body becomes an `async move` block wrapped in a `TimedFuture`, which times the
/// call from its first poll to its completion on whatever threads poll it.
///
/// The `async` block and the function's body both take the user's braces: the function's span
/// is then the user's alone, as without the attribute, so rustc still reports it as dead code
/// when nothing calls it and points its notes at the signature. The body returns the awaited
/// call instead of leaving it as the tail value, which clippy's `implicit_return` would report
/// in a block with the user's braces; before a value of type `!` a `return` would be
/// unreachable code, so a `-> !` function keeps the tail (which only that allow-by-default
/// restriction lint reports, and `match` on the value would not build in edition 2021, where
/// nothing then says that the `async` block's output is `!`).
fn async_body(
    site: &TokenStream,
    sig: &Signature,
    inner: &[Attribute],
    block: &Block,
) -> TokenStream {
    let span = Span::mixed_site();
    let original = reopened(&[], block, return_type_hint(&sig.output));
    let call = quote_spanned! {span=>
        ::timed_runtime::__private::TimedFuture::new(#site, async move #original).await
    };
    let call = if returns_never(&sig.output) {
        call
    } else {
        quote_spanned!(span=> return #call;)
    };
    let mut body = TokenStream::new();
    block.brace_token.surround(&mut body, |body| {
        body.extend(quote!(#(#inner)* #call));
    });
    body
}

/// The user's block with `first` as its first statement: its own braces, then `inner`, the
/// items it starts with, `first`, and the rest of its statements as written.
///
/// Putting the block as written inside one of ours would make it the tail value of ours, and
/// rustc's `unused_braces` reports a block that is a value, holds one expression, fits on one
/// line and has braces from the user's source: `fn add(a: u32, b: u32) -> u32 { a + b }` would
/// warn. Reopened, the block is the function's body (or the `async` block's) as it was without
/// the attribute, whatever its layout; its statements, items and labels keep their meaning, and
/// lints that look at it see the user's block. Items are in scope in the whole block wherever
/// they stand, so leading ones can stay ahead of `first`, where clippy's `items_after_statements`
/// wants them.
fn reopened(inner: &[Attribute], block: &Block, first: TokenStream) -> TokenStream {
    let leading_items = block
        .stmts
        .iter()
        .take_while(|stmt| matches!(stmt, Stmt::Item(_)))
        .count();
    let (items, rest) = block.stmts.split_at(leading_items);
    let mut reopened = TokenStream::new();
    block.brace_token.surround(&mut reopened, |body| {
        body.extend(quote! {
            #(#inner)*
            #(#items)*
            #first
            #(#rest)*
        });
    });
    reopened
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn reopened_text(inner: &[Attribute], block: &Block) -> String {
        reopened(inner, block, quote!(FIRST;)).to_string()
    }

    #[test]
    fn first_goes_before_the_first_statement() {
        assert_eq!(
            reopened_text(&[], &parse_quote!({ a + b })),
            "{ FIRST ; a + b }"
        );
        assert_eq!(reopened_text(&[], &parse_quote!({})), "{ FIRST ; }");
        assert_eq!(
            reopened_text(
                &[],
                &parse_quote!({
                    let x = 1;
                    fn late() {}
                    x
                })
            ),
            "{ FIRST ; let x = 1 ; fn late () { } x }"
        );
    }

    #[test]
    fn leading_items_stay_ahead_of_first() {
        assert_eq!(
            reopened_text(
                &[],
                &parse_quote!({
                    const K: u32 = 1;
                    macro_rules! m {
                        () => {};
                    }
                    use std::fmt;
                    K
                })
            ),
            "{ const K : u32 = 1 ; macro_rules ! m { () => { } ; } use std :: fmt ; FIRST ; K }"
        );
    }

    #[test]
    fn inner_attributes_open_the_block() {
        let function: ItemFn = parse_quote! {
            fn f() -> u32 { #![allow(unused_mut)] const K: u32 = 1; let mut k = K; k }
        };
        let inner: Vec<Attribute> = function
            .attrs
            .into_iter()
            .filter(|attr| matches!(attr.style, AttrStyle::Inner(_)))
            .collect();
        assert_eq!(
            reopened_text(&inner, &function.block),
            "{ # ! [allow (unused_mut)] const K : u32 = 1 ; FIRST ; let mut k = K ; k }"
        );
    }
}
