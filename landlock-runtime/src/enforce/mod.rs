//! Enforcement, the layer above preparation: restricting threads with a prepared policy, and
//! knowing what is in force where.
//!
//! Enforcement on a thread is `prctl(PR_SET_NO_NEW_PRIVS)` plus `landlock_restrict_self` with
//! the prepared ruleset, and nothing at all when the policy is already in force on the thread.
//! Its forms: the calling thread ([`Policy::enforce`]), every thread of the process
//! (`all_threads`), a block on a scoped thread (`scoped`), a child process (`command`), and a
//! function bound to its arguments (`arguments`), a sandboxed function's call (`call`);
//! `explain` says which of the policies in force denies an access.

pub(crate) mod all_threads;
pub(crate) mod arguments;
pub(crate) mod call;
#[cfg(unix)]
pub(crate) mod command;
#[cfg(target_os = "linux")]
pub(crate) mod explain;
mod io_uring;
mod scoped;

use std::cell::RefCell;
use std::path::Path;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use crate::kernel::{self, Ruleset, report};
use crate::model::Class;
use crate::model::rights::TCP_ABI;
use crate::model::rules::{SharedRules, covers};
use crate::outcome::{
    Error, ErrorKind, IoUring, IoUringList, Layer, Level, Status, ThreadCoverage,
};
use crate::policy::{Binding, Policy, Preparation};

/// The kernel's limit on stacked Landlock layers per thread.
///
/// ```
/// use landlock_runtime::{MAX_LAYERS, Policy, kernel_abi};
///
/// // On a thread of its own: enforcement cannot be undone.
/// let layers = std::thread::spawn(|| {
///     (0..=MAX_LAYERS).position(|i| Policy::builder(format!("layer {i}")).build().unwrap().enforce().is_err())
/// });
/// let first_refused = layers.join().unwrap();
/// assert_eq!(first_refused, (kernel_abi() > 0).then_some(MAX_LAYERS));
/// ```
pub const MAX_LAYERS: usize = 16;

/// A layer this library knows to be in force on a thread, with what enforcement needs of it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// What [`in_force`] says of it.
    layer: Layer,
    /// Which prepared policy it is: what re-entry is recognised by.
    id: u64,
    /// Which enforcement of that policy (see `Preparation::outcome`).
    outcome: usize,
    /// For a policy bound to the paths of its arguments: which, for re-entry.
    binding: Option<Arc<Binding>>,
    /// What the policy allows, path by path and port by port.
    rules: SharedRules,
    /// Whether a sandboxed function's call entered it (`call`), rather than the thread's owner
    /// (`Policy::enforce`, every thread, a block's own thread, a call still running on the
    /// thread that started this one).
    by_call: bool,
    /// The depth (`call::DEPTH`) of the outermost call running in it on this thread; 0 when
    /// none, or when that call has returned (told by a depth below this one, and settled at
    /// the next call).
    active: usize,
    /// For a layer a call entered while its thread was the only one, which every later thread
    /// inherits: whether a call runs in it on that thread, which alone writes it.
    shared: Option<&'static AtomicBool>,
}

impl Entry {
    /// Whether a call entered it and no call runs in it, on this thread or, for a layer every
    /// later thread inherited, on the thread that entered it: the thread is restricted by a
    /// sandbox whose call has returned.
    fn returned(&self) -> bool {
        self.by_call
            && !(self.active != 0 && self.active <= call::depth())
            && !(self.layer.inherited && self.shared.is_some_and(|s| s.load(Ordering::Relaxed)))
    }

    /// The layer, as [`in_force`] tells it.
    fn layer(&self) -> Layer {
        Layer {
            returned: self.returned(),
            ..self.layer.clone()
        }
    }

    /// This layer on a thread that got it from the kernel, from the thread that entered it.
    fn inherited(&self) -> Entry {
        Entry {
            layer: Layer {
                inherited: true,
                ..self.layer.clone()
            },
            active: 0,
            ..self.clone()
        }
    }
}

