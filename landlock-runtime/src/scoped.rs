//! Scoped blocks: run a closure on a new thread that is sandboxed first.

use std::panic;
use std::thread;

use crate::error::Error;
use crate::policy::Policy;

impl Policy {
    /// Runs `f` on a new scoped thread restricted by this policy, and returns its value.
    ///
    /// The calling thread is never restricted. `f` may borrow locals, as with
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
        thread::scope(|scope| {
            let sandboxed = scope.spawn(|| {
                self.enforce()?;
                Ok(f())
            });
            sandboxed
                .join()
                .unwrap_or_else(|payload| panic::resume_unwind(payload))
        })
    }
}
