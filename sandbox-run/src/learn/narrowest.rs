//! From denials to grants: the narrowest item that covers each denial, through a preset
//! when one covers it and grants nothing more than the denial needs, and the broad ones
//! told apart (see the module above for the rules).

use crate::denials::{PER_PROCESS, per_process};
use crate::grants::{Grants, Target};
use crate::shell::quote;
use landlock_runtime::denials::{Access, Object};
use landlock_runtime::{Class, Preset};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files denied directly in one directory beyond which `--learn-directories` grants the
/// directory instead.
pub(super) const FILES_PER_DIRECTORY: usize = 8;

/// One grant of a learned policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Item {
    Path(PathBuf, Class),
    Preset(Preset),
    Connect(u16),
    Bind(u16),
    /// `--bind '*'`: binding port 0 (an ephemeral port) needs it.
    BindAny,
    AllowSignals,
    AllowAbstractUnixSockets,
}

impl Item {
    /// The item as an option, for messages.
    pub(super) fn option(&self) -> String {
        match self {
            Item::Path(path, class) => format!("--{} {}", class.keyword(), quote(path.as_os_str())),
            Item::Preset(p) => format!("--preset {}", p.name()),
            Item::Connect(port) => format!("--connect {port}"),
            Item::Bind(port) => format!("--bind {port}"),
            Item::BindAny => "--bind '*'".into(),
            Item::AllowSignals => "--allow-signals".into(),
            Item::AllowAbstractUnixSockets => "--allow-abstract-unix-sockets".into(),
        }
    }
}

/// `base` with `items` added.
pub(super) fn grants_with(base: &Grants, items: &BTreeSet<Item>) -> Grants {
    let mut grants = base.clone();
    for item in items {
        match item {
            Item::Path(path, class) => grants.add_path(*class, Target::Literal(path.clone())),
            Item::Preset(p) => grants.add_preset(*p),
            Item::Connect(port) => {
                grants.connect.listed.insert(*port);
            }
            Item::Bind(port) => {
                grants.bind.listed.insert(*port);
            }
            Item::BindAny => grants.bind.any = true,
            Item::AllowSignals => grants.allow_signals = true,
            Item::AllowAbstractUnixSockets => grants.allow_abstract_unix_sockets = true,
        }
    }
    grants
}

/// What the denials of one run call for.
#[derive(Debug, Default)]
pub(super) struct Findings {
    /// The narrowest items that allow them.
    pub(super) items: BTreeSet<Item>,
    /// Denials no grant allows, in words.
    pub(super) impossible: BTreeSet<String>,
    /// Directories granted for the files in them (`--learn-directories`), in words.
    pub(super) widened: BTreeSet<String>,
    /// Whether the run's denials may be missing: the audit records did not catch up.
    pub(super) incomplete: bool,
}

/// Whether a grant of `class` allows what `wanted` needs.
pub(super) fn includes(class: Class, wanted: Class) -> bool {
    class == wanted || wanted == Class::Read
}

/// The narrowest items that cover `denials` (see the module's documentation).
pub(super) fn narrowest(denials: &[(&[Access], &Object)], directories: bool) -> Findings {
    let mut found = Findings::default();
    // Files directly in a directory, by class, for --learn-directories.
    let mut files: BTreeMap<(PathBuf, Class), BTreeSet<PathBuf>> = BTreeMap::new();
    for (accesses, object) in denials {
        for access in *accesses {
            match (access, *object) {
                (Access::Fs(_), Object::Path(path)) if per_process(path) => {
                    found
                        .impossible
                        .insert(format!("{access} on {object}: {PER_PROCESS}"));
                }
                (Access::Fs(_), Object::Path(path)) => {
                    let class = access.class().unwrap_or(Class::Read);
                    // As the library answers a denial (`Denial::allow`): the preset, when one
                    // covers the path here.
                    if let Some(preset) = Preset::covering(path, class) {
                        found.items.insert(Item::Preset(preset));
                        continue;
                    }
                    // read_dir, and creating or removing an entry, name a directory.
                    let is_file = matches!(
                        access,
                        Access::Fs(
                            "read_file" | "write_file" | "execute" | "truncate" | "ioctl_dev"
                        )
                    ) && !path.is_dir();
                    match path.parent() {
                        Some(parent) if is_file && directories => {
                            files
                                .entry((parent.to_path_buf(), class))
                                .or_default()
                                .insert(path.clone());
                        }
                        _ => {
                            found.items.insert(Item::Path(path.clone(), class));
                        }
                    }
                }
                (Access::ConnectTcp, Object::Port(Some(port))) => {
                    found.items.insert(Item::Connect(*port));
                }
                (Access::BindTcp, Object::Port(Some(port))) => {
                    found.items.insert(Item::Bind(*port));
                }
                (Access::BindTcp, Object::Port(None)) => {
                    found.items.insert(Item::BindAny);
                }
                (Access::Signal, _) => {
                    found.items.insert(Item::AllowSignals);
                }
                (Access::AbstractUnixSocket, _) => {
                    found.items.insert(Item::AllowAbstractUnixSockets);
                }
                _ => {
                    found.impossible.insert(format!("{access} on {object}"));
                }
            }
        }
    }
    for ((directory, class), paths) in files {
        if paths.len() > FILES_PER_DIRECTORY && too_wide(&directory).is_none() {
            found.widened.insert(format!(
                "--{} {} instead of the {} files denied in it (--learn-directories)",
                class.keyword(),
                quote(directory.as_os_str()),
                paths.len()
            ));
            found.items.insert(Item::Path(directory, class));
        } else {
            found
                .items
                .extend(paths.into_iter().map(|p| Item::Path(p, class)));
        }
    }
    // `read` on a path also granted wider is within the wider grant (as one denial's rights
    // on one path make one grant): one item, so that a refused grant is reported once.
    let wider: Vec<PathBuf> = found
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Path(path, class) if *class != Class::Read => Some(path.clone()),
            _ => None,
        })
        .collect();
    found
        .items
        .retain(|item| !matches!(item, Item::Path(path, Class::Read) if wider.contains(path)));
    found
}

