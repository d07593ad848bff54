//! The policy model: what a sandbox grants, and where it was declared.
//!
//! The macros build a [`Policy`] in a `static` with no allocation (every field is `const`
//! constructible from borrowed data); [`PolicyBuilder`] makes the same type at run time.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use landlock_template::{
    PathTemplate, broad_grant, broad_network, broad_resolved, class_conflict, path_key,
};

use crate::enforce::PreparedCell;
use crate::error::{Error, ErrorKind};
use crate::presets::Preset;

/// What a path grant allows beneath the path.
///
/// See the crate documentation for the exact Landlock rights of each class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Read files and list directories.
    Read,
    /// Everything `Read` allows, plus create, write, truncate, remove, rename and link within
    /// and between write-granted trees. Never execute.
    Write,
    /// Everything `Read` allows, plus execute.
    Exec,
}

impl Class {
    /// The keyword of the policy language (`read`, `write`, `exec`).
    pub fn keyword(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Exec => "exec",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// One filesystem grant: what it names, and its class.
///
/// ```
/// use landlock_runtime::{Class, FsGrant, GrantPath};
///
/// let g = FsGrant::new("$HOME/.cache?", Class::Write);
/// assert!(g.is_optional());
/// assert_eq!(g.path(), &GrantPath::Template("$HOME/.cache?".into()));
/// assert_eq!(g.to_string(), "$HOME/.cache?");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FsGrant {
    path: GrantPath,
    class: Class,
}

/// What a grant names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantPath {
    /// A path template of the policy language (`/etc`, `$HOME/.cache?`), resolved when the
    /// policy is prepared.
    Template(Cow<'static, str>),
    /// A path given at run time ([`PolicyBuilder::read_path`]), taken literally: no variable,
    /// no optional marker, any bytes. Absolute.
    Literal(PathBuf),
    /// The paths an argument of the sandboxed function holds (`read = input`), by parameter
    /// name: the policy is bound to them, and prepared, at each call.
    Argument(Cow<'static, str>),
}

impl FsGrant {
    /// A grant of `class` beneath the path `template` (not validated here; see
    /// [`PolicyBuilder`] for a checked way to build policies).
    pub const fn new(template: &'static str, class: Class) -> FsGrant {
        FsGrant {
            path: GrantPath::Template(Cow::Borrowed(template)),
            class,
        }
    }

    /// A grant of `class` beneath `path`, taken literally.
    pub(crate) fn literal(path: PathBuf, class: Class) -> FsGrant {
        FsGrant {
            path: GrantPath::Literal(path),
            class,
        }
    }

    /// A grant of `class` beneath the paths the argument `name` holds at each call.
    #[doc(hidden)]
    pub const fn argument(name: &'static str, class: Class) -> FsGrant {
        FsGrant {
            path: GrantPath::Argument(Cow::Borrowed(name)),
            class,
        }
    }

    /// What the grant names.
    pub fn path(&self) -> &GrantPath {
        &self.path
    }

    /// The class.
    pub fn class(&self) -> Class {
        self.class
    }

    /// Whether the path is skipped when it is missing or cannot be opened (a template that
    /// ends with `?`).
    pub fn is_optional(&self) -> bool {
        matches!(&self.path, GrantPath::Template(t) if t.ends_with('?'))
    }
}

impl fmt::Display for FsGrant {
    /// The template as written, the literal path, or `<argument NAME>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            GrantPath::Template(t) => f.write_str(t),
            GrantPath::Literal(path) => write!(f, "{}", path.display()),
            GrantPath::Argument(name) => write!(f, "<argument {name}>"),
        }
    }
}

/// TCP ports a policy allows to bind or connect to.
///
/// ```
/// use landlock_runtime::Ports;
///
/// assert!(Ports::NONE.allows(443) == false);
/// assert!(Ports::only(&[80, 443]).allows(443));
/// assert!(Ports::Unrestricted.allows(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ports {
    /// Only these ports; an empty list allows none. The kernel restricts the rest.
    Only(Cow<'static, [u16]>),
    /// Not restricted at all (the `"*"` of the policy language): the ruleset does not handle
    /// this kind of TCP access.
    Unrestricted,
}

impl Ports {
    /// No port.
    pub const NONE: Ports = Ports::Only(Cow::Borrowed(&[]));

    /// Only these ports.
    pub const fn only(ports: &'static [u16]) -> Ports {
        Ports::Only(Cow::Borrowed(ports))
    }

