//! Preparation, the layer above the policy: resolving a policy's templates on this machine,
//! opening its paths, and building its Landlock ruleset, once per policy and process. Nothing
//! here restricts a thread; the enforcement layer does, with what this layer prepared.

#[cfg(target_os = "linux")]
mod open_grant;
pub(crate) mod resolve;
mod ruleset;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use landlock_template::{BroadGrant, DotDot};
use once_cell::race::OnceBox;

use crate::kernel::{self, report};
use crate::model::rules::{GrantedPath, Rules, SharedRules};
use crate::model::{Class, FsGrant, GrantPath};
use crate::outcome::{Dropped, Error, ErrorKind, Level, SkipReason, Skipped, Status};
use crate::policy::{Outcomes, Policy, Preparation, next_id};
use resolve::{Resolved, Variable, resolve};
use ruleset::FileId;

impl Policy {
    /// Resolves the policy's paths and prepares its ruleset, once per process; later calls
    /// return the same status. Does not restrict anything.
    ///
    /// Fails when a mandatory path is missing, a variable is unset, or the policy is `strict`
    /// and the kernel cannot enforce all of it. A failure is not remembered: the next call
    /// tries again.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("t").read("/usr").build().unwrap();
    /// let status = policy.prepare().unwrap();
    /// println!("{status}");
    /// ```
    pub fn prepare(&self) -> Result<&Status, Error> {
        Ok(&self.preparation()?.status)
    }

    /// The policy's preparation: made now if it was not yet.
    pub(crate) fn preparation(&self) -> Result<&Preparation, Error> {
        if let Some(prepared) = self.prepared.get() {
            return Ok(prepared);
        }
        #[cfg(target_os = "linux")]
        crate::audit::start_if_asked();
        let prepared = prepare(self).map_err(|k| self.error(k))?;
        let level = prepared.status.level;
        // Two threads may prepare at once: the first kept says it, once.
        if self.prepared.set(Box::new(prepared)).is_ok() && level != Level::Full {
            let status = &self.prepared.get().expect("just set").status;
            report::line(format_args!("sandbox {} is {status}", self.origin));
        }
        Ok(self.prepared.get().expect("set by this thread or another"))
    }

    /// What the prepared policy allows.
    pub(crate) fn rules(&self) -> Option<SharedRules> {
        self.prepared.get().map(|p| p.rules.clone())
    }

    /// What the prepared policy grants on this machine, grant by grant: templates resolved
    /// (variables read, the presets' paths that exist), in the order of the policy. `None`
    /// until the policy is prepared.
    ///
    /// ```
    /// use landlock_runtime::{Class, Policy};
    ///
    /// let policy = Policy::builder("t").read("$TMP").read("/no/such/path?").build().unwrap();
    /// policy.prepare().unwrap();
    /// let granted = policy.granted().unwrap();
    /// assert_eq!(granted.len(), 1);
    /// assert_eq!(granted[0].class(), Class::Read);
    /// assert_eq!(granted[0].path(), std::env::temp_dir());
    /// ```
    pub fn granted(&self) -> Option<&[GrantedPath]> {
        Some(&self.prepared.get()?.rules.fs)
    }

    /// What the kernel enforces of this policy, once it has been prepared.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("t").read("/etc").build().unwrap();
    /// assert_eq!(policy.status(), None);
    /// let prepared = policy.prepare().unwrap().clone();
    /// assert_eq!(policy.status(), Some(&prepared));
    /// ```
    pub fn status(&self) -> Option<&Status> {
        self.prepared.get().map(|p| &p.status)
    }
}

/// Why a grant of `grant`'s class on `path` is broad, in a policy without `broad`; `None`
/// when it is not, or the policy acknowledges it. `$HOME` is read only for a `write` grant,
/// the only class it can make broad. The path is checked in its one spelling, `..` resolved
/// (`landlock_template::broad_resolved`).
fn broad_reason(policy: &Policy, grant: &FsGrant, path: &Path) -> Option<(BroadGrant, String)> {
    if policy.broad {
        return None;
    }
    let path = path.to_string_lossy();
    let home = match grant.class() {
        crate::model::Class::Write => crate::policy::home(),
        _ => None,
    };
    let class = grant.class().keyword();
    landlock_template::broad_resolved(class, &path, home.as_deref())
        .map(|why| (why, why.describe(class, &path)))
}

