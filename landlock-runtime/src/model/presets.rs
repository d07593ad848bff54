//! Named presets: reviewable bundles of paths that a common need requires, such as starting a
//! dynamically linked program.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::rules::{canonical, includes};
use super::{Class, FsGrant, GrantPath};

/// A named bundle of optional grants, written `preset = "NAME"` in the policy language.
///
/// Every path of a preset is optional (skipped where it does not exist), so one preset serves
/// every distribution layout. Reports list presets by name; [`Preset::grants`] shows what each
/// expands to.
///
/// ```
/// use landlock_runtime::Preset;
///
/// let loader = Preset::from_name("dynamic_loader").unwrap();
/// assert!(loader.grants().iter().any(|g| g.to_string() == "/etc/ld.so.cache?"));
/// assert_eq!(Preset::from_name("nope"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Preset {
    /// What the kernel and the dynamic loader need to start a dynamically linked program:
    /// execute on the ELF loader, read on the library directories and the loader's cache and
    /// configuration. Grant `exec` on the program itself separately.
    ///
    /// Execute on the loader lets the code run the loader as a program, and the loader maps any
    /// ELF file it can read as code (`ld.so ./file`): Landlock checks `execve`, not
    /// `mmap(PROT_EXEC)`. With this preset, an ELF file in a `read` or `write` directory can be
    /// run through the loader, though the directory does not grant `exec`.
    DynamicLoader,
    /// Locale and time-zone data: read on the locale archives, translations, zoneinfo,
    /// `/etc/localtime`, and `/etc/locale.alias` (which `setlocale` reads whenever `LANG` or
    /// `LC_*` is set).
    Locale,
    /// What the C library's resolver reads to turn a host name into addresses
    /// (`getaddrinfo`, and so `ToSocketAddrs`): read on `/etc/hosts`, `/etc/resolv.conf`,
    /// `/etc/nsswitch.conf`, `/etc/host.conf`, `/etc/gai.conf`, `/etc/services` (service
    /// names such as `"https"`), and `/run/systemd/resolve`.
    ///
    /// A rule on a symlink lands on its target, so a `/etc/resolv.conf` that links to
    /// `/run/systemd/resolve/stub-resolv.conf`, `/run/NetworkManager/resolv.conf` or
    /// `/run/resolvconf/resolv.conf` grants that file. systemd-resolved replaces its files
    /// (a new file, renamed over the old) whenever the DNS configuration changes, so its whole
    /// directory is granted; any other file replaced after the policy is prepared is a new
    /// file that the rule does not cover. Not `/etc/protocols`: `getaddrinfo` never reads it.
    ///
    /// Name services from other libraries (`libnss_myhostname`, `libnss_resolve`,
    /// `libnss_mdns`, configured in `/etc/nsswitch.conf`) are loaded from the library
    /// directories: add `dynamic_loader`. Without it they are skipped as unavailable, as when
    /// they are not installed. nscd and `libnss_resolve` are asked over a unix socket, which
    /// from Landlock ABI 9 needs `write` on it; denied, the C library reads the files itself.
    /// The preset grants files only: a query that falls back to TCP (a truncated answer,
    /// `options use-vc`) also needs `connect = 53`; queries over UDP are not restricted.
    Dns,
    /// The system's trusted CA certificates, at the paths of the major distributions: read on
    /// `/etc/ssl/certs` and the files its entries link to (`/usr/share/ca-certificates`,
    /// `/usr/local/share/ca-certificates`; Debian, Ubuntu, Alpine), `/etc/ssl/cert.pem`
    /// (Alpine, and the generic OpenSSL location), `/etc/pki/tls/certs`,
    /// `/etc/pki/tls/cert.pem`, `/etc/pki/ca-trust/extracted` (Fedora, RHEL),
    /// `/etc/ca-certificates/extracted` (Arch), `/etc/ssl/ca-bundle.pem` and
    /// `/var/lib/ca-certificates` (openSUSE).
    ///
    /// Never `/etc/ssl` or `/etc/pki` whole: their `private` directories hold keys. A bundle
    /// named by `SSL_CERT_FILE` or `SSL_CERT_DIR` elsewhere needs a grant of its own.
    TlsRoots,
    /// The kernel's character devices that every program may use: write on `/dev/null`
    /// (which includes reading it), read on `/dev/zero`, `/dev/full`, `/dev/random` and
    /// `/dev/urandom`. A spawn with `Stdio::null()` (the default stdin of `Command::output`)
    /// opens `/dev/null` in the sandboxed parent, for reading as stdin and for writing as
    /// stdout or stderr. A rule on a file carries only file rights: nothing can be created in
    /// `/dev`, and the other devices cannot be written.
    Devices,
    /// What sizes thread pools: read on the files `std::thread::available_parallelism` (and so
    /// tokio's default worker count) and the `num_cpus` crate read to find the CPUs the process
    /// may use, so that a CPU quota of a cgroup is honoured inside the sandbox too.
    ///
    /// `/proc/self/cgroup` (the process's cgroups), `/proc/self/mountinfo` (where the cgroups
    /// are mounted: std looks there when the v1 cpu controller is not at its usual place,
    /// `num_cpus` always), `/sys/fs/cgroup` (the quota files, `cpu.max` for cgroup v2,
    /// `cpu.cfs_quota_us` and `cpu.cfs_period_us` for v1, of the process's cgroup and its
    /// ancestors), `/sys/devices/system/cpu` (the C library's count of online and possible
    /// CPUs, `sysconf(_SC_NPROCESSORS_ONLN)`), `/proc/stat` (its fallback when `/sys` is not
    /// mounted) and `/proc/cpuinfo` (`num_cpus::get_physical`).
    ///
    /// The cgroup tree is granted whole, since the process's place in it is known only at run
    /// time: the code can read the limits and statistics of every cgroup, and the process
    /// ids in each, as any user can. `/proc/self` is the process that prepares the policy: a
    /// child process confined with [`SandboxCommandExt::sandbox`](crate::SandboxCommandExt::sandbox) is not
    /// granted its own `/proc/self` files, and sees no quota.
    CpuInfo,
}

