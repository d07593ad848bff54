//! Building the Landlock ruleset of one policy for the running kernel (with the `landlock`
//! crate): every right the kernel has handled, one rule per granted path and port.

pub(crate) use imp::*;

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::{Path, PathBuf};

    use landlock::{
        AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
        Ruleset as LandlockRuleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetError,
        Scope,
    };

    use crate::kernel::Ruleset;
    use crate::model::Class;
    use crate::model::rights::{FsRights, SCOPES_ABI, TCP_ABI};
    use crate::outcome::ErrorKind;
    use crate::policy::Policy;

    /// Builds the ruleset of one policy for the running kernel.
    pub(crate) struct RulesetBuilder {
        abi: u32,
        created: Option<RulesetCreated>,
        /// Files under `/proc` that rules name, for [`Ruleset`] to hold open.
        pinned: Vec<File>,
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
            let mut ruleset = LandlockRuleset::default()
                .set_compatibility(CompatLevel::HardRequirement)
                .handle_access(fs)
                .map_err(kernel_error("handling filesystem rights"))?;
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
                created: Some(created),
                pinned: Vec::new(),
            })
        }

        /// Opens `path` and adds a rule granting `class` beneath it (only the file rights of
        /// the class when it is not a directory); returns where the path leads when it went
        /// through a symbolic link. An error of kind `NotFound` means the path does not exist.
        pub(crate) fn add_path(
            &mut self,
            path: &Path,
            class: Class,
        ) -> io::Result<Option<PathBuf>> {
            // O_PATH: the rule needs a reference to the inode, not the right to read it. The
            // open tells the file type, so preparation makes no stat call of its own (the
            // landlock crate makes one per rule already); a symlink another user could have
            // planted is refused (see open_grant).
            let opened = crate::prepare::open_grant::open(path)?;
            let followed = opened.followed.clone();
            let Some(created) = self.created.take() else {
                return Ok(followed);
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
            Ok(followed)
        }

        /// The finished ruleset; `None` when the kernel has no Landlock.
        pub(crate) fn finish(self) -> Result<Option<Ruleset>, ErrorKind> {
            let pinned = self.pinned;
            Ok(self
                .created
                .and_then(Option::<OwnedFd>::from)
                .map(|fd| Ruleset::new(fd, pinned)))
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::path::{Path, PathBuf};

    use crate::kernel::Ruleset;
    use crate::model::Class;
    use crate::outcome::ErrorKind;
    use crate::policy::Policy;

    /// Checks that paths exist, so that a policy fails the same way on every platform.
    pub(crate) struct RulesetBuilder;

    impl RulesetBuilder {
        pub(crate) fn new(_: &Policy, _: u32) -> Result<RulesetBuilder, ErrorKind> {
            Ok(RulesetBuilder)
        }

        pub(crate) fn add_path(&mut self, path: &Path, _: Class) -> io::Result<Option<PathBuf>> {
            std::fs::metadata(path).map(|_| None)
        }

        pub(crate) fn finish(self) -> Result<Option<Ruleset>, ErrorKind> {
            Ok(None)
        }
    }
}
