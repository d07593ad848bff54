//! `sandbox_run`: see the library's documentation, or `sandbox_run --help`.
//!
//! The runner starts from the C library's `main`, not through Rust's runtime start, which
//! costs about a quarter of a millisecond here, as much as everything else the runner does
//! before `exec` (measured with `bench_quick runner`; see the guide's performance page): most
//! of it is the stack overflow handler of the main thread, whose guard page the C library
//! finds by reading and parsing `/proc/self/maps`. What that start does that the runner relies
//! on is done below, as it does it: standard descriptors that are closed are opened on
//! `/dev/null` (so that no descriptor the runner opens becomes a standard stream, to be
//! written to or handed to the program as one), and `SIGPIPE` is ignored (a closed pipe is an
//! error, not a signal; the program gets the default back at `exec`, as before). A panic still
//! ends the runner with status 101. What it no longer does: a stack overflow in the runner (its
//! main thread, or the threads it starts when it watches denials, which get no alternate signal
//! stack either) is a plain `SIGSEGV`, without the message, and a panic on the main thread names
//! it `<unnamed>`.
// Built for its unit tests, the binary is the test harness's, with the harness's `main`.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
use std::ffi::{c_char, c_int};

/// The program's entry, called by the C library with the arguments, which the standard
/// library reads on its own (`std::env::args_os`).
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    open_standard_descriptors();
    // SAFETY: setting a signal's disposition to `SIG_IGN`, before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let status = std::panic::catch_unwind(|| sandbox_run::main_with(std::env::args_os()))
        .map_or(101, c_int::from);
    // Flushes standard output, as a return from Rust's `main` does.
    std::process::exit(status)
}

/// Opens `/dev/null` on each of the descriptors 0, 1 and 2 that is closed, lowest first, as
/// Rust's runtime start does: one `poll` tells which are closed.
#[cfg(not(test))]
fn open_standard_descriptors() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    loop {
        // SAFETY: `poll` on an array of three `pollfd` of ours, without waiting.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } != -1 {
            break;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            // `poll` cannot tell: ask each descriptor.
            _ => {
                for pollfd in &mut fds {
                    // SAFETY: F_GETFD reads a descriptor's flags and changes nothing.
                    let closed = unsafe { libc::fcntl(pollfd.fd, libc::F_GETFD) } == -1
                        && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
                    pollfd.revents = if closed { libc::POLLNVAL } else { 0 };
                }
                break;
            }
        }
    }
    for pollfd in fds {
        if pollfd.revents & libc::POLLNVAL != 0 {
            // SAFETY: a constant C string and flags; the lowest free descriptor is the closed
            // one, the lower ones being open (checked in order).
            if unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
                std::process::abort();
            }
        }
    }
}
