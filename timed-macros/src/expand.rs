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
use syn::{AttrStyle, Block, ItemFn, LitStr, Signature};

use crate::attr::Args;
use crate::infer::return_type_hint;

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
        async_body(&site, &sig, &block)
    } else {
        sync_body(&site, &block)
    };
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #body
        }
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
/// creates, on every way out: the tail value, `return`, `?`, a panic. The original block stays
/// a block of its own, so its items, labels and statements keep their meaning and position.
fn sync_body(site: &TokenStream, block: &Block) -> TokenStream {
    let span = Span::mixed_site();
    quote_spanned! {span=>
        let timed_guard = ::timed_runtime::__private::Guard::enter(#site);
        #block
    }
}

/// The original body becomes an `async move` block wrapped in a `TimedFuture`, which times the
/// call from its first poll to its completion on whatever threads poll it.
fn async_body(site: &TokenStream, sig: &Signature, block: &Block) -> TokenStream {
    let span = Span::mixed_site();
    let hint = return_type_hint(&sig.output);
    quote_spanned! {span=>
        ::timed_runtime::__private::TimedFuture::new(#site, async move {
            #hint
            #block
        })
        .await
    }
}
