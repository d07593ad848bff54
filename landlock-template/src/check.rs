//! The checks across the items of one policy, shared by the macros (which report each problem
//! under its token) and the runtime's builder (which collects them into one error).
//!
//! Each item is checked on its own where it is read (a path template by [`PathTemplate`], a
//! port, a preset name); what is checked here needs the whole policy: a path under two classes,
//! broad grants and their acknowledgement.
//!
//! ```
//! use landlock_template::check::{Draft, Grant, Problem, check};
//!
//! let draft = Draft {
//!     grants: vec![Grant::template("read", "/srv"), Grant::template("write", "/srv/")],
//!     connect_any: false,
//!     bind_any: false,
//!     broad: false,
//!     unhandled_fs: vec![],
//! };
//! let problems = check(&draft, None);
//! assert!(matches!(problems[..], [Problem::ClassConflict { first: 0, grant: 1, .. }]));
//! assert_eq!(
//!     problems[0].describe(&draft),
//!     "`/srv` is already granted under `read`: `write` includes what `read` grants, so list it under `write` alone",
//! );
//! ```

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::{
    BroadGrant, ClassConflict, PathTemplate, broad_network, broad_resolved, class_conflict,
    path_key,
};

/// A policy as the checks see it: its grants in the order written, and the items that change
/// what is broad.
///
/// ```
/// use landlock_template::check::{Draft, Grant, Problem, check};
///
/// let draft = Draft { grants: vec![Grant::template("read", "/")], ..Draft::default() };
/// assert!(matches!(check(&draft, None)[..], [Problem::Broad { grant: 0, .. }]));
/// let acknowledged = Draft { broad: true, ..draft };
/// assert_eq!(check(&acknowledged, None), []);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft<'a> {
    /// The filesystem grants, in the order written.
    pub grants: Vec<Grant<'a>>,
    /// Whether TCP connect is unrestricted (`connect = "*"`).
    pub connect_any: bool,
    /// Whether TCP bind is unrestricted (`bind = "*"`).
    pub bind_any: bool,
    /// Whether the policy acknowledges a broad grant (`broad`).
    pub broad: bool,
    /// The filesystem rights the policy leaves unhandled, by the kernel's names
    /// (`ioctl_dev`): a landlockconfig document written for an older ABI does not handle the
    /// rights that came later, and a right no ruleset handles is allowed everywhere.
    pub unhandled_fs: Vec<&'a str>,
}

/// The unhandled rights that do not make a policy broad: `ioctl_dev` (an ioctl still needs a
/// device opened through a grant) and `refer` (unhandled, the kernel denies every link or
/// rename into another directory).
const NARROW_UNHANDLED: [&str; 2] = ["ioctl_dev", "refer"];

/// One filesystem grant: its class (`read`, `write`, `exec`) and what it names.
///
/// ```
/// use landlock_template::check::{Draft, Grant, GrantPath, check};
///
/// let read = Grant { class: "read", path: GrantPath::Argument("input") };
/// let write = Grant { class: "write", ..read };
/// let draft = Draft { grants: vec![read, write], ..Draft::default() };
/// assert_eq!(check(&draft, None)[0].describe(&draft), "`input` is already granted under `read`: `write` includes what `read` grants, so list it under `write` alone");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant<'a> {
    /// `read`, `write` or `exec`.
    pub class: &'a str,
    /// What it names.
    pub path: GrantPath<'a>,
}

impl<'a> Grant<'a> {
    /// A grant of `class` on the path template `template`.
    ///
    /// ```
    /// use landlock_template::check::{Grant, GrantPath};
    ///
    /// let grant = Grant::template("write", "$TMP/out?");
    /// assert_eq!(grant, Grant { class: "write", path: GrantPath::Template("$TMP/out?") });
    /// ```
    pub fn template(class: &'a str, template: &'a str) -> Grant<'a> {
        Grant {
            class,
            path: GrantPath::Template(template),
        }
    }
}

