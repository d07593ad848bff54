//! The library's errors in the words of the command line: options instead of builder
//! methods, without the runner's own source location, and a failed start explained by what
//! the policy lacks.

use std::io;
use std::path::Path;

use landlock_runtime::denials::WatchError;
use landlock_runtime::{Class, Policy, Preset};

use crate::Failure;
use crate::program::Program;

/// An error of the library, for the command line.
pub(crate) fn library_error(error: &landlock_runtime::Error) -> String {
    for_the_command_line(&without_origin(&error.to_string()))
}

/// The library's messages name its builder methods and the policy language; on the command
/// line, the options.
fn for_the_command_line(message: &str) -> String {
    message
        .replace(
            "acknowledge it with `.broad()`",
            "acknowledge it with --broad",
        )
        .replace(
            "acknowledge a broad grant with `broad`",
            "acknowledge it with --broad",
        )
        .replace("`.broad()` acknowledges", "--broad acknowledges")
        .replace("drop `strict`", "drop --strict")
        .replace("connect_any()", "--connect *")
        .replace("bind_any()", "--bind *")
        .replace(
            "end the path with `?` to skip it when missing",
            "use --ignore-missing to skip it",
        )
        .replace(
            "create it, or grant a path that exists",
            "create it, or use --ignore-missing to skip it",
        )
}

/// A message without the runner's own sandbox named at its start: on the command line, the
/// sandbox is the options'.
pub(crate) fn without_origin(text: &str) -> String {
    let text = text.strip_prefix("sandbox ").map_or(text, |rest| {
        match rest.strip_prefix("`sandbox_run` (") {
            Some(rest) => rest.split_once("): ").map_or(text, |(_, rest)| rest),
            None => text,
        }
    });
    text.to_owned()
}

/// A start that failed: the sandbox could not be set up (125), the program or what it needs
/// was not found (127), or it could not be executed (126): when the kernel denied it, with the
/// options that would allow it.
pub(crate) fn spawn_failure(
    error: &io::Error,
    program: &Program,
    policy: &Policy,
    explicit: bool,
) -> Failure {
    let setup = error
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|source| source.downcast_ref::<landlock_runtime::Error>());
    if let Some(error) = setup {
        return Failure::Setup(library_error(error));
    }
    let shown = program.path.display();
    match error.kind() {
        io::ErrorKind::NotFound => Failure::NotFound(format!(
            "starting `{shown}` failed: not found (its interpreter or loader is missing)"
        )),
        io::ErrorKind::PermissionDenied => {
            let missing = missing_to_start(program, policy);
            let message = if missing.is_empty() {
                format!(
                    "starting `{shown}` was denied (permission denied), though exec on it is granted: `sandbox_run --log-denials` shows what was denied"
                )
            } else {
                format!(
                    "starting `{shown}` was denied by the sandbox: add {}{}",
                    missing.join(", "),
                    if explicit {
                        " (or drop --explicit, which grants them)"
                    } else {
                        ""
                    }
                )
            };
            Failure::CannotExecute(message)
        }
        _ => {
            let message = without_origin(&error.to_string());
            Failure::CannotExecute(if message.starts_with("starting ") {
                message
            } else {
                format!("starting `{shown}` failed: {message}")
            })
        }
    }
}

/// The options a policy lacks for the program to start: exec on it and on its interpreters,
/// and, for an ELF program, its loader.
pub(crate) fn missing_to_start(program: &Program, policy: &Policy) -> Vec<String> {
    let mut missing = Vec::new();
    let paths = std::iter::once(&program.path).chain(program.interpreters.iter().map(|i| &i.path));
    for (i, path) in paths.enumerate() {
        if !covers(policy, path, Class::Exec) {
            let what = if i == 0 {
                "the program"
            } else {
                "its interpreter"
            };
            missing.push(format!(
                "--exec {} ({what})",
                crate::shell::quote(path.as_os_str())
            ));
        }
    }
    if program.elf && !policy.presets().contains(&Preset::DynamicLoader) {
        missing.push("--preset dynamic_loader (its loader, if it is linked dynamically)".into());
    }
    missing
}

/// Whether the prepared `policy` grants `wanted` on `path`, symbolic links resolved.
fn covers(policy: &Policy, path: &Path, wanted: Class) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let path = canonical(path);
    policy.granted().unwrap_or_default().iter().any(|g| {
        (g.class() == wanted || wanted == Class::Read) && path.starts_with(canonical(g.path()))
    })
}

/// Why `option` cannot watch denials, and what to do about it.
pub(crate) fn watch_error(option: &str, error: &WatchError) -> Failure {
    Failure::Setup(match error {
        WatchError::NoCapability => {
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "sandbox_run".into());
            format!(
                "{option} reads the kernel's audit records, which needs root (CAP_AUDIT_READ): run sandbox_run as root. Or give this copy the capability (setcap cap_audit_read+ep {exe}), knowing that every user who can run that copy can then read the whole audit log"
            )
        }
        WatchError::AuditDisabled => format!(
            "{option}: the kernel's audit is off, so Landlock reports no denial: turn it on with `sandbox_run --enable-audit` (as root)"
        ),
        other => format!("{option}: {other}"),
    })
}