    /// Whether `port` is allowed.
    pub fn allows(&self, port: u16) -> bool {
        match self {
            Ports::Only(ports) => ports.contains(&port),
            Ports::Unrestricted => true,
        }
    }

    /// Whether the kernel must restrict this kind of access.
    pub fn is_restricted(&self) -> bool {
        matches!(self, Ports::Only(_))
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ports::Unrestricted => f.write_str("any port (unrestricted)"),
            Ports::Only(ports) if ports.is_empty() => f.write_str("none"),
            Ports::Only(ports) => {
                for (i, p) in ports.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

/// The IPC scopes of Landlock: whether the sandbox may reach outside itself by signals or by
/// abstract unix sockets. Both are restricted unless a policy opts out explicitly.
///
/// ```
/// use landlock_runtime::Scopes;
///
/// assert!(Scopes::RESTRICTED.signals && Scopes::RESTRICTED.abstract_unix_sockets);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scopes {
    /// Signals to processes outside the sandbox are denied (EPERM).
    pub signals: bool,
    /// Connecting to abstract unix sockets created outside the sandbox is denied (EPERM).
    pub abstract_unix_sockets: bool,
}

impl Scopes {
    /// Both scopes restricted: the default.
    pub const RESTRICTED: Scopes = Scopes {
        signals: true,
        abstract_unix_sockets: true,
    };
}

/// Where a policy was declared: the function (module path) and the source location.
///
/// ```
/// use landlock_runtime::Origin;
///
/// let o = Origin::new("app::main", "src/main.rs", 7);
/// assert_eq!(o.to_string(), "`app::main` (src/main.rs:7)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    function: Cow<'static, str>,
    file: Cow<'static, str>,
    line: u32,
}

impl Origin {
    /// An origin from static strings (what the macros emit).
    pub const fn new(function: &'static str, file: &'static str, line: u32) -> Origin {
        Origin {
            function: Cow::Borrowed(function),
            file: Cow::Borrowed(file),
            line,
        }
    }

    /// The function the policy protects, as a module path (`app::worker::run`).
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The source file of the declaration.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line of the declaration.
    pub fn line(&self) -> u32 {
        self.line
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}:{})", self.function, self.file, self.line)
    }
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
    /// For a policy bound to the paths of its arguments at one call: which.
    pub(crate) binding: Option<std::sync::Arc<crate::arguments::Binding>>,
    pub(crate) prepared: PreparedCell,
}

impl Policy {
    /// Builds a policy from its parts; what the macros emit, after checking every part at
    /// compile time. Not part of the stable API: use [`Policy::builder`].
    #[doc(hidden)]
    // Positional: a const fn cannot take the parts as one struct and move its fields out.
    #[allow(clippy::too_many_arguments)]
    pub const fn __from_parts(
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
            binding: None,
            prepared: PreparedCell::new(),
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
        PolicyBuilder {
            origin: Origin {
                function: Cow::Owned(name.into()),
                file: Cow::Borrowed(location.file()),
                line: location.line(),
            },
            grants: Vec::new(),
            presets: Vec::new(),
            connect: Vec::new(),
            bind: Vec::new(),
            connect_any: false,
            bind_any: false,
            scopes: Scopes::RESTRICTED,
            strict: false,
            process: false,
            broad: false,
            quiet: false,
            errors: Vec::new(),
        }
    }

    /// Where the policy was declared.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The filesystem grants, in the order written.
    pub fn grants(&self) -> &[FsGrant] {
        &self.grants
    }

    /// The presets, in the order written.
    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    /// TCP ports the sandbox may connect to.
    pub fn connect(&self) -> &Ports {
        &self.connect
    }

    /// TCP ports the sandbox may bind.
    pub fn bind(&self) -> &Ports {
        &self.bind
    }

    /// Which IPC scopes are restricted.
    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// Whether the policy fails instead of degrading when the kernel cannot enforce all of it.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Whether the policy restricts every thread of the process, not only the calling one.
    pub fn is_process_wide(&self) -> bool {
        self.process
    }

