//! Sandboxing child processes: a policy confines a program started with
//! [`std::process::Command`] (or `tokio::process::Command`, with the `tokio` feature), while
//! the parent stays unrestricted.
//!
//! The policy is prepared in the parent before `fork`; between `fork` and `exec` the child
//! makes only two async-signal-safe system calls (`prctl`, `landlock_restrict_self`). A policy
//! that cannot be prepared (a missing path, `strict` on an older kernel) fails the spawn, with
//! the policy named, and the program never starts.
//!
//! ```no_run
//! use std::process::Command;
//! use landlock_runtime::{policy, SandboxCommandExt};
//!
//! let status = Command::new("/usr/bin/env")
//!     .sandbox(policy!(exec = "/usr/bin/env", preset = "dynamic_loader"))
//!     .status()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::MAX_LAYERS;
use crate::kernel::E2BIG;
use crate::model::Class;
use crate::model::rules::{covers, program_path};
use crate::outcome::{Error, ErrorKind};
use crate::policy::Policy;

/// Confines the programs a command starts with a [`Policy`]. Implemented for
/// [`std::process::Command`] and, with the `tokio` feature, `tokio::process::Command`.
///
/// ```
/// use std::process::Command;
/// use landlock_runtime::{SandboxCommandExt, policy};
///
/// let policy = policy!(exec = "/usr/bin/env", preset = "dynamic_loader");
/// let status = Command::new("/usr/bin/env").arg("-i").sandbox(policy).status()?;
/// assert!(status.success());
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait SandboxCommandExt: private::Sealed {
    /// What [`sandbox`](SandboxCommandExt::sandbox) returns: the command, which dereferences to the
    /// original type, with spawning methods whose errors name the policy.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, SandboxedCommand, policy};
    ///
    /// let mut command = Command::new("/usr/bin/env");
    /// let mut sandboxed: SandboxedCommand<'_> = command.sandbox(policy!(exec = "/usr/bin/env"));
    /// sandboxed.arg("-i");
    /// assert_eq!(sandboxed.get_args().count(), 1);
    /// ```
    type Sandboxed<'a>
    where
        Self: 'a;

    /// Confines every program this command starts with `policy`. The parent is never
    /// restricted.
    ///
    /// The policy is prepared now, in the parent; if that fails, every spawn of this command
    /// fails and the program never starts (also through the command's own `spawn`, which then
    /// reports only `EACCES`: prefer the methods of the returned value, whose errors carry the
    /// whole message).
    ///
    /// In a child's policy, `$CWD` is the directory the child starts in (the command's
    /// `current_dir`, beneath the parent's current directory when relative; else the parent's
    /// current directory): such a policy is bound to it and prepared at each spawn by the
    /// methods of the returned value, and the child, after changing to that directory, starts
    /// only if it is the very directory the policy was bound to. The command's own `spawn`
    /// does not bind it, and fails with `EACCES`.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let scratch = std::env::temp_dir().join(format!("sandbox-doc-cwd-{}", std::process::id()));
    /// std::fs::create_dir_all(&scratch)?;
    /// let policy = policy!(exec = "/bin/sh", preset = "dynamic_loader", write = "$CWD");
    /// let status = Command::new("/bin/sh")
    ///     .args(["-c", "echo x > out"])
    ///     .current_dir(&scratch)
    ///     .sandbox(policy)
    ///     .status()?;
    /// assert!(status.success());
    /// assert!(scratch.join("out").exists());
    /// std::fs::remove_dir_all(&scratch)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let mut command = Command::new("/usr/bin/env");
    /// command.sandbox(policy!(read = "/no/such/dir", exec = "/usr/bin/env"));
    /// assert_eq!(command.status().unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// ```
    fn sandbox(&mut self, policy: &'static Policy) -> Self::Sandboxed<'_>;
}

mod private {
    pub trait Sealed {}
    impl Sealed for std::process::Command {}
    #[cfg(feature = "tokio")]
    impl Sealed for tokio::process::Command {}
}

/// A [`std::process::Command`] confined by a policy; see [`SandboxCommandExt::sandbox`].
///
/// It dereferences to the command, so it can still be configured; spawn it with its own
/// methods, whose errors name the policy.
///
/// ```no_run
/// use std::process::{Command, Stdio};
/// use landlock_runtime::{SandboxCommandExt, policy};
///
/// let mut command = Command::new("/usr/bin/env");
/// let mut sandboxed = command.sandbox(policy!(exec = "/usr/bin/env", preset = "dynamic_loader"));
/// sandboxed.stdout(Stdio::piped());
/// let output = sandboxed.output()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct SandboxedCommand<'a> {
    command: &'a mut Command,
    sandbox: Sandbox,
}

