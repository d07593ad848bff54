//! What each class of the policy language grants, at each Landlock ABI.
//!
//! Rights are kept as the kernel's own bit values (`LANDLOCK_ACCESS_FS_*`), so the table is
//! platform independent, testable anywhere, and converts to the `landlock` crate's flags with
//! no mapping. The rights table of the guide's policy language (`guide::policy_language`) is this
//! module, written out.

use super::Class;

/// The ABI at which everything the policy language can say is enforced: filesystem rights up to
/// `ioctl_dev` (5), TCP (4) and the IPC scopes (6). A kernel at or above it enforces a policy
/// fully; below it, what is missing is reported as dropped. Rights of later ABIs (`resolve_unix`,
/// UDP) are handled when the kernel has them, as extra hardening.
pub(crate) const BASELINE_ABI: u32 = 6;

/// One filesystem access right of Landlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FsRight {
    /// The kernel's bit (`LANDLOCK_ACCESS_FS_*`).
    pub(crate) bit: u64,
    /// The kernel's name, lower case, without the prefix.
    pub(crate) name: &'static str,
    /// The first ABI that has it.
    pub(crate) abi: u32,
    /// Whether it applies to a regular file (a rule on a file may carry only such rights).
    pub(crate) file: bool,
}

const fn right(bit: u64, name: &'static str, abi: u32, file: bool) -> FsRight {
    FsRight {
        bit,
        name,
        abi,
        file,
    }
}

/// Every filesystem right, in the kernel's bit order.
pub(crate) const FS_RIGHTS: [FsRight; 17] = [
    right(1 << 0, "execute", 1, true),
    right(1 << 1, "write_file", 1, true),
    right(1 << 2, "read_file", 1, true),
    right(1 << 3, "read_dir", 1, false),
    right(1 << 4, "remove_dir", 1, false),
    right(1 << 5, "remove_file", 1, false),
    right(1 << 6, "make_char", 1, false),
    right(1 << 7, "make_dir", 1, false),
    right(1 << 8, "make_reg", 1, false),
    right(1 << 9, "make_sock", 1, false),
    right(1 << 10, "make_fifo", 1, false),
    right(1 << 11, "make_block", 1, false),
    right(1 << 12, "make_sym", 1, false),
    right(1 << 13, "refer", 2, false),
    right(1 << 14, "truncate", 3, true),
    right(1 << 15, "ioctl_dev", 5, true),
    right(1 << 16, "resolve_unix", 9, true),
];

const EXECUTE: u64 = 1 << 0;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;

/// A set of filesystem rights, as the kernel's bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct FsRights(pub(crate) u64);

impl FsRights {
    /// Every right the kernel at `abi` has: what a ruleset handles there.
    pub(crate) fn supported(abi: u32) -> FsRights {
        FsRights(
            FS_RIGHTS
                .iter()
                .filter(|r| r.abi <= abi)
                .fold(0, |acc, r| acc | r.bit),
        )
    }

    /// What a grant of `class` allows beneath a directory, at `abi`.
    ///
    /// `read` is `read_file` and `read_dir`; `exec` adds `execute`; `write` is every right the
    /// kernel has except `execute`.
    pub(crate) fn of_class(class: Class, abi: u32) -> FsRights {
        let read = READ_FILE | READ_DIR;
        let bits = match class {
            Class::Read => read,
            Class::Exec => read | EXECUTE,
            Class::Write => Self::supported(abi).0 & !EXECUTE,
        };
        FsRights(bits & Self::supported(abi).0)
    }

    /// The part of these rights that may sit on a rule for a regular file (or any non-directory).
    pub(crate) fn for_file(self) -> FsRights {
        let file = FS_RIGHTS
            .iter()
            .filter(|r| r.file)
            .fold(0, |acc, r| acc | r.bit);
        FsRights(self.0 & file)
    }

    /// The right the kernel names `name` (none when it has no such right).
    pub(crate) fn named(name: &str) -> FsRights {
        FsRights(
            FS_RIGHTS
                .iter()
                .filter(|r| r.name == name)
                .fold(0, |acc, r| acc | r.bit),
        )
    }

