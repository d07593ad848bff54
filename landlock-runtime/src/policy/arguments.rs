//! Policies that grant the paths or the TCP ports an argument holds (`#[sandbox(read =
//! input)]`, `#[sandbox(connect = port)]`): the policy written in the source names the
//! argument, and at each call it is bound to what the argument holds, then prepared and
//! enforced like any policy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use landlock_template::DotDot;

use super::Policy;
use crate::model::{FsGrant, GrantPath, Ports};
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

/// The paths or ports of one argument at a call, as the macros collect them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Argument {
    /// The parameter's name.
    pub name: &'static str,
    /// The paths it holds, when the policy grants its paths.
    pub paths: Vec<PathBuf>,
    /// The TCP ports it holds, when the policy grants its ports.
    pub ports: Vec<u16>,
}

impl Policy {
    /// This policy with each argument grant replaced by grants of the paths the argument holds
    /// (made absolute against the current directory), and each argument of `connect` and
    /// `bind` by the ports it holds; refused when one of the paths is a broad grant and the
    /// policy does not say `broad`, or a port is 0. `binding` is this policy bound to
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
        let connect = bound_ports(&self.connect, "connect", arguments, &mut problems);
        let bind = bound_ports(&self.bind, "bind", arguments, &mut problems);
        if !problems.is_empty() {
            return Err(self.error(ErrorKind::InvalidPolicy { problems }));
        }
        let mut bound = self.clone();
        bound.grants = grants.into();
        bound.connect = connect;
        bound.bind = bind;
        bound.binding = Some(Arc::new(binding));
        Ok(bound)
    }
}

/// `ports` (of `kind`, `connect` or `bind`) with each argument replaced by the ports it holds
/// in `arguments`. Port 0 is refused, as when written: it is no port to connect to, and to
/// `bind` the kernel reads it as any port it picks, which `bind = "*"` says.
fn bound_ports(
    ports: &Ports,
    kind: &str,
    arguments: &[Argument],
    problems: &mut Vec<String>,
) -> Ports {
    let (Some(written), names) = (ports.allowed(), ports.arguments()) else {
        return ports.clone();
    };
    if names.is_empty() {
        return ports.clone();
    }
    let mut all = written.to_vec();
    for name in names {
        let held = arguments
            .iter()
            .find(|a| a.name == *name)
            .map(|a| a.ports.as_slice())
            .unwrap_or_default();
        for &port in held {
            if port == 0 {
                problems.push(format!(
                    "argument `{name}` holds port 0, which is not a port: `{kind}` grants ports 1 to 65535 (to `bind`, port 0 asks the kernel for any free port; `bind = \"*\"` allows that)"
                ));
            } else {
                all.push(port);
            }
        }
    }
    Ports::from_list(all)
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

/// A TCP port as an argument may hold it: `u16`, `NonZeroU16`, or a reference to one.
#[doc(hidden)]
pub trait Port {
    fn port(&self) -> u16;
}

impl Port for u16 {
    fn port(&self) -> u16 {
        *self
    }
}

impl Port for std::num::NonZeroU16 {
    fn port(&self) -> u16 {
        self.get()
    }
}

impl<T: Port + ?Sized> Port for &T {
    fn port(&self) -> u16 {
        (**self).port()
    }
}

/// One port: `u16`, `&u16`, `NonZeroU16`. Tried first, as [`ArgumentPath`] is for paths.
#[doc(hidden)]
pub trait ArgumentPort {
    fn __landlock_ports(&self) -> Vec<u16>;
}

impl<T: Port + ?Sized> ArgumentPort for &&&ArgumentProbe<'_, T> {
    fn __landlock_ports(&self) -> Vec<u16> {
        vec![self.0.port()]
    }
}

/// A collection of ports: `Vec<u16>`, `[u16; N]`, `Option<u16>`, a set.
#[doc(hidden)]
pub trait ArgumentPortList {
    fn __landlock_ports(&self) -> Vec<u16>;
}

impl<'a, T: ?Sized> ArgumentPortList for &&ArgumentProbe<'a, T>
where
    &'a T: IntoIterator,
    <&'a T as IntoIterator>::Item: Port,
{
    fn __landlock_ports(&self) -> Vec<u16> {
        self.0.into_iter().map(|p| p.port()).collect()
    }
}

/// A collection of ports behind a reference or a box: `&[u16]`, `&Vec<u16>`, `Box<[u16]>`.
#[doc(hidden)]
pub trait ArgumentPortListRef {
    fn __landlock_ports(&self) -> Vec<u16>;
}

impl<'a, T, U> ArgumentPortListRef for &ArgumentProbe<'a, T>
where
    T: std::ops::Deref<Target = U> + ?Sized,
    U: ?Sized + 'a,
    &'a U: IntoIterator,
    <&'a U as IntoIterator>::Item: Port,
{
    fn __landlock_ports(&self) -> Vec<u16> {
        let target: &'a U = self.0;
        target.into_iter().map(|p| p.port()).collect()
    }
}

/// Anything else: not ports. The macros pass the result to [`argument_ports`], which refuses
/// it with a message that says what an argument of `connect` or `bind` may be.
#[doc(hidden)]
pub trait ArgumentNotPorts {
    fn __landlock_ports(&self) -> NotPorts;
}

impl<T: ?Sized> ArgumentNotPorts for ArgumentProbe<'_, T> {
    fn __landlock_ports(&self) -> NotPorts {
        NotPorts
    }
}

/// What an argument that holds no ports gives; see [`ArgumentNotPorts`].
#[doc(hidden)]
pub struct NotPorts;

/// The ports found in an argument.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an argument granted in `connect` or `bind` must hold TCP ports",
    label = "not a port (`u16`, `NonZeroU16`), nor a collection of ports (`Vec`, slice, array, `Option`)"
)]
pub trait IntoArgumentPorts {
    fn into_ports(self) -> Vec<u16>;
}

#[diagnostic::do_not_recommend]
impl IntoArgumentPorts for Vec<u16> {
    fn into_ports(self) -> Vec<u16> {
        self
    }
}

/// The ports an argument holds, or a compile error naming the argument.
#[doc(hidden)]
pub fn argument_ports(found: impl IntoArgumentPorts) -> Vec<u16> {
    found.into_ports()
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

    macro_rules! ports_of {
        ($e:expr) => {{
            #[allow(unused_imports)]
            use super::{
                ArgumentNotPorts as _, ArgumentPort as _, ArgumentPortList as _,
                ArgumentPortListRef as _,
            };
            argument_ports((&&&&ArgumentProbe(&$e)).__landlock_ports())
        }};
    }

    #[test]
    fn every_shape_of_port_argument() {
        use std::num::NonZeroU16;
        assert_eq!(ports_of!(443u16), [443]);
        assert_eq!(ports_of!(&443u16), [443]);
        assert_eq!(ports_of!(NonZeroU16::new(80).unwrap()), [80]);
        assert_eq!(ports_of!(vec![80u16, 443]), [80, 443]);
        assert_eq!(ports_of!([80u16, 443]), [80, 443]);
        let slice: &[u16] = &[8080];
        assert_eq!(ports_of!(slice), [8080]);
        assert_eq!(ports_of!(Some(22u16)), [22]);
        assert_eq!(ports_of!(None::<u16>), Vec::<u16>::new());
        assert_eq!(ports_of!(BTreeSet::from([443u16, 80])), [80, 443]);
        let boxed: Box<[u16]> = vec![1u16].into();
        assert_eq!(ports_of!(boxed), [1]);
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
