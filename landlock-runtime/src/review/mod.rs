//! Review, the top layer: every registered policy of a binary, rendered (text, JSON), locked
//! in a committed file with each change classified, and the changes a learning file suggests.

pub(crate) mod learn;
pub(crate) mod lock;
pub(crate) mod registry;