/// Every preset, for listing; a slice, since a later release may add presets.
///
/// ```
/// use landlock_runtime::PRESETS;
///
/// let names: Vec<&str> = PRESETS.iter().map(|p| p.name()).collect();
/// assert_eq!(names, ["dynamic_loader", "locale", "dns", "tls_roots", "devices", "cpu_info"]);
/// ```
pub const PRESETS: &[Preset] = &[
    Preset::DynamicLoader,
    Preset::Locale,
    Preset::Dns,
    Preset::TlsRoots,
    Preset::Devices,
    Preset::CpuInfo,
];

const fn read(path: &'static str) -> FsGrant {
    FsGrant::template(path, Class::Read)
}

const fn write(path: &'static str) -> FsGrant {
    FsGrant::template(path, Class::Write)
}

const fn exec(path: &'static str) -> FsGrant {
    FsGrant::template(path, Class::Exec)
}

/// Declares the known ELF loaders once, for the preset (each optional) and for
/// [`exec::dependencies`](crate::exec::dependencies), which runs only these.
macro_rules! known_loaders {
    ($($path:literal),* $(,)?) => {
        /// The ELF loaders (`PT_INTERP`) of the common architectures and C libraries, at the
        /// paths their programs name.
        #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Read by `exec`, Linux only.
        pub(crate) const KNOWN_LOADERS: &[&str] = &[$($path),*];

        /// The grants of the `dynamic_loader` preset: execute on each known loader, read on the
        /// library directories and the loader's cache and configuration. A rule on a symlink
        /// grants its target, so the usual `/lib64 -> /usr/lib64` style links are covered.
        static DYNAMIC_LOADER: &[FsGrant] = &[
            $(exec(concat!($path, "?")),)*
            read("/lib?"),
            read("/lib64?"),
            read("/usr/lib?"),
            read("/usr/lib64?"),
            read("/usr/local/lib?"),
            read("/etc/ld.so.cache?"),
            read("/etc/ld.so.preload?"),
        ];
    };
}

