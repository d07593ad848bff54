//! Policies other tools can read: the Landlock project's configuration format,
//! [landlockconfig](https://github.com/landlock-lsm/landlockconfig), in JSON or TOML.
//!
//! A landlockconfig document describes **one** Landlock ruleset: the rights it handles
//! (`ruleset`), the paths and TCP ports it allows (`path_beneath`, `net_port`; `pathBeneath`,
//! `netPort` in JSON), and `variable`s its paths may use. Tools such as `island` and the
//! format's own runner, `llconfig`, enforce it. [`to_json`] and [`to_toml`] write a policy in it,
//! [`registered_to_json`] every sandbox of the binary; [`Import`] (or [`from_json`],
//! [`from_toml`], [`from_file`]) reads a document as a [`PolicyBuilder`], whose
//! [`build`](PolicyBuilder::build) makes the checks every policy gets.
//!
//! ```
//! use landlock_runtime::{landlockconfig, Policy};
//!
//! let policy = Policy::builder("worker").read("/usr/share").connect(443).build().unwrap();
//! let json = landlockconfig::to_json(&policy).unwrap();
//! assert!(json.contains(r#""connect_tcp""#));
//!
//! let back = landlockconfig::from_json(&json, "worker").unwrap().build().unwrap();
//! assert_eq!(back.grants(), policy.grants());
//! assert_eq!(back.connect(), policy.connect());
//! ```
//!
//! The format is young and changes; this module follows its JSON schema
//! (`schema/landlockconfig.json`) with the `abi` key and the `abi.*` groups. Older documents
//! with `v1.all`-style groups are refused, as the format's own parser now refuses them. The
//! TOML spelling needs the `toml` feature (on by default).
//!
//! # Export
//!
//! | the policy | the document |
//! | --- | --- |
//! | every filesystem right | `handled_access_fs`: the 16 rights the format names, `execute` to `ioctl_dev` |
//! | `read = PATHS` | a `path_beneath` entry allowing `read_file`, `read_dir` on them |
//! | `exec = PATHS` | one allowing `execute`, `read_file`, `read_dir` |
//! | `write = PATHS` | one allowing every right but `execute` |
//! | `write` and `exec` on one path | the path in both entries (the format merges them) |
//! | `$HOME`, `$TMP`, `$CWD`, `$EXE_DIR`, `${NAME}` | `${HOME}`, `${TMP}`, `${CWD}`, `${EXE_DIR}`, `${NAME}`, and a `variable` holding the value this process sees: the format's variables hold literal values, not the environment |
//! | an optional path (`?`) | the path where it exists here, and nothing where it does not: the format has no optional mark (its tools skip a missing path, with a warning) |
//! | `preset = NAMES` | the presets' paths, as optional paths |
//! | `connect`, `bind` | `handled_access_net` (`connect_tcp`, `bind_tcp`) unless `"*"`, and a `net_port` entry per kind |
//! | the scopes | `scoped` (`abstract_unix_socket`, `signal`) unless opted out |
//! | `strict`, `quiet`, `process`, `broad` | nothing: the format has no such settings |
//!
//! Rights are written one by one, never as `abi.*` groups, so that the document means the same
//! to a tool whatever ABI it has; `abi` is the newest ABI among them (6 with a scope, else 5).
//! A variable whose name the format cannot have (`${_DIR}`), or a name that would hold two
//! values (`$TMP` and `${TMP}`), is written out as the path it resolves to. A `$` in a path is
//! written `$$`, as the format escapes it. Rights the format cannot name yet (`resolve_unix`, ABI
//! 9; UDP, ABI 10) are not in the document: a tool enforcing it leaves them allowed, where the
//! policy would deny them. A policy cannot be exported ([`ExportError`]) when it grants the paths
//! or ports of a function's argument (known only at each call), when a path is not UTF-8 (the format's
//! paths are strings), or when a template cannot be resolved here.
//!
//! # Several policies
//!
//! A binary has a sandbox per function, and the format describes one ruleset. So
//! [`registered_to_json`] writes one document per policy, in an envelope keyed by function:
//! `{"version": 1, "policies": [{"function", "file", "line", "config": DOCUMENT}, ...]}` (or
//! `"error"` instead of `"config"` for a policy that cannot be exported). Pick one with
//! `jq '.policies[] | select(.function == "app::main") | .config'`. Do not hand several to a
//! tool at once (`llconfig` and `island` compose the files of a directory): composing
//! intersects what the documents handle, which is looser than any of the policies.
//!
//! # Import
//!
//! Every path is expanded (variables, `$$`), made absolute against the current directory now
//! (as the format's tools resolve it against theirs), with `.` components and repeated or
//! trailing slashes dropped. The entries that name one path are merged, as the format merges
//! them, and the path gets the class that allows exactly what the document allows there (its
//! own rights and those of the directories above it together), never more than its own rights:
//!
//! | rights on a path | class |
//! | --- | --- |
//! | `read_file`, `read_dir` | `read` |
//! | `execute`, `read_file`, `read_dir` | `exec` |
//! | every right but `execute` (`abi.read_write`) | `write` |
//! | every right | `write` and `exec` |
//!
//! Two tolerances, both denying no more than the kernel would: `refer` beside `read` or `exec`
//! rights (`abi.read_execute` has it) is dropped, so a file there can only not be linked or
//! renamed into another directory (the kernel answers EXDEV); and on a path that is not a
//! directory now, only the rights that apply to a file are compared (`read_file` alone on a
//! file is `read`), as a rule on a file carries no other. Any other set of rights is refused
//! with [`ImportError::Inexpressible`], naming the entry, the rights, and what the nearest class
//! would grant or not; so is port 0, and a document that handles no right at all.
//!
//! A filesystem right the document does not handle (`ioctl_dev` in a document written for ABI
//! 4, whose `abi.all` does not name it) is left unhandled by the policy too, and so allowed on
//! every file, exactly as the format's tools enforce the document: classes are compared on the
//! handled rights only, [`Policy::unhandled_fs_rights`] and the status name what is left, and
//! an export leaves it unhandled too. Nothing else is left unhandled, and only an import can
//! leave a right so. Any right but `ioctl_dev` and `refer` (which, unhandled, the kernel denies
//! between directories) is then as broad as a grant on `/`, and [`build`](PolicyBuilder::build)
//! refuses it unless [`broad`](PolicyBuilder::broad).
//! `write_file` without `truncate`, or creating files without removing them, has no class:
//! import never grants more than the document allows.
//!
//! **Rights from above never widen a class.** A rule lands on the inode its path leads to and
//! holds wherever that inode is reached (through a symbolic link, `..`, a hard link, a bind
//! mount, after a rename), in the kernel as in the policy language; the rights of a directory
//! above reach only what is reached through it. Which directories are above a path is read
//! from its text (`..` resolved), and the file system can say otherwise, now or later: so they
//! only make up for what a class lacks, never let it grant what the path's own rules do not.
//! A rule whose rights, with those from above, make a class that its own do not
//! (`write_file` and the other write rights beneath a `read` tree: `write` would let whatever
//! the path leads to be read) is refused; a rule whose rights the directories above already
//! give adds nothing where it is written, and is left out (if it leads out of them, through a
//! link, what it allows there is denied: less than the document, never more). Deciding on the
//! resolved path instead would hold only for the links and `..` of the moment of the import,
//! not for hard links, bind mounts, or a path that changes before the policy is prepared.
//!
//! A document's paths are counted and measured before its variables are expanded, and refused
//! past [`MAX_PATHS`] paths or [`MAX_PATHS_BYTES`] bytes; the rest of the import is linear or
//! `n log n` in them.
//!
//! TCP bind or connect that the document does not handle is unrestricted (`"*"`); handled, only
//! its `net_port` ports are allowed. A scope not in `scoped` is opened (`allow_signals`,
//! `allow_abstract_unix_sockets`). A path is granted as a template of the policy language when
//! one can write it (so the policy reads as if written by hand), else literally (see
//! [`PolicyBuilder::read_path`]).
//!
//! The builder then makes the checks of every policy at [`build`](PolicyBuilder::build): a
//! broad grant is refused unless acknowledged with [`broad`](PolicyBuilder::broad) (note that a
//! document that does not handle `connect_tcp` leaves TCP connect unrestricted, which beside a
//! `write` grant is broad); a path that does not exist fails the preparation, as a path of the
//! policy language does, unless [`Import::ignore_missing`]; and [`strict`](PolicyBuilder::strict)
//! refuses to degrade on an older kernel. The format has none of these settings (its tools
//! enforce what they can), so the caller chooses them, and may add grants of its own.

