//! Turning path templates into paths, once, when a policy is prepared.

use std::borrow::Cow;
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use landlock_template::{Base, DotDot, PathTemplate};

use crate::outcome::ErrorKind;
use crate::policy::normal_path;

/// The outcome of resolving one template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved<'a> {
    /// The path to open: borrowed from the template when it is absolute, so that preparing a
    /// policy of absolute paths allocates nothing for them; with the variable it came from.
    Path(Cow<'a, Path>, Option<Variable>),
    /// An optional path whose variable is unset: skipped.
    SkippedUnset,
}

/// The variable a resolved path starts with, for messages about what it resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    /// As written: `$TMP`, `${DATA_DIR}`.
    pub name: String,
    pub value: PathBuf,
}

/// Resolves `template` against the process environment; `$CWD` is `cwd` when given (the
/// directory a child process starts in), else the current directory.
///
/// The variables are read now, once per policy: a later change of the environment does not
/// change a prepared policy. A variable's value obeys the rules of a path written in the
/// policy: absolute, without `.` or `..` components (the broad-grant rule is checked by the
/// caller, which knows the class and whether the policy says `broad`). The path is given in
/// its one spelling (`landlock_template::normalize`): repeated and trailing slashes gone.
pub(crate) fn resolve<'a>(
    template: &'a str,
    cwd: Option<&Path>,
) -> Result<Resolved<'a>, ErrorKind> {
    let parsed = PathTemplate::parse(template).map_err(|e| ErrorKind::InvalidPolicy {
        problems: vec![e.to_string()],
    })?;
    let value = |value: Option<OsString>, name: String| -> Result<Option<Variable>, ErrorKind> {
        match value {
            None if parsed.is_optional() => Ok(None),
            None => Err(ErrorKind::UnsetVariable {
                variable: name,
                template: template.to_owned(),
            }),
            Some(v) => Ok(Some(Variable {
                name,
                value: PathBuf::from(v),
            })),
        }
    };
    let variable = match parsed.base() {
        // Borrowed when the template is spelled in the one way, as a policy keeps it.
        Base::Root => {
            let path = match landlock_template::normalize(parsed.tail(), DotDot::Keep) {
                Cow::Borrowed(path) => Cow::Borrowed(Path::new(path)),
                Cow::Owned(path) => Cow::Owned(PathBuf::from(path)),
            };
            return Ok(Resolved::Path(path, None));
        }
        Base::Tmp => value(Some(env::temp_dir().into_os_string()), "$TMP".into())?,
        Base::Home => value(env::var_os("HOME"), "$HOME".into())?,
        Base::Env(name) => value(env::var_os(name), format!("${{{name}}}"))?,
        Base::Cwd => {
            let cwd = cwd.map(Path::to_path_buf).map_or_else(env::current_dir, Ok);
            let cwd = cwd.map_err(|source| ErrorKind::OpenPath {
                path: PathBuf::from("."),
                template: template.to_owned(),
                source,
            })?;
            value(Some(cwd.into_os_string()), "$CWD".into())?
        }
        Base::ExeDir => {
            let exe = env::current_exe().map_err(|source| ErrorKind::OpenPath {
                path: PathBuf::from("/proc/self/exe"),
                template: template.to_owned(),
                source,
            })?;
            let dir = exe.parent().map(|d| d.as_os_str().to_owned());
            value(dir, "$EXE_DIR".into())?
        }
    };
    let Some(variable) = variable else {
        return Ok(Resolved::SkippedUnset);
    };
    if let Some(problem) = value_problem(&variable.value) {
        return Err(ErrorKind::InvalidVariable {
            variable: variable.name,
            value: variable.value,
            template: template.to_owned(),
            problem: problem.to_owned(),
        });
    }
    // The value and the tail joined, in the one spelling every check and the open see:
    // `DATA=//etc` is `/etc`.
    let mut path = variable.value.clone().into_os_string();
    path.push(parsed.tail());
    let path = normal_path(Path::new(&path), DotDot::Keep).into_owned();
    Ok(Resolved::Path(Cow::Owned(path), Some(variable)))
}