known_loaders!(
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1",
    "/lib/ld-linux-armhf.so.3",
    "/lib/ld-linux.so.2",
    "/lib64/ld64.so.2",
    "/lib/ld64.so.1",
    "/lib/ld-linux-riscv64-lp64d.so.1",
    "/lib/ld-musl-x86_64.so.1",
    "/lib/ld-musl-aarch64.so.1",
    "/lib/ld-musl-armhf.so.1",
);

static LOCALE: [FsGrant; 6] = [
    read("/usr/lib/locale?"),
    read("/usr/share/locale?"),
    read("/usr/share/i18n?"),
    read("/usr/share/zoneinfo?"),
    read("/etc/localtime?"),
    // setlocale reads the locale names' aliases whenever LANG or LC_* is set.
    read("/etc/locale.alias?"),
];

static DNS: [FsGrant; 7] = [
    read("/etc/hosts?"),
    read("/etc/resolv.conf?"),
    read("/etc/nsswitch.conf?"),
    read("/etc/host.conf?"),
    read("/etc/gai.conf?"),
    read("/etc/services?"),
    read("/run/systemd/resolve?"),
];

static TLS_ROOTS: [FsGrant; 10] = [
    read("/etc/ssl/certs?"),
    read("/usr/share/ca-certificates?"),
    read("/usr/local/share/ca-certificates?"),
    read("/etc/ssl/cert.pem?"),
    read("/etc/pki/tls/certs?"),
    read("/etc/pki/tls/cert.pem?"),
    read("/etc/pki/ca-trust/extracted?"),
    read("/etc/ca-certificates/extracted?"),
    read("/etc/ssl/ca-bundle.pem?"),
    read("/var/lib/ca-certificates?"),
];

static DEVICES: [FsGrant; 5] = [
    write("/dev/null?"),
    read("/dev/zero?"),
    read("/dev/full?"),
    read("/dev/random?"),
    read("/dev/urandom?"),
];

static CPU_INFO: [FsGrant; 6] = [
    read("/proc/self/cgroup?"),
    read("/proc/self/mountinfo?"),
    read("/sys/fs/cgroup?"),
    read("/sys/devices/system/cpu?"),
    read("/proc/stat?"),
    read("/proc/cpuinfo?"),
];

