//! Turning path templates into paths, once, when a policy is prepared.

use std::borrow::Cow;
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use landlock_template::{Base, PathTemplate};

use crate::error::ErrorKind;

/// The outcome of resolving one template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved<'a> {
    /// The path to open: borrowed from the template when it is absolute, so that preparing a
    /// policy of absolute paths allocates nothing for them.
    Path(Cow<'a, Path>),
    /// An optional path whose variable is unset: skipped.
    SkippedUnset,
}

/// Resolves `template` against the process environment.
///
/// The variables are read now, once per policy: a later change of the environment does not
/// change a prepared policy.
pub(crate) fn resolve(template: &str) -> Result<Resolved<'_>, ErrorKind> {
    let parsed = PathTemplate::parse(template).map_err(|e| ErrorKind::InvalidPolicy {
        problems: vec![e.to_string()],
    })?;
    let variable = |value: Option<OsString>, name: String| -> Result<Option<PathBuf>, ErrorKind> {
        match value {
            None if parsed.is_optional() => Ok(None),
            None => Err(ErrorKind::UnsetVariable {
                variable: name,
                template: template.to_owned(),
            }),
            Some(v) if PathBuf::from(&v).is_absolute() => Ok(Some(PathBuf::from(v))),
            Some(v) => Err(ErrorKind::VariableNotAbsolute {
                variable: name,
                value: PathBuf::from(v),
                template: template.to_owned(),
            }),
        }
    };
    let base = match parsed.base() {
        Base::Root => return Ok(Resolved::Path(Cow::Borrowed(Path::new(parsed.tail())))),
        Base::Tmp => Some(env::temp_dir()),
        Base::Home => variable(env::var_os("HOME"), "$HOME".into())?,
        Base::Env(name) => variable(env::var_os(name), format!("${{{name}}}"))?,
        Base::Cwd => Some(env::current_dir().map_err(|source| ErrorKind::OpenPath {
            path: PathBuf::from("."),
            template: template.to_owned(),
            source,
        })?),
        Base::ExeDir => {
            let exe = env::current_exe().map_err(|source| ErrorKind::OpenPath {
                path: PathBuf::from("/proc/self/exe"),
                template: template.to_owned(),
                source,
            })?;
            exe.parent().map(PathBuf::from)
        }
    };
    let Some(mut path) = base else {
        return Ok(Resolved::SkippedUnset);
    };
    let tail = parsed.tail().trim_start_matches('/');
    if !tail.is_empty() {
        path.push(tail);
    }
    Ok(Resolved::Path(Cow::Owned(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tests that need a particular environment variable use their own names, so that they can
    // run in parallel with everything else.

    #[test]
    fn absolute_paths_are_themselves() {
        assert_eq!(
            resolve("/etc").unwrap(),
            Resolved::Path(Path::new("/etc").into())
        );
        assert_eq!(
            resolve("/etc/x?").unwrap(),
            Resolved::Path(Path::new("/etc/x").into())
        );
    }

    #[test]
    fn named_variables() {
        assert_eq!(
            resolve("$TMP/a").unwrap(),
            Resolved::Path(env::temp_dir().join("a").into())
        );
        assert_eq!(
            resolve("$CWD").unwrap(),
            Resolved::Path(env::current_dir().unwrap().into())
        );
        let exe = env::current_exe().unwrap();
        assert_eq!(
            resolve("$EXE_DIR/data?").unwrap(),
            Resolved::Path(exe.parent().unwrap().join("data").into())
        );
    }

    #[test]
    fn environment_variables() {
        // SAFETY: the variable is used by this test only.
        unsafe { env::set_var("LANDLOCK_TEST_RESOLVE_SET", "/srv/data") };
        assert_eq!(
            resolve("${LANDLOCK_TEST_RESOLVE_SET}/in").unwrap(),
            Resolved::Path(Path::new("/srv/data/in").into())
        );
    }

    #[test]
    fn unset_variable_fails_unless_optional() {
        let err = resolve("${LANDLOCK_TEST_RESOLVE_UNSET}/x").unwrap_err();
        match err {
            ErrorKind::UnsetVariable { variable, template } => {
                assert_eq!(variable, "${LANDLOCK_TEST_RESOLVE_UNSET}");
                assert_eq!(template, "${LANDLOCK_TEST_RESOLVE_UNSET}/x");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve("${LANDLOCK_TEST_RESOLVE_UNSET}/x?").unwrap(),
            Resolved::SkippedUnset
        );
    }

    #[test]
    fn relative_variable_value_fails() {
        // SAFETY: the variable is used by this test only.
        unsafe { env::set_var("LANDLOCK_TEST_RESOLVE_RELATIVE", "data") };
        let err = resolve("${LANDLOCK_TEST_RESOLVE_RELATIVE}?").unwrap_err();
        assert!(
            matches!(err, ErrorKind::VariableNotAbsolute { ref value, .. } if value.as_os_str() == "data"),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_template_is_reported() {
        assert!(matches!(
            resolve("etc").unwrap_err(),
            ErrorKind::InvalidPolicy { .. }
        ));
    }
}