/// What a sandboxed command knows in the parent: the policy, and whether it is prepared.
#[derive(Clone, Debug)]
struct Sandbox {
    policy: &'static Policy,
    prepared: Result<(), Arc<Error>>,
    /// For a policy that names `$CWD`, which stands for the directory the child starts in: the
    /// policy bound to that directory, before each start. The policy itself is not prepared.
    in_cwd: Option<Arc<BoundToCwd>>,
}

impl Sandbox {
    fn new(policy: &'static Policy) -> Sandbox {
        #[cfg(target_os = "linux")]
        crate::audit::start_if_asked();
        if policy.names_cwd() {
            return Sandbox {
                policy,
                prepared: Ok(()),
                in_cwd: Some(Arc::default()),
            };
        }
        Sandbox {
            policy,
            prepared: policy.prepare().map(drop).map_err(Arc::new),
            in_cwd: None,
        }
    }

    /// For a policy that names `$CWD`: binds it to `dir`, the directory the command's child
    /// starts in (`None`: this process's; relative: beneath this process's, as the child's
    /// `chdir` resolves it), and prepares it. Fails, naming the policy, when the directory
    /// cannot be found or the bound policy cannot be prepared: the program is not started.
    fn bind_cwd(&self, dir: Option<&Path>) -> io::Result<()> {
        let Some(in_cwd) = &self.in_cwd else {
            return Ok(());
        };
        let failed = |error: Error| {
            io::Error::new(io::ErrorKind::PermissionDenied, SpawnError(Arc::new(error)))
        };
        let unreadable = |path: &Path, source: io::Error| {
            failed(self.policy.error(ErrorKind::OpenPath {
                path: path.to_owned(),
                template: "$CWD".into(),
                source,
            }))
        };
        let here = std::env::current_dir().map_err(|e| unreadable(Path::new("."), e))?;
        let given = dir.map_or_else(|| here.clone(), |dir| here.join(dir));
        // The directory `chdir` leads to, symbolic links and `..` resolved, as `getcwd` would
        // name it in the child; the child checks that it is there before restricting itself.
        let dir = std::fs::canonicalize(&given).map_err(|e| unreadable(&given, e))?;
        let id = std::fs::metadata(&dir).map_err(|e| unreadable(&dir, e))?;
        let policy = self.policy.with_cwd(&dir);
        policy.prepare().map_err(failed)?;
        let (flags, mark) = policy.child_logging();
        #[cfg(target_os = "linux")]
        let report = crate::audit::child_report().zip(policy.prepared_id());
        #[cfg(not(target_os = "linux"))]
        let report = None;
        use std::os::unix::fs::MetadataExt;
        in_cwd.set(ChildStart {
            policy,
            flags,
            mark,
            report,
            dev: id.dev(),
            ino: id.ino(),
        });
        Ok(())
    }

