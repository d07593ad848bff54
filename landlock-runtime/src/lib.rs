//! Declare, next to the code it protects, what that code may touch; the Linux kernel enforces
//! it with [Landlock](https://docs.kernel.org/userspace-api/landlock.html).
//!
//! ```no_run
//! use landlock_runtime::sandbox;
//!
//! #[sandbox(read = "/etc", write = "$TMP")]
//! fn main() {
//!     // From here on, this process can read /etc, read and write the temporary directory,
//!     // and nothing else: no other file, no TCP, no signal or abstract unix socket out.
//! }
//! ```
//!
//! The block form runs an expression on a new thread sandboxed first; the caller stays free:
//!
//! ```no_run
//! use landlock_runtime::block;
//!
//! let input = "/etc/hostname";
//! let text = block::sandbox!(read = "/etc" => { std::fs::read_to_string(input) })
//!     .expect("sandbox enforced")
//!     .expect("readable");
//! ```
//!
//! The same policies can be built at run time with [`Policy::builder`], enforced on the calling
//! thread with [`Policy::enforce`], or on a scoped thread with [`Policy::run`].
//!
//! # The guide
//!
//! The reference is the [`guide`], one page each, the same text as the repository's
//! `landlock-runtime/docs/`: [the policy language](guide::policy_language) (every item, in one
//! table; paths and variables; broad grants; the rights of each class),
//! [run-time semantics](guide::semantics), [thread and process scope](guide::scope),
//! [threads, async and thread pools](guide::threads), [child processes and
//! presets](guide::child_processes), [paths known at run time](guide::run_time_paths),
//! [the runner](guide::runner), [finding and fixing denials](guide::denials),
//! [review and lock files](guide::review), [landlockconfig](guide::landlockconfig),
//! [the threat model and its limits](guide::threat_model),
//! [performance and how it is measured](guide::performance), and
//! [the kernels the tests run on](guide::kernels).
//!
//! # The policy language
//!
//! `#[sandbox(...)]`, `block::sandbox!(... => expr)` and `policy!(...)` take the same items:
//! `read`, `write`, `exec` (paths), `connect`, `bind` (TCP ports), `preset`, `allow_signals`,
//! `allow_abstract_unix_sockets`, `strict`, `process`, `own_thread`, `broad`, `quiet` and
//! `crate`; [the guide's table](guide::policy_language) says what each does.
//! A path is absolute or starts with `$TMP`, `$HOME`, `$CWD`, `$EXE_DIR` or `${NAME}` (any
//! environment variable); a trailing `?` makes it optional (skipped when missing).
//! Everything not granted is denied.
//!
//! # Denials
//!
//! [`denials`] reads the kernel's audit records of denials and names the sandbox that denied
//! each and the item that would allow it; `LANDLOCK_SANDBOX_DENIALS=stderr` prints them from a
//! program unchanged. The `sandbox_run` command-line runner (package `sandbox-run`) confines
//! programs you did not write, and learns the policy they need.
//!
//! # Review
//!
//! Every sandbox registers itself at link time: [`policies`] lists them, [`policies_json`] as
//! JSON, and [`lock`] checks them against a committed lock file. [`landlockconfig`] writes them
//! in the Landlock project's configuration format, for other tools, and reads that format back.
//!
//! # Child processes
//!
//! [`policy!`] yields a `&'static Policy`; [`SandboxCommandExt::sandbox`] confines a program started
//! with it, and [`exec::dependencies`] lists what a program needs to start.
//!
//! # Status
//!
//! Every enforcement returns a [`Status`]: fully, partly, or not enforced, what was dropped, and
//! the kernel's ABI; partly, too, while an io_uring instance set up before the sandbox may run
//! requests with the old rights ([`IoUring`]). When a policy is less than fully enforced, one line saying so is printed
//! on standard error, once per policy; a `strict` policy fails instead. [`in_force`] lists the
//! policies in force on the calling thread.

#![warn(missing_docs)]

// The layers, bottom up; each uses only the layers below it (see ARCHITECTURE.md).
#[cfg(target_os = "linux")]
mod audit;
mod enforce;
mod kernel;
mod model;
mod outcome;
mod policy;
mod prepare;
mod review;

