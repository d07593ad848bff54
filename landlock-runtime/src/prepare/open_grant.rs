//! Opening a granted path without letting another user choose where the grant lands.
//!
//! A Landlock rule attaches to the inode a path leads to, so a symbolic link on a granted path
//! (the last component or any directory on the way) decides what is granted. Symlinks that the
//! system or the user set up are what real layouts are made of (`/lib64/ld-linux-x86-64.so.2`,
//! `/etc/resolv.conf`), and they are followed: a link is followed when it is owned by the user
//! preparing the policy (the effective uid) or by root. A link owned by anyone else is refused,
//! wherever it is: its owner chose where it leads, and could have made it in a directory of
//! their own, or anywhere they could once write. A link of root's is refused too in a directory
//! that users other than its owner can write (world- or group-writable, sticky or not, such as
//! `/tmp`) and that root does not own: whoever writes there could have moved or linked it in.
//! This is the kernel's `protected_symlinks` rule, applied whatever the system's setting,
//! widened to every directory others can write and, for other users' links, to every
//! directory. The owner is the kernel's: the link's inode, read through a descriptor of it.
//!
//! There is no opt-in: whoever means the place a foreign link leads grants that place (the
//! error names it), or resolves the path itself (`std::fs::canonicalize`, `realpath`), which
//! says so in the code or on the command line, where review sees it.

use std::ffi::{CStr, CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed on one path at most, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// A granted path, opened with `O_PATH` for a rule.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) is_dir: bool,
    /// Whether it is under `/proc`, its symlinks resolved (`/proc/self/cgroup` is
    /// `/proc/<pid>/cgroup`). procfs makes a new inode for a file each time the kernel makes
    /// its dentry again, after dropping it from its cache, and a rule names an inode: such a
    /// rule keeps applying only while the file is held open. Told by the path, which costs no
    /// system call; procfs mounted elsewhere is not recognised.
    pub(crate) under_proc: bool,
    /// Where the path leads, when it went through a symbolic link: what the rule grants.
    pub(crate) followed: Option<PathBuf>,
    /// Its metadata, when the open had to read it (a path through a link).
    pub(crate) metadata: Option<std::fs::Metadata>,
}

impl Opened {
    fn new(file: File, is_dir: bool, location: &Path) -> Opened {
        Opened {
            file,
            is_dir,
            under_proc: is_under_proc(location),
            followed: None,
            metadata: None,
        }
    }
}

/// Whether `path` is `/proc` or beneath it, by its bytes: this runs for every granted path, and
/// comparing components costs more than the open it follows.
fn is_under_proc(path: &Path) -> bool {
    let bytes = path.as_os_str().as_bytes();
    bytes
        .strip_prefix(b"/proc")
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'/')
}

/// The symbolic links one preparation has checked and followed: where each is (the links of
/// its directories resolved) and where it leads, as read then. A grant that goes through one
/// of them again (`/lib` granted, then the loader's `/lib/...`; the loaders of other
/// architectures) is resolved with the target read and checked the first time, without opening
/// and reading the link again: the link is read once per preparation, and a link changed
/// between the two grants is the race that a link changed between one grant's check and its
/// rule already is. Only a link that passed the check is remembered, and the check depends on
/// the link and the user preparing the policy alone, not on the grant: a grant through it
/// would pass again. What a grant leads to (the broad-grant rule) is still checked for each
/// grant, on where it leads.
#[derive(Debug)]
pub(crate) struct CheckedLinks {
    /// The user preparing the policy, whom the links are checked for: read once, when the
    /// first path with a link on it is walked (most preparations have none).
    euid: Option<u32>,
    /// Each link's location, and its target as read.
    links: Vec<(PathBuf, PathBuf)>,
}

impl CheckedLinks {
    /// None yet, for a preparation by the effective user.
    pub(crate) fn new() -> CheckedLinks {
        CheckedLinks {
            euid: None,
            links: Vec::new(),
        }
    }

