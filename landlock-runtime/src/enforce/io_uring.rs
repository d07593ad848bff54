//! io_uring instances that Landlock cannot reach, looked for before a thread is restricted.
//!
//! The kernel checks an io_uring request with the credentials it is issued under: the
//! submitting thread's, except for a personality registered with the ring (the credentials of
//! the thread that registered it) and for a ring with an `SQPOLL` kernel thread (the
//! credentials of the thread that set the ring up). Landlock's domain is part of those
//! credentials, so a ring set up before a sandbox can run requests with the rights the sandbox
//! takes away. This module finds the instances of the process, from what the kernel writes in
//! `/proc`: in `/proc/self` when it describes the calling thread (its entries stay built from
//! one look to the next, and the first look's descriptors of `/proc/self/fd` and
//! `/proc/self/maps` are held for the next ones, so that a sandbox that denies `/proc` does not
//! keep the sandboxes after it from looking), in `/proc/thread-self` when the main thread has
//! exited or does not share the caller's descriptor table (the kernel is asked, `kcmp`):
//! - descriptors whose link is `anon_inode:[io_uring]`, with what `fdinfo` says of each: its
//!   `SQPOLL` thread (`SqThread`), and its personalities where the kernel lists them (Linux
//!   6.18 does not; none is listed either while another thread holds the ring's lock);
//! - rings only mapped (shared mappings named `anon_inode:[io_uring]`) whose descriptor was
//!   closed: a thread that registered the descriptor (`IORING_REGISTER_RING_FDS`) can still
//!   submit to them, an `SQPOLL` thread polls them, and a process allowed to can open them
//!   again through `/proc/self/map_files`;
//! - and, for an enforcement on every thread, io_uring threads among the threads that do not
//!   answer its signal: told by the kernel's `PF_IO_WORKER` flag in `/proc/<id>/stat`, which no
//!   program can set (a thread can name itself `iou-wrk-1`, not get the flag). An `SQPOLL`
//!   thread is the one a ring names, or one asleep in `io_sq_thread` (its `wchan`), or one
//!   named `iou-sqp-*`; one named `iou-wrk-*` is a worker, which runs each request with the
//!   credentials it was submitted with, and so keeps nothing of its own.
//!
//! Since personalities cannot be read on every kernel, every ring found counts as one that may
//! act with older rights. What cannot be found: a ring set up with `IORING_SETUP_NO_MMAP` (in
//! the program's own memory) whose descriptor was registered and closed leaves no trace in
//! `/proc` but its `SQPOLL` thread, if it has one; a descriptor in the table of a thread that
//! unshared its own; a ring descriptor in flight in a unix socket, or received later from
//! another process, is the sender's.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

use super::all_threads::listing::read_ids;
use crate::kernel::fstat;
use crate::outcome::IoUring;

/// What `/proc/thread-self/fd/N` links to for an io_uring instance, and what
/// `/proc/thread-self/maps` names its mappings.
const IO_URING: &[u8] = b"anon_inode:[io_uring]";

/// The kernel's flag for io_uring threads (`PF_IO_WORKER`), in `/proc/<id>/stat`'s flags.
const PF_IO_WORKER: u64 = 0x10;

/// The io_uring instances of the process, before a thread is restricted: every descriptor of
/// one, then every ring mapped without one. When `/proc` cannot be read, one
/// [`IoUring::NotLooked`] saying why.
///
/// Without `may_open` (a sandbox in force on the thread denies `/proc`, and an open would
/// only add a denial to the kernel's log), the look is made with the held descriptors alone;
/// `None` when it cannot be.
pub(crate) fn instances(may_open: bool) -> Option<Vec<IoUring>> {
    let mut found = Vec::new();
    let mut inodes = Vec::new();
    // SAFETY: getpid has no arguments and cannot fail.
    let pid = unsafe { libc::getpid() };
    // One look at a time uses the held descriptors (a listing moves the directory's offset):
    // a look while another runs, or in a child forked while one ran, opens its own.
    let mut slot = HELD.try_lock().ok();
    let held = slot
        .as_deref_mut()
        .and_then(|slot| Held::current(slot, may_open, pid));
    if held.is_none() && !may_open {
        return None;
    }
    let looked = descriptors(held, may_open, pid, &mut found, &mut inodes)
        .and_then(|()| mapped(held, may_open, &mut found, &inodes));
    match looked {
        Ok(()) => {}
        Err(_) if !may_open => return None,
        Err(e) => found.push(IoUring::NotLooked(e.to_string())),
    }
    Some(found)
}

