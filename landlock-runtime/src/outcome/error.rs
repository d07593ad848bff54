//! Why a policy could not be enforced.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::status::{IoUring, IoUringList, Status, ThreadCoverage};
use crate::model::Origin;

/// A policy that could not be enforced: the cause, and the policy's origin.
///
/// When this is returned, the code the policy protects must not run: `#[sandbox]` returns it as
/// the `Err` of a function returning `Result<T, E>` with `E: From<Error>`, and panics with this
/// message otherwise; the block form returns it. Nothing of the policy was enforced on the calling
/// thread, with one exception: [`ErrorKind::ThreadsNotCovered`] from a `strict` policy on every
/// thread, found once the other threads were signalled, after which the calling thread and the
/// threads that could be reached are restricted (the process is left more restricted, never
/// less). ([`ErrorKind::IoUringNotCovered`] is found before anything is restricted.)
///
/// ```
/// use landlock_runtime::{ErrorKind, Policy};
///
/// let policy = Policy::builder("importer").read("/no/such/dir").build().unwrap();
/// let err = policy.prepare().unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::MissingPath { .. }));
/// assert!(err.to_string().contains("`/no/such/dir` does not exist"));
/// assert!(err.to_string().starts_with("sandbox `importer` ("));
/// ```
///
/// `Debug` says the same as `Display`, the message and its fix, since it is what
/// `.unwrap()`, `.expect()` and an `Err` returned from `main` print; `{:#?}` shows the
/// structure ([`Error::origin`], [`Error::kind`]):
///
/// ```
/// use landlock_runtime::Policy;
///
/// let policy = Policy::builder("importer").read("/no/such/dir").build().unwrap();
/// let err = policy.prepare().unwrap_err();
/// assert_eq!(format!("{err:?}"), err.to_string());
/// assert!(format!("{err:#?}").contains("kind: MissingPath {"));
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    origin: Origin,
    kind: ErrorKind,
}

/// The cause of an [`Error`].
///
/// ```
/// use landlock_runtime::{ErrorKind, Policy};
///
/// let err = Policy::builder("t").read("/etc").connect(0).build().unwrap_err();
/// let ErrorKind::InvalidPolicy { problems } = err.kind() else { panic!("{err}") };
/// assert_eq!(problems, &["connect port 0: ports are 1 to 65535"]);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A policy built at run time has mistakes (the macros report these at compile time).
    InvalidPolicy {
        /// Every mistake, one sentence each.
        problems: Vec<String>,
    },
    /// A variable a path starts with is not set.
    UnsetVariable {
        /// The variable, as written (`$HOME`, `${DATA_DIR}`).
        variable: String,
        /// The path template that uses it.
        template: String,
    },
    /// A variable a path starts with has a value that a path written in the policy could
    /// not have: not absolute, with a `.` or `..` component, or making the grant broad (the
    /// whole filesystem, or `write` on a home or system tree) in a policy without `broad`.
    InvalidVariable {
        /// The variable, as written (`$TMP`, `${DATA_DIR}`).
        variable: String,
        /// Its value.
        value: PathBuf,
        /// The path template that uses it.
        template: String,
        /// What is wrong with the value, in words.
        problem: String,
    },
    /// A mandatory path does not exist.
    #[non_exhaustive]
    MissingPath {
        /// The resolved path.
        path: PathBuf,
        /// The path template it came from.
        template: String,
        /// Whether the path was given literally (a literal path, or an argument's), which has
        /// no optional marker: only a template ending with `?` is skipped when missing.
        literal: bool,
    },
    /// A path could not be opened for another reason than not existing.
    OpenPath {
        /// The resolved path.
        path: PathBuf,
        /// The path template it came from.
        template: String,
        /// What the system said.
        source: io::Error,
    },
    /// `strict` was asked and the running kernel cannot enforce all of the policy.
    NotFullyEnforceable {
        /// What the kernel could enforce.
        status: Status,
    },
    /// `strict` was asked of a policy on every thread, and some threads could not be
    /// restricted. When that is known in advance (a thread blocks the signal, or `/proc` does
    /// not describe this process's threads), nothing is restricted; otherwise the calling
    /// thread and the threads that could be reached are.
    ThreadsNotCovered {
        /// What became of the other threads.
        coverage: ThreadCoverage,
    },
    /// `strict` was asked, and io_uring instances set up before the sandbox may run requests
    /// with the rights of the thread that set them up, which Landlock cannot reach. Found
    /// before restricting anything: nothing is restricted.
    IoUringNotCovered {
        /// The instances, and what each holds.
        rings: Vec<IoUring>,
    },
    /// The thread already has as many Landlock layers as the kernel allows.
    TooManyLayers {
        /// The kernel's limit (16).
        limit: usize,
    },
    /// A sandboxed function was called on a thread that another sandbox still restricts,
    /// entered by a call that has returned (a pool's thread, or a second call of a function
    /// with other argument paths): entering would narrow the function's sandbox to what both
    /// allow, silently. The fix: `own_thread` in the function's `#[sandbox(...)]`, which runs
    /// its body on a thread of its own at each call, or the block form.
    ThreadNotOwned {
        /// The sandbox in force on the thread, whose call has returned.
        restricted_by: Origin,
        /// Whether that is the same function's sandbox, bound to other argument paths.
        same_function: bool,
    },
    /// A Landlock system call failed.
    Kernel {
        /// What was being done (`landlock_restrict_self`, `adding the rule for /etc`, ...).
        operation: String,
        /// What the kernel said.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn new(origin: Origin, kind: ErrorKind) -> Error {
        Error(Box::new(Inner { origin, kind }))
    }

    /// The cause.
    ///
    /// ```
    /// use landlock_runtime::{ErrorKind, Policy};
    ///
    /// let policy = Policy::builder("t").read("${LANDLOCK_DOC_UNSET}/data").build().unwrap();
    /// let err = policy.prepare().unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::UnsetVariable { variable, .. } if variable == "${LANDLOCK_DOC_UNSET}"));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where the policy was declared.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let err = Policy::builder("importer").read("etc").build().unwrap_err();
    /// assert_eq!(err.origin().function(), "importer");
    /// assert_eq!(err.origin().file(), file!());
    /// ```
    pub fn origin(&self) -> &Origin {
        &self.0.origin
    }
}