#[cfg(target_os = "linux")]
pub mod exec;
pub mod guide;

pub use enforce::{MAX_LAYERS, in_force, kernel_abi};
#[doc(inline)]
/// Sandboxes a function: at entry, before the body runs, the Linux kernel restricts it to what
/// the policy grants.
///
/// ```no_run
/// use landlock_runtime::sandbox;
///
/// #[sandbox(read = ["/etc/ssl", "$HOME/.config/app?"], write = "$TMP", connect = 443)]
/// fn main() {
///     // From here on, every thread of this process may read /etc/ssl and the app's
///     // configuration, read and write the temporary directory, and connect to TCP port 443;
///     // nothing else.
/// }
/// ```
///
/// # Where it is enforced
///
/// - On `main` (or with `process`): every thread of the process, also threads a library
///   started before `main`, and every thread and process started afterwards.
/// - On any other function: the calling thread, for the rest of its life (enforcement cannot
///   be undone), and the threads and processes it starts afterwards. Put it on the entry point
///   of a worker thread. A second call on the same thread adds nothing and costs no system
///   call. A call nested in another sandboxed call adds a layer, and both apply.
/// - A thread that a returned call left restricted (a pool's thread, a second call with other
///   argument paths) is never narrowed silently: a sandbox whose rules that layer does not
///   allow in full is refused, the body unrun, with [`ErrorKind::ThreadNotOwned`], which names
///   both sandboxes and the fix.
/// - With `own_thread`: a new scoped thread at each call runs the body, sandboxed by exactly
///   this policy (under those of calls still running on the caller), as the block form does;
///   the caller's thread is left as it was. The arguments and the value cross threads (they
///   must be `Send`); `return` and `?` work as in any body. For a function a pool runs.
/// - With parameters named in the policy (`read = input`): at each call, bound to the paths
///   the arguments hold, with the same rules as written paths.
/// - Not on an `async fn` (a compile error: a task moves between threads). For tokio, write it
///   below `#[tokio::main]`, so that the runtime's threads start restricted.
///
/// ```
/// use std::path::Path;
/// use landlock_runtime::sandbox;
///
/// #[sandbox(read = input)]
/// fn count_lines(input: &Path) -> usize {
///     std::fs::read_to_string(input).map_or(0, |text| text.lines().count())
/// }
///
/// let worker = std::thread::spawn(|| count_lines(Path::new("/etc/hostname")));
/// let _lines = worker.join().unwrap();
/// ```
///
/// On a pool's threads, which run one job after another, each call gets a thread of its own:
///
/// ```
/// use std::{io, path::Path};
/// use landlock_runtime::sandbox;
///
/// #[sandbox(read = dir, own_thread)]
/// fn count(dir: &Path) -> io::Result<usize> {
///     Ok(std::fs::read_dir(dir)?.count())
/// }
///
/// // Each call, with its own paths, gets exactly its policy; this thread stays unrestricted.
/// for dir in ["/etc", "/usr", "/etc"] {
///     let _ = count(Path::new(dir));
/// }
/// assert!(landlock_runtime::in_force().is_empty());
/// ```
///
/// When the policy cannot be enforced, the body does not run. A function that returns
/// `Result<T, E>` with `E: From<`[`Error`]`>` (`io::Result<T>`, `Box<dyn Error>`, your own error
/// type, through any alias; `main` too) returns the failure as `Err(E::from(error))`; the
/// choice is made by the return type. Any other function (an `E` without that `From`, a return
/// type with `impl Trait` in it) panics at entry with the error's message.
///
/// ```
/// use std::{io, path::Path};
/// use landlock_runtime::{Error, ErrorKind, sandbox};
///
/// #[sandbox(read = dir)]
/// fn count(dir: &Path) -> io::Result<usize> {
///     Ok(std::fs::read_dir(dir)?.count())
/// }
///
/// let err = count(Path::new("/no/such/dir")).unwrap_err();
/// let err = err.get_ref().and_then(|e| e.downcast_ref::<Error>()).unwrap();
/// assert!(matches!(err.kind(), ErrorKind::MissingPath { .. }));
/// ```
///
/// # The policy language
///
/// The same items in all three forms (`#[sandbox]`, `block::sandbox!`, `policy!`),
/// comma-separated, in any order, each at most once: `read`, `write`, `exec`, `connect`, `bind`,
/// `preset`, `allow_signals`, `allow_abstract_unix_sockets`, `strict`, `process`, `own_thread`,
/// `broad`, `quiet`, `crate`. The table of [the policy language](crate::guide::policy_language)
/// says what each grants, and what paths, ports and preset names it takes. Every mistake is a
/// compile error under the token that is wrong.
///
/// # What failure does
///
/// A policy is prepared once per process, on first use: variables read, paths opened, the
/// ruleset built. If that fails (a mandatory path that does not exist, an unset variable, a
/// bad or broad argument path, a `strict` policy the kernel cannot meet) or enforcement fails
/// (the kernel's limit of 16 layers, a thread another sandbox would narrow), nothing is
/// enforced and the protected code does not run: the error ([`Error`]) names the policy's
/// function, source location and cause, as the function's `Err` or its panic (above). A policy the kernel enforces only
/// in part (an older kernel; no Landlock) is enforced as far as it goes, and one line on
/// standard error says what is not, once per policy; `strict` makes that an error instead.
pub use landlock_macros::sandbox;
pub use model::{Class, FsGrant, GrantPath, GrantedPath, Origin, PRESETS, Ports, Preset, Scopes};
pub use outcome::{
    Dropped, Error, ErrorKind, IoUring, Layer, Level, SkipReason, Skipped, Status, ThreadCoverage,
    Uncovered, UncoveredThread,
};
pub use policy::{Policy, PolicyBuilder};
pub use review::landlockconfig;
pub use review::registry::{policies, policies_json};