    /// The closure the child runs between `fork` and `exec`.
    fn pre_exec(&self) -> impl FnMut() -> io::Result<()> + Send + Sync + 'static {
        let in_cwd = self.in_cwd.clone();
        let policy = self.policy;
        let prepared = self.prepared.is_ok();
        let (flags, mark) = policy.child_logging();
        // While denials are watched, the child reports itself and its policy before its domain
        // exists, so that the domain's records are known as this process's, and as this
        // policy's (its mark alone proves nothing: any process can take a name).
        #[cfg(target_os = "linux")]
        let report = crate::audit::child_report().zip(policy.prepared_id());
        #[cfg(not(target_os = "linux"))]
        let report: Option<((i32, u64), u64)> = None;
        move || {
            if let Some(in_cwd) = &in_cwd {
                return in_cwd.restrict_child();
            }
            if !prepared {
                return Err(io::Error::from_raw_os_error(EACCES));
            }
            if let Some(((fd, ino), id)) = report {
                crate::kernel::report_child(fd, ino, id);
            }
            policy.restrict_child(flags, mark.as_ref())
        }
    }

    /// The error to spawn with when the policy could not be prepared, or when the calling
    /// thread already has as many layers as the kernel allows: the program never starts.
    fn check(&self, program: &std::ffi::OsStr) -> io::Result<()> {
        if self.prepared.is_err() {
            return Err(self.explain(program, io::Error::from_raw_os_error(EACCES), None));
        }
        if super::enforced_layers() >= MAX_LAYERS && self.policy.status().is_some_and(|s| s.abi > 0)
        {
            return Err(self.layer_limit());
        }
        Ok(())
    }

    /// When the program's own policy grants `exec` on it but a sandbox in force on the
    /// calling thread (which the child inherits) does not: that sandbox, and the program's
    /// path.
    fn denied_by_the_caller(&self, program: &std::ffi::OsStr) -> Option<CallerDenial> {
        let path = program_path(program)?;
        let own = self.policy.rules()?;
        if !covers(&own.fs, &path, Class::Exec) {
            return None;
        }
        let layer = super::denied_here(&path, Class::Exec)?;
        Some(CallerDenial {
            origin: layer.origin,
            path,
        })
    }

    /// The spawn error for a child whose sandbox would be one layer too many.
    fn layer_limit(&self) -> io::Error {
        let error = self
            .policy
            .error(ErrorKind::TooManyLayers { limit: MAX_LAYERS });
        io::Error::other(SpawnError(Arc::new(error)))
    }

    /// Names the policy in a spawn error, and says what a denied start likely lacked. `size`
    /// is the size of the command's arguments and environment, when known.
    fn explain(
        &self,
        program: &std::ffi::OsStr,
        error: io::Error,
        size: Option<usize>,
    ) -> io::Error {
        if let Err(e) = &self.prepared {
            return io::Error::new(io::ErrorKind::PermissionDenied, SpawnError(e.clone()));
        }
        // E2BIG comes from `landlock_restrict_self` in the child at the layer limit, or from
        // `execve` for arguments too long: far below the kernel's least limit on arguments
        // (128 KiB a string, a quarter of the stack limit in all), it is the layer limit.
        if error.raw_os_error() == Some(E2BIG)
            && size.is_some_and(|size| size < ARGUMENTS_SURELY_FIT)
        {
            return self.layer_limit();
        }
        let origin = self.policy.origin();
        let caller = if error.raw_os_error() == Some(EACCES) {
            self.denied_by_the_caller(program)
        } else {
            None
        };
        // Before it forks, `Command` opens `/dev/null` for each `Stdio::null()` (`output()` and
        // `status()` give it to standard input): a sandbox in force on this thread that denies
        // it fails the spawn with EACCES, before the program's own policy matters.
        let null_denied = error.raw_os_error() == Some(EACCES)
            && caller.is_none()
            && ["read", "write"].iter().any(|&how| {
                std::fs::OpenOptions::new()
                    .read(how == "read")
                    .write(how == "write")
                    .open("/dev/null")
                    .is_err_and(|e| e.raw_os_error() == Some(EACCES))
            });
        let program = program.to_string_lossy();
        let message = if error.raw_os_error() == Some(E2BIG) {
            format!(
                "sandbox {origin}: starting `{program}` failed ({error}): either its arguments and environment are too long, or the calling thread already has {MAX_LAYERS} Landlock layers, the kernel's limit, and the program's sandbox would be one more"
            )
        } else if error.raw_os_error() == Some(EACCES) {
            match caller {
                Some(caller) => format!(
                    "starting `{program}` was denied ({error}) by the sandbox {} in force on the calling thread, which the program inherits: it does not grant `exec` on `{}` (the program's own sandbox {origin} does); run the program from a thread whose sandboxes allow it, or add `exec = \"{}\"` to {}",
                    caller.origin,
                    caller.path.display(),
                    caller.path.display(),
                    caller.origin
                ),
                None if null_denied => format!(
                    "sandbox {origin}: starting `{program}` was denied ({error}) before it started: a sandbox in force on the calling thread denies opening `/dev/null`, which `Command` opens for each `Stdio::null()` (`output()` and `status()` give it to standard input); grant it there (`preset = \"devices\"`), or give the command other standard streams (`Stdio::piped()`, `Stdio::inherit()`)"
                ),
                None => format!(
                    "sandbox {origin}: starting `{program}` was denied ({error}): the policy must grant `exec` on the program, and, for a dynamically linked program, its loader and libraries (`preset = \"dynamic_loader\"`; `landlock_runtime::exec::dependencies` lists them); a sandbox in force on the calling thread must allow them too, since the program inherits it"
                ),
            }
        } else {
            format!("sandbox {origin}: starting `{program}` failed: {error}")
        };
        io::Error::new(error.kind(), message)
    }
}