impl fmt::Debug for Error {
    /// The message and its fix, as `Display` says them; with `{:#?}`, the origin and the kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Error")
                .field("origin", &self.0.origin)
                .field("kind", &self.0.kind)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sandbox {}: ", self.0.origin)?;
        match &self.0.kind {
            ErrorKind::InvalidPolicy { problems } => {
                write!(f, "invalid policy: {}", problems.join("; "))
            }
            ErrorKind::UnsetVariable { variable, template } => {
                write!(
                    f,
                    "variable {variable} is not set (needed by `{template}`); set it, or end the path with `?` to skip it when the variable is not set"
                )
            }
            ErrorKind::InvalidVariable {
                variable,
                value,
                template,
                problem,
            } => write!(
                f,
                "variable {variable} is `{}` (in `{template}`): {problem}",
                value.display()
            ),
            ErrorKind::MissingPath {
                path,
                template,
                literal,
            } => {
                write!(f, "path `{}` does not exist", path.display())?;
                if path.as_os_str() != template.as_str() {
                    write!(f, " (from `{template}`)")?;
                }
                if *literal {
                    f.write_str("; create it, or grant a path that exists")
                } else {
                    f.write_str("; create it, or end the path with `?` to skip it when missing")
                }
            }
            ErrorKind::OpenPath {
                path,
                template,
                source,
            } => {
                write!(f, "cannot open path `{}`", path.display())?;
                if path.as_os_str() != template.as_str() {
                    write!(f, " (from `{template}`)")?;
                }
                write!(
                    f,
                    ": {source}; a rule needs the path opened: grant a path this process can open (a template ending with `?` is skipped when it cannot be opened)"
                )
            }
            ErrorKind::NotFullyEnforceable { status } => write!(
                f,
                "strict policy, but the kernel cannot enforce all of it: {status}; run it where the kernel enforces all of it, or drop `strict` to accept what this one enforces"
            ),
            ErrorKind::ThreadsNotCovered { coverage } => write!(
                f,
                "strict policy on every thread, but {} threads of the process could not be restricted: {coverage}; enter the sandbox before the process starts other threads (first thing in `main`), or drop `strict` to accept threads that keep their access",
                coverage.uncovered.len()
            ),
            ErrorKind::IoUringNotCovered { rings } => write!(
                f,
                "strict policy, but {}; set io_uring instances up after the sandbox, or register no personality and use no SQPOLL thread before it",
                IoUringList(rings)
            ),
            ErrorKind::TooManyLayers { limit } => write!(
                f,
                "this thread already has {limit} Landlock layers, the kernel's limit; enter fewer different sandboxes on one thread"
            ),
            ErrorKind::ThreadNotOwned {
                restricted_by,
                same_function,
            } => {
                write!(
                    f,
                    "this thread is still restricted by sandbox {restricted_by}, entered by a call that has returned (a restriction is never lifted), so this sandbox would get only what both allow, silently; it was not entered and the function did not run. A thread a pool reuses (rayon, tokio's blocking pool) or a second call with other argument paths is not the function's own: add `own_thread` to its `#[sandbox(...)]`"
                )?;
                if !same_function {
                    write!(f, " (and to that of `{}`)", restricted_by.function())?;
                }
                f.write_str(", which runs the body on a thread of its own at each call, or run the work in `block::sandbox!`")
            }
            ErrorKind::Kernel { operation, source } => write!(f, "{operation} failed: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::OpenPath { source, .. } | ErrorKind::Kernel { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    /// An [`io::Error`] of kind `PermissionDenied` whose message is the error's, and which
    /// holds it (`get_ref`, `into_inner`): so that `?` works in a function returning
    /// `io::Result`.
    ///
    /// ```
    /// use landlock_runtime::block;
    ///
    /// fn hostname() -> std::io::Result<String> {
    ///     // The outer `?` for the sandbox, the inner one for the read.
    ///     block::sandbox!(read = "/etc" => std::fs::read_to_string("/etc/hostname"))?
    /// }
    /// # let _ = hostname();
    /// ```
    fn from(error: Error) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::model::rights::FsRights;
    use crate::outcome::{Dropped, ThreadCoverage};

    /// One error of each kind, with the fix its message must give (empty: the kernel's own
    /// failure, whose remedy depends on what it said).
    fn one_of_each() -> Vec<(Error, &'static str)> {
        let origin = Origin::new("app::import", "src/import.rs", 12);
        let status = {
            let mut dropped = Dropped::default();
            dropped.tcp_connect = true;
            Status::new(3, dropped, Vec::new(), FsRights::default())
        };
        let kinds = [
            (
                ErrorKind::InvalidPolicy {
                    problems: vec!["connect port 0: ports are 1 to 65535".into()],
                },
                "ports are 1 to 65535",
            ),
            (
                ErrorKind::UnsetVariable {
                    variable: "$DATA".into(),
                    template: "$DATA/in".into(),
                },
                "set it, or end the path with `?`",
            ),
            (
                ErrorKind::InvalidVariable {
                    variable: "$DATA".into(),
                    value: "data".into(),
                    template: "$DATA/in".into(),
                    problem:
                        "not an absolute path; a path must be absolute, so its value must be too"
                            .into(),
                },
                "so its value must be too",
            ),
            (
                ErrorKind::MissingPath {
                    path: "/srv/in".into(),
                    template: "/srv/in".into(),
                    literal: false,
                },
                "create it, or end the path with `?`",
            ),
            (
                ErrorKind::OpenPath {
                    path: "/root/in".into(),
                    template: "/root/in".into(),
                    source: io::Error::from_raw_os_error(libc::EACCES),
                },
                "grant a path this process can open",
            ),
            (ErrorKind::NotFullyEnforceable { status }, "drop `strict`"),
            (
                ErrorKind::ThreadsNotCovered {
                    coverage: ThreadCoverage::default(),
                },
                "before the process starts other threads",
            ),
            (
                ErrorKind::IoUringNotCovered { rings: Vec::new() },
                "set io_uring instances up after the sandbox",
            ),
            (
                ErrorKind::TooManyLayers { limit: 16 },
                "enter fewer different sandboxes",
            ),
            (
                ErrorKind::Kernel {
                    operation: "landlock_restrict_self".into(),
                    source: io::Error::from_raw_os_error(libc::ENOMEM),
                },
                "",
            ),
        ];
        kinds
            .into_iter()
            .map(|(kind, fix)| (Error::new(origin.clone(), kind), fix))
            .collect()
    }

    /// `Debug` is what `.unwrap()`, `.expect()` and an `Err` returned from `main` print: the
    /// message and its fix, as `Display` says them, never the struct inside.
    #[test]
    fn debug_is_the_message_and_its_fix() {
        for (error, fix) in one_of_each() {
            let debug = format!("{error:?}");
            assert_eq!(debug, error.to_string());
            assert!(
                debug.starts_with("sandbox `app::import` (src/import.rs:12): "),
                "{debug}"
            );
            assert!(debug.contains(fix), "{debug}");
            assert!(!debug.contains("Inner"), "{debug}");
        }
    }

    /// The structured form stays reachable: through the accessors, and `{:#?}`.
    #[test]
    fn the_alternate_debug_is_the_structure() {
        for (error, _) in one_of_each() {
            let pretty = format!("{error:#?}");
            assert!(pretty.starts_with("Error {\n    origin: "), "{pretty}");
            assert!(
                pretty.contains(&format!("kind: {:#?}", error.kind()).replace('\n', "\n    ")),
                "{pretty}"
            );
        }
    }

    /// What `.expect("sandbox enforced")` and `.unwrap_err()` on a real failure show.
    #[test]
    fn expect_and_unwrap_err_show_the_message_and_its_fix() {
        let policy = crate::Policy::builder("importer")
            .read("/no/such/landlock-dir")
            .build()
            .unwrap();
        let error = policy.prepare().unwrap_err();
        let shown = format!("{error:?}");
        assert!(
            shown.starts_with("sandbox `importer` (")
                && shown.ends_with(
                    "path `/no/such/landlock-dir` does not exist; create it, or end the path with `?` to skip it when missing"
                ),
            "{shown}"
        );
        let panic = std::panic::catch_unwind(|| {
            policy.prepare().expect("sandbox enforced");
        })
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert_eq!(message, &format!("sandbox enforced: {shown}"));
    }
}
