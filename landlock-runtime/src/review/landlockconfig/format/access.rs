//! The names of the format: its access names and `abi.*` groups, for filesystem rights,
//! TCP ports and scopes, and how each is read and written.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::kernel::MAX_KNOWN_ABI;
use crate::model::Class;
use crate::model::rights::{FS_RIGHTS, FsRights, SCOPES_ABI, TCP_ABI};

/// What the format accepts in a list of filesystem rights: its three groups, then every right
/// it names, in the kernel's order. `resolve_unix` (ABI 9) has no name in the format yet.
pub(super) const FS_ITEMS: [&str; 19] = [
    "abi.all",
    "abi.read_execute",
    "abi.read_write",
    "execute",
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
    "refer",
    "truncate",
    "ioctl_dev",
];

/// The rights among [`FS_ITEMS`].
pub(super) fn fs_names() -> &'static [&'static str] {
    &FS_ITEMS[3..]
}

/// The kernel's bit of the right the format calls `name`.
pub(super) fn fs_bit(name: &str) -> Option<u64> {
    FS_RIGHTS.iter().find(|r| r.name == name).map(|r| r.bit)
}

/// Every filesystem right the format can name.
pub(in crate::review::landlockconfig) fn named_fs() -> FsRights {
    FsRights(
        fs_names()
            .iter()
            .filter_map(|name| fs_bit(name))
            .fold(0, |acc, bit| acc | bit),
    )
}

/// The ABI at which a class of the policy language is compared with the format's rights: the
/// last one whose rights the format names all of.
pub(super) const CLASS_ABI: u32 = 8;

/// What a class grants beneath a directory, among the rights the format names.
pub(in crate::review::landlockconfig) fn class_rights(class: Class) -> FsRights {
    FsRights(FsRights::of_class(class, CLASS_ABI).0 & named_fs().0)
}

/// `refer`: linking and renaming a file between directories.
pub(in crate::review::landlockconfig) fn refer() -> FsRights {
    FsRights(fs_bit("refer").expect("a right of the kernel"))
}

/// The ABI the format resolves a group at: the document's `abi`, capped at the newest this
/// crate knows, as the format treats a larger one as the newest it knows.
pub(super) fn group_abi(abi: i64) -> u32 {
    u32::try_from(abi).map_or(MAX_KNOWN_ABI, |abi| abi.min(MAX_KNOWN_ABI))
}

/// An item of a list of filesystem rights: a group, or one right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::review::landlockconfig) enum FsItem {
    /// `abi.all`: every right of the ABI.
    All,
    /// `abi.read_execute`: `execute`, `read_file`, `read_dir`, and `refer` from ABI 2.
    ReadExecute,
    /// `abi.read_write`: every right of the ABI but `execute`.
    ReadWrite,
    /// One right, by the format's name of it.
    Right(&'static str),
}

impl FsItem {
    pub(in crate::review::landlockconfig) fn parse(name: &str) -> Option<FsItem> {
        match name {
            "abi.all" => Some(FsItem::All),
            "abi.read_execute" => Some(FsItem::ReadExecute),
            "abi.read_write" => Some(FsItem::ReadWrite),
            _ => fs_names()
                .iter()
                .find(|n| **n == name)
                .map(|n| FsItem::Right(n)),
        }
    }

    pub(in crate::review::landlockconfig) fn name(self) -> &'static str {
        match self {
            FsItem::All => FS_ITEMS[0],
            FsItem::ReadExecute => FS_ITEMS[1],
            FsItem::ReadWrite => FS_ITEMS[2],
            FsItem::Right(name) => name,
        }
    }

    /// Each right of `rights` that the format names, as an item.
    pub(in crate::review::landlockconfig) fn rights_of(rights: FsRights) -> Vec<FsItem> {
        rights
            .names()
            .filter_map(|name| fs_names().iter().find(|n| **n == name))
            .map(|name| FsItem::Right(name))
            .collect()
    }

    /// The rights it stands for in a document of `abi`; `None` for a group without `abi`.
    pub(in crate::review::landlockconfig) fn rights(self, abi: Option<i64>) -> Option<FsRights> {
        let named = named_fs().0;
        let group = |abi: i64| FsRights::supported(group_abi(abi)).0 & named;
        let bits = match self {
            FsItem::Right(name) => fs_bit(name).expect("a right of the kernel"),
            FsItem::All => group(abi?),
            FsItem::ReadExecute => {
                let abi = abi?;
                FsRights::of_class(Class::Exec, group_abi(abi)).0 | (group(abi) & refer().0)
            }
            FsItem::ReadWrite => group(abi?) & !fs_bit("execute").expect("a right of the kernel"),
        };
        Some(FsRights(bits))
    }
}

impl Serialize for FsItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for FsItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        FsItem::parse(&name).ok_or_else(|| de::Error::unknown_variant(&name, &FS_ITEMS))
    }
}

/// TCP rights, as bits: bind, connect.
pub(in crate::review::landlockconfig) const BIND: u8 = 1;
pub(in crate::review::landlockconfig) const CONNECT: u8 = 2;

/// An item of a list of TCP rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub(in crate::review::landlockconfig) enum NetItem {
    /// Both, from ABI 4.
    #[serde(rename = "abi.all")]
    All,
    #[serde(rename = "bind_tcp")]
    BindTcp,
    #[serde(rename = "connect_tcp")]
    ConnectTcp,
}

impl NetItem {
    pub(in crate::review::landlockconfig) fn name(self) -> &'static str {
        match self {
            NetItem::All => "abi.all",
            NetItem::BindTcp => "bind_tcp",
            NetItem::ConnectTcp => "connect_tcp",
        }
    }

    pub(in crate::review::landlockconfig) fn rights(self, abi: Option<i64>) -> Option<u8> {
        Some(match self {
            NetItem::All if group_abi(abi?) >= TCP_ABI => BIND | CONNECT,
            NetItem::All => 0,
            NetItem::BindTcp => BIND,
            NetItem::ConnectTcp => CONNECT,
        })
    }
}

/// IPC scopes, as bits.
pub(in crate::review::landlockconfig) const SIGNAL: u8 = 1;
pub(in crate::review::landlockconfig) const ABSTRACT_UNIX_SOCKET: u8 = 2;

/// An item of a list of scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub(in crate::review::landlockconfig) enum ScopeItem {
    /// Both, from ABI 6.
    #[serde(rename = "abi.all")]
    All,
    #[serde(rename = "abstract_unix_socket")]
    AbstractUnixSocket,
    #[serde(rename = "signal")]
    Signal,
}

impl ScopeItem {
    pub(in crate::review::landlockconfig) fn name(self) -> &'static str {
        match self {
            ScopeItem::All => "abi.all",
            ScopeItem::AbstractUnixSocket => "abstract_unix_socket",
            ScopeItem::Signal => "signal",
        }
    }

    pub(in crate::review::landlockconfig) fn rights(self, abi: Option<i64>) -> Option<u8> {
        Some(match self {
            ScopeItem::All if group_abi(abi?) >= SCOPES_ABI => SIGNAL | ABSTRACT_UNIX_SOCKET,
            ScopeItem::All => 0,
            ScopeItem::AbstractUnixSocket => ABSTRACT_UNIX_SOCKET,
            ScopeItem::Signal => SIGNAL,
        })
    }
}

/// A list the format requires to have at least one item, with its own message when empty.
pub(super) fn non_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<T>::deserialize(deserializer)?;
    if items.is_empty() {
        return Err(de::Error::invalid_length(0, &"at least one element"));
    }
    Ok(items)
}
