//! A sandboxed function's call: entered on the calling thread, or on a thread of its own
//! (`own_thread`). A layer a call entered stays on its thread after the call returns (the kernel
//! never lifts one), so the thread is not the next sandboxed function's to narrow: its entry is
//! refused ([`ErrorKind::ThreadNotOwned`]) when that layer denies something the function's
//! policy allows. The same sandbox already in force re-enters; a call nested in one still
//! running narrows.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Entry, LAYERS, ThreadLayers};
use crate::model::rules::Rules;
use crate::outcome::{Error, ErrorKind, Level};
use crate::policy::{Argument, Binding, Policy};

thread_local! {
    /// How many sandboxed functions' calls run on this thread. Calls end in the order they
    /// began, so a layer activated at a depth above this one belongs to a call that has
    /// returned. Constant-initialised and without a destructor: the cheapest thread-local.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// How many sandboxed functions' calls run on this thread.
#[inline]
pub(super) fn depth() -> usize {
    DEPTH.with(Cell::get)
}

/// A sandboxed function's call, running on this thread until it is dropped (at the end of the
/// function, or while unwinding).
#[must_use = "the call runs until it is dropped"]
pub struct Call {
    /// Whether it counts in `DEPTH`: not for a policy on every thread, which is the process's
    /// for the rest of its life, not the call's.
    counted: bool,
    /// The flag that tells the threads that inherited its layer that this call runs in it,
    /// when it is the call that activated it.
    shared: Option<&'static AtomicBool>,
    /// Bound to the thread it counts on.
    _thread: PhantomData<*const ()>,
}

impl Drop for Call {
    #[inline]
    fn drop(&mut self) {
        if self.counted {
            DEPTH.with(|depth| depth.set(depth.get() - 1));
        }
        if let Some(shared) = self.shared {
            shared.store(false, Ordering::Relaxed);
        }
    }
}

impl ThreadLayers {
    /// The youngest layer a returned call left on this thread, other than the one at `except`,
    /// that denies something `rules` allow: under it, a policy of `rules` would be narrowed.
    fn narrowing(&self, rules: &Rules, except: Option<usize>) -> Option<&Entry> {
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find(|(at, entry)| {
                entry.by_call
                    && Some(*at) != except
                    && entry.returned()
                    && entry.layer.level != Level::NotEnforced
                    && !entry.rules.allow_all_of(rules)
            })
            .map(|(_, entry)| entry)
    }

    /// Starts a call in the layer at `at`, one deeper than `depth`.
    #[inline]
    fn begin(&mut self, at: usize, depth: usize) -> Call {
        DEPTH.with(|d| d.set(depth + 1));
        let entry = &mut self.layers[at];
        let mut shared = None;
        if entry.by_call && entry.active == 0 {
            entry.active = depth + 1;
            if let Some(flag) = entry.shared.filter(|_| !entry.layer.inherited) {
                flag.store(true, Ordering::Relaxed);
                shared = Some(flag);
            }
        }
        Call {
            counted: true,
            shared,
            _thread: PhantomData,
        }
    }
}

/// Enters `policy` for a call on the calling thread: `is_it` recognises its layer when it is
/// already in force (then nothing is enforced); otherwise `bind` gives the policy bound to the
/// call's arguments to enforce, or `None` for `policy` itself.
#[inline]
fn enter(
    policy: &Policy,
    is_it: impl Fn(&Entry) -> bool,
    bind: impl FnOnce() -> Result<Option<Policy>, Error>,
) -> Result<Call, Error> {
    if policy.process {
        // The process's for the rest of its life: no call owns it.
        policy.enforce_all_threads()?;
        return Ok(Call {
            counted: false,
            shared: None,
            _thread: PhantomData,
        });
    }
    // Already in force: nothing to enforce. One pass settles the activations of the calls
    // that have returned, finds the layer, and sees whether a returned call may have left
    // another, which then must not narrow it.
    let depth = depth();
    let found = LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        let (mut at, mut others) = (None, false);
        for (i, entry) in layers.layers.iter_mut().enumerate() {
            if entry.active > depth {
                entry.active = 0;
            }
            if at.is_none() && is_it(entry) {
                at = Some(i);
            } else {
                others |= entry.by_call;
            }
        }
        if at.is_none() {
            layers.sync();
            at = layers.layers.iter().position(&is_it);
            others = true;
        }
        let Some(at) = at else {
            return Ok(None);
        };
        if others && let Some(left) = layers.narrowing(&layers.layers[at].rules, Some(at)) {
            return Err(not_owned(policy, left));
        }
        Ok(Some(layers.begin(at, depth)))
    })?;
    if let Some(call) = found {
        return Ok(call);
    }
    let bound = bind()?;
    let entering = bound.as_ref().unwrap_or(policy);
    refuse_narrowing(entering)?;
    let (_, at) = entering.enforce_here(true)?;
    Ok(LAYERS.with(|layers| layers.borrow_mut().begin(at, depth)))
}

