//! Scoped blocks: run a closure on a new thread that is sandboxed first.

use std::panic;
use std::thread;

use crate::error::Error;
use crate::policy::Policy;

impl Policy {
    /// Runs `f` on a new scoped thread restricted by this policy, and returns its value.
    ///
    /// The calling thread is never restricted; the new thread has the caller's sandboxes too
    /// (the kernel passes them on), and this one on top. `f` may borrow locals, as with
    /// [`std::thread::scope`]. If the policy cannot be enforced, `f` does not run and the error
    /// is returned; if `f` panics, the panic continues on the calling thread.
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
        // The new thread inherits the caller's Landlock layers from the kernel; it is told
        // which, so that re-entering one of them there is a no-op and the layer count is right.
        let inherited = crate::enforce::in_force();
        thread::scope(|scope| {
            let sandboxed = scope.spawn(|| {
                crate::enforce::inherit(inherited);
                self.enforce()?;
                Ok(f())
            });
            sandboxed
                .join()
                .unwrap_or_else(|payload| panic::resume_unwind(payload))
        })
    }
}