mod export;
mod format;
mod import;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::Origin;
use crate::policy::{Policy, PolicyBuilder};
use format::{Document, Spelling};

/// The most paths an imported document may stand for: its `parent` entries, each counted as
/// the number of paths it names once its variables are expanded (every combination of their
/// values). Past it, or past [`MAX_PATHS_BYTES`], the import is refused with
/// [`ImportError::Format`], naming the entry (and the variable that multiplied it), before a
/// path is made; so is a path longer than the kernel takes (4095 bytes). A ruleset of this
/// size is already more than a reviewer reads; the bound keeps a file of a few hundred bytes
/// (`${v}` eight times over twenty values: 20⁸ paths) from making the import work and allocate
/// without end, and any document under a megabyte is answered in well under a second.
///
/// ```
/// use landlock_runtime::landlockconfig::{self, ImportError, MAX_PATHS};
///
/// let values: Vec<String> = (0..20).map(|i| format!("\"{i}\"")).collect();
/// let text = format!(
///     r#"{{"abi": 6, "variable": [{{"name": "v", "literal": [{}]}}],
///        "ruleset": [{{"handledAccessFs": ["abi.all"]}}],
///        "pathBeneath": [{{"allowedAccess": ["abi.read_execute"], "parent": ["/${{v}}/${{v}}/${{v}}"]}}]}}"#,
///     values.join(", ")
/// );
/// let err = landlockconfig::from_json(&text, "t").unwrap_err();
/// assert!(matches!(err, ImportError::Format { .. }));
/// assert!(err.to_string().ends_with(&format!(
///     "with the 20 values of variable `v`, the document's paths would be more than {MAX_PATHS}, the most an import takes"
/// )), "{err}");
/// ```
pub const MAX_PATHS: usize = 4096;