/// Layers every thread of the process has: those entered on every thread at once, or while
/// the process had a single thread (which all later threads inherit from). Lock-free, for
/// fork safety: a writer claims a slot, fills it, then counts it published. At most one layer
/// per kernel layer is recorded, so `MAX_LAYERS` slots are enough; the layers are as
/// permanent as the kernel's, and never freed.
static PROCESS_LAYERS: [AtomicPtr<Entry>; MAX_LAYERS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_LAYERS];
static PROCESS_LAYERS_CLAIMED: AtomicUsize = AtomicUsize::new(0);
/// How many process layers are published: a thread that merged this many has nothing new.
static PROCESS_LAYERS_PUBLISHED: AtomicUsize = AtomicUsize::new(0);

/// What this library knows to be in force on one thread.
#[derive(Default)]
struct ThreadLayers {
    layers: Vec<Entry>,
    /// How many published process layers were merged into `layers`.
    synced: usize,
}

impl ThreadLayers {
    fn find(&self, id: u64) -> Option<&Entry> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Merges process-wide layers published since the last look (nothing to do, and no scan,
    /// when there are none).
    fn sync(&mut self) {
        let published = PROCESS_LAYERS_PUBLISHED.load(Ordering::Acquire);
        if published == self.synced {
            return;
        }
        for slot in &PROCESS_LAYERS {
            // SAFETY: a non-null slot holds a leaked, never-freed layer.
            if let Some(layer) = unsafe { slot.load(Ordering::Acquire).as_ref() }
                && self.find(layer.id).is_none()
            {
                self.layers.push(layer.clone());
            }
        }
        self.synced = published;
    }

    /// The layer of policy `id` in force here, merging process-wide layers first if needed.
    fn get(&mut self, id: u64) -> Option<&Entry> {
        if self.find(id).is_none() {
            self.sync();
        }
        self.find(id)
    }

    fn enforced(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.layer.level != Level::NotEnforced)
            .count()
    }
}

/// Records `layer` as in force on every thread of the process, now and to come.
fn add_process_layer(entry: &Entry) {
    let at = PROCESS_LAYERS_CLAIMED.fetch_add(1, Ordering::AcqRel);
    let Some(slot) = PROCESS_LAYERS.get(at) else {
        // More than the kernel's limit cannot be in force; nothing to record.
        return;
    };
    let entry = Box::new(entry.inherited());
    slot.store(Box::into_raw(entry), Ordering::Release);
    PROCESS_LAYERS_PUBLISHED.fetch_add(1, Ordering::AcqRel);
}

thread_local! {
    static LAYERS: RefCell<ThreadLayers> = RefCell::new(ThreadLayers::default());
}

