//! Stage 3: checks across items, on the typed policy.

use proc_macro2::Span;

use landlock_template::check::{Draft, Grant, GrantPath as TemplatePath, Problem};

use crate::Errors;
use crate::model::{GrantPath, Policy, Ports};

/// Reports every check across items (the checker of `landlock-template`), each problem under
/// its token.
pub(crate) fn check(policy: &Policy, errors: &mut Errors) {
    let values: Vec<(bool, String)> = policy
        .grants
        .iter()
        .map(|g| match &g.path {
            GrantPath::Lit(lit) => (true, lit.value()),
            GrantPath::Arg(ident) => (false, ident.to_string()),
        })
        .collect();
    let any = |ports: &Option<Ports>| matches!(ports, Some(Ports::Any(_)));
    let draft = Draft {
        grants: policy
            .grants
            .iter()
            .zip(&values)
            .map(|(g, (literal, value))| Grant {
                class: g.class.keyword(),
                path: if *literal {
                    TemplatePath::Template(value)
                } else {
                    TemplatePath::Argument(value)
                },
            })
            .collect(),
        connect_any: any(&policy.connect),
        bind_any: any(&policy.bind),
        broad: policy.broad.is_some(),
        // The policy language handles every right.
        unhandled_fs: Vec::new(),
    };
    for problem in landlock_template::check::check(&draft, None) {
        let (span, message) = match problem {
            Problem::ClassConflict { grant, .. } => {
                (policy.grants[grant].span(), problem.describe(&draft))
            }
            Problem::Broad { grant, .. } => (
                policy.grants[grant].span(),
                acknowledge(&problem.describe(&draft)),
            ),
            Problem::BroadNetwork { kind } => {
                let ports = if kind == "connect" {
                    &policy.connect
                } else {
                    &policy.bind
                };
                let Some(Ports::Any(span)) = ports else {
                    continue;
                };
                (*span, acknowledge(&problem.describe(&draft)))
            }
            Problem::BroadUnused => (
                policy.broad.unwrap_or_else(Span::call_site),
                "`broad` acknowledges a broad grant, and this policy has none: remove it".into(),
            ),
            _ => (Span::call_site(), problem.describe(&draft)),
        };
        errors.push(syn::Error::new(span, message));
    }
}

/// The message of a broad grant, with what to do about it.
fn acknowledge(what: &str) -> String {
    format!("{what}; narrow it, or acknowledge it by adding `broad` to the policy")
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
