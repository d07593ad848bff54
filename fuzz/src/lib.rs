//! The invariants of the path-template parser, checked on any input: shared by the libFuzzer
//! target (`fuzz_targets/template.rs`) and the stable harness (`src/bin/template_stable.rs`).
//!
//! A violated invariant panics, which both report as a crash with the input.

use std::path::{Component, Path};

use landlock_template::{Base, DotDot, PathTemplate, normalize_bytes, path_key};

/// Checks the parser on raw bytes: only UTF-8 reaches it (policies are Rust strings); and
/// the normaliser, which takes any bytes (a literal path).
pub fn check_bytes(data: &[u8]) {
    check_normalize(data);
    if let Ok(source) = std::str::from_utf8(data) {
        check(source);
    }
}

/// Checks `normalize_bytes` on any bytes: its spelling is its own; it has no repeated slash
/// and no trailing one (but `/`); `..` kept, an absolute path has the components `std::path`
/// sees in the original; `..` resolved, none is left in an absolute path.
pub fn check_normalize(data: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    let path = |bytes: &[u8]| Path::new(std::ffi::OsStr::from_bytes(bytes)).to_owned();
    for dot_dot in [DotDot::Keep, DotDot::Resolve] {
        let normal = normalize_bytes(data, dot_dot);
        assert_eq!(
            &*normalize_bytes(&normal, dot_dot),
            &*normal,
            "{data:?}: once"
        );
        assert!(!normal.windows(2).any(|w| w == b"//"), "{data:?}");
        assert!(
            !normal.ends_with(b"/") || &*normal == b"/",
            "{data:?} -> {normal:?}"
        );
        if !data.starts_with(b"/") {
            continue;
        }
        assert!(normal.starts_with(b"/"), "{data:?}");
        let spelled = path(&normal);
        match dot_dot {
            DotDot::Keep => assert!(
                path(data).components().eq(spelled.components()),
                "{data:?} -> {normal:?}"
            ),
            DotDot::Resolve => assert!(
                !spelled.components().any(|c| c == Component::ParentDir),
                "{data:?} -> {normal:?}"
            ),
        }
    }
}

/// Checks every invariant of `PathTemplate::parse` on `source`:
///
/// - it does not panic, and neither do the accessors or the error's message;
/// - an error names the string it rejected and says something;
/// - a template round-trips: its base, tail and optional marker spell the source again;
/// - `path()` has no `?` (so no trailing one), no NUL, and no `.` or `..` component, for the
///   parser and for `std::path` alike;
/// - base and tail agree: an absolute template's tail is the whole path; a variable's tail
///   is empty or absolute, and the variable is what `path()` starts with;
/// - the path without its marker parses to the same template, not optional, and adding a
///   marker to a mandatory one makes it optional and changes nothing else;
/// - its one spelling (`normalized()`) parses to a template with the same base and marker, has
///   no repeated slash and no trailing one (but `/` itself), is its own one spelling, names
///   the same path for the checks (`path_key`), and is borrowed exactly when it is the source.
pub fn check(source: &str) {
    let template = match PathTemplate::parse(source) {
        Ok(template) => template,
        Err(error) => {
            assert_eq!(error.source(), source);
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    assert_eq!(template.source(), source);
    let (base, tail, optional) = (template.base(), template.tail(), template.is_optional());
    assert_eq!(optional, source.ends_with('?'), "{source:?}");

    let spelled_base = match base {
        Base::Root => String::new(),
        other => other.to_string(),
    };
    let marker = if optional { "?" } else { "" };
    assert_eq!(
        format!("{spelled_base}{tail}{marker}"),
        source,
        "round trip"
    );

    let path = template.path();
    assert!(!path.contains('?'), "{source:?}: `?` in {path:?}");
    assert!(!path.contains('\0'), "{source:?}");
    assert!(
        !tail.contains('$'),
        "{source:?}: a variable inside {tail:?}"
    );
    for component in tail.split('/') {
        assert!(component != ".." && component != ".", "{source:?}");
    }
    assert!(
        Path::new(tail)
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir)),
        "{source:?}: std::path sees `.` or `..` in {tail:?}"
    );

    match base {
        Base::Root => {
            assert!(tail.starts_with('/'), "{source:?}");
            assert_eq!(tail, path, "{source:?}");
        }
        Base::Env(name) => {
            let mut chars = name.chars();
            assert!(
                chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{source:?}: bad variable name {name:?}"
            );
            assert!(path.starts_with(&format!("${{{name}}}")), "{source:?}");
            assert!(tail.is_empty() || tail.starts_with('/'), "{source:?}");
        }
        named => {
            assert!(path.starts_with(&named.to_string()), "{source:?}");
            assert!(tail.is_empty() || tail.starts_with('/'), "{source:?}");
        }
    }

    let normal = template.normalized();
    assert_eq!(
        matches!(normal, std::borrow::Cow::Borrowed(_)),
        normal == source,
        "{source:?}"
    );
    let spelled = PathTemplate::parse(&normal).expect("the one spelling parses");
    assert_eq!(
        (spelled.base(), spelled.is_optional()),
        (base, optional),
        "{source:?} -> {normal:?}"
    );
    let normal_tail = spelled.tail();
    assert!(!normal_tail.contains("//"), "{source:?} -> {normal:?}");
    assert!(
        !normal_tail.ends_with('/') || normal_tail == "/" && base == Base::Root,
        "{source:?} -> {normal:?}"
    );
    assert_eq!(spelled.normalized(), normal, "{source:?}: spelled once");
    assert_eq!(path_key(&normal), path_key(source), "{source:?}");

    let same = |other: &PathTemplate<'_>| (other.base(), other.tail()) == (base, tail);
    let mandatory = PathTemplate::parse(path).expect("the path without its marker parses");
    assert!(same(&mandatory) && !mandatory.is_optional(), "{source:?}");
    if !optional {
        let marked = format!("{source}?");
        let optional = PathTemplate::parse(&marked).expect("a marked path parses");
        assert!(same(&optional) && optional.is_optional(), "{source:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_rejected_examples_hold() {
        for source in [
            "/",
            "/etc",
            "/etc/",
            "//etc",
            "///etc//?",
            "$TMP//a//",
            "${X}/",
            "$HOME//?",
            "/a/..b/.c",
            "$TMP",
            "$TMP?",
            "$HOME/.config?",
            "${XDG_RUNTIME_DIR}/app",
            "${_}",
            "/ü/读",
            "",
            "?",
            "??",
            "etc",
            "/a/../b",
            "/a/.",
            "$TEMP",
            "${",
            "${}",
            "${1}",
            "$TMPx",
            "$TMP/$HOME",
            "/a?b",
            "/\0",
            "$",
            "${X}y",
        ] {
            check(source);
            check_normalize(source.as_bytes());
        }
        check_normalize(b"//etc/\xff/./..//");
    }
}