#[cfg(all(unix, feature = "tokio"))]
pub use enforce::command::SandboxedTokioCommand;
#[cfg(unix)]
pub use enforce::command::{SandboxCommandExt, SandboxedCommand};
#[doc(inline)]
/// A `&'static Policy` written in the policy language: checked at compile time, registered
/// for review like every sandbox ([`policies`]), and usable anywhere a policy is, notably to
/// confine a child process with [`SandboxCommandExt::sandbox`].
///
/// ```
/// use landlock_runtime::{policy, Policy, SandboxCommandExt};
///
/// let p: &'static Policy = policy!(read = "/etc", exec = "/usr/bin/env", preset = "dynamic_loader");
/// assert_eq!(p.grants().len(), 2);
/// let status = std::process::Command::new("/usr/bin/env")
///     .arg("true")
///     .sandbox(p)
///     .status();
/// ```
///
/// # Where it is enforced
///
/// Nowhere by itself: by [`Policy::enforce`] (the calling thread, or every thread with
/// `process`), [`Policy::run`] (a scoped thread) or [`SandboxCommandExt::sandbox`] (a child
/// process, between `fork` and `exec`; the parent is never restricted). Names of variables are
/// refused: the policy is made at compile time.
///
/// # The policy language
///
/// The same items in all three forms (`#[sandbox]`, `block::sandbox!`, `policy!`),
/// comma-separated, in any order, each at most once: `read`, `write`, `exec`, `connect`, `bind`,
/// `preset`, `allow_signals`, `allow_abstract_unix_sockets`, `strict`, `process`, `own_thread`,
/// `broad`, `quiet`, `crate`. The table of [the policy language](crate::guide::policy_language)
/// says what each grants, and what paths, ports and preset names it takes. Every mistake is a
/// compile error under the token that is wrong.
///
/// # What failure does
///
/// A policy is prepared once per process, on first use: variables read, paths opened, the
/// ruleset built. If that fails (a mandatory path that does not exist, an unset variable, a
/// `strict` policy the kernel cannot meet) or enforcement fails (the kernel's limit of 16
/// layers), nothing is enforced and the protected code does not run: the error ([`Error`])
/// names the policy's function, source location and cause. A policy the kernel enforces only
/// in part (an older kernel; no Landlock) is enforced as far as it goes, and one line on
/// standard error says what is not, once per policy; `strict` makes that an error instead.
pub use landlock_macros::policy;

