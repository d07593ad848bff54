//! Stage 2: raw items to a typed policy that keeps a span beside every value, checking each
//! value's type and each path and port on the way.

use landlock_template::{PathTemplate, TemplateError, TemplateErrorKind, VARIABLES};
use proc_macro2::Span;
use quote::{ToTokens, quote};
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Token};

use crate::Errors;
use crate::parse::{FLAGS, RawItem};

/// Every key of the policy language, in the order the documentation gives them.
pub(crate) const KEYS: &[&str] = &[
    "read",
    "write",
    "exec",
    "preset",
    "connect",
    "bind",
    "allow_signals",
    "allow_abstract_unix_sockets",
    "strict",
    "process",
    "own_thread",
    "broad",
    "quiet",
    "crate",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Class {
    Read,
    Write,
    Exec,
}

impl Class {
    pub fn keyword(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Exec => "exec",
        }
    }
}

/// One path of a `read`, `write` or `exec` list.
pub(crate) struct Grant {
    pub class: Class,
    pub path: GrantPath,
}

/// What a grant names: a path written in the policy, or an argument whose paths are granted at
/// each call.
pub(crate) enum GrantPath {
    Lit(LitStr),
    /// A parameter of the annotated function (or, in the block form, a variable in scope).
    Arg(syn::Ident),
}

impl Grant {
    /// Where the grant is written: its string or its argument's name.
    pub fn span(&self) -> Span {
        match &self.path {
            GrantPath::Lit(lit) => lit.span(),
            GrantPath::Arg(ident) => ident.span(),
        }
    }
}

/// One `connect` or `bind` value.
pub(crate) enum Ports {
    /// `"*"`: unrestricted.
    Any(Span),
    /// Ports with the span of each, and parameters whose ports are granted at each call (in the
    /// block form, variables in scope).
    Only(Vec<(u16, Span)>, Vec<syn::Ident>),
}

/// What the argument a policy names is granted for: its paths, or its TCP ports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Holds {
    Paths,
    /// Under `connect` or `bind`, the key.
    Ports(&'static str),
}

/// A flag given by its bare key (`strict`).
pub(crate) type Flag = Option<Span>;

/// The typed policy.
#[derive(Default)]
pub(crate) struct Policy {
    pub grants: Vec<Grant>,
    /// Preset names, as the runtime's `Preset` variant names (`DynamicLoader`).
    pub presets: Vec<syn::Ident>,
    pub connect: Option<Ports>,
    pub bind: Option<Ports>,
    pub allow_signals: Flag,
    pub allow_abstract_unix_sockets: Flag,
    pub strict: Flag,
    pub process: Flag,
    /// `#[sandbox]` only: the body runs on a thread of its own at each call.
    pub own_thread: Flag,
    pub broad: Flag,
    pub quiet: Flag,
    pub krate: Option<syn::Path>,
}

impl Policy {
    /// Every argument the policy names, with what it is granted for: the paths' first, then
    /// `connect`'s and `bind`'s.
    pub fn arguments(&self) -> Vec<(&syn::Ident, Holds)> {
        let paths = self.grants.iter().filter_map(|g| match &g.path {
            GrantPath::Arg(ident) => Some((ident, Holds::Paths)),
            GrantPath::Lit(_) => None,
        });
        let ports = [(&self.connect, "connect"), (&self.bind, "bind")]
            .into_iter()
            .flat_map(|(ports, key)| match ports {
                Some(Ports::Only(_, arguments)) => arguments
                    .iter()
                    .map(move |a| (a, Holds::Ports(key)))
                    .collect(),
                _ => Vec::new(),
            });
        paths.chain(ports).collect()
    }
}

