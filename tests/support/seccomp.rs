//! Making system calls fail in a whole process, with a seccomp filter on every thread: a
//! kernel without Landlock, a failing `landlock_restrict_self`, a process that cannot start a
//! child.

/// Makes the system calls `numbers` fail with `errno` in this process, with a seccomp filter
/// on every thread (TSYNC), from now on.
pub fn fail_system_calls(numbers: &[libc::c_long], errno: i32) {
    use libc::{
        BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW,
        SECCOMP_RET_ERRNO, sock_filter,
    };
    let stmt = |code: u32, k: u32| sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    // Load the system call number (the first field of `struct seccomp_data`); for each
    // number, jump to the last instruction (fail) if equal; otherwise allow.
    let mut filter = vec![stmt(BPF_LD | BPF_W | BPF_ABS, 0)];
    for (i, &nr) in numbers.iter().enumerate() {
        filter.push(sock_filter {
            code: (BPF_JMP | BPF_JEQ | BPF_K) as u16,
            jt: (numbers.len() - i) as u8,
            jf: 0,
            k: nr as u32,
        });
    }
    filter.push(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    filter.push(stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | errno as u32));
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: a well-formed filter program that lives across the call; no_new_privs first, as
    // seccomp requires of an unprivileged caller.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let installed = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &program as *const libc::sock_fprog,
        );
        assert_eq!(installed, 0, "{}", std::io::Error::last_os_error());
    }
}