/// `/proc/self/fd` and `/proc/self/maps` as the first look of the process opened them, held
/// open for the looks after it (close-on-exec). A sandbox checks a file when it is opened, not
/// when an open directory is listed or an open `maps` queried: with them, a look on a thread
/// whose sandbox denies `/proc` still sees the process's descriptors and mappings, and a look
/// pays for neither open nor close.
///
/// The program may close or replace any descriptor: before each use, both are checked to be
/// the files they were (device and inode, `fstat`) in the process that opened them (`getpid`:
/// a forked child holds copies of its parent's, which describe the parent). A child's are
/// replaced by its own; a number the program reused for a file of its own is left to it
/// (never closed here) and new ones are opened.
struct Held {
    pid: i32,
    dir: OwnedFd,
    dir_id: (u64, u64),
    maps: std::fs::File,
    maps_id: (u64, u64),
}

static HELD: std::sync::Mutex<Option<Held>> = std::sync::Mutex::new(None);

impl Held {
    /// The held descriptors, checked, or opened now; `None` when they cannot be (a sandbox in
    /// force here denies `/proc`, or there is none), and the look opens its own. `pid` is the
    /// calling process's.
    fn current(slot: &mut Option<Held>, may_open: bool, pid: i32) -> Option<&Held> {
        if let Some(held) = slot.take() {
            let Held {
                pid: opener,
                dir,
                dir_id,
                maps,
                maps_id,
            } = held;
            let dir_ours = identity(dir.as_raw_fd()) == Some(dir_id);
            let maps_ours = identity(maps.as_raw_fd()) == Some(maps_id);
            if dir_ours && maps_ours && opener == pid {
                return Some(slot.insert(Held {
                    pid,
                    dir,
                    dir_id,
                    maps,
                    maps_id,
                }));
            }
            // A number the program closed and reused is its file now: not closed here. Ours
            // (a forked child's copies) are closed.
            if !dir_ours {
                let _ = dir.into_raw_fd();
            }
            if !maps_ours {
                let _ = maps.into_raw_fd();
            }
        }
        if !may_open {
            return None;
        }
        let dir = open_dir(SELF.fd).ok()?;
        let maps = open_file(SELF.maps).ok()?;
        let dir_id = identity(dir.as_raw_fd())?;
        let maps_id = identity(maps.as_raw_fd())?;
        Some(slot.insert(Held {
            pid,
            dir,
            dir_id,
            maps,
            maps_id,
        }))
    }
}

/// A file's device and inode numbers, by descriptor.
fn identity(fd: i32) -> Option<(u64, u64)> {
    fstat(fd).map(|st| (st.st_dev, st.st_ino))
}

/// The `SQPOLL` threads that the rings found name.
pub(crate) fn sq_threads(found: &[IoUring]) -> Vec<i32> {
    found
        .iter()
        .filter_map(|ring| match ring {
            IoUring::Descriptor {
                sq_thread: Some(tid),
                ..
            } => Some(*tid),
            _ => None,
        })
        .collect()
}

