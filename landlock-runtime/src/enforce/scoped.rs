//! Scoped blocks: run a closure on a new thread that is sandboxed first.

use std::panic;
use std::thread;

use crate::outcome::{Error, ErrorKind};
use crate::policy::Policy;

impl Policy {
    /// Runs `f` on a new scoped thread restricted by this policy, and returns its value.
    ///
    /// The calling thread is never restricted; the new thread has the caller's sandboxes too
    /// (the kernel passes them on), and this one on top. `f` may borrow locals, as with
    /// [`std::thread::scope`]. If the policy cannot be enforced, `f` does not run and the error
    /// is returned; if `f` panics, the panic continues on the calling thread. A policy on every
    /// thread (`process`) is refused with [`ErrorKind::InvalidPolicy`](crate::ErrorKind): it
    /// would restrict the caller too.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("parse").read("/etc").build().unwrap();
    /// let name = String::from("hostname");
    /// let len = policy.run(|| name.len()).unwrap();
    /// assert_eq!(len, 8);
    /// ```
    pub fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        if self.process {
            // Enforced on the new thread, it would restrict every thread, the caller's too.
            return Err(self.error(ErrorKind::InvalidPolicy {
                problems: vec![
                    "`process` does not apply to a scoped block: the block runs on its own sandboxed thread and never restricts its caller; enforce the policy with `enforce` to restrict every thread".to_owned(),
                ],
            }));
        }
        // The new thread inherits the caller's Landlock layers from the kernel; it is told
        // which, so that re-entering one of them there is a no-op and the layer count is right.
        let inherited = super::for_scoped_thread();
        thread::scope(|scope| {
            let sandboxed = scope.spawn(|| {
                super::inherit(inherited);
                self.enforce()?;
                Ok(f())
            });
            sandboxed
                .join()
                .unwrap_or_else(|payload| panic::resume_unwind(payload))
        })
    }
}
