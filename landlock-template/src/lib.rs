//! Path templates of the landlock-sandbox policy language.
//!
//! One parser, used twice: by `landlock-macros` to reject bad paths at compile time, and by
//! `landlock-runtime` to resolve the same strings when a policy is enforced. Keeping it in one
//! dependency-free crate means the two can never disagree about what a path means.
//!
//! A template is an absolute path (`/etc`), or a variable followed by an optional absolute tail
//! (`$TMP`, `$HOME/.config`, `${XDG_RUNTIME_DIR}/app`). A trailing `?` marks the path optional.
//!
//! ```
//! use landlock_template::{PathTemplate, Base};
//!
//! let t = PathTemplate::parse("$HOME/.cache?").unwrap();
//! assert_eq!(t.base(), Base::Home);
//! assert_eq!(t.tail(), "/.cache");
//! assert!(t.is_optional());
//!
//! let err = PathTemplate::parse("etc/passwd").unwrap_err();
//! assert_eq!(err.to_string(), "relative path `etc/passwd`: a path must be absolute (start with `/`) or start with a variable such as `$TMP`");
//! ```

#![forbid(unsafe_code)]
#![no_std]

extern crate alloc;

pub mod check;

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use core::fmt;

/// The named variables a template may start with, with what each one means.
///
/// `${NAME}` (any environment variable) is accepted besides these.
///
/// ```
/// use landlock_template::{PathTemplate, VARIABLES};
///
/// for (name, _meaning) in VARIABLES {
///     assert!(PathTemplate::parse(&format!("${name}/data")).is_ok());
/// }
/// assert!(PathTemplate::parse("$TEMP/data").is_err());
/// ```
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "TMP",
        "the temporary directory (std::env::temp_dir: $TMPDIR, else /tmp)",
    ),
    ("HOME", "the environment variable HOME"),
    (
        "CWD",
        "the current working directory when the policy is first prepared",
    ),
    ("EXE_DIR", "the directory of the running executable"),
];

/// The names of the presets (`preset = "NAME"`), each a documented bundle of optional paths
/// defined by `landlock_runtime::Preset`.
///
/// ```
/// assert!(landlock_template::PRESETS.contains(&"tls_roots"));
/// assert!(!landlock_template::PRESETS.contains(&"tls"));
/// ```
pub const PRESETS: &[&str] = &[
    "dynamic_loader",
    "locale",
    "dns",
    "tls_roots",
    "devices",
    "cpu_info",
];

/// Paths whose `write` grant reaches far beyond one program's data (besides `/`, broad for
/// every class): the home directory, the tree of the users' homes, root's home, and the system
/// trees. At run time, a path that is the home directory (`$HOME`'s value) is as broad as
/// `$HOME` (see [`broad_resolved`]).
///
/// `/root` is here, not only when it is `$HOME`: it is the superuser's home on every system that
/// follows the FHS, and a grant to write all of it lets the code plant root's `.bashrc` or
/// `.ssh/authorized_keys`, whoever runs the program.
///
/// ```
/// use landlock_template::{BROAD_WRITE, broad_grant};
///
/// for path in BROAD_WRITE {
///     assert!(broad_grant("write", path).is_some());
///     assert_eq!(broad_grant("read", path), None);
/// }
/// ```
pub const BROAD_WRITE: &[&str] = &["$HOME", "/home", "/root", "/usr", "/etc"];

/// What [`normalize`] does with a `..` component.
///
/// ```
/// use landlock_template::{DotDot, normalize};
///
/// assert_eq!(normalize("/usr//../etc/", DotDot::Keep), "/usr/../etc");
/// assert_eq!(normalize("/usr//../etc/", DotDot::Resolve), "/etc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotDot {
    /// Kept where it is: for a path to open, whose `..` the kernel resolves after any symbolic
    /// link before it, which the text cannot know.
    Keep,
    /// Resolved in the text (`/usr/../etc` is `/etc`, `/..` is `/`): for a check, which must
    /// see the place a path names. That is where the kernel lands when no symbolic link comes
    /// before the `..`; a path through a symbolic link is checked again, where it leads, when
    /// it is opened.
    Resolve,
}

