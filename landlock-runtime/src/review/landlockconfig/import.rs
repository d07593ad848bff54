//! A resolved landlockconfig document as grants of the policy language: a class per path, the
//! ports, the scopes; or every reason it cannot be one.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use landlock_template::{DotDot, PathTemplate};

use super::format::{
    ABSTRACT_UNIX_SOCKET, BIND, CONNECT, Config, SIGNAL, Spelling, class_rights, named_fs, refer,
};
use crate::model::Class;
use crate::model::rights::FsRights;
use crate::policy::{PolicyBuilder, normal_path};

/// What the policy language can grant on one path, narrowest first: one class, or `write` and
/// `exec` together.
const CHOICES: [&[Class]; 4] = [
    &[Class::Read],
    &[Class::Exec],
    &[Class::Write],
    &[Class::Write, Class::Exec],
];

fn rights_of(classes: &[Class]) -> u64 {
    classes.iter().fold(0, |acc, c| acc | class_rights(*c).0)
}

fn describe(classes: &[Class]) -> String {
    let words: Vec<&str> = classes.iter().map(|c| c.keyword()).collect();
    format!("`{}`", words.join("` with `"))
}

fn names(rights: u64) -> String {
    FsRights(rights).names().collect::<Vec<_>>().join(", ")
}

/// The rules of one path: the union of every entry that names it, as the format merges them.
struct PathRule {
    access: u64,
    /// The entries that name it, for messages.
    entries: Vec<usize>,
    /// The rank of its first mention, for the order of the grants.
    first: usize,
}

/// A parent as the format uses it: relative to the current directory, in the one spelling
/// every path of a policy has (`.` components and repeated or trailing slashes dropped, `..`
/// kept, as the format keeps it).
fn absolute(parent: &str) -> Result<PathBuf, String> {
    if parent.is_empty() {
        return Err("an empty path".into());
    }
    let path = std::path::absolute(parent).map_err(|e| e.to_string())?;
    Ok(normal_path(&path, DotDot::Keep).into_owned())
}

/// Whether `path` is something other than a directory now: a rule on it carries only the
/// rights that apply to a file, in the kernel as in the policy language.
fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_dir())
}