/// The most bytes the paths of an imported document may total, variables expanded: a
/// megabyte, as many as a document of that size holds when it names every path plainly. See
/// [`MAX_PATHS`].
///
/// ```
/// use landlock_runtime::landlockconfig::{self, MAX_PATHS_BYTES};
///
/// // 1024 × 2 × 2 paths, half of them with 900 bytes of `v` and a quarter with 1800: 3.7
/// // megabytes together.
/// let long = format!("\"{}\"", "a".repeat(900));
/// let text = format!(
///     r#"{{"abi": 6, "variable": [{{"name": "v", "literal": [{long}, "b"]}}, {{"name": "n", "literal": [{}]}}],
///        "ruleset": [{{"handledAccessFs": ["abi.all"]}}],
///        "pathBeneath": [{{"allowedAccess": ["abi.read_execute"], "parent": ["/${{n}}/${{v}}/${{v}}"]}}]}}"#,
///     (0..1024).map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ")
/// );
/// let err = landlockconfig::from_json(&text, "t").unwrap_err().to_string();
/// assert!(err.ends_with(&format!(
///     "the document's paths would be more than {MAX_PATHS_BYTES} bytes together, the most an import takes"
/// )), "{err}");
/// ```
pub const MAX_PATHS_BYTES: usize = 1 << 20;