/// `path` in the one spelling every check and every open sees: repeated slashes collapsed
/// (a leading `//` included: Linux reads `//etc` as `/etc`), `.` components and trailing
/// slashes dropped, and `..` kept or resolved as `dot_dot` says. Purely lexical: no system
/// call, no symbolic link followed. Borrowed when `path` is already in that spelling (a
/// prefix of it when only trailing slashes go).
///
/// The policy language refuses `.` and `..` in a written path and in a variable's value
/// ([`PathTemplate::parse`]); a path taken literally (the builder's `*_path`, a function's
/// argument, the runner's options, a landlockconfig file) may hold them, and keeps its `..`
/// for the kernel to resolve, while the checks see it resolved.
///
/// ```
/// use landlock_template::{DotDot, normalize};
///
/// assert_eq!(normalize("//etc", DotDot::Keep), "/etc");
/// assert_eq!(normalize("/etc/./ssl//", DotDot::Keep), "/etc/ssl");
/// assert_eq!(normalize("///", DotDot::Keep), "/");
/// assert_eq!(normalize("/../..", DotDot::Resolve), "/");
/// assert!(matches!(normalize("/etc/ssl", DotDot::Keep), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalize(path: &str, dot_dot: DotDot) -> Cow<'_, str> {
    match normalize_bytes(path.as_bytes(), dot_dot) {
        // A borrowed spelling is a prefix of `path` that ends before a `/`: a char boundary.
        Cow::Borrowed(bytes) => Cow::Borrowed(&path[..bytes.len()]),
        Cow::Owned(bytes) => Cow::Owned(
            String::from_utf8(bytes).expect("components of UTF-8 split at `/` joined by `/`"),
        ),
    }
}

/// [`normalize`], on the bytes of a path that need not be UTF-8 (a Linux file name is any
/// bytes but `/` and NUL).
///
/// ```
/// use landlock_template::{DotDot, normalize_bytes};
///
/// assert_eq!(&*normalize_bytes(b"//srv/caf\xe9/./", DotDot::Keep), b"/srv/caf\xe9");
/// assert_eq!(&*normalize_bytes(b"a//b/../c", DotDot::Resolve), b"a/c");
/// assert_eq!(&*normalize_bytes(b"./.", DotDot::Keep), b".");
/// ```
pub fn normalize_bytes(path: &[u8], dot_dot: DotDot) -> Cow<'_, [u8]> {
    let absolute = path.first() == Some(&b'/');
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        // Only slashes (`/`, `//`), or nothing.
        None => return Cow::Borrowed(&path[..path.len().min(1)]),
    };
    let body = trimmed.strip_prefix(b"/").unwrap_or(trimmed);
    let changes =
        |c: &[u8]| c.is_empty() || c == b"." || (dot_dot == DotDot::Resolve && c == b"..");
    if !body.split(|&b| b == b'/').any(changes) {
        return Cow::Borrowed(trimmed);
    }
    let mut kept: Vec<&[u8]> = Vec::new();
    for component in body.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." if dot_dot == DotDot::Resolve => match kept.last() {
                Some(&last) if last != b".." => {
                    kept.pop();
                }
                // `/..` is `/`; a relative path keeps the `..` it cannot resolve.
                _ if absolute => {}
                _ => kept.push(component),
            },
            _ => kept.push(component),
        }
    }
    let mut out = Vec::with_capacity(trimmed.len());
    for component in &kept {
        if absolute || !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(component);
    }
    if out.is_empty() {
        out.push(if absolute { b'/' } else { b'.' });
    }
    Cow::Owned(out)
}

/// A template as compared with others: without its optional marker, and normalised
/// ([`normalize`], `..` resolved), so that `/etc`, `//etc/` and `/etc?` are one path.
///
/// ```
/// assert_eq!(landlock_template::path_key("/etc/?"), "/etc");
/// assert_eq!(landlock_template::path_key("//etc"), "/etc");
/// assert_eq!(landlock_template::path_key("$TMP//"), "$TMP");
/// assert_eq!(landlock_template::path_key("/"), "/");
/// ```
pub fn path_key(template: &str) -> Cow<'_, str> {
    normalize(
        template.strip_suffix('?').unwrap_or(template),
        DotDot::Resolve,
    )
}

/// What is wrong with granting one path under two classes (`read`, `write` or `exec`), the
/// second after the first, or `None` when the two together say something neither says alone.
///
/// `write` and `exec` on one path grant both (their union: a build or plugin directory that a
/// program writes files into and runs them from). The same class twice says nothing more, and
/// `read` beside a wider class says nothing the wider one does not.
///
/// ```
/// use landlock_template::{ClassConflict, class_conflict};
///
/// assert_eq!(class_conflict("write", "exec"), None);
/// assert_eq!(class_conflict("read", "read"), Some(ClassConflict::Repeated));
/// assert_eq!(class_conflict("exec", "read"), Some(ClassConflict::ReadBesideWider("exec")));
/// ```
pub fn class_conflict<'a>(first: &'a str, second: &'a str) -> Option<ClassConflict<'a>> {
    match (first, second) {
        _ if first == second => Some(ClassConflict::Repeated),
        ("read", wider) | (wider, "read") => Some(ClassConflict::ReadBesideWider(wider)),
        _ => None,
    }
}