/// A policy that names `$CWD`, bound to the directory a command's child starts in: set in the
/// parent before each start, read by the child between `fork` and `exec`.
#[derive(Debug, Default)]
struct BoundToCwd {
    /// The last [`ChildStart`] set (leaked by `set`, freed when replaced or dropped); null
    /// before the first start.
    start: AtomicPtr<ChildStart>,
}

/// What a child restricts itself with: the policy bound to its directory and prepared, the
/// logging flags, mark and report of [`Sandbox::pre_exec`], and the directory (device and
/// inode) the policy was bound to.
#[derive(Debug)]
struct ChildStart {
    policy: Policy,
    flags: u32,
    mark: Option<[u8; 16]>,
    report: Option<((i32, u64), u64)>,
    dev: u64,
    ino: u64,
}

impl BoundToCwd {
    /// Makes `start` what the next child restricts itself with.
    fn set(&self, start: ChildStart) {
        let old = self
            .start
            .swap(Box::into_raw(Box::new(start)), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: a non-null pointer here was made by `Box::into_raw` above, and is freed
            // once, by whoever swaps it out. A child forked before reads its own copy of the
            // memory; no other thread reads it in this process (setting and spawning both
            // need the command mutably).
            drop(unsafe { Box::from_raw(old) });
        }
    }

    /// Between `fork` and `exec`: restricts the child with the policy bound to its directory,
    /// or refuses to start it (EACCES) when none was bound (a spawn that went around the
    /// methods of [`SandboxedCommand`]) or it is in another directory than the one bound
    /// (`current_dir` changed since). Async-signal-safe: loads, one `stat`, the system calls
    /// of [`Policy::restrict_child`].
    fn restrict_child(&self) -> io::Result<()> {
        // SAFETY: null or a `ChildStart` leaked by `set`, which the child's copy of the memory
        // keeps whatever the parent does.
        let Some(start) = (unsafe { self.start.load(Ordering::Acquire).as_ref() }) else {
            return Err(io::Error::from_raw_os_error(EACCES));
        };
        if !crate::kernel::in_directory(start.dev, start.ino) {
            return Err(io::Error::from_raw_os_error(EACCES));
        }
        if let Some(((fd, ino), id)) = start.report {
            crate::kernel::report_child(fd, ino, id);
        }
        start
            .policy
            .restrict_child(start.flags, start.mark.as_ref())
    }
}

impl Drop for BoundToCwd {
    fn drop(&mut self) {
        let last = *self.start.get_mut();
        if !last.is_null() {
            // SAFETY: made by `Box::into_raw` in `set`, not freed since; nothing else can
            // reach it now.
            drop(unsafe { Box::from_raw(last) });
        }
    }
}

#[cfg(target_os = "linux")]
const EACCES: i32 = libc::EACCES;
#[cfg(not(target_os = "linux"))]
const EACCES: i32 = 13;

/// Arguments and environment of this size or less are never too long for `execve`.
const ARGUMENTS_SURELY_FIT: usize = 64 * 1024;

/// The size `execve` counts for a command's arguments and environment (each string and its
/// NUL, and a pointer to it).
fn arguments_size(command: &Command) -> usize {
    let strings = |s: &std::ffi::OsStr| s.len() + 1 + std::mem::size_of::<usize>();
    let args: usize = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(strings)
        .sum();
    let explicit: Vec<_> = command.get_envs().collect();
    let inherited: usize = std::env::vars_os()
        .filter(|(k, _)| !explicit.iter().any(|(e, _)| e == k))
        .map(|(k, v)| strings(&k) + v.len() + 1)
        .sum();
    let set: usize = explicit
        .iter()
        .filter_map(|(k, v)| v.map(|v| strings(k) + v.len() + 1))
        .sum();
    args + inherited + set
}

/// A sandbox of the calling thread that denies running a program.
struct CallerDenial {
    origin: crate::model::Origin,
    path: std::path::PathBuf,
}

