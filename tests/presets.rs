//! Each preset with its real consumer, under a sandbox that grants nothing else: the consumer
//! works with the preset, and the same call is denied under `policy!()`, which grants nothing,
//! so that the preset is what makes it work. Each runs on a sandboxed scoped thread
//! (`Policy::run`), or in a child process where the consumer keeps state per process.

use std::io::{Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::available_parallelism;

use landlock_runtime::policy;

mod support;
use support::*;

// dns

/// What `("localhost", 80).to_socket_addrs()` answers: the addresses, or the error as text (a
/// failed lookup has no errno, but a `getaddrinfo` code that std turns into its message).
fn lookup_localhost() -> Result<Vec<SocketAddr>, String> {
    ("localhost", 80)
        .to_socket_addrs()
        .map(Iterator::collect)
        .map_err(|e| e.to_string())
}

// Each lookup runs in a process of its own: the C library keeps what it made of
// `/etc/nsswitch.conf` and `/etc/resolv.conf` for the process, and reads them again only when
// they change, so only the first lookup of a process shows what the sandbox lets it read.

#[test]
fn the_dns_preset_resolves_localhost() {
    if !landlock_or_skip() {
        return;
    }
    in_child("the_dns_preset_resolves_localhost", || {
        let addrs = policy!(preset = "dns")
            .run(lookup_localhost)
            .expect("sandbox enforced")
            .expect("localhost resolves with the preset");
        let expected: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert!(addrs.contains(&expected), "{addrs:?}");
    });
}

#[test]
fn without_the_dns_preset_localhost_does_not_resolve() {
    if !landlock_or_skip() {
        return;
    }
    in_child("without_the_dns_preset_localhost_does_not_resolve", || {
        // Denied `/etc/nsswitch.conf`, the C library uses its built-in order, files then DNS.
        // `/etc/hosts` is denied; denied `/etc/resolv.conf` too, it asks the default server,
        // 127.0.0.1:53, where nothing answers (a resolver listening there would make this
        // "Name or service not known", or an answer).
        let answer = policy!().run(lookup_localhost).expect("sandbox enforced");
        assert_eq!(
            answer,
            Err(
                "failed to lookup address information: Temporary failure in name resolution"
                    .to_owned()
            )
        );
    });
    // The same lookup outside a sandbox, so that the failure above is the sandbox's.
    assert!(lookup_localhost().is_ok());
}

// tls_roots

const CERTS: &str = "/etc/ssl/certs";

/// Every file in `dir` and below, as listed (symlinks not resolved), in a stable order.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // Following symlinks: an entry that links to a directory is walked.
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Reads each file whole, through its symlinks, as a TLS library loads a CA store, and
/// returns those it could not read, with the errno.
fn unreadable(files: &[PathBuf]) -> Vec<(&Path, Errno)> {
    files
        .iter()
        .filter_map(|f| io(std::fs::read(f)).err().map(|e| (f.as_path(), e)))
        .collect()
}

#[test]
fn the_tls_roots_preset_reads_every_certificate_and_what_it_links_to() {
    if !landlock_or_skip() {
        return;
    }
    if !Path::new(CERTS).is_dir() {
        skip(&format!("this system has no {CERTS}"));
        return;
    }
    let files = files_below(Path::new(CERTS));
    assert_eq!(unreadable(&files), [], "outside any sandbox");

    let with_preset = policy!(preset = "tls_roots")
        .run(|| unreadable(&files))
        .expect("sandbox enforced");
    assert_eq!(with_preset, [], "{} files, with the preset", files.len());

    // Granting the directory alone: each entry whose file lies outside it (the links into
    // /usr/share/ca-certificates on Debian) is denied, exactly those, and there are some.
    let certs = std::fs::canonicalize(CERTS).unwrap();
    let outside_the_directory: Vec<(&Path, Errno)> = files
        .iter()
        .filter(|f| !std::fs::canonicalize(f).unwrap().starts_with(&certs))
        .map(|f| (f.as_path(), EACCES))
        .collect();
    assert!(
        !outside_the_directory.is_empty(),
        "no entry of {CERTS} links out of it, so this test cannot show that the targets are needed"
    );
    let directory_only = policy!(read = "/etc/ssl/certs")
        .run(|| unreadable(&files))
        .expect("sandbox enforced");
    assert_eq!(directory_only, outside_the_directory);
}

// devices

/// Reads 16 bytes from `path`.
fn read_16(path: &str) -> Result<[u8; 16], Errno> {
    let mut buf = [1u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut buf));
    io(read).map(|()| buf)
}