/// What a grant names.
///
/// A literal path is checked in its one spelling, `..` resolved, with `$HOME`'s value for the
/// home directory; an argument's paths are known only at each call, so `broad` may acknowledge
/// them in advance.
///
/// ```
/// use landlock_template::check::{Draft, Grant, GrantPath, Problem, check};
///
/// let home = Grant { class: "write", path: GrantPath::Literal("/home/me") };
/// let draft = Draft { grants: vec![home], ..Draft::default() };
/// assert!(matches!(check(&draft, Some("/home/me"))[..], [Problem::Broad { .. }]));
/// let input = Grant { class: "write", path: GrantPath::Argument("input") };
/// assert_eq!(check(&Draft { grants: vec![input], broad: true, ..Draft::default() }, None), []);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantPath<'a> {
    /// A path template, as written.
    Template(&'a str),
    /// A path taken literally, absolute, as the kernel will see it (symbolic links and `..`
    /// resolved by the caller where it can). Given twice, it is one grant; under two classes,
    /// both: the checks across classes apply to templates and arguments only.
    Literal(&'a str),
    /// The paths the argument of the function with this name holds, known only at each call
    /// (the runtime checks them then).
    Argument(&'a str),
}

impl GrantPath<'_> {
    /// What two grants of one path share: a template without its optional marker, normalised
    /// ([`path_key`]), or an argument's name; `None` for a literal path (given twice, it is one
    /// grant).
    fn key(&self) -> Option<Key<'_>> {
        match *self {
            GrantPath::Template(t) => Some((false, path_key(t))),
            GrantPath::Argument(name) => Some((true, Cow::Borrowed(name))),
            GrantPath::Literal(_) => None,
        }
    }
}

/// A problem across the items of a policy.
///
/// ```
/// use landlock_template::check::{Draft, Grant, Problem, check};
///
/// let draft = Draft { grants: vec![Grant::template("write", "$TMP")], bind_any: true, ..Draft::default() };
/// assert_eq!(check(&draft, None), [Problem::BroadNetwork { kind: "bind" }]);
/// let draft = Draft { grants: vec![Grant::template("read", "/etc")], broad: true, ..Draft::default() };
/// assert_eq!(check(&draft, None), [Problem::BroadUnused]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem<'a> {
    /// Grant `grant` names the same path as the earlier grant `first`, and says nothing more.
    ClassConflict {
        /// The earlier grant.
        first: usize,
        /// The grant that repeats it.
        grant: usize,
        /// Why the two together are refused.
        conflict: ClassConflict<'a>,
    },
    /// Grant `grant` is broad, and the policy does not say `broad`.
    Broad {
        /// The broad grant.
        grant: usize,
        /// Why it is broad.
        why: BroadGrant,
    },
    /// Unrestricted TCP of this kind (`connect`, `bind`) next to a `write` grant, and the
    /// policy does not say `broad`.
    BroadNetwork {
        /// `connect` or `bind`.
        kind: &'static str,
    },
    /// The policy says `broad`, and nothing in it is broad or could become broad at run time
    /// (through a variable or an argument).
    BroadUnused,
    /// The policy leaves filesystem rights unhandled ([`Draft::unhandled_fs`]) that are then
    /// allowed on every file, as a grant on `/` would allow them, and does not say `broad`.
    BroadUnhandled,
}

