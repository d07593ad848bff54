//! A mount namespace of the calling thread's own, for the tests and scenarios that mount.

/// Moves the calling thread into a mount namespace of its own, made private first so that
/// nothing mounted there propagates to the rest of the system (root only). Panics if the
/// kernel refuses.
pub fn own_mount_namespace() {
    // SAFETY: unshare on a flag, and mount on constant C strings and null pointers, which
    // the kernel reads as none.
    unsafe {
        assert_eq!(
            libc::unshare(libc::CLONE_NEWNS),
            0,
            "unshare: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null()
            ),
            0,
            "make private: {}",
            std::io::Error::last_os_error()
        );
    }
}
