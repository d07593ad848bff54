//! Building a policy at run time, with the checks the macros make at compile time.

use std::borrow::Cow;
use std::path::Path;

use landlock_template::check::{
    Draft, Grant as CheckedGrant, GrantPath as CheckedPath, Problem, check,
};
use landlock_template::{DotDot, PathTemplate, broad_network};

use super::{Policy, PreparationCell, normal_path};
use crate::model::rights::FsRights;
use crate::model::{Class, FsGrant, GrantPath, Origin, Ports, Preset, Scopes};
use crate::outcome::{Error, ErrorKind};

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
    /// Filesystem rights left unhandled: only a landlockconfig document that does not handle
    /// them asks for this.
    unhandled_fs: FsRights,
    errors: Vec<String>,
}

impl PolicyBuilder {
    /// An empty builder for a policy declared at `origin`.
    pub(crate) fn new(origin: Origin) -> PolicyBuilder {
        PolicyBuilder {
            origin,
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
            unhandled_fs: FsRights::default(),
            errors: Vec::new(),
        }
    }

    /// Grants `class` on `template`, kept in its one spelling (`//etc/` is `/etc`), which the
    /// checks, the open and review all see.
    fn grant(mut self, template: impl Into<String>, class: Class) -> Self {
        let template = template.into();
        let normal = match PathTemplate::parse(&template) {
            Err(e) => {
                self.errors.push(e.to_string());
                return self;
            }
            Ok(parsed) => match parsed.normalized() {
                Cow::Borrowed(_) => None,
                Cow::Owned(normal) => Some(normal),
            },
        };
        self.grants.push(FsGrant {
            path: GrantPath::Template(Cow::Owned(normal.unwrap_or(template))),
            class,
        });
        self
    }

