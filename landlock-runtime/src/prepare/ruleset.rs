//! Building the Landlock ruleset of one policy for the running kernel: every right the kernel
//! has handled, one rule per granted path and port. The `landlock` crate creates the ruleset
//! and adds the port rules; path rules are added with one system call each
//! (`kernel::add_path_rule`), since preparation knows each file's type from its open.

pub(crate) use imp::*;

use std::path::PathBuf;

/// What adding a granted path found out.
#[derive(Debug)]
pub(crate) struct Added {
    /// Where the path leads, when it went through a symbolic link.
    pub(crate) followed: Option<PathBuf>,
    /// The file the rule lands on, when asked.
    pub(crate) file: Option<FileId>,
}

/// A file as the kernel knows it, whatever its name: its device and inode numbers. A bind
/// mount shows the same file under another name, with the same numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The file `metadata` describes.
    pub(crate) fn of(metadata: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }

    /// The file `fd` is open on, by one `fstat`: it asks the kernel for the basic fields only,
    /// where `std::fs::File::metadata` asks `statx` for all of them.
    #[cfg(target_os = "linux")]
    pub(crate) fn of_fd(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<FileId> {
        use std::os::fd::AsRawFd;
        let st = crate::kernel::fstat(fd.as_raw_fd()).ok_or_else(std::io::Error::last_os_error)?;
        Ok(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, OwnedFd};
    use std::path::Path;

    use landlock::{
        AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort,
        Ruleset as LandlockRuleset, RulesetAttr, RulesetCreatedAttr, RulesetError, Scope,
    };

    use crate::kernel::Ruleset;
    use crate::model::Class;
    use crate::model::rights::{FsRights, SCOPES_ABI, TCP_ABI};
    use crate::outcome::ErrorKind;
    use crate::policy::Policy;
    use crate::prepare::open_grant::CheckedLinks;

    use super::{Added, FileId};

    /// Builds the ruleset of one policy for the running kernel.
    pub(crate) struct RulesetBuilder {
        abi: u32,
        /// The filesystem rights the ruleset handles: a rule carries only these.
        handled: FsRights,
        /// The created ruleset, once its port rules are added; `None` without Landlock.
        fd: Option<OwnedFd>,
        /// Files under `/proc` that rules name, for [`Ruleset`] to hold open.
        pinned: Vec<File>,
        /// The symbolic links this preparation's paths went through, checked.
        links: CheckedLinks,
    }

    /// Maps an error of the `landlock` crate; the operation's name becomes a `String` only
    /// on error, so that success allocates nothing for it.
    fn kernel_error(operation: impl Into<String>) -> impl FnOnce(RulesetError) -> ErrorKind {
        move |e| ErrorKind::Kernel {
            operation: operation.into(),
            source: io::Error::other(e),
        }
    }

    impl RulesetBuilder {
        /// Creates a ruleset handling every filesystem right the kernel has (but those the
        /// policy leaves unhandled), TCP bind and connect unless unrestricted, and the scopes
        /// unless opted out; adds the port rules.
        ///
        /// Everything asked is within what the kernel supports, and the `landlock` crate is
        /// told to treat any shortfall as an error: nothing is dropped silently here.
        pub(crate) fn new(policy: &Policy, abi: u32) -> Result<RulesetBuilder, ErrorKind> {
            if abi == 0 {
                return Ok(RulesetBuilder {
                    abi,
                    handled: FsRights::default(),
                    fd: None,
                    pinned: Vec::new(),
                    links: CheckedLinks::new(),
                });
            }
            // Every right the kernel has, but those the policy leaves unhandled.
            let handled = FsRights::supported(abi).minus(policy.unhandled_fs);
            let fs = BitFlags::<AccessFs>::from_bits_truncate(handled.0);
            let mut ruleset =
                LandlockRuleset::default().set_compatibility(CompatLevel::HardRequirement);
            if !fs.is_empty() {
                ruleset = ruleset
                    .handle_access(fs)
                    .map_err(kernel_error("handling filesystem rights"))?;
            }
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
                    .map_err(kernel_error("handling TCP rights"))?;
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
                ruleset = ruleset
                    .scope(scopes)
                    .map_err(kernel_error("handling scopes"))?;
            }
            let mut created = ruleset
                .create()
                .map_err(kernel_error("landlock_create_ruleset"))?;
            for (ports, access) in [
                (&policy.bind, AccessNet::BindTcp),
                (&policy.connect, AccessNet::ConnectTcp),
            ] {
                if let (Some(ports), true) = (ports.allowed(), net.contains(access)) {
                    for &port in ports.iter() {
                        created =
                            created
                                .add_rule(NetPort::new(port, access))
                                .map_err(kernel_error(format!(
                                    "adding the rule for TCP port {port}"
                                )))?;
                    }
                }
            }
            Ok(RulesetBuilder {
                abi,
                handled,
                fd: created.into(),
                pinned: Vec::new(),
                links: CheckedLinks::new(),
            })
        }

        /// Opens `path` and adds a rule granting `class` beneath it (only the file rights of
        /// the class when it is not a directory); returns where the path leads when it went
        /// through a symbolic link, and, when `identify`, which file the rule lands on. An
        /// error of kind `NotFound` means the path does not exist.
        pub(crate) fn add_path(
            &mut self,
            path: &Path,
            class: Class,
            identify: bool,
            optional: bool,
        ) -> io::Result<Added> {
            // O_PATH: the rule needs a reference to the inode, not the right to read it. The
            // open tells the file type, so a rule costs one `stat` only when asked which file
            // it lands on, and none otherwise (see `kernel::add_path_rule`); a symlink another
            // user could have planted is refused (see open_grant).
            let opened = crate::prepare::open_grant::open(path, &mut self.links, optional)?;
            let added = Added {
                followed: opened.followed.clone(),
                file: if identify {
                    Some(match &opened.metadata {
                        Some(metadata) => FileId::of(metadata),
                        None => FileId::of_fd(opened.file.as_fd())?,
                    })
                } else {
                    None
                },
            };
            let Some(fd) = &self.fd else {
                return Ok(added);
            };
            let mut rights = FsRights(FsRights::of_class(class, self.abi).0 & self.handled.0);
            if !opened.is_dir {
                rights = rights.for_file();
            }
            if rights.is_empty() {
                // Nothing of the class is handled: the kernel restricts none of it, and takes
                // no rule that allows nothing.
                return Ok(added);
            }
            crate::kernel::add_path_rule(fd.as_fd(), opened.file.as_fd(), rights.0)?;
            if opened.under_proc {
                self.pinned.push(opened.file);
            }
            Ok(added)
        }

        /// The finished ruleset; `None` when the kernel has no Landlock.
        pub(crate) fn finish(self) -> Result<Option<Ruleset>, ErrorKind> {
            let pinned = self.pinned;
            Ok(self.fd.map(|fd| Ruleset::new(fd, pinned)))
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::path::Path;

    use crate::kernel::Ruleset;
    use crate::model::Class;
    use crate::outcome::ErrorKind;
    use crate::policy::Policy;

    use super::Added;

    /// Checks that paths exist, so that a policy fails the same way on every platform.
    pub(crate) struct RulesetBuilder;

    impl RulesetBuilder {
        pub(crate) fn new(_: &Policy, _: u32) -> Result<RulesetBuilder, ErrorKind> {
            Ok(RulesetBuilder)
        }

        pub(crate) fn add_path(
            &mut self,
            path: &Path,
            _: Class,
            _: bool,
            _: bool,
        ) -> io::Result<Added> {
            std::fs::metadata(path).map(|_| Added {
                followed: None,
                file: None,
            })
        }

        pub(crate) fn finish(self) -> Result<Option<Ruleset>, ErrorKind> {
            Ok(None)
        }
    }
}
