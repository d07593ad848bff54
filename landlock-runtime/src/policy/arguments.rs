//! Policies that grant the paths an argument holds (`#[sandbox(read = input)]`): the policy
//! written in the source names the argument, and at each call it is bound to the paths the
//! argument holds, then prepared and enforced like any policy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use landlock_template::DotDot;

use super::Policy;
use crate::model::{FsGrant, GrantPath};
use crate::outcome::{Error, ErrorKind};

/// A policy bound to the paths of its arguments at one call: what re-entry is recognised by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Binding {
    /// The address of the policy written in the source.
    policy: usize,
    arguments: Vec<Argument>,
}

impl Binding {
    /// The binding of `policy` to `arguments`.
    pub(crate) fn new(policy: &'static Policy, arguments: &[Argument]) -> Binding {
        Binding {
            policy: policy as *const Policy as usize,
            arguments: arguments.to_vec(),
        }
    }
}

/// The paths of one argument at a call, as the macros collect them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Argument {
    /// The parameter's name.
    pub name: &'static str,
    /// The paths it holds.
    pub paths: Vec<PathBuf>,
}

impl Policy {
    /// This policy with each argument grant replaced by grants of the paths the argument holds
    /// (made absolute against the current directory); refused when one of them is a broad
    /// grant and the policy does not say `broad`. `binding` is this policy bound to
    /// `arguments`.
    pub(crate) fn bind_arguments(&'static self, binding: Binding) -> Result<Policy, Error> {
        let arguments = binding.arguments.as_slice();
        // `$HOME` matters only to a `write` grant, and is read once, when one comes.
        let mut home: Option<Option<String>> = None;
        let mut grants: Vec<FsGrant> = Vec::with_capacity(self.grants.len());
        let mut problems = Vec::new();
        for grant in self.grants.iter() {
            let GrantPath::Argument(name) = grant.path() else {
                grants.push(grant.clone());
                continue;
            };
            let paths = arguments
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.paths.as_slice())
                .unwrap_or_default();
            for given in paths {
                // Absolute, in its one spelling (`..` kept for the kernel); checked with `..`
                // resolved, as the kernel resolves it when no symbolic link comes first.
                let path = std::path::absolute(given)
                    .map(|path| super::normal_path(&path, DotDot::Keep).into_owned())
                    .map_err(|e| {
                        self.error(ErrorKind::InvalidPolicy {
                            problems: vec![format!(
                                "argument `{name}`: cannot make `{}` absolute: {e}",
                                given.display()
                            )],
                        })
                    })?;
                let class = grant.class().keyword();
                let seen = super::normal_path(&path, DotDot::Resolve);
                let seen = seen.to_string_lossy();
                let home = match class {
                    "write" => home.get_or_insert_with(super::home),
                    _ => &None,
                };
                if let Some(why) = landlock_template::broad_resolved(class, &seen, home.as_deref())
                    && !self.broad
                {
                    problems.push(format!(
                        "argument `{name}` holds `{}`: {}; narrow it, or acknowledge a broad grant with `broad`",
                        given.display(),
                        why.describe(class, &seen)
                    ));
                }
                let bound = FsGrant::literal(path, grant.class());
                if !grants.contains(&bound) {
                    grants.push(bound);
                }
            }
        }
        if !problems.is_empty() {
            return Err(self.error(ErrorKind::InvalidPolicy { problems }));
        }
        let mut bound = self.clone();
        bound.grants = grants.into();
        bound.binding = Some(Arc::new(binding));
        Ok(bound)
    }
}

/// What the macros wrap an argument in, to find its paths: a single path (anything
/// `AsRef<Path>`) first, then a collection of paths, then a collection behind a reference
/// (autoref specialisation: the first of the `ArgumentPath*` traits whose bounds hold is
/// used).
#[doc(hidden)]
pub struct ArgumentProbe<'a, T: ?Sized>(pub &'a T);

/// One path: `&Path`, `PathBuf`, `&str`, `String`, `OsString`, any `AsRef<Path>`.
#[doc(hidden)]
pub trait ArgumentPath {
    fn __landlock_paths(&self) -> Vec<PathBuf>;
}

impl<T: AsRef<Path> + ?Sized> ArgumentPath for &&&ArgumentProbe<'_, T> {
    fn __landlock_paths(&self) -> Vec<PathBuf> {
        vec![self.0.as_ref().to_path_buf()]
    }
}

