//! Review, the top layer: every registered policy of a binary, rendered (text, JSON, the
//! landlockconfig format other tools read), locked in a committed file with each change
//! classified, and the changes a learning file suggests.

pub mod landlockconfig;
pub(crate) mod learn;
pub(crate) mod lock;
pub(crate) mod registry;