impl Policy {
    /// Enforces the policy: on the calling thread, or on every thread of the process for a
    /// policy that asks for it (`process`, the default on `main`; see
    /// [`enforce_all_threads`](Policy::enforce_all_threads)). Threads and processes started
    /// afterwards inherit the restriction, for the rest of their lives.
    ///
    /// The status returned is the whole truth about this enforcement: for a policy on every
    /// thread, it says what became of the other threads, and it is partial when one keeps its
    /// access; it is partial too when io_uring instances set up before it may run requests
    /// with older rights, which Landlock cannot reach ([`Status::io_uring`]; a `strict`
    /// policy fails instead, before restricting anything). Re-entering a policy already in force on this thread does nothing, makes no
    /// system call, and returns the status of the enforcement that put it in force. On error
    /// the code the policy protects must not run.
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
            return self.enforce_all_threads();
        }
        self.enforce_here(false).map(|(status, _)| status)
    }

    /// Enforces the policy on the calling thread; returns the status and where its layer is in
    /// the thread's list. `by_call`: for a sandboxed function's call, not the thread's owner.
    fn enforce_here(&self, by_call: bool) -> Result<(&Status, usize), Error> {
        let prepared = self.preparation()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if layers.get(prepared.id).is_some()
                && let Some(at) = layers.layers.iter().position(|l| l.id == prepared.id)
            {
                return Ok((prepared.outcome(layers.layers[at].outcome), at));
            }
            let mut layer = self.check_room(&layers, prepared, &prepared.status, 0)?;
            // Asked before restricting: the policy may deny reading /proc.
            let single = kernel::is_single_threaded();
            let mut status = &prepared.status;
            if let Some(ruleset) = &prepared.ruleset {
                let rings = self.io_uring_before(&layers)?;
                let mark = self.mark(prepared);
                ruleset
                    .restrict_self(self.log_flags(prepared), mark.as_ref())
                    .map_err(|source| self.restrict_error(source))?;
                if !rings.is_empty() {
                    let number;
                    (number, status) = prepared.outcomes.push(status.with_io_uring(rings));
                    layer = self.check_room(&layers, prepared, status, number)?;
                    report::line(format_args!("sandbox {} is {status}", self.origin));
                }
            }
            layer.by_call = by_call;
            if single {
                if by_call {
                    // One flag per layer every thread inherits, of which there are at most
                    // `MAX_LAYERS`: kept for the life of the process, as those layers are.
                    layer.shared = Some(Box::leak(Box::new(AtomicBool::new(false))));
                }
                add_process_layer(&layer);
            }
            layers.layers.push(layer);
            Ok((status, layers.layers.len() - 1))
        })
    }

    /// The io_uring instances of the process that Landlock cannot reach, looked for before
    /// restricting (the policy may deny reading `/proc`); for a `strict` policy, the error
    /// when there is one, before anything is restricted. When a sandbox already in force on
    /// the thread denies reading `/proc`, they are looked for through the descriptors the
    /// process's first look holds, and nothing is opened (which would only add a denial to the
    /// kernel's log); when those are gone, the status says the look could not be made.
    fn io_uring_before(&self, layers: &ThreadLayers) -> Result<Vec<IoUring>, Error> {
        let mut in_force = layers
            .layers
            .iter()
            .rev()
            .filter(|e| e.layer.level != Level::NotEnforced)
            .peekable();
        // What `/proc/thread-self/fd` leads to; made only when a sandbox is in force here.
        let denied_by = in_force.peek().is_some().then(|| {
            // SAFETY: gettid has no arguments and cannot fail.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) };
            let proc_fd = Path::new("/proc")
                .join(std::process::id().to_string())
                .join("task")
                .join(tid.to_string())
                .join("fd");
            in_force.find(|e| !covers(&e.rules.fs, &proc_fd, Class::Read))
        });
        let denied_by = denied_by.flatten();
        let rings = io_uring::instances(denied_by.is_none()).unwrap_or_else(|| {
            let entry = denied_by.expect("a look without opening is made only under a sandbox");
            vec![IoUring::NotLooked(format!(
                "reading /proc, where they are found, is denied by sandbox {} in force on this thread (granting it `read = \"/proc/self\"` lets the sandboxes entered after it look)",
                entry.layer.origin
            ))]
        });
        if self.strict && !rings.is_empty() {
            return Err(self.error(ErrorKind::IoUringNotCovered { rings }));
        }
        Ok(rings)
    }

    /// Enforces the policy on every thread of the process, including threads that already
    /// run, and says what became of them in the status's [`threads`](Status::threads).
    ///
    /// From Landlock ABI 8 the kernel does it in one call. Before, the calling thread has
    /// every other thread restrict itself with the same prepared ruleset from a signal
    /// handler, then restricts itself (see the guide's `scope` page for the corner cases). Threads that could
    /// not be restricted are listed in the status, which is then partial, and on standard
    /// error; a `strict` policy fails instead: before restricting anything when a thread is
    /// known in advance to be out of reach (it blocks the signal, or `/proc` does not describe
    /// this process's threads), after restricting the others otherwise.
    ///
    /// ```no_run
    /// use landlock_runtime::{Level, Policy};
    ///
    /// let policy = Policy::builder("app::main").read("/etc").process().build().unwrap();
    /// let status = policy.enforce_all_threads().expect("sandbox");
    /// assert_eq!(status.level, Level::Full, "{status}");
    /// ```
    pub fn enforce_all_threads(&self) -> Result<&Status, Error> {
        let prepared = self.preparation()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if let Some(layer) = layers.get(prepared.id) {
                return Ok(prepared.outcome(layer.outcome));
            }
            self.check_room(&layers, prepared, &prepared.status, 0)?;
            let Some(ruleset) = &prepared.ruleset else {
                // Nothing is enforced on any thread; the status says so.
                let layer = self.check_room(&layers, prepared, &prepared.status, 0)?;
                add_process_layer(&layer);
                layers.layers.push(layer);
                return Ok(&prepared.status);
            };
            let (coverage, rings) = self.restrict_all(prepared, ruleset, &layers)?;
            let uncovered = !coverage.uncovered.is_empty();
            let (number, status) = prepared.outcomes.push(
                prepared
                    .status
                    .with_threads(coverage.clone())
                    .with_io_uring(rings),
            );
            let layer = self.check_room(&layers, prepared, status, number)?;
            if uncovered {
                report::line(format_args!(
                    "sandbox {} could not restrict {} of the threads of this process, which keep their access: {coverage}",
                    self.origin,
                    coverage.uncovered.len()
                ));
            } else {
                add_process_layer(&layer);
            }
            if !status.io_uring.is_empty() {
                report::line(format_args!(
                    "sandbox {}: {}",
                    self.origin,
                    IoUringList(&status.io_uring)
                ));
            }
            layers.layers.push(layer);
            if self.strict && uncovered {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage }));
            }
            Ok(status)
        })
    }

    #[cfg(target_os = "linux")]
    /// Restricts every thread; returns what became of the other threads, and the io_uring
    /// instances found before anything was restricted.
    fn restrict_all(
        &self,
        prepared: &Preparation,
        ruleset: &Ruleset,
        layers: &ThreadLayers,
    ) -> Result<(ThreadCoverage, Vec<IoUring>), Error> {
        let abi = prepared.status.abi;
        let kernel = |operation: &str| {
            let operation = operation.to_owned();
            move |source| self.error(ErrorKind::Kernel { operation, source })
        };
        if abi >= kernel::TSYNC_ABI {
            let threads = all_threads::thread_count().map_err(kernel("listing threads"))?;
            // A ring set up by another thread between this look and the call below is not
            // seen.
            let rings = self.io_uring_before(layers)?;
            ruleset
                .restrict_all_threads(self.log_flags(prepared), self.mark(prepared).as_ref())
                .map_err(|source| self.restrict_error(source))?;
            let coverage = ThreadCoverage {
                restricted: threads.saturating_sub(1),
                ..ThreadCoverage::default()
            };
            return Ok((coverage, rings));
        }
        if self.strict {
            // A thread out of reach is known in advance: refuse before restricting anything.
            let blocked = all_threads::blocked_coverage().map_err(kernel("inspecting threads"))?;
            if !blocked.uncovered.is_empty() {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage: blocked }));
            }
        }
        // Before any thread is restricted. A ring set up during the job by a thread not yet
        // restricted is not seen; its SQPOLL thread, if it has one, is.
        let rings = self.io_uring_before(layers)?;
        // The other threads first: finding and checking them reads /proc, which the policy
        // may deny. The caller starts no thread meanwhile, so nothing escapes by being started
        // from it before it is restricted.
        let mark = self.mark(prepared);
        let flags = self.log_flags(prepared);
        let marked = if mark.is_some() { prepared.id } else { 0 };
        let sq_threads = io_uring::sq_threads(&rings);
        let coverage =
            all_threads::restrict_other_threads(ruleset.fd(), flags, marked, &sq_threads)
                .map_err(kernel("restricting the other threads"))?;
        ruleset
            .restrict_self(flags, mark.as_ref())
            .map_err(|source| self.restrict_error(source))?;
        Ok((coverage, rings))
    }

    #[cfg(not(target_os = "linux"))]
    fn restrict_all(
        &self,
        _: &Preparation,
        ruleset: &Ruleset,
        _: &ThreadLayers,
    ) -> Result<(ThreadCoverage, Vec<IoUring>), Error> {
        match *ruleset {}
    }

    /// Restricts a child process between `fork` and `exec` with the prepared ruleset. Only
    /// async-signal-safe system calls, no allocation, no thread-local state: the child of a
    /// multi-threaded parent may run nothing else. The policy must have been prepared.
    #[cfg(unix)]
    pub(crate) fn restrict_child(
        &self,
        flags: u32,
        mark: Option<&[u8; 16]>,
    ) -> std::io::Result<()> {
        match self.prepared.get() {
            Some(Preparation {
                ruleset: Some(ruleset),
                ..
            }) => ruleset.restrict_self(flags, mark),
            Some(_) => Ok(()),
            None => Err(std::io::Error::from_raw_os_error(kernel::EINVAL)),
        }
    }

    /// The `landlock_restrict_self` logging flags of an enforcement in this process: none
    /// (the kernel logs the denials of this program), or, for a `quiet` policy, its denials
    /// not logged. None before ABI 7, which has no logging.
    fn log_flags(&self, prepared: &Preparation) -> u32 {
        if prepared.status.abi >= kernel::LOG_ABI && self.quiet {
            kernel::LOG_SAME_EXEC_OFF
        } else {
            0
        }
    }

    /// The flags and mark a child process started with this policy restricts itself with:
    /// while denials are watched, its denials after `exec` are logged (the kernel's default
    /// is not to), and its domain is marked for attribution. The policy must be prepared.
    #[cfg(unix)]
    pub(crate) fn child_logging(&self) -> (u32, Option<[u8; 16]>) {
        let Some(prepared) = self.prepared.get() else {
            return (0, None);
        };
        let mark = self.mark(prepared);
        let flags = match (
            prepared.status.abi >= kernel::LOG_ABI,
            self.quiet,
            mark.is_some(),
        ) {
            (false, _, _) => 0,
            (true, true, _) => kernel::LOG_SAME_EXEC_OFF,
            (true, false, true) => kernel::LOG_NEW_EXEC_ON,
            (true, false, false) => 0,
        };
        (flags, mark)
    }

    /// The id of the prepared policy, as its marks carry it: what a child process started with
    /// it reports, so that only this policy's mark is taken on the child's domains.
    #[cfg(target_os = "linux")]
    pub(crate) fn prepared_id(&self) -> Option<u64> {
        self.prepared.get().map(|p| p.id)
    }

    /// While denials are watched, the name that marks this policy's domains (registering the
    /// policy for attribution the first time); `None` otherwise, at the cost of one load.
    fn mark(&self, prepared: &Preparation) -> Option<[u8; 16]> {
        #[cfg(target_os = "linux")]
        if crate::audit::marking() {
            if !prepared.registered.swap(true, Ordering::AcqRel) {
                crate::audit::register(
                    prepared.id,
                    crate::audit::Known {
                        origin: self.origin.clone(),
                    },
                );
            }
            return Some(crate::audit::mark(std::process::id(), prepared.id));
        }
        let _ = prepared;
        None
    }

    /// The layer this policy adds on the calling thread with `status` (enforcement number
    /// `outcome`), or the layer-limit error.
    fn check_room(
        &self,
        layers: &ThreadLayers,
        prepared: &Preparation,
        status: &Status,
        outcome: usize,
    ) -> Result<Entry, Error> {
        if prepared.ruleset.is_some() && layers.enforced() >= MAX_LAYERS {
            return Err(self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS }));
        }
        Ok(Entry {
            layer: Layer {
                origin: self.origin.clone(),
                level: status.level,
                abi: status.abi,
                inherited: false,
                returned: false,
            },
            id: prepared.id,
            outcome,
            binding: self.binding.clone(),
            rules: prepared.rules.clone(),
            by_call: false,
            active: 0,
            shared: None,
        })
    }

    fn restrict_error(&self, source: std::io::Error) -> Error {
        if source.raw_os_error() == Some(kernel::E2BIG) {
            self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS })
        } else {
            self.error(ErrorKind::Kernel {
                operation: "landlock_restrict_self".into(),
                source,
            })
        }
    }
}

