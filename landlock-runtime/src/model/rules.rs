//! What a prepared policy grants, path by path and port by port: enough to say which sandbox
//! denies an access, and what would allow it, without asking the kernel.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Class, Ports, Scopes};

/// A grant as it was prepared on this machine: the path its template resolved to (or a
/// preset's path that exists), and its class; [`Policy::granted`](crate::Policy::granted)
/// lists them.
///
/// ```
/// use landlock_runtime::{policy, Class};
///
/// let p = policy!(read = "/etc");
/// p.prepare().unwrap();
/// let granted = &p.granted().unwrap()[0];
/// assert_eq!((granted.class(), granted.path()), (Class::Read, "/etc".as_ref()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GrantedPath {
    /// Borrowed from a `'static` template when it names no variable: keeping it costs nothing.
    path: Cow<'static, Path>,
    class: Class,
}

impl GrantedPath {
    /// A grant of `class` beneath `path`, as prepared.
    pub(crate) fn new(path: Cow<'static, Path>, class: Class) -> GrantedPath {
        GrantedPath { path, class }
    }

    /// The path, absolute, as the policy named it (symbolic links not resolved).
    ///
    /// ```
    /// let p = landlock_runtime::policy!(write = "$TMP");
    /// p.prepare().unwrap();
    /// assert_eq!(p.granted().unwrap()[0].path(), std::env::temp_dir());
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The class granted.
    ///
    /// ```
    /// use landlock_runtime::{policy, Class};
    ///
    /// let p = policy!(exec = "/usr/bin");
    /// p.prepare().unwrap();
    /// assert_eq!(p.granted().unwrap()[0].class(), Class::Exec);
    /// ```
    pub fn class(&self) -> Class {
        self.class
    }
}

/// What one prepared policy allows: its paths (presets included) as prepared, its ports and
/// its scopes; shared by the layers that record it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Rules {
    pub(crate) fs: Vec<GrantedPath>,
    pub(crate) connect: Ports,
    pub(crate) bind: Ports,
    pub(crate) scopes: Scopes,
}

pub(crate) type SharedRules = Arc<Rules>;

impl Rules {
    /// Whether these rules allow everything `other` allows: a layer of them adds nothing to
    /// `other`'s, and a thread under both gets exactly `other`.
    pub(crate) fn allow_all_of(&self, other: &Rules) -> bool {
        other.fs.iter().all(|g| covers(&self.fs, &g.path, g.class))
            && self.connect.allows_all_of(&other.connect)
            && self.bind.allows_all_of(&other.bind)
            && (other.scopes.signals || !self.scopes.signals)
            && (other.scopes.abstract_unix_sockets || !self.scopes.abstract_unix_sockets)
    }
}

/// Whether a class grants what `wanted` needs (`read` is in every class).
pub(crate) fn includes(class: Class, wanted: Class) -> bool {
    class == wanted || wanted == Class::Read
}

/// Whether `grants` allow `wanted` on `path`: a grant of a class that includes it, on the path
/// or on a directory above it. Paths are compared as the kernel sees them, symbolic links
/// resolved, as far as this process can resolve them.
pub(crate) fn covers(grants: &[GrantedPath], path: &Path, wanted: Class) -> bool {
    let path = canonical(path);
    grants
        .iter()
        .filter(|g| includes(g.class, wanted))
        .any(|g| path.starts_with(canonical(&g.path)))
}

/// `path` as the kernel names it: symbolic links resolved, when they can be.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The path `program` is run from, found as `Command` finds it: as it is when it has a `/`,
/// otherwise in the directories of `PATH`.
pub(crate) fn program_path(program: &std::ffi::OsStr) -> Option<PathBuf> {
    let program = Path::new(program);
    if program.components().count() > 1 {
        return std::path::absolute(program).ok();
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_covers_what_is_beneath_it_in_its_class() {
        let grants = [
            GrantedPath {
                path: Cow::Borrowed(Path::new("/usr")),
                class: Class::Read,
            },
            GrantedPath {
                path: Cow::Borrowed(Path::new("/usr/bin")),
                class: Class::Exec,
            },
        ];
        assert!(covers(&grants, Path::new("/usr/bin/env"), Class::Exec));
        assert!(covers(&grants, Path::new("/usr/share"), Class::Read));
        assert!(!covers(&grants, Path::new("/usr/share"), Class::Exec));
        assert!(!covers(&grants, Path::new("/usr/bin/env"), Class::Write));
        assert!(!covers(&grants, Path::new("/etc/hosts"), Class::Read));
        // A sibling whose name starts the same is not beneath it.
        assert!(!covers(&grants, Path::new("/usrx"), Class::Read));
    }
}
