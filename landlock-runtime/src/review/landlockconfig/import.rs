//! A resolved landlockconfig document as grants of the policy language: a class per path, the
//! ports, the scopes; or every reason it cannot be one.

use std::borrow::Cow;
use std::collections::BTreeMap;
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
    // What the document does not handle stays allowed, as with the format's tools (a document
    // written for ABI 4, whose `abi.all` has no `ioctl_dev`): the policy leaves it unhandled
    // too, and nothing more. Rules and classes are compared on what is handled (a right a rule
    // allows is handled, as the format reads it).
    let handled = named & config.handled_fs.0;
    let unhandled = named & !handled;
    if handled == 0 && config.handled_net == 0 && config.scoped == 0 {
        problems.push(format!(
            "the configuration handles no right (`{}`, `{}` and `scoped` are empty): it restricts nothing",
            spelling.key("handled_access_fs"),
            spelling.key("handled_access_net"),
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
            // The rules come in order: one that names a path twice is already the last.
            if entry.entries.last() != Some(&rule.entry) {
                entry.entries.push(rule.entry);
            }
        }
    }

    // Where each path is among the others: its text with `..` resolved, as the kernel resolves
    // it when no symbolic link comes first. Sorted, a directory comes before what it holds, and
    // the places above the current one are a stack: each is pushed and popped once, so the
    // work grows with the paths' total length, however deep they are.
    let mut places: Vec<(Cow<'_, Path>, &Path)> = paths
        .keys()
        .map(|path| (normal_path(path, DotDot::Resolve), path.as_path()))
        .collect();
    places.sort_unstable();
    // The places above: each with what the rules there and above it allow, and what the
    // classes chosen there and above it grant.
    let mut above: Vec<(&Path, u64, u64)> = Vec::new();
    let mut chosen: Vec<(usize, &Path, &[Class])> = Vec::with_capacity(places.len());
    let file_rights = FsRights(handled).for_file().0;
    let choices = Choices::new();
    for group in places.chunk_by(|(p, _), (q, _)| p == q) {
        let place: &Path = &group[0].0;
        while above.last().is_some_and(|(q, ..)| !place.starts_with(q)) {
            above.pop();
        }
        let (theirs, ours) = above.last().map_or((0, 0), |&(_, t, o)| (t, o));
        let (mut here_access, mut here_granted) = (0, 0);
        for (_, path) in group {
            let rule = &paths[*path];
            let file = is_file(path);
            let mask = if file { file_rights } else { handled };
            let own = rule.access & mask;
            // What this path's choice grants, for the paths beneath it: its rules' rights when
            // it is refused (one mistake, one message).
            let mut granted = rule.access;
            if own != 0 {
                match choose(
                    &choices,
                    own,
                    (rule.access | theirs) & mask,
                    ours & mask,
                    mask,
                ) {
                    Ok((classes, rights)) => {
                        granted = rights;
                        if !classes.is_empty() {
                            chosen.push((rule.first, path, classes));
                        }
                    }
                    Err(nearest) => problems.push(inexpressible(
                        spelling,
                        &rule.entries,
                        path,
                        file,
                        own,
                        theirs & mask & !rule.access,
                        nearest,
                    )),
                }
            }
            // Otherwise only directory rights on a file: the kernel would take no rule, nothing
            // to grant.
            here_access |= rule.access;
            here_granted |= granted;
        }
        above.push((place, theirs | here_access, ours | here_granted));
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

    if unhandled != 0 {
        builder = builder.leave_unhandled(FsRights(unhandled));
    }
    chosen.sort_unstable_by_key(|(first, ..)| *first);
    for (_, path, classes) in chosen {
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

/// The classes to grant on a path whose rules allow `own` and that is, as written, beneath
/// places whose rules allow `wanted` with it and whose classes grant `ours` (each masked to
/// what a rule on the path can carry): the classes that grant exactly `wanted` there without
/// granting more than `own`, or none when `ours` gives it all; else the nearest, for the
/// message, with what it would grant more and less.
///
/// Never more than `own`: a rule names an inode, and holds wherever the inode is reached
/// (through a symbolic link, a `..`, a hard link, a bind mount, after a rename), while what the
/// places above allow holds only for what is reached through them, and whether a path is
/// beneath them is a fact of the file system that can differ from its text, and change after
/// the import. Rights from above only make up for what a class of the path's own lacks, as the
/// kernel makes up for it where the path is beneath them; where it is not, the policy denies
/// more than the document, never less.
fn choose(
    choices: &Choices,
    own: u64,
    wanted: u64,
    ours: u64,
    mask: u64,
) -> Result<(&'static [Class], u64), Nearest> {
    // Too little is tolerated for `refer` alone (`abi.read_execute` has it): without it, a file
    // can only not be linked or renamed from here into another directory, which fails closed
    // (EXDEV).
    let off = |rights: u64| {
        let granted = rights & mask;
        (granted & !own, wanted & !(granted | ours) & !choices.refer)
    };
    let fitting = choices.rights.iter().filter(|(_, r)| off(*r) == (0, 0));
    // Of the classes that fit, the one the path's own rights call for when there is one, so
    // that a path reads as written (`exec` beneath `exec`, rather than nothing), else the one
    // that grants the most of them, else none when the places above give it all.
    if let Some(&choice) = fitting
        .clone()
        .find(|(_, r)| own & !r & !choices.refer == 0)
        .or_else(|| fitting.max_by_key(|(_, r)| r.count_ones()))
    {
        return Ok(choice);
    }
    if off(0) == (0, 0) {
        return Ok((&[], 0));
    }
    let &(classes, rights) = choices
        .rights
        .iter()
        .min_by_key(|(_, r)| {
            let (more, less) = off(*r);
            (more.count_ones() + less.count_ones(), more.count_ones())
        })
        .expect("four choices");
    let (more, less) = off(rights);
    Err(Nearest {
        classes,
        more,
        less,
    })
}

/// What each of [`CHOICES`] grants, and `refer`, worked out once per import.
struct Choices {
    rights: [(&'static [Class], u64); 4],
    refer: u64,
}

impl Choices {
    fn new() -> Choices {
        Choices {
            rights: CHOICES.map(|classes| (classes, rights_of(classes))),
            refer: refer().0,
        }
    }
}

/// The class nearest to what a path's rules allow, when none is exact.
struct Nearest {
    classes: &'static [Class],
    /// What it would grant that the rules do not allow.
    more: u64,
    /// What the rules allow that it would not grant.
    less: u64,
}

/// Why a path has no class: its entries, its rights, those it takes from the places above it,
/// and what the nearest class would grant or not.
fn inexpressible(
    spelling: Spelling,
    entries: &[usize],
    path: &Path,
    file: bool,
    own: u64,
    inherited: u64,
    nearest: Nearest,
) -> String {
    let mut would = Vec::new();
    if nearest.more != 0 {
        would.push(format!("also grant {}", names(nearest.more)));
    }
    if nearest.less != 0 {
        would.push(format!("not grant {}", names(nearest.less)));
    }
    let entries: Vec<String> = entries
        .iter()
        .map(|e| format!("`{}`", spelling.entry("path_beneath", *e)))
        .collect();
    let from_above = nearest.more & inherited;
    format!(
        "{} allow{} {} on {}`{}`{}: no class of the policy language grants exactly that; the nearest, {}, would {}{}",
        entries.join(" and "),
        if entries.len() == 1 { "s" } else { "" },
        names(own),
        if file { "the file " } else { "" },
        path.display(),
        if inherited != 0 {
            format!(
                " (besides {} from the directories above it)",
                names(inherited)
            )
        } else {
            String::new()
        },
        describe(nearest.classes),
        would.join(" and "),
        if from_above != 0 {
            format!(
                "; the directories above it allow {} only to what is reached through them, and a grant goes with its file wherever it is reached (through a symbolic link, `..` or a hard link)",
                names(from_above)
            )
        } else {
            String::new()
        },
    )
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