/// Opens `path` for writing only, and writes to it.
fn write_to(path: &str) -> Outcome {
    io(std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(b"landlock")))
}

/// What each use of the devices answers.
fn use_devices() -> Vec<(&'static str, Outcome)> {
    let zeros = |bytes| assert_eq!(bytes, [0; 16], "what /dev/zero reads");
    vec![
        ("read /dev/urandom", read_16("/dev/urandom").map(drop)),
        ("read /dev/zero", read_16("/dev/zero").map(zeros)),
        ("write /dev/null", write_to("/dev/null")),
        ("read /dev/null", io(std::fs::read("/dev/null"))),
        ("write /dev/zero", write_to("/dev/zero")),
        ("write /dev/urandom", write_to("/dev/urandom")),
    ]
}

#[test]
fn the_devices_preset_reads_the_devices_and_writes_only_dev_null() {
    if !landlock_or_skip() {
        return;
    }
    let with_preset = policy!(preset = "devices")
        .run(use_devices)
        .expect("enforced");
    assert_eq!(
        with_preset,
        [
            ("read /dev/urandom", Ok(())),
            ("read /dev/zero", Ok(())),
            ("write /dev/null", Ok(())),
            ("read /dev/null", Ok(())),
            ("write /dev/zero", Err(EACCES)),
            ("write /dev/urandom", Err(EACCES)),
        ]
    );
    let without = policy!().run(use_devices).expect("enforced");
    assert_eq!(
        without,
        [
            ("read /dev/urandom", Err(EACCES)),
            ("read /dev/zero", Err(EACCES)),
            ("write /dev/null", Err(EACCES)),
            ("read /dev/null", Err(EACCES)),
            ("write /dev/zero", Err(EACCES)),
            ("write /dev/urandom", Err(EACCES)),
        ]
    );
}

/// Spawns a program that does not exist with every standard stream on `/dev/null`: the spawn
/// opens `/dev/null` first (stdin for reading, stdout and stderr for writing), so it fails
/// with `ENOENT` when the opens succeed and with their `EACCES` when they do not.
fn spawn_with_null_stdio() -> Outcome {
    io(Command::new("/nonexistent/landlock-presets-program")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn())
}

#[test]
fn the_devices_preset_lets_a_sandboxed_thread_spawn_with_null_stdio() {
    if !landlock_or_skip() {
        return;
    }
    let with_preset = policy!(preset = "devices")
        .run(spawn_with_null_stdio)
        .expect("enforced");
    assert_eq!(with_preset, Err(ENOENT));
    let without = policy!().run(spawn_with_null_stdio).expect("enforced");
    assert_eq!(without, Err(EACCES));
}

// cpu_info

/// A cgroup whose CPU quota is one CPU, made by a test process for its child, and removed
/// when dropped (by then the child has exited, leaving it empty).
struct OneCpuCgroup {
    dir: PathBuf,
}

/// Where the CPU controller is: a cgroup v1 hierarchy of its own, or the v2 unified one.
enum CpuController {
    V1(PathBuf),
    V2(PathBuf),
}