impl Preset {
    /// The preset of this name (`dynamic_loader`, `locale`, `dns`, `tls_roots`, `devices`,
    /// `cpu_info`).
    ///
    /// ```
    /// use landlock_runtime::Preset;
    ///
    /// assert_eq!(Preset::from_name("tls_roots"), Some(Preset::TlsRoots));
    /// assert_eq!(Preset::from_name("TlsRoots"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Preset> {
        PRESETS.iter().copied().find(|p| p.name() == name)
    }

    /// The name used in the policy language.
    ///
    /// ```
    /// use landlock_runtime::{Preset, policy};
    ///
    /// assert_eq!(Preset::CpuInfo.name(), "cpu_info");
    /// assert_eq!(policy!(preset = "cpu_info").presets(), [Preset::CpuInfo]);
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Preset::DynamicLoader => "dynamic_loader",
            Preset::Locale => "locale",
            Preset::Dns => "dns",
            Preset::TlsRoots => "tls_roots",
            Preset::Devices => "devices",
            Preset::CpuInfo => "cpu_info",
        }
    }

    /// The preset that grants `class` on `path` on this machine, if one does and grants
    /// nothing that `class` does not include (a read is never answered with `dynamic_loader`,
    /// which also grants `exec` on the loaders): the narrowest (its grant the deepest path)
    /// when several do, the first of [`PRESETS`] between equals.
    /// Paths are compared as the kernel names them, symbolic links resolved (`dns`'s
    /// `/etc/resolv.conf` covers the file it links to), and a preset covers only its paths
    /// that exist here, looked up once per process.
    ///
    /// What would allow a denial says the preset rather than its paths, one by one
    /// ([`Denial::allow`](crate::denials::Denial::allow)), and the runner learns it so.
    ///
    /// ```
    /// use landlock_runtime::{Class, Preset};
    ///
    /// # if std::path::Path::new("/etc/hosts").exists() {
    /// assert_eq!(Preset::covering("/etc/hosts", Class::Read), Some(Preset::Dns));
    /// // `dns` grants read, not write.
    /// assert_eq!(Preset::covering("/etc/hosts", Class::Write), None);
    /// # }
    /// assert_eq!(Preset::covering("/etc/shadow", Class::Read), None);
    /// # if std::path::Path::new("/usr/lib").exists() {
    /// // `dynamic_loader` grants reading `/usr/lib`, and `exec` on the loaders too.
    /// assert_eq!(Preset::covering("/usr/lib/os-release", Class::Read), None);
    /// # }
    /// ```
    pub fn covering(path: impl AsRef<Path>, class: Class) -> Option<Preset> {
        static HERE: OnceLock<Vec<(Preset, Class, PathBuf)>> = OnceLock::new();
        let here = HERE.get_or_init(|| {
            PRESETS
                .iter()
                .flat_map(|&preset| preset.grants().iter().map(move |g| (preset, g)))
                .filter_map(|(preset, grant)| {
                    // Every path of a preset is an absolute template without a variable.
                    let GrantPath::Template(template) = grant.path() else {
                        return None;
                    };
                    let path = template.strip_suffix('?').unwrap_or(template);
                    let path = std::fs::canonicalize(path).ok()?;
                    Some((preset, grant.class(), path))
                })
                .collect()
        });
        let path = canonical(path.as_ref());
        let no_wider = |preset: Preset| preset.grants().iter().all(|g| includes(class, g.class()));
        here.iter()
            .filter(|(preset, c, p)| {
                includes(*c, class) && path.starts_with(p) && no_wider(*preset)
            })
            // The last of the deepest is the first in PRESETS order, reversed.
            .rev()
            .max_by_key(|(_, _, p)| p.components().count())
            .map(|(preset, ..)| *preset)
    }

    /// The grants the preset adds, all optional.
    ///
    /// ```
    /// use landlock_runtime::{Class, Preset};
    ///
    /// let devices = Preset::Devices.grants();
    /// assert!(devices.iter().all(|g| g.is_optional()));
    /// let null = devices.iter().find(|g| g.to_string() == "/dev/null?").unwrap();
    /// assert_eq!(null.class(), Class::Write);
    /// ```
    pub fn grants(self) -> &'static [FsGrant] {
        match self {
            Preset::DynamicLoader => DYNAMIC_LOADER,
            Preset::Locale => &LOCALE,
            Preset::Dns => &DNS,
            Preset::TlsRoots => &TLS_ROOTS,
            Preset::Devices => &DEVICES,
            Preset::CpuInfo => &CPU_INFO,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macros_know_the_same_names() {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name()).collect();
        assert_eq!(names, landlock_template::PRESETS);
    }

    #[test]
    fn every_preset_path_is_a_valid_optional_template() {
        for preset in PRESETS {
            assert_eq!(Preset::from_name(preset.name()), Some(*preset));
            for grant in preset.grants() {
                let crate::GrantPath::Template(template) = grant.path() else {
                    panic!("{grant} is not a template");
                };
                landlock_template::PathTemplate::parse(template).unwrap();
                assert!(grant.is_optional(), "{grant}");
            }
        }
    }
}
