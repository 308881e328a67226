//! The arguments of `#[timed(...)]`: `phase`, `name` and `component`, each a string literal,
//! each at most once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Lit, LitStr, Token, token};

/// What the message of an unknown or malformed argument offers instead.
const ACCEPTED: &str = "`phase = \"...\"`, `name = \"...\"` and `component = \"...\"`";

/// Arguments as written; defaults are applied when the site is generated.
#[derive(Default)]
pub(crate) struct Args {
    pub phase: Option<LitStr>,
    pub name: Option<LitStr>,
    pub component: Option<LitStr>,
}

pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    syn::meta::parser(|meta| args.parse_one(&meta)).parse2(tokens)?;
    Ok(args)
}

impl Args {
    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta.path.get_ident().map(ToString::to_string);
        let slot = match key.as_deref() {
            Some("phase") => &mut self.phase,
            Some("name") => &mut self.name,
            Some("component") => &mut self.component,
            _ => {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown argument `{}`: #[timed] accepts {ACCEPTED}",
                        path_text(&meta.path)
                    ),
                ));
            }
        };
        let key = key.unwrap_or_default();
        let value = string_value(meta, &key)?;
        if slot.is_some() {
            return Err(syn::Error::new_spanned(
                &meta.path,
                format!("duplicate argument `{key}`: give it once"),
            ));
        }
        *slot = Some(value);
        Ok(())
    }
}

/// Reads the `= "..."` after `key`, rejecting the other shapes a meta item can take.
fn string_value(meta: &ParseNestedMeta, key: &str) -> syn::Result<LitStr> {
    if meta.input.peek(token::Paren)
        || meta.input.peek(token::Bracket)
        || meta.input.peek(token::Brace)
    {
        let group: proc_macro2::Group = meta.input.parse()?;
        let mut written = meta.path.to_token_stream();
        group.to_tokens(&mut written);
        return Err(syn::Error::new_spanned(
            written,
            format!("`{key}` takes a value, not a list: write `{key} = \"...\"`"),
        ));
    }
    if !meta.input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("`{key}` needs a value: write `{key} = \"...\"`"),
        ));
    }
    let expr: Expr = meta.value()?.parse()?;
    let Expr::Lit(ExprLit {
        lit: Lit::Str(value),
        attrs,
    }) = &expr
    else {
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` must be a string literal, as in `{key} = \"...\"`"),
        ));
    };
    if !attrs.is_empty() || !value.suffix().is_empty() {
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` must be a plain string literal, as in `{key} = \"...\"`"),
        ));
    }
    if value.value().trim().is_empty() {
        return Err(syn::Error::new_spanned(
            value,
            format!("`{key}` cannot be empty or blank: it labels every row of the log"),
        ));
    }
    Ok(value.clone())
}

fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let root = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{root}{}", segments.join("::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error(tokens: TokenStream) -> String {
        match parse(tokens) {
            Ok(_) => String::from("parsed"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn no_arguments_leave_every_default_to_the_expansion() {
        let args = parse(TokenStream::new()).unwrap();
        assert!(args.phase.is_none() && args.name.is_none() && args.component.is_none());
    }

    #[test]
    fn all_three_arguments_in_any_order_with_a_trailing_comma() {
        let args = parse(quote!(component = "net", phase = r"io", name = "fetch",)).unwrap();
        assert_eq!(args.phase.unwrap().value(), "io");
        assert_eq!(args.name.unwrap().value(), "fetch");
        assert_eq!(args.component.unwrap().value(), "net");
    }

    #[test]
    fn unknown_argument_lists_the_accepted_ones() {
        assert_eq!(
            error(quote!(phas = "x")),
            "unknown argument `phas`: #[timed] accepts `phase = \"...\"`, `name = \"...\"` and `component = \"...\"`"
        );
        assert_eq!(
            error(quote!(::a::phase = "x")),
            "unknown argument `::a::phase`: #[timed] accepts `phase = \"...\"`, `name = \"...\"` and `component = \"...\"`"
        );
    }

    #[test]
    fn duplicate_argument() {
        assert_eq!(
            error(quote!(name = "a", phase = "p", name = "b")),
            "duplicate argument `name`: give it once"
        );
    }

    #[test]
    fn wrongly_shaped_values() {
        assert_eq!(
            error(quote!(phase = 5)),
            "`phase` must be a string literal, as in `phase = \"...\"`"
        );
        assert_eq!(
            error(quote!(phase = PHASE)),
            "`phase` must be a string literal, as in `phase = \"...\"`"
        );
        assert_eq!(
            error(quote!(name = "x"suffix)),
            "`name` must be a plain string literal, as in `name = \"...\"`"
        );
        assert_eq!(
            error(quote!(phase)),
            "`phase` needs a value: write `phase = \"...\"`"
        );
        assert_eq!(
            error(quote!(component("x"))),
            "`component` takes a value, not a list: write `component = \"...\"`"
        );
        assert_eq!(
            error(quote!(name = " ")),
            "`name` cannot be empty or blank: it labels every row of the log"
        );
    }
}