/// Refuses a grant on a path written in the policy (a template without a variable, a literal
/// path) that is broad in this process, in a policy without `broad`: the home directory, which
/// a `#[sandbox]` path cannot be known to be when it is compiled. The builder checks the same
/// when it builds; this catches the macros' policies, and a `HOME` changed since.
fn check_written(policy: &Policy, grant: &FsGrant, path: &Path) -> Result<(), ErrorKind> {
    let Some((why, what)) = broad_reason(policy, grant, path) else {
        return Ok(());
    };
    let fix = match why {
        // `broad` beside a path that is broad only in some processes would be refused when
        // compiled: the home is named `$HOME`, where review sees it for what it is.
        BroadGrant::Home => {
            "narrow it, or write `$HOME` and acknowledge a broad grant with `broad`"
        }
        _ => "narrow it, or acknowledge a broad grant with `broad`",
    };
    Err(ErrorKind::InvalidPolicy {
        problems: vec![format!("{what}; {fix}")],
    })
}

/// Refuses a grant that a variable made broad, in a policy without `broad`: the rule a written
/// path obeys at compile time, applied to what the variable resolved to.
fn check_broad(
    policy: &Policy,
    grant: &FsGrant,
    path: &Path,
    variable: Variable,
) -> Result<(), ErrorKind> {
    let Some((_, why)) = broad_reason(policy, grant, path) else {
        return Ok(());
    };
    Err(ErrorKind::InvalidVariable {
        problem: format!("{why}; narrow it, or acknowledge a broad grant with `broad`"),
        variable: variable.name,
        value: variable.value,
        template: grant.to_string(),
    })
}

/// Refuses a grant whose path leads, through a symbolic link, to a broad place (`/`, or for
/// `write` a home or system tree), in a policy without `broad`: the rule lands on what the link
/// names, and review saw only the link.
fn check_followed(policy: &Policy, grant: &FsGrant, followed: &Path) -> Result<(), ErrorKind> {
    let Some((why, what)) = broad_reason(policy, grant, followed) else {
        return Ok(());
    };
    let target = followed.display();
    Err(ErrorKind::InvalidPolicy {
        problems: vec![format!(
            "`{grant}` leads to `{target}` through a symbolic link, and {what}: point the link elsewhere, or {}",
            name_it(why, followed)
        )],
    })
}

/// How to grant the broad place `place` where review sees it: by its own name (`$HOME` for the
/// home directory), acknowledged.
fn name_it(why: BroadGrant, place: &Path) -> String {
    match why {
        BroadGrant::Home => {
            "write `$HOME`, where review sees it, and acknowledge it with `broad`".to_owned()
        }
        _ => format!(
            "grant `{}` itself, where review sees it, and acknowledge it with `broad`",
            place.display()
        ),
    }
}

/// The places a grant of `class` must not reach unacknowledged, by the file each is
/// ([`FileId`]): `/` for every class; for `write`, the system and home trees of
/// `landlock_template::BROAD_WRITE` too, and the home directory (`HOME`'s value, through any
/// link it is), each with its path. A place that does not exist is left out.
///
/// `/` and the trees are read once per process, `/` for the first grant identified and the
/// trees for the first `write` grant (without a lock, so that a `fork` meanwhile leaves none
/// held): they are the machine's, and a policy that writes nothing never reads the trees. A
/// preparation after the first pays only for the home directory of a `write` grant, whose
/// value the environment may change (nothing when it is one of the trees, as root's `/root`
/// is).
fn broad_places(class: Class) -> BroadPlaces {
    static ROOT: OnceBox<Option<(FileId, PathBuf)>> = OnceBox::new();
    static TREES: OnceBox<Vec<(FileId, PathBuf)>> = OnceBox::new();
    let identify = |place: PathBuf| Some((FileId::of(&std::fs::metadata(&place).ok()?), place));
    let root = ROOT.get_or_init(|| Box::new(identify(PathBuf::from("/"))));
    if class != Class::Write {
        return BroadPlaces {
            root: root.as_ref(),
            trees: &[],
            home: None,
        };
    }
    let trees = TREES.get_or_init(|| {
        Box::new(
            landlock_template::BROAD_WRITE
                .iter()
                .filter(|tree| tree.starts_with('/'))
                .map(PathBuf::from)
                .filter_map(identify)
                .collect(),
        )
    });
    // A home spelt as one of the trees (`/root`) is that tree's file: not read again. (`..`
    // is kept: after a symbolic link, the kernel resolves it elsewhere than the text says.)
    let is_tree = |home: &str| {
        let spelt = landlock_template::normalize(home, DotDot::Keep);
        spelt == "/" || trees.iter().any(|(_, tree)| tree.as_os_str() == &*spelt)
    };
    let home = crate::policy::home()
        .filter(|home| home.starts_with('/') && !is_tree(home))
        .map(PathBuf::from)
        .and_then(identify);
    BroadPlaces {
        root: root.as_ref(),
        trees,
        home,
    }
}

