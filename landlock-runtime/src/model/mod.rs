//! The model, the first layer above the kernel interface: the vocabulary a policy is written
//! in (classes, grants, ports, scopes, origins, presets), the kernel's rights table, and a
//! prepared policy's rules. Plain data, `const` constructible from borrowed data so that the
//! macros build a policy in a `static` with no allocation; nothing here prepares or enforces.

pub(crate) mod presets;
pub(crate) mod rights;
pub(crate) mod rules;

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

pub use presets::{PRESETS, Preset};
pub use rules::GrantedPath;

/// What a path grant allows beneath the path.
///
/// The rights table of [the policy language](crate::guide::policy_language#rights-per-class-per-landlock-abi)
/// gives the exact Landlock rights of each class at each ABI.
///
/// ```
/// use landlock_runtime::Class;
///
/// assert_eq!(Class::Write.keyword(), "write");
/// assert_eq!(Class::Exec.to_string(), "exec");
/// ```
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
    ///
    /// ```
    /// assert_eq!(landlock_runtime::Class::Read.keyword(), "read");
    /// ```
    pub fn keyword(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Exec => "exec",
        }
    }

    /// The Landlock filesystem rights this class grants beneath a directory, on a kernel at
    /// Landlock ABI `abi`, by the kernel's names (`LANDLOCK_ACCESS_FS_*` in lower case, without
    /// the prefix), in the kernel's bit order: the guide's rights table, for one ABI. A rule on
    /// a file carries only the rights that apply to files.
    ///
    /// This is a stable table: a right is added when a kernel adds it (to `write`, unless it
    /// executes), never silently removed.
    ///
    /// ```
    /// use landlock_runtime::Class;
    ///
    /// assert_eq!(Class::Read.rights(7), ["read_file", "read_dir"]);
    /// assert_eq!(Class::Exec.rights(7), ["execute", "read_file", "read_dir"]);
    /// assert!(Class::Write.rights(3).contains(&"truncate"));
    /// assert!(!Class::Write.rights(2).contains(&"truncate"));
    /// assert!(!Class::Write.rights(7).contains(&"execute"));
    /// ```
    pub fn rights(self, abi: u32) -> Vec<&'static str> {
        rights::FsRights::of_class(self, abi.min(crate::kernel::MAX_KNOWN_ABI))
            .names()
            .collect()
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// One filesystem grant of a policy: what it names, and its class. Policies are made by the
/// macros and [`PolicyBuilder`](crate::PolicyBuilder); [`Policy::grants`](crate::Policy::grants)
/// lists them.
///
/// ```
/// use landlock_runtime::{policy, Class, GrantPath};
///
/// let g = &policy!(write = "$HOME/.cache?").grants()[0];
/// assert!(g.is_optional());
/// assert_eq!(g.class(), Class::Write);
/// assert_eq!(g.path(), &GrantPath::Template("$HOME/.cache?".into()));
/// assert_eq!(g.to_string(), "$HOME/.cache?");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FsGrant {
    pub(crate) path: GrantPath,
    pub(crate) class: Class,
}

