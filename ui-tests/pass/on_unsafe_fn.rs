//! An `unsafe fn` keeps its `unsafe`, and its body may still do unsafe operations.

#![deny(warnings)]

use landlock_runtime::sandbox;

/// # Safety
///
/// `p` points to a live `u32`.
#[sandbox(read = "/etc")]
unsafe fn read_raw(p: *const u32) -> u32 {
    unsafe { *p }
}

fn main() {
    let n = std::thread::spawn(|| {
        let x = 7u32;
        // SAFETY: `x` is alive for the call.
        unsafe { read_raw(&x) }
    })
    .join()
    .unwrap();
    assert_eq!(n, 7);
}
