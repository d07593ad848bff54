//! Stage 3: checks across items, on the typed policy.

use proc_macro2::Span;

use crate::Errors;
use landlock_template::{broad_grant, broad_network, class_conflict};

use crate::model::{Class, GrantPath, Policy, Ports};

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
        // An argument's paths are known at each call: the runtime holds them to the same rule.
        let GrantPath::Lit(lit) = &grant.path else {
            continue;
        };
        let value = lit.value();
        let class = grant.class.keyword();
        if let Some(why) = broad_grant(class, &value) {
            found.push((lit.span(), why.describe(class, &value)));
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

/// Reports each path granted twice in a way that says nothing more (the same class twice, or
/// `read` beside a wider class), at its second occurrence. `write` and `exec` on one path grant
/// both.
fn duplicates(policy: &Policy, errors: &mut Errors) {
    for (i, grant) in policy.grants.iter().enumerate() {
        let key = grant.key();
        for first in policy.grants[..i].iter().filter(|g| g.key() == key) {
            let (a, b) = (first.class.keyword(), grant.class.keyword());
            if let Some(conflict) = class_conflict(a, b) {
                let shown = grant.shown();
                errors.push(syn::Error::new(
                    grant.span(),
                    conflict.describe(&shown, a, b),
                ));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use landlock_template::path_key;

    #[test]
    fn duplicates_ignore_the_optional_marker_and_trailing_slashes() {
        assert_eq!(path_key("/etc/?"), "/etc");
        assert_eq!(path_key("$TMP//"), "$TMP");
        assert_eq!(path_key("/"), "/");
        assert_eq!(path_key("//?"), "/");
    }
}
