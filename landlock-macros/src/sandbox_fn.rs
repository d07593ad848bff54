//! The two entry points, each: parse -> typed model -> validate -> expand, or the user's code
//! plus every error.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Item, ItemFn};

use crate::{Errors, combine, expand, model, parse, valid};

/// `#[sandbox(ARGS)] ITEM`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let raw = parse::attribute_args(args.clone(), &mut errors);
    let policy = model::policy(raw, &mut errors);
    valid::check(&policy, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => Some(function),
        Err(_) => {
            errors.push(not_a_function(&item));
            None
        }
    };
    if let Some(function) = &function {
        if errors.is_empty()
            && let Some(reordered) = below_async_entry(&args, function, &policy)
        {
            return reordered;
        }
        check_signature(function, &mut errors);
        check_arguments(&policy, function, &mut errors);
        check_own_thread(&policy, function, &mut errors);
    }
    match (combine(errors), function) {
        (None, Some(mut function)) => {
            expand::function_body(&policy, &mut function);
            function.into_token_stream()
        }
        (errors, _) => {
            let errors = errors.map(|e| e.to_compile_error());
            if syn::parse2::<syn::ExprClosure>(item.clone()).is_ok() {
                // In expression position: one expression, the closure kept.
                return quote!({ #errors #item });
            }
            quote!(#item #errors)
        }
    }
}

/// `block::sandbox!(ITEMS => EXPR)`.
pub(crate) fn expand_block(input: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let parse::BlockInput { items, body } = parse::block_input(input, &mut errors);
    let policy = model::policy(items, &mut errors);
    valid::check(&policy, &mut errors);
    if let Some(span) = policy.process {
        errors.push(syn::Error::new(
            span,
            "`process` does not apply to the block form: the block runs on its own sandboxed thread and never restricts its caller; to restrict every thread, put `#[sandbox(process, ...)]` on a function",
        ));
    }
    if let Some(span) = policy.own_thread {
        errors.push(syn::Error::new(
            span,
            "`own_thread` does not apply to the block form: the block always runs on a thread of its own, new at each run; remove `own_thread`",
        ));
    }
    match (combine(errors), body) {
        (None, Some(body)) => expand::block(&policy, body),
        (Some(errors), _) => expand::errors_expr(errors),
        (None, None) => unreachable!("a missing body is reported as an error"),
    }
}

/// `#[sandbox]` written above an async runtime's entry attribute (`#[tokio::main]`): moves
/// itself below it, where it sees the plain `fn` that the runtime's attribute makes, and so
/// enforces the policy before the runtime starts, on every thread. The order users write
/// does not matter.
fn below_async_entry(
    args: &TokenStream,
    function: &ItemFn,
    policy: &model::Policy,
) -> Option<TokenStream> {
    function.sig.asyncness?;
    let at = function.attrs.iter().position(is_async_entry)?;
    let mut function = function.clone();
    let runtime = function.attrs.remove(at);
    let p = expand::private_path(policy);
    Some(quote! {
        #runtime
        #[#p::sandbox(#args)]
        #function
    })
}

/// `policy!(ITEMS)`.
pub(crate) fn expand_policy(input: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let items = parse::attribute_args(input, &mut errors);
    let policy = model::policy(items, &mut errors);
    valid::check(&policy, &mut errors);
    if let Some(span) = policy.own_thread {
        errors.push(syn::Error::new(
            span,
            "`own_thread` does not apply to `policy!`: it says how a `#[sandbox]` function runs, and a policy made here is enforced where it is used (`enforce`, `run`, a child process); to run code on a sandboxed thread of its own, use `policy.run(|| ...)` or `block::sandbox!`",
        ));
    }
    for grant in &policy.grants {
        if let model::GrantPath::Arg(ident) = &grant.path {
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "`policy!` makes a policy when the program is compiled, so it cannot grant the paths `{ident}` holds at run time: write the path as a string, or build the policy at run time with `Policy::builder(...).{}_path({ident})`",
                    grant.class.keyword()
                ),
            ));
        }
    }
    for (ident, holds) in policy.arguments() {
        if let model::Holds::Ports(key) = holds {
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "`policy!` makes a policy when the program is compiled, so it cannot grant the ports `{ident}` holds at run time: write the port as a number, or build the policy at run time with `Policy::builder(...).{key}({ident})`"
                ),
            ));
        }
    }
    match combine(errors) {
        None => expand::policy_ref(&policy),
        Some(errors) => expand::errors_expr(errors),
    }
}