/// The policies in force on the calling thread, oldest first.
///
/// It lists what this library enforced on this thread, plus the policies in force on every
/// thread of the process (entered on all threads at once, or while the process had a single
/// thread). Layers a thread inherits otherwise (from a sandboxed thread that spawned it while
/// other threads existed) are enforced by the kernel but not listed here. A layer a
/// `#[sandbox]` function's call entered, and that call has returned, says so
/// ([`Layer::returned`]): the thread stays restricted by it, and another sandboxed function
/// that it would narrow is refused here.
///
/// ```
/// let layers = std::thread::spawn(landlock_runtime::in_force).join().unwrap();
/// assert!(layers.is_empty());
/// ```
pub fn in_force() -> Vec<Layer> {
    entries().iter().map(Entry::layer).collect()
}

/// The layers in force on the calling thread, oldest first, with what enforcement knows of
/// them.
pub(crate) fn entries() -> Vec<Entry> {
    LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        layers.sync();
        layers.layers.clone()
    })
}

/// The youngest policy in force on the calling thread that does not allow `wanted` on `path`
/// (the one the kernel reports), as far as this library knows the thread's layers.
pub(crate) fn denied_here(path: &Path, wanted: Class) -> Option<Layer> {
    entries()
        .into_iter()
        .rev()
        .filter(|e| e.layer.level != Level::NotEnforced)
        .find(|e| !covers(&e.rules.fs, path, wanted))
        .map(|e| e.layer)
}