fn open_dir(path: &std::ffi::CStr) -> io::Result<OwnedFd> {
    // SAFETY: a valid C string and flags; the descriptor is owned below.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just returned by open, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Where the look reads the calling thread's descriptors and mappings: `/proc/self`, the main
/// thread's entries, which every thread shares, so that a thread new to `/proc` does not have
/// the kernel build entries of its own (reading `/proc/thread-self/fd` on a fresh thread costs
/// over 40 µs on a machine where a listing of `/proc/self/fd` costs 15); or
/// `/proc/thread-self`, when `/proc/self` does not describe the calling thread (its main
/// thread has exited, or one of them has a descriptor table of its own).
#[derive(Clone, Copy)]
struct Place {
    fd: &'static std::ffi::CStr,
    maps: &'static std::ffi::CStr,
}

const SELF: Place = Place {
    fd: c"/proc/self/fd",
    maps: c"/proc/self/maps",
};
const THREAD_SELF: Place = Place {
    fd: c"/proc/thread-self/fd",
    maps: c"/proc/thread-self/maps",
};

/// The descriptors of io_uring instances, and the inodes of those instances: through
/// `/proc/self/fd` (held, or opened now) when the main thread's table is the calling thread's
/// all along (asked of the kernel, `kcmp`, after the look: a table a thread no longer shares is
/// never shared again), through `/proc/thread-self/fd` otherwise. `pid` is the calling
/// process's.
fn descriptors(
    held: Option<&Held>,
    may_open: bool,
    pid: i32,
    found: &mut Vec<IoUring>,
    inodes: &mut Vec<u64>,
) -> io::Result<()> {
    let (mut fast_found, mut fast_inodes) = (Vec::new(), Vec::new());
    let listed = match held {
        Some(held) => rewind(&held.dir).and_then(|()| {
            let own = [held.dir.as_raw_fd(), held.maps.as_raw_fd()];
            let place = SELF;
            descriptors_on(
                &held.dir,
                &own,
                place,
                may_open,
                &mut fast_found,
                &mut fast_inodes,
            )
        }),
        None => descriptors_in(SELF, &mut fast_found, &mut fast_inodes),
    };
    if listed.is_ok() && same_table_as_main(pid) {
        found.append(&mut fast_found);
        inodes.append(&mut fast_inodes);
        return Ok(());
    }
    if !may_open {
        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
    }
    descriptors_in(THREAD_SELF, found, inodes)
}

/// Back to the start of the directory `dir`, for a listing.
fn rewind(dir: &OwnedFd) -> io::Result<()> {
    // SAFETY: lseek on a descriptor we hold, to its start.
    if unsafe { libc::lseek(dir.as_raw_fd(), 0, libc::SEEK_SET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether the main thread's descriptor table is the calling thread's, `pid` being the calling
/// process: the main thread's own is; another thread's, as the kernel says (`kcmp`), and
/// `false` when it cannot say (no `kcmp`, or a filter refuses it).
fn same_table_as_main(pid: i32) -> bool {
    const KCMP_FILES: libc::c_long = 2;
    // SAFETY: gettid has no arguments.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    if tid == libc::c_long::from(pid) {
        return true;
    }
    // SAFETY: kcmp compares two tasks' tables and writes nothing.
    unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            libc::c_long::from(pid),
            tid,
            KCMP_FILES,
            0,
            0,
        ) == 0
    }
}

/// The inode (device and number) that the kernel shares among its plain anonymous files
/// (eventfd, epoll, timerfd, signalfd, Landlock rulesets), learnt once per process from an
/// eventfd; `None` when a descriptor on it may be an io_uring instance, which is the case
/// before the kernel gave each instance an inode of its own: this is relied on from Linux 6.18,
/// where it was verified, and every anonymous descriptor's link is read on earlier kernels.
fn shared_anonymous_inode() -> Option<(u64, u64)> {
    static SHARED: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
    *SHARED.get_or_init(|| {
        if kernel_release() < (6, 18) {
            return None;
        }
        // SAFETY: eventfd with a count and flags; the descriptor is owned below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: a descriptor just returned by eventfd, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let st = fstat(fd.as_raw_fd())?;
        Some((st.st_dev, st.st_ino))
    })
}

/// The kernel's version, major and minor (`uname`); `(0, 0)` when it cannot be read.
fn kernel_release() -> (u32, u32) {
    // SAFETY: a zeroed `utsname` is a valid value of the plain struct.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname fills the struct passed, of its size.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return (0, 0);
    }
    let release: Vec<u8> = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    parse_release(&release)
}

/// The major and minor numbers of a kernel release such as `6.18.0-1-amd64`.
fn parse_release(release: &[u8]) -> (u32, u32) {
    let mut numbers = release
        .split(|&b| b == b'.' || b == b'-')
        .map(|n| std::str::from_utf8(n).ok().and_then(|n| n.parse().ok()));
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor),
        _ => (0, 0),
    }
}