#[cfg(target_os = "linux")]
pub mod denials {
    //! Denials you can see: the kernel's audit records of Landlock denials (Landlock ABI 7, Linux
    //! 6.15), read as typed [`Denial`]s and attributed to the sandbox that denied them, with the
    //! policy item that would allow each; and, without audit, [`explain`]: which sandbox in force
    //! on the calling thread denies an access, computed from the policies.
    //!
    //! ```no_run
    //! use landlock_runtime::denials;
    //!
    //! // Before the sandboxes whose denials should be attributed are enforced.
    //! let watcher = denials::watch()?;
    //! std::thread::spawn(move || {
    //!     for denial in watcher {
    //!         // sandbox `app::worker` (src/worker.rs:12) denied read_file on /etc/app.toml (pid
    //!         // 812, /usr/bin/app): allow it with read = "/etc/app.toml"
    //!         eprintln!("{denial}");
    //!     }
    //! });
    //! # Ok::<(), denials::WatchError>(())
    //! ```
    //!
    //! Reading audit records needs `CAP_AUDIT_READ` (root has it) and audit enabled in the kernel
    //! (`auditctl -e 1`, or [`enable_audit`]); [`watch`] says which is missing. Two environment
    //! variables start the watcher from the program itself, at its first enforcement:
    //! `LANDLOCK_SANDBOX_DENIALS=stderr` prints each denial once on standard error, and
    //! `LANDLOCK_SANDBOX_LEARN=FILE` records them in `FILE` for [`suggestions`]. Without them, and
    //! without [`watch`], nothing of this runs: no thread, no socket, no system call.
    //!
    //! **Whose denials.** [`watch`] yields this process's denials and those of the child
    //! processes it starts with [`SandboxCommandExt`](crate::SandboxCommandExt) (and of their
    //! children, in the child's sandbox), never another process's. The kernel's records decide:
    //! a domain's first record names the process that created it (its process id and user id,
    //! taken when it restricted itself), and a denial's names the process denied.
    //!
    //! **Attribution.** The kernel names a denial's domain by an id, which a program cannot ask
    //! for when it restricts itself. While denials are watched, each enforcement names the thread
    //! with a mark (`=l`, the process id and the policy's id) for the instant of
    //! `landlock_restrict_self`, and the domain's first record carries that name. Any process can
    //! take a name, so a mark only says which policy a domain is once its creator is known to be
    //! this process or such a child: exact, with any number of sandboxes in one process, on
    //! every thread, and in child processes. Sandboxes enforced before watching started are
    //! reported without a site.
    //!
    //! **The end of a program's denials.** The kernel writes a denial's records in the denied
    //! call, so a program that has ended has nothing more on its way than what is queued for
    //! readers. [`Watcher::catch_up`] reads up to a record it causes itself after that (a
    //! throwaway child's denial, known by its pid), rather than waiting a fixed time; when its
    //! bounded wait passes first, it says so, and what was read is not known to be complete.

    pub use crate::audit::{
        Access, Allow, Attribution, Denial, Object, Reparent, Waker, WatchError, Watcher,
        enable_audit, watch,
    };
    pub use crate::enforce::explain::{Explanation, explain, explain_bind, explain_connect};
    pub use crate::review::learn::{LearnedChange, suggestions};
}

/// Locking policies: a committed file records every sandbox of a crate, and a test fails, with
/// each change classified as widening or narrowing, when the code no longer matches it.
///
/// In a test of the crate whose sandboxes you want to lock (for a binary, a `#[cfg(test)]`
/// test in the binary itself, so that its policies are linked into the test):
///
/// ```no_run
/// #[test]
/// fn sandbox_policies_are_locked() {
///     landlock_runtime::assert_policies_locked!("sandbox.lock");
/// }
/// ```
///
/// The path is relative to the crate's manifest directory. When the test fails, review the
/// listed changes, then rewrite the file with `LANDLOCK_SANDBOX_UPDATE_LOCK=1 cargo test` and
/// commit it: the widening shows in review as a diff of the lock file. One lock file may serve
/// several crates (each binary of a workspace, say): each crate checks and rewrites only its own
/// section, keyed by the crate name.
pub mod lock {
    pub use crate::review::lock::{Change, Direction, UPDATE_VARIABLE, changes};
}

