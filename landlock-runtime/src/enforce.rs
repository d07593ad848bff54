//! Preparing a policy once, and enforcing it on threads.
//!
//! Preparation (once per policy and process) resolves every path, opens it, and builds the
//! Landlock ruleset. Enforcement on a thread is then `prctl(PR_SET_NO_NEW_PRIVS)` plus
//! `landlock_restrict_self` with the prepared ruleset, and nothing at all when the policy is
//! already in force on the thread.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::{Error, ErrorKind};
use crate::policy::Policy;
use crate::resolve::{Resolved, resolve};
use crate::status::{Layer, Level, Status, ThreadCoverage};
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

/// Layers every thread of the process has: those entered on every thread at once, or while
/// the process had a single thread (which all later threads inherit from).
static PROCESS_LAYERS: Mutex<Vec<Layer>> = Mutex::new(Vec::new());
/// `PROCESS_LAYERS.len()`, readable without the lock.
static PROCESS_LAYERS_LEN: AtomicUsize = AtomicUsize::new(0);

/// What this library knows to be in force on one thread.
#[derive(Default)]
struct ThreadLayers {
    layers: Vec<Layer>,
    /// How many of `PROCESS_LAYERS` are merged into `layers`.
    synced: usize,
}

impl ThreadLayers {
    fn contains(&self, id: u64) -> bool {
        self.layers.iter().any(|l| l.id == id)
    }

    /// Merges process-wide layers added since the last look (no lock when there are none).
    fn sync(&mut self) {
        if PROCESS_LAYERS_LEN.load(Ordering::Acquire) == self.synced {
            return;
        }
        let process = PROCESS_LAYERS.lock().unwrap_or_else(|e| e.into_inner());
        for layer in &process[self.synced..] {
            if !self.contains(layer.id) {
                self.layers.push(Layer {
                    own: false,
                    ..layer.clone()
                });
            }
        }
        self.synced = process.len();
    }

    /// Whether `id` is in force here, merging process-wide layers first if needed.
    fn has(&mut self, id: u64) -> bool {
        self.contains(id) || {
            self.sync();
            self.contains(id)
        }
    }

    fn enforced(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.level != Level::NotEnforced)
            .count()
    }
}

fn add_process_layer(layer: &Layer) {
    let mut process = PROCESS_LAYERS.lock().unwrap_or_else(|e| e.into_inner());
    process.push(Layer {
        own: false,
        ..layer.clone()
    });
    PROCESS_LAYERS_LEN.store(process.len(), Ordering::Release);
}