/// What [`broad_places`] found for one class: `/`, the process's trees, borrowed, and the home
/// directory.
struct BroadPlaces {
    root: Option<&'static (FileId, PathBuf)>,
    trees: &'static [(FileId, PathBuf)],
    home: Option<(FileId, PathBuf)>,
}

impl BroadPlaces {
    fn iter(&self) -> impl Iterator<Item = &(FileId, PathBuf)> {
        self.root
            .into_iter()
            .chain(self.trees)
            .chain(self.home.as_ref())
    }
}

/// Refuses a grant whose rule lands on the file of a broad place (`places`) under another name
/// than the place's own, which the checks on its text did not see (a bind mount, a home that is
/// a link), in a policy without `broad`: the place's rule applies to it.
fn check_file(
    policy: &Policy,
    grant: &FsGrant,
    path: &Path,
    file: FileId,
    places: &BroadPlaces,
) -> Result<(), ErrorKind> {
    for (_, place) in places.iter().filter(|(id, _)| *id == file) {
        if let Some((why, what)) = broad_reason(policy, grant, place) {
            return Err(ErrorKind::InvalidPolicy {
                problems: vec![format!(
                    "`{}` is `{}` by another name (a bind mount, or a link on the way to it), and {what}: {}",
                    path.display(),
                    place.display(),
                    name_it(why, place)
                )],
            });
        }
    }
    Ok(())
}

/// The path of a grant as prepared, to keep: borrowed from the grant's template when that is a
/// `'static` absolute path (every path of a `#[sandbox]` policy or a preset that names no
/// variable), so that keeping it allocates nothing; owned otherwise. A path resolution
/// borrowed is the start of its template (its spelling kept, or trailing slashes dropped).
fn recorded(grant: &FsGrant, path: Cow<'_, Path>) -> Cow<'static, Path> {
    match (grant.path(), &path) {
        (GrantPath::Template(Cow::Borrowed(template)), Cow::Borrowed(resolved)) => {
            let len = resolved.as_os_str().len();
            Cow::Borrowed(Path::new(&template[..len]))
        }
        _ => Cow::Owned(path.into_owned()),
    }
}

/// The path a grant names, resolved; `None` when it is skipped (an optional template whose
/// variable is unset). A preset's paths are reviewed with the preset, and not held to the
/// home rule (`HOME=/dev/null` does not make the `devices` preset broad).
fn grant_path<'a>(
    policy: &Policy,
    grant: &'a FsGrant,
    preset: bool,
) -> Result<Option<Cow<'a, Path>>, ErrorKind> {
    match grant.path() {
        GrantPath::Template(template) => match resolve(template, policy.cwd.as_deref())? {
            Resolved::Path(path, None) => {
                if !preset {
                    check_written(policy, grant, &path)?;
                }
                Ok(Some(path))
            }
            Resolved::Path(path, Some(variable)) => {
                check_broad(policy, grant, &path, variable)?;
                Ok(Some(path))
            }
            Resolved::SkippedUnset => Ok(None),
        },
        GrantPath::Literal(path) => {
            check_written(policy, grant, path)?;
            Ok(Some(Cow::Borrowed(path.as_path())))
        }
        GrantPath::Argument(name) => Err(ErrorKind::InvalidPolicy {
            problems: vec![format!(
                "the policy grants the paths of the argument `{name}`, which are known only when the function is called: it is enforced by calling the function, not on its own"
            )],
        }),
    }
}