/// The block form of the sandbox, `block::sandbox!(ITEMS => EXPR)`.
///
/// It lives in its own module because Rust does not allow an attribute and a function-like
/// macro of the same name side by side.
///
/// ```
/// use landlock_runtime::block;
///
/// let listed = block::sandbox!(read = "/etc" => std::fs::read_dir("/etc").is_ok());
/// assert!(listed.expect("the sandbox was enforced"));
/// // The caller is not restricted.
/// assert!(std::fs::read_dir("/usr").is_ok());
/// ```
pub mod block {
    #[doc(inline)]
    /// Runs an expression on a new scoped thread restricted by the policy written before `=>`;
    /// the caller's thread is never restricted.
    ///
    /// ```
    /// use landlock_runtime::block;
    ///
    /// let config = "/etc/hostname";
    /// let text = block::sandbox!(read = "/etc" => std::fs::read_to_string(config))
    ///     .expect("the sandbox was enforced")
    ///     .expect("the file was read");
    /// ```
    ///
    /// The value is `Result<T, landlock_runtime::Error>`: `Err` when the policy could not be
    /// enforced, in which case the expression did not run. The expression may borrow locals, as
    /// with [`std::thread::scope`]; a panic in it continues in the caller; `return` and `?` inside
    /// belong to the closure it becomes. A name in the policy is any variable in scope holding
    /// paths (`read = input`). `process` is refused: a block never restricts its caller.
    ///
    /// # Where it is enforced
    ///
    /// On the new thread only, and the threads and processes it starts; layers in force on the
    /// calling thread apply there too.
    ///
    /// # The policy language
    ///
    /// The same items in all three forms (`#[sandbox]`, `block::sandbox!`, `policy!`),
    /// comma-separated, in any order, each at most once: `read`, `write`, `exec`, `connect`, `bind`,
    /// `preset`, `allow_signals`, `allow_abstract_unix_sockets`, `strict`, `process`, `own_thread`,
    /// `broad`, `quiet`, `crate`. The table of [the policy language](crate::guide::policy_language)
    /// says what each grants, and what paths, ports and preset names it takes. Every mistake is a
    /// compile error under the token that is wrong.
    ///
    /// # What failure does
    ///
    /// A policy is prepared once per process, on first use: variables read, paths opened, the
    /// ruleset built. If that fails (a mandatory path that does not exist, an unset variable, a
    /// `strict` policy the kernel cannot meet) or enforcement fails (the kernel's limit of 16
    /// layers), nothing is enforced and the protected code does not run: the error ([`Error`](crate::Error))
    /// names the policy's function, source location and cause. A policy the kernel enforces only
    /// in part (an older kernel; no Landlock) is enforced as far as it goes, and one line on
    /// standard error says what is not, once per policy; `strict` makes that an error instead.
    pub use landlock_macros::block_sandbox as sandbox;
}