impl CpuController {
    /// Found as `available_parallelism` finds it: a v1 hierarchy with `cpu` among its
    /// controllers (from `/proc/self/mountinfo`), else `/sys/fs/cgroup` when it is the unified
    /// hierarchy and lets its children have the `cpu` controller.
    fn find() -> Result<CpuController, String> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        for line in mountinfo.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            let Some(dash) = fields.iter().position(|f| *f == "-") else {
                continue;
            };
            let (mount_point, fs_type, options) =
                (fields[4], fields[dash + 1], fields[fields.len() - 1]);
            if fs_type == "cgroup" && options.split(',').any(|o| o == "cpu") {
                return Ok(CpuController::V1(PathBuf::from(mount_point)));
            }
        }
        let unified = Path::new("/sys/fs/cgroup");
        let subtree =
            std::fs::read_to_string(unified.join("cgroup.subtree_control")).map_err(|e| {
                format!(
                    "no cgroup v1 cpu controller, and no cgroup v2 at {} ({e})",
                    unified.display()
                )
            })?;
        if subtree.split_whitespace().any(|c| c == "cpu") {
            Ok(CpuController::V2(unified.to_owned()))
        } else {
            Err(format!(
                "no cgroup v1 cpu controller, and the cgroup v2 root does not give its children the cpu controller (cgroup.subtree_control: {:?})",
                subtree.trim()
            ))
        }
    }
}

impl OneCpuCgroup {
    /// The cgroup of the test process `owner`, beneath the root of the CPU controller's
    /// hierarchy.
    fn dir(owner: u32) -> Result<(CpuController, PathBuf), String> {
        let controller = CpuController::find()?;
        let root = match &controller {
            CpuController::V1(root) | CpuController::V2(root) => root,
        };
        let dir = root.join(format!("landlock-test-{owner}"));
        Ok((controller, dir))
    }

    /// Makes the cgroup of this process, with a quota of one CPU.
    fn create() -> Result<OneCpuCgroup, String> {
        let (controller, dir) = OneCpuCgroup::dir(std::process::id())?;
        std::fs::create_dir(&dir)
            .map_err(|e| format!("cannot create the cgroup {} ({e})", dir.display()))?;
        // Removed when dropped, also when setting the quota fails.
        let cgroup = OneCpuCgroup { dir };
        let file = |name: &str| cgroup.dir.join(name);
        let failed =
            |name: &str, e: std::io::Error| format!("cannot set {} ({e})", file(name).display());
        // A quota equal to the period: one CPU's worth of time in every period.
        match controller {
            CpuController::V1(_) => {
                let period = std::fs::read_to_string(file("cpu.cfs_period_us"))
                    .map_err(|e| failed("cpu.cfs_period_us", e))?;
                std::fs::write(file("cpu.cfs_quota_us"), period.trim())
                    .map_err(|e| failed("cpu.cfs_quota_us", e))?;
            }
            CpuController::V2(_) => {
                std::fs::write(file("cpu.max"), "100000 100000")
                    .map_err(|e| failed("cpu.max", e))?;
            }
        }
        Ok(cgroup)
    }

    /// Moves this whole process (every thread) into the cgroup its parent made.
    fn enter_parents() {
        let parent = std::os::unix::process::parent_id();
        let (_, dir) = OneCpuCgroup::dir(parent).unwrap();
        std::fs::write(dir.join("cgroup.procs"), std::process::id().to_string()).unwrap();
    }
}

impl Drop for OneCpuCgroup {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir(&self.dir) {
            eprintln!("could not remove {}: {e}", self.dir.display());
        }
    }
}

/// The CPUs this thread may run on, whatever any quota says.
fn cpus_in_affinity() -> usize {
    // SAFETY: an all-zero cpu_set_t is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the set is as large as the size passed.
    let ret =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(ret, 0, "{}", std::io::Error::last_os_error());
    // SAFETY: a set the kernel just filled.
    usize::try_from(unsafe { libc::CPU_COUNT(&set) }).unwrap()
}

fn parallelism() -> usize {
    available_parallelism().unwrap().get()
}