    /// Allows reading files and listing directories beneath `path` (a path template).
    ///
    /// For a path known only at run time (a file named on the command line), use
    /// [`read_path`](PolicyBuilder::read_path): a template gives `$` and a trailing `?` a
    /// meaning.
    ///
    /// ```
    /// use landlock_runtime::{Policy, kernel_abi};
    ///
    /// let policy = Policy::builder("reader").read("/etc").build().unwrap();
    /// let listed = |dir| std::fs::read_dir(dir).is_ok();
    /// let (etc, usr) = policy.run(|| (listed("/etc"), listed("/usr"))).unwrap();
    /// assert!(etc);
    /// assert_eq!(usr, kernel_abi() == 0, "denied wherever Landlock is");
    /// ```
    pub fn read(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Read)
    }

    /// Allows `read` plus creating, writing, truncating, removing, renaming and linking beneath
    /// `path` (a path template). With [`exec`](PolicyBuilder::exec) on the same path, both.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("writer").write("$TMP").build().unwrap();
    /// let file = std::env::temp_dir().join(format!("landlock-doc-{}", std::process::id()));
    /// policy.run(|| std::fs::write(&file, "data")).unwrap().unwrap();
    /// assert_eq!(std::fs::read_to_string(&file).unwrap(), "data");
    /// # std::fs::remove_file(&file).unwrap();
    /// ```
    pub fn write(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Write)
    }

    /// Allows `read` plus executing beneath `path` (a path template). With
    /// [`write`](PolicyBuilder::write) on the same path, both.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{Policy, Preset};
    ///
    /// let builder = Policy::builder("runner").exec("/usr/bin/env");
    /// let policy = builder.preset(Preset::DynamicLoader).build().unwrap();
    /// let status = policy.run(|| Command::new("/usr/bin/env").arg("-i").status()).unwrap();
    /// assert!(status.unwrap().success());
    /// ```
    pub fn exec(self, path: impl Into<String>) -> Self {
        self.grant(path, Class::Exec)
    }

    /// Grants `class` on `path`, made absolute and kept in its one spelling (`..` kept, for
    /// the kernel to resolve after any symbolic link before it).
    fn literal(mut self, path: &Path, class: Class) -> Self {
        let path = match std::path::absolute(path) {
            Ok(path) => normal_path(&path, DotDot::Keep).into_owned(),
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
        // A path given twice is one grant (made so at `build`, in linear time); under two
        // classes, it gets both (the kernel merges the rules of one file).
        self.grants.push(grant);
        self
    }

    /// Allows reading files and listing directories beneath `path`, taken literally: a path
    /// known only at run time, such as a file named on the command line.
    ///
    /// Nothing in it is read as the policy language: `$`, a trailing `?` and non-UTF-8 bytes
    /// are part of the name. A relative path is made absolute against the current directory,
    /// now (without resolving symbolic links, as [`std::path::absolute`] does), and kept in
    /// one spelling ([`landlock_template::normalize`]): repeated and trailing slashes and `.`
    /// components dropped, `..` kept for the kernel to resolve. The broad-grant rule sees it
    /// with `..` resolved (`/usr/../etc` is `/etc`), and, when it goes through a symbolic link,
    /// where it leads when the policy is prepared. The same path given twice is one grant. A
    /// path that does not exist fails the preparation, as a template without `?` does.
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
    ///
    /// ```
    /// use landlock_runtime::{Class, GrantPath, Policy};
    ///
    /// let policy = Policy::builder("cli").write_path("out").build().unwrap();
    /// let grant = &policy.grants()[0];
    /// assert_eq!(grant.class(), Class::Write);
    /// let absolute = std::env::current_dir().unwrap().join("out");
    /// assert_eq!(grant.path(), &GrantPath::Literal(absolute));
    /// ```
    pub fn write_path(self, path: impl AsRef<Path>) -> Self {
        self.literal(path.as_ref(), Class::Write)
    }

    /// Allows `read` plus executing beneath `path`, taken literally (see
    /// [`read_path`](PolicyBuilder::read_path)).
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let tool = "/opt/tools/$VERSION/run";
    /// let policy = Policy::builder("cli").exec_path(tool).exec_path(tool).build().unwrap();
    /// assert_eq!(policy.grants().len(), 1);
    /// assert_eq!(policy.grants()[0].to_string(), tool);
    /// ```
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
    ///
    /// ```
    /// use std::path::Path;
    /// use landlock_runtime::{Policy, Preset};
    ///
    /// let policy = Policy::builder("resolver").preset(Preset::Dns).build().unwrap();
    /// let hosts = policy.run(|| std::fs::read("/etc/hosts").is_ok()).unwrap();
    /// assert_eq!(hosts, Path::new("/etc/hosts").exists());
    /// ```
    pub fn preset(mut self, preset: Preset) -> Self {
        if !self.presets.contains(&preset) {
            self.presets.push(preset);
        }
        self
    }

    /// Allows TCP connect to `port`.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("client").connect(443).connect(80).connect(443).build().unwrap();
    /// assert_eq!(policy.connect().allowed(), Some(&[80, 443][..]));
    /// ```
    pub fn connect(mut self, port: u16) -> Self {
        if let Some(p) = self.port(port, "connect") {
            self.connect.push(p);
        }
        self
    }

    /// Leaves TCP connect unrestricted.
    ///
    /// Next to a `write` grant it is broad, and needs [`broad`](PolicyBuilder::broad).
    ///
    /// ```
    /// use landlock_runtime::{Policy, Ports};
    ///
    /// let policy = Policy::builder("client").read("/etc").connect_any().build().unwrap();
    /// assert_eq!(policy.connect(), &Ports::ANY);
    /// assert!(Policy::builder("t").write("$TMP").connect_any().build().is_err());
    /// ```
    pub fn connect_any(mut self) -> Self {
        self.connect_any = true;
        self
    }

    /// Allows TCP bind to `port`.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("server").bind(8080).build().unwrap();
    /// assert!(policy.bind().allows(8080) && !policy.bind().allows(8081));
    /// assert!(!policy.connect().allows(8080), "bind does not allow connect");
    /// ```
    pub fn bind(mut self, port: u16) -> Self {
        if let Some(p) = self.port(port, "bind") {
            self.bind.push(p);
        }
        self
    }

    /// Leaves TCP bind unrestricted.
    ///
    /// Next to a `write` grant it is broad, and needs [`broad`](PolicyBuilder::broad).
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("server").bind_any().build().unwrap();
    /// assert!(!policy.bind().is_restricted());
    /// assert!(policy.connect().is_restricted());
    /// ```
    pub fn bind_any(mut self) -> Self {
        self.bind_any = true;
        self
    }

    /// Allows signals to processes outside the sandbox (opts out of the signal scope).
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("supervisor").allow_signals().build().unwrap();
    /// assert!(!policy.scopes().signals);
    /// assert!(policy.scopes().abstract_unix_sockets);
    /// ```
    pub fn allow_signals(mut self) -> Self {
        self.scopes.signals = false;
        self
    }

    /// Allows connecting to abstract unix sockets created outside the sandbox (opts out of
    /// that scope).
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("client").allow_abstract_unix_sockets().build().unwrap();
    /// assert!(!policy.scopes().abstract_unix_sockets);
    /// assert!(policy.scopes().signals);
    /// ```
    pub fn allow_abstract_unix_sockets(mut self) -> Self {
        self.scopes.abstract_unix_sockets = false;
        self
    }

    /// Fails instead of degrading when the kernel cannot enforce all of the policy.
    ///
    /// ```
    /// use landlock_runtime::{Policy, kernel_abi};
    ///
    /// let policy = Policy::builder("t").read("/etc").strict().build().unwrap();
    /// assert!(policy.is_strict());
    /// // Landlock ABI 6 has every right and scope this policy restricts.
    /// assert_eq!(policy.prepare().is_ok(), kernel_abi() >= 6);
    /// ```
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Restricts every thread of the process when enforced, not only the calling one (what
    /// `process` asks in the policy language, and the default on `main`).
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("app::main").read("/etc").process().build().unwrap();
    /// assert!(policy.is_process_wide());
    /// // A scoped thread would restrict its caller too: refused.
    /// assert!(policy.run(|| ()).is_err());
    /// ```
    pub fn process(mut self) -> Self {
        self.process = true;
        self
    }

    /// Acknowledges a broad grant (any class on `/`, `write` on `$HOME` or the path that is
    /// the home directory now, `/home`, `/root`, `/usr` or `/etc`, however spelled, unrestricted
    /// TCP next to `write`), which [`build`](PolicyBuilder::build) refuses otherwise; like
    /// `broad` in the policy language, it is refused when nothing needs it.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// assert!(Policy::builder("t").read("/").build().is_err());
    /// assert!(Policy::builder("t").read("/").broad().build().is_ok());
    /// assert!(Policy::builder("t").read("/etc").broad().build().is_err());
    /// ```
    pub fn broad(mut self) -> Self {
        self.broad = true;
        self
    }

    /// Asks the kernel not to log this sandbox's denials (the `quiet` item; Landlock ABI 7):
    /// for code that expects denials and handles them, so that they do not show among the
    /// ones worth a look (see [`denials`](crate::denials)). Without it, denials are logged
    /// whenever the kernel's audit is on.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("probe").read("/etc").quiet().build().unwrap();
    /// assert!(policy.is_quiet());
    /// ```
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Leaves `rights` unhandled: the kernel does not restrict them, and they are allowed on
    /// every file. What a landlockconfig document written for an older ABI means (its
    /// `abi.all` does not name the rights that came later); the policy language has no such
    /// item. Any right but `ioctl_dev` and `refer` (which, unhandled, the kernel denies between
    /// directories) is then as broad as a grant on `/`, and needs [`broad`](Self::broad).
    pub(crate) fn leave_unhandled(mut self, rights: FsRights) -> Self {
        self.unhandled_fs = FsRights(self.unhandled_fs.0 | rights.0);
        self
    }

    /// The problems across the items (a template granted twice, broad grants and their
    /// acknowledgement), found by the checker the macros use, in the builder's words.
    fn problems(&self) -> Vec<String> {
        // `$HOME` matters only to a `write` grant: one on the home directory, however it is
        // named, is as broad as one on `$HOME`.
        let home = self
            .grants
            .iter()
            .any(|g| g.class == Class::Write)
            .then(super::home)
            .flatten();
        // Literal paths are checked as the kernel will see them, `..` resolved, so that
        // `/usr/../etc` is as broad as `/etc` (one through a symbolic link is checked where it
        // leads when the policy is prepared).
        let literals: Vec<Option<(String, String)>> = self
            .grants
            .iter()
            .map(|g| match &g.path {
                GrantPath::Literal(path) => Some((
                    path.to_string_lossy().into_owned(),
                    normal_path(path, DotDot::Resolve)
                        .to_string_lossy()
                        .into_owned(),
                )),
                _ => None,
            })
            .collect();
        let draft = Draft {
            grants: self
                .grants
                .iter()
                .zip(&literals)
                .map(|(g, literal)| CheckedGrant {
                    class: g.class.keyword(),
                    path: match &g.path {
                        GrantPath::Template(t) => CheckedPath::Template(t),
                        GrantPath::Argument(name) => CheckedPath::Argument(name),
                        GrantPath::Literal(_) => {
                            CheckedPath::Literal(literal.as_ref().map_or("", |(_, seen)| seen))
                        }
                    },
                })
                .collect(),
            connect_any: self.connect_any,
            bind_any: self.bind_any,
            broad: self.broad,
            unhandled_fs: self.unhandled_fs.names().collect(),
        };
        check(&draft, home.as_deref())
            .into_iter()
            .map(|problem| match problem {
                Problem::Broad { grant, .. } => {
                    let mut why = problem.describe(&draft);
                    if let Some((given, seen)) = &literals[grant]
                        && given != seen
                    {
                        why = format!("{why} (`{given}` leads there)");
                    }
                    format!("{why}; narrow it, or acknowledge it with `.broad()`")
                }
                Problem::BroadNetwork { kind } => format!(
                    "{kind}_any(): {}; narrow it, or acknowledge it with `.broad()`",
                    broad_network(kind)
                ),
                Problem::BroadUnused => {
                    "`.broad()` acknowledges a broad grant, and this policy has none: remove it"
                        .into()
                }
                Problem::BroadUnhandled => format!(
                    "{}; narrow it, or acknowledge it with `.broad()`",
                    problem.describe(&draft)
                ),
                _ => problem.describe(&draft),
            })
            .collect()
    }

    /// The policy, or every mistake found.
    ///
    /// ```
    /// use landlock_runtime::{ErrorKind, Policy};
    ///
    /// let err = Policy::builder("t").read("/srv").write("/srv").bind(0).build().unwrap_err();
    /// let ErrorKind::InvalidPolicy { problems } = err.kind() else { panic!("{err}") };
    /// assert_eq!(problems.len(), 2, "{problems:?}");
    /// assert!(Policy::builder("t").write("/srv").build().is_ok());
    /// ```
    pub fn build(mut self) -> Result<Policy, Error> {
        // A literal path given twice under one class is one grant, the first.
        let mut literals = std::collections::BTreeSet::new();
        let keep: Vec<bool> = self
            .grants
            .iter()
            .map(|g| match &g.path {
                GrantPath::Literal(path) => literals.insert((path.as_path(), g.class)),
                _ => true,
            })
            .collect();
        let mut keep = keep.into_iter();
        self.grants.retain(|_| keep.next().unwrap_or(true));
        let problems = self.problems();
        self.errors.extend(problems);
        if !self.errors.is_empty() {
            return Err(Error::new(
                self.origin,
                ErrorKind::InvalidPolicy {
                    problems: self.errors,
                },
            ));
        }
        let ports = |any: bool, ports: Vec<u16>| {
            if any {
                Ports::ANY
            } else {
                Ports::from_list(ports)
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
            unhandled_fs: self.unhandled_fs,
            binding: None,
            cwd: None,
            prepared: PreparationCell::new(),
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
        // Each item's own mistakes first, then those across items, as the macros report them.
        assert_eq!(
            problems[3],
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
                // Kept in its one spelling.
                "exec /srv/build",
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
                "`write = \"$HOME\"` lets the code rewrite all of `$HOME`; narrow it, or acknowledge it with `.broad()`",
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
        assert_eq!(p.connect(), &Ports::listed(&[80, 443]));
        assert_eq!(p.bind(), &Ports::ANY);
    }
}