/// Why one path under two classes is refused; see [`class_conflict`].
///
/// ```
/// use landlock_template::{ClassConflict, class_conflict};
///
/// assert_eq!(class_conflict("exec", "exec"), Some(ClassConflict::Repeated));
/// assert_eq!(class_conflict("read", "write"), Some(ClassConflict::ReadBesideWider("write")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassConflict<'a> {
    /// The same class twice.
    Repeated,
    /// `read` beside this wider class, which includes what `read` grants.
    ReadBesideWider(&'a str),
}

impl ClassConflict<'_> {
    /// The message for `path`, granted under `first` and then again under `second`.
    ///
    /// ```
    /// let conflict = landlock_template::class_conflict("read", "write").unwrap();
    /// assert_eq!(
    ///     conflict.describe("/srv", "read", "write"),
    ///     "`/srv` is already granted under `read`: `write` includes what `read` grants, so list it under `write` alone",
    /// );
    /// ```
    pub fn describe(&self, path: &str, first: &str, second: &str) -> String {
        match self {
            ClassConflict::Repeated => {
                format!("`{path}` is listed twice under `{second}`: remove one")
            }
            ClassConflict::ReadBesideWider(wider) => format!(
                "`{path}` is already granted under `{first}`: `{wider}` includes what `read` grants, so list it under `{wider}` alone"
            ),
        }
    }
}

/// Why a grant of `class` (`read`, `write` or `exec`) on `template` is broad enough that review
/// must see it acknowledged (`broad` in the policy), or `None` when it is not: any class on
/// `/`, and `write` on a home or system tree ([`BROAD_WRITE`]), however the path is spelled.
/// This is the rule known when the policy is compiled; [`broad_resolved`] adds what only the
/// running process knows.
///
/// ```
/// use landlock_template::broad_grant;
///
/// assert!(broad_grant("write", "$HOME").is_some());
/// assert!(broad_grant("read", "/?").is_some());
/// assert!(broad_grant("write", "//etc/").is_some());
/// assert_eq!(broad_grant("read", "$HOME"), None);
/// assert_eq!(broad_grant("write", "$HOME/.cache/app"), None);
/// ```
pub fn broad_grant(class: &str, template: &str) -> Option<BroadGrant> {
    broad_normal(class, &path_key(template), None)
}

/// Why a grant of `class` on `path` is broad, for a path known when the process runs: a
/// path a template resolved to, a literal path, or an absolute template checked again then.
/// The rule of [`broad_grant`], on the path normalised ([`normalize`], `..` resolved), plus
/// the home directory: `home` is `$HOME`'s value, if set, and a `write` grant on it is as
/// broad as one on `$HOME`, so that neither a variable nor a literal spelling of the home
/// makes a grant broad that review did not see acknowledged.
///
/// ```
/// use landlock_template::{BroadGrant, broad_resolved};
///
/// assert!(broad_resolved("read", "/", None).is_some());
/// assert!(broad_resolved("write", "/usr/", None).is_some());
/// assert!(broad_resolved("write", "//etc", None).is_some());
/// assert_eq!(broad_resolved("write", "/home/me", Some("/home/me/")), Some(BroadGrant::Home));
/// assert_eq!(broad_resolved("read", "/home/me", Some("/home/me")), None);
/// assert_eq!(broad_resolved("write", "/tmp", Some("/home/me")), None);
/// // A `?` is part of a literal name: `/etc?` is not `/etc`.
/// assert_eq!(broad_resolved("write", "/etc?", None), None);
/// ```
pub fn broad_resolved(class: &str, path: &str, home: Option<&str>) -> Option<BroadGrant> {
    broad_normal(class, &normalize(path, DotDot::Resolve), home)
}

/// The broad-grant rule on a normalised path (or a template's key).
fn broad_normal(class: &str, path: &str, home: Option<&str>) -> Option<BroadGrant> {
    if path == "/" {
        return Some(BroadGrant::WholeFilesystem);
    }
    if class != "write" {
        return None;
    }
    if let Some(tree) = BROAD_WRITE.iter().find(|tree| **tree == path) {
        return Some(BroadGrant::WritesTree(tree));
    }
    // An empty or relative `HOME` names no directory a grant could be.
    let home = home.map(|h| normalize(h, DotDot::Resolve));
    home.is_some_and(|h| h.starts_with('/') && h == path)
        .then_some(BroadGrant::Home)
}

