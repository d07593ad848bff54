//! What the policies in force grant, path by path: enough to say which sandbox denies an
//! access, and what would allow it, without asking the kernel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::policy::{Class, Ports, Scopes};

/// A grant as it was prepared: the path its template resolved to, and its class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ResolvedGrant {
    pub path: PathBuf,
    pub class: Class,
}

/// What one prepared policy allows: its paths (presets included) as prepared, its ports and
/// its scopes; shared by the layers that record it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Rules {
    pub fs: Vec<ResolvedGrant>,
    pub connect: Ports,
    pub bind: Ports,
    pub scopes: Scopes,
}

pub(crate) type SharedRules = Arc<Rules>;

/// Whether a class grants what `wanted` needs (`read` is in every class).
fn includes(class: Class, wanted: Class) -> bool {
    class == wanted || wanted == Class::Read
}

/// Whether `grants` allow `wanted` on `path`: a grant of a class that includes it, on the path
/// or on a directory above it. Paths are compared as the kernel sees them, symbolic links
/// resolved, as far as this process can resolve them.
pub(crate) fn covers(grants: &[ResolvedGrant], path: &Path, wanted: Class) -> bool {
    let path = canonical(path);
    grants
        .iter()
        .filter(|g| includes(g.class, wanted))
        .any(|g| path.starts_with(canonical(&g.path)))
}

fn canonical(path: &Path) -> PathBuf {
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
            ResolvedGrant {
                path: "/usr".into(),
                class: Class::Read,
            },
            ResolvedGrant {
                path: "/usr/bin".into(),
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