    /// The user preparing the policy.
    fn euid(&mut self) -> u32 {
        // SAFETY: geteuid cannot fail.
        *self.euid.get_or_insert_with(|| unsafe { libc::geteuid() })
    }

    /// The target of the checked link `name` in the directory at `at`.
    fn target(&self, at: &Path, name: &OsStr) -> Option<&Path> {
        // By bytes, as `is_under_proc`: comparing components costs more than the open saved.
        let at = at.as_os_str().as_bytes();
        let at = if at == b"/" { &b""[..] } else { at };
        let name = name.as_bytes();
        self.links
            .iter()
            .find(|(link, _)| {
                let link = link.as_os_str().as_bytes();
                link.len() == at.len() + 1 + name.len()
                    && link.starts_with(at)
                    && link[at.len()] == b'/'
                    && link.ends_with(name)
            })
            .map(|(_, target)| target.as_path())
    }

    /// `path` with the checked link it goes through replaced by where the link leads, with no
    /// `..` (which the walk follows on the inode); `None` when it goes through none.
    fn substitute(&self, path: &Path) -> Option<PathBuf> {
        let bytes = path.as_os_str().as_bytes();
        // A link's location is made of its components, one `/` before each: `path` goes
        // through it when it starts with those bytes, then a `/` or its end.
        let (link, target) = self.links.iter().find(|(link, _)| {
            let link = link.as_os_str().as_bytes();
            bytes.starts_with(link) && bytes.get(link.len()).is_none_or(|&b| b == b'/')
        })?;
        let link = link.as_os_str().as_bytes();
        let mut rest = &bytes[link.len()..];
        while let [b'/', after @ ..] = rest {
            rest = after;
        }
        let rest = Path::new(OsStr::from_bytes(rest));
        let parent = match link.iter().rposition(|&b| b == b'/')? {
            0 => &b"/"[..],
            i => &link[..i],
        };
        // Room for all of it at once: growing it component by component costs more.
        let target_len = target.as_os_str().len();
        let mut location =
            PathBuf::with_capacity(parent.len() + target_len + rest.as_os_str().len() + 2);
        location.push(OsStr::from_bytes(parent));
        for component in target.components().chain(rest.components()) {
            match component {
                // Pushing `/` starts it again, in the room it has.
                Component::RootDir => location.push("/"),
                Component::Normal(name) => location.push(name),
                Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => return None,
            }
        }
        Some(location)
    }
}

/// Opens `path` with `O_PATH` for a rule.
///
/// One `openat2(RESOLVE_NO_SYMLINKS)` when the path has no symlink (the common case, and as
/// cheap as a plain open), or none but links `links` has checked already (opened where they
/// lead); otherwise a walk, one component at a time, that follows only symlinks that pass the
/// rule above, and remembers them in `links`. A path through no checked link that is missing
/// even when every link on it is followed fails with `ENOENT`, whatever the walk found on the
/// way: for an `optional` path, which is skipped when missing, one `stat` says so before any
/// walk; for another, the `stat` is made only when the walk fails.
pub(crate) fn open(path: &Path, links: &mut CheckedLinks, optional: bool) -> io::Result<Opened> {
    // Resolution makes every path absolute; a relative one would be opened from the current
    // directory by one call and from `/` by the walk.
    if !path.is_absolute() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an absolute path",
        ));
    }
    let substituted = links.substitute(path);
    let first = substituted.as_deref().unwrap_or(path);
    match open_without_links(first)? {
        Ok(mut opened) => {
            opened.followed = substituted;
            return Ok(opened);
        }
        // A link beyond the checked ones: there is something to walk to.
        Err(Unopened::Link) if substituted.is_some() => {}
        // Nothing there even when every link is followed: the walk, which follows only some
        // (and then to the same place), could find nothing either. One `stat` instead of a
        // walk for each optional path that is missing (the loaders of other architectures,
        // when no checked link leads to them). A path that must be there is walked at once:
        // it is, unless the policy is wrong.
        Err(_) if optional => missing(path)?,
        Err(_) => {}
    }
    let (file, location) = match walk(first, substituted.is_some(), links) {
        Ok(walked) => walked,
        // Asked only where no checked link was substituted: where one was, the walk went
        // where the link led when checked, which the `stat` would not.
        Err(e) => {
            if substituted.is_none() {
                missing(path)?;
            }
            return Err(e);
        }
    };
    let metadata = file.metadata()?;
    let mut opened = Opened::new(file, metadata.is_dir(), &location);
    opened.followed = (location != path).then_some(location);
    opened.metadata = Some(metadata);
    Ok(opened)
}