/// The io_uring descriptors listed in `place`: one listing of its `fd` directory, an `fstat`
/// of each descriptor, and a look at the link of those that can be an io_uring instance: no
/// file type, or, should a kernel give them one, a regular file of a filesystem without a
/// device (as the anonymous inodes' is), unless it is the inode every plain anonymous file
/// shares.
fn descriptors_in(place: Place, found: &mut Vec<IoUring>, inodes: &mut Vec<u64>) -> io::Result<()> {
    let dir = open_dir(place.fd).map_err(|e| with_path(e, &place.fd.to_string_lossy()))?;
    descriptors_on(&dir, &[dir.as_raw_fd()], place, true, found, inodes)
}

/// The io_uring descriptors listed by `dir`, an open `fd` directory of `place`, at its start;
/// `own` are the look's own descriptors, passed over. A ring's `fdinfo` is read when
/// `may_open`.
fn descriptors_on(
    dir: &OwnedFd,
    own: &[i32],
    place: Place,
    may_open: bool,
    found: &mut Vec<IoUring>,
    inodes: &mut Vec<u64>,
) -> io::Result<()> {
    let shared = shared_anonymous_inode();
    let path = || place.fd.to_string_lossy();
    let at = dir.as_raw_fd();
    for fd in read_ids(dir).map_err(|e| with_path(e, &path()))? {
        if own.contains(&fd) {
            continue;
        }
        let Some(st) = fstat(fd) else {
            continue;
        };
        let kind = st.st_mode & libc::S_IFMT;
        if kind != 0 && !(kind == libc::S_IFREG && libc::major(st.st_dev) == 0) {
            continue;
        }
        if shared == Some((st.st_dev, st.st_ino)) {
            continue;
        }
        let mut link = [0u8; 64];
        let mut name = [0u8; 16];
        let name = decimal(fd, &mut name);
        // SAFETY: a NUL-terminated name relative to the open directory, and a buffer of the
        // length passed.
        let n = unsafe {
            libc::readlinkat(
                at,
                name.as_ptr().cast(),
                link.as_mut_ptr().cast(),
                link.len(),
            )
        };
        if n < 0 || &link[..n as usize] != IO_URING {
            continue;
        }
        let info = if may_open {
            std::fs::read(format!("/proc/thread-self/fdinfo/{fd}")).unwrap_or_default()
        } else {
            Vec::new()
        };
        let (sq_thread, personalities) = parse_fdinfo(&info);
        inodes.push(st.st_ino);
        found.push(IoUring::Descriptor {
            fd,
            sq_thread,
            personalities,
        });
    }
    Ok(())
}

/// `n` (not negative) in decimal, NUL-terminated, in `buf`.
fn decimal(n: i32, buf: &mut [u8; 16]) -> &[u8] {
    let mut at = buf.len() - 1;
    buf[at] = 0;
    let mut n = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// What `/proc/self/fdinfo/N` of a ring says: its `SQPOLL` thread, and its personalities if
/// listed (`None` when not: the kernel lists none, or it could not take the ring's lock).
fn parse_fdinfo(info: &[u8]) -> (Option<i32>, Option<Vec<u32>>) {
    let text = String::from_utf8_lossy(info);
    let mut sq_thread = None;
    let mut personalities: Option<Vec<u32>> = None;
    let mut in_personalities = false;
    for line in text.lines() {
        if in_personalities {
            // An id on a line of its own (`%5d`), then its credentials, indented.
            if line.starts_with(' ') || line.starts_with('\t') || line.starts_with(char::is_numeric)
            {
                if let Ok(id) = line.trim().parse::<u32>()
                    && let Some(ids) = personalities.as_mut()
                {
                    ids.push(id);
                }
                continue;
            }
            in_personalities = false;
        }
        if let Some(value) = line.strip_prefix("SqThread:") {
            sq_thread = value.trim().parse::<i32>().ok().filter(|&tid| tid > 0);
        } else if line.starts_with("Personalities:") {
            personalities = Some(Vec::new());
            in_personalities = true;
        }
    }
    (sq_thread, personalities)
}

/// The rings mapped into memory whose inode is not among `inodes` (those with a descriptor).
/// A ring's mappings are shared mappings of its file: the kernel's `PROCMAP_QUERY` (Linux
/// 6.11) lists only those, without writing out the rest of the maps (which costs
/// about 2 µs per mapping); on older kernels, the text is read.
fn mapped(
    held: Option<&Held>,
    may_open: bool,
    found: &mut Vec<IoUring>,
    inodes: &[u64],
) -> io::Result<()> {
    let mut add = |inode: u64| {
        if !inodes.contains(&inode) && !found.contains(&IoUring::Mapped { inode }) {
            found.push(IoUring::Mapped { inode });
        }
    };
    // `/proc/self/maps` opened after the main thread has exited describes no memory: the
    // query then fails with ESRCH, and the text would read empty, so it is read of the calling
    // thread. (One held from before keeps the memory it was opened on, the process's.)
    let queried = match held {
        Some(held) => query_shared_mappings(&held.maps, &mut add),
        None => open_file(SELF.maps).and_then(|maps| query_shared_mappings(&maps, &mut add)),
    };
    let place = THREAD_SELF.maps;
    let path = || place.to_string_lossy();
    match queried {
        Ok(()) => Ok(()),
        Err(e) if !may_open => Err(e),
        Err(_) => {
            let maps = open_file(place).map_err(|e| with_path(e, &path()))?;
            match query_shared_mappings(&maps, &mut add) {
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTTY | libc::EINVAL)) => {
                    read_mappings(&maps, &mut add)
                }
                result => result,
            }
            .map_err(|e| with_path(e, &path()))
        }
    }
}

