//! Attributes and doc comments written above or below `#[sandbox]` stay on the function: the
//! crate denies `missing_docs` and every warning (`unused_variables` among them), so a dropped
//! doc comment or `#[allow]` would fail the build.

#![deny(warnings, missing_docs)]

/// Loading.
pub mod loader {
    use landlock_runtime::sandbox;

    /// Counts the entries of `/etc`.
    #[inline]
    #[allow(unused_variables)]
    #[sandbox(read = "/etc")]
    #[must_use]
    pub fn load() -> usize {
        let unused = 0;
        std::fs::read_dir("/etc").map(|d| d.count()).unwrap_or(0)
    }

    #[sandbox(read = "/etc")]
    /// Written below the attribute, and kept as well.
    #[inline(never)]
    #[allow(unused_variables)]
    pub fn load_again() -> usize {
        let unused = 0;
        load_inner()
    }

    /// An inner attribute stays at the top of the body, before the generated statements.
    #[sandbox(read = "/etc")]
    pub extern "C" fn load_inner() -> usize {
        #![allow(unused_variables)]
        let unused = 0;
        load()
    }
}

fn main() {
    let n = std::thread::spawn(loader::load_again).join().unwrap();
    let _ = n;
}
