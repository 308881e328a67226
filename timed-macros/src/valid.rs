//! What `#[timed]` can be put on: a function with a body that runs at run time. Everything else
//! is rejected at the token that makes it so.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Item, ItemFn, Signature, Stmt, Token, Visibility};

pub(crate) fn function(item: TokenStream) -> syn::Result<ItemFn> {
    let Ok(item) = syn::parse2::<Item>(item.clone()) else {
        return Err(not_an_item(item));
    };
    match item {
        Item::Fn(function) => {
            signature(&function.sig)?;
            not_timed_twice(&function.attrs)?;
            Ok(function)
        }
        Item::Verbatim(tokens) => Err(verbatim(tokens)),
        other => Err(not_a_function(&other)),
    }
}

fn signature(sig: &Signature) -> syn::Result<()> {
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "#[timed] cannot time a `const fn`: its guard reads the clock, which cannot happen \
             at compile time; remove `const` or the attribute",
        ));
    }
    Ok(())
}

/// A second `#[timed]` on the same function would time every call twice, under two sites.
fn not_timed_twice(attrs: &[Attribute]) -> syn::Result<()> {
    let repeated = attrs.iter().find(|attr| {
        let segments = &attr.path().segments;
        segments.last().is_some_and(|last| last.ident == "timed")
            && (segments.len() == 1
                || segments.first().is_some_and(|first| {
                    first.ident == "timed_runtime" || first.ident == "timed_macros"
                }))
    });
    match repeated {
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            "#[timed] is applied twice to this function: once is enough",
        )),
        None => Ok(()),
    }
}

/// A declaration without a body (`fn f(&self);` in a trait or an extern block) comes through as
/// verbatim tokens.
fn verbatim(tokens: TokenStream) -> syn::Error {
    let bodiless = |input: ParseStream| -> syn::Result<Token![;]> {
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        input.parse::<Signature>()?;
        let semicolon = input.parse()?;
        input.parse::<TokenStream>()?;
        Ok(semicolon)
    };
    match bodiless.parse2(tokens.clone()) {
        Ok(semicolon) => syn::Error::new_spanned(
            semicolon,
            "#[timed] needs a function body to time, and this declaration has none: put it on \
             a function that implements or calls this one",
        ),
        Err(_) => not_an_item(tokens),
    }
}

/// Statements and expressions reach the attribute only where rustc allows attribute macros on
/// them (nightly features); name the two a user is likely to try.
fn not_an_item(tokens: TokenStream) -> syn::Error {
    let message = "#[timed] can only be applied to a function";
    if let Ok(Stmt::Local(local)) = syn::parse2::<Stmt>(tokens.clone()) {
        return syn::Error::new_spanned(
            local.let_token,
            format!("{message}, not to a `let` statement"),
        );
    }
    if let Ok(Expr::Closure(closure)) = syn::parse2::<Expr>(tokens.clone()) {
        return syn::Error::new_spanned(
            closure.or1_token,
            format!("{message}, not to a closure; move the closure's body into a function"),
        );
    }
    let span = tokens
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    syn::Error::new(span, message)
}

fn not_a_function(item: &Item) -> syn::Error {
    let (keyword, what): (&dyn ToTokens, &str) = match item {
        Item::Const(item) => (&item.const_token, "a constant"),
        Item::Enum(item) => (&item.enum_token, "an enum"),
        Item::ExternCrate(item) => (&item.extern_token, "an `extern crate`"),
        Item::ForeignMod(item) => (&item.abi, "an extern block"),
        Item::Impl(item) => (&item.impl_token, "an impl block"),
        Item::Macro(item) => (&item.mac.path, "a macro item"),
        Item::Mod(item) => (&item.mod_token, "a module"),
        Item::Static(item) => (&item.static_token, "a static"),
        Item::Struct(item) => (&item.struct_token, "a struct"),
        Item::Trait(item) => (&item.trait_token, "a trait"),
        Item::TraitAlias(item) => (&item.trait_token, "a trait alias"),
        Item::Type(item) => (&item.type_token, "a type alias"),
        Item::Union(item) => (&item.union_token, "a union"),
        Item::Use(item) => (&item.use_token, "a `use` declaration"),
        _ => return syn::Error::new(item.span(), "#[timed] can only be applied to a function"),
    };
    let hint = match item {
        Item::Impl(_) | Item::Trait(_) | Item::ForeignMod(_) | Item::Mod(_) => {
            "; put it on each function inside that you want timed"
        }
        _ => "",
    };
    syn::Error::new_spanned(
        keyword,
        format!("#[timed] can only be applied to a function, not to {what}{hint}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error(tokens: TokenStream) -> String {
        match function(tokens) {
            Ok(_) => String::from("accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn accepts_every_kind_of_function_with_a_body() {
        for tokens in [
            quote!(
                fn f() {}
            ),
            quote!(
                pub(crate) async unsafe fn f<'a, T: Copy, const N: usize>(x: &'a T) -> [T; N]
                where
                    T: Default,
                {
                    todo!()
                }
            ),
            quote!(
                extern "C" fn f() {}
            ),
            quote!(
                #[inline]
                #[doc = "x"]
                fn f(self: Box<Self>) -> ! {
                    loop {}
                }
            ),
            quote!(
                #[cfg(test)]
                #[other::timed]
                fn f() {}
            ),
        ] {
            assert_eq!(error(tokens), "accepted");
        }
    }

    #[test]
    fn const_fn() {
        assert_eq!(
            error(quote!(
                pub const fn f() {}
            )),
            "#[timed] cannot time a `const fn`: its guard reads the clock, which cannot happen at \
             compile time; remove `const` or the attribute"
        );
    }

    #[test]
    fn bodiless_declarations() {
        let expected = "#[timed] needs a function body to time, and this declaration has none: \
                        put it on a function that implements or calls this one";
        assert_eq!(
            error(quote!(
                fn f(&self) -> u32;
            )),
            expected
        );
        assert_eq!(
            error(quote!(
                #[doc = "x"]
                pub fn f(x: i32);
            )),
            expected
        );
    }

    #[test]
    fn other_items_name_what_they_are() {
        assert_eq!(
            error(quote!(
                struct S;
            )),
            "#[timed] can only be applied to a function, not to a struct"
        );
        assert_eq!(
            error(quote!(impl S {})),
            "#[timed] can only be applied to a function, not to an impl block; put it on each \
             function inside that you want timed"
        );
        assert_eq!(
            error(quote!(
                static X: u8 = 1;
            )),
            "#[timed] can only be applied to a function, not to a static"
        );
        assert_eq!(
            error(quote!(let x = 1;)),
            "#[timed] can only be applied to a function, not to a `let` statement"
        );
        assert_eq!(
            error(quote!(move |x| x + 1)),
            "#[timed] can only be applied to a function, not to a closure; move the closure's \
             body into a function"
        );
        assert_eq!(
            error(quote!(1 + 1)),
            "#[timed] can only be applied to a function"
        );
    }

    #[test]
    fn applied_twice() {
        for tokens in [
            quote!(
                #[timed]
                fn f() {}
            ),
            quote!(
                #[timed(phase = "p")]
                fn f() {}
            ),
            quote!(
                #[timed_runtime::timed]
                fn f() {}
            ),
        ] {
            assert_eq!(
                error(tokens),
                "#[timed] is applied twice to this function: once is enough"
            );
        }
    }
}
