//! Stage 3: checks across items, on the typed policy.

use proc_macro2::Span;

use crate::Errors;
use landlock_template::{broad_grant, broad_network, path_key};

use crate::model::{Class, Policy, Ports};

/// Reports every check across items.
pub(crate) fn check(policy: &Policy, errors: &mut Errors) {
    duplicates(policy, errors);
    broad(policy, errors);
}

/// Grants so wide that a reviewer must see them acknowledged: any class on `/`, `write` on a
/// home or system tree, and unrestricted TCP together with `write`. Each is an error unless
/// the policy says `broad`; a `broad` that nothing needs is an error too, so that it cannot
/// be left behind as a blanket pass.
fn broad(policy: &Policy, errors: &mut Errors) {
    let mut found: Vec<(Span, String)> = Vec::new();
    for grant in &policy.grants {
        let value = grant.lit.value();
        let class = grant.class.keyword();
        if let Some(why) = broad_grant(class, &value) {
            found.push((grant.lit.span(), why.describe(class, &value)));
        }
    }
    if policy.grants.iter().any(|g| g.class == Class::Write) {
        for (kind, ports) in [("connect", &policy.connect), ("bind", &policy.bind)] {
            if let Some(Ports::Any(span)) = ports {
                found.push((*span, format!("`{kind} = \"*\"`: {}", broad_network(kind))));
            }
        }
    }
    match (policy.broad, found.is_empty()) {
        (None, false) => {
            for (span, what) in found {
                errors.push(syn::Error::new(
                    span,
                    format!("{what}; narrow it, or acknowledge it by adding `broad` to the policy"),
                ));
            }
        }
        (Some(span), true) => errors.push(syn::Error::new(
            span,
            "`broad` acknowledges a broad grant, and this policy has none: remove it",
        )),
        _ => {}
    }
}

/// Reports each path granted twice, under one class or two, at its second occurrence.
fn duplicates(policy: &Policy, errors: &mut Errors) {
    for (i, grant) in policy.grants.iter().enumerate() {
        let value = grant.lit.value();
        let path = path_key(&value);
        if let Some(first) = policy.grants[..i]
            .iter()
            .find(|g| path_key(&g.lit.value()) == path)
        {
            let msg = duplicate(path, first.class, grant.class);
            errors.push(syn::Error::new(grant.lit.span(), msg));
        }
    }
}

/// The error for `path` granted under `second` after `first`: which one to keep, when one
/// includes the other.
fn duplicate(path: &str, first: Class, second: Class) -> String {
    let (first, second) = (first.keyword(), second.keyword());
    if first == second {
        return format!("`{path}` is listed twice under `{first}`: remove one");
    }
    let advice = match (first, second) {
        ("read", broader) | (broader, "read") => {
            format!("`{broader}` includes what `read` grants, so list it under `{broader}` alone")
        }
        _ => "give it `write` or `exec` (each includes `read`)".to_owned(),
    };
    format!("`{path}` is already granted under `{first}`: a path takes one class; {advice}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_say_which_class_to_keep() {
        assert_eq!(
            duplicate("/etc", Class::Read, Class::Read),
            "`/etc` is listed twice under `read`: remove one"
        );
        let msg = duplicate("$TMP", Class::Write, Class::Read);
        assert!(msg.ends_with("list it under `write` alone"), "{msg}");
        let msg = duplicate("$TMP", Class::Read, Class::Exec);
        assert!(msg.ends_with("list it under `exec` alone"), "{msg}");
        let msg = duplicate("/srv", Class::Write, Class::Exec);
        assert!(
            msg.ends_with("give it `write` or `exec` (each includes `read`)"),
            "{msg}"
        );
    }

    #[test]
    fn duplicates_ignore_the_optional_marker_and_trailing_slashes() {
        assert_eq!(path_key("/etc/?"), "/etc");
        assert_eq!(path_key("$TMP//"), "$TMP");
        assert_eq!(path_key("/"), "/");
        assert_eq!(path_key("//?"), "/");
    }
}