/// A collection of paths: `Vec<PathBuf>`, `[&Path; N]`, `Option<PathBuf>`, a set.
#[doc(hidden)]
pub trait ArgumentPathList {
    fn __landlock_paths(&self) -> Vec<PathBuf>;
}

impl<'a, T: ?Sized> ArgumentPathList for &&ArgumentProbe<'a, T>
where
    &'a T: IntoIterator,
    <&'a T as IntoIterator>::Item: AsRef<Path>,
{
    fn __landlock_paths(&self) -> Vec<PathBuf> {
        self.0
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect()
    }
}

/// A collection behind a reference or a box: `&[&Path]`, `&Vec<String>`, `Box<[PathBuf]>`.
#[doc(hidden)]
pub trait ArgumentPathListRef {
    fn __landlock_paths(&self) -> Vec<PathBuf>;
}

impl<'a, T, U> ArgumentPathListRef for &ArgumentProbe<'a, T>
where
    T: std::ops::Deref<Target = U> + ?Sized,
    U: ?Sized + 'a,
    &'a U: IntoIterator,
    <&'a U as IntoIterator>::Item: AsRef<Path>,
{
    fn __landlock_paths(&self) -> Vec<PathBuf> {
        let target: &'a U = self.0;
        target
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect()
    }
}

/// Anything else: not paths. The macros pass the result to [`paths`], which refuses it with a
/// message that says what an argument in a policy may be.
#[doc(hidden)]
pub trait ArgumentNotPaths {
    fn __landlock_paths(&self) -> NotPaths;
}

impl<T: ?Sized> ArgumentNotPaths for ArgumentProbe<'_, T> {
    fn __landlock_paths(&self) -> NotPaths {
        NotPaths
    }
}

/// What an argument that holds no paths gives; see [`ArgumentNotPaths`].
#[doc(hidden)]
pub struct NotPaths;

/// The paths found in an argument.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an argument granted in a policy must hold paths",
    label = "not a path (`&Path`, `PathBuf`, `&str`, `String`, anything `AsRef<Path>`), nor a collection of paths (`Vec`, slice, array, `Option`)"
)]
pub trait IntoArgumentPaths {
    fn into_paths(self) -> Vec<PathBuf>;
}

#[diagnostic::do_not_recommend]
impl IntoArgumentPaths for Vec<PathBuf> {
    fn into_paths(self) -> Vec<PathBuf> {
        self
    }
}

/// The paths an argument holds, or a compile error naming the argument.
#[doc(hidden)]
pub fn paths(found: impl IntoArgumentPaths) -> Vec<PathBuf> {
    found.into_paths()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::ffi::OsString;

    macro_rules! paths_of {
        ($e:expr) => {{
            #[allow(unused_imports)]
            use super::{
                ArgumentNotPaths as _, ArgumentPath as _, ArgumentPathList as _,
                ArgumentPathListRef as _,
            };
            paths((&&&&ArgumentProbe(&$e)).__landlock_paths())
        }};
    }

    #[test]
    fn every_shape_of_path_argument() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(paths_of!(Path::new("/a")), [p("/a")]);
        assert_eq!(paths_of!(p("/a")), [p("/a")]);
        assert_eq!(paths_of!("/a"), [p("/a")]);
        assert_eq!(paths_of!(String::from("/a")), [p("/a")]);
        assert_eq!(paths_of!(OsString::from("/a")), [p("/a")]);
        assert_eq!(paths_of!(vec![p("/a"), p("/b")]), [p("/a"), p("/b")]);
        assert_eq!(paths_of!(["/a", "/b"]), [p("/a"), p("/b")]);
        let slice: &[&Path] = &[Path::new("/a")];
        assert_eq!(paths_of!(slice), [p("/a")]);
        let strings = vec![String::from("/a")];
        assert_eq!(paths_of!(&strings), [p("/a")]);
        assert_eq!(paths_of!(Some(p("/a"))), [p("/a")]);
        assert_eq!(paths_of!(None::<PathBuf>), Vec::<PathBuf>::new());
        assert_eq!(paths_of!(BTreeSet::from(["/b", "/a"])), [p("/a"), p("/b")]);
        let boxed: Box<[PathBuf]> = vec![p("/a")].into();
        assert_eq!(paths_of!(boxed), [p("/a")]);
        fn generic<P: AsRef<Path>>(path: P) -> Vec<PathBuf> {
            paths_of!(path)
        }
        assert_eq!(generic("/a"), [p("/a")]);
    }
}