/// Why a document could not be imported.
///
/// ```
/// use landlock_runtime::landlockconfig::{self, ImportError};
///
/// let err = landlockconfig::from_json(r#"{"abi": 1}"#, "tool").unwrap_err();
/// assert!(matches!(err, ImportError::Format { .. }));
/// assert_eq!(
///     err.to_string(),
///     "tool: invalid landlockconfig: empty configuration: it needs at least one of `variable`, `ruleset`, `pathBeneath`, `netPort`",
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Not a landlockconfig document: not JSON or TOML, a key or a right the format does not
    /// have, or one of its rules broken (an empty list, `abi` out of range, a group without
    /// `abi`, an undeclared variable).
    Format {
        /// The file, or the name given with the text.
        origin: String,
        /// The parser's message, with the line and column, or the format's rule; several
        /// separated by `; `.
        message: String,
    },
    /// A valid document that says what the policy language cannot.
    Inexpressible {
        /// The file, or the name given with the text.
        origin: String,
        /// Every such thing, one sentence each: the entry, its rights, and what the nearest
        /// class would grant or not.
        problems: Vec<String>,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Read { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            ImportError::Format { origin, message } => {
                write!(f, "{origin}: invalid landlockconfig: {message}")
            }
            ImportError::Inexpressible { origin, problems } => write!(
                f,
                "{origin}: the policy language cannot say what this landlockconfig says: {}",
                problems.join("; ")
            ),
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a policy could not be exported.
///
/// ```
/// use landlock_runtime::landlockconfig::{self, ExportError};
/// use landlock_runtime::Policy;
///
/// let p = Policy::builder("t").read("${LANDLOCK_DOC_UNSET_VARIABLE}/data").build().unwrap();
/// let err = landlockconfig::to_json(&p).unwrap_err();
/// assert!(matches!(err, ExportError::Unresolved(_)));
/// assert!(err.to_string().contains("variable ${LANDLOCK_DOC_UNSET_VARIABLE} is not set"), "{err}");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// The policy grants the paths or the ports of a function's argument, known only at each
    /// call.
    Argument {
        /// The policy's origin.
        origin: Origin,
        /// The parameter's name.
        argument: String,
    },
    /// A path is not UTF-8: the format's paths are strings.
    NotUtf8 {
        /// The policy's origin.
        origin: Origin,
        /// The path.
        path: PathBuf,
    },
    /// A template cannot be resolved here: a mandatory path's variable is unset, or its value
    /// is not one a path can have. The error is the one preparing the policy would return.
    Unresolved(crate::Error),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Argument { origin, argument } => write!(
                f,
                "sandbox {origin}: cannot be written as landlockconfig: it grants what the argument `{argument}` holds, known only when the function is called"
            ),
            ExportError::NotUtf8 { origin, path } => write!(
                f,
                "sandbox {origin}: cannot be written as landlockconfig: the path `{}` is not UTF-8, and the format's paths are strings",
                path.display()
            ),
            ExportError::Unresolved(error) => {
                write!(f, "{error} (writing it as landlockconfig)")
            }
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Unresolved(error) => Some(error),
            _ => None,
        }
    }
}

/// The policy as a landlockconfig document in JSON, indented as `jq` indents it (see the
/// [module documentation](self) for what becomes what).
///
/// ```
/// use landlock_runtime::{landlockconfig, Policy};
///
/// let p = Policy::builder("t").exec("/usr/bin").build().unwrap();
/// let json = landlockconfig::to_json(&p).unwrap();
/// assert!(json.starts_with("{\n  \"abi\": 6,\n"));
/// assert!(json.contains("\"parent\": [\n        \"/usr/bin\"\n      ]"));
/// ```
pub fn to_json(policy: &Policy) -> Result<String, ExportError> {
    let document = export::document(policy)?;
    Ok(pretty(&document.json_spelling()))
}

/// The policy as a landlockconfig document in TOML, after a comment naming the policy (see the
/// [module documentation](self) for what becomes what). Needs the `toml` feature.
///
/// ```
/// use landlock_runtime::{landlockconfig, Policy};
///
/// let p = Policy::builder("t").write("/srv/out").build().unwrap();
/// let toml = landlockconfig::to_toml(&p).unwrap();
/// assert!(toml.contains("[[path_beneath]]\n"));
/// assert!(toml.contains("\"write_file\""));
/// ```
#[cfg(feature = "toml")]
pub fn to_toml(policy: &Policy) -> Result<String, ExportError> {
    let document = export::document(policy)?;
    Ok(format!(
        "# sandbox {}, as a landlockconfig document\n\n{}",
        policy.origin(),
        document.to_toml()
    ))
}

