//! The policy, the layer above the model and the outcomes: what one sandbox says (its grants,
//! ports, scopes, flags and origin), [`PolicyBuilder`] to make one at run time, and the binding
//! of a policy to the paths its function's arguments hold. What a policy does (preparing,
//! enforcing) is added by the layers above, each in its own `impl Policy` block.

mod arguments;
mod builder;
mod prepared;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use landlock_template::DotDot;

pub(crate) use arguments::Binding;
pub use arguments::{
    Argument, ArgumentNotPaths, ArgumentNotPorts, ArgumentPath, ArgumentPathList,
    ArgumentPathListRef, ArgumentPort, ArgumentPortList, ArgumentPortListRef, ArgumentProbe,
    NotPaths, NotPorts, argument_ports, paths,
};
pub use builder::PolicyBuilder;
pub(crate) use prepared::{Outcomes, Preparation, PreparationCell, next_id};

use crate::model::rights::FsRights;
use crate::model::{Class, FsGrant, Origin, Ports, Preset, Scopes};
use crate::outcome::{Error, ErrorKind};

/// `path` in the one spelling every check and every open sees: repeated and trailing slashes
/// and `.` components gone, `..` kept or resolved as `dot_dot` says
/// ([`landlock_template::normalize_bytes`], on the bytes of a path that need not be UTF-8).
pub(crate) fn normal_path(path: &Path, dot_dot: DotDot) -> Cow<'_, Path> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    match landlock_template::normalize_bytes(path.as_os_str().as_bytes(), dot_dot) {
        Cow::Borrowed(bytes) => Cow::Borrowed(Path::new(OsStr::from_bytes(bytes))),
        Cow::Owned(bytes) => Cow::Owned(std::ffi::OsString::from_vec(bytes).into()),
    }
}

/// The home directory, for the broad-grant rule: `HOME` as the environment says now (bytes
/// that are not UTF-8 replaced, which no path the rule compares with equals). The user
/// database is not asked: preparation takes no lock a `fork` could leave held, and the name
/// service may take several.
pub(crate) fn home() -> Option<String> {
    std::env::var_os("HOME").map(|home| {
        home.into_string()
            .unwrap_or_else(|home| home.to_string_lossy().into_owned())
    })
}

/// A sandbox policy: filesystem grants, TCP ports, IPC scopes, strictness, and its origin.
///
/// Everything not granted is denied, as far as the running kernel can enforce it. A policy is
/// resolved and its Landlock ruleset prepared once, on first use; every later enforcement, on
/// any thread, only restricts that thread with the prepared ruleset.
///
/// Policies usually come from `#[sandbox(...)]`, `block::sandbox!(...)` or
/// [`PolicyBuilder`]:
///
/// ```
/// use landlock_runtime::Policy;
///
/// let policy = Policy::builder("worker")
///     .read("/usr/share")
///     .write("$TMP")
///     .connect(443)
///     .build()
///     .unwrap();
/// assert_eq!(policy.grants().len(), 2);
/// ```
pub struct Policy {
    pub(crate) origin: Origin,
    pub(crate) grants: Cow<'static, [FsGrant]>,
    pub(crate) presets: Cow<'static, [Preset]>,
    pub(crate) connect: Ports,
    pub(crate) bind: Ports,
    pub(crate) scopes: Scopes,
    pub(crate) strict: bool,
    pub(crate) process: bool,
    /// Whether the policy acknowledges a broad grant: also one that a variable makes broad
    /// at run time.
    pub(crate) broad: bool,
    /// Whether the kernel is asked not to log its denials (ABI 7): for code that expects and
    /// handles them.
    pub(crate) quiet: bool,
    /// Filesystem rights the policy leaves unhandled, so allowed everywhere: only an imported
    /// landlockconfig document written for an older ABI has any.
    pub(crate) unhandled_fs: FsRights,
    /// For a policy bound to the paths of its arguments at one call: which.
    pub(crate) binding: Option<std::sync::Arc<Binding>>,
    /// The directory `$CWD` stands for, for a policy bound to the directory a child process
    /// starts in; `None`: the current directory when the policy is prepared.
    pub(crate) cwd: Option<std::sync::Arc<Path>>,
    pub(crate) prepared: PreparationCell,
}

impl Policy {
    /// Builds a policy from its parts; what the macros emit (through `__private`), after
    /// checking every part at compile time.
    // Positional: a const fn cannot take the parts as one struct and move its fields out.
    #[allow(clippy::too_many_arguments)]
    pub(crate) const fn from_parts(
        origin: Origin,
        grants: &'static [FsGrant],
        presets: &'static [Preset],
        connect: Ports,
        bind: Ports,
        scopes: Scopes,
        strict: bool,
        process: bool,
        broad: bool,
        quiet: bool,
    ) -> Policy {
        Policy {
            origin,
            grants: Cow::Borrowed(grants),
            presets: Cow::Borrowed(presets),
            connect,
            bind,
            scopes,
            strict,
            process,
            broad,
            quiet,
            unhandled_fs: FsRights(0),
            binding: None,
            cwd: None,
            prepared: PreparationCell::new(),
        }
    }