impl Problem<'_> {
    /// The message, for the policy `draft` it was found in, without the advice that depends on
    /// where the policy is written (`broad` in a macro, `.broad()` in the builder).
    ///
    /// ```
    /// use landlock_template::check::{Draft, Grant, check};
    ///
    /// let draft = Draft { grants: vec![Grant::template("write", "$HOME")], ..Draft::default() };
    /// let problems = check(&draft, None);
    /// assert_eq!(problems[0].describe(&draft), "`write = \"$HOME\"` lets the code rewrite all of `$HOME`");
    /// ```
    pub fn describe(&self, draft: &Draft<'_>) -> String {
        let shown = |i: usize| match draft.grants[i].path {
            GrantPath::Template(t) | GrantPath::Literal(t) | GrantPath::Argument(t) => t,
        };
        match *self {
            Problem::ClassConflict {
                first,
                grant,
                conflict,
            } => conflict.describe(
                &path_key(shown(grant)),
                draft.grants[first].class,
                draft.grants[grant].class,
            ),
            Problem::Broad { grant, why } => why.describe(draft.grants[grant].class, shown(grant)),
            Problem::BroadNetwork { kind } => {
                format!("`{kind} = \"*\"`: {}", broad_network(kind))
            }
            Problem::BroadUnused => {
                "`broad` acknowledges a broad grant, and this policy has none".into()
            }
            Problem::BroadUnhandled => {
                let rights: Vec<&str> = draft
                    .unhandled_fs
                    .iter()
                    .copied()
                    .filter(|r| !NARROW_UNHANDLED.contains(r))
                    .collect();
                format!(
                    "the policy does not handle {}: allowed on every file, as a grant on `/` would allow {}",
                    rights.join(", "),
                    if rights.len() == 1 { "it" } else { "them" }
                )
            }
        }
    }
}

/// Every problem across the items of `draft`, in the order of the items: a template granted
/// twice in a way that says nothing more (at its second occurrence), a broad grant not
/// acknowledged, or `broad` with nothing that is or could become broad. Paths are compared in
/// their one spelling ([`normalize`](crate::normalize)): `//etc` is `/etc`. `home` is the
/// value of `$HOME` when the policy is checked in the running process (the builder), so that a
/// literal path or an absolute template that is the home directory is as broad as `$HOME`;
/// `None` when it is compiled, and the runtime checks that again when it prepares the policy.
///
/// ```
/// use landlock_template::check::{Draft, Grant, check};
///
/// let draft = Draft {
///     grants: vec![Grant::template("write", "/srv"), Grant::template("exec", "/srv?")],
///     ..Draft::default()
/// };
/// assert_eq!(check(&draft, None), [], "write and exec on one path grant both");
/// ```
pub fn check<'a>(draft: &Draft<'a>, home: Option<&str>) -> Vec<Problem<'a>> {
    let mut problems = class_conflicts(draft);
    let broad = broad_grants(draft, home);
    match (draft.broad, broad.is_empty()) {
        (false, false) => problems.extend(broad),
        (true, true) if !could_become_broad(draft) => problems.push(Problem::BroadUnused),
        _ => {}
    }
    problems
}

/// Whether a grant's path is known only at run time (a variable's value, an argument's paths),
/// and so may turn out broad then: `broad` acknowledges that in advance.
fn could_become_broad(draft: &Draft<'_>) -> bool {
    draft.grants.iter().any(|g| match g.path {
        GrantPath::Template(t) => {
            PathTemplate::parse(t).is_ok_and(|t| t.base() != crate::Base::Root)
        }
        GrantPath::Argument(_) => true,
        GrantPath::Literal(_) => false,
    })
}

/// What grants of one path share ([`GrantPath::key`]): whether it is an argument, and its name
/// or normalised template.
type Key<'a> = (bool, Cow<'a, str>);

/// Up to this many grants, [`class_conflicts`] scans the earlier grants of each, which
/// allocates nothing (a policy written by hand has a few grants, and a thread that builds one
/// pays for each allocation); past it, a map keeps the check in `n log n`.
const SCANNED: usize = 16;

/// Each template or argument granted again under a class that says nothing more, at its second
/// occurrence.
fn class_conflicts<'a>(draft: &Draft<'a>) -> Vec<Problem<'a>> {
    if draft.grants.len() <= SCANNED {
        class_conflicts_scanned(draft)
    } else {
        class_conflicts_mapped(draft)
    }
}