/// What keeps a variable's value from standing where a written path could: the rules of
/// `landlock_template::PathTemplate` for the part of a path a variable stands for.
fn value_problem(value: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = value.as_os_str().as_bytes();
    if !bytes.starts_with(b"/") {
        return Some(
            "not an absolute path; a path must be absolute, so its value must be too (a relative one would depend on the current directory)",
        );
    }
    for component in bytes.split(|&b| b == b'/') {
        match component {
            b".." => {
                return Some(
                    "a `..` component; write the path it leads to instead, so that review sees what is granted",
                );
            }
            b"." => return Some("a `.` component; give the path without it"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tests that need a particular environment variable use their own names, so that they can
    // run in parallel with everything else.

    #[test]
    fn absolute_paths_are_themselves() {
        assert_eq!(
            resolve("/etc", None).unwrap(),
            Resolved::Path(Path::new("/etc").into(), None)
        );
        assert_eq!(
            resolve("/etc/x?", None).unwrap(),
            Resolved::Path(Path::new("/etc/x").into(), None)
        );
    }

    /// The path `template` resolves to.
    fn path(template: &str) -> PathBuf {
        match resolve(template, None).unwrap() {
            Resolved::Path(path, _) => path.into_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn named_variables() {
        assert_eq!(path("$TMP/a"), env::temp_dir().join("a"));
        assert_eq!(path("$CWD"), env::current_dir().unwrap());
        let exe = env::current_exe().unwrap();
        assert_eq!(path("$EXE_DIR/data?"), exe.parent().unwrap().join("data"));
    }

    #[test]
    fn environment_variables() {
        // SAFETY: the variable is used by this test only.
        unsafe { env::set_var("LANDLOCK_TEST_RESOLVE_SET", "/srv/data") };
        let Resolved::Path(path, Some(variable)) =
            resolve("${LANDLOCK_TEST_RESOLVE_SET}/in", None).unwrap()
        else {
            panic!("a path from a variable");
        };
        assert_eq!(path, Path::new("/srv/data/in"));
        assert_eq!(variable.name, "${LANDLOCK_TEST_RESOLVE_SET}");
        assert_eq!(variable.value, Path::new("/srv/data"));
    }

    #[test]
    fn unset_variable_fails_unless_optional() {
        let err = resolve("${LANDLOCK_TEST_RESOLVE_UNSET}/x", None).unwrap_err();
        match err {
            ErrorKind::UnsetVariable { variable, template } => {
                assert_eq!(variable, "${LANDLOCK_TEST_RESOLVE_UNSET}");
                assert_eq!(template, "${LANDLOCK_TEST_RESOLVE_UNSET}/x");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve("${LANDLOCK_TEST_RESOLVE_UNSET}/x?", None).unwrap(),
            Resolved::SkippedUnset
        );
    }

    #[test]
    fn a_value_obeys_the_rules_of_a_written_path() {
        for (name, value, problem) in [
            (
                "LANDLOCK_TEST_RESOLVE_RELATIVE",
                "data",
                "not an absolute path",
            ),
            ("LANDLOCK_TEST_RESOLVE_DOT", ".", "not an absolute path"),
            (
                "LANDLOCK_TEST_RESOLVE_DOTDOT",
                "/home/../etc",
                "a `..` component",
            ),
            (
                "LANDLOCK_TEST_RESOLVE_INNER_DOT",
                "/srv/./data",
                "a `.` component",
            ),
            ("LANDLOCK_TEST_RESOLVE_EMPTY", "", "not an absolute path"),
        ] {
            // SAFETY: each variable is used by this test only.
            unsafe { env::set_var(name, value) };
            // Optional or not: a value that is set is never skipped, it is wrong.
            let template = format!("${{{name}}}/x?");
            match resolve(&template, None).unwrap_err() {
                ErrorKind::InvalidVariable {
                    variable,
                    value: v,
                    problem: p,
                    ..
                } => {
                    assert_eq!(variable, format!("${{{name}}}"));
                    assert_eq!(v, Path::new(value));
                    assert!(p.starts_with(problem), "{value}: {p}");
                }
                other => panic!("{value}: {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_template_is_reported() {
        assert!(matches!(
            resolve("etc", None).unwrap_err(),
            ErrorKind::InvalidPolicy { .. }
        ));
    }
}