#[test]
fn the_cpu_info_preset_keeps_a_cgroup_cpu_quota_in_sight() {
    const NAME: &str = "the_cpu_info_preset_keeps_a_cgroup_cpu_quota_in_sight";
    // The parent makes the cgroup, the child runs in it, the parent removes it: no process
    // ever has to leave it, and it is empty once the child has exited, whatever happened.
    if is_child(NAME) {
        OneCpuCgroup::enter_parents();
        let machine = cpus_in_affinity();
        let outside = parallelism();
        let without = policy!().run(parallelism).expect("enforced");
        let with_preset = policy!(preset = "cpu_info")
            .run(parallelism)
            .expect("enforced");
        // Denied the cgroup files, the answer is the machine's: the quota is lost.
        assert_eq!(
            (outside, without, with_preset),
            (1, machine, 1),
            "available_parallelism outside, without the preset, with it"
        );
        return;
    }
    if !landlock_or_skip() || !root_or_skip("making a cgroup") {
        return;
    }
    // With one CPU, the quota and the machine say the same: nothing would be shown.
    if cpus_in_affinity() < 2 {
        skip("this test needs two CPUs");
        return;
    }
    let cgroup = match OneCpuCgroup::create() {
        Ok(cgroup) => cgroup,
        Err(why) => {
            skip(&why);
            return;
        }
    };
    in_child(NAME, || unreachable!("the child returned above"));
    drop(cgroup);
}

/// Reads the `/proc` files of `cpu_info`.
fn read_proc_files() -> Vec<(&'static str, Outcome)> {
    [
        "/proc/self/cgroup",
        "/proc/self/mountinfo",
        "/proc/stat",
        "/proc/cpuinfo",
    ]
    .into_iter()
    .map(|path| (path, io(std::fs::read(path))))
    .collect()
}

#[test]
fn the_cpu_info_preset_keeps_its_proc_files_after_the_kernel_drops_its_dentry_cache() {
    if !landlock_or_skip() || !root_or_skip("dropping the kernel's dentry cache") {
        return;
    }
    let readable = [
        ("/proc/self/cgroup", Ok(())),
        ("/proc/self/mountinfo", Ok(())),
        ("/proc/stat", Ok(())),
        ("/proc/cpuinfo", Ok(())),
    ];
    let policy = policy!(preset = "cpu_info");
    assert_eq!(policy.run(read_proc_files).expect("enforced"), readable);
    // procfs makes a new inode for a file each time its dentry is made again, after the
    // kernel dropped it from its cache (under memory pressure; here on demand), and a rule
    // names an inode. The policy is prepared by now; its rules must still apply.
    if let Err(e) = std::fs::write("/proc/sys/vm/drop_caches", "2") {
        skip(&format!("cannot drop the kernel's dentry cache ({e})"));
        return;
    }
    assert_eq!(policy.run(read_proc_files).expect("enforced"), readable);
}

// a path both written and in a preset

/// `read = "/lib"` beside the loader preset, which reads `/lib` too: preparation makes the rule
/// once (the preset's `/lib` is the written grant's again), and still records both grants;
/// the paths of the preset after it are granted as before.
#[test]
fn a_path_both_written_and_in_a_preset_is_granted_once_and_recorded_for_each() {
    if !landlock_or_skip() {
        return;
    }
    let list_lib = || io(std::fs::read_dir("/lib"));
    let read_cache = || io(std::fs::read("/etc/ld.so.cache"));
    let policy = policy!(read = "/lib", preset = "dynamic_loader");
    let outcomes = policy
        .run(|| (list_lib(), read_cache()))
        .expect("sandbox enforced");
    assert_eq!(outcomes, (Ok(()), Ok(())));
    let granted = policy.granted().expect("prepared");
    let lib: Vec<_> = granted
        .iter()
        .filter(|g| g.path() == Path::new("/lib"))
        .map(|g| g.class())
        .collect();
    assert_eq!(lib, [landlock_runtime::Class::Read; 2], "{granted:?}");
    // The control: the same calls under a sandbox that grants nothing.
    let denied = policy!()
        .run(|| (list_lib(), read_cache()))
        .expect("sandbox enforced");
    assert_eq!(denied, (Err(EACCES), Err(EACCES)));
}
