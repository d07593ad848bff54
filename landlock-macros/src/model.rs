//! Stage 2: raw items to a typed policy that keeps a span beside every value, checking each
//! value's type and each path and port on the way.

use landlock_template::PathTemplate;
use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Token};

use crate::Errors;
use crate::parse::RawItem;

/// Every key of the policy language, in the order the documentation gives them.
pub(crate) const KEYS: &[&str] = &[
    "read",
    "write",
    "exec",
    "connect",
    "bind",
    "allow_signals",
    "allow_abstract_unix_sockets",
    "strict",
    "crate",
];

/// The keys written alone, without a value.
pub(crate) const FLAGS: &[&str] = &["allow_signals", "allow_abstract_unix_sockets", "strict"];

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
    pub lit: LitStr,
}

/// One `connect` or `bind` value.
pub(crate) enum Ports {
    /// `"*"`: unrestricted.
    Any,
    /// Ports with the span of each.
    Only(Vec<(u16, Span)>),
}

/// A flag given by its bare key (`strict`).
pub(crate) type Flag = Option<Span>;

/// The typed policy.
#[derive(Default)]
pub(crate) struct Policy {
    pub grants: Vec<Grant>,
    pub connect: Option<Ports>,
    pub bind: Option<Ports>,
    pub allow_signals: Flag,
    pub allow_abstract_unix_sockets: Flag,
    pub strict: Flag,
    pub krate: Option<syn::Path>,
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
            "connect" => policy.connect = ports(&key, value, errors),
            "bind" => policy.bind = ports(&key, value, errors),
            "crate" => policy.krate = krate(value, errors),
            _ => unreachable!("every key of KEYS is handled"),
        }
    }
    policy
}

fn unknown_key(name: &str) -> String {
    let mut msg = format!("unknown policy item `{name}`");
    if let Some(near) = KEYS
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
    {
        msg += &format!(": did you mean `{}`?", near.1);
    } else {
        msg += &format!(": expected one of {}", backticked(KEYS));
    }
    msg
}

fn backticked(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Levenshtein distance, for near-miss suggestions (`raed` -> `read`).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// What a key takes, with an example written with that key.
fn expected(name: &str) -> String {
    match name {
        "connect" | "bind" => format!(
            "a port number, a list of them, or \"*\" for any port, as in `{name} = 443` or `{name} = [80, 443]`"
        ),
        "crate" => "a string naming the path of the `landlock_runtime` crate, as in `crate = \"::my_runtime\"`".to_owned(),
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
        match lit(elem) {
            Some(Lit::Str(s)) => {
                let text = s.value();
                match PathTemplate::parse(&text) {
                    Ok(_) => policy.grants.push(Grant {
                        class,
                        lit: s.clone(),
                    }),
                    Err(e) => errors.push(syn::Error::new(s.span(), e.to_string())),
                }
            }
            _ => errors.push(syn::Error::new(
                elem.span(),
                format!(
                    "expected a path string: `{key}` takes {}",
                    expected(class.keyword())
                ),
            )),
        }
    }
}

fn ports(key: &syn::Ident, value: Expr, errors: &mut Errors) -> Option<Ports> {
    if let Some(Lit::Str(s)) = lit(&value) {
        return if s.value() == "*" {
            Some(Ports::Any)
        } else {
            errors.push(port_string(key, s));
            None
        };
    }
    let elems = one_or_list(key, &value, errors)?;
    let mut out: Vec<(u16, Span)> = Vec::new();
    for elem in elems {
        match lit(elem) {
            Some(Lit::Int(int)) => {
                if let Some(port) = port(int, errors) {
                    if out.iter().any(|(p, _)| *p == port) {
                        errors.push(syn::Error::new(
                            int.span(),
                            format!("port {port} is listed twice"),
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
            _ if matches!(elem, Expr::Unary(_)) => errors.push(syn::Error::new(
                elem.span(),
                "a port is a number from 1 to 65535",
            )),
            _ => errors.push(syn::Error::new(
                elem.span(),
                format!(
                    "expected a port number: `{key}` takes {}",
                    expected(&key.to_string())
                ),
            )),
        }
    }
    Some(Ports::Only(out))
}

fn port_string(key: &syn::Ident, s: &LitStr) -> syn::Error {
    let text = s.value();
    let hint = match text.parse::<u32>() {
        Ok(n) => format!("write the number without quotes: `{key} = {n}`"),
        Err(_) => format!("the only string `{key}` takes is \"*\", for any port"),
    };
    syn::Error::new(
        s.span(),
        format!("port given as the string \"{text}\": {hint}"),
    )
}

fn port(int: &LitInt, errors: &mut Errors) -> Option<u16> {
    match int.base10_parse::<u64>() {
        Ok(n @ 1..=65535) => Some(n as u16),
        Ok(n) => {
            errors.push(syn::Error::new(
                int.span(),
                format!("port {n} is out of range: a port is a number from 1 to 65535"),
            ));
            None
        }
        Err(e) => {
            errors.push(syn::Error::new(int.span(), format!("invalid port: {e}")));
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
        errors.push(syn::Error::new_spanned(
            &value,
            format!("expected {}", expected("crate")),
        ));
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
        assert!(unknown_key("network").contains("expected one of `read`"));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("read", "read"), 0);
        assert_eq!(edit_distance("raed", "read"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("exec", "exe"), 1);
    }
}
