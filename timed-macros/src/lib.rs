//! The `#[timed]` attribute. Use it through `timed_runtime::timed`: the code it generates refers
//! to `::timed_runtime`, which must be a dependency of the crate that uses it, under that name.
//!
//! `attr` parses the arguments, `valid` checks the item, `expand` generates the code (with
//! `infer` for async bodies). `timed_off` is the same attribute switched off at compile time:
//! checked the same way, expanding to the item as written.

mod attr;
mod expand;
mod infer;
mod valid;

use proc_macro::TokenStream;

/// Times every call of a function and registers it as a site of the timing runtime.
///
/// ```
/// use timed_runtime::timed;
///
/// #[timed] // name "load", phase "default", component: this crate's package name
/// fn load(path: &str) -> std::io::Result<String> {
///     std::fs::read_to_string(path)
/// }
///
/// #[timed(phase = "training", name = "ppo_update", component = "trainer")]
/// async fn update(batch: Vec<f32>) -> f32 {
///     batch.iter().sum()
/// }
///
/// let update = timed_runtime::sites()
///     .into_iter()
///     .find(|site| site.name() == "ppo_update")
///     .unwrap();
/// assert_eq!((update.phase(), update.component()), ("training", "trainer"));
/// ```
///
/// # Arguments
///
/// All optional, each at most once, each a string literal (not a constant or a macro call):
///
/// - `phase = "..."`: the phase column of the log. Default: `"default"`.
/// - `name = "..."`: the operation name. Default: the function's name (`r#type` gives `type`).
///   Sites with the same name in one component are merged in the summary.
/// - `component = "..."`: which component's log and summary receive the calls. Default: the
///   package name of the crate the function is in (`CARGO_PKG_NAME`, read when that crate is
///   compiled, so it must be built by Cargo).
///
/// An unknown, repeated, empty or non-string argument is a compile error at that argument.
///
/// # What is recorded
///
/// Each call, when a session is recording, with its duration, its self time (the duration
/// minus its timed children's), its parent call, its thread and its status. A site is
/// registered once, when the program starts, whether or not it is ever called:
/// `timed_runtime::sites()` lists it with its name, phase, component, module path, file and the
/// line of the function's name. All instances of a generic function share one site.
///
/// # Sync functions
///
/// A guard is created first thing in the body and dropped last, however the function ends: its
/// tail value, `return`, `?`, or a panic. A call that unwinds is recorded with status
/// `panicked`; with `panic = "abort"` nothing is unwound and the call is not recorded.
///
/// # `async fn`
///
/// The call is timed from the first poll of its future to its completion, wherever it is
/// polled, not from the call that created the future: time spent before the first poll (in a
/// queue) is not counted, time spent suspended between polls is. During each poll the call is
/// the parent of the timed calls made inside it. A future dropped before completing is recorded
/// with status `cancelled`; one that panics during a poll, `panicked`. The returned future is
/// `Send` when the original one is. The body keeps its declared return type: `?` converts
/// errors into it and `return` coerces to it as before.
///
/// # Where it applies
///
/// Functions with a body: free functions, inherent and trait-impl methods (any receiver), trait
/// methods with a default body, generic, `async`, `unsafe` and `extern "C"` functions. It is
/// a compile error on a `const fn` (the clock cannot be read at compile time), on a declaration
/// without a body, on anything that is not a function, and a second time on one function.
/// Attributes, doc comments, visibility, the signature and the body's block are kept as written,
/// so the function gets no warning it would not get without the attribute, whatever the body's
/// layout (one line included) and edition. The crate must depend on `timed-runtime` under its
/// own name (the expansion names `::timed_runtime`).
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match checked(args.into(), &item) {
        Ok((args, function)) => expand::timed(&args, function).into(),
        Err(error) => with_item(&error, &item).into(),
    }
}

/// `#[timed]` switched off at compile time: what `timed_runtime::timed` is under the runtime's
/// `compile-off` feature. The arguments and the item are checked as `#[timed]` checks them (a
/// crate builds, or fails, the same with the switch on or off), then the function is left
/// exactly as written: no guard, no site, nothing recorded, nothing to run.
#[proc_macro_attribute]
pub fn timed_off(args: TokenStream, item: TokenStream) -> TokenStream {
    as_written(args.into(), item.into()).into()
}

/// `timed_off`'s expansion: the item's own tokens, or the error beside them.
fn as_written(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    match checked(args, &item) {
        Ok(_) => item,
        Err(error) => with_item(&error, &item),
    }
}

/// The arguments and the function, or every error found in them.
fn checked(
    args: proc_macro2::TokenStream,
    item: &proc_macro2::TokenStream,
) -> syn::Result<(attr::Args, syn::ItemFn)> {
    match (attr::parse(args), valid::function(item.clone())) {
        (Ok(args), Ok(function)) => Ok((args, function)),
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => Err(error),
        (Err(mut error), Err(item_error)) => {
            error.combine(item_error);
            Err(error)
        }
    }
}

/// Keeping the item as written lets the rest of the crate compile, so the user sees the error
/// rather than a cascade of "cannot find function" errors.
fn with_item(error: &syn::Error, item: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let error = error.to_compile_error();
    // An attribute on an expression (nightly only) must expand to one expression.
    if syn::parse2::<syn::Item>(item.clone()).is_err()
        && let Ok(expression) = syn::parse2::<syn::Expr>(item.clone())
    {
        return quote::quote!({ #error #expression });
    }
    quote::quote!(#error #item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn switched_off_the_function_is_left_token_for_token_as_written() {
        let items = [
            quote! {
                /// Docs.
                #[inline(never)]
                pub(crate) fn load<T: Clone>(path: &str, extra: T) -> std::io::Result<String>
                where
                    T: Send,
                {
                    #![allow(unused)]
                    let _ = extra.clone();
                    std::fs::read_to_string(path)
                }
            },
            quote! { async fn update(batch: Vec<f32>) -> f32 { batch.iter().sum() } },
            quote! { fn add(a: u32, b: u32) -> u32 { a + b } },
            quote! { unsafe extern "C" fn raw(p: *const u8) -> u8 { unsafe { *p } } },
        ];
        for item in items {
            for args in [
                quote!(),
                quote!(phase = "training", name = "ppo", component = "c"),
            ] {
                assert_eq!(as_written(args, item.clone()).to_string(), item.to_string());
            }
        }
    }

    #[test]
    fn switched_off_the_arguments_and_the_item_are_still_checked() {
        let item = quote! { fn f() {} };
        let expanded = as_written(quote!(phase = 1), item.clone()).to_string();
        assert!(
            expanded.contains("compile_error") && expanded.ends_with(&item.to_string()),
            "{expanded}"
        );
        let expanded = as_written(quote!(), quote! { const fn f() {} }).to_string();
        assert!(expanded.contains("cannot time a `const fn`"), "{expanded}");
        let expanded = as_written(quote!(), quote! { struct S; }).to_string();
        assert!(expanded.contains("compile_error"), "{expanded}");
    }
}
