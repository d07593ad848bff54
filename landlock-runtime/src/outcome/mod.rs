//! Outcomes, the layer above the model: what enforcing a policy reports ([`Status`] and what
//! it holds) and how it fails ([`Error`]). Plain data, with their messages.

mod error;
mod status;

pub use error::{Error, ErrorKind};
pub(crate) use status::IoUringList;
pub use status::{
    Dropped, IoUring, Layer, Level, SkipReason, Skipped, Status, ThreadCoverage, Uncovered,
    UncoveredThread,
};
