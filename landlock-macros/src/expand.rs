//! Stage 4: the typed policy to code: one `static` policy, registered at link time for review,
//! and one call into the runtime.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{Class, GrantPath, Holds, Policy, Ports};

/// The `static` holding the policy, named `__LANDLOCK_POLICY`, with `function` as its origin
/// (an expression of type `&'static str`).
pub(crate) fn policy_static(policy: &Policy, function: TokenStream, process: bool) -> TokenStream {
    let p = private_path(policy);
    let grants = policy.grants.iter().map(|g| {
        let class = match g.class {
            Class::Read => quote!(Read),
            Class::Write => quote!(Write),
            Class::Exec => quote!(Exec),
        };
        match &g.path {
            GrantPath::Lit(lit) => {
                let lit = normalized(lit);
                quote!(#p::grant(#lit, #p::Class::#class))
            }
            GrantPath::Arg(ident) => {
                let name = ident.to_string();
                quote!(#p::argument_grant(#name, #p::Class::#class))
            }
        }
    });
    let ports = |ports: &Option<Ports>| match ports {
        None => quote!(#p::Ports::NONE),
        Some(Ports::Any(_)) => quote!(#p::Ports::ANY),
        Some(Ports::Only(list, arguments)) => {
            // Sorted and without repeats, as a policy's ports are.
            let mut list: Vec<u16> = list.iter().map(|(port, _)| *port).collect();
            list.sort_unstable();
            list.dedup();
            if arguments.is_empty() {
                quote!(#p::ports(&[#(#list),*]))
            } else {
                let names = arguments.iter().map(|a| a.to_string());
                quote!(#p::ports_with_arguments(&[#(#list),*], &[#(#names),*]))
            }
        }
    };
    let count = policy.grants.len();
    let presets = &policy.presets;
    let connect = ports(&policy.connect);
    let bind = ports(&policy.bind);
    let signals = policy.allow_signals.is_none();
    let abstract_unix_sockets = policy.allow_abstract_unix_sockets.is_none();
    let strict = policy.strict.is_some();
    let broad = policy.broad.is_some();
    let quiet = policy.quiet.is_some();
    quote! {
        static __LANDLOCK_POLICY: #p::Policy = #p::policy(
            #p::origin(#function, ::core::file!(), ::core::line!()),
            {
                static GRANTS: [#p::FsGrant; #count] = [#(#grants),*];
                &GRANTS
            },
            &[#(#p::Preset::#presets),*],
            #connect,
            #bind,
            #p::scopes(#signals, #abstract_unix_sockets),
            #strict,
            #process,
            #broad,
            #quiet,
        );
        #[#p::linkme::distributed_slice(#p::POLICIES)]
        #[linkme(crate = #p::linkme)]
        static __LANDLOCK_REGISTERED: &'static #p::Policy = &__LANDLOCK_POLICY;
    }
}

/// A path string in its one spelling (`"//etc/"` is `"/etc"`), with its span: what the policy
/// keeps, so that review, the lock file, the checks at run time and the open see one path.
fn normalized(lit: &syn::LitStr) -> syn::LitStr {
    let value = lit.value();
    match landlock_template::PathTemplate::parse(&value).map(|t| t.normalized()) {
        Ok(std::borrow::Cow::Owned(normal)) => syn::LitStr::new(&normal, lit.span()),
        // Already so, or refused (then nothing is expanded).
        _ => lit.clone(),
    }
}

/// The runtime's `__private` module: under `crate = "..."` or `::landlock_runtime`. A path
/// given by `crate` keeps the span of its string, also on `::__private`, so that a path that
/// does not lead to the runtime is reported there rather than on the whole attribute.
pub(crate) fn private_path(policy: &Policy) -> TokenStream {
    private_path_at(policy, Span::call_site())
}

/// [`private_path`], spanned at `span` unless the path comes from `crate = "..."`.
fn private_path_at(policy: &Policy, span: Span) -> TokenStream {
    match &policy.krate {
        Some(path) => quote_spanned!(path.span()=> #path::__private),
        None => quote_spanned!(span=> ::landlock_runtime::__private),
    }
}

/// An annotated function's body: the policy, its enforcement at entry, then the original
/// statements; with `own_thread`, the original statements as a closure run on a sandboxed
/// thread of its own.
///
/// The enforcement goes in front of the original statements, inside the original braces:
/// nesting the body as a block of its own would trip rustc's `unused_braces` lint on a body
/// that only holds a value (`fn f() -> u32 { 3 }`), and move the span of a missing tail value
/// away from the user's body. Its value, the call, lives until the function returns: a
/// sandboxed call that has returned is how the runtime knows a thread is no longer the call's.
///
/// A failure is the function's `Err` when its return type is a `Result<T, E>` with
/// `E: From<landlock_runtime::Error>` (chosen by type, through the runtime's `ReturnProbe`, so
/// that aliases such as `io::Result<T>` count), a panic at the function otherwise.
pub(crate) fn function_body(policy: &Policy, function: &mut syn::ItemFn) {
    let p = private_path(policy);
    let name = function.sig.ident.to_string();
    let origin = quote!(::core::concat!(::core::module_path!(), "::", #name));
    // Sandboxing `main` means sandboxing the program: every thread of the process, including
    // threads a library started before `main`. Other functions restrict their own thread
    // unless they ask for `process`.
    let process = policy.process.is_some() || name == "main";
    let stat = policy_static(policy, origin, process);
    // The static lives in a block of its own, so that the user's statements around it cannot
    // see it or clash with it, nor with the one of a second `#[sandbox]` on the same function.
    let policy_ref = quote!({ #stat &__LANDLOCK_POLICY });
    let arguments = arguments(policy);
    let returned = ReturnType::of(&function.sig.output);
    let fail = match &returned {
        ReturnType::Path(ty) => quote! {{
            #[allow(unused_imports)]
            use #p::{FailIntoErr as _, FailPanics as _};
            (&&#p::ReturnProbe::<#ty>::NEW).__landlock_fail(__landlock_error)
        }},
        _ => quote!(#p::fail(__landlock_error)),
    };
    if policy.own_thread.is_some() {
        let stmts = &function.block.stmts;
        // The body's type, named when it can be, so that `?` in the closure knows its error.
        let value = match &returned {
            ReturnType::Path(ty) | ReturnType::Other(ty) => quote!(::<#ty, _>),
            ReturnType::Unit => quote!(::<(), _>),
            ReturnType::Unnamed => quote!(),
        };
        // The arguments' paths are taken before the body borrows or consumes the arguments.
        let body = quote! {
            let __landlock_arguments = [#(#arguments),*];
            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            match #p::on_own_thread #value (#policy_ref, &__landlock_arguments, || { #(#stmts)* }) {
                #p::Result::Ok(__landlock_value) => __landlock_value,
                #p::Result::Err(__landlock_error) => return #fail,
            }
        };
        // Verbatim: the generated statements are printed as they are, never re-parsed.
        function.block.stmts = vec![syn::Stmt::Item(syn::Item::Verbatim(body))];
        return;
    }
    let enter = match (&returned, arguments.is_empty()) {
        (ReturnType::Path(_), true) => quote! {
            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            let __landlock_call = match #p::try_enter(#policy_ref) {
                #p::Result::Ok(__landlock_call) => __landlock_call,
                #p::Result::Err(__landlock_error) => return #fail,
            };
        },
        (ReturnType::Path(_), false) => quote! {
            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            let __landlock_call = match #p::try_enter_with_arguments(#policy_ref, &[#(#arguments),*]) {
                #p::Result::Ok(__landlock_call) => __landlock_call,
                #p::Result::Err(__landlock_error) => return #fail,
            };
        },
        (_, true) => quote!(let __landlock_call = #p::enter(#policy_ref);),
        (_, false) => quote! {
            let __landlock_call = #p::enter_with_arguments(#policy_ref, &[#(#arguments),*]);
        },
    };
    function
        .block
        .stmts
        .insert(0, syn::Stmt::Item(syn::Item::Verbatim(enter)));
}

/// What a function returns, as far as its expansion needs to know.
enum ReturnType {
    /// A type named by a path (`io::Result<T>`, `Result<T, E>`, an alias, `Self`): it may be a
    /// `Result` whose error takes the sandbox's.
    Path(syn::Type),
    /// Another type that can be written in the body (a tuple, a reference, `!`).
    Other(syn::Type),
    /// Nothing: `()`.
    Unit,
    /// A type that cannot be written in the body (it holds an `impl Trait`).
    Unnamed,
}

impl ReturnType {
    fn of(output: &syn::ReturnType) -> ReturnType {
        let syn::ReturnType::Type(_, ty) = output else {
            return ReturnType::Unit;
        };
        if holds_impl(ty.to_token_stream()) {
            return ReturnType::Unnamed;
        }
        let mut inner = &**ty;
        while let syn::Type::Paren(syn::TypeParen { elem, .. })
        | syn::Type::Group(syn::TypeGroup { elem, .. }) = inner
        {
            inner = elem;
        }
        match inner {
            syn::Type::Path(_) => ReturnType::Path((**ty).clone()),
            syn::Type::Never(_) => ReturnType::Unnamed,
            _ => ReturnType::Other((**ty).clone()),
        }
    }
}

/// Whether a type's tokens hold `impl`, which cannot be written in an expression.
fn holds_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => holds_impl(group.stream()),
        _ => false,
    })
}

/// For each argument a policy names, once, the expression of its paths or ports, at the call:
/// each one spanned at the name in the policy, so that an argument that does not hold what its
/// key grants is reported there.
fn arguments(policy: &Policy) -> Vec<TokenStream> {
    let all = policy.arguments();
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (ident, _) in &all {
        let name = ident.to_string();
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        // The first mention of each use, where a mistake in it is reported.
        let first = |paths: bool| {
            all.iter()
                .find(|(i, holds)| *i == *ident && (*holds == Holds::Paths) == paths)
                .map(|(i, _)| *i)
        };
        let paths = match first(true) {
            Some(at) => {
                let p = private_path_at(policy, at.span());
                // Autoref specialisation: one path (`AsRef<Path>`) before a collection of
                // paths, and anything else refused by `paths` with a message of its own, at
                // the name.
                quote_spanned!(at.span()=> {
                    #[allow(unused_imports)]
                    use #p::{
                        ArgumentNotPaths as _, ArgumentPath as _, ArgumentPathList as _,
                        ArgumentPathListRef as _,
                    };
                    #p::paths((&&&&#p::ArgumentProbe(&#at)).__landlock_paths())
                })
            }
            None => quote!(::std::vec::Vec::new()),
        };
        let ports = match first(false) {
            Some(at) => {
                let p = private_path_at(policy, at.span());
                // The same, for a port (`u16`) or a collection of ports.
                quote_spanned!(at.span()=> {
                    #[allow(unused_imports)]
                    use #p::{
                        ArgumentNotPorts as _, ArgumentPort as _, ArgumentPortList as _,
                        ArgumentPortListRef as _,
                    };
                    #p::argument_ports((&&&&#p::ArgumentProbe(&#at)).__landlock_ports())
                })
            }
            None => quote!(::std::vec::Vec::new()),
        };
        let p = private_path_at(policy, ident.span());
        out.push(quote!(#p::Argument { name: #name, paths: #paths, ports: #ports }));
    }
    out
}

/// The block form: the policy, and the expression run on a sandboxed scoped thread.
///
/// `body` is one expression (checked when parsing), so it is the closure's body as it is: no
/// braces around it, which would trip `unused_braces` on a user's `=> { value }`. The call and
/// the closure take the span of the body, so that an error about them (a value or a borrow that
/// cannot cross to the sandboxed thread) sits under the body, not on the whole invocation.
pub(crate) fn block(policy: &Policy, body: TokenStream) -> TokenStream {
    let span = |t: Option<TokenTree>| t.map_or_else(Span::call_site, |t| t.span());
    let start = span(body.clone().into_iter().next());
    let end = span(body.clone().into_iter().last());
    let p = private_path_at(policy, start);
    let function = quote!(::core::concat!(::core::module_path!(), "::{sandbox block}"));
    let stat = policy_static(policy, function, policy.process.is_some());
    // The static is in a block of its own, out of the body's scope. The parentheses end where
    // the body ends, so that the call spans the whole body.
    let arguments = arguments(policy);
    let (run, arguments) = if arguments.is_empty() {
        (quote_spanned!(start=> #p::run), quote!())
    } else {
        (
            quote_spanned!(start=> #p::run_with_arguments),
            quote!(&[#(#arguments),*],),
        )
    };
    let policy = quote!({ #stat &__LANDLOCK_POLICY });
    let mut args = Group::new(
        Delimiter::Parenthesis,
        quote_spanned!(start=> #policy, #arguments || #body),
    );
    args.set_span(end);
    // The call is a statement of its own, where an attribute may stand: a body that is one call
    // (`=> work()`) would otherwise be a redundant closure to clippy, in the caller's code.
    quote_spanned!(start=> {
        #[allow(clippy::redundant_closure)]
        let __landlock_value = #run #args;
        __landlock_value
    })
}

/// `policy!(ITEMS)`: a reference to the policy's static, registered like the others.
pub(crate) fn policy_ref(policy: &Policy) -> TokenStream {
    let function = quote!(::core::concat!(::core::module_path!(), "::{policy}"));
    let stat = policy_static(policy, function, policy.process.is_some());
    quote! {
        {
            #stat
            &__LANDLOCK_POLICY
        }
    }
}

/// The errors as an expression that type-checks as anything, so that the only messages are
/// the errors themselves.
pub(crate) fn errors_expr(errors: syn::Error) -> TokenStream {
    let mut errors = errors
        .into_iter()
        .map(|e| e.to_compile_error())
        .collect::<Vec<_>>();
    let last = errors
        .pop()
        .unwrap_or_else(|| quote_spanned!(Span::call_site()=> ::core::panic!()));
    quote!({ #(#errors;)* (#last) })
}
