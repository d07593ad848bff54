//! The lines a sandbox prints on standard error when it must not stay silent: a policy less than
//! fully enforced, threads that keep their access.
//!
//! A report never panics (standard error may be a closed pipe, where `eprintln!` would panic in
//! the middle of an enforcement) and takes no lock (`std::io::stderr` does: a child forked while
//! another thread held it would wait forever). The line is formatted first, then handed to the
//! kernel in one `write`, so that lines from several threads do not interleave.

use std::fmt;

/// Prints `landlock-sandbox: ARGS` on standard error, ignoring any error.
pub(crate) fn line(args: fmt::Arguments<'_>) {
    let text = format!("landlock-sandbox: {args}\n");
    write_stderr(text.as_bytes());
}

#[cfg(target_os = "linux")]
fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a valid buffer of the length passed to descriptor 2.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && super::errno() == libc::EINTR {
            continue;
        } else {
            // Closed, full, or not there: a report is not worth failing for.
            return;
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(bytes);
}