/// [`class_conflicts`] by a scan of the earlier grants of each: the first that conflicts.
fn class_conflicts_scanned<'a>(draft: &Draft<'a>) -> Vec<Problem<'a>> {
    let mut problems = Vec::new();
    for (grant, g) in draft.grants.iter().enumerate() {
        let Some(key) = g.path.key() else {
            continue;
        };
        let earlier = draft.grants[..grant].iter().enumerate().find_map(|(i, e)| {
            let conflict = class_conflict(e.class, g.class)?;
            (e.path.key().as_ref() == Some(&key)).then_some((i, conflict))
        });
        if let Some((first, conflict)) = earlier {
            problems.push(Problem::ClassConflict {
                first,
                grant,
                conflict,
            });
        }
    }
    problems
}

/// [`class_conflicts`] through a map: each path keeps the first grant of each class, among
/// which is the earliest that conflicts, so that a policy of many paths is checked in
/// `n log n`.
fn class_conflicts_mapped<'a>(draft: &Draft<'a>) -> Vec<Problem<'a>> {
    let mut problems = Vec::new();
    let mut firsts: BTreeMap<Key<'_>, Vec<(&str, usize)>> = BTreeMap::new();
    for (grant, g) in draft.grants.iter().enumerate() {
        let Some(key) = g.path.key() else {
            continue;
        };
        let earlier = firsts.entry(key).or_default();
        let first = earlier
            .iter()
            .filter_map(|&(class, i)| Some((i, class_conflict(class, g.class)?)))
            .min_by_key(|&(i, _)| i);
        if let Some((first, conflict)) = first {
            problems.push(Problem::ClassConflict {
                first,
                grant,
                conflict,
            });
        }
        if !earlier.iter().any(|&(class, _)| class == g.class) {
            earlier.push((g.class, grant));
        }
    }
    problems
}