/// Every sandbox of this binary ([`policies`](crate::policies)), one landlockconfig document
/// each, in a JSON envelope keyed by function: the format describes one ruleset, and composing
/// several would loosen them (see [Several policies](self#several-policies)).
///
/// ```
/// use landlock_runtime::{landlockconfig, sandbox};
///
/// #[sandbox(read = "/etc")]
/// fn configure() {}
///
/// let all: serde_json::Value = serde_json::from_str(&landlockconfig::registered_to_json()).unwrap();
/// assert_eq!(all["version"], 1);
/// let entry = all["policies"]
///     .as_array()
///     .unwrap()
///     .iter()
///     .find(|p| p["function"].as_str().unwrap().ends_with("::configure"))
///     .unwrap();
/// assert_eq!(entry["config"]["pathBeneath"][0]["parent"][0], "/etc");
/// ```
pub fn registered_to_json() -> String {
    /// The envelope, in the order its fields are written.
    #[derive(Serialize)]
    struct Envelope {
        version: u32,
        policies: Vec<Entry>,
    }
    #[derive(Serialize)]
    struct Entry {
        function: String,
        file: String,
        line: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<format::camel::Document>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    }
    let policies = super::registry::policies()
        .into_iter()
        .map(|policy| {
            let document = export::document(policy);
            Entry {
                function: policy.origin().function().to_owned(),
                file: policy.origin().file().to_owned(),
                line: policy.origin().line(),
                error: document.as_ref().err().map(ToString::to_string),
                config: document.ok().map(|d| d.json_spelling()),
            }
        })
        .collect();
    pretty(&Envelope {
        version: 1,
        policies,
    })
}

/// `value` in JSON, indented as `jq` indents it, ending with a new line.
fn pretty(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("strings, integers and lists");
    text.push('\n');
    text
}

/// Imports landlockconfig documents as policies: a name for them, and whether a missing path
/// is skipped. See the [module documentation](self) for what becomes what.
///
/// ```
/// use landlock_runtime::landlockconfig::Import;
///
/// let text = r#"{
///   "abi": 6,
///   "ruleset": [{ "handledAccessFs": ["abi.all"], "scoped": ["abi.all"] }],
///   "pathBeneath": [{ "allowedAccess": ["abi.read_execute"], "parent": ["/usr", "/no/such/dir"] }]
/// }"#;
/// let policy = Import::new("tool").ignore_missing(true).json(text).unwrap().build().unwrap();
/// let grants: Vec<String> = policy.grants().iter().map(|g| format!("{} {g}", g.class())).collect();
/// assert_eq!(grants, ["exec /usr?", "exec /no/such/dir?"]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "an import does nothing until given a document"]
pub struct Import {
    name: String,
    ignore_missing: bool,
}

impl Import {
    /// An import whose policies are named `name` in reports and errors (where a policy of the
    /// language names its function).
    ///
    /// ```
    /// let builder = landlock_runtime::landlockconfig::Import::new("island profile")
    ///     .json(r#"{"pathBeneath": [{"allowedAccess": ["read_file", "read_dir"], "parent": ["/etc"]}], "ruleset": [{"handledAccessFs": ["abi.all"]}], "abi": 5}"#)
    ///     .unwrap();
    /// assert_eq!(builder.build().unwrap().origin().function(), "island profile");
    /// ```
    pub fn new(name: impl Into<String>) -> Import {
        Import {
            name: name.into(),
            ignore_missing: false,
        }
    }

