//! Outcomes, the layer above the model: what enforcing a policy reports ([`Status`] and what
//! it holds) and how it fails ([`Error`]). Plain data, with their messages.

mod error;
mod status;

pub use error::{Error, ErrorKind};
pub use status::{
    Dropped, Layer, Level, SkipReason, Skipped, Status, ThreadCoverage, Uncovered, UncoveredThread,
};