/// Why a grant on the directory `path` is too wide to be learned without `--broad`: the whole
/// filesystem, the home directory or a directory above it, or a top-level directory (but
/// `/tmp`).
pub(super) fn too_wide(path: &Path) -> Option<&'static str> {
    if !path.is_dir() {
        return None;
    }
    if path == Path::new("/") {
        return Some("the whole filesystem");
    }
    if let Some(home) = std::env::var_os("HOME")
        && Path::new(&home).starts_with(path)
    {
        return Some("the home directory, or a directory that holds it");
    }
    let top_level = path.parent() == Some(Path::new("/"));
    (top_level && path != Path::new("/tmp")).then_some("a top-level directory")
}

/// Drops items another item, or a path the options grant, covers: a path beneath a directory
/// granted with a class that includes its own, and `read` on a path also granted wider.
pub(super) fn tidy(items: &BTreeSet<Item>, base: &Grants) -> BTreeSet<Item> {
    let granted = base.paths.iter().filter_map(|(c, t)| match t {
        Target::Literal(p) => Some((p, *c)),
        Target::Template(_) => None,
    });
    let paths: Vec<(&PathBuf, Class)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Path(p, c) => Some((p, *c)),
            _ => None,
        })
        .chain(granted)
        .collect();
    items
        .iter()
        .filter(|item| {
            let Item::Path(path, class) = item else {
                return true;
            };
            !paths.iter().any(|(other, c)| {
                (*other != path && path.starts_with(other) && includes(*c, *class))
                    || (*other == path && *class == Class::Read && *c != Class::Read)
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_files(dir: &str, count: usize) -> Vec<Object> {
        (0..count)
            .map(|i| Object::Path(format!("{dir}/{i}").into()))
            .collect()
    }

    #[test]
    fn files_stay_files_unless_directories_are_asked_for() {
        let read = [Access::Fs("read_file")];
        let objects = read_files("/srv/a", FILES_PER_DIRECTORY + 1);
        let denied: Vec<(&[Access], &Object)> =
            objects.iter().map(|o| (read.as_slice(), o)).collect();
        assert_eq!(
            narrowest(&denied, false).items.len(),
            FILES_PER_DIRECTORY + 1
        );
        assert_eq!(narrowest(&denied[..3], true).items.len(), 3);
        let found = narrowest(&denied, true);
        assert_eq!(
            found.items.into_iter().collect::<Vec<_>>(),
            [Item::Path("/srv/a".into(), Class::Read)]
        );
        assert_eq!(found.widened.len(), 1);
        // Never a top-level directory.
        let objects = read_files("/usr", FILES_PER_DIRECTORY + 1);
        let denied: Vec<(&[Access], &Object)> =
            objects.iter().map(|o| (read.as_slice(), o)).collect();
        assert_eq!(
            narrowest(&denied, true).items.len(),
            FILES_PER_DIRECTORY + 1
        );
    }

    #[test]
    fn one_denial_on_one_path_is_one_item() {
        // The source of a denied link: read and write rights on one directory.
        let accesses = [Access::Fs("read_file"), Access::Fs("make_reg")];
        let etc = Object::Path("/etc".into());
        let found = narrowest(&[(&accesses, &etc)], false);
        assert_eq!(
            found.items.into_iter().collect::<Vec<_>>(),
            [Item::Path("/etc".into(), Class::Write)]
        );
    }

    #[test]
    fn covered_items_go() {
        let items = BTreeSet::from([
            Item::Path("/srv".into(), Class::Write),
            Item::Path("/srv/a/b".into(), Class::Read),
            Item::Path("/x".into(), Class::Read),
            Item::Path("/x".into(), Class::Exec),
        ]);
        assert_eq!(
            tidy(&items, &Grants::default())
                .into_iter()
                .collect::<Vec<_>>(),
            [
                Item::Path("/srv".into(), Class::Write),
                Item::Path("/x".into(), Class::Exec),
            ]
        );
    }

    #[test]
    fn files_of_one_process_and_port_0_are_told_apart() {
        let read = [Access::Fs("read_file")];
        let mounts = Object::Path("/proc/4321/mounts".into());
        let bind = [Access::BindTcp];
        let any = Object::Port(None);
        let found = narrowest(&[(&read, &mounts), (&bind, &any)], false);
        assert_eq!(found.items.into_iter().collect::<Vec<_>>(), [Item::BindAny]);
        assert!(
            found
                .impossible
                .iter()
                .next()
                .unwrap()
                .contains("cannot be granted ahead"),
            "{:?}",
            found.impossible
        );
    }

    #[test]
    fn wide_paths_are_told() {
        assert!(too_wide(Path::new("/")).is_some());
        assert!(too_wide(Path::new("/usr")).is_some());
        assert!(too_wide(Path::new("/tmp")).is_none());
        assert!(too_wide(Path::new("/usr/share/doc")).is_none());
    }
}