    /// Whether a path that does not exist is skipped (with `true`) rather than failing the
    /// preparation, as the format's own tools skip it. Each path is then optional (a template
    /// ending with `?`, skipped and reported when the policy is prepared); a path that no
    /// template can write (one with `$`, `?` or a `..` component) is checked now instead, and
    /// left out when missing.
    ///
    /// ```
    /// use landlock_runtime::landlockconfig::Import;
    ///
    /// let text = r#"{"abi": 5, "ruleset": [{"handledAccessFs": ["abi.all"]}],
    ///   "pathBeneath": [{"allowedAccess": ["read_file", "read_dir"], "parent": ["/no/such/dir"]}]}"#;
    /// let strict = Import::new("t").json(text).unwrap().build().unwrap();
    /// assert!(strict.prepare().is_err());
    /// let lenient = Import::new("t").ignore_missing(true).json(text).unwrap().build().unwrap();
    /// assert!(lenient.prepare().is_ok());
    /// ```
    pub fn ignore_missing(mut self, ignore_missing: bool) -> Import {
        self.ignore_missing = ignore_missing;
        self
    }

    /// Imports a document in the JSON spelling (camelCase keys).
    ///
    /// ```
    /// use landlock_runtime::landlockconfig::Import;
    ///
    /// let err = Import::new("t")
    ///     .json(r#"{"abi": 5, "ruleset": [{"handledAccessFs": ["abi.all"]}],
    ///               "pathBeneath": [{"allowedAccess": ["write_file"], "parent": ["/etc"]}]}"#)
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("no class of the policy language grants exactly that"), "{err}");
    /// ```
    #[track_caller]
    pub fn json(&self, text: &str) -> Result<PolicyBuilder, ImportError> {
        self.import(text, Spelling::Json, &self.name)
    }

    /// Imports a document in the TOML spelling (snake_case keys). Needs the `toml` feature.
    ///
    /// ```
    /// use landlock_runtime::landlockconfig::Import;
    ///
    /// let text = r#"
    /// abi = 6
    ///
    /// [[ruleset]]
    /// handled_access_fs = ["abi.all"]
    /// handled_access_net = ["abi.all"]
    /// scoped = ["abi.all"]
    ///
    /// [[net_port]]
    /// allowed_access = ["connect_tcp"]
    /// port = [443]
    /// "#;
    /// let policy = Import::new("t").toml(text).unwrap().build().unwrap();
    /// assert!(policy.connect().allows(443));
    /// assert!(!policy.bind().allows(443));
    /// ```
    #[cfg(feature = "toml")]
    #[track_caller]
    pub fn toml(&self, text: &str) -> Result<PolicyBuilder, ImportError> {
        self.import(text, Spelling::Toml, &self.name)
    }

    /// Imports the document in the file `path`: JSON or TOML by its extension (`.json`,
    /// `.toml`), or else by its content (JSON when it starts with `{`). Errors name the file.
    ///
    /// ```
    /// use landlock_runtime::landlockconfig::Import;
    ///
    /// let path = std::env::temp_dir().join(format!("landlockconfig-doc-import-{}.json", std::process::id()));
    /// std::fs::write(&path, r#"{"abi": 4, "netPort": [{"allowedAccess": ["bind_tcp"], "port": [8080]}]}"#).unwrap();
    /// let builder = Import::new("server").file(&path);
    /// std::fs::remove_file(&path).unwrap();
    /// // A document that handles no filesystem right leaves every file open: as broad as `/`.
    /// let err = builder.unwrap().build().unwrap_err().to_string();
    /// assert!(err.contains("the policy does not handle execute, write_file"), "{err}");
    /// ```
    #[track_caller]
    pub fn file(&self, path: impl AsRef<Path>) -> Result<PolicyBuilder, ImportError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
            path: path.to_owned(),
            source,
        })?;
        let spelling = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Spelling::Json,
            Some("toml") => Spelling::Toml,
            _ if text.trim_start().starts_with('{') => Spelling::Json,
            _ => Spelling::Toml,
        };
        self.import(&text, spelling, &path.display().to_string())
    }

    #[track_caller]
    fn import(
        &self,
        text: &str,
        spelling: Spelling,
        origin: &str,
    ) -> Result<PolicyBuilder, ImportError> {
        let format = |message: String| ImportError::Format {
            origin: origin.to_owned(),
            message,
        };
        let document = match spelling {
            Spelling::Json => Document::from_json(text),
            #[cfg(feature = "toml")]
            Spelling::Toml => Document::from_toml(text),
            #[cfg(not(feature = "toml"))]
            Spelling::Toml => Err(
                "this is TOML, and landlock-runtime was built without its `toml` feature".into(),
            ),
        }
        .map_err(format)?;
        let config = document
            .resolve(spelling)
            .map_err(|problems| format(problems.join("; ")))?;
        let builder = Policy::builder(self.name.clone());
        import::grants(&config, spelling, self.ignore_missing, builder).map_err(|problems| {
            ImportError::Inexpressible {
                origin: origin.to_owned(),
                problems,
            }
        })
    }
}