const ASYNC_HELP: &str = "Landlock restricts OS threads, and an async task moves between the threads of its runtime, so the sandbox would not follow it. Sandbox threads instead: put `#[sandbox]` below `#[tokio::main]` on `main` (every runtime thread inherits it), on the function that starts your runtime or worker thread, or run the work in `block::sandbox!` (for instance inside `spawn_blocking`)";

/// Rejects what cannot be sandboxed at entry: `async fn` (outside an async runtime's entry
/// attribute) and `const fn`.
fn check_signature(function: &ItemFn, errors: &mut Errors) {
    if let Some(asyncness) = function.sig.asyncness {
        errors.push(syn::Error::new(
            asyncness.span(),
            format!("`#[sandbox]` cannot go on an `async fn`: {ASYNC_HELP}"),
        ));
    }
    if let syn::ReturnType::Type(_, ty) = &function.sig.output
        && returns_a_future(ty)
    {
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "`#[sandbox]` cannot go on a function that returns a future: the sandbox would restrict the thread that calls it, while the future runs later, on whichever thread of its runtime polls it. {ASYNC_HELP}"
            ),
        ));
    }
    if let Some(constness) = function.sig.constness {
        errors.push(syn::Error::new(
            constness.span(),
            "`#[sandbox]` cannot go on a `const fn`: enforcing a policy is a system call, which cannot run at compile time",
        ));
    }
}

/// Refuses `own_thread` where the body cannot run on a thread of its own: on `main` and with
/// `process`, whose sandbox is every thread's, the caller's included.
fn check_own_thread(policy: &model::Policy, function: &ItemFn, errors: &mut Errors) {
    let Some(span) = policy.own_thread else {
        return;
    };
    if let Some(process) = policy.process {
        let mut error = syn::Error::new(
            span,
            "`own_thread` and `process` contradict each other: `process` restricts every thread of the process, the caller's included, for the rest of its life, while `own_thread` runs the body on a new thread and leaves the caller as it was; keep one",
        );
        error.combine(syn::Error::new(process, "`process` is here"));
        errors.push(error);
    } else if function.sig.ident == "main" {
        errors.push(syn::Error::new(
            span,
            "`own_thread` does not apply to `main`: sandboxing `main` sandboxes the whole program, every thread of it; remove `own_thread`, or put it on a function that `main` calls",
        ));
    }
}