/// What a grant names.
///
/// ```
/// use landlock_runtime::{GrantPath, Policy};
///
/// let p = Policy::builder("cli").read("$TMP").read_path("/srv/in/a?b").build().unwrap();
/// assert_eq!(p.grants()[0].path(), &GrantPath::Template("$TMP".into()));
/// assert_eq!(p.grants()[1].path(), &GrantPath::Literal("/srv/in/a?b".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantPath {
    /// A path template of the policy language (`/etc`, `$HOME/.cache?`), resolved when the
    /// policy is prepared.
    Template(Cow<'static, str>),
    /// A path given at run time ([`PolicyBuilder::read_path`](crate::PolicyBuilder::read_path)), taken literally: no variable,
    /// no optional marker, any bytes. Absolute.
    Literal(PathBuf),
    /// The paths an argument of the sandboxed function holds (`read = input`), by parameter
    /// name: the policy is bound to them, and prepared, at each call.
    Argument(Cow<'static, str>),
}

impl FsGrant {
    /// A grant of `class` beneath the path `template`, not checked here: what the macros emit
    /// after checking it at compile time.
    pub(crate) const fn template(template: &'static str, class: Class) -> FsGrant {
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
    pub(crate) const fn argument(name: &'static str, class: Class) -> FsGrant {
        FsGrant {
            path: GrantPath::Argument(Cow::Borrowed(name)),
            class,
        }
    }

    /// What the grant names.
    ///
    /// ```
    /// use landlock_runtime::{policy, GrantPath};
    ///
    /// assert_eq!(policy!(read = "/etc").grants()[0].path(), &GrantPath::Template("/etc".into()));
    /// ```
    pub fn path(&self) -> &GrantPath {
        &self.path
    }

    /// The class.
    ///
    /// ```
    /// use landlock_runtime::{policy, Class};
    ///
    /// assert_eq!(policy!(exec = "/usr/bin").grants()[0].class(), Class::Exec);
    /// ```
    pub fn class(&self) -> Class {
        self.class
    }

    /// Whether the path is skipped when it is missing or cannot be opened (a template that
    /// ends with `?`).
    ///
    /// ```
    /// use landlock_runtime::policy;
    ///
    /// assert!(policy!(read = "/opt/app?").grants()[0].is_optional());
    /// ```
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

/// TCP ports a policy allows to bind or connect to: some (perhaps none), or any. Some are
/// numbers written in the policy; a policy of `#[sandbox]` or `block::sandbox!` may also grant
/// the ports a parameter of its function holds ([`arguments`](Ports::arguments)), bound to them
/// at each call.
///
/// ```
/// use landlock_runtime::{policy, Ports};
///
/// let p = policy!(connect = [443, 80], bind = "*");
/// assert!(p.connect().allows(443) && !p.connect().allows(22));
/// assert_eq!(p.connect().allowed(), Some(&[80, 443][..]));
/// assert_eq!(p.bind(), &Ports::ANY);
/// assert!(!p.bind().is_restricted());
/// assert_eq!(policy!(read = "/etc").connect(), &Ports::NONE);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ports(PortSet);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PortSet {
    /// Only these ports, sorted, and those the named arguments hold at each call; an empty
    /// list allows none. The kernel restricts the rest.
    Only(Cow<'static, [u16]>, &'static [&'static str]),
    /// Not restricted at all (the `"*"` of the policy language): the ruleset does not handle
    /// this kind of TCP access.
    Any,
}

impl Ports {
    /// No port: the kernel denies every one.
    ///
    /// ```
    /// use landlock_runtime::{Policy, Ports};
    ///
    /// let policy = Policy::builder("offline").read("/etc").build().unwrap();
    /// assert_eq!(policy.connect(), &Ports::NONE);
    /// assert!(Ports::NONE.is_restricted() && !Ports::NONE.allows(443));
    /// ```
    pub const NONE: Ports = Ports(PortSet::Only(Cow::Borrowed(&[]), &[]));

    /// Any port: this kind of TCP access is not restricted (the `"*"` of the policy language).
    ///
    /// ```
    /// use landlock_runtime::{policy, Ports};
    ///
    /// assert_eq!(policy!(bind = "*").bind(), &Ports::ANY);
    /// assert!(!Ports::ANY.is_restricted() && Ports::ANY.allows(8080));
    /// ```
    pub const ANY: Ports = Ports(PortSet::Any);

    /// Only `ports`, sorted and without repeats (what the macros emit after checking them).
    pub(crate) const fn listed(ports: &'static [u16]) -> Ports {
        Ports(PortSet::Only(Cow::Borrowed(ports), &[]))
    }

    /// Only `ports` (sorted and without repeats), and the ports the parameters named
    /// `arguments` hold at each call (what the macros emit after checking them).
    pub(crate) const fn with_arguments(
        ports: &'static [u16],
        arguments: &'static [&'static str],
    ) -> Ports {
        Ports(PortSet::Only(Cow::Borrowed(ports), arguments))
    }

    /// Only `ports`, in any order.
    pub(crate) fn from_list(mut ports: Vec<u16>) -> Ports {
        ports.sort_unstable();
        ports.dedup();
        Ports(PortSet::Only(Cow::Owned(ports), &[]))
    }

    /// Whether `port` is allowed. The ports of [`arguments`](Ports::arguments) are known only
    /// at a call: not here.
    ///
    /// ```
    /// use landlock_runtime::Ports;
    ///
    /// assert!(Ports::ANY.allows(22));
    /// assert!(!Ports::NONE.allows(22));
    /// ```
    pub fn allows(&self, port: u16) -> bool {
        match &self.0 {
            PortSet::Only(ports, _) => ports.contains(&port),
            PortSet::Any => true,
        }
    }

    /// Whether these ports allow every port `other` allows; not known (`false`) while `other`
    /// names arguments, whose ports are known only at a call.
    pub(crate) fn allows_all_of(&self, other: &Ports) -> bool {
        match &other.0 {
            PortSet::Only(ports, arguments) => {
                arguments.is_empty() && ports.iter().all(|&port| self.allows(port))
            }
            PortSet::Any => self.0 == PortSet::Any,
        }
    }

    /// Whether the kernel must restrict this kind of access (not [`ANY`](Ports::ANY)).
    ///
    /// ```
    /// use landlock_runtime::Ports;
    ///
    /// assert!(Ports::NONE.is_restricted());
    /// ```
    pub fn is_restricted(&self) -> bool {
        matches!(self.0, PortSet::Only(..))
    }

    /// The ports allowed, sorted (those written in the policy, not those of
    /// [`arguments`](Ports::arguments)); `None` for [`ANY`](Ports::ANY).
    ///
    /// ```
    /// use landlock_runtime::Ports;
    ///
    /// assert_eq!(Ports::NONE.allowed(), Some(&[][..]));
    /// assert_eq!(Ports::ANY.allowed(), None);
    /// ```
    pub fn allowed(&self) -> Option<&[u16]> {
        match &self.0 {
            PortSet::Only(ports, _) => Some(ports),
            PortSet::Any => None,
        }
    }

    /// The parameters whose ports are granted at each call (`connect = port`), by name, in the
    /// order written: a policy with any is bound to the ports they hold when its function is
    /// called, and cannot be prepared on its own.
    ///
    /// ```
    /// use landlock_runtime::{policy, sandbox};
    ///
    /// #[sandbox(connect = [443, port])]
    /// fn fetch(port: u16) {}
    ///
    /// let fetch = landlock_runtime::policies()
    ///     .into_iter()
    ///     .find(|p| p.origin().function().ends_with("::fetch"))
    ///     .unwrap();
    /// assert_eq!(fetch.connect().arguments(), ["port"]);
    /// assert_eq!(fetch.connect().allowed(), Some(&[443][..]));
    /// assert!(policy!(connect = 443).connect().arguments().is_empty());
    /// ```
    pub fn arguments(&self) -> &[&'static str] {
        match &self.0 {
            PortSet::Only(_, arguments) => arguments,
            PortSet::Any => &[],
        }
    }
}

impl fmt::Display for Ports {
    /// The ports, then `<argument NAME>` for each argument; `none`; or `any port
    /// (unrestricted)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            PortSet::Any => f.write_str("any port (unrestricted)"),
            PortSet::Only(ports, arguments) if ports.is_empty() && arguments.is_empty() => {
                f.write_str("none")
            }
            PortSet::Only(ports, arguments) => {
                let ports = ports.iter().map(|p| p.to_string());
                let arguments = arguments.iter().map(|a| format!("<argument {a}>"));
                for (i, item) in ports.chain(arguments).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&item)?;
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
/// let p = landlock_runtime::policy!(allow_signals);
/// assert!(!p.scopes().signals && p.scopes().abstract_unix_sockets);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Scopes {
    /// Signals to processes outside the sandbox are denied (EPERM).
    pub signals: bool,
    /// Connecting to abstract unix sockets created outside the sandbox is denied (EPERM).
    pub abstract_unix_sockets: bool,
}

impl Scopes {
    /// Both scopes restricted: the default.
    ///
    /// ```
    /// use landlock_runtime::{Policy, Scopes};
    ///
    /// assert_eq!(Policy::builder("t").build().unwrap().scopes(), Scopes::RESTRICTED);
    /// let opted_out = Policy::builder("t").allow_signals().build().unwrap();
    /// assert_ne!(opted_out.scopes(), Scopes::RESTRICTED);
    /// ```
    pub const RESTRICTED: Scopes = Scopes {
        signals: true,
        abstract_unix_sockets: true,
    };

    /// The scopes restricted as these flags say (`true`: restricted).
    pub(crate) const fn new(signals: bool, abstract_unix_sockets: bool) -> Scopes {
        Scopes {
            signals,
            abstract_unix_sockets,
        }
    }
}

/// Where a policy was declared: the function (module path) and the source location.
///
/// ```
/// use landlock_runtime::Policy;
///
/// let p = Policy::builder("app::main").build().unwrap();
/// assert_eq!(p.origin().function(), "app::main");
/// assert!(p.origin().to_string().starts_with("`app::main` ("));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    function: Cow<'static, str>,
    file: Cow<'static, str>,
    line: u32,
}

impl Origin {
    /// An origin from static strings (what the macros emit).
    pub(crate) const fn new(function: &'static str, file: &'static str, line: u32) -> Origin {
        Origin {
            function: Cow::Borrowed(function),
            file: Cow::Borrowed(file),
            line,
        }
    }

    /// An origin named at run time, at a source location.
    pub(crate) fn named(function: String, file: &'static str, line: u32) -> Origin {
        Origin {
            function: Cow::Owned(function),
            file: Cow::Borrowed(file),
            line,
        }
    }

    /// The function the policy protects, as a module path (`app::worker::run`).
    ///
    /// ```
    /// let p = landlock_runtime::policy!(read = "/etc");
    /// assert!(p.origin().function().ends_with("::{policy}"));
    /// ```
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The source file of the declaration.
    ///
    /// ```
    /// let p = landlock_runtime::Policy::builder("t").build().unwrap();
    /// assert!(p.origin().file().ends_with(".rs"));
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line of the declaration.
    ///
    /// ```
    /// let p = landlock_runtime::Policy::builder("t").build().unwrap();
    /// assert!(p.origin().line() > 0);
    /// ```
    pub fn line(&self) -> u32 {
        self.line
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}:{})", self.function, self.file, self.line)
    }
}