/// Why a grant is broad; see [`broad_grant`] and [`broad_resolved`].
///
/// ```
/// use landlock_template::{BroadGrant, broad_grant};
///
/// assert_eq!(broad_grant("exec", "/"), Some(BroadGrant::WholeFilesystem));
/// assert_eq!(broad_grant("write", "/etc/"), Some(BroadGrant::WritesTree("/etc")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BroadGrant {
    /// Any class on `/`.
    WholeFilesystem,
    /// `write` on this home or system tree, one of [`BROAD_WRITE`].
    WritesTree(&'static str),
    /// `write` on the path that is, in the running process, the home directory (`$HOME`).
    Home,
}

impl BroadGrant {
    /// The reason, for the grant of `class` on `template` as written.
    ///
    /// ```
    /// use landlock_template::{BroadGrant, broad_grant};
    ///
    /// let why = broad_grant("write", "/usr/").unwrap();
    /// assert_eq!(why.describe("write", "/usr/"), "`write = \"/usr/\"` lets the code rewrite all of `/usr`");
    /// assert_eq!(
    ///     BroadGrant::Home.describe("write", "/home/me"),
    ///     "`write = \"/home/me\"` lets the code rewrite all of the home directory (`$HOME` is `/home/me`)",
    /// );
    /// ```
    pub fn describe(&self, class: &str, template: &str) -> String {
        match self {
            BroadGrant::WholeFilesystem => {
                format!("`{class} = \"{template}\"` grants {class} on the whole filesystem")
            }
            BroadGrant::WritesTree(path) => {
                format!("`write = \"{template}\"` lets the code rewrite all of `{path}`")
            }
            BroadGrant::Home => format!(
                "`write = \"{template}\"` lets the code rewrite all of the home directory (`$HOME` is `{}`)",
                normalize(template, DotDot::Resolve)
            ),
        }
    }
}

/// Why unrestricted TCP `kind` (`connect` or `bind`) next to a `write` grant is broad.
///
/// ```
/// assert_eq!(
///     landlock_template::broad_network("bind").to_string(),
///     "unrestricted TCP bind together with `write`: it can fetch and store, or read and send, anything",
/// );
/// ```
pub fn broad_network(kind: &str) -> impl fmt::Display + '_ {
    struct Why<'a>(&'a str);
    impl fmt::Display for Why<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "unrestricted TCP {} together with `write`: it can fetch and store, or read and send, anything",
                self.0
            )
        }
    }
    Why(kind)
}

/// Where a template's path starts.
///
/// ```
/// use landlock_template::{Base, PathTemplate};
///
/// assert_eq!(PathTemplate::parse("/etc").unwrap().base(), Base::Root);
/// assert_eq!(PathTemplate::parse("$EXE_DIR/data").unwrap().base(), Base::ExeDir);
/// assert_eq!(Base::Env("XDG_RUNTIME_DIR").to_string(), "${XDG_RUNTIME_DIR}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base<'a> {
    /// `/`: the template is an absolute path.
    Root,
    /// `$TMP`: `std::env::temp_dir()`.
    Tmp,
    /// `$HOME`: the `HOME` environment variable.
    Home,
    /// `$CWD`: the current working directory.
    Cwd,
    /// `$EXE_DIR`: the directory that holds the running executable.
    ExeDir,
    /// `${NAME}`: the environment variable `NAME`.
    Env(&'a str),
}

impl fmt::Display for Base<'_> {
    /// Writes the base as it is spelled in a template (`/` for [`Base::Root`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base::Root => f.write_str("/"),
            Base::Tmp => f.write_str("$TMP"),
            Base::Home => f.write_str("$HOME"),
            Base::Cwd => f.write_str("$CWD"),
            Base::ExeDir => f.write_str("$EXE_DIR"),
            Base::Env(name) => write!(f, "${{{name}}}"),
        }
    }
}

/// A parsed path template, borrowing the string it was parsed from.
///
/// ```
/// use landlock_template::{PathTemplate, Base};
///
/// let t = PathTemplate::parse("${XDG_RUNTIME_DIR}/app").unwrap();
/// assert_eq!(t.base(), Base::Env("XDG_RUNTIME_DIR"));
/// assert_eq!(t.tail(), "/app");
/// assert!(!t.is_optional());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathTemplate<'a> {
    source: &'a str,
    base: Base<'a>,
    tail: &'a str,
    optional: bool,
}