/// Builds the typed policy from raw items; every mistake goes to `errors`.
pub(crate) fn policy(items: Vec<RawItem>, errors: &mut Errors) -> Policy {
    let mut policy = Policy::default();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for RawItem { key, eq, value } in items {
        let name = key.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        if !KEYS.contains(&name.as_str()) {
            errors.push(syn::Error::new(key.span(), unknown_key(&name)));
            continue;
        }
        if seen.iter().any(|(k, _)| *k == name) {
            let hint = if matches!(
                name.as_str(),
                "read" | "write" | "exec" | "connect" | "bind"
            ) {
                format!(": give `{name}` a list instead, as in `{name} = [...]`")
            } else {
                String::new()
            };
            errors.push(syn::Error::new(
                key.span(),
                format!("duplicate `{name}`{hint}"),
            ));
            continue;
        }
        seen.push((name.clone(), key.span()));
        if FLAGS.contains(&name.as_str()) {
            let flag = flag(&key, eq, value, errors);
            match name.as_str() {
                "allow_signals" => policy.allow_signals = flag,
                "allow_abstract_unix_sockets" => policy.allow_abstract_unix_sockets = flag,
                "process" => policy.process = flag,
                "own_thread" => policy.own_thread = flag,
                "broad" => policy.broad = flag,
                "quiet" => policy.quiet = flag,
                _ => policy.strict = flag,
            }
            continue;
        }
        let Some(value) = value else {
            errors.push(missing_value(&key, eq, &name));
            continue;
        };
        match name.as_str() {
            "read" => paths(&key, value, Class::Read, &mut policy, errors),
            "write" => paths(&key, value, Class::Write, &mut policy, errors),
            "exec" => paths(&key, value, Class::Exec, &mut policy, errors),
            "preset" => presets(&key, value, &mut policy, errors),
            "connect" => policy.connect = ports(&key, value, errors),
            "bind" => policy.bind = ports(&key, value, errors),
            "crate" => policy.krate = krate(value, errors),
            _ => unreachable!("every key of KEYS is handled"),
        }
    }
    policy
}

/// Words used for a key in other tools, each with the key (or keys) it most likely means.
const SYNONYMS: &[(&str, &str)] = &[
    ("ro", "`read`"),
    ("readonly", "`read`"),
    ("read_only", "`read`"),
    ("rw", "`write`"),
    ("readwrite", "`write`"),
    ("read_write", "`write`"),
    ("execute", "`exec`"),
    ("run", "`exec`"),
    ("listen", "`bind`"),
    ("net", "`connect` or `bind`"),
    ("network", "`connect` or `bind`"),
    ("tcp", "`connect` or `bind`"),
    ("port", "`connect` or `bind`"),
    ("ports", "`connect` or `bind`"),
    ("signals", "`allow_signals`"),
    ("abstract_unix_sockets", "`allow_abstract_unix_sockets`"),
    ("unix_sockets", "`allow_abstract_unix_sockets`"),
    ("runtime", "`crate`"),
    ("isolate", "`own_thread`"),
    ("isolated", "`own_thread`"),
    ("per_call", "`own_thread`"),
    ("thread", "`own_thread`"),
];

fn unknown_key(name: &str) -> String {
    let near = KEYS
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!("`{k}`"))
        .or_else(|| {
            let lower = name.to_ascii_lowercase();
            SYNONYMS
                .iter()
                .find(|(word, _)| *word == lower)
                .map(|(_, keys)| (*keys).to_owned())
        });
    match near {
        Some(near) => format!("unknown policy item `{name}`: did you mean {near}?"),
        None => format!(
            "unknown policy item `{name}`: expected one of {}",
            backticked(KEYS)
        ),
    }
}

fn backticked(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate `word` most likely meant, if one is close enough.
pub(crate) fn near_miss_among<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// Edit distance with transpositions (optimal string alignment), for near-miss suggestions:
/// `raed` -> `read` and `$HOEM` -> `$HOME` are one edit away.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// What a key takes, with an example written with that key.
fn expected(name: &str) -> String {
    match name {
        "connect" | "bind" => format!(
            "a port number, a list of them, or \"*\" for any port, as in `{name} = 443` or `{name} = [80, 443]`"
        ),
        "crate" => "a string naming the path of the `landlock_runtime` crate, as in `crate = \"::my_runtime\"`".to_owned(),
        "preset" => format!(
            "a preset name or a list of them ({}), as in `preset = \"dynamic_loader\"`",
            landlock_template::PRESETS
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "a path string or a list of them, as in `{name} = \"/srv\"` or `{name} = [\"/srv\", \"$TMP\"]`"
        ),
    }
}

/// The error for a key without a value, under `key =` when the `=` is written.
fn missing_value(key: &syn::Ident, eq: Option<Token![=]>, name: &str) -> syn::Error {
    let expected = expected(name);
    match eq {
        Some(eq) => syn::Error::new_spanned(
            quote!(#key #eq),
            format!("expected a value after `{name} =`: `{name}` takes {expected}"),
        ),
        None => syn::Error::new(key.span(), format!("`{name}` needs a value: {expected}")),
    }
}

/// The elements of a value that may be one item or a list; `None` after reporting an empty list.
fn one_or_list<'a>(
    key: &syn::Ident,
    value: &'a Expr,
    errors: &mut Errors,
) -> Option<Vec<&'a Expr>> {
    match value {
        // The invisible group `macro_rules!` puts around an `$x:expr` it passes on.
        Expr::Group(group) => one_or_list(key, &group.expr, errors),
        Expr::Array(array) if array.elems.is_empty() => {
            errors.push(syn::Error::new_spanned(
                value,
                format!("empty list: give `{key}` at least one value, or remove it"),
            ));
            None
        }
        Expr::Array(array) => Some(array.elems.iter().collect()),
        other => Some(vec![other]),
    }
}