    /// A builder for a policy made at run time; `name` stands in for the function name in
    /// reports and errors, and the caller's source location is recorded.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let p = Policy::builder("importer").read("/etc").build().unwrap();
    /// assert_eq!(p.origin().function(), "importer");
    /// ```
    #[track_caller]
    pub fn builder(name: impl Into<String>) -> PolicyBuilder {
        let location = std::panic::Location::caller();
        PolicyBuilder::new(Origin::named(name.into(), location.file(), location.line()))
    }

    /// Where the policy was declared.
    ///
    /// ```
    /// let p = landlock_runtime::Policy::builder("importer").build().unwrap();
    /// assert_eq!(p.origin().function(), "importer");
    /// ```
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The filesystem grants, in the order written (presets not expanded).
    ///
    /// ```
    /// let p = landlock_runtime::policy!(read = ["/etc", "/usr"], write = "$TMP");
    /// assert_eq!(p.grants().len(), 3);
    /// ```
    pub fn grants(&self) -> &[FsGrant] {
        &self.grants
    }

    /// The presets, in the order written.
    ///
    /// ```
    /// use landlock_runtime::{policy, Preset};
    ///
    /// assert_eq!(policy!(preset = "dns").presets(), [Preset::Dns]);
    /// ```
    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    /// TCP ports the sandbox may connect to.
    ///
    /// ```
    /// assert!(landlock_runtime::policy!(connect = 443).connect().allows(443));
    /// ```
    pub fn connect(&self) -> &Ports {
        &self.connect
    }

    /// TCP ports the sandbox may bind.
    ///
    /// ```
    /// assert!(!landlock_runtime::policy!(connect = 443).bind().allows(443));
    /// ```
    pub fn bind(&self) -> &Ports {
        &self.bind
    }

    /// Which IPC scopes are restricted.
    ///
    /// ```
    /// use landlock_runtime::{policy, Scopes};
    ///
    /// assert_eq!(policy!(read = "/etc").scopes(), Scopes::RESTRICTED);
    /// ```
    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// Whether the policy fails instead of degrading when the kernel cannot enforce all of it.
    ///
    /// ```
    /// assert!(landlock_runtime::policy!(read = "/etc", strict).is_strict());
    /// ```
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Whether the policy restricts every thread of the process, not only the calling one.
    ///
    /// ```
    /// assert!(landlock_runtime::policy!(read = "/etc", process).is_process_wide());
    /// ```
    pub fn is_process_wide(&self) -> bool {
        self.process
    }

    /// Whether the kernel is asked not to log this policy's denials (`quiet`).
    ///
    /// ```
    /// assert!(landlock_runtime::policy!(read = "/etc", quiet).is_quiet());
    /// ```
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether a grant of the policy (or of its presets) names `$CWD`: what a child process
    /// started with it needs bound to the directory it starts in.
    pub(crate) fn names_cwd(&self) -> bool {
        let presets = self.presets.iter().flat_map(|p| p.grants());
        self.grants.iter().chain(presets).any(|grant| {
            matches!(grant.path(), crate::model::GrantPath::Template(t)
                if landlock_template::PathTemplate::parse(t)
                    .is_ok_and(|t| t.base() == landlock_template::Base::Cwd))
        })
    }

    /// This policy with `$CWD` standing for `dir` (absolute, as the kernel resolved it): the
    /// policy of a child process that starts in `dir`, prepared afresh.
    pub(crate) fn with_cwd(&self, dir: &Path) -> Policy {
        let mut bound = self.clone();
        bound.cwd = Some(dir.into());
        bound
    }

    /// The filesystem rights the policy leaves unhandled, by the kernel's names: the kernel does
    /// not restrict them, and they are allowed on every file (except `refer`, which, unhandled,
    /// the kernel denies between directories). Only a policy imported from a landlockconfig
    /// document that does not handle them has any ([`landlockconfig`](crate::landlockconfig)):
    /// the policy language handles every right.
    ///
    /// ```
    /// use landlock_runtime::{landlockconfig, policy};
    ///
    /// assert_eq!(policy!(read = "/etc").unhandled_fs_rights().count(), 0);
    /// // Written for ABI 4, whose `abi.all` has no `ioctl_dev`.
    /// let old = r#"{"abi": 4, "ruleset": [{"handledAccessFs": ["abi.all"]}]}"#;
    /// let policy = landlockconfig::from_json(old, "old").unwrap().build().unwrap();
    /// assert_eq!(policy.unhandled_fs_rights().collect::<Vec<_>>(), ["ioctl_dev"]);
    /// ```
    pub fn unhandled_fs_rights(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.unhandled_fs.names()
    }

    /// An error of this policy.
    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.origin.clone(), kind)
    }
}

