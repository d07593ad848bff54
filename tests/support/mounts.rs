//! A mount namespace of the calling thread's own, for the tests and scenarios that mount, and
//! the mounts beneath a test's tree detached before it is removed.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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

/// Detaches every mount on `root` or beneath it in the calling thread's mount
/// namespace, the deepest first, as `/proc/thread-self/mountinfo` lists them. Returns whether
/// none is left: false when one could not be detached, or the list could not be read, so that
/// the caller removes nothing through a mount.
pub fn detach_beneath(root: &Path) -> bool {
    let Ok(mountinfo) = std::fs::read("/proc/thread-self/mountinfo") else {
        return false;
    };
    let root = root.as_os_str().as_bytes();
    // The fifth field is the mount point, with space, tab, newline and backslash escaped as
    // octal (`\040`).
    let mut beneath: Vec<Vec<u8>> = mountinfo
        .split(|&b| b == b'\n')
        .filter_map(|line| line.split(|&b| b == b' ').nth(4))
        .map(unescape)
        .filter(|point| point.starts_with(root) && point.get(root.len()).is_none_or(|&b| b == b'/'))
        .collect();
    beneath.sort_by_key(|point| std::cmp::Reverse(point.len()));
    beneath.iter().all(|point| {
        let Ok(point) = CString::new(point.as_slice()) else {
            return false;
        };
        // SAFETY: umount2 on a C string that outlives the call.
        unsafe { libc::umount2(point.as_ptr(), libc::MNT_DETACH) == 0 }
    })
}

/// A mount point of `mountinfo` with its octal escapes (`\040`) decoded.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| field[i] == b'\\' && d.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out
}

/// Binds `source` on `target` in the calling thread's mount namespace (see
/// [`own_mount_namespace`]). Panics if the kernel refuses.
pub fn bind(source: &Path, target: &Path) {
    let source = CString::new(source.as_os_str().as_bytes()).unwrap();
    let target = CString::new(target.as_os_str().as_bytes()).unwrap();
    // SAFETY: mount on C strings that outlive the call, and null pointers, which the kernel
    // reads as none.
    let bound = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    assert_eq!(bound, 0, "bind: {}", std::io::Error::last_os_error());
}

/// Binds `source` on `target`, read-only, as [`bind`]: read-only, so that nothing done through
/// `target` (a test's tree removed with the bind still in place) can change `source`.
pub fn bind_read_only(source: &Path, target: &Path) {
    bind(source, target);
    let target = CString::new(target.as_os_str().as_bytes()).unwrap();
    // SAFETY: mount on a C string that outlives the call, and null pointers, which the kernel
    // reads as none.
    let remounted = unsafe {
        libc::mount(
            std::ptr::null(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
            std::ptr::null(),
        )
    };
    assert_eq!(
        remounted,
        0,
        "read-only: {}",
        std::io::Error::last_os_error()
    );
}
