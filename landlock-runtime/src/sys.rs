//! The system side: building a Landlock ruleset (with the `landlock` crate) and restricting a
//! thread with it (two raw system calls, so that a prepared ruleset can be reused by any number
//! of threads without duplicating it). Other platforms get stand-ins that enforce nothing.

pub(crate) use imp::*;

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
    use std::path::Path;
    use std::sync::atomic::{AtomicU32, Ordering};

    use landlock::{
        AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, Ruleset,
        RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetError, Scope,
    };

    use crate::error::ErrorKind;
    use crate::policy::{Class, Policy, Ports};
    use crate::rights::{FsRights, MAX_KNOWN_ABI, SCOPES_ABI, TCP_ABI};

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

    /// The calling thread's `errno`. Async-signal-safe.
    pub(crate) fn errno() -> i32 {
        // SAFETY: __errno_location returns a valid pointer to this thread's errno.
        unsafe { *libc::__errno_location() }
    }

    /// A created Landlock ruleset, ready to restrict any number of threads.
    #[derive(Debug)]
    pub(crate) struct PreparedRuleset {
        fd: OwnedFd,
        /// The files under `/proc` that rules name, held open as long as the ruleset can be
        /// used: procfs makes a new inode for a file when the kernel drops its dentry from its
        /// cache and makes it again, and a rule on the old inode would no longer apply. They
        /// are `O_PATH` descriptors of paths the rules grant anyway: code that finds one
        /// reaches nothing more through it.
        _pinned: Vec<File>,
    }

    impl PreparedRuleset {
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

    /// Builds the ruleset of one policy for the running kernel.
    pub(crate) struct RulesetBuilder {
        abi: u32,
        created: Option<RulesetCreated>,
        /// Files under `/proc` that rules name, for [`PreparedRuleset`] to hold open.
        pinned: Vec<File>,
    }

    /// Maps an error of the `landlock` crate; the operation's name becomes a `String` only
    /// on error, so that success allocates nothing for it.
    fn kernel(operation: impl Into<String>) -> impl FnOnce(RulesetError) -> ErrorKind {
        move |e| ErrorKind::Kernel {
            operation: operation.into(),
            source: io::Error::other(e),
        }
    }

    impl RulesetBuilder {
        /// Creates a ruleset handling every filesystem right the kernel has, TCP bind and
        /// connect unless unrestricted, and the scopes unless opted out; adds the port rules.
        ///
        /// Everything asked is within what the kernel supports, and the `landlock` crate is
        /// told to treat any shortfall as an error: nothing is dropped silently here.
        pub(crate) fn new(policy: &Policy, abi: u32) -> Result<RulesetBuilder, ErrorKind> {
            if abi == 0 {
                return Ok(RulesetBuilder {
                    abi,
                    created: None,
                    pinned: Vec::new(),
                });
            }
            let fs = BitFlags::<AccessFs>::from_bits_truncate(FsRights::supported(abi).0);
            let mut ruleset = Ruleset::default()
                .set_compatibility(CompatLevel::HardRequirement)
                .handle_access(fs)
                .map_err(kernel("handling filesystem rights"))?;
            let mut net = BitFlags::<AccessNet>::empty();
            if abi >= TCP_ABI {
                if policy.bind.is_restricted() {
                    net |= AccessNet::BindTcp;
                }
                if policy.connect.is_restricted() {
                    net |= AccessNet::ConnectTcp;
                }
            }
            if !net.is_empty() {
                ruleset = ruleset
                    .handle_access(net)
                    .map_err(kernel("handling TCP rights"))?;
            }
            let mut scopes = BitFlags::<Scope>::empty();
            if abi >= SCOPES_ABI {
                if policy.scopes.signals {
                    scopes |= Scope::Signal;
                }
                if policy.scopes.abstract_unix_sockets {
                    scopes |= Scope::AbstractUnixSocket;
                }
            }
            if !scopes.is_empty() {
                ruleset = ruleset.scope(scopes).map_err(kernel("handling scopes"))?;
            }
            let mut created = ruleset
                .create()
                .map_err(kernel("landlock_create_ruleset"))?;
            for (ports, access) in [
                (&policy.bind, AccessNet::BindTcp),
                (&policy.connect, AccessNet::ConnectTcp),
            ] {
                if let (Ports::Only(ports), true) = (ports, net.contains(access)) {
                    for &port in ports.iter() {
                        created = created
                            .add_rule(NetPort::new(port, access))
                            .map_err(kernel(format!("adding the rule for TCP port {port}")))?;
                    }
                }
            }
            Ok(RulesetBuilder {
                abi,
                created: Some(created),
                pinned: Vec::new(),
            })
        }

        /// Opens `path` and adds a rule granting `class` beneath it (only the file rights of
        /// the class when it is not a directory). An error of kind `NotFound` means the path
        /// does not exist.
        pub(crate) fn add_path(&mut self, path: &Path, class: Class) -> io::Result<()> {
            // O_PATH: the rule needs a reference to the inode, not the right to read it. The
            // open tells the file type, so preparation makes no stat call of its own (the
            // landlock crate makes one per rule already); a symlink another user could have
            // planted is refused (see open_grant).
            let opened = crate::open_grant::open(path)?;
            let Some(created) = self.created.take() else {
                return Ok(());
            };
            let mut rights = FsRights::of_class(class, self.abi);
            if !opened.is_dir {
                rights = rights.for_file();
            }
            let access = BitFlags::<AccessFs>::from_bits_truncate(rights.0);
            self.created = Some(
                created
                    .add_rule(PathBeneath::new(&opened.file, access))
                    .map_err(io::Error::other)?,
            );
            if opened.under_proc {
                self.pinned.push(opened.file);
            }
            Ok(())
        }

        /// The finished ruleset; `None` when the kernel has no Landlock.
        pub(crate) fn finish(self) -> Result<Option<PreparedRuleset>, ErrorKind> {
            let pinned = self.pinned;
            Ok(self
                .created
                .and_then(Option::<OwnedFd>::from)
                .map(|fd| PreparedRuleset {
                    fd,
                    _pinned: pinned,
                }))
        }
    }

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
    use std::path::Path;

    use crate::error::ErrorKind;
    use crate::policy::{Class, Policy};

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
    pub(crate) enum PreparedRuleset {}

    impl PreparedRuleset {
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

    /// Checks that paths exist, so that a policy fails the same way on every platform.
    pub(crate) struct RulesetBuilder;

    impl RulesetBuilder {
        pub(crate) fn new(_: &Policy, _: u32) -> Result<RulesetBuilder, ErrorKind> {
            Ok(RulesetBuilder)
        }

        pub(crate) fn add_path(&mut self, path: &Path, _: Class) -> io::Result<()> {
            std::fs::metadata(path).map(drop)
        }

        pub(crate) fn finish(self) -> Result<Option<PreparedRuleset>, ErrorKind> {
            Ok(None)
        }
    }

    pub(crate) fn is_single_threaded() -> bool {
        false
    }
}