    /// Whether the kernel is asked not to log this policy's denials (`quiet`).
    pub fn is_quiet(&self) -> bool {
        self.quiet
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
            binding: self.binding.clone(),
            prepared: PreparedCell::new(),
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

/// Builds a [`Policy`] at run time, with the same checks the macros make at compile time.
///
/// Errors (a bad path template, the same path under two classes, port 0) are collected and
/// returned together by [`build`](PolicyBuilder::build).
///
/// ```
/// use landlock_runtime::Policy;
///
/// let err = Policy::builder("bad").read("etc").connect(0).build().unwrap_err();
/// let msg = err.to_string();
/// assert!(msg.contains("relative path `etc`"), "{msg}");
/// assert!(msg.contains("port 0"), "{msg}");
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PolicyBuilder {
    origin: Origin,
    grants: Vec<FsGrant>,
    presets: Vec<Preset>,
    connect: Vec<u16>,
    bind: Vec<u16>,
    connect_any: bool,
    bind_any: bool,
    scopes: Scopes,
    strict: bool,
    process: bool,
    broad: bool,
    quiet: bool,
    errors: Vec<String>,
}

impl PolicyBuilder {
    fn grant(mut self, template: impl Into<String>, class: Class) -> Self {
        let template = template.into();
        if let Err(e) = PathTemplate::parse(&template) {
            self.errors.push(e.to_string());
            return self;
        }
        let key = path_key(&template);
        let conflict = self.grants.iter().find_map(|g| match &g.path {
            GrantPath::Template(t) if path_key(t) == key => {
                class_conflict(g.class.keyword(), class.keyword())
                    .map(|c| c.describe(key, g.class.keyword(), class.keyword()))
            }
            _ => None,
        });
        match conflict {
            Some(problem) => self.errors.push(problem),
            None => self.grants.push(FsGrant {
                path: GrantPath::Template(Cow::Owned(template)),
                class,
            }),
        }
        self
    }

    /// Allows reading files and listing directories beneath `path` (a path template).
    ///
    /// For a path known only at run time (a file named on the command line), use
    /// [`read_path`](PolicyBuilder::read_path): a template gives `$` and a trailing `?` a
    /// meaning.
    pub fn read(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Read)
    }

    /// Allows `read` plus creating, writing, truncating, removing, renaming and linking beneath
    /// `path` (a path template). With [`exec`](PolicyBuilder::exec) on the same path, both.
    pub fn write(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Write)
    }