impl Clone for Policy {
    /// A copy of the policy's description; the copy is prepared afresh and is a different
    /// policy for re-entry.
    fn clone(&self) -> Policy {
        Policy {
            origin: self.origin.clone(),
            grants: self.grants.clone(),
            presets: self.presets.clone(),
            connect: self.connect.clone(),
            bind: self.bind.clone(),
            scopes: self.scopes,
            strict: self.strict,
            process: self.process,
            broad: self.broad,
            quiet: self.quiet,
            unhandled_fs: self.unhandled_fs,
            binding: self.binding.clone(),
            cwd: self.cwd.clone(),
            prepared: PreparationCell::new(),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("origin", &self.origin)
            .field("grants", &self.grants)
            .field("presets", &self.presets)
            .field("connect", &self.connect)
            .field("bind", &self.bind)
            .field("scopes", &self.scopes)
            .field("strict", &self.strict)
            .field("process", &self.process)
            .field("broad", &self.broad)
            .field("quiet", &self.quiet)
            .field(
                "unhandled_fs",
                &self.unhandled_fs.names().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Policy {
    /// A readable block for review: the origin, then one line per grant.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let p = Policy::builder("worker").read("/etc").write("$TMP").connect(443).build().unwrap();
    /// let text = p.to_string();
    /// assert!(text.contains("  read     /etc\n"));
    /// assert!(text.contains("  connect  443\n"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sandbox {}", self.origin)?;
        for class in [Class::Read, Class::Write, Class::Exec] {
            let paths: Vec<String> = self
                .grants
                .iter()
                .filter(|g| g.class == class)
                .map(|g| g.to_string())
                .collect();
            if !paths.is_empty() {
                writeln!(f, "  {:<8} {}", class.keyword(), paths.join(", "))?;
            }
        }
        if !self.presets.is_empty() {
            let names: Vec<&str> = self.presets.iter().map(|p| p.name()).collect();
            writeln!(f, "  {:<8} {}", "preset", names.join(", "))?;
        }
        if self.grants.is_empty() && self.presets.is_empty() {
            writeln!(f, "  files    none")?;
        }
        if !self.unhandled_fs.is_empty() {
            writeln!(f, "  {:<8} {}", "unhandled", UnhandledFs(self.unhandled_fs))?;
        }
        writeln!(f, "  {:<8} {}", "connect", self.connect)?;
        writeln!(f, "  {:<8} {}", "bind", self.bind)?;
        let scope = |restricted: bool| if restricted { "denied" } else { "allowed" };
        writeln!(
            f,
            "  {:<8} signals out {}, abstract unix sockets out {}",
            "scopes",
            scope(self.scopes.signals),
            scope(self.scopes.abstract_unix_sockets)
        )?;
        writeln!(
            f,
            "  {:<8} {}",
            "threads",
            if self.process {
                "every thread of the process"
            } else {
                "the calling thread and the threads it starts"
            }
        )?;
        writeln!(
            f,
            "  {:<8} {}{}",
            "mode",
            if self.strict { "strict" } else { "best effort" },
            if self.quiet {
                ", quiet (denials not logged)"
            } else {
                ""
            }
        )
    }
}

/// What leaving filesystem rights unhandled means, in words: the rights and that they are
/// allowed on every file, and `refer` apart (unhandled, the kernel denies every link or rename
/// into another directory).
pub(crate) struct UnhandledFs(pub(crate) FsRights);

impl fmt::Display for UnhandledFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let refer = FsRights::named("refer");
        let allowed: Vec<&str> = self.0.minus(refer).names().collect();
        if !allowed.is_empty() {
            write!(
                f,
                "{} (allowed on every file: not restricted by this policy)",
                allowed.join(", ")
            )?;
        }
        if !FsRights(self.0.0 & refer.0).is_empty() {
            if !allowed.is_empty() {
                f.write_str(", ")?;
            }
            f.write_str("refer (denied everywhere: without it handled, the kernel refuses every link or rename into another directory)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_a_review_block() {
        let p = Policy::builder("app::main")
            .read("/etc")
            .read("/usr/share?")
            .write("$TMP")
            .connect(443)
            .allow_signals()
            .strict()
            .build()
            .unwrap();
        let text = p.to_string();
        let expected = format!(
            "sandbox `app::main` ({}:{})\n  read     /etc, /usr/share?\n  write    $TMP\n  connect  443\n  bind     none\n  scopes   signals out allowed, abstract unix sockets out denied\n  threads  the calling thread and the threads it starts\n  mode     strict\n",
            p.origin().file(),
            p.origin().line()
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_static_policy_needs_no_allocation() {
        static GRANTS: [FsGrant; 1] = [FsGrant::template("/etc", Class::Read)];
        static P: Policy = Policy::from_parts(
            Origin::new("m::f", "f.rs", 1),
            &GRANTS,
            &[],
            Ports::listed(&[443]),
            Ports::ANY,
            Scopes::RESTRICTED,
            false,
            false,
            false,
            false,
        );
        assert_eq!(P.grants()[0].class(), Class::Read);
        assert!(P.connect().allows(443));
    }
}