/// The error for a value that is not a literal, saying what shape was likely meant.
fn not_a_literal(elem: &Expr, what: &str, key: &syn::Ident) -> syn::Error {
    let ports = matches!(key.to_string().as_str(), "connect" | "bind");
    let tokens = |elems: &syn::punctuated::Punctuated<Expr, Token![,]>| {
        let elems: Vec<String> = elems
            .iter()
            .map(|e| e.to_token_stream().to_string())
            .collect();
        elems.join(", ")
    };
    let message = match elem {
        Expr::Array(inner) => format!(
            "expected {what}: lists do not nest, so write `{key} = [{}]`",
            tokens(&inner.elems)
        ),
        Expr::Tuple(tuple) => format!(
            "expected {what}: a list is written in square brackets, `{key} = [{}]`",
            tokens(&tuple.elems)
        ),
        Expr::Paren(paren) => format!(
            "expected {what}: write it without parentheses, `{key} = {}`",
            paren.expr.to_token_stream()
        ),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) if ports && matches!(lit(expr), Some(Lit::Int(_))) => {
            "a port is a number from 1 to 65535, never negative".to_owned()
        }
        _ if ports => format!(
            "expected {what}, as in `{key} = 443`, or the name of a parameter whose ports are granted at each call, as in `{key} = port`: not another expression (a policy is read when it is compiled, so constants are not read)"
        ),
        _ => format!(
            "expected {what}, as in `{key} = \"/srv\"`, or the name of a parameter whose paths are granted at each call, as in `{key} = input`: not another expression"
        ),
    };
    syn::Error::new_spanned(elem, message)
}

/// A lone identifier: the name of an argument whose paths are granted at each call.
fn argument(expr: &Expr) -> Option<syn::Ident> {
    match expr {
        Expr::Group(g) => argument(&g.expr),
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            path.path.get_ident().cloned()
        }
        _ => None,
    }
}

fn lit(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(g) => lit(&g.expr),
        _ => None,
    }
}

fn paths(key: &syn::Ident, value: Expr, class: Class, policy: &mut Policy, errors: &mut Errors) {
    let Some(elems) = one_or_list(key, &value, errors) else {
        return;
    };
    for elem in elems {
        if let Some(ident) = argument(elem) {
            policy.grants.push(Grant {
                class,
                path: GrantPath::Arg(ident),
            });
            continue;
        }
        match lit(elem) {
            Some(Lit::Str(s)) => {
                let text = s.value();
                match PathTemplate::parse(&text) {
                    Ok(_) => policy.grants.push(Grant {
                        class,
                        path: GrantPath::Lit(s.clone()),
                    }),
                    Err(e) => errors.push(syn::Error::new(s.span(), template_error(&e))),
                }
            }
            Some(_) => errors.push(syn::Error::new_spanned(
                elem,
                format!(
                    "expected a path string: `{key}` takes {}",
                    expected(class.keyword())
                ),
            )),
            None => errors.push(not_a_literal(elem, "a path string", key)),
        }
    }
}