/// A spawn that failed because the policy could not be prepared; its source is the
/// [`Error`].
#[derive(Debug)]
struct SpawnError(Arc<Error>);

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; the program was not started", self.0)
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl SandboxCommandExt for Command {
    type Sandboxed<'a> = SandboxedCommand<'a>;

    fn sandbox(&mut self, policy: &'static Policy) -> SandboxedCommand<'_> {
        let sandbox = Sandbox::new(policy);
        let pre_exec = sandbox.pre_exec();
        // SAFETY: the closure makes only async-signal-safe system calls and does not allocate
        // (see `Policy::restrict_child`).
        unsafe { std::os::unix::process::CommandExt::pre_exec(self, pre_exec) };
        SandboxedCommand {
            command: self,
            sandbox,
        }
    }
}

impl SandboxedCommand<'_> {
    /// [`Command::spawn`], with errors that name the policy.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let mut command = Command::new("/usr/bin/env");
    /// let policy = policy!(exec = "/usr/bin/env", preset = "dynamic_loader");
    /// let mut child = command.arg("-i").sandbox(policy).spawn()?;
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.start(Command::spawn)
    }

    /// [`Command::status`], with errors that name the policy.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let mut command = Command::new("/usr/bin/env");
    /// let err = command.sandbox(policy!(read = "/no/such/dir")).status().unwrap_err();
    /// let message = err.to_string();
    /// assert!(message.contains("path `/no/such/dir` does not exist"), "{message}");
    /// assert!(message.ends_with("the program was not started"), "{message}");
    /// ```
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        self.start(Command::status)
    }

    /// [`Command::output`], with errors that name the policy.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let mut command = Command::new("/usr/bin/env");
    /// command.args(["-i", "GREETING=hello"]);
    /// let output = command.sandbox(policy!(exec = "/usr/bin/env", preset = "dynamic_loader")).output()?;
    /// assert_eq!(output.stdout, b"GREETING=hello\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn output(&mut self) -> io::Result<Output> {
        self.start(Command::output)
    }

    /// [`CommandExt::exec`](std::os::unix::process::CommandExt::exec): restricts the calling
    /// thread with the policy and replaces this process with the program, as the `landlock`
    /// crate's `sandboxer` example does; the program keeps this process's id, so a signal
    /// sent to it reaches the program, and its parent sees the program's own status. Returns
    /// only on failure, with an error that names the policy.
    ///
    /// Before anything is restricted, it fails as [`spawn`](SandboxedCommand::spawn) does when
    /// the policy cannot be prepared, and with [`io::ErrorKind::Unsupported`] while this
    /// process watches denials ([`denials::watch`](crate::denials::watch) or the
    /// `LANDLOCK_SANDBOX_*` variables): the watcher would end with `exec`, and the program's
    /// denials go unreported; start the program as a child then. When `exec` itself fails
    /// (the kernel denied it, the program is missing), the calling thread stays restricted.
    ///
    /// As in a child, the process is restricted with `prctl` and `landlock_restrict_self`
    /// only; no io_uring instance is looked for, as for a child: a ring of this process
    /// stays reachable by the program only through a descriptor without `O_CLOEXEC`, which
    /// a spawned child would inherit too (`exec` closes the others).
    ///
    /// ```no_run
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let policy = policy!(exec = "/usr/bin/env", preset = "dynamic_loader");
    /// let error = Command::new("/usr/bin/env").arg("-i").sandbox(policy).exec();
    /// // Reached only when the program could not be started.
    /// eprintln!("{error}");
    /// ```
    pub fn exec(&mut self) -> io::Error {
        #[cfg(target_os = "linux")]
        if crate::audit::marking() {
            return io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "sandbox {}: not replacing this process with `{}`: this process watches denials, and the watcher would end with `exec`; start the program as a child instead",
                    self.sandbox.policy.origin(),
                    self.command.get_program().to_string_lossy()
                ),
            );
        }
        self.start(|command| Err::<(), _>(std::os::unix::process::CommandExt::exec(command)))
            .unwrap_err()
    }

    /// The policy confining the command.
    ///
    /// ```
    /// use std::process::Command;
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// let policy = policy!(exec = "/usr/bin/env");
    /// let mut command = Command::new("/usr/bin/env");
    /// assert!(std::ptr::eq(command.sandbox(policy).policy(), policy));
    /// ```
    pub fn policy(&self) -> &'static Policy {
        self.sandbox.policy
    }

    /// Starts the program with `how`, unless the policy could not be prepared; errors name it.
    fn start<T>(&mut self, how: impl FnOnce(&mut Command) -> io::Result<T>) -> io::Result<T> {
        self.sandbox.bind_cwd(self.command.get_current_dir())?;
        self.sandbox.check(self.command.get_program())?;
        how(self.command).map_err(|e| {
            let size = arguments_size(self.command);
            self.sandbox
                .explain(self.command.get_program(), e, Some(size))
        })
    }
}

impl Deref for SandboxedCommand<'_> {
    type Target = Command;
    fn deref(&self) -> &Command {
        self.command
    }
}

