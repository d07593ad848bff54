//! The kernel interface, the lowest layer: the running kernel's Landlock ABI, and restricting a
//! thread with a created ruleset (two raw system calls, so that one ruleset serves any number of
//! threads without being duplicated). Building a ruleset is the preparation's
//! (`prepare::ruleset`). Other platforms get stand-ins that enforce nothing.

pub(crate) mod report;

pub(crate) use imp::*;

/// The newest Landlock ABI this crate knows. A newer kernel is treated as this one.
pub(crate) const MAX_KNOWN_ABI: u32 = 10;

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::MAX_KNOWN_ABI;

    pub(crate) const E2BIG: i32 = libc::E2BIG;
    pub(crate) const EINVAL: i32 = libc::EINVAL;

    /// `LANDLOCK_CREATE_RULESET_VERSION`: asks the kernel for its ABI.
    const CREATE_RULESET_VERSION: libc::c_uint = 1;

    /// The running kernel's ABI, asked once; `u32::MAX` until then. An atomic rather than a
    /// lazily initialised lock, so that a child forked while another thread asks cannot find it
    /// held forever.
    static ABI: AtomicU32 = AtomicU32::new(u32::MAX);

    fn ask_abi() -> u32 {
        // SAFETY: with a null attribute, size 0 and the VERSION flag, the call only returns
        // the ABI (or fails with ENOSYS/EOPNOTSUPP); it touches no memory.
        let abi = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                CREATE_RULESET_VERSION,
            )
        };
        u32::try_from(abi).unwrap_or(0)
    }

    /// A cap on the ABI used, for tests that simulate an older kernel (`u32::MAX`: none).
    #[cfg(feature = "simulate-older-kernel")]
    static ABI_CAP: AtomicU32 = AtomicU32::new(u32::MAX);

    /// The running kernel's Landlock ABI (0: none), capped at the newest this crate knows.
    pub(crate) fn abi() -> u32 {
        let mut abi = ABI.load(Ordering::Relaxed);
        if abi == u32::MAX {
            // Two threads may both ask; they get the same answer.
            abi = ask_abi();
            ABI.store(abi, Ordering::Relaxed);
        }
        #[cfg(feature = "simulate-older-kernel")]
        let abi = abi.min(ABI_CAP.load(Ordering::Relaxed));
        abi.min(MAX_KNOWN_ABI)
    }

    /// Makes this process use at most `abi`, as an older kernel would. For tests of the
    /// degraded paths; it can only lower what is enforced, and only policies prepared
    /// afterwards see it.
    #[cfg(feature = "simulate-older-kernel")]
    pub(crate) fn cap_abi(abi: u32) {
        ABI_CAP.store(abi, Ordering::Relaxed);
    }

    /// Restricts the calling thread with the ruleset `fd`: `prctl(PR_SET_NO_NEW_PRIVS)`, then
    /// `landlock_restrict_self(fd, flags)`. With a `mark`, the thread carries it as its name
    /// for the instant of the restriction (the kernel records its creator's name with the new
    /// domain, which is how denials are attributed), and gets its own name back. Returns the
    /// errno of the call that failed.
    ///
    /// The one place these calls are made: for the calling thread, in the signal handler that
    /// restricts the other threads, and in a child process between `fork` and `exec`. So it is
    /// async-signal-safe: raw system calls on integers and stack buffers, no allocation, no
    /// lock, and `errno` read right after the call that set it.
    pub(crate) fn restrict_thread(
        fd: RawFd,
        flags: u32,
        mark: Option<&[u8; 16]>,
    ) -> Result<(), i32> {
        // SAFETY: prctl is variadic: its arguments are passed as the `unsigned long`s the
        // kernel reads. No memory is passed.
        let nnp = unsafe {
            libc::prctl(
                libc::PR_SET_NO_NEW_PRIVS,
                1 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if nnp != 0 {
            return Err(errno());
        }
        let mut name = [0u8; 16];
        if let Some(mark) = mark {
            // SAFETY: PR_GET_NAME writes at most 16 bytes into the buffer; PR_SET_NAME reads a
            // NUL-terminated name of at most 16 bytes, as `mark` is.
            unsafe {
                libc::prctl(
                    libc::PR_GET_NAME,
                    name.as_mut_ptr() as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                );
                libc::prctl(
                    libc::PR_SET_NAME,
                    mark.as_ptr() as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                );
            }
        }
        // SAFETY: a system call on two integers; a descriptor that is not a ruleset is refused
        // by the kernel (EBADF, EBADFD), never misread.
        let restricted =
            unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, flags as libc::c_uint) };
        let result = if restricted != 0 {
            Err(errno())
        } else {
            Ok(())
        };
        if mark.is_some() {
            // SAFETY: as above: the name PR_GET_NAME gave, NUL-terminated.
            unsafe {
                libc::prctl(
                    libc::PR_SET_NAME,
                    name.as_ptr() as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                );
            }
        }
        result
    }

    /// Between `fork` and `exec`, before the child restricts itself: sends `policy`, the id of
    /// the policy the child is started with (native-endian `u64`), on the unix datagram socket
    /// `fd` whose inode is `ino`; the kernel attaches the child's process id and user id, so
    /// that its parent knows the child from the kernel's records of the domain it is about to
    /// create. Nothing is sent if `fd` is no longer that socket (the program closed it and the
    /// number was reused), or when its buffer is full (it never blocks).
    /// Async-signal-safe: raw system calls on integers and stack buffers.
    pub(crate) fn report_child(fd: RawFd, ino: u64, policy: u64) {
        // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat writes one `stat` into the buffer passed.
        if unsafe { libc::fstat(fd, &mut stat) } != 0
            || stat.st_mode & libc::S_IFMT != libc::S_IFSOCK
            || stat.st_ino != ino
        {
            return;
        }
        let report = policy.to_ne_bytes();
        // SAFETY: sends the 8 bytes of a stack buffer, as one datagram.
        unsafe {
            libc::send(
                fd,
                report.as_ptr() as *const libc::c_void,
                report.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
    }

    /// `LANDLOCK_SCOPE_SIGNAL`: a domain's processes may signal only processes in it (ABI 6).
    const SCOPE_SIGNAL: u64 = 2;

    /// `struct landlock_ruleset_attr` of `include/uapi/linux/landlock.h` (ABI 6 and later).
    #[repr(C)]
    struct RulesetAttr {
        handled_access_fs: u64,
        handled_access_net: u64,
        scoped: u64,
    }

    /// Starts a throwaway child that is denied once, on purpose, and exits: it restricts itself
    /// with a ruleset that only scopes signals, then asks to signal this process (signal 0,
    /// which delivers nothing), which its new domain denies. Returns the child's pid; the
    /// child is left unreaped, so that no other process can have that pid until the caller
    /// reaps it ([`reap`]).
    ///
    /// The kernel writes the denial's audit records synchronously, in the denied call, after
    /// every record written before this function was called; the records name the child by
    /// the pid the kernel gave it. So seeing them tells a reader of the audit stream that it has
    /// read everything written before. Between `fork` and `_exit` the child makes raw system
    /// calls on integers only.
    pub(crate) fn provoke_denial() -> io::Result<i32> {
        let attr = RulesetAttr {
            handled_access_fs: 0,
            handled_access_net: 0,
            scoped: SCOPE_SIGNAL,
        };
        // SAFETY: the kernel reads one `landlock_ruleset_attr` of the size passed, which lives
        // until the call returns.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                std::mem::size_of::<RulesetAttr>(),
                0 as libc::c_uint,
            )
        };
        let fd = i32::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a descriptor the kernel just returned, owned by nothing else.
        let ruleset = unsafe { OwnedFd::from_raw_fd(fd) };
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the child runs only async-signal-safe code (raw system calls on integers,
        // then `_exit`), as a child of a multithreaded process must.
        match unsafe { libc::fork() } {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                if restrict_thread(ruleset.as_raw_fd(), 0, None).is_ok() {
                    // SAFETY: kill(2) with signal 0 only checks; it has no memory effects.
                    unsafe { libc::kill(parent, 0) };
                }
                // SAFETY: ends the child at once, without running the parent's exit handlers.
                unsafe { libc::_exit(0) }
            }
            pid => Ok(pid),
        }
    }

    /// Waits for the child `pid` that [`provoke_denial`] started, and reaps it.
    pub(crate) fn reap(pid: i32) {
        let mut status = 0;
        // SAFETY: waitpid writes one int; `pid` is this process's own unreaped child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } == -1 && errno() == libc::EINTR {}
    }

    /// `LANDLOCK_RULE_PATH_BENEATH`.
    const RULE_PATH_BENEATH: libc::c_int = 1;

    /// `struct landlock_path_beneath_attr` of `include/uapi/linux/landlock.h`: packed, as the
    /// kernel reads it.
    #[repr(C, packed)]
    struct PathBeneathAttr {
        allowed_access: u64,
        parent_fd: i32,
    }

    /// Adds to the ruleset `ruleset` a rule granting `access` (the kernel's bits) beneath the
    /// file `parent`, whose type the caller knows (the rights of a file that is not a directory
    /// are only the file rights, or the kernel refuses the rule with EINVAL).
    ///
    /// One system call. The `landlock` crate's rule makes an `fstat` first to learn the file's
    /// type; preparation knows it from its own open, and the file's identity, when it needs
    /// it, from a `stat` of its own, so each rule costs one call less this way.
    pub(crate) fn add_path_rule(
        ruleset: BorrowedFd<'_>,
        parent: BorrowedFd<'_>,
        access: u64,
    ) -> io::Result<()> {
        let attr = PathBeneathAttr {
            allowed_access: access,
            parent_fd: parent.as_raw_fd(),
        };
        // SAFETY: the kernel reads one `landlock_path_beneath_attr` at the address passed,
        // which lives until the call returns; both descriptors are open (borrowed).
        let added = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                ruleset.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0 as libc::c_uint,
            )
        };
        if added != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Whether the current directory is the directory `(dev, ino)`: between `fork` and `exec`,
    /// after the child changed to the directory it starts in. Async-signal-safe: one `stat` on a
    /// stack buffer.
    pub(crate) fn in_directory(dev: u64, ino: u64) -> bool {
        // SAFETY: an all-zero `stat` is a valid value for stat to overwrite.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: stat reads a NUL-terminated static string and writes one `stat` into the
        // buffer passed.
        let found = unsafe { libc::stat(c".".as_ptr(), &mut stat) } == 0;
        found && stat.st_dev == dev && stat.st_ino == ino
    }

    /// The calling thread's `errno`. Async-signal-safe.
    /// What `fstat` says of the descriptor number `fd`; `None` when it fails (a number closed
    /// meanwhile fails with EBADF).
    pub(crate) fn fstat(fd: RawFd) -> Option<libc::stat> {
        // SAFETY: a zeroed `stat` is a valid value of the plain struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat on a descriptor number into a properly sized struct.
        (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st)
    }

    pub(crate) fn errno() -> i32 {
        // SAFETY: __errno_location returns a valid pointer to this thread's errno.
        unsafe { *libc::__errno_location() }
    }

    /// A created Landlock ruleset, ready to restrict any number of threads.
    #[derive(Debug)]
    pub(crate) struct Ruleset {
        fd: OwnedFd,
        /// The files under `/proc` that rules name, held open as long as the ruleset can be
        /// used: procfs makes a new inode for a file when the kernel drops its dentry from its
        /// cache and makes it again, and a rule on the old inode would no longer apply. They
        /// are `O_PATH` descriptors of paths the rules grant anyway: code that finds one
        /// reaches nothing more through it.
        _pinned: Vec<File>,
    }

    impl Ruleset {
        /// The ruleset `fd`, holding the `/proc` files its rules name open (`pinned`).
        pub(crate) fn new(fd: OwnedFd, pinned: Vec<File>) -> Ruleset {
            Ruleset {
                fd,
                _pinned: pinned,
            }
        }

        /// Restricts the calling thread (see [`restrict_thread`]).
        pub(crate) fn restrict_self(&self, flags: u32, mark: Option<&[u8; 16]>) -> io::Result<()> {
            restrict_thread(self.fd.as_raw_fd(), flags, mark).map_err(io::Error::from_raw_os_error)
        }

        /// Restricts every thread of the process at once with the kernel's all-threads flag
        /// (`LANDLOCK_RESTRICT_SELF_TSYNC`, ABI 8 and later); the kernel also sets
        /// no_new_privs on the other threads.
        pub(crate) fn restrict_all_threads(
            &self,
            flags: u32,
            mark: Option<&[u8; 16]>,
        ) -> io::Result<()> {
            restrict_thread(self.fd.as_raw_fd(), flags | RESTRICT_SELF_TSYNC, mark)
                .map_err(io::Error::from_raw_os_error)
        }

        /// The ruleset's descriptor, for threads that restrict themselves with it.
        pub(crate) fn fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
    }

    /// `LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF`: denials before the next `exec` are not
    /// logged (ABI 7).
    pub(crate) const LOG_SAME_EXEC_OFF: u32 = 1;
    /// `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON`: denials after an `exec` are logged too (ABI 7).
    pub(crate) const LOG_NEW_EXEC_ON: u32 = 2;
    /// The first ABI with the logging flags.
    pub(crate) const LOG_ABI: u32 = 7;

    /// `LANDLOCK_RESTRICT_SELF_TSYNC`: restrict every thread of the process (ABI 8).
    const RESTRICT_SELF_TSYNC: u32 = 8;

    /// The first ABI with the all-threads flag.
    pub(crate) const TSYNC_ABI: u32 = 8;

    /// Whether the calling thread is the only thread of the process. Only `main` is asked
    /// (by name, which costs nothing); any other thread answers `false` without a system call.
    pub(crate) fn is_single_threaded() -> bool {
        if std::thread::current().name() != Some("main") {
            return false;
        }
        std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| {
                // Field 20, num_threads, counted after the command name's closing parenthesis.
                let rest = &stat[stat.rfind(')')? + 1..];
                rest.split_whitespace().nth(17)?.parse::<u32>().ok()
            })
            == Some(1)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    pub(crate) const E2BIG: i32 = 7;
    #[allow(dead_code)]
    pub(crate) const EINVAL: i32 = 22;
    #[allow(dead_code)] // Read only by the Linux code paths.
    pub(crate) const TSYNC_ABI: u32 = 8;
    pub(crate) const LOG_SAME_EXEC_OFF: u32 = 1;
    pub(crate) const LOG_NEW_EXEC_ON: u32 = 2;
    pub(crate) const LOG_ABI: u32 = 7;

    pub(crate) fn abi() -> u32 {
        0
    }

    #[cfg(feature = "simulate-older-kernel")]
    pub(crate) fn cap_abi(_: u32) {}

    /// Never constructed: there is no Landlock here.
    #[derive(Debug)]
    pub(crate) enum Ruleset {}

    impl Ruleset {
        pub(crate) fn restrict_self(&self, _: u32, _: Option<&[u8; 16]>) -> io::Result<()> {
            match *self {}
        }

        #[allow(dead_code)] // Called only by the Linux code paths.
        pub(crate) fn restrict_all_threads(&self, _: u32, _: Option<&[u8; 16]>) -> io::Result<()> {
            match *self {}
        }

        #[allow(dead_code)] // Called only by the Linux code paths.
        pub(crate) fn raw_fd(&self) -> i32 {
            match *self {}
        }
    }

    pub(crate) fn is_single_threaded() -> bool {
        false
    }

    #[allow(dead_code)] // Called only by the Linux code paths.
    pub(crate) fn report_child(_: i32, _: u64, _: u64) {}

    #[allow(dead_code)] // Called only by the Linux code paths.
    pub(crate) fn in_directory(_: u64, _: u64) -> bool {
        false
    }
}
