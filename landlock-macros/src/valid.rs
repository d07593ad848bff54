//! Stage 3: checks across items, on the typed policy.

use crate::Errors;
use crate::model::Policy;

/// Reports each path granted twice, under one class or two, at its second occurrence.
pub(crate) fn check(policy: &Policy, errors: &mut Errors) {
    for (i, grant) in policy.grants.iter().enumerate() {
        let value = grant.lit.value();
        let path = key(&value);
        if let Some(first) = policy.grants[..i]
            .iter()
            .find(|g| key(&g.lit.value()) == path)
        {
            let msg = if first.class == grant.class {
                format!("`{path}` is already granted as {}", first.class.keyword())
            } else {
                format!(
                    "`{path}` is already granted as {}: a path takes one class, so keep the broader one (`write` and `exec` both include `read`)",
                    first.class.keyword()
                )
            };
            errors.push(syn::Error::new(grant.lit.span(), msg));
        }
    }
}

/// A path as compared for duplicates: without the optional marker or a trailing slash.
fn key(template: &str) -> &str {
    let path = template.strip_suffix('?').unwrap_or(template);
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}