impl DerefMut for SandboxedCommand<'_> {
    fn deref_mut(&mut self) -> &mut Command {
        self.command
    }
}

/// A `tokio::process::Command` confined by a policy; see [`SandboxCommandExt::sandbox`].
///
/// It dereferences to the command, so it can still be configured; spawn it with its own
/// methods, whose errors name the policy. Not run here: it needs a tokio runtime.
///
/// ```no_run
/// use landlock_runtime::{SandboxCommandExt, policy};
///
/// # async fn run() -> std::io::Result<()> {
/// let mut command = tokio::process::Command::new("/usr/bin/env");
/// let mut sandboxed = command.sandbox(policy!(exec = "/usr/bin/env", preset = "dynamic_loader"));
/// sandboxed.arg("-i");
/// assert!(sandboxed.status().await?.success());
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct SandboxedTokioCommand<'a> {
    command: &'a mut tokio::process::Command,
    sandbox: Sandbox,
}

#[cfg(feature = "tokio")]
impl SandboxCommandExt for tokio::process::Command {
    type Sandboxed<'a> = SandboxedTokioCommand<'a>;

    fn sandbox(&mut self, policy: &'static Policy) -> SandboxedTokioCommand<'_> {
        let sandbox = Sandbox::new(policy);
        let pre_exec = sandbox.pre_exec();
        // SAFETY: as for std::process::Command.
        unsafe { self.pre_exec(pre_exec) };
        SandboxedTokioCommand {
            command: self,
            sandbox,
        }
    }
}

#[cfg(feature = "tokio")]
impl SandboxedTokioCommand<'_> {
    /// `tokio::process::Command::spawn`, with errors that name the policy.
    ///
    /// Not run here: it needs a tokio runtime.
    ///
    /// ```no_run
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let mut command = tokio::process::Command::new("/usr/bin/env");
    /// let policy = policy!(exec = "/usr/bin/env", preset = "dynamic_loader");
    /// let mut child = command.arg("-i").sandbox(policy).spawn()?;
    /// assert!(child.wait().await?.success());
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn(&mut self) -> io::Result<tokio::process::Child> {
        self.check()?;
        let program = self.command.as_std().get_program().to_owned();
        let size = arguments_size(self.command.as_std());
        self.command
            .spawn()
            .map_err(|e| self.sandbox.explain(&program, e, Some(size)))
    }

    /// `tokio::process::Command::status`, with errors that name the policy.
    ///
    /// Not run here: it needs a tokio runtime.
    ///
    /// ```no_run
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// # async fn run() {
    /// let mut command = tokio::process::Command::new("/usr/bin/env");
    /// let err = command.sandbox(policy!(read = "/no/such/dir")).status().await.unwrap_err();
    /// assert!(err.to_string().contains("path `/no/such/dir` does not exist"));
    /// # }
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.check()?;
        let program = self.command.as_std().get_program().to_owned();
        let size = arguments_size(self.command.as_std());
        let result = self.command.status().await;
        result.map_err(|e| self.sandbox.explain(&program, e, Some(size)))
    }

    /// `tokio::process::Command::output`, with errors that name the policy.
    ///
    /// Not run here: it needs a tokio runtime.
    ///
    /// ```no_run
    /// use landlock_runtime::{SandboxCommandExt, policy};
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let mut command = tokio::process::Command::new("/usr/bin/env");
    /// command.args(["-i", "GREETING=hello"]);
    /// let policy = policy!(exec = "/usr/bin/env", preset = "dynamic_loader");
    /// assert_eq!(command.sandbox(policy).output().await?.stdout, b"GREETING=hello\n");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        self.check()?;
        let program = self.command.as_std().get_program().to_owned();
        let size = arguments_size(self.command.as_std());
        let result = self.command.output().await;
        result.map_err(|e| self.sandbox.explain(&program, e, Some(size)))
    }

    fn check(&self) -> io::Result<()> {
        let std = self.command.as_std();
        self.sandbox.bind_cwd(std.get_current_dir())?;
        self.sandbox.check(std.get_program())
    }
}

#[cfg(feature = "tokio")]
impl Deref for SandboxedTokioCommand<'_> {
    type Target = tokio::process::Command;
    fn deref(&self) -> &tokio::process::Command {
        self.command
    }
}

#[cfg(feature = "tokio")]
impl DerefMut for SandboxedTokioCommand<'_> {
    fn deref_mut(&mut self) -> &mut tokio::process::Command {
        self.command
    }
}