    /// The rights in `self` that are not in `other`.
    pub(crate) fn minus(self, other: FsRights) -> FsRights {
        FsRights(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kernel's names of the rights in the set, in bit order.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        FS_RIGHTS
            .iter()
            .filter(move |r| self.0 & r.bit != 0)
            .map(|r| r.name)
    }
}

/// The first ABI with TCP bind and connect rules.
pub(crate) const TCP_ABI: u32 = 4;

/// The first ABI with the signal and abstract unix socket scopes.
pub(crate) const SCOPES_ABI: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::MAX_KNOWN_ABI;

    fn names(r: FsRights) -> Vec<&'static str> {
        r.names().collect()
    }

    #[test]
    fn read_and_exec_are_the_same_at_every_abi() {
        for abi in 1..=MAX_KNOWN_ABI {
            assert_eq!(
                names(FsRights::of_class(Class::Read, abi)),
                ["read_file", "read_dir"]
            );
            assert_eq!(
                names(FsRights::of_class(Class::Exec, abi)),
                ["execute", "read_file", "read_dir"]
            );
        }
    }

    #[test]
    fn write_grows_with_the_abi() {
        let v1 = [
            "write_file",
            "read_file",
            "read_dir",
            "remove_dir",
            "remove_file",
            "make_char",
            "make_dir",
            "make_reg",
            "make_sock",
            "make_fifo",
            "make_block",
            "make_sym",
        ];
        assert_eq!(names(FsRights::of_class(Class::Write, 1)), v1);
        let v2: Vec<_> = v1.iter().copied().chain(["refer"]).collect();
        assert_eq!(names(FsRights::of_class(Class::Write, 2)), v2);
        let v3: Vec<_> = v2.iter().copied().chain(["truncate"]).collect();
        assert_eq!(names(FsRights::of_class(Class::Write, 3)), v3);
        assert_eq!(names(FsRights::of_class(Class::Write, 4)), v3);
        let v5: Vec<_> = v3.iter().copied().chain(["ioctl_dev"]).collect();
        for abi in 5..=8 {
            assert_eq!(names(FsRights::of_class(Class::Write, abi)), v5);
        }
        let v9: Vec<_> = v5.iter().copied().chain(["resolve_unix"]).collect();
        assert_eq!(names(FsRights::of_class(Class::Write, 9)), v9);
        assert_eq!(names(FsRights::of_class(Class::Write, 10)), v9);
    }

    #[test]
    fn write_never_grants_execute() {
        for abi in 0..=MAX_KNOWN_ABI {
            assert_eq!(FsRights::of_class(Class::Write, abi).0 & EXECUTE, 0);
        }
    }

    #[test]
    fn nothing_without_landlock() {
        for class in [Class::Read, Class::Write, Class::Exec] {
            assert!(FsRights::of_class(class, 0).is_empty());
        }
        assert!(FsRights::supported(0).is_empty());
    }

    #[test]
    fn file_rules_carry_only_file_rights() {
        assert_eq!(
            names(FsRights::of_class(Class::Write, 7).for_file()),
            ["write_file", "read_file", "truncate", "ioctl_dev"]
        );
        assert_eq!(
            names(FsRights::of_class(Class::Exec, 7).for_file()),
            ["execute", "read_file"]
        );
    }

    #[test]
    fn bits_match_the_landlock_crate() {
        #[cfg(target_os = "linux")]
        {
            use landlock::{ABI, Access, AccessFs, BitFlags};
            for abi in 1..=MAX_KNOWN_ABI {
                let theirs: BitFlags<AccessFs> = AccessFs::from_all(ABI::from(abi as i32));
                assert_eq!(FsRights::supported(abi).0, theirs.bits(), "ABI {abi}");
                let file = AccessFs::from_file(ABI::from(abi as i32));
                assert_eq!(
                    FsRights::supported(abi).for_file().0,
                    file.bits(),
                    "ABI {abi}"
                );
            }
        }
    }
}
