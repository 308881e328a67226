//! What an `async fn`'s declared return type asks of the expansion: the hint its body needs
//! once it is moved into an `async` block, and whether it is `!`.
//!
//! rustc gives an `async fn`'s body the declared return type, so `?` knows which error to
//! convert to and `return Box::new(e)` coerces to `Box<dyn Error>`. An `async` block has no
//! declared type: its return type is inferred from its `return`s, and `?` or a coercion met
//! before the type is known fails with "type annotations needed" or a mismatch. A `return` of
//! a value of the declared type, placed first and never run, fixes the block's type before any
//! user statement is checked. `impl Trait` cannot be written in a `let`, so it becomes `_`.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{ReturnType, Type, TypeGroup, TypeInfer, TypeParen};

/// Statements to put first in the async block, or nothing when the type cannot help: `()` is
/// inferred without help, a bare `impl Trait` would erase to `_`, and `!` cannot be written in
/// a `let`.
pub(crate) fn return_type_hint(output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, declared) = output else {
        return TokenStream::new();
    };
    let unit = matches!(&**declared, Type::Tuple(tuple) if tuple.elems.is_empty());
    if unit || returns_never(output) || matches!(**declared, Type::ImplTrait(_) | Type::Infer(_)) {
        return TokenStream::new();
    }
    let mut declared = (**declared).clone();
    EraseImplTrait.visit_type_mut(&mut declared);
    let span = Span::mixed_site();
    // The `return` after `loop {}` is unreachable by design; rustc reports that lint even inside
    // a macro's expansion.
    quote_spanned! {span=>
        #[allow(unreachable_code)]
        if false {
            let declared_return: #declared = loop {};
            return declared_return;
        }
    }
}

/// Whether the declared return type is `!`, which stable Rust accepts nowhere else (not in a
/// `let`), and before which a `return` is unreachable code.
pub(crate) fn returns_never(output: &ReturnType) -> bool {
    let ReturnType::Type(_, declared) = output else {
        return false;
    };
    let mut declared = &**declared;
    loop {
        match declared {
            Type::Never(_) => return true,
            Type::Paren(TypeParen { elem, .. }) | Type::Group(TypeGroup { elem, .. }) => {
                declared = elem;
            }
            _ => return false,
        }
    }
}

struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        match ty {
            Type::ImplTrait(impl_trait) => {
                let span = impl_trait.impl_token.span;
                *ty = Type::Infer(TypeInfer {
                    underscore_token: syn::Token![_](span),
                });
            }
            _ => visit_mut::visit_type_mut(self, ty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn hint(output: &ReturnType) -> String {
        return_type_hint(output).to_string()
    }

    #[test]
    fn plain_type_is_declared_as_is() {
        assert_eq!(
            hint(&parse_quote!(-> Result<u32, Box<dyn std::error::Error>>)),
            "# [allow (unreachable_code)] if false { let declared_return : Result < u32 , Box < dyn \
             std :: error :: Error > > = loop { } ; return declared_return ; }"
        );
    }

    #[test]
    fn nested_impl_trait_becomes_an_inferred_type() {
        assert_eq!(
            hint(&parse_quote!(-> Result<Vec<impl Fn(u8) -> impl Copy>, &'a str>)),
            "# [allow (unreachable_code)] if false { let declared_return : Result < Vec < _ > , & 'a \
             str > = loop { } ; return declared_return ; }"
        );
    }

    #[test]
    fn no_hint_where_it_cannot_help() {
        assert_eq!(hint(&ReturnType::Default), "");
        assert_eq!(hint(&parse_quote!(-> ())), "");
        assert_eq!(hint(&parse_quote!(-> impl std::fmt::Display)), "");
        assert_eq!(hint(&parse_quote!(-> !)), "");
        assert_eq!(hint(&parse_quote!(-> (!))), "");
        assert_eq!(hint(&parse_quote!(-> _)), "");
    }

    #[test]
    fn never_is_seen_through_parentheses() {
        assert!(returns_never(&parse_quote!(-> !)));
        assert!(returns_never(&parse_quote!(-> ((!)))));
        assert!(!returns_never(&parse_quote!(-> u32)));
        assert!(!returns_never(&parse_quote!(-> Result<!, u32>)));
        assert!(!returns_never(&ReturnType::Default));
    }
}