impl<'a> PathTemplate<'a> {
    /// Parses a template; the error says what is wrong and where.
    ///
    /// ```
    /// use landlock_template::{PathTemplate, TemplateErrorKind};
    ///
    /// assert_eq!(
    ///     PathTemplate::parse("/srv/../etc").unwrap_err().kind(),
    ///     &TemplateErrorKind::DotDot,
    /// );
    /// ```
    pub fn parse(source: &'a str) -> Result<Self, TemplateError<'a>> {
        let err = |kind| TemplateError { source, kind };
        let (body, optional) = split_optional(source).map_err(err)?;
        let (base, tail) = split_base(body).map_err(err)?;
        check_tail(base, tail).map_err(err)?;
        Ok(PathTemplate {
            source,
            base,
            tail,
            optional,
        })
    }

    /// The string the template was parsed from, as written (with any trailing `?`).
    ///
    /// ```
    /// let t = landlock_template::PathTemplate::parse("$HOME/.cache?").unwrap();
    /// assert_eq!(t.source(), "$HOME/.cache?");
    /// ```
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// Where the path starts.
    ///
    /// ```
    /// use landlock_template::{Base, PathTemplate};
    ///
    /// assert_eq!(PathTemplate::parse("$TMP/x").unwrap().base(), Base::Tmp);
    /// assert_eq!(PathTemplate::parse("${DATA}").unwrap().base(), Base::Env("DATA"));
    /// ```
    pub fn base(&self) -> Base<'a> {
        self.base
    }

    /// What follows the base: empty, or an absolute path (`/...`). For [`Base::Root`] it is the
    /// whole path.
    ///
    /// ```
    /// use landlock_template::PathTemplate;
    ///
    /// assert_eq!(PathTemplate::parse("/etc/ssl?").unwrap().tail(), "/etc/ssl");
    /// assert_eq!(PathTemplate::parse("$TMP").unwrap().tail(), "");
    /// assert_eq!(PathTemplate::parse("$HOME/.config").unwrap().tail(), "/.config");
    /// ```
    pub fn tail(&self) -> &'a str {
        self.tail
    }

    /// Whether the path was marked optional with a trailing `?`.
    ///
    /// ```
    /// use landlock_template::PathTemplate;
    ///
    /// assert!(PathTemplate::parse("/opt/app?").unwrap().is_optional());
    /// assert!(!PathTemplate::parse("/opt/app").unwrap().is_optional());
    /// ```
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// The template without its optional marker, e.g. `$HOME/.cache` for `$HOME/.cache?`.
    ///
    /// ```
    /// use landlock_template::PathTemplate;
    ///
    /// assert_eq!(PathTemplate::parse("$HOME/.cache?").unwrap().path(), "$HOME/.cache");
    /// assert_eq!(PathTemplate::parse("/etc/").unwrap().path(), "/etc/");
    /// ```
    pub fn path(&self) -> &'a str {
        self.source.strip_suffix('?').unwrap_or(self.source)
    }

    /// The template in its one spelling ([`normalize`]): repeated and trailing slashes gone
    /// (`//etc/` is `/etc`, `$TMP//out/?` is `$TMP/out?`, `$TMP/` is `$TMP`), with its marker.
    /// What a policy keeps, so that review, the checks and the open all see one spelling.
    /// Borrowed when the template is already spelled so.
    ///
    /// ```
    /// use landlock_template::PathTemplate;
    ///
    /// let normal = |s| PathTemplate::parse(s).unwrap().normalized().into_owned();
    /// assert_eq!(normal("//etc/"), "/etc");
    /// assert_eq!(normal("$TMP//out/?"), "$TMP/out?");
    /// assert_eq!(normal("${DATA}/"), "${DATA}");
    /// assert_eq!(normal("/"), "/");
    /// ```
    pub fn normalized(&self) -> Cow<'a, str> {
        let path = self.path();
        let head = &path[..path.len() - self.tail.len()];
        let tail = normalize(self.tail, DotDot::Keep);
        // After a variable, `/` alone adds nothing.
        let tail: &str = if self.base != Base::Root && tail == "/" {
            ""
        } else {
            &tail
        };
        if tail == self.tail {
            return Cow::Borrowed(self.source);
        }
        let marker = if self.optional { "?" } else { "" };
        Cow::Owned(format!("{head}{tail}{marker}"))
    }
}

/// The template without its optional marker, and whether it had one; the characters no
/// template may hold refused.
fn split_optional(source: &str) -> Result<(&str, bool), TemplateErrorKind<'_>> {
    let (body, optional) = match source.strip_suffix('?') {
        Some(body) => (body, true),
        None => (source, false),
    };
    if body.is_empty() {
        Err(TemplateErrorKind::Empty)
    } else if body.contains('\0') {
        Err(TemplateErrorKind::Nul)
    } else if body.contains('?') {
        Err(TemplateErrorKind::QuestionMark)
    } else {
        Ok((body, optional))
    }
}