fn open_file(path: &std::ffi::CStr) -> io::Result<std::fs::File> {
    // SAFETY: a valid C string and flags; the descriptor is owned below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just returned by open, owned by nobody else.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// `struct procmap_query` of `include/uapi/linux/fs.h`.
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}

/// `PROCMAP_QUERY`: `_IOWR('f', 17, struct procmap_query)`.
const PROCMAP_QUERY: libc::c_ulong =
    0xC000_0000 | (104 << 16) | ((b'f' as libc::c_ulong) << 8) | 17;
/// Only shared mappings, of a file; the one at the address or the next.
const SHARED_FILE_MAPPINGS_FROM: u64 = 0x08 | 0x10 | 0x20;

/// Calls `add` with the inode of each shared mapping of an io_uring instance, through
/// `PROCMAP_QUERY` on `maps`. ENOTTY or EINVAL: the kernel has no such query.
fn query_shared_mappings(maps: &std::fs::File, add: &mut impl FnMut(u64)) -> io::Result<()> {
    // Room for a ring's name; a longer name (ENAMETOOLONG) is not a ring's.
    let mut name = [0u8; 64];
    let mut addr = 0;
    loop {
        let mut query = ProcmapQuery {
            size: std::mem::size_of::<ProcmapQuery>() as u64,
            query_flags: SHARED_FILE_MAPPINGS_FROM,
            query_addr: addr,
            vma_name_size: name.len() as u32,
            vma_name_addr: name.as_mut_ptr() as u64,
            ..ProcmapQuery::default()
        };
        match procmap_query(maps, &mut query) {
            Ok(()) => {
                // The size written includes the terminating NUL.
                let len = (query.vma_name_size as usize)
                    .saturating_sub(1)
                    .min(name.len());
                if &name[..len] == IO_URING {
                    add(query.inode);
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::ENAMETOOLONG) => {
                // Asked again without the name, for where the mapping ends.
                query.vma_name_size = 0;
                query.vma_name_addr = 0;
                procmap_query(maps, &mut query)?;
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
            Err(e) => return Err(e),
        }
        addr = query.vma_end;
    }
}

fn procmap_query(maps: &std::fs::File, query: &mut ProcmapQuery) -> io::Result<()> {
    // SAFETY: the ioctl reads and writes the struct passed, of the size it says, and writes
    // at most `vma_name_size` bytes at `vma_name_addr`, a live buffer of the caller's (or
    // none when both are 0).
    if unsafe { libc::ioctl(maps.as_raw_fd(), PROCMAP_QUERY, query as *mut ProcmapQuery) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Calls `add` with the inode of each mapping of an io_uring instance, reading the text of
/// `maps` in large pieces (each read walks the mappings again from where the last stopped).
fn read_mappings(maps: &std::fs::File, add: &mut impl FnMut(u64)) -> io::Result<()> {
    let mut buf = vec![0u8; 32 * 1024];
    let mut kept = 0;
    loop {
        let n = io::Read::read(&mut &*maps, &mut buf[kept..])?;
        let filled = kept + n;
        // Whole lines only; the rest waits for the next read (a line longer than the buffer,
        // which no mapping of a ring has, is skipped).
        let end = match buf[..filled].iter().rposition(|&b| b == b'\n') {
            Some(at) => at + 1,
            None if n == 0 || filled == buf.len() => filled,
            None => {
                kept = filled;
                continue;
            }
        };
        for line in buf[..end].split(|&b| b == b'\n') {
            if let Some(inode) = ring_mapping(line) {
                add(inode);
            }
        }
        if n == 0 {
            return Ok(());
        }
        buf.copy_within(end..filled, 0);
        kept = filled - end;
    }
}

/// The inode of a line of `/proc/self/maps` that maps an io_uring instance
/// (`address perms offset dev inode name`): its name is exactly the anonymous inode's, which
/// no path can be (a path starts with `/`).
fn ring_mapping(line: &[u8]) -> Option<u64> {
    if !line.ends_with(IO_URING) {
        return None;
    }
    let mut rest = line;
    let mut fields = [&b""[..]; 5];
    for field in &mut fields {
        let start = rest.iter().position(|&b| b != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|&b| b == b' ')?;
        *field = &rest[..end];
        rest = &rest[end..];
    }
    let name = &rest[rest.iter().position(|&b| b != b' ')?..];
    if name != IO_URING {
        return None;
    }
    std::str::from_utf8(fields[4]).ok()?.parse().ok()
}

fn with_path(e: io::Error, path: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{path}: {e}"))
}

/// What kind of io_uring thread a thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoThread {
    /// An io-wq worker (`iou-wrk-*`): runs each request with the credentials it was submitted
    /// with.
    Worker,
    /// A thread that polls a ring (`iou-sqp-*`): runs its requests with the credentials of the
    /// thread that set the ring up.
    SqPoll,
    /// One with neither name: not started yet (the kernel names it when it first runs), or
    /// renamed by the program.
    Unnamed,
}

/// Whether the thread listed as `id` in `/proc/self/task` is an io_uring thread (the kernel's
/// `PF_IO_WORKER` flag), and which kind: an `SQPOLL` thread if a ring names it
/// (`sq_threads`), if it sleeps in `io_sq_thread`, or if it has the kernel's name for one; a
/// worker if it has the kernel's name for one. `None` for any other thread, whatever its name,
/// and when it is gone.
///
/// A program can rename any of its threads, io_uring's too: a name only ever makes a thread
/// an `SQPOLL` one or leaves it [`IoThread::Unnamed`], which the caller reports unless the
/// thread has not run yet. An `SQPOLL` thread renamed `iou-wrk-*` by the program is told by
/// its ring or its sleep, not by its name; one whose ring left no trace in `/proc` and that
/// is running at the look is taken for a worker.
pub(crate) fn io_thread(id: i32, sq_threads: &[i32]) -> Option<IoThread> {
    let stat = std::fs::read(format!("/proc/self/task/{id}/stat")).ok()?;
    let (name, flags) = parse_stat(&stat)?;
    if flags & PF_IO_WORKER == 0 {
        return None;
    }
    let sleeps_in_sq_thread =
        || std::fs::read(format!("/proc/self/task/{id}/wchan")).is_ok_and(|w| w == b"io_sq_thread");
    Some(
        if sq_threads.contains(&id) || name.starts_with(b"iou-sqp-") || sleeps_in_sq_thread() {
            IoThread::SqPoll
        } else if name.starts_with(b"iou-wrk-") {
            IoThread::Worker
        } else {
            IoThread::Unnamed
        },
    )
}

/// The name and the flags (the ninth field) of a `/proc/<id>/stat` line. The name is between
/// the first `(` and the last `)`, and may hold spaces and parentheses.
fn parse_stat(stat: &[u8]) -> Option<(&[u8], u64)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let name = stat.get(open + 1..close)?;
    let flags = stat[close + 1..]
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .nth(6)?;
    let flags = std::str::from_utf8(flags).ok()?.parse().ok()?;
    Some((name, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdinfo_is_read() {
        // Linux 6.18: an SQPOLL thread, no personalities listed.
        let text = b"pos:\t0\nflags:\t02000002\nSqMask:\t0x7\nSqThread:\t10841\nSqThreadCpu:\t0\nUserFiles:\t0\nPollList:\n";
        assert_eq!(parse_fdinfo(text), (Some(10841), None));
        let none = b"SqMask:\t0x7\nSqThread:\t-1\nUserFiles:\t0\nPollList:\n";
        assert_eq!(parse_fdinfo(none), (None, None));
        // Earlier kernels list the personalities, each id followed by its credentials.
        let listed = b"SqThread:\t-1\nUserBufs:\t0\nPersonalities:\n    1\n\tUid:\t0\t\t0\t\t0\t\t0\n\tGid:\t0\t\t0\t\t0\t\t0\n\tGroups:\t0\n\tCapEff:\t000001ffffffffff\n    2\n\tUid:\t0\t\t0\t\t0\t\t0\nPollList:\n";
        assert_eq!(parse_fdinfo(listed), (None, Some(vec![1, 2])));
        // The ring's lock was busy: nothing but the file's own lines.
        assert_eq!(parse_fdinfo(b"pos:\t0\nflags:\t02000002\n"), (None, None));
    }

    #[test]
    fn maps_lines_are_read() {
        let ring = b"7f93f5a17000-7f93f5a18000 rw-s 10000000 00:10 8762                       anon_inode:[io_uring]";
        assert_eq!(ring_mapping(ring), Some(8762));
        let other =
            b"555d848d2000-555d848d3000 r--p 00000000 fe:00 10011136                   /tmp/x";
        assert_eq!(ring_mapping(other), None);
        // A file named like a ring is a file: its name is a path.
        let named = b"7f93f5a17000-7f93f5a18000 rw-s 00000000 fe:00 77                       /tmp/anon_inode:[io_uring]";
        assert_eq!(ring_mapping(named), None);
    }

    #[test]
    fn both_ways_of_reading_the_mappings_agree() {
        // A ring's mapping: its file, mapped shared, as `mmap` of an io_uring descriptor makes.
        let mut params = [0u8; 120];
        // SAFETY: io_uring_setup with a zeroed parameter struct of the kernel's size.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
        if fd < 0 {
            eprintln!(
                "skipped: io_uring_setup failed: {}",
                io::Error::last_os_error()
            );
            return;
        }
        let fd = fd as i32;
        // SAFETY: maps the ring's submission queue (offset 0) of the descriptor just made;
        // unmapped below.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        assert_ne!(at, libc::MAP_FAILED);
        // SAFETY: a zeroed `stat` is a valid value of the plain struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat into a zeroed struct of its size.
        assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0);
        let maps = std::fs::File::open("/proc/self/maps").unwrap();
        let (mut queried, mut read) = (Vec::new(), Vec::new());
        query_shared_mappings(&maps, &mut |i| queried.push(i)).unwrap();
        read_mappings(&maps, &mut |i| read.push(i)).unwrap();
        assert_eq!(queried, [st.st_ino]);
        assert_eq!(read, [st.st_ino]);
        // SAFETY: the mapping and the descriptor made above, used no more.
        unsafe {
            libc::munmap(at, 4096);
            libc::close(fd);
        }
    }

    /// A ring of 4 entries, or `None` (with a note) when the kernel refuses one.
    fn ring() -> Option<OwnedFd> {
        let mut params = [0u8; 120];
        // SAFETY: io_uring_setup with a zeroed parameter struct of the kernel's size.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
        if fd < 0 {
            eprintln!(
                "skipped: io_uring_setup failed: {}",
                io::Error::last_os_error()
            );
            return None;
        }
        // SAFETY: a descriptor just returned by io_uring_setup, owned by nobody else.
        Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    fn descriptor_fds(found: &[IoUring]) -> Vec<i32> {
        found
            .iter()
            .filter_map(|ring| match ring {
                IoUring::Descriptor { fd, .. } => Some(*fd),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_ring_among_plain_anonymous_files_is_found() {
        // SAFETY: eventfd and epoll_create1 with valid flags; owned below.
        let (event, epoll) = unsafe {
            (
                libc::eventfd(0, libc::EFD_CLOEXEC),
                libc::epoll_create1(libc::EPOLL_CLOEXEC),
            )
        };
        assert!(event >= 0 && epoll >= 0);
        // SAFETY: descriptors just returned, owned by nobody else.
        let (event, epoll) = unsafe { (OwnedFd::from_raw_fd(event), OwnedFd::from_raw_fd(epoll)) };
        let Some(ring) = ring() else { return };
        let (event_st, epoll_st, ring_st) = (
            fstat(event.as_raw_fd()).unwrap(),
            fstat(epoll.as_raw_fd()).unwrap(),
            fstat(ring.as_raw_fd()).unwrap(),
        );
        // What the look relies on from Linux 6.18: plain anonymous files share one inode, a
        // ring has its own.
        assert_eq!(event_st.st_ino, epoll_st.st_ino);
        assert_eq!(event_st.st_dev, ring_st.st_dev);
        if kernel_release() >= (6, 18) {
            assert_ne!(event_st.st_ino, ring_st.st_ino);
            assert_eq!(
                shared_anonymous_inode(),
                Some((event_st.st_dev, event_st.st_ino))
            );
        }
        let found = descriptor_fds(&instances(true).unwrap());
        assert!(found.contains(&ring.as_raw_fd()), "{found:?}");
        assert!(!found.contains(&event.as_raw_fd()), "{found:?}");
        assert!(!found.contains(&epoll.as_raw_fd()), "{found:?}");
    }

    #[test]
    fn a_ring_in_a_table_of_the_calling_thread_alone_is_found() {
        // A thread with a table of its own: `/proc/self/fd` lists the main thread's, where
        // the ring is not.
        let found = std::thread::spawn(|| {
            // SAFETY: unshare of the calling thread's descriptor table, a copy of the shared one.
            assert_eq!(unsafe { libc::unshare(libc::CLONE_FILES) }, 0);
            // SAFETY: getpid has no arguments and cannot fail.
            assert!(!same_table_as_main(unsafe { libc::getpid() }));
            let ring = ring()?;
            Some((ring.as_raw_fd(), descriptor_fds(&instances(true).unwrap())))
        })
        .join()
        .unwrap();
        if let Some((ring, found)) = found {
            assert!(found.contains(&ring), "ring {ring} not in {found:?}");
        }
        // SAFETY: getpid has no arguments and cannot fail.
        let pid = unsafe { libc::getpid() };
        assert!(same_table_as_main(pid));
    }

    #[test]
    fn kernel_releases_are_read() {
        assert_eq!(parse_release(b"6.18.0-1-amd64"), (6, 18));
        assert_eq!(parse_release(b"6.6.87"), (6, 6));
        assert_eq!(parse_release(b"7.0-rc1"), (7, 0));
        assert_eq!(parse_release(b"garbage"), (0, 0));
    }

    #[test]
    fn descriptor_names_are_written() {
        let mut buf = [0u8; 16];
        assert_eq!(decimal(0, &mut buf), b"0\0");
        assert_eq!(decimal(1234, &mut buf), b"1234\0");
        assert_eq!(decimal(i32::MAX, &mut buf), b"2147483647\0");
    }

    #[test]
    fn stat_lines_are_read() {
        let line = b"12429 (iou-wrk-12427) S 12407 12407 7022 0 -1 4210768 0 0 0 0";
        assert_eq!(parse_stat(line), Some((&b"iou-wrk-12427"[..], 4_210_768)));
        assert_ne!(4_210_768 & PF_IO_WORKER, 0);
        // A name with spaces and parentheses, chosen by the program.
        let line = b"7 (a) (b c) S 1 1 1 0 -1 4194560 0";
        assert_eq!(parse_stat(line), Some((&b"a) (b c"[..], 4_194_560)));
        assert_eq!(4_194_560 & PF_IO_WORKER, 0);
    }

    #[test]
    fn a_thread_named_like_a_worker_is_not_one() {
        let tid = std::thread::spawn(|| {
            // SAFETY: PR_SET_NAME reads a NUL-terminated name of at most 16 bytes.
            unsafe {
                libc::prctl(
                    libc::PR_SET_NAME,
                    c"iou-wrk-1".as_ptr() as libc::c_ulong,
                    0,
                    0,
                    0,
                )
            };
            // SAFETY: gettid has no arguments.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
            (tid, io_thread(tid, &[]))
        })
        .join()
        .unwrap();
        assert_eq!(tid.1, None, "thread {}", tid.0);
    }
}