/// `ENOENT` when `path` is missing even when every symbolic link on it is followed.
fn missing(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Err(e),
        _ => Ok(()),
    }
}

/// Why [`open_without_links`] did not open a path.
enum Unopened {
    /// It has a symbolic link.
    Link,
    /// The kernel has no `openat2`, or asks to retry.
    Unsupported,
}

/// `path` opened in one `openat2(RESOLVE_NO_SYMLINKS)`, as a directory or not.
fn open_without_links(path: &Path) -> io::Result<Result<Opened, Unopened>> {
    let unopened = |e: io::Error| match e.raw_os_error() {
        Some(libc::ELOOP) => Ok(Err(Unopened::Link)),
        _ if is_symlink_or_unsupported(&e) => Ok(Err(Unopened::Unsupported)),
        _ => Err(e),
    };
    match openat2_no_symlinks(path, libc::O_DIRECTORY) {
        Ok(dir) => Ok(Ok(Opened::new(dir, true, path))),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => match openat2_no_symlinks(path, 0) {
            Ok(file) => Ok(Ok(Opened::new(file, false, path))),
            Err(e) => unopened(e),
        },
        Err(e) => unopened(e),
    }
}

/// ELOOP: a symlink on the path; ENOSYS: no `openat2` (Linux before 5.6); EAGAIN: the
/// kernel asks to retry (a concurrent rename), which the walk does not need.
fn is_symlink_or_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ELOOP | libc::ENOSYS | libc::EAGAIN)
    )
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn owned(fd: libc::c_long) -> io::Result<File> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel just returned, owned by nobody else.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
}

/// Runs `f` with `bytes` as a C string: on the stack when short (the common case, so that
/// preparing a policy does not allocate per path), else on the heap.
fn with_cstr<T>(bytes: &[u8], f: impl FnOnce(&CStr) -> io::Result<T>) -> io::Result<T> {
    let mut buf = [0u8; 512];
    if bytes.len() < buf.len() {
        buf[..bytes.len()].copy_from_slice(bytes);
        let c = CStr::from_bytes_with_nul(&buf[..=bytes.len()])
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        f(c)
    } else {
        f(&cstring(bytes)?)
    }
}

fn openat2_no_symlinks(path: &Path, flags: libc::c_int) -> io::Result<File> {
    openat2_no_symlinks_at(libc::AT_FDCWD, path, flags)
}

/// `openat2(dir, path, O_PATH | flags, RESOLVE_NO_SYMLINKS)`: fails with `ELOOP` when any
/// component of `path`, the last included, is a symlink.
fn openat2_no_symlinks_at(dir: libc::c_int, path: &Path, flags: libc::c_int) -> io::Result<File> {
    with_cstr(path.as_os_str().as_bytes(), |path| {
        // SAFETY: open_how is plain data; zeroed, then the fields the kernel reads are set.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (libc::O_PATH | libc::O_CLOEXEC | flags) as u64;
        how.resolve = libc::RESOLVE_NO_SYMLINKS;
        // SAFETY: a valid C string and a valid open_how of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir,
                path.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        owned(fd)
    })
}

