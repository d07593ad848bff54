//! Preparing a policy once, and enforcing it on threads.
//!
//! Preparation (once per policy and process) resolves every path, opens it, and builds the
//! Landlock ruleset. Enforcement on a thread is then `prctl(PR_SET_NO_NEW_PRIVS)` plus
//! `landlock_restrict_self` with the prepared ruleset, and nothing at all when the policy is
//! already in force on the thread.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind};
use crate::policy::Policy;
use crate::resolve::{Resolved, resolve};
use crate::status::{Layer, Level, Status};
use crate::sys;

/// The kernel's limit on stacked Landlock layers per thread.
pub const MAX_LAYERS: usize = 16;

/// A policy made ready for enforcement: its status and, where Landlock exists, its ruleset.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Unique per prepared policy in this process: what re-entry is recognised by.
    id: u64,
    status: Status,
    ruleset: Option<sys::PreparedRuleset>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Layers every thread of the process has: those entered while the process had a single
/// thread, which all later threads inherit from it.
static PROCESS_LAYERS: Mutex<Vec<Layer>> = Mutex::new(Vec::new());

thread_local! {
    static LAYERS: RefCell<Vec<Layer>> = RefCell::new(
        PROCESS_LAYERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|l| Layer { own: false, ..l.clone() })
            .collect(),
    );
}

impl Policy {
    /// Resolves the policy's paths and prepares its ruleset, once per process; later calls
    /// return the same status. Does not restrict anything.
    ///
    /// Fails when a mandatory path is missing, a variable is unset, or the policy is `strict`
    /// and the kernel cannot enforce all of it. A failure is not remembered: the next call
    /// tries again.
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("t").read("/").build().unwrap();
    /// let status = policy.prepare().unwrap();
    /// println!("{status}");
    /// ```
    pub fn prepare(&self) -> Result<&Status, Error> {
        Ok(&self.prepared()?.status)
    }

    fn prepared(&self) -> Result<&Prepared, Error> {
        self.prepared
            .get_or_try_init(|| prepare(self).map_err(|k| Error::new(self.origin.clone(), k)))
    }

    /// What the kernel enforces of this policy, once it has been prepared.
    pub fn status(&self) -> Option<&Status> {
        self.prepared.get().map(|p| &p.status)
    }

    /// Restricts the calling thread with this policy, for the rest of its life (threads and
    /// processes it starts afterwards inherit the restriction).
    ///
    /// Re-entering a policy already in force on this thread does nothing and makes no system
    /// call. On error nothing was enforced, and the code the policy protects must not run.
    ///
    /// ```no_run
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("worker").read("/etc").build().unwrap();
    /// std::thread::spawn(move || {
    ///     policy.enforce().expect("sandbox");
    ///     // From here on this thread can only read /etc.
    /// });
    /// ```
    pub fn enforce(&self) -> Result<&Status, Error> {
        let prepared = self.prepared()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if layers.iter().any(|l| l.id == prepared.id) {
                return Ok(&prepared.status);
            }
            let layer = Layer {
                origin: self.origin.clone(),
                level: prepared.status.level,
                abi: prepared.status.abi,
                own: true,
                id: prepared.id,
            };
            if let Some(ruleset) = &prepared.ruleset {
                let enforced = layers
                    .iter()
                    .filter(|l| l.level != Level::NotEnforced)
                    .count();
                if enforced >= MAX_LAYERS {
                    return Err(self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS }));
                }
                ruleset.restrict_self().map_err(|source| {
                    if source.raw_os_error() == Some(sys::E2BIG) {
                        self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS })
                    } else {
                        self.error(ErrorKind::Kernel {
                            operation: "landlock_restrict_self".into(),
                            source,
                        })
                    }
                })?;
            }
            if sys::is_single_threaded() {
                PROCESS_LAYERS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Layer {
                        own: false,
                        ..layer.clone()
                    });
            }
            layers.push(layer);
            Ok(&prepared.status)
        })
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.origin.clone(), kind)
    }
}

/// The policies in force on the calling thread, oldest first.
///
/// It lists what this library enforced on this thread, plus what the thread inherited from a
/// thread that entered a policy while it was the only thread of the process (as `main` does).
/// Layers a thread inherits otherwise (from a sandboxed thread that spawned it while other
/// threads existed) are enforced by the kernel but not listed here.
///
/// ```
/// let layers = std::thread::spawn(landlock_runtime::in_force).join().unwrap();
/// assert!(layers.is_empty());
/// ```
pub fn in_force() -> Vec<Layer> {
    LAYERS.with(|layers| layers.borrow().clone())
}

/// The Landlock ABI of the running kernel: 0 when there is no Landlock.
///
/// ```
/// let abi = landlock_runtime::kernel_abi();
/// println!("Landlock ABI {abi}");
/// ```
pub fn kernel_abi() -> u32 {
    sys::abi()
}

fn prepare(policy: &Policy) -> Result<Prepared, ErrorKind> {
    let abi = sys::abi();
    let mut builder = sys::RulesetBuilder::new(policy, abi)?;
    let mut skipped = Vec::new();
    for grant in policy.grants.iter() {
        let template = grant.template();
        let path = match resolve(template)? {
            Resolved::Path(path) => path,
            Resolved::SkippedUnset => {
                skipped.push(template.to_owned());
                continue;
            }
        };
        match builder.add_path(&path, grant.class()) {
            Ok(()) => {}
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                if grant.is_optional() {
                    skipped.push(template.to_owned());
                } else {
                    return Err(ErrorKind::MissingPath {
                        path,
                        template: template.to_owned(),
                    });
                }
            }
            Err(source) => {
                return Err(ErrorKind::OpenPath {
                    path,
                    template: template.to_owned(),
                    source,
                });
            }
        }
    }
    let status = Status::new(policy, abi, skipped);
    if policy.strict && status.level != Level::Full {
        return Err(ErrorKind::NotFullyEnforceable { status });
    }
    let ruleset = builder.finish()?;
    if status.level != Level::Full {
        eprintln!("landlock-sandbox: sandbox {} is {status}", policy.origin);
    }
    Ok(Prepared {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        status,
        ruleset,
    })
}
