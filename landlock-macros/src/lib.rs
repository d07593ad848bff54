//! The `#[sandbox]` attribute and `block::sandbox!` macro of landlock-sandbox.
//!
//! Use them through `landlock_runtime`, which re-exports them and documents the policy
//! language in its guide
//! ([`landlock_runtime::guide::policy_language`](https://docs.rs/landlock-runtime/latest/landlock_runtime/guide/policy_language/index.html)).
//! Each macro goes parse -> typed model -> validate -> expand, one module each; every
//! mistake is reported at once, under the token that is wrong, and the user's item is still
//! emitted.

mod expand;
#[cfg(test)]
mod hostile_input;
mod model;
mod parse;
mod sandbox_fn;
mod valid;

use proc_macro::TokenStream;

/// Errors collected over one invocation.
pub(crate) type Errors = Vec<syn::Error>;

/// Combines collected errors into one, or `None` when there are none.
///
/// They are reported in the order of the source, as they are read: the stages find them in
/// their own order (syntax first, then values, then across items).
pub(crate) fn combine(mut errors: Errors) -> Option<syn::Error> {
    errors.sort_by_key(|e| {
        let start = e.span().start();
        (start.line, start.column)
    });
    errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    })
}

/// Implemented in `landlock-macros`; depend on `landlock-runtime`, which re-exports it with
/// its documentation.
#[proc_macro_attribute]
pub fn sandbox(args: TokenStream, item: TokenStream) -> TokenStream {
    sandbox_fn::expand(args.into(), item.into()).into()
}

/// Implemented in `landlock-macros`; depend on `landlock-runtime`, which re-exports it with
/// its documentation.
#[proc_macro]
pub fn block_sandbox(input: TokenStream) -> TokenStream {
    sandbox_fn::expand_block(input.into()).into()
}

/// Implemented in `landlock-macros`; depend on `landlock-runtime`, which re-exports it with
/// its documentation.
#[proc_macro]
pub fn policy(input: TokenStream) -> TokenStream {
    sandbox_fn::expand_policy(input.into()).into()
}
