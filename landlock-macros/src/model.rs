//! Stage 2: raw items to a typed policy that keeps a span beside every value, checking each
//! value's type and each path and port on the way.

use landlock_template::PathTemplate;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr};

use crate::Errors;
use crate::parse::RawItem;

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
    /// Preset names, as the runtime's `Preset` variant names (`DynamicLoader`).
    pub presets: Vec<syn::Ident>,
    pub connect: Option<Ports>,
    pub bind: Option<Ports>,
    pub allow_signals: Flag,
    pub allow_abstract_unix_sockets: Flag,
    pub strict: Flag,
    pub process: Flag,
    pub krate: Option<syn::Path>,
}

/// Builds the typed policy from raw items; every mistake goes to `errors`.
pub(crate) fn policy(items: Vec<RawItem>, errors: &mut Errors) -> Policy {
    let mut policy = Policy::default();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for RawItem { key, value } in items {
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
        match name.as_str() {
            "read" => paths(&key, value, Class::Read, &mut policy, errors),
            "write" => paths(&key, value, Class::Write, &mut policy, errors),
            "exec" => paths(&key, value, Class::Exec, &mut policy, errors),
            "preset" => presets(&key, value, &mut policy, errors),
            "connect" => policy.connect = ports(&key, value, errors),
            "bind" => policy.bind = ports(&key, value, errors),
            "allow_signals" => policy.allow_signals = flag(&key, value, errors),
            "allow_abstract_unix_sockets" => {
                policy.allow_abstract_unix_sockets = flag(&key, value, errors)
            }
            "strict" => policy.strict = flag(&key, value, errors),
            "process" => policy.process = flag(&key, value, errors),
            "crate" => policy.krate = krate(&key, value, errors),
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

fn missing_value(key: &syn::Ident, expected: &str) -> syn::Error {
    syn::Error::new(key.span(), format!("`{key}` needs a value: {expected}"))
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

fn lit(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(g) => lit(&g.expr),
        _ => None,
    }
}

const PATHS_EXPECTED: &str =
    "a path string or a list of them, as in `read = \"/etc\"` or `read = [\"/etc\", \"$TMP\"]`";

fn paths(
    key: &syn::Ident,
    value: Option<Expr>,
    class: Class,
    policy: &mut Policy,
    errors: &mut Errors,
) {
    let Some(value) = value else {
        errors.push(missing_value(key, PATHS_EXPECTED));
        return;
    };
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
                format!("expected a path string: `{key}` takes {PATHS_EXPECTED}"),
            )),
        }
    }
}

const PRESETS_EXPECTED: &str =
    "a preset name or a list of them, as in `preset = \"dynamic_loader\"`";

fn presets(key: &syn::Ident, value: Option<Expr>, policy: &mut Policy, errors: &mut Errors) {
    let Some(value) = value else {
        errors.push(missing_value(key, PRESETS_EXPECTED));
        return;
    };
    let Some(elems) = one_or_list(key, &value, errors) else {
        return;
    };
    for elem in elems {
        let Some(Lit::Str(s)) = lit(elem) else {
            errors.push(syn::Error::new(
                elem.span(),
                format!("expected a preset name: `{key}` takes {PRESETS_EXPECTED}"),
            ));
            continue;
        };
        let name = s.value();
        if !landlock_template::PRESETS.contains(&name.as_str()) {
            errors.push(syn::Error::new(
                s.span(),
                format!(
                    "unknown preset \"{name}\": expected one of {}",
                    landlock_template::PRESETS
                        .iter()
                        .map(|p| format!("\"{p}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
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

const PORTS_EXPECTED: &str = "a port number, a list of them, or \"*\" for any port, as in `connect = 443` or `connect = [80, 443]`";

fn ports(key: &syn::Ident, value: Option<Expr>, errors: &mut Errors) -> Option<Ports> {
    let Some(value) = value else {
        errors.push(missing_value(key, PORTS_EXPECTED));
        return None;
    };
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
                format!("expected a port number: `{key}` takes {PORTS_EXPECTED}"),
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

fn flag(key: &syn::Ident, value: Option<Expr>, errors: &mut Errors) -> Flag {
    match value {
        None => Some(key.span()),
        Some(value) => {
            errors.push(syn::Error::new_spanned(
                &value,
                format!("`{key}` takes no value: write `{key}` alone to turn it on, and leave it out to keep it off"),
            ));
            None
        }
    }
}

fn krate(key: &syn::Ident, value: Option<Expr>, errors: &mut Errors) -> Option<syn::Path> {
    const EXPECTED: &str = "a string naming the path of the `landlock_runtime` crate, as in `crate = \"::my_runtime\"`";
    let Some(value) = value else {
        errors.push(missing_value(key, EXPECTED));
        return None;
    };
    let Some(Lit::Str(s)) = lit(&value) else {
        errors.push(syn::Error::new_spanned(
            &value,
            format!("expected {EXPECTED}"),
        ));
        return None;
    };
    match s.parse::<syn::Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            errors.push(syn::Error::new(
                s.span(),
                format!("`{}` is not a path: expected {EXPECTED}", s.value()),
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
        assert!(matches!(policy.connect, Some(Ports::Only(ref p)) if p.len() == 2));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("read", "read"), 0);
        assert_eq!(edit_distance("raed", "read"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("exec", "exe"), 1);
    }
}
