//! Interim expansion used while the attribute's parser and validation are written.
use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr, parse_macro_input};

#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut phase = String::from("default");
    let mut name = None;
    let mut component = None;
    let parser = syn::meta::parser(|meta| {
        let value: LitStr = meta.value()?.parse()?;
        if meta.path.is_ident("phase") {
            phase = value.value();
        } else if meta.path.is_ident("name") {
            name = Some(value.value());
        } else if meta.path.is_ident("component") {
            component = Some(value.value());
        }
        Ok(())
    });
    parse_macro_input!(args with parser);
    let function = parse_macro_input!(item as ItemFn);
    let ItemFn { attrs, vis, sig, block } = function;
    let name = name.unwrap_or_else(|| sig.ident.to_string());
    let component = match component {
        Some(c) => quote!(#c),
        None => quote!(::core::env!("CARGO_PKG_NAME")),
    };
    let site = quote! {
        static __TIMED_SITE: ::timed_runtime::__private::Site = ::timed_runtime::__private::Site::new(
            #name, #phase, #component, ::core::module_path!(), ::core::file!(), ::core::line!());
        ::timed_runtime::__private::inventory::submit! {
            ::timed_runtime::__private::SiteRegistration(&__TIMED_SITE)
        }
    };
    let body = if sig.asyncness.is_some() {
        quote! {{
            let __timed_site = { #site &__TIMED_SITE };
            ::timed_runtime::__private::TimedFuture::new(__timed_site, async move #block).await
        }}
    } else {
        let stmts = &block.stmts;
        quote! {{
            let __timed_guard = { #site ::timed_runtime::__private::Guard::enter(&__TIMED_SITE) };
            #(#stmts)*
        }}
    };
    quote!(#(#attrs)* #vis #sig #body).into()
}
