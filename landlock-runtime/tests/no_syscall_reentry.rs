//! Re-entering a policy already in force on the thread makes no system call.
//!
//! Proved, not timed: after one enforcement, the thread installs a seccomp filter (on itself
//! only) that makes every system call enforcement could need fail with EPERM. Re-entry must
//! still succeed; entering any other policy must fail, which shows the filter bites.

#![cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use std::io;
use std::mem::offset_of;
use std::thread;

use landlock_runtime::{ErrorKind, Policy, in_force, sandbox};

mod common;
use common::landlock_or_skip;

/// `AUDIT_ARCH_*` of `linux/audit.h`: the ELF machine with the 64-bit and little-endian flags.
const AUDIT_ARCH_64BIT_LE: u32 = 0x8000_0000 | 0x4000_0000;
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = libc::EM_X86_64 as u32 | AUDIT_ARCH_64BIT_LE;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = libc::EM_AARCH64 as u32 | AUDIT_ARCH_64BIT_LE;

/// Every system call that enforcing a policy could make.
const DENIED: [libc::c_long; 4] = [
    libc::SYS_prctl,
    libc::SYS_landlock_create_ruleset,
    libc::SYS_landlock_add_rule,
    libc::SYS_landlock_restrict_self,
];

#[sandbox(read = "/etc")]
fn read_etc() -> usize {
    in_force().len()
}

fn statement(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump_if_equal(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

/// Installs, on the calling thread only (no TSYNC), a filter that fails [`DENIED`] with EPERM
/// and allows everything else. A foreign architecture kills the process: its system call
/// numbers would mean something else.
fn deny_enforcement_calls() -> io::Result<()> {
    let load = |offset: usize| statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset as u32);
    let ret = |action: u32| statement(libc::BPF_RET | libc::BPF_K, action);
    let mut program = vec![
        load(offset_of!(libc::seccomp_data, arch)),
        jump_if_equal(AUDIT_ARCH, 1, 0),
        ret(libc::SECCOMP_RET_KILL_PROCESS),
        load(offset_of!(libc::seccomp_data, nr)),
    ];
    for nr in DENIED {
        program.push(jump_if_equal(nr as u32, 0, 1));
        program.push(ret(libc::SECCOMP_RET_ERRNO | libc::EPERM as u32));
    }
    program.push(ret(libc::SECCOMP_RET_ALLOW));
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: `fprog` points to a valid program that outlives both calls; the kernel copies it.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const libc::sock_fprog,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The errno of a `prctl` that asks nothing of the thread's privileges.
fn prctl_errno() -> Option<i32> {
    // SAFETY: reads a flag of the calling thread; no memory is passed.
    let r = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
    (r < 0).then(|| io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

#[test]
fn reentry_makes_no_system_call_and_entering_another_policy_does() {
    if !landlock_or_skip() {
        return;
    }
    let built = Policy::builder("built").read("/usr").build().unwrap();
    // Prepared here, so that entering it under the filter needs only prctl and
    // landlock_restrict_self: the control must fail on those, not on preparation.
    let other = Policy::builder("other").read("/usr/share").build().unwrap();
    other.prepare().unwrap();
    let unprepared = Policy::builder("unprepared").read("/srv?").build().unwrap();

    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(read_etc(), 1, "the first entry adds a layer");
            built.enforce().unwrap();
            assert_eq!(in_force().len(), 2);

            deny_enforcement_calls().expect("installing the seccomp filter");
            assert_eq!(prctl_errno(), Some(libc::EPERM), "the filter denies prctl");

            // Re-entry, through the generated code and through the API: no system call.
            assert_eq!(read_etc(), 2, "re-entry adds no layer");
            built.enforce().expect("re-entering a policy in force");
            assert_eq!(in_force().len(), 2);

            // Control: a policy not in force on this thread needs the denied calls.
            let err = other.enforce().unwrap_err();
            match err.kind() {
                ErrorKind::Kernel { source, .. } => {
                    assert_eq!(source.raw_os_error(), Some(libc::EPERM), "{err}")
                }
                _ => panic!("expected EPERM from the kernel: {err}"),
            }
            let err = unprepared.enforce().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Kernel { .. }), "{err}");
            assert_eq!(in_force().len(), 2, "a failed entry adds no layer");
        })
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
    });

    assert_eq!(
        prctl_errno(),
        None,
        "the filter was on the sandboxed thread only"
    );
}