/// The broad grants of `draft`, whether acknowledged or not.
fn broad_grants<'a>(draft: &Draft<'a>, home: Option<&str>) -> Vec<Problem<'a>> {
    let mut found: Vec<Problem<'a>> = draft
        .grants
        .iter()
        .enumerate()
        .filter_map(|(grant, g)| {
            let why = match g.path {
                // A variable's key (`$HOME`) never equals a home directory, which is absolute.
                GrantPath::Template(t) => broad_resolved(g.class, &path_key(t), home)?,
                GrantPath::Literal(p) => broad_resolved(g.class, p, home)?,
                GrantPath::Argument(_) => return None,
            };
            Some(Problem::Broad { grant, why })
        })
        .collect();
    if draft.grants.iter().any(|g| g.class == "write") {
        for (kind, any) in [("connect", draft.connect_any), ("bind", draft.bind_any)] {
            if any {
                found.push(Problem::BroadNetwork { kind });
            }
        }
    }
    if draft
        .unhandled_fs
        .iter()
        .any(|r| !NARROW_UNHANDLED.contains(r))
    {
        found.push(Problem::BroadUnhandled);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn draft(grants: Vec<Grant<'static>>) -> Draft<'static> {
        Draft {
            grants,
            ..Draft::default()
        }
    }

    #[test]
    fn write_and_exec_on_one_path_is_no_conflict_and_literals_never_conflict() {
        let d = draft(vec![
            Grant::template("write", "/srv"),
            Grant::template("exec", "/srv?"),
            Grant {
                class: "read",
                path: GrantPath::Literal("/srv"),
            },
        ]);
        assert_eq!(check(&d, None), []);
    }

    #[test]
    fn each_repeat_is_reported_once_at_its_second_occurrence() {
        let d = draft(vec![
            Grant::template("read", "/a"),
            Grant::template("read", "/a/"),
            Grant::template("read", "/a?"),
        ]);
        let problems = check(&d, None);
        assert_eq!(problems.len(), 2);
        assert!(matches!(
            problems[1],
            Problem::ClassConflict {
                first: 0,
                grant: 2,
                ..
            }
        ));
    }

    #[test]
    fn the_scan_and_the_map_find_the_same_conflicts() {
        let classes = ["read", "write", "exec"];
        let paths = ["/a", "/a/", "//a", "/b", "/b?", "$TMP/x", "${D}"];
        // Every mix of a few classes and spellings, small enough for either way.
        let mut found = 0;
        for seed in 0..200usize {
            let grants: Vec<Grant<'_>> = (0..12)
                .map(|i| {
                    let n = seed.wrapping_mul(31).wrapping_add(i * 7) ^ (seed >> 3);
                    Grant::template(classes[n % 3], paths[(n / 3) % paths.len()])
                })
                .chain([0, 1].map(|_| Grant {
                    class: "read",
                    path: GrantPath::Argument("dir"),
                }))
                .collect();
            let d = draft(grants);
            let scanned = class_conflicts_scanned(&d);
            assert_eq!(scanned, class_conflicts_mapped(&d), "{seed}");
            found += scanned.len();
        }
        assert!(found > 200, "{found}");
    }

    #[test]
    fn every_spelling_of_a_path_is_one_path() {
        let d = draft(vec![Grant::template("write", "//etc/")]);
        let problems = check(&d, None);
        assert_eq!(
            problems,
            [Problem::Broad {
                grant: 0,
                why: crate::BroadGrant::WritesTree("/etc")
            }]
        );
        assert_eq!(
            problems[0].describe(&d),
            "`write = \"//etc/\"` lets the code rewrite all of `/etc`"
        );
        let d = draft(vec![
            Grant::template("read", "//srv"),
            Grant::template("write", "/srv//"),
        ]);
        assert!(matches!(
            check(&d, None)[..],
            [Problem::ClassConflict {
                first: 0,
                grant: 1,
                ..
            }]
        ));
    }

    #[test]
    fn a_written_path_that_is_the_home_directory_is_as_broad_as_home() {
        let d = draft(vec![Grant::template("write", "/home/me/")]);
        assert_eq!(check(&d, None), [], "unknown when compiled");
        let problems = check(&d, Some("/home/me"));
        assert_eq!(
            problems,
            [Problem::Broad {
                grant: 0,
                why: crate::BroadGrant::Home
            }]
        );
        let acknowledged = Draft { broad: true, ..d };
        assert_eq!(check(&acknowledged, Some("/home/me")), []);
        // Root's home is broad wherever it is written.
        assert!(!check(&draft(vec![Grant::template("write", "/root")]), None).is_empty());
    }

    #[test]
    fn broad_grants_need_broad_and_broad_needs_one() {
        let mut d = draft(vec![
            Grant::template("read", "/"),
            Grant {
                class: "write",
                path: GrantPath::Literal("/home/me"),
            },
        ]);
        d.connect_any = true;
        let problems = check(&d, Some("/home/me"));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(
            problems[2].describe(&d),
            "`connect = \"*\"`: unrestricted TCP connect together with `write`: it can fetch and store, or read and send, anything"
        );
        d.broad = true;
        assert_eq!(check(&d, Some("/home/me")), []);
        let quiet = Draft {
            broad: true,
            ..draft(vec![Grant::template("read", "/etc")])
        };
        assert_eq!(check(&quiet, None), [Problem::BroadUnused]);
        // A variable's value is known at run time only: `broad` may acknowledge it ahead.
        let ahead = Draft {
            broad: true,
            ..draft(vec![Grant::template("write", "${DATA_DIR}")])
        };
        assert_eq!(check(&ahead, None), []);
    }

    #[test]
    fn unhandled_rights_are_broad_unless_they_are_ioctl_dev_or_refer() {
        let narrow = Draft {
            unhandled_fs: vec!["ioctl_dev", "refer"],
            ..draft(vec![Grant::template("read", "/etc")])
        };
        assert_eq!(check(&narrow, None), []);
        let wide = Draft {
            unhandled_fs: vec!["truncate", "ioctl_dev"],
            ..narrow.clone()
        };
        assert_eq!(check(&wide, None), [Problem::BroadUnhandled]);
        assert_eq!(
            Problem::BroadUnhandled.describe(&wide),
            "the policy does not handle truncate: allowed on every file, as a grant on `/` would allow it"
        );
        assert_eq!(
            check(
                &Draft {
                    broad: true,
                    ..wide
                },
                None
            ),
            []
        );
    }
}