/// Where `body` starts (`/` or a variable), and what follows its variable.
fn split_base(body: &str) -> Result<(Base<'_>, &str), TemplateErrorKind<'_>> {
    if body.starts_with('/') {
        return Ok((Base::Root, body));
    }
    if let Some(rest) = body.strip_prefix("${") {
        let end = rest.find('}').ok_or(TemplateErrorKind::UnclosedBrace)?;
        let name = &rest[..end];
        if !is_env_name(name) {
            return Err(TemplateErrorKind::BadVariableName(name));
        }
        return Ok((Base::Env(name), &rest[end + 1..]));
    }
    let rest = body.strip_prefix('$').ok_or(TemplateErrorKind::Relative)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let base = match name {
        "TMP" => Base::Tmp,
        "HOME" => Base::Home,
        "CWD" => Base::Cwd,
        "EXE_DIR" => Base::ExeDir,
        "" => return Err(TemplateErrorKind::BadVariableName(name)),
        _ => return Err(TemplateErrorKind::UnknownVariable(name)),
    };
    Ok((base, &rest[end..]))
}

/// Refuses a tail that does not continue its base with `/`, holds a variable, or a `.` or
/// `..` component.
fn check_tail<'a>(base: Base<'a>, tail: &'a str) -> Result<(), TemplateErrorKind<'a>> {
    if base != Base::Root && !tail.is_empty() && !tail.starts_with('/') {
        return Err(TemplateErrorKind::VariableNotFollowedBySlash);
    }
    if tail.contains('$') {
        return Err(TemplateErrorKind::VariableInside);
    }
    for component in tail.split('/') {
        match component {
            ".." => return Err(TemplateErrorKind::DotDot),
            "." => return Err(TemplateErrorKind::Dot),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `name` may stand in `${NAME}`: a letter or `_`, then letters, digits or `_`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why a template was rejected.
///
/// ```
/// use landlock_template::{PathTemplate, TemplateErrorKind};
///
/// let kind = |s| *PathTemplate::parse(s).unwrap_err().kind();
/// assert_eq!(kind("$TEMP/x"), TemplateErrorKind::UnknownVariable("TEMP"));
/// assert_eq!(kind("$TMPdir"), TemplateErrorKind::UnknownVariable("TMPdir"));
/// assert_eq!(kind("$TMP-dir"), TemplateErrorKind::VariableNotFollowedBySlash);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateErrorKind<'a> {
    /// The string is empty (or only `?`).
    Empty,
    /// Neither `/` nor `$` starts the path.
    Relative,
    /// A `..` component.
    DotDot,
    /// A `.` component.
    Dot,
    /// A NUL byte.
    Nul,
    /// A `?` anywhere but at the end.
    QuestionMark,
    /// `$NAME` where `NAME` is not one of [`VARIABLES`].
    UnknownVariable(&'a str),
    /// `${` without a closing `}`.
    UnclosedBrace,
    /// `${}` or `$` with an empty or malformed name.
    BadVariableName(&'a str),
    /// A variable followed by something other than `/` (e.g. `$TMP-dir`; `$TMPdir` is the
    /// unknown variable `TMPdir`).
    VariableNotFollowedBySlash,
    /// A `$` after the start of the path.
    VariableInside,
}

/// A template that could not be parsed: the string and what is wrong with it.
///
/// ```
/// use landlock_template::PathTemplate;
///
/// let err = PathTemplate::parse("/srv/./data").unwrap_err();
/// assert_eq!(err.to_string(), "`.` component in `/srv/./data`: write the path without it");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateError<'a> {
    source: &'a str,
    kind: TemplateErrorKind<'a>,
}

impl<'a> TemplateError<'a> {
    /// What is wrong.
    ///
    /// ```
    /// use landlock_template::{PathTemplate, TemplateErrorKind};
    ///
    /// let err = PathTemplate::parse("${HOME").unwrap_err();
    /// assert_eq!(err.kind(), &TemplateErrorKind::UnclosedBrace);
    /// ```
    pub fn kind(&self) -> &TemplateErrorKind<'a> {
        &self.kind
    }

    /// The rejected string.
    ///
    /// ```
    /// let err = landlock_template::PathTemplate::parse("etc/hosts?").unwrap_err();
    /// assert_eq!(err.source(), "etc/hosts?");
    /// ```
    pub fn source(&self) -> &'a str {
        self.source
    }
}

impl fmt::Display for TemplateError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.source;
        match self.kind {
            TemplateErrorKind::Empty => f.write_str("empty path: name a file or directory"),
            TemplateErrorKind::Relative => write!(
                f,
                "relative path `{s}`: a path must be absolute (start with `/`) or start with a variable such as `$TMP`"
            ),
            TemplateErrorKind::DotDot => write!(
                f,
                "`..` in `{s}`: write the path it leads to instead, so that review sees what is granted"
            ),
            TemplateErrorKind::Dot => {
                write!(f, "`.` component in `{s}`: write the path without it")
            }
            TemplateErrorKind::Nul => write!(f, "NUL byte in `{}`", s.escape_default()),
            TemplateErrorKind::QuestionMark => write!(
                f,
                "`?` inside `{s}`: a `?` may only end a path, to make it optional"
            ),
            TemplateErrorKind::UnknownVariable(name) => {
                write!(f, "unknown variable `${name}` in `{s}`: expected one of ")?;
                for (i, (var, _)) in VARIABLES.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}`${var}`")?;
                }
                write!(f, ", or `${{{name}}}` for the environment variable {name}")
            }
            TemplateErrorKind::UnclosedBrace => {
                write!(f, "unclosed `${{` in `{s}`: write `${{NAME}}`")
            }
            TemplateErrorKind::BadVariableName(name) => write!(
                f,
                "malformed variable `{name}` in `{s}`: a name is a letter or `_` followed by letters, digits or `_`, as in `${{XDG_RUNTIME_DIR}}`"
            ),
            TemplateErrorKind::VariableNotFollowedBySlash => write!(
                f,
                "`{s}`: a variable must be followed by `/` or end the path"
            ),
            TemplateErrorKind::VariableInside => {
                write!(f, "`$` inside `{s}`: a variable may only start a path")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (Base<'_>, &str, bool) {
        let t = PathTemplate::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (t.base(), t.tail(), t.is_optional())
    }

    fn kind(s: &str) -> TemplateErrorKind<'_> {
        *PathTemplate::parse(s).unwrap_err().kind()
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(ok("/"), (Base::Root, "/", false));
        assert_eq!(ok("/etc"), (Base::Root, "/etc", false));
        assert_eq!(ok("/etc/ssl/"), (Base::Root, "/etc/ssl/", false));
        assert_eq!(ok("/opt/app?"), (Base::Root, "/opt/app", true));
        assert_eq!(ok("/a b/ü"), (Base::Root, "/a b/ü", false));
        assert_eq!(ok("/a/..b/.c"), (Base::Root, "/a/..b/.c", false));
    }

    #[test]
    fn named_variables() {
        assert_eq!(ok("$TMP"), (Base::Tmp, "", false));
        assert_eq!(ok("$TMP/x"), (Base::Tmp, "/x", false));
        assert_eq!(ok("$HOME/.config?"), (Base::Home, "/.config", true));
        assert_eq!(ok("$CWD"), (Base::Cwd, "", false));
        assert_eq!(ok("$EXE_DIR/data"), (Base::ExeDir, "/data", false));
        assert_eq!(ok("$TMP?"), (Base::Tmp, "", true));
    }

    #[test]
    fn environment_variables() {
        assert_eq!(
            ok("${XDG_RUNTIME_DIR}"),
            (Base::Env("XDG_RUNTIME_DIR"), "", false)
        );
        assert_eq!(ok("${_X1}/a?"), (Base::Env("_X1"), "/a", true));
        assert_eq!(ok("${TMP}"), (Base::Env("TMP"), "", false));
    }

    #[test]
    fn rejected() {
        assert_eq!(kind(""), TemplateErrorKind::Empty);
        assert_eq!(kind("?"), TemplateErrorKind::Empty);
        assert_eq!(kind("etc"), TemplateErrorKind::Relative);
        assert_eq!(kind("./etc"), TemplateErrorKind::Relative);
        assert_eq!(kind("~/x"), TemplateErrorKind::Relative);
        assert_eq!(kind("/a/../b"), TemplateErrorKind::DotDot);
        assert_eq!(kind("/.."), TemplateErrorKind::DotDot);
        assert_eq!(kind("$TMP/.."), TemplateErrorKind::DotDot);
        assert_eq!(kind("/a/./b"), TemplateErrorKind::Dot);
        assert_eq!(kind("/a\0b"), TemplateErrorKind::Nul);
        assert_eq!(kind("/a?b"), TemplateErrorKind::QuestionMark);
        assert_eq!(kind("/a??"), TemplateErrorKind::QuestionMark);
        assert_eq!(kind("$TEMP"), TemplateErrorKind::UnknownVariable("TEMP"));
        assert_eq!(kind("$tmp/x"), TemplateErrorKind::UnknownVariable("tmp"));
        assert_eq!(kind("${HOME"), TemplateErrorKind::UnclosedBrace);
        assert_eq!(kind("${}"), TemplateErrorKind::BadVariableName(""));
        assert_eq!(kind("${1X}"), TemplateErrorKind::BadVariableName("1X"));
        assert_eq!(kind("${A-B}"), TemplateErrorKind::BadVariableName("A-B"));
        assert_eq!(kind("$"), TemplateErrorKind::BadVariableName(""));
        assert_eq!(kind("$/x"), TemplateErrorKind::BadVariableName(""));
        assert_eq!(kind("${X}y"), TemplateErrorKind::VariableNotFollowedBySlash);
        assert_eq!(
            kind("$TMP-x"),
            TemplateErrorKind::VariableNotFollowedBySlash
        );
        assert_eq!(kind("/a/$TMP"), TemplateErrorKind::VariableInside);
        assert_eq!(kind("$TMP/${X}"), TemplateErrorKind::VariableInside);
    }

    #[test]
    fn messages_name_the_problem() {
        extern crate std;
        use std::string::ToString;
        let msg = PathTemplate::parse("$TEMP/x").unwrap_err().to_string();
        assert_eq!(
            msg,
            "unknown variable `$TEMP` in `$TEMP/x`: expected one of `$TMP`, `$HOME`, `$CWD`, `$EXE_DIR`, or `${TEMP}` for the environment variable TEMP"
        );
        let msg = PathTemplate::parse("${HOME").unwrap_err().to_string();
        assert_eq!(msg, "unclosed `${` in `${HOME`: write `${NAME}`");
    }

    #[test]
    fn path_drops_only_the_marker() {
        assert_eq!(PathTemplate::parse("$TMP/a?").unwrap().path(), "$TMP/a");
        assert_eq!(PathTemplate::parse("/a").unwrap().path(), "/a");
        assert_eq!(PathTemplate::parse("$TMP/a?").unwrap().source(), "$TMP/a?");
    }

    #[test]
    fn one_spelling_of_a_path() {
        let n = |s: &str, d| normalize(s, d).into_owned();
        for (given, keep, resolve) in [
            ("", "", ""),
            ("/", "/", "/"),
            ("//", "/", "/"),
            ("//etc", "/etc", "/etc"),
            ("///etc///ssl//", "/etc/ssl", "/etc/ssl"),
            ("/etc/.", "/etc", "/etc"),
            ("/./etc/./", "/etc", "/etc"),
            ("/usr/../etc", "/usr/../etc", "/etc"),
            ("//usr//..//etc//", "/usr/../etc", "/etc"),
            ("/..", "/..", "/"),
            ("/a/..b/.c", "/a/..b/.c", "/a/..b/.c"),
            ("a//b/", "a/b", "a/b"),
            ("./.", ".", "."),
            ("../a/..", "../a/..", ".."),
        ] {
            assert_eq!(n(given, DotDot::Keep), keep, "{given:?}");
            assert_eq!(n(given, DotDot::Resolve), resolve, "{given:?}");
            // Once is enough.
            assert_eq!(n(keep, DotDot::Keep), keep, "{given:?}");
            assert_eq!(n(resolve, DotDot::Resolve), resolve, "{given:?}");
        }
        assert!(matches!(
            normalize("/etc/", DotDot::Keep),
            Cow::Borrowed("/etc")
        ));
    }

    #[test]
    fn every_spelling_of_a_broad_path_is_broad() {
        for spelling in ["//etc", "/etc/", "///etc/./", "/usr/../etc", "//root"] {
            assert!(
                broad_resolved("write", spelling, None).is_some(),
                "{spelling}"
            );
            assert!(broad_grant("write", spelling).is_some(), "{spelling}");
        }
        for spelling in ["//", "/.", "/tmp/..", "///"] {
            assert_eq!(
                broad_resolved("read", spelling, None),
                Some(BroadGrant::WholeFilesystem),
                "{spelling}"
            );
        }
        for home in ["/home/me", "//home/me/", "/home/./me"] {
            assert_eq!(
                broad_resolved("write", "/home//me", Some(home)),
                Some(BroadGrant::Home),
                "{home}"
            );
        }
        assert_eq!(broad_resolved("write", "/home/me", Some("")), None);
        assert_eq!(broad_resolved("write", "home/me", Some("home/me")), None);
    }

    #[test]
    fn base_displays_as_written() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Base::Env("X").to_string(), "${X}");
        assert_eq!(Base::ExeDir.to_string(), "$EXE_DIR");
    }
}