/// `openat(dir, name, O_PATH | O_NOFOLLOW)`: the entry itself, a symlink included.
fn open_entry(dir: &File, name: &OsStr) -> io::Result<File> {
    let name = cstring(name.as_bytes())?;
    // SAFETY: a valid directory descriptor and C string.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    owned(fd as libc::c_long)
}

/// The target of the symlink opened as `link` (with `O_PATH | O_NOFOLLOW`).
fn read_link(link: &File) -> io::Result<PathBuf> {
    // On the stack: a zeroed buffer on the heap costs more than the call (the runner reads
    // eight links at each start).
    let mut buf = [0u8; libc::PATH_MAX as usize];
    // SAFETY: an empty path reads the link `link` refers to; the buffer is as long as passed.
    let n = unsafe {
        libc::readlinkat(
            link.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(PathBuf::from(OsStr::from_bytes(&buf[..n as usize])))
}

fn root() -> io::Result<File> {
    // SAFETY: a constant C string.
    let fd = unsafe {
        libc::open(
            c"/".as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned(fd as libc::c_long)
}

/// Walks `path` one component at a time from `/`, following only trusted symlinks; returns
/// the file and where it is, its symlinks resolved. With `from_parent` (a path whose checked
/// link was replaced by its target, and is likely to have a link only at its end), the
/// directory it is in is first opened in one `openat2(RESOLVE_NO_SYMLINKS)`, from which the
/// walk starts when it has no link.
fn walk(path: &Path, from_parent: bool, checked: &mut CheckedLinks) -> io::Result<(File, PathBuf)> {
    let euid = checked.euid();
    let parent = path
        .parent()
        .filter(|_| from_parent)
        .zip(path.file_name())
        .filter(|(parent, _)| parent.parent().is_some());
    let opened_parent = match parent {
        Some((parent, name)) => match openat2_no_symlinks(parent, libc::O_DIRECTORY) {
            Ok(dir) => Some((dir, parent.to_owned(), PathBuf::from(name))),
            Err(e) if is_symlink_or_unsupported(&e) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let (mut dir, mut at, first) = match opened_parent {
        Some(start) => start,
        // From `/`: `path` is absolute.
        None => (
            root()?,
            PathBuf::from("/"),
            path.strip_prefix("/").unwrap_or(path).to_owned(),
        ),
    };
    let mut pending: Vec<PathBuf> = vec![first];
    let mut links = 0;
    let mut just_followed = false;
    // `pending` is a stack of paths still to walk, the innermost link's target on top.
    while let Some(next) = pending.pop() {
        if std::mem::take(&mut just_followed) {
            // After a trusted link, the rest in one call when it has no link either.
            if let Some(found) = rest_without_links(&dir, &at, &next, &pending, checked)? {
                return Ok(found);
            }
        }
        let mut components = next.components();
        let Some(component) = components.next() else {
            continue;
        };
        let rest = components.as_path().to_owned();
        if !rest.as_os_str().is_empty() {
            pending.push(rest);
        }
        match component {
            Component::RootDir => {
                dir = root()?;
                at = PathBuf::from("/");
            }
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                dir = open_entry(&dir, OsStr::new(".."))?;
                at.pop();
            }
            Component::Normal(name) => {
                // A link checked already in this preparation: followed as it was read then.
                if let Some(target) = checked.target(&at, name) {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::from_raw_os_error(libc::ELOOP));
                    }
                    pending.push(target.to_owned());
                    just_followed = true;
                    continue;
                }
                let entry = open_entry(&dir, name)?;
                let meta = entry.metadata()?;
                if !meta.file_type().is_symlink() {
                    dir = entry;
                    at.push(name);
                    continue;
                }
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = read_link(&entry)?;
                // The user's own link is followed wherever it is: the directory it is in
                // matters, and is read, only for anyone else's.
                if meta.uid() != euid {
                    let parent = dir.metadata()?;
                    if let Some(why) = untrusted(meta.uid(), euid, parent.uid(), parent.mode()) {
                        return Err(planted(&at, name, &target, meta.uid(), euid, &why));
                    }
                }
                checked.links.push((at.join(name), target.clone()));
                pending.push(target);
                just_followed = true;
            }
        }
    }
    Ok((dir, at))
}

/// The rest of a walk at `dir` (where `at` is), `next` then what `pending` still holds, opened
/// in one `openat2(RESOLVE_NO_SYMLINKS)`; `None` when it has a symlink (or `..`, which the
/// walk follows on the inode, not the text), or the kernel has no `openat2`: the walk goes on.
/// An absolute rest that goes through a link checked already is opened where that leads.
fn rest_without_links(
    dir: &File,
    at: &Path,
    next: &Path,
    pending: &[PathBuf],
    checked: &CheckedLinks,
) -> io::Result<Option<(File, PathBuf)>> {
    let mut rest = next.to_owned();
    for later in pending.iter().rev() {
        rest.push(later);
    }
    if rest.is_absolute()
        && let Some(substituted) = checked.substitute(&rest)
    {
        rest = substituted;
    }
    if rest
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
    {
        return Ok(None);
    }
    match openat2_no_symlinks_at(dir.as_raw_fd(), &rest, 0) {
        // An absolute `rest` (a link's absolute target) starts again from `/`.
        Ok(file) => {
            let mut location = at.to_owned();
            for component in rest.components() {
                match component {
                    Component::RootDir => location = PathBuf::from("/"),
                    Component::Normal(name) => location.push(name),
                    _ => {}
                }
            }
            Ok(Some((file, location)))
        }
        Err(e) if is_symlink_or_unsupported(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Why a symlink owned by `owner`, in a directory owned by `dir_owner` with `dir_mode`, may have
/// been planted by another user to redirect a grant of the user `euid`; `None` when only that
/// user or root could have made it there.
///
/// A link owned by `euid` is that user's own doing. One owned by root is root's, unless it is in a
/// directory that others than its owner can write (world- or group-writable, sticky or not) and
/// that root does not own: whoever writes there could have moved or linked it in (the kernel's
/// `protected_symlinks` rule, widened to every such directory). A link owned by anyone else is
/// refused wherever it is: its owner chose where it leads, and could have made it in a directory
/// of theirs (mode 755 or not), or anywhere they could write once.
fn untrusted(owner: u32, euid: u32, dir_owner: u32, dir_mode: u32) -> Option<Untrusted> {
    // Writable by its group or by everyone, sticky or not: others than its owner can put a
    // link there.
    let shared = dir_mode & 0o022 != 0;
    if owner == euid {
        None
    } else if owner != 0 {
        Some(Untrusted::Owner { shared })
    } else if shared && dir_owner != 0 {
        Some(Untrusted::SharedDirectory { dir_owner })
    } else {
        None
    }
}

/// Why a symlink is not followed; see [`untrusted`].
#[derive(Debug, PartialEq, Eq)]
enum Untrusted {
    /// Neither the preparing user nor root owns it; in a directory others can write, or not.
    Owner { shared: bool },
    /// Root owns it, in a directory others can write, of another owner.
    SharedDirectory { dir_owner: u32 },
}

/// The error for the untrusted symlink `name` in the directory `at`, which leads to `target`:
/// the link, where it leads, its owner (by name too when the system knows one), and why.
fn planted(
    at: &Path,
    name: &OsStr,
    target: &Path,
    owner: u32,
    euid: u32,
    why: &Untrusted,
) -> io::Error {
    let link = at.join(name);
    // Where it leads, as far as the text says: a relative target from the link's directory.
    let target = crate::policy::normal_path(&at.join(target), landlock_template::DotDot::Resolve)
        .into_owned();
    let owner = match user_name(owner) {
        Some(name) => format!("uid {owner} ({name})"),
        None => format!("uid {owner}"),
    };
    let message = match why {
        Untrusted::Owner { shared } => format!(
            "`{}` is a symbolic link to `{}`, owned by {owner}{}: another user could have planted it to redirect the grant, so it is not followed; only links owned by the user preparing the policy (uid {euid}) or by root are followed; grant `{}` itself if that is what is meant",
            link.display(),
            target.display(),
            if *shared {
                format!(
                    ", in `{}`, a directory users other than its owner can write",
                    at.display()
                )
            } else {
                String::new()
            },
            target.display(),
        ),
        Untrusted::SharedDirectory { dir_owner } => format!(
            "`{}` is a symbolic link to `{}`, owned by {owner}, in `{}`, a directory users other than its owner can write: another user could have planted it to redirect the grant, so it is not followed; there, only links owned by the user preparing the policy (uid {euid}) or by the directory's owner (uid {dir_owner}) are followed; grant `{}` itself if that is what is meant",
            link.display(),
            target.display(),
            at.display(),
            target.display(),
        ),
    };
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

/// The name of the user `uid` in the system's user database, for a message.
fn user_name(uid: u32) -> Option<String> {
    // SAFETY: passwd is plain data, filled in by getpwuid_r.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: valid pointers to an entry, a buffer of the length passed, and the result.
    let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r found an entry: its name is a C string in `buf`, alive here.
    let name = unsafe { CStr::from_ptr(entry.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `path` opened in a preparation of its own, as a path that must be there, after checking
    /// that an optional one, which is looked up another way when it may be missing, opens or
    /// fails alike.
    fn open(path: &Path) -> io::Result<Opened> {
        let optional = super::open(path, &mut CheckedLinks::new(), true);
        let required = super::open(path, &mut CheckedLinks::new(), false);
        match (&optional, &required) {
            (Ok(a), Ok(b)) => assert_eq!((a.is_dir, &a.followed), (b.is_dir, &b.followed)),
            (Err(a), Err(b)) => assert_eq!(
                (a.kind(), a.raw_os_error()),
                (b.kind(), b.raw_os_error()),
                "{a} / {b}"
            ),
            _ => panic!(
                "{}: optional {optional:?}, required {required:?}",
                path.display()
            ),
        }
        required
    }

    #[test]
    fn a_link_is_trusted_when_its_owner_is_the_user_or_root_outside_others_directories() {
        let (user, other, root) = (1000, 4242, 0);
        // (link owner, preparing user, directory owner, directory mode)
        for (owner, euid, dir_owner, mode, expected) in [
            // The user's own links, anywhere, even in a directory others can write.
            (user, user, other, 0o1777, None),
            (root, root, other, 0o777, None),
            // Root's links, in root's directories or in any only their owner can write.
            (root, user, root, 0o1777, None),
            (root, user, other, 0o755, None),
            (root, user, user, 0o700, None),
            // Another user's links, wherever they are: in their own directory, in root's.
            (
                other,
                user,
                other,
                0o755,
                Some(Untrusted::Owner { shared: false }),
            ),
            (
                other,
                user,
                root,
                0o755,
                Some(Untrusted::Owner { shared: false }),
            ),
            (
                other,
                root,
                other,
                0o700,
                Some(Untrusted::Owner { shared: false }),
            ),
            (
                other,
                user,
                root,
                0o1777,
                Some(Untrusted::Owner { shared: true }),
            ),
            (
                other,
                user,
                user,
                0o775,
                Some(Untrusted::Owner { shared: true }),
            ),
            // Root's, in a directory of another owner that others can write: it could have been
            // moved or linked in.
            (
                root,
                user,
                other,
                0o1777,
                Some(Untrusted::SharedDirectory { dir_owner: other }),
            ),
            (
                root,
                user,
                user,
                0o770,
                Some(Untrusted::SharedDirectory { dir_owner: user }),
            ),
        ] {
            assert_eq!(
                untrusted(owner, euid, dir_owner, mode),
                expected,
                "link of {owner}, prepared by {euid}, in a directory of {dir_owner} mode {mode:o}"
            );
        }
    }

    #[test]
    fn proc_and_what_is_beneath_it_only() {
        for (path, under) in [
            ("/proc", true),
            ("/proc/self/cgroup", true),
            ("/proc/", true),
            ("/process", false),
            ("/etc/proc", false),
        ] {
            assert_eq!(is_under_proc(Path::new(path)), under, "{path}");
        }
    }

    #[test]
    fn opens_directories_files_and_trusted_links() {
        let etc = open(Path::new("/etc")).unwrap();
        assert!(etc.is_dir && !etc.under_proc);
        drop(etc);
        assert!(!open(Path::new("/etc/hostname")).unwrap().is_dir);
        let dir = std::env::temp_dir().join(format!("landlock-open-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("real/sub")).unwrap();
        std::os::unix::fs::symlink("real", dir.join("rel")).unwrap();
        std::os::unix::fs::symlink(dir.join("real/sub"), dir.join("abs")).unwrap();
        std::os::unix::fs::symlink("../real/sub/..", dir.join("real/up")).unwrap();
        let same = |a: &Path, b: &Path| {
            let (a, b) = (open(a).unwrap().file, open(b).unwrap().file);
            let (a, b) = (a.metadata().unwrap(), b.metadata().unwrap());
            (a.dev(), a.ino()) == (b.dev(), b.ino())
        };
        assert!(same(&dir.join("rel/sub"), &dir.join("real/sub")));
        assert!(same(&dir.join("abs"), &dir.join("real/sub")));
        assert!(same(&dir.join("real/up"), &dir.join("real")));
        assert_eq!(
            open(&dir.join("missing")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        assert_eq!(
            open(&dir.join("loop")).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// After a trusted link, the rest is opened in one call only when it has no link: a link
    /// further on is still checked, and another user's is refused.
    #[test]
    fn a_foreign_link_after_a_trusted_one_is_still_refused() {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: giving a link to another user needs root");
            return;
        }
        let dir = std::env::temp_dir().join(format!("landlock-open-chain-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("real/sub")).unwrap();
        std::os::unix::fs::symlink("mid/sub", dir.join("trusted")).unwrap();
        std::os::unix::fs::symlink("real", dir.join("mid")).unwrap();
        std::os::unix::fs::symlink("real/sub", dir.join("plain")).unwrap();
        // The rest after `plain` has no link: opened in one call, and where it leads is told.
        let plain = open(&dir.join("plain")).unwrap();
        assert_eq!(plain.followed.as_deref(), Some(&*dir.join("real/sub")));
        assert!(plain.is_dir);
        // Missing beyond a link: not found, however many links lead there.
        for missing in ["plain/missing", "trusted/missing/deeper"] {
            assert_eq!(
                open(&dir.join(missing)).unwrap_err().kind(),
                io::ErrorKind::NotFound,
                "{missing}"
            );
        }
        // Trusted while the user owns it; refused once nobody does.
        assert!(open(&dir.join("trusted")).is_ok());
        std::os::unix::fs::lchown(dir.join("mid"), Some(65534), Some(65534)).unwrap();
        let refused = open(&dir.join("trusted")).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            refused.to_string().contains("mid` is a symbolic link to"),
            "{refused}"
        );
        // Missing beyond the refused link: not found, as it would be with the link trusted,
        // whether the path is optional (asked before any walk) or not (asked when the walk
        // fails on the link).
        assert_eq!(
            open(&dir.join("trusted/missing")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Within one preparation, a link checked once is followed as it was read then, without
    /// being read again; what lies beyond it is checked as on a first walk.
    #[test]
    fn a_checked_link_is_followed_as_read_and_what_lies_beyond_is_still_checked() {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: giving a link to another user needs root");
            return;
        }
        let dir =
            std::env::temp_dir().join(format!("landlock-open-checked-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("real/sub")).unwrap();
        std::fs::create_dir_all(dir.join("other/sub")).unwrap();
        std::fs::write(dir.join("real/sub/file"), "").unwrap();
        std::os::unix::fs::symlink("real", dir.join("lib")).unwrap();
        std::os::unix::fs::symlink("sub/file", dir.join("real/own")).unwrap();
        std::os::unix::fs::symlink("sub", dir.join("real/foreign")).unwrap();
        std::os::unix::fs::lchown(dir.join("real/foreign"), Some(65534), Some(65534)).unwrap();
        let mut links = CheckedLinks::new();
        let first = super::open(&dir.join("lib"), &mut links, false).unwrap();
        assert_eq!(first.followed.as_deref(), Some(&*dir.join("real")));
        assert_eq!(links.links, [(dir.join("lib"), PathBuf::from("real"))]);
        // Changed after its check: the preparation keeps to what it checked.
        std::fs::remove_file(dir.join("lib")).unwrap();
        std::os::unix::fs::symlink("other", dir.join("lib")).unwrap();
        let sub = super::open(&dir.join("lib/sub"), &mut links, false).unwrap();
        assert_eq!(sub.followed.as_deref(), Some(&*dir.join("real/sub")));
        // Spelt with a doubled `/`, the same; a name it begins is another path.
        let doubled = super::open(&dir.join("lib//sub"), &mut links, false).unwrap();
        assert_eq!(doubled.followed.as_deref(), Some(&*dir.join("real/sub")));
        std::fs::create_dir_all(dir.join("libx/sub")).unwrap();
        let libx = super::open(&dir.join("libx/sub"), &mut links, false).unwrap();
        assert_eq!(libx.followed, None);
        assert!(libx.is_dir);
        // Missing beyond it: not found.
        let missing = super::open(&dir.join("lib/missing"), &mut links, false).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        // A link beyond it: walked and checked, the user's own followed, another's refused.
        let own = super::open(&dir.join("lib/own"), &mut links, false).unwrap();
        assert_eq!(own.followed.as_deref(), Some(&*dir.join("real/sub/file")));
        assert!(!own.is_dir);
        let refused = super::open(&dir.join("lib/foreign"), &mut links, false).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            refused
                .to_string()
                .contains("foreign` is a symbolic link to"),
            "{refused}"
        );
        // `..` after it, followed on the inode by the walk, which goes through it as read too.
        let up = super::open(&dir.join("lib/sub/.."), &mut links, false).unwrap();
        let real = std::fs::metadata(dir.join("real")).unwrap();
        let up = up.file.metadata().unwrap();
        assert_eq!((up.dev(), up.ino()), (real.dev(), real.ino()));
        // A new preparation reads it again.
        let again = open(&dir.join("lib/sub")).unwrap();
        assert_eq!(again.followed.as_deref(), Some(&*dir.join("other/sub")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn knows_what_is_under_proc_once_symlinks_are_resolved() {
        let stat = open(Path::new("/proc/stat")).unwrap();
        assert!(!stat.is_dir && stat.under_proc);
        // `/proc/self` is a symlink: resolved by the walk, to `/proc/<pid>`.
        assert!(open(Path::new("/proc/self/cgroup")).unwrap().under_proc);
        let dir = std::env::temp_dir().join(format!("landlock-open-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink("/proc/self/mountinfo", dir.join("mountinfo")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("etc")).unwrap();
        assert!(open(&dir.join("mountinfo")).unwrap().under_proc);
        assert!(!open(&dir.join("etc")).unwrap().under_proc);
        // A component named `proc` elsewhere is not `/proc`.
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        assert!(!open(&dir.join("proc")).unwrap().under_proc);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