/// Imports a landlockconfig document in JSON as a policy named `name`: the same as
/// [`Import::new(name).json(text)`](Import::json).
///
/// ```
/// use landlock_runtime::landlockconfig;
///
/// let text = r#"{
///   "abi": 6,
///   "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["connect_tcp"] }],
///   "pathBeneath": [
///     { "allowedAccess": ["abi.read_execute"], "parent": ["/usr"] },
///     { "allowedAccess": ["abi.read_write"], "parent": ["/tmp"] }
///   ],
///   "netPort": [{ "allowedAccess": ["connect_tcp"], "port": [443] }]
/// }"#;
/// // TCP bind is not handled: unrestricted, which beside `write` is a broad grant.
/// let err = landlockconfig::from_json(text, "tool").unwrap().build().unwrap_err();
/// assert!(err.to_string().contains("unrestricted TCP bind together with `write`"), "{err}");
///
/// let policy = landlockconfig::from_json(text, "tool").unwrap().broad().build().unwrap();
/// let grants: Vec<String> = policy.grants().iter().map(|g| format!("{} {g}", g.class())).collect();
/// assert_eq!(grants, ["exec /usr", "write /tmp"]);
/// assert!(policy.bind().allows(80));
/// assert!(policy.connect().allows(443) && !policy.connect().allows(80));
/// // Not scoped: opened.
/// assert!(!policy.scopes().signals);
/// ```
#[track_caller]
pub fn from_json(text: &str, name: &str) -> Result<PolicyBuilder, ImportError> {
    Import::new(name).json(text)
}

/// Imports a landlockconfig document in TOML as a policy named `name`: the same as
/// [`Import::new(name).toml(text)`](Import::toml). Needs the `toml` feature.
///
/// ```
/// use landlock_runtime::landlockconfig;
///
/// let text = r#"
/// abi = 6
///
/// [[variable]]
/// name = "config"
/// literal = ["/etc", "/usr/share"]
///
/// [[ruleset]]
/// handled_access_fs = ["abi.all"]
///
/// [[path_beneath]]
/// allowed_access = ["read_file", "read_dir"]
/// parent = ["${config}"]
/// "#;
/// let policy = landlockconfig::from_toml(text, "tool").unwrap().build().unwrap();
/// let paths: Vec<String> = policy.grants().iter().map(|g| g.to_string()).collect();
/// assert_eq!(paths, ["/etc", "/usr/share"]);
/// ```
#[cfg(feature = "toml")]
#[track_caller]
pub fn from_toml(text: &str, name: &str) -> Result<PolicyBuilder, ImportError> {
    Import::new(name).toml(text)
}

/// Imports the landlockconfig document in the file `path` (JSON or TOML, see
/// [`Import::file`]) as a policy named after the file.
///
/// ```
/// use landlock_runtime::landlockconfig;
///
/// let path = std::env::temp_dir().join(format!("landlockconfig-doc-from-file-{}.json", std::process::id()));
/// std::fs::write(&path, r#"{"abi": 6, "ruleset": [{"handledAccessFs": ["abi.all"], "scoped": ["abi.all"]}]}"#).unwrap();
/// let policy = landlockconfig::from_file(&path).unwrap().build().unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert!(policy.grants().is_empty());
/// assert_eq!(policy.origin().function(), path.display().to_string());
/// ```
#[track_caller]
pub fn from_file(path: impl AsRef<Path>) -> Result<PolicyBuilder, ImportError> {
    let path = path.as_ref();
    Import::new(path.display().to_string()).file(path)
}
