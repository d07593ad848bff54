//! Enforcing a policy that grants the paths its function's arguments hold: bound to them at
//! each call (`policy::arguments`), then enforced like any policy.

use crate::outcome::Error;
use crate::policy::{Argument, Binding, Policy};

/// Enforces `policy` bound to `arguments` at function entry; panics (at the annotated
/// function) if it cannot. The same policy with the same paths already in force on the thread
/// is not entered again.
#[track_caller]
pub(crate) fn enter(policy: &'static Policy, arguments: &[Argument]) {
    let binding = Binding::new(policy, arguments);
    if super::has_binding(&binding) {
        return;
    }
    if let Err(error) = policy
        .bind_arguments(binding)
        .and_then(|bound| bound.enforce().map(drop))
    {
        panic!("{error}");
    }
}

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