fn prepare(policy: &Policy) -> Result<Preparation, ErrorKind> {
    let arguments = [&policy.connect, &policy.bind].map(|p| p.arguments().first());
    if let Some(name) = arguments.into_iter().flatten().next() {
        return Err(ErrorKind::InvalidPolicy {
            problems: vec![format!(
                "the policy grants the ports of the argument `{name}`, which are known only when the function is called: it is enforced by calling the function, not on its own"
            )],
        });
    }
    let abi = kernel::abi();
    let mut builder = ruleset::RulesetBuilder::new(policy, abi)?;
    let mut skipped = Vec::new();
    let presets_len: usize = policy.presets.iter().map(|p| p.grants().len()).sum();
    let mut resolved = Vec::with_capacity(policy.grants.len() + presets_len);
    let presets = policy
        .presets
        .iter()
        .flat_map(|p| p.grants().iter().map(|g| (g, Some(*p))));
    let written = policy.grants.iter().map(|g| (g, None));
    // Read once, when a grant of a class is first held to them: those of `write` (`/` and the
    // trees), those of the other classes (`/`).
    let mut write_places = None;
    let mut other_places = None;
    // How many of `resolved` come from the written grants, which come first.
    let mut written_resolved = 0;
    for (grant, from_preset) in written.chain(presets) {
        let preset = from_preset.is_some();
        let skip = |reason| Skipped {
            grant: grant.to_string(),
            reason,
            preset: from_preset,
        };
        let Some(path) = grant_path(policy, grant, preset)? else {
            skipped.push(skip(SkipReason::VariableUnset));
            continue;
        };
        // A preset's path that a written grant of the same class granted already, spelt the
        // same (`--read /lib` and the loader preset's `/lib`): its rule and its checks are the
        // written one's again, and opening it again through its links costs a dozen system
        // calls. Recorded all the same.
        if preset
            && resolved[..written_resolved].iter().any(|g: &GrantedPath| {
                g.class() == grant.class() && g.path().as_os_str() == path.as_os_str()
            })
        {
            resolved.push(GrantedPath::new(recorded(grant, path), grant.class()));
            continue;
        }
        // A preset's paths are reviewed with the preset.
        let identify = !policy.broad && !preset;
        match builder.add_path(&path, grant.class(), identify, grant.is_optional()) {
            Ok(added) => {
                if let Some(followed) = &added.followed {
                    check_followed(policy, grant, followed)?;
                }
                if let Some(file) = added.file {
                    let class = grant.class();
                    let places = match class {
                        Class::Write => &mut write_places,
                        Class::Read | Class::Exec => &mut other_places,
                    };
                    let places = places.get_or_insert_with(|| broad_places(class));
                    check_file(policy, grant, &path, file, places)?;
                }
                resolved.push(GrantedPath::new(recorded(grant, path), grant.class()));
                if !preset {
                    written_resolved = resolved.len();
                }
            }
            // An optional path that is missing, or that this process cannot open, would grant
            // nothing: skipped, and said so.
            Err(source) if grant.is_optional() => {
                skipped.push(skip(if source.kind() == std::io::ErrorKind::NotFound {
                    SkipReason::Missing
                } else {
                    SkipReason::CannotOpen(source.to_string())
                }))
            }
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(ErrorKind::MissingPath {
                    path: path.into_owned(),
                    template: grant.to_string(),
                    literal: matches!(grant.path(), GrantPath::Literal(_)),
                });
            }
            Err(source) => {
                return Err(ErrorKind::OpenPath {
                    path: path.into_owned(),
                    template: grant.to_string(),
                    source,
                });
            }
        }
    }
    let dropped = Dropped::at_abi(
        abi,
        &policy.bind,
        &policy.connect,
        policy.scopes,
        policy.unhandled_fs,
    );
    let status = Status::new(abi, dropped, skipped, policy.unhandled_fs);
    if policy.strict && status.level != Level::Full {
        return Err(ErrorKind::NotFullyEnforceable { status });
    }
    let ruleset = builder.finish()?;
    Ok(Preparation {
        id: next_id(),
        status,
        ruleset,
        outcomes: Outcomes::default(),
        registered: AtomicBool::new(false),
        rules: Arc::new(Rules {
            fs: resolved,
            connect: policy.connect.clone(),
            bind: policy.bind.clone(),
            scopes: policy.scopes,
        }),
    })
}