    /// Allows `read` plus executing beneath `path` (a path template). With
    /// [`write`](PolicyBuilder::write) on the same path, both.
    pub fn exec(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Exec)
    }

    fn literal(mut self, path: &Path, class: Class) -> Self {
        let path = match std::path::absolute(path) {
            Ok(path) => path,
            Err(e) => {
                self.errors
                    .push(format!("cannot make `{}` absolute: {e}", path.display()));
                return self;
            }
        };
        let grant = FsGrant {
            path: GrantPath::Literal(path),
            class,
        };
        // A path given twice is one grant; under two classes, it gets both (the kernel merges
        // the rules of one file).
        if !self.grants.contains(&grant) {
            self.grants.push(grant);
        }
        self
    }

    /// Allows reading files and listing directories beneath `path`, taken literally: a path
    /// known only at run time, such as a file named on the command line.
    ///
    /// Nothing in it is read as the policy language: `$`, a trailing `?` and non-UTF-8 bytes
    /// are part of the name. A relative path is made absolute against the current directory,
    /// now (without resolving symbolic links, as [`std::path::absolute`] does). The same path
    /// given twice is one grant. A path that does not exist fails the preparation, as a
    /// template without `?` does.
    ///
    /// ```
    /// use landlock_runtime::{GrantPath, Policy};
    ///
    /// let policy = Policy::builder("cli").read_path("/srv/in/what?").build().unwrap();
    /// assert_eq!(
    ///     policy.grants()[0].path(),
    ///     &GrantPath::Literal("/srv/in/what?".into()),
    /// );
    /// ```
    pub fn read_path(self, path: impl AsRef<Path>) -> Self {
        self.literal(path.as_ref(), Class::Read)
    }

    /// Allows `read` plus creating, writing, truncating, removing, renaming and linking beneath
    /// `path`, taken literally (see [`read_path`](PolicyBuilder::read_path)).
    pub fn write_path(self, path: impl AsRef<Path>) -> Self {
        self.literal(path.as_ref(), Class::Write)
    }

    /// Allows `read` plus executing beneath `path`, taken literally (see
    /// [`read_path`](PolicyBuilder::read_path)).
    pub fn exec_path(self, path: impl AsRef<Path>) -> Self {
        self.literal(path.as_ref(), Class::Exec)
    }

    fn port(&mut self, port: u16, which: &str) -> Option<u16> {
        if port == 0 {
            self.errors
                .push(format!("{which} port 0: ports are 1 to 65535"));
            None
        } else {
            Some(port)
        }
    }

    /// Adds the grants of a named preset (see [`Preset`]).
    pub fn preset(mut self, preset: Preset) -> Self {
        if !self.presets.contains(&preset) {
            self.presets.push(preset);
        }
        self
    }

    /// Allows TCP connect to `port`.
    pub fn connect(mut self, port: u16) -> Self {
        if let Some(p) = self.port(port, "connect") {
            self.connect.push(p);
        }
        self
    }

    /// Leaves TCP connect unrestricted.
    pub fn connect_any(mut self) -> Self {
        self.connect_any = true;
        self
    }

    /// Allows TCP bind to `port`.
    pub fn bind(mut self, port: u16) -> Self {
        if let Some(p) = self.port(port, "bind") {
            self.bind.push(p);
        }
        self
    }

    /// Leaves TCP bind unrestricted.
    pub fn bind_any(mut self) -> Self {
        self.bind_any = true;
        self
    }

    /// Allows signals to processes outside the sandbox (opts out of the signal scope).
    pub fn allow_signals(mut self) -> Self {
        self.scopes.signals = false;
        self
    }

    /// Allows connecting to abstract unix sockets created outside the sandbox (opts out of
    /// that scope).
    pub fn allow_abstract_unix_sockets(mut self) -> Self {
        self.scopes.abstract_unix_sockets = false;
        self
    }

    /// Fails instead of degrading when the kernel cannot enforce all of the policy.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Restricts every thread of the process when enforced, not only the calling one (what
    /// `process` asks in the policy language, and the default on `main`).
    pub fn process(mut self) -> Self {
        self.process = true;
        self
    }

    /// Acknowledges a broad grant (any class on `/`, `write` on `$HOME`, `/home`, `/usr` or
    /// `/etc`, unrestricted TCP next to `write`), which [`build`](PolicyBuilder::build) refuses
    /// otherwise; like `broad` in the policy language, it is refused when nothing needs it.
    pub fn broad(mut self) -> Self {
        self.broad = true;
        self
    }

    /// Asks the kernel not to log this sandbox's denials (the `quiet` item; Landlock ABI 7):
    /// for code that expects denials and handles them, so that they do not show among the
    /// ones worth a look (see [`denials`](crate::denials)). Without it, denials are logged
    /// whenever the kernel's audit is on.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Why each grant that needs [`broad`](PolicyBuilder::broad) does.
    fn broad_grants(&self) -> Vec<String> {
        let home = std::env::var("HOME").ok();
        let mut found: Vec<String> = self
            .grants
            .iter()
            .filter_map(|g| {
                let class = g.class.keyword();
                match &g.path {
                    GrantPath::Template(t) => {
                        broad_grant(class, t).map(|why| why.describe(class, t))
                    }
                    GrantPath::Literal(path) => {
                        let path = path.to_str()?;
                        broad_resolved(class, path, home.as_deref())
                            .map(|why| why.describe(class, path))
                    }
                    GrantPath::Argument(_) => None,
                }
            })
            .collect();
        if self.grants.iter().any(|g| g.class == Class::Write) {
            for (kind, any) in [("connect", self.connect_any), ("bind", self.bind_any)] {
                if any {
                    found.push(format!("{kind}_any(): {}", broad_network(kind)));
                }
            }
        }
        found
    }

    /// The policy, or every mistake found.
    pub fn build(mut self) -> Result<Policy, Error> {
        let broad = self.broad_grants();
        match (self.broad, broad.is_empty()) {
            (false, false) => self.errors.extend(
                broad
                    .into_iter()
                    .map(|why| format!("{why}; narrow it, or acknowledge it with `.broad()`")),
            ),
            (true, true) => self.errors.push(
                "`.broad()` acknowledges a broad grant, and this policy has none: remove it".into(),
            ),
            _ => {}
        }
        if !self.errors.is_empty() {
            return Err(Error::new(
                self.origin,
                ErrorKind::InvalidPolicy {
                    problems: self.errors,
                },
            ));
        }
        let ports = |any: bool, mut ports: Vec<u16>| {
            if any {
                Ports::Unrestricted
            } else {
                ports.sort_unstable();
                ports.dedup();
                Ports::Only(Cow::Owned(ports))
            }
        };
        Ok(Policy {
            origin: self.origin,
            grants: Cow::Owned(self.grants),
            presets: Cow::Owned(self.presets),
            connect: ports(self.connect_any, self.connect),
            bind: ports(self.bind_any, self.bind),
            scopes: self.scopes,
            strict: self.strict,
            process: self.process,
            broad: self.broad,
            quiet: self.quiet,
            binding: None,
            prepared: PreparedCell::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_collects_every_mistake() {
        let err = Policy::builder("t")
            .read("rel")
            .write("$NOPE")
            .read("/etc")
            .exec("/etc?")
            .bind(0)
            .build()
            .unwrap_err();
        let ErrorKind::InvalidPolicy { problems } = err.kind() else {
            panic!("{err}");
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert_eq!(
            problems[2],
            "`/etc` is already granted under `read`: `exec` includes what `read` grants, so list it under `exec` alone"
        );
    }

    #[test]
    fn builder_grants_write_and_exec_on_one_path_and_merges_literal_paths() {
        let p = Policy::builder("t")
            .write("/srv/build")
            .exec("/srv/build/")
            .read_path("/srv/in")
            .read_path("/srv/in")
            .write_path("/srv/in")
            .build()
            .unwrap();
        let shown: Vec<String> = p
            .grants()
            .iter()
            .map(|g| format!("{} {g}", g.class()))
            .collect();
        assert_eq!(
            shown,
            [
                "write /srv/build",
                "exec /srv/build/",
                "read /srv/in",
                "write /srv/in"
            ]
        );
        let err = Policy::builder("t")
            .exec("/srv")
            .exec("/srv?")
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`/srv` is listed twice under `exec`"),
            "{err}"
        );
    }

    #[test]
    fn builder_refuses_broad_grants_unless_acknowledged() {
        let err = Policy::builder("t")
            .read("/")
            .write("$HOME/")
            .connect_any()
            .build()
            .unwrap_err();
        let ErrorKind::InvalidPolicy { problems } = err.kind() else {
            panic!("{err}");
        };
        assert_eq!(
            problems,
            &[
                "`read = \"/\"` grants read on the whole filesystem; narrow it, or acknowledge it with `.broad()`",
                "`write = \"$HOME/\"` lets the code rewrite all of `$HOME`; narrow it, or acknowledge it with `.broad()`",
                "connect_any(): unrestricted TCP connect together with `write`: it can fetch and store, or read and send, anything; narrow it, or acknowledge it with `.broad()`",
            ]
        );
        Policy::builder("t")
            .read("/")
            .write("$HOME")
            .connect_any()
            .broad()
            .build()
            .unwrap();
        // Unrestricted TCP without write is not broad; `.broad()` with nothing broad is refused.
        Policy::builder("t")
            .read("/etc")
            .connect_any()
            .build()
            .unwrap();
        let err = Policy::builder("t")
            .read("/etc")
            .broad()
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("this policy has none"), "{err}");
    }

    #[test]
    fn builder_sees_one_path_behind_slashes_and_markers() {
        let err = Policy::builder("t")
            .read("/srv/")
            .write("/srv?")
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`/srv` is already granted under `read`"),
            "{err}"
        );
    }

    #[test]
    fn builder_records_the_caller() {
        let p = Policy::builder("t").build().unwrap();
        assert_eq!(p.origin().file(), file!());
        assert_eq!(p.origin().line(), line!() - 2);
        assert!(p.grants().is_empty());
        assert_eq!(p.connect(), &Ports::NONE);
        assert_eq!(p.scopes(), Scopes::RESTRICTED);
    }

    #[test]
    fn ports_are_sorted_and_deduplicated() {
        let p = Policy::builder("t")
            .connect(443)
            .connect(80)
            .connect(443)
            .bind_any()
            .build()
            .unwrap();
        assert_eq!(p.connect(), &Ports::only(&[80, 443]));
        assert_eq!(p.bind(), &Ports::Unrestricted);
    }

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
        static GRANTS: [FsGrant; 1] = [FsGrant::new("/etc", Class::Read)];
        static P: Policy = Policy::__from_parts(
            Origin::new("m::f", "f.rs", 1),
            &GRANTS,
            &[],
            Ports::only(&[443]),
            Ports::Unrestricted,
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
