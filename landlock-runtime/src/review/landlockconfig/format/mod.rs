//! The landlockconfig document itself: its keys in both spellings, its access names and `abi.*`
//! groups, and the rules the format sets (non-empty lists, the range of `abi`, variable names,
//! `${name}` references). It knows nothing of policies: `import` and `export` translate.
//!
//! The parts: the names of rights, ports and scopes (`access`), the document and its spellings
//! (`document`), and what it handles and allows once its variables are expanded (`expand`).

mod access;
mod document;
mod expand;
#[cfg(test)]
mod tests;

pub(super) use access::{
    ABSTRACT_UNIX_SOCKET, BIND, CONNECT, FsItem, NetItem, SIGNAL, ScopeItem, class_rights,
    named_fs, refer,
};
pub(super) use document::{
    Document, NetPort, PathBeneath, Ruleset, Spelling, Variable, camel, escape, is_variable_name,
};
pub(super) use expand::Config;
