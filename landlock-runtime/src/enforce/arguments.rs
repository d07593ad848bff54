//! Enforcing a policy that grants the paths its function's arguments hold: bound to them at
//! each call (`policy::arguments`), then enforced like any policy.

use crate::outcome::Error;
use crate::policy::{Argument, Binding, Policy};

/// Runs `f` on a scoped thread sandboxed by `policy` bound to `arguments`.
pub(crate) fn run<T: Send, F: FnOnce() -> T + Send>(
    policy: &'static Policy,
    arguments: &[Argument],
    f: F,
) -> Result<T, Error> {
    policy
        .bind_arguments(Binding::new(policy, arguments))?
        .run(f)
}