/// Adds what `config` allows to `builder`, or says every way the policy language cannot say
/// it. With `ignore_missing`, each path is optional (a template ending with `?`, or, for a path
/// no template can write, left out when missing now).
pub(super) fn grants(
    config: &Config,
    spelling: Spelling,
    ignore_missing: bool,
    mut builder: PolicyBuilder,
) -> Result<PolicyBuilder, Vec<String>> {
    let named = named_fs().0;
    let mut problems = Vec::new();
    let unhandled = named & !config.handled_fs.0;
    if unhandled != 0 {
        problems.push(format!(
            "the configuration does not handle {}: a tool that enforces it leaves {} allowed everywhere, and a policy denies every right no grant allows; add {} to `{}` (\"abi.all\" with `abi` 5 or more names every right)",
            names(unhandled),
            if unhandled.count_ones() == 1 { "it" } else { "them" },
            if unhandled.count_ones() == 1 { "it" } else { "them" },
            spelling.key("handled_access_fs"),
        ));
    }

    let mut paths: BTreeMap<PathBuf, PathRule> = BTreeMap::new();
    for rule in &config.rules {
        let at = spelling.entry("path_beneath", rule.entry);
        for parent in &rule.paths {
            let path = match absolute(parent) {
                Ok(path) => path,
                Err(why) => {
                    problems.push(format!("`{at}` names `{parent}`: {why}"));
                    continue;
                }
            };
            let first = paths.len();
            let entry = paths.entry(path).or_insert(PathRule {
                access: 0,
                entries: Vec::new(),
                first,
            });
            entry.access |= rule.access.0;
            if !entry.entries.contains(&rule.entry) {
                entry.entries.push(rule.entry);
            }
        }
    }

    // A path gets what its own rules allow and what the rules of the directories above it
    // allow, in the format as in the policy language: each path's class must give it exactly
    // what the configuration gives it. The map's order puts a directory before what it holds.
    let file_rights = FsRights(named).for_file().0;
    let mut chosen: BTreeMap<&Path, &[Class]> = BTreeMap::new();
    for (path, rule) in &paths {
        let above = paths
            .range::<Path, _>((Bound::Unbounded, Bound::Excluded(path.as_path())))
            .filter(|(q, _)| path.starts_with(q));
        let (mut theirs, mut ours) = (0, 0);
        for (q, r) in above {
            theirs |= r.access;
            ours |= chosen.get(q.as_path()).map_or(r.access, |c| rights_of(c));
        }
        let file = is_file(path);
        let mask = if file { file_rights } else { named };
        if rule.access & mask == 0 {
            // Only directory rights on a file: the kernel would take no rule, nothing to grant.
            continue;
        }
        let wanted = (rule.access | theirs) & mask;
        // What the class would grant too much, and too little. Too little is tolerated for
        // `refer` alone (`abi.read_execute` has it): without it, a file can only not be linked
        // or renamed from here into another directory, which fails closed (EXDEV).
        let off = |classes: &[Class]| {
            let granted = (rights_of(classes) | ours) & mask;
            (granted & !wanted, wanted & !granted & !refer().0)
        };
        // Of the classes that fit, the one its own rights call for when there is one, so that
        // a path reads as written (`exec` beneath `exec`, rather than a `read` that inherits).
        let own = |classes: &[Class]| {
            let granted = rights_of(classes) & mask;
            let own = rule.access & mask;
            granted & !own == 0 && own & !granted & !refer().0 == 0
        };
        let mut fitting = CHOICES.iter().filter(|c| off(c) == (0, 0));
        match fitting.clone().find(|c| own(c)).or_else(|| fitting.next()) {
            Some(classes) => {
                chosen.insert(path, classes);
            }
            None => {
                let nearest = CHOICES
                    .iter()
                    .min_by_key(|c| {
                        let (more, less) = off(c);
                        (more.count_ones() + less.count_ones(), more.count_ones())
                    })
                    .expect("four choices");
                let (more, less) = off(nearest);
                let mut would = Vec::new();
                if more != 0 {
                    would.push(format!("also grant {}", names(more)));
                }
                if less != 0 {
                    would.push(format!("not grant {}", names(less)));
                }
                let entries: Vec<String> = rule
                    .entries
                    .iter()
                    .map(|e| format!("`{}`", spelling.entry("path_beneath", *e)))
                    .collect();
                let inherited = theirs & mask & !rule.access;
                problems.push(format!(
                    "{} allow{} {} on {}`{}`{}: no class of the policy language grants exactly that; the nearest, {}, would {}",
                    entries.join(" and "),
                    if entries.len() == 1 { "s" } else { "" },
                    names(rule.access & mask),
                    if file { "the file " } else { "" },
                    path.display(),
                    if inherited != 0 {
                        format!(" (besides {} from the directories above it)", names(inherited))
                    } else {
                        String::new()
                    },
                    describe(nearest),
                    would.join(" and "),
                ));
            }
        }
    }

    let mut ports: [Vec<u16>; 2] = [Vec::new(), Vec::new()];
    for rule in &config.ports {
        let at = spelling.entry("net_port", rule.entry);
        for &port in &rule.ports {
            match u16::try_from(port) {
                Ok(0) => problems.push(format!(
                    "`{at}` allows port 0 (for bind_tcp, any port the kernel picks): the policy language grants ports 1 to 65535"
                )),
                Ok(port) => {
                    for (list, bit) in ports.iter_mut().zip([BIND, CONNECT]) {
                        if rule.access & bit != 0 {
                            list.push(port);
                        }
                    }
                }
                Err(_) => problems.push(format!(
                    "`{at}` allows port {port}, which is not a TCP port (0 to 65535)"
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut ordered: Vec<(&Path, &[Class])> = chosen.into_iter().collect();
    ordered.sort_by_key(|(path, _)| paths[*path].first);
    for (path, classes) in ordered {
        for &class in classes {
            builder = grant(builder, path, class, ignore_missing);
        }
    }
    let [bind, connect] = ports;
    if config.handled_net & BIND == 0 {
        builder = builder.bind_any();
    }
    if config.handled_net & CONNECT == 0 {
        builder = builder.connect_any();
    }
    builder = bind.into_iter().fold(builder, PolicyBuilder::bind);
    builder = connect.into_iter().fold(builder, PolicyBuilder::connect);
    if config.scoped & SIGNAL == 0 {
        builder = builder.allow_signals();
    }
    if config.scoped & ABSTRACT_UNIX_SOCKET == 0 {
        builder = builder.allow_abstract_unix_sockets();
    }
    Ok(builder)
}

/// Grants `class` on `path`: as a template of the policy language when one writes it (so the
/// policy reads as if written by hand, optional with a `?`), else as a literal path.
fn grant(builder: PolicyBuilder, path: &Path, class: Class, ignore_missing: bool) -> PolicyBuilder {
    let template = path
        .to_str()
        .filter(|p| !p.ends_with('?') && PathTemplate::parse(p).is_ok());
    match template {
        Some(template) => {
            let template = if ignore_missing {
                format!("{template}?")
            } else {
                template.to_owned()
            };
            match class {
                Class::Read => builder.read(template),
                Class::Write => builder.write(template),
                Class::Exec => builder.exec(template),
            }
        }
        None if ignore_missing && !path.exists() => builder,
        None => match class {
            Class::Read => builder.read_path(path),
            Class::Write => builder.write_path(path),
            Class::Exec => builder.exec_path(path),
        },
    }
}
