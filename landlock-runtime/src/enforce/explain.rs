//! Explaining a denial without audit: which sandbox in force on the calling thread denies an
//! access, and what would allow it, computed from the policies in force.

use std::fmt;
use std::path::Path;

use crate::audit::Allow;
use crate::model::{Class, Origin};

/// Which sandbox in force on the calling thread denies an access, and what would allow it,
/// computed from the policies in force: no audit, no privilege.
///
/// ```
/// use landlock_runtime::{Policy, denials, kernel_abi};
///
/// let policy = Policy::builder("client").connect(443).build().unwrap();
/// let why = policy.run(|| denials::explain_connect(80)).unwrap();
/// if kernel_abi() >= 4 {
///     assert_eq!(why.unwrap().to_string(), format!("denied by sandbox {}: allow it with connect = 80", policy.origin()));
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// Where the denying policy is written: the youngest policy in force on this thread that
    /// does not allow the access.
    pub origin: Origin,
    /// What would allow it.
    pub allow: Allow,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "denied by sandbox {}: allow it with {}",
            self.origin, self.allow
        )
    }
}

/// Which sandbox in force on the calling thread denies `class` access (`Read`, `Write`,
/// `Exec`) to `path`, or `None` if the policies in force allow it.
///
/// Computed from the policies this library enforced on the thread (and those in force on
/// every thread), as [`in_force`](crate::in_force) lists them: a layer the thread inherited
/// from a thread that was not alone is enforced by the kernel but not known here. Paths are
/// compared with symbolic links resolved.
///
/// ```no_run
/// use landlock_runtime::{denials, Class, Policy};
///
/// let policy = Policy::builder("worker").read("/usr").build().unwrap();
/// policy.run(|| {
///     let why = denials::explain("/etc/hostname", Class::Read).unwrap();
///     assert_eq!(why.allow.to_string(), "read = \"/etc/hostname\"");
///     // A file a preset grants is answered with the preset.
///     let why = denials::explain("/etc/hosts", Class::Read).unwrap();
///     assert_eq!(why.allow.to_string(), "preset = \"dns\"");
/// }).unwrap();
/// ```
pub fn explain(path: impl AsRef<Path>, class: Class) -> Option<Explanation> {
    let path = path.as_ref();
    let layer = super::denied_here(path, class)?;
    Some(Explanation {
        origin: layer.origin,
        allow: crate::audit::grant(class, path.to_path_buf()),
    })
}

/// Which sandbox in force on the calling thread denies TCP connect to `port`, or `None`.
///
/// ```
/// assert!(landlock_runtime::denials::explain_connect(443).is_none());
/// ```
pub fn explain_connect(port: u16) -> Option<Explanation> {
    let layer = super::denied_port_here(port, false)?;
    Some(Explanation {
        origin: layer.origin,
        allow: Allow::Connect(port),
    })
}

/// Which sandbox in force on the calling thread denies TCP bind to `port`, or `None`.
///
/// ```
/// use landlock_runtime::{Policy, denials, kernel_abi};
///
/// let policy = Policy::builder("server").bind(8080).build().unwrap();
/// let (allowed, denied) = policy.run(|| (denials::explain_bind(8080), denials::explain_bind(22))).unwrap();
/// assert!(allowed.is_none());
/// // TCP is restricted from Landlock ABI 4.
/// assert_eq!(denied.map(|why| why.allow.to_string()), (kernel_abi() >= 4).then(|| "bind = 22".to_owned()));
/// ```
pub fn explain_bind(port: u16) -> Option<Explanation> {
    let layer = super::denied_port_here(port, true)?;
    Some(Explanation {
        origin: layer.origin,
        allow: Allow::Bind(port),
    })
}