fn presets(key: &syn::Ident, value: Expr, policy: &mut Policy, errors: &mut Errors) {
    let Some(elems) = one_or_list(key, &value, errors) else {
        return;
    };
    for elem in elems {
        let Some(Lit::Str(s)) = lit(elem) else {
            errors.push(syn::Error::new_spanned(
                elem,
                format!(
                    "expected a preset name: `{key}` takes {}",
                    expected("preset")
                ),
            ));
            continue;
        };
        let name = s.value();
        if !landlock_template::PRESETS.contains(&name.as_str()) {
            let spelled = name.replace(['-', ' '], "_").to_ascii_lowercase();
            let near = near_miss_among(&spelled, landlock_template::PRESETS.iter().copied());
            let message = match near {
                Some(near) => format!("unknown preset \"{name}\": did you mean \"{near}\"?"),
                None => format!(
                    "unknown preset \"{name}\": expected one of {}",
                    landlock_template::PRESETS
                        .iter()
                        .map(|p| format!("\"{p}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            errors.push(syn::Error::new(s.span(), message));
            continue;
        }
        let variant: String = name
            .split('_')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        let ident = syn::Ident::new(&variant, s.span());
        if policy.presets.contains(&ident) {
            errors.push(syn::Error::new(
                s.span(),
                format!("preset \"{name}\" is listed twice"),
            ));
        } else {
            policy.presets.push(ident);
        }
    }
}

/// The message for a rejected path: the template's own, plus the near-miss when there is one.
fn template_error(error: &TemplateError) -> String {
    let message = match error.kind() {
        // The template's message would quote the empty name as ``.
        TemplateErrorKind::BadVariableName("") => format!(
            "empty variable name in `{}`: a name is a letter or `_` followed by letters, digits or `_`, as in `${{XDG_RUNTIME_DIR}}`",
            error.source()
        ),
        _ => error.to_string(),
    };
    match near_miss(error) {
        // On a line of its own: the template's message already ends with what it expected.
        Some(near) => format!("{message}\ndid you mean `{near}`?"),
        None => message,
    }
}

/// The path a rejected template was most likely meant to be: a named variable misspelled or in
/// the wrong case (`$TEMP`, `$tmp`), or one not followed by `/` (`$TMPdir`, `$HOME.cache`).
fn near_miss(error: &TemplateError) -> Option<String> {
    let source = error.source();
    let named = || VARIABLES.iter().map(|(name, _)| *name);
    match *error.kind() {
        // `~/x`: a shell writes the home directory so; a policy names it `$HOME`.
        TemplateErrorKind::Relative if source == "~" || source.starts_with("~/") => {
            Some(format!("$HOME{}", &source[1..]))
        }
        TemplateErrorKind::UnknownVariable(name) => {
            let rest = &source[1 + name.len()..];
            // `$TMPdir`: a known name glued to what should follow it.
            if let Some(known) = named().find(|known| name.starts_with(known)) {
                return Some(format!("${known}/{}{rest}", &name[known.len()..]));
            }
            let known = named()
                .map(|known| (edit_distance(&name.to_ascii_uppercase(), known), known))
                .filter(|(d, known)| *d <= 1.max(known.len() / 3))
                .min()?
                .1;
            Some(format!("${known}{rest}"))
        }
        TemplateErrorKind::UnclosedBrace => {
            // `${NAME/rest`: the brace closes where the name ends.
            let rest = &source[2..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (name, rest) = rest.split_at(end);
            is_env_name(name).then(|| format!("${{{name}}}{rest}"))
        }
        TemplateErrorKind::BadVariableName(name) if source.starts_with("${") => {
            // `${XDG-DATA}`: the separators other tools allow, as `_`.
            let fixed = name.replace(['-', '.', ' '], "_");
            let rest = &source[3 + name.len()..];
            (fixed != name && is_env_name(&fixed)).then(|| format!("${{{fixed}}}{rest}"))
        }
        TemplateErrorKind::VariableNotFollowedBySlash => {
            let end = match source.find('}') {
                Some(brace) if source.starts_with("${") => brace + 1,
                _ => source[1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(source.len(), |i| i + 1),
            };
            let (variable, rest) = source.split_at(end);
            Some(format!("{variable}/{rest}"))
        }
        _ => None,
    }
}

/// Whether `name` may stand in `${NAME}`, as the template crate decides it.
fn is_env_name(name: &str) -> bool {
    PathTemplate::parse(&format!("${{{name}}}")).is_ok()
}

/// Well-known services a port may be written as by mistake, with their TCP port.
const SERVICES: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("smtp", 25),
    ("dns", 53),
    ("domain", 53),
    ("http", 80),
    ("pop3", 110),
    ("imap", 143),
    ("https", 443),
    ("submission", 587),
    ("imaps", 993),
    ("mysql", 3306),
    ("postgres", 5432),
    ("postgresql", 5432),
    ("redis", 6379),
];

fn ports(key: &syn::Ident, value: Expr, errors: &mut Errors) -> Option<Ports> {
    if let Some(Lit::Str(s)) = lit(&value) {
        return if s.value() == "*" {
            Some(Ports::Any(s.span()))
        } else {
            errors.push(port_string(key, s));
            None
        };
    }
    let elems = one_or_list(key, &value, errors)?;
    let mut out: Vec<(u16, Span)> = Vec::new();
    let mut arguments: Vec<syn::Ident> = Vec::new();
    for elem in elems {
        if let Some(ident) = argument(elem) {
            if arguments.contains(&ident) {
                errors.push(syn::Error::new(
                    ident.span(),
                    format!("`{ident}` is listed twice: remove this one"),
                ));
            } else {
                arguments.push(ident);
            }
            continue;
        }
        match lit(elem) {
            Some(Lit::Int(int)) => {
                if let Some(port) = port(key, int, errors) {
                    if out.iter().any(|(p, _)| *p == port) {
                        errors.push(syn::Error::new(
                            int.span(),
                            format!("port {port} is listed twice: remove this one"),
                        ));
                    } else {
                        out.push((port, int.span()));
                    }
                }
            }
            Some(Lit::Str(s)) if s.value() == "*" => errors.push(syn::Error::new(
                s.span(),
                format!("`\"*\"` stands alone: write `{key} = \"*\"` to leave {key} unrestricted"),
            )),
            Some(Lit::Str(s)) => errors.push(port_string(key, s)),
            Some(_) => errors.push(syn::Error::new_spanned(
                elem,
                format!(
                    "expected a port number: `{key}` takes {}",
                    expected(&key.to_string())
                ),
            )),
            None => errors.push(not_a_literal(elem, "a port number", key)),
        }
    }
    Some(Ports::Only(out, arguments))
}

fn port_string(key: &syn::Ident, s: &LitStr) -> syn::Error {
    let text = s.value();
    let service = SERVICES
        .iter()
        .find(|(name, _)| text.eq_ignore_ascii_case(name));
    let hint = if let Ok(n) = text.parse::<u32>() {
        format!("write the number without quotes: `{key} = {n}`")
    } else if let Some((name, port)) = service {
        format!("write its port number: `{key} = {port}` for {name}")
    } else if text.starts_with('/') || text.starts_with('$') {
        format!(
            "`{key}` takes TCP port numbers, or \"*\" for any port; paths go under `read`, `write` or `exec`"
        )
    } else {
        format!("the only string `{key}` takes is \"*\", for any port")
    };
    syn::Error::new(
        s.span(),
        format!("port given as the string \"{text}\": {hint}"),
    )
}

fn port(key: &syn::Ident, int: &LitInt, errors: &mut Errors) -> Option<u16> {
    if !int.suffix().is_empty() {
        errors.push(syn::Error::new(
            int.span(),
            format!(
                "a port is written without a type suffix: `{key} = {}`",
                int.base10_digits()
            ),
        ));
        return None;
    }
    match int.base10_parse::<u16>() {
        Ok(0) => {
            errors.push(syn::Error::new(
                int.span(),
                format!(
                    "port 0 is not a port: a port is a number from 1 to 65535; to allow any port, write `{key} = \"*\"`"
                ),
            ));
            None
        }
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(syn::Error::new(
                int.span(),
                format!(
                    "port {} is out of range: a port is a number from 1 to 65535",
                    int.base10_digits()
                ),
            ));
            None
        }
    }
}

fn flag(key: &syn::Ident, eq: Option<Token![=]>, value: Option<Expr>, errors: &mut Errors) -> Flag {
    let message = format!(
        "`{key}` takes no value: write `{key}` alone to turn it on, and leave it out to keep it off"
    );
    match (eq, value) {
        (None, _) => Some(key.span()),
        (Some(_), Some(value)) => {
            errors.push(syn::Error::new_spanned(&value, message));
            None
        }
        (Some(eq), None) => {
            errors.push(syn::Error::new_spanned(eq, message));
            None
        }
    }
}

fn krate(value: Expr, errors: &mut Errors) -> Option<syn::Path> {
    let Some(Lit::Str(s)) = lit(&value) else {
        let message = match &value {
            Expr::Path(path) => {
                let path = path.to_token_stream().to_string().replace(' ', "");
                format!("expected a string: write the path in quotes, `crate = \"{path}\"`")
            }
            _ => format!("expected {}", expected("crate")),
        };
        errors.push(syn::Error::new_spanned(&value, message));
        return None;
    };
    match s.parse::<syn::Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            errors.push(syn::Error::new(
                s.span(),
                format!(
                    "`{}` is not a path: expected {}",
                    s.value(),
                    expected("crate")
                ),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses() {
        assert_eq!(
            unknown_key("raed"),
            "unknown policy item `raed`: did you mean `read`?"
        );
        assert_eq!(
            unknown_key("connnect"),
            "unknown policy item `connnect`: did you mean `connect`?"
        );
        assert_eq!(
            unknown_key("allow_signal"),
            "unknown policy item `allow_signal`: did you mean `allow_signals`?"
        );
    }

    fn near(template: &str) -> Option<String> {
        near_miss(&PathTemplate::parse(template).unwrap_err())
    }

    #[test]
    fn near_miss_variables() {
        assert_eq!(near("$TEMP/out").as_deref(), Some("$TMP/out"));
        assert_eq!(near("$tmp").as_deref(), Some("$TMP"));
        assert_eq!(near("$PWD/x?").as_deref(), Some("$CWD/x?"));
        assert_eq!(near("$EXEDIR").as_deref(), Some("$EXE_DIR"));
        assert_eq!(near("$HOEM/.config").as_deref(), Some("$HOME/.config"));
        assert_eq!(near("~/.config?").as_deref(), Some("$HOME/.config?"));
        assert_eq!(near("~").as_deref(), Some("$HOME"));
        assert_eq!(near("$TMPdir").as_deref(), Some("$TMP/dir"));
        assert_eq!(near("$HOME.cache?").as_deref(), Some("$HOME/.cache?"));
        assert_eq!(near("${XDG}app").as_deref(), Some("${XDG}/app"));
        assert_eq!(
            near("${XDG_DATA_HOME/app").as_deref(),
            Some("${XDG_DATA_HOME}/app")
        );
        assert_eq!(near("${1X/app"), None);
        assert_eq!(near("${XDG-DATA}/app").as_deref(), Some("${XDG_DATA}/app"));
        assert_eq!(near("${1X}"), None);
        assert_eq!(near("${}"), None);
        assert_eq!(near("$LOGS"), None);
        assert_eq!(near("etc"), None);
    }

    fn port_message(text: &str) -> String {
        let key = syn::Ident::new("connect", Span::call_site());
        port_string(&key, &LitStr::new(text, Span::call_site())).to_string()
    }

    #[test]
    fn ports_as_strings() {
        assert!(port_message("443").ends_with("write the number without quotes: `connect = 443`"));
        assert!(port_message("HTTP").ends_with("`connect = 80` for http"));
        assert!(port_message("/run/x.sock").contains("paths go under"));
        assert!(
            port_message("web").ends_with("the only string `connect` takes is \"*\", for any port")
        );
    }

    #[test]
    fn synonyms() {
        assert_eq!(
            unknown_key("network"),
            "unknown policy item `network`: did you mean `connect` or `bind`?"
        );
        assert_eq!(
            unknown_key("Execute"),
            "unknown policy item `Execute`: did you mean `exec`?"
        );
        assert!(unknown_key("timeout").contains("expected one of `read`"));
    }

    #[test]
    fn a_list_passed_through_macro_rules_is_a_list() {
        // `macro_rules!` passes an `$x:expr` on in an invisible group.
        let invisible = |tokens| proc_macro2::Group::new(proc_macro2::Delimiter::None, tokens);
        let paths = invisible(quote::quote!(["/etc", "/usr"]));
        let ports = invisible(quote::quote!([80, 443]));
        let mut errors = Errors::new();
        let items = crate::parse::attribute_args(
            quote::quote!(read = #paths, connect = #ports),
            &mut errors,
        );
        let policy = policy(items, &mut errors);
        assert!(errors.is_empty(), "{:?}", crate::combine(errors));
        assert_eq!(policy.grants.len(), 2);
        assert!(matches!(policy.connect, Some(Ports::Only(ref p, _)) if p.len() == 2));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("read", "read"), 0);
        // A transposition is one edit.
        assert_eq!(edit_distance("raed", "read"), 1);
        assert_eq!(edit_distance("HOEM", "HOME"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("exec", "exe"), 1);
    }
}