/// Prepares `policy` and refuses it when a layer a returned call left on the calling thread
/// would narrow it.
fn refuse_narrowing(policy: &Policy) -> Result<(), Error> {
    let rules = &policy.preparation()?.rules;
    LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        layers.sync();
        match layers.narrowing(rules, None) {
            Some(left) => Err(not_owned(policy, left)),
            None => Ok(()),
        }
    })
}

/// The refusal to narrow a thread that `left` restricts, whose call has returned.
fn not_owned(policy: &Policy, left: &Entry) -> Error {
    policy.error(ErrorKind::ThreadNotOwned {
        restricted_by: left.layer.origin.clone(),
        same_function: left.layer.origin == *policy.origin(),
    })
}

/// Enters a `#[sandbox]` function's policy at its entry.
#[inline]
pub(crate) fn enter_static(policy: &'static Policy) -> Result<Call, Error> {
    let id = policy.preparation()?.id;
    enter(policy, |entry| entry.id == id, || Ok(None))
}

/// Enters a `#[sandbox]` function's policy bound to the paths of its arguments at its entry:
/// the same paths already in force on the thread are not entered again.
pub(crate) fn enter_with_arguments(
    policy: &'static Policy,
    arguments: &[Argument],
) -> Result<Call, Error> {
    let binding = Binding::new(policy, arguments);
    enter(
        policy,
        |entry| entry.binding.as_deref() == Some(&binding),
        || policy.bind_arguments(binding.clone()).map(Some),
    )
}

/// Runs `f`, the body of an `own_thread` function, on a new scoped thread sandboxed by `policy`
/// (bound to `arguments`, when it names any): exactly its policy at each call, under those of
/// the calls still running on the calling thread. Refused when a layer a returned call left
/// on the calling thread would narrow it: the new thread would inherit that layer.
pub(crate) fn on_own_thread<T: Send, F: FnOnce() -> T + Send>(
    policy: &'static Policy,
    arguments: &[Argument],
    f: F,
) -> Result<T, Error> {
    let bound = match arguments {
        [] => None,
        _ => Some(policy.bind_arguments(Binding::new(policy, arguments))?),
    };
    let entering = bound.as_ref().unwrap_or(policy);
    refuse_narrowing(entering)?;
    entering.run(f)
}

/// What a `#[sandbox]` function's failure becomes, chosen by its return type `R`: `Err` for a
/// `Result<T, E>` whose `E: From<Error>` ([`FailIntoErr`]), a panic otherwise ([`FailPanics`]).
/// Autoref specialisation: the expansion calls `(&&ReturnProbe::<R>::NEW).__landlock_fail(e)`.
#[doc(hidden)]
pub struct ReturnProbe<R>(PhantomData<fn() -> R>);

impl<R> ReturnProbe<R> {
    #[doc(hidden)]
    pub const NEW: ReturnProbe<R> = ReturnProbe(PhantomData);
}

/// The failure as `Err`, for a function that returns `Result<T, E>` with `E: From<Error>`.
#[doc(hidden)]
pub trait FailIntoErr {
    #[doc(hidden)]
    type Output;
    #[doc(hidden)]
    fn __landlock_fail(&self, error: Error) -> Self::Output;
}

impl<T, E: From<Error>> FailIntoErr for &ReturnProbe<Result<T, E>> {
    type Output = Result<T, E>;
    fn __landlock_fail(&self, error: Error) -> Result<T, E> {
        Err(E::from(error))
    }
}

/// The failure as a panic, at the annotated function, for any other function.
#[doc(hidden)]
pub trait FailPanics {
    #[doc(hidden)]
    #[track_caller]
    fn __landlock_fail(&self, error: Error) -> ! {
        crate::__private::fail(error)
    }
}

impl<R> FailPanics for ReturnProbe<R> {}