/// What the macros expand to. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    use std::path::Path;

    pub use crate::model::{Class, FsGrant, Origin, Ports, Preset, Scopes};
    pub use crate::policy::{
        Argument, ArgumentNotPaths, ArgumentNotPorts, ArgumentPath, ArgumentPathList,
        ArgumentPathListRef, ArgumentPort, ArgumentPortList, ArgumentPortListRef, ArgumentProbe,
        NotPaths, NotPorts, Policy, argument_ports, paths,
    };
    pub use crate::review::registry::POLICIES;
    pub use core::result::Result;
    /// The attribute, for `#[sandbox]` to re-emit itself below an async runtime's attribute.
    pub use landlock_macros::sandbox;
    pub use linkme;

    /// A grant of the path template `template`, checked at compile time.
    pub const fn grant(template: &'static str, class: Class) -> FsGrant {
        FsGrant::template(template, class)
    }

    /// A grant of the paths the argument `name` holds at each call.
    pub const fn argument_grant(name: &'static str, class: Class) -> FsGrant {
        FsGrant::argument(name, class)
    }

    /// Where a policy is declared.
    pub const fn origin(function: &'static str, file: &'static str, line: u32) -> Origin {
        Origin::new(function, file, line)
    }

    /// Only these ports, sorted and without repeats.
    pub const fn ports(ports: &'static [u16]) -> Ports {
        Ports::listed(ports)
    }

    /// These ports, sorted and without repeats, and those the named arguments hold at each
    /// call.
    pub const fn ports_with_arguments(
        ports: &'static [u16],
        arguments: &'static [&'static str],
    ) -> Ports {
        Ports::with_arguments(ports, arguments)
    }

    /// The scopes restricted as these flags say.
    pub const fn scopes(signals: bool, abstract_unix_sockets: bool) -> Scopes {
        Scopes::new(signals, abstract_unix_sockets)
    }

    /// A policy from its parts, each checked at compile time.
    #[allow(clippy::too_many_arguments)]
    pub const fn policy(
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
        Policy::from_parts(
            origin, grants, presets, connect, bind, scopes, strict, process, broad, quiet,
        )
    }

    pub use crate::enforce::call::{Call, FailIntoErr, FailPanics, ReturnProbe};

    /// Enforces `policy` at function entry; panics (at the annotated function) if it cannot.
    /// The call runs until the value returned is dropped.
    #[track_caller]
    pub fn enter(policy: &'static Policy) -> Call {
        match try_enter(policy) {
            Ok(call) => call,
            Err(error) => panic!("{error}"),
        }
    }

    /// A `#[sandbox]` function's failure, when its return value cannot hold it: a panic at
    /// the function.
    #[track_caller]
    pub fn fail(error: crate::Error) -> ! {
        panic!("{error}")
    }

    /// Enforces `policy` at function entry, or says why it cannot: for a function whose return
    /// value holds the error (see [`ReturnProbe`]).
    #[inline]
    pub fn try_enter(policy: &'static Policy) -> Result<Call, crate::Error> {
        crate::enforce::call::enter_static(policy)
    }

    /// Makes this process use at most Landlock ABI `abi`, as an older kernel would, for tests of
    /// the degraded paths. It only lowers what is enforced, for policies prepared afterwards.
    ///
    /// Only with the `simulate-older-kernel` feature, meant for tests and off by default: any
    /// crate of a program could otherwise weaken every sandbox of the process.
    #[cfg(feature = "simulate-older-kernel")]
    pub fn simulate_older_kernel(abi: u32) {
        crate::kernel::cap_abi(abi);
    }

    /// The block form: runs `f` sandboxed on a scoped thread.
    pub fn run<T: Send, F: FnOnce() -> T + Send>(
        policy: &'static Policy,
        f: F,
    ) -> Result<T, crate::Error> {
        policy.run(f)
    }

    /// Enforces `policy`, bound to the paths of its arguments, at function entry; panics (at
    /// the annotated function) if it cannot.
    #[track_caller]
    pub fn enter_with_arguments(policy: &'static Policy, arguments: &[Argument]) -> Call {
        match try_enter_with_arguments(policy, arguments) {
            Ok(call) => call,
            Err(error) => panic!("{error}"),
        }
    }

    /// Enforces `policy`, bound to the paths of its arguments, at function entry, or says why
    /// it cannot.
    pub fn try_enter_with_arguments(
        policy: &'static Policy,
        arguments: &[Argument],
    ) -> Result<Call, crate::Error> {
        crate::enforce::call::enter_with_arguments(policy, arguments)
    }

    /// The body of an `own_thread` function, run on a new scoped thread sandboxed by `policy`
    /// bound to `arguments` (none when it names no argument).
    pub fn on_own_thread<T: Send, F: FnOnce() -> T + Send>(
        policy: &'static Policy,
        arguments: &[Argument],
        f: F,
    ) -> Result<T, crate::Error> {
        crate::enforce::call::on_own_thread(policy, arguments, f)
    }

    /// The block form of a policy that names variables: bound to their paths, then run.
    pub fn run_with_arguments<T: Send, F: FnOnce() -> T + Send>(
        policy: &'static Policy,
        arguments: &[Argument],
        f: F,
    ) -> Result<T, crate::Error> {
        crate::enforce::arguments::run(policy, arguments, f)
    }

    /// What `assert_policies_locked!` expands to.
    #[track_caller]
    pub fn assert_locked(path: impl AsRef<Path>, module_path: &str) {
        crate::review::lock::assert_locked(path.as_ref(), module_path);
    }
}