/// Checks that every identifier a policy grants names a parameter of the function (by a plain
/// name: `input: &Path`, `mut dir: PathBuf`), with the near miss among them when it does not.
fn check_arguments(policy: &model::Policy, function: &ItemFn, errors: &mut Errors) {
    let parameters: Vec<String> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(pat) => Some(pat.ident.to_string()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let name = &function.sig.ident;
    for (ident, holds) in policy.arguments() {
        let wanted = ident.to_string();
        if parameters.contains(&wanted) {
            continue;
        }
        let hint = match model::near_miss_among(&wanted, parameters.iter().map(String::as_str)) {
            Some(near) => format!("did you mean `{near}`?"),
            None if parameters.is_empty() => format!("`{name}` has no parameter to name"),
            None => format!(
                "its parameters are {}",
                parameters
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let what = match holds {
            model::Holds::Paths => {
                "a name in a policy grants the paths a parameter holds at each call (a path written in the policy is a string, and constants are not read)".to_owned()
            }
            model::Holds::Ports(key) => format!(
                "a name in `{key}` grants the ports a parameter holds at each call (a port written in the policy is a number, and constants are not read)"
            ),
        };
        errors.push(syn::Error::new(
            ident.span(),
            format!("`{wanted}` is not a parameter of `{name}`: {what}; {hint}"),
        ));
    }
}

/// Whether a return type is a future: `impl Future`, `impl IntoFuture`, a `dyn Future` (in a
/// `Pin<Box<...>>` or anywhere in the type), or any type whose name ends in `Future`
/// (`BoxFuture`, `LocalBoxFuture`).
fn returns_a_future(ty: &syn::Type) -> bool {
    let future = |path: &syn::Path| {
        path.segments
            .last()
            .is_some_and(|s| s.ident.to_string().ends_with("Future"))
    };
    let bounds = |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>| {
        bounds.iter().any(|b| match b {
            syn::TypeParamBound::Trait(t) => future(&t.path),
            _ => false,
        })
    };
    match ty {
        syn::Type::ImplTrait(t) => bounds(&t.bounds),
        syn::Type::TraitObject(t) => bounds(&t.bounds),
        syn::Type::Paren(t) => returns_a_future(&t.elem),
        syn::Type::Group(t) => returns_a_future(&t.elem),
        syn::Type::Reference(t) => returns_a_future(&t.elem),
        syn::Type::Path(t) => {
            future(&t.path)
                || t.path.segments.iter().any(|s| {
                    match &s.arguments {
                    syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|a| {
                        matches!(a, syn::GenericArgument::Type(inner) if returns_a_future(inner))
                    }),
                    _ => false,
                }
                })
        }
        _ => false,
    }
}

/// Whether an attribute is an async runtime's entry point (`#[tokio::main]`, `#[tokio::test]`,
/// `#[async_std::main]`, `#[actix_web::main]`, ...).
fn is_async_entry(attr: &Attribute) -> bool {
    let segments = &attr.path().segments;
    segments.len() >= 2
        && segments
            .last()
            .is_some_and(|s| s.ident == "main" || s.ident == "test")
}

/// The error for `#[sandbox]` on something that is not a function with a body, under the
/// keyword that says what it is.
fn not_a_function(item: &TokenStream) -> syn::Error {
    const BLOCK: &str = "to sandbox a few statements or an expression, run them in `block::sandbox!(... => { ... })`, on a sandboxed scoped thread; to sandbox a function, put `#[sandbox]` on it";
    if let Ok(closure) = syn::parse2::<syn::ExprClosure>(item.clone()) {
        return syn::Error::new_spanned(
            closure.or1_token,
            format!("`#[sandbox]` cannot go on a closure: {BLOCK}"),
        );
    }
    if let Ok(syn::Stmt::Local(local)) = syn::parse2::<syn::Stmt>(item.clone()) {
        return syn::Error::new_spanned(
            local.let_token,
            format!("`#[sandbox]` cannot go on a `let` statement: {BLOCK}"),
        );
    }
    if let Ok(syn::TraitItemFn {
        sig,
        default: None,
        semi_token,
        ..
    }) = syn::parse2(item.clone())
    {
        return syn::Error::new_spanned(
            quote!(#sig #semi_token),
            "`#[sandbox]` needs a function body to enforce its policy in, and a trait method without a default body has none: put `#[sandbox]` on the method in each `impl` of the trait",
        );
    }
    let (span, what) = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(i)) => (i.struct_token.span(), "a struct"),
        Ok(Item::Enum(i)) => (i.enum_token.span(), "an enum"),
        Ok(Item::Union(i)) => (i.union_token.span(), "a union"),
        Ok(Item::Const(i)) => (i.const_token.span(), "a const item"),
        Ok(Item::Static(i)) => (i.static_token.span(), "a static item"),
        Ok(Item::Trait(i)) => (i.trait_token.span(), "a trait"),
        Ok(Item::Impl(i)) => (i.impl_token.span(), "an impl block"),
        Ok(Item::Mod(i)) => (i.mod_token.span(), "a module"),
        Ok(Item::Type(i)) => (i.type_token.span(), "a type alias"),
        Ok(Item::Use(i)) => (i.use_token.span(), "a use declaration"),
        Ok(Item::ForeignMod(i)) => (i.abi.span(), "an extern block"),
        _ => (item.span(), "this item"),
    };
    syn::Error::new(
        span,
        format!(
            "`#[sandbox]` goes on a function (free function, method, or `main`), not on {what}: it enforces its policy when the function is entered"
        ),
    )
}