/// The youngest policy in force on the calling thread that does not allow TCP bind (or
/// connect) to `port`.
pub(crate) fn denied_port_here(port: u16, bind: bool) -> Option<Layer> {
    entries()
        .into_iter()
        .rev()
        .filter(|e| e.layer.level != Level::NotEnforced && e.layer.abi >= TCP_ABI)
        .find(|e| {
            let ports = if bind {
                &e.rules.bind
            } else {
                &e.rules.connect
            };
            !ports.allows(port)
        })
        .map(|e| e.layer)
}

/// How many layers this library knows to be enforced on the calling thread.
#[cfg(unix)]
pub(crate) fn enforced_layers() -> usize {
    LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        layers.sync();
        layers.enforced()
    })
}

/// The layers in force on the calling thread, as a scoped thread it starts gets them: a layer of
/// a call that still runs here is the new thread's for its life, which ends before the call
/// returns; one a returned call left stays that.
pub(crate) fn for_scoped_thread() -> Vec<Entry> {
    entries()
        .iter()
        .map(|entry| Entry {
            by_call: entry.returned(),
            shared: None,
            ..entry.inherited()
        })
        .collect()
}

/// Records on the calling thread, a new one, the layers the thread that started it had (see
/// [`for_scoped_thread`]): the kernel gave it those too.
pub(crate) fn inherit(entries: Vec<Entry>) {
    if entries.is_empty() {
        return;
    }
    LAYERS.with(|mine| {
        let mut mine = mine.borrow_mut();
        for entry in entries {
            if mine.find(entry.id).is_none() {
                mine.layers.push(entry);
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
    kernel::abi()
}