thread_local! {
    static LAYERS: RefCell<ThreadLayers> = RefCell::new(ThreadLayers::default());
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
    /// let policy = Policy::builder("t").read("/usr").build().unwrap();
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

    /// Enforces the policy: on the calling thread, or on every thread of the process for a
    /// policy that asks for it (`process`, the default on `main`; see
    /// [`enforce_all_threads`](Policy::enforce_all_threads)). Threads and processes started
    /// afterwards inherit the restriction, for the rest of their lives.
    ///
    /// Re-entering a policy already in force on this thread does nothing and makes no system
    /// call. On error the code the policy protects must not run.
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
        if self.process {
            self.enforce_all_threads()?;
            return Ok(&self.prepared()?.status);
        }
        let prepared = self.prepared()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if layers.has(prepared.id) {
                return Ok(&prepared.status);
            }
            let layer = self.check_room(&layers, prepared)?;
            if let Some(ruleset) = &prepared.ruleset {
                ruleset
                    .restrict_self()
                    .map_err(|source| self.restrict_error(source))?;
            }
            if sys::is_single_threaded() {
                add_process_layer(&layer);
            }
            layers.layers.push(layer);
            Ok(&prepared.status)
        })
    }

    /// Enforces the policy on every thread of the process, including threads that already
    /// run, and says what became of them.
    ///
    /// From Landlock ABI 8 the kernel does it in one call. Before, the calling thread restricts
    /// itself, then has every other thread restrict itself with the same prepared ruleset from
    /// a signal handler (see the README for the corner cases). Threads that could not be
    /// restricted are listed in the result and on standard error; a `strict` policy fails
    /// instead (before restricting anything when a thread is known to block the signal).
    ///
    /// ```no_run
    /// use landlock_runtime::Policy;
    ///
    /// let policy = Policy::builder("app::main").read("/etc").process().build().unwrap();
    /// let coverage = policy.enforce_all_threads().expect("sandbox");
    /// assert!(coverage.uncovered.is_empty());
    /// ```
    pub fn enforce_all_threads(&self) -> Result<ThreadCoverage, Error> {
        let prepared = self.prepared()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if layers.has(prepared.id) {
                return Ok(ThreadCoverage::default());
            }
            let layer = self.check_room(&layers, prepared)?;
            let coverage = match &prepared.ruleset {
                None => ThreadCoverage::default(),
                Some(ruleset) => self.restrict_all(ruleset, prepared.status.abi)?,
            };
            if coverage.uncovered.is_empty() {
                add_process_layer(&layer);
            } else {
                eprintln!(
                    "landlock-sandbox: sandbox {} could not restrict {} of the threads of this process, which keep their access: {coverage}",
                    self.origin,
                    coverage.uncovered.len()
                );
            }
            layers.layers.push(layer);
            if self.strict && !coverage.uncovered.is_empty() {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage }));
            }
            Ok(coverage)
        })
    }

    #[cfg(target_os = "linux")]
    fn restrict_all(
        &self,
        ruleset: &sys::PreparedRuleset,
        abi: u32,
    ) -> Result<ThreadCoverage, Error> {
        let kernel = |operation: &str| {
            let operation = operation.to_owned();
            move |source| self.error(ErrorKind::Kernel { operation, source })
        };
        if abi >= sys::TSYNC_ABI {
            let threads = crate::all_threads::thread_count().map_err(kernel("listing threads"))?;
            ruleset
                .restrict_all_threads()
                .map_err(|source| self.restrict_error(source))?;
            return Ok(ThreadCoverage {
                restricted: threads.saturating_sub(1),
                uncovered: Vec::new(),
            });
        }
        if self.strict {
            // A thread that blocks the signal is known in advance: refuse before restricting
            // anything.
            let blocked =
                crate::all_threads::blocked_coverage().map_err(kernel("inspecting threads"))?;
            if !blocked.uncovered.is_empty() {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage: blocked }));
            }
        }
        // The other threads first: finding and checking them reads /proc, which the policy
        // may deny. The caller starts no thread meanwhile, so nothing escapes by being started
        // from it before it is restricted.
        let coverage = crate::all_threads::restrict_other_threads(ruleset.raw_fd())
            .map_err(kernel("restricting the other threads"))?;
        ruleset
            .restrict_self()
            .map_err(|source| self.restrict_error(source))?;
        Ok(coverage)
    }

    #[cfg(not(target_os = "linux"))]
    fn restrict_all(
        &self,
        ruleset: &sys::PreparedRuleset,
        _: u32,
    ) -> Result<ThreadCoverage, Error> {
        match *ruleset {}
    }

    /// Restricts a child process between `fork` and `exec` with the prepared ruleset. Only
    /// async-signal-safe system calls, no allocation, no thread-local state: the child of a
    /// multi-threaded parent may run nothing else. The policy must have been prepared.
    #[cfg(unix)]
    pub(crate) fn restrict_child(&self) -> std::io::Result<()> {
        match self.prepared.get() {
            Some(Prepared {
                ruleset: Some(ruleset),
                ..
            }) => ruleset.restrict_self(),
            Some(_) => Ok(()),
            None => Err(std::io::Error::from_raw_os_error(sys::EINVAL)),
        }
    }

    /// The layer this policy adds on the calling thread, or the layer-limit error.
    fn check_room(&self, layers: &ThreadLayers, prepared: &Prepared) -> Result<Layer, Error> {
        if prepared.ruleset.is_some() && layers.enforced() >= MAX_LAYERS {
            return Err(self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS }));
        }
        Ok(Layer {
            origin: self.origin.clone(),
            level: prepared.status.level,
            abi: prepared.status.abi,
            own: true,
            id: prepared.id,
        })
    }

    fn restrict_error(&self, source: std::io::Error) -> Error {
        if source.raw_os_error() == Some(sys::E2BIG) {
            self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS })
        } else {
            self.error(ErrorKind::Kernel {
                operation: "landlock_restrict_self".into(),
                source,
            })
        }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.origin.clone(), kind)
    }
}

/// The policies in force on the calling thread, oldest first.
///
/// It lists what this library enforced on this thread, plus the policies in force on every
/// thread of the process (entered on all threads at once, or while the process had a single
/// thread). Layers a thread inherits otherwise (from a sandboxed thread that spawned it while
/// other threads existed) are enforced by the kernel but not listed here.
///
/// ```
/// let layers = std::thread::spawn(landlock_runtime::in_force).join().unwrap();
/// assert!(layers.is_empty());
/// ```
pub fn in_force() -> Vec<Layer> {
    LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        layers.sync();
        layers.layers.clone()
    })
}

/// Records on the calling thread, a new one, the layers the thread that started it had: the
/// kernel gave it those too.
pub(crate) fn inherit(layers: Vec<Layer>) {
    if layers.is_empty() {
        return;
    }
    LAYERS.with(|mine| {
        let mut mine = mine.borrow_mut();
        for layer in layers {
            if !mine.contains(layer.id) {
                mine.layers.push(Layer {
                    own: false,
                    ..layer
                });
            }
        }
    });
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
    let presets = policy.presets.iter().flat_map(|p| p.grants());
    for grant in policy.grants.iter().chain(presets) {
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
                        path: path.into_owned(),
                        template: template.to_owned(),
                    });
                }
            }
            Err(source) => {
                return Err(ErrorKind::OpenPath {
                    path: path.into_owned(),
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
