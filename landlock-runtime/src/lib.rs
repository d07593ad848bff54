//! Declare, next to the code it protects, what that code may touch; the Linux kernel enforces
//! it with [Landlock](https://docs.kernel.org/userspace-api/landlock.html).
//!
//! ```no_run
//! use landlock_runtime::sandbox;
//!
//! #[sandbox(read = "/etc", write = "$TMP")]
//! fn main() {
//!     // From here on this process can read /etc, read and write the temporary directory,
//!     // and nothing else: no other file, no TCP, no signal or abstract unix socket out.
//!     let _ = std::fs::read_to_string("/etc/hostname");
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
//! # The policy language
//!
//! | item | meaning |
//! | --- | --- |
//! | `read = PATHS` | read files and list directories beneath each path |
//! | `write = PATHS` | `read`, plus create, write, truncate, remove, rename and link within and between write-granted trees |
//! | `exec = PATHS` | `read`, plus execute |
//! | `connect = PORTS` | TCP connect to these ports; `"*"` leaves TCP connect unrestricted |
//! | `bind = PORTS` | TCP bind to these ports; `"*"` likewise |
//! | `preset = NAMES` | add a named bundle of optional paths ([`Preset`]) |
//! | `allow_signals` | opt out of the signal scope: allow signals to processes outside the sandbox |
//! | `allow_abstract_unix_sockets` | opt out of the abstract unix socket scope |
//! | `strict` | fail instead of degrading when the kernel cannot enforce all of the policy |
//! | `process` | restrict every thread of the process (the default on `main`) |
//! | `broad` | acknowledge a broad grant (`/`, write on `$HOME` or a system tree, `"*"` TCP with write) |
//! | `quiet` | ask the kernel not to log this sandbox's denials ([`denials`]) |
//! | `crate = "path"` | where this crate is, when renamed |
//!
//! `PATHS` is a string, a list of strings, or the name of a parameter of the annotated function
//! (its paths are granted at each call); `PORTS` an integer, a list of integers, or `"*"`.
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
//! [`policy!`] yields a `&'static Policy`; [`CommandExt::sandbox`] confines a program started
//! with it, and [`exec::dependencies`] lists what a program needs to start.
//!
//! # Status
//!
//! Every enforcement returns a [`Status`]: fully, partly, or not enforced, what was dropped, and
//! the kernel's ABI. When a policy is less than fully enforced, one line saying so is printed
//! on standard error, once per policy; a `strict` policy fails instead. [`in_force`] lists the
//! policies in force on the calling thread.

#![warn(missing_docs)]

#[cfg(target_os = "linux")]
mod all_threads;
mod arguments;
#[cfg(unix)]
mod command;
#[cfg(target_os = "linux")]
pub mod denials;
mod enforce;
mod error;
#[cfg(target_os = "linux")]
pub mod exec;
mod explain;
pub mod landlockconfig;
pub mod lock;
#[cfg(target_os = "linux")]
mod open_grant;
mod policy;
mod presets;
mod registry;
mod report;
mod resolve;
pub mod rights;
mod scoped;
mod status;
mod sys;

pub use enforce::{MAX_LAYERS, in_force, kernel_abi};
pub use error::{Error, ErrorKind};
pub use landlock_macros::sandbox;

#[cfg(all(unix, feature = "tokio"))]
pub use command::SandboxedTokioCommand;
#[cfg(unix)]
pub use command::{CommandExt, SandboxedCommand};
/// A `&'static Policy` written in the policy language: checked at compile time, registered for
/// review like every sandbox, and usable anywhere a policy is, notably to confine a child
/// process ([`CommandExt::sandbox`]).
///
/// ```
/// use landlock_runtime::{policy, Policy};
///
/// let p: &'static Policy = policy!(read = "/etc", exec = "/usr/bin/env", preset = "dynamic_loader");
/// assert_eq!(p.grants().len(), 2);
/// assert_eq!(p.presets()[0].name(), "dynamic_loader");
/// ```
pub use landlock_macros::policy;
pub use policy::{Class, FsGrant, GrantPath, Origin, Policy, PolicyBuilder, Ports, Scopes};
pub use presets::{PRESETS, Preset};
pub use registry::{policies, policies_json};
pub use status::{
    Dropped, Layer, Level, SkipReason, Skipped, Status, ThreadCoverage, Uncovered, UncoveredThread,
};

/// The block form of the sandbox, `block::sandbox!(ITEMS => EXPR)`.
///
/// It lives in its own module because Rust does not allow an attribute and a function-like
/// macro of the same name side by side.
pub mod block {
    /// Runs an expression on a new scoped thread restricted by the policy written before `=>`.
    ///
    /// The value is `Result<T, landlock_runtime::Error>`: `Err` when the policy could not be
    /// enforced (the expression did not run). The expression may borrow locals; a panic in it
    /// continues in the caller. The caller's thread is never restricted.
    ///
    /// ```
    /// use landlock_runtime::block;
    ///
    /// let words = vec!["a", "b"];
    /// let n = block::sandbox!(read = "/usr" => { words.len() }).unwrap();
    /// assert_eq!(n, 2);
    /// ```
    pub use landlock_macros::block_sandbox as sandbox;
}

/// What the macros expand to. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::policy::{Class, FsGrant, Origin, Policy, Ports, Scopes};
    pub use crate::presets::Preset;
    pub use crate::registry::POLICIES;
    pub use core::result::Result;
    /// The attribute, for `#[sandbox]` to re-emit itself below an async runtime's attribute.
    pub use landlock_macros::sandbox;
    pub use linkme;

    /// Enforces `policy` at function entry; panics (at the annotated function) if it cannot.
    #[track_caller]
    pub fn enter(policy: &'static Policy) {
        if let Err(error) = policy.enforce() {
            panic!("{error}");
        }
    }

    /// Makes this process use at most Landlock ABI `abi`, as an older kernel would, for tests of
    /// the degraded paths. It only lowers what is enforced, for policies prepared afterwards.
    ///
    /// Only with the `simulate-older-kernel` feature, meant for tests and off by default: any
    /// crate of a program could otherwise weaken every sandbox of the process.
    #[cfg(feature = "simulate-older-kernel")]
    pub fn simulate_older_kernel(abi: u32) {
        crate::sys::cap_abi(abi);
    }

    /// The block form: runs `f` sandboxed on a scoped thread.
    pub fn run<T: Send, F: FnOnce() -> T + Send>(
        policy: &'static Policy,
        f: F,
    ) -> Result<T, crate::Error> {
        policy.run(f)
    }

    pub use crate::arguments::{
        Argument, ArgumentNotPaths, ArgumentPath, ArgumentPathList, ArgumentPathListRef,
        ArgumentProbe, NotPaths, paths,
    };

    /// Enforces `policy`, bound to the paths of its arguments, at function entry; panics (at
    /// the annotated function) if it cannot.
    #[track_caller]
    pub fn enter_with_arguments(policy: &'static Policy, arguments: &[Argument]) {
        crate::arguments::enter(policy, arguments);
    }

    /// The block form of a policy that names variables: bound to their paths, then run.
    pub fn run_with_arguments<T: Send, F: FnOnce() -> T + Send>(
        policy: &'static Policy,
        arguments: &[Argument],
        f: F,
    ) -> Result<T, crate::Error> {
        crate::arguments::run(policy, arguments, f)
    }
}
