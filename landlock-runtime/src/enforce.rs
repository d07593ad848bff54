//! Preparing a policy once, and enforcing it on threads.
//!
//! Preparation (once per policy and process) resolves every path, opens it, and builds the
//! Landlock ruleset. Enforcement on a thread is then `prctl(PR_SET_NO_NEW_PRIVS)` plus
//! `landlock_restrict_self` with the prepared ruleset, and nothing at all when the policy is
//! already in force on the thread.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use once_cell::race::OnceBox;

use crate::error::{Error, ErrorKind};
use crate::explain::{ResolvedGrant, Rules, SharedRules};
use crate::policy::{Class, FsGrant, GrantPath, Policy};
use crate::resolve::{Resolved, Variable, resolve};
use crate::status::{Layer, Level, SkipReason, Skipped, Status, ThreadCoverage};
use crate::{report, sys};

/// The kernel's limit on stacked Landlock layers per thread.
pub const MAX_LAYERS: usize = 16;

/// A policy made ready for enforcement: its status and, where Landlock exists, its ruleset.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Unique per prepared policy in this process: what re-entry is recognised by.
    id: u64,
    status: Status,
    ruleset: Option<sys::PreparedRuleset>,
    /// The statuses of this policy's enforcements on every thread, each with what became of
    /// the other threads; outcome `n` is the `n`-th pushed (outcome 0 is `status`).
    outcomes: Outcomes,
    /// What it allows, path by path and port by port, for explaining a denial.
    rules: SharedRules,
    /// Whether it is registered for attributing denials.
    registered: std::sync::atomic::AtomicBool,
}

/// The cell a policy keeps its preparation in. Lock-free (two threads preparing at once both
/// prepare, and one result is kept): a child forked while another thread prepared cannot find
/// a lock held forever.
pub(crate) type PreparedCell = OnceBox<Prepared>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An append-only list of statuses: what `enforce` returns by reference must live as long as
/// the policy, also when a later enforcement adds another.
#[derive(Debug, Default)]
struct Outcomes {
    head: AtomicPtr<OutcomeNode>,
}

#[derive(Debug)]
struct OutcomeNode {
    number: usize,
    status: Status,
    next: *mut OutcomeNode,
}

impl Outcomes {
    /// Adds `status`, and returns it with its number (from 1).
    fn push(&self, status: Status) -> (usize, &Status) {
        let node = Box::into_raw(Box::new(OutcomeNode {
            number: 0,
            status,
            next: ptr::null_mut(),
        }));
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            // SAFETY: `node` is ours until published; `head` is null or a node of this list,
            // which lives as long as the list.
            unsafe {
                (*node).next = head;
                (*node).number = if head.is_null() {
                    1
                } else {
                    (*head).number + 1
                };
            }
            match self
                .head
                .compare_exchange(head, node, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: published nodes are freed only when the list is dropped, which
                // `&self` outlives.
                Ok(_) => return unsafe { ((*node).number, &(*node).status) },
                Err(now) => head = now,
            }
        }
    }

    /// The status numbered `number`, if pushed.
    fn get(&self, number: usize) -> Option<&Status> {
        let mut at = self.head.load(Ordering::Acquire);
        // SAFETY: every node reachable from the head lives until the list is dropped.
        while let Some(node) = unsafe { at.as_ref() } {
            if node.number == number {
                return Some(&node.status);
            }
            at = node.next;
        }
        None
    }
}

impl Drop for Outcomes {
    fn drop(&mut self) {
        let mut at = *self.head.get_mut();
        while !at.is_null() {
            // SAFETY: each node was made by `Box::into_raw` in `push` and is freed once, here,
            // where nothing else can reach the list.
            let node = unsafe { Box::from_raw(at) };
            at = node.next;
        }
    }
}

// SAFETY: the raw pointers are owned by the list, published with release and read with
// acquire ordering; the statuses are `Send + Sync`.
unsafe impl Send for Outcomes {}
// SAFETY: as above; nodes are never mutated once published.
unsafe impl Sync for Outcomes {}

impl Prepared {
    /// The status of the enforcement numbered `outcome` (0: the status of the preparation).
    fn outcome(&self, outcome: usize) -> &Status {
        match outcome {
            0 => &self.status,
            n => self.outcomes.get(n).unwrap_or(&self.status),
        }
    }
}

/// Layers every thread of the process has: those entered on every thread at once, or while
/// the process had a single thread (which all later threads inherit from). Lock-free, for
/// fork safety: a writer claims a slot, fills it, then counts it published. At most one layer
/// per kernel layer is recorded, so `MAX_LAYERS` slots are enough; the layers are as
/// permanent as the kernel's, and never freed.
static PROCESS_LAYERS: [AtomicPtr<Layer>; MAX_LAYERS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_LAYERS];
static PROCESS_LAYERS_CLAIMED: AtomicUsize = AtomicUsize::new(0);
/// How many process layers are published: a thread that merged this many has nothing new.
static PROCESS_LAYERS_PUBLISHED: AtomicUsize = AtomicUsize::new(0);

/// What this library knows to be in force on one thread.
#[derive(Default)]
struct ThreadLayers {
    layers: Vec<Layer>,
    /// How many published process layers were merged into `layers`.
    synced: usize,
}

impl ThreadLayers {
    fn find(&self, id: u64) -> Option<&Layer> {
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
    fn get(&mut self, id: u64) -> Option<&Layer> {
        if self.find(id).is_none() {
            self.sync();
        }
        self.find(id)
    }

    fn enforced(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.level != Level::NotEnforced)
            .count()
    }
}

/// Records `layer` as in force on every thread of the process, now and to come.
fn add_process_layer(layer: &Layer) {
    let at = PROCESS_LAYERS_CLAIMED.fetch_add(1, Ordering::AcqRel);
    let Some(slot) = PROCESS_LAYERS.get(at) else {
        // More than the kernel's limit cannot be in force; nothing to record.
        return;
    };
    let layer = Box::new(Layer {
        inherited: true,
        ..layer.clone()
    });
    slot.store(Box::into_raw(layer), Ordering::Release);
    PROCESS_LAYERS_PUBLISHED.fetch_add(1, Ordering::AcqRel);
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
        if let Some(prepared) = self.prepared.get() {
            return Ok(prepared);
        }
        #[cfg(target_os = "linux")]
        crate::denials::start_if_asked();
        let prepared = prepare(self).map_err(|k| self.error(k))?;
        let level = prepared.status.level;
        // Two threads may prepare at once: the first kept says it, once.
        if self.prepared.set(Box::new(prepared)).is_ok() && level != Level::Full {
            let status = &self.prepared.get().expect("just set").status;
            report::line(format_args!("sandbox {} is {status}", self.origin));
        }
        Ok(self.prepared.get().expect("set by this thread or another"))
    }

    /// What the prepared policy allows.
    pub(crate) fn rules(&self) -> Option<SharedRules> {
        self.prepared.get().map(|p| p.rules.clone())
    }

    /// The paths the prepared policy grants on this machine, each with its class: templates
    /// resolved (variables read, presets' paths that exist), in the order of the policy. `None`
    /// until the policy is prepared.
    ///
    /// ```
    /// use landlock_runtime::{Class, Policy};
    ///
    /// let policy = Policy::builder("t").read("$TMP").read("/no/such/path?").build().unwrap();
    /// policy.prepare().unwrap();
    /// let granted: Vec<_> = policy.granted_paths().unwrap().collect();
    /// assert_eq!(granted, [(Class::Read, std::env::temp_dir().as_path())]);
    /// ```
    pub fn granted_paths(&self) -> Option<impl Iterator<Item = (Class, &Path)>> {
        let prepared = self.prepared.get()?;
        Some(
            prepared
                .rules
                .fs
                .iter()
                .map(|g| (g.class, g.path.as_path())),
        )
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
    /// The status returned is the whole truth about this enforcement: for a policy on every
    /// thread, it says what became of the other threads, and it is partial when one keeps its
    /// access. Re-entering a policy already in force on this thread does nothing, makes no
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
        let prepared = self.prepared()?;
        LAYERS.with(|layers| {
            let mut layers = layers.borrow_mut();
            if let Some(layer) = layers.get(prepared.id) {
                return Ok(prepared.outcome(layer.outcome));
            }
            let layer = self.check_room(&layers, prepared, &prepared.status, 0)?;
            // Asked before restricting: the policy may deny reading /proc.
            let single = sys::is_single_threaded();
            if let Some(ruleset) = &prepared.ruleset {
                let mark = self.mark(prepared);
                ruleset
                    .restrict_self(self.log_flags(prepared), mark.as_ref())
                    .map_err(|source| self.restrict_error(source))?;
            }
            if single {
                add_process_layer(&layer);
            }
            layers.layers.push(layer);
            Ok(&prepared.status)
        })
    }

    /// Enforces the policy on every thread of the process, including threads that already
    /// run, and says what became of them in the status's [`threads`](Status::threads).
    ///
    /// From Landlock ABI 8 the kernel does it in one call. Before, the calling thread has
    /// every other thread restrict itself with the same prepared ruleset from a signal
    /// handler, then restricts itself (see the README for the corner cases). Threads that could
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
        let prepared = self.prepared()?;
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
            let coverage = self.restrict_all(prepared, ruleset)?;
            let uncovered = !coverage.uncovered.is_empty();
            let (number, status) = prepared
                .outcomes
                .push(prepared.status.with_threads(coverage.clone()));
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
            layers.layers.push(layer);
            if self.strict && uncovered {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage }));
            }
            Ok(status)
        })
    }

    #[cfg(target_os = "linux")]
    fn restrict_all(
        &self,
        prepared: &Prepared,
        ruleset: &sys::PreparedRuleset,
    ) -> Result<ThreadCoverage, Error> {
        let abi = prepared.status.abi;
        let kernel = |operation: &str| {
            let operation = operation.to_owned();
            move |source| self.error(ErrorKind::Kernel { operation, source })
        };
        if abi >= sys::TSYNC_ABI {
            let threads = crate::all_threads::thread_count().map_err(kernel("listing threads"))?;
            ruleset
                .restrict_all_threads(self.log_flags(prepared), self.mark(prepared).as_ref())
                .map_err(|source| self.restrict_error(source))?;
            return Ok(ThreadCoverage {
                restricted: threads.saturating_sub(1),
                ..ThreadCoverage::default()
            });
        }
        if self.strict {
            // A thread out of reach is known in advance: refuse before restricting anything.
            let blocked =
                crate::all_threads::blocked_coverage().map_err(kernel("inspecting threads"))?;
            if !blocked.uncovered.is_empty() {
                return Err(self.error(ErrorKind::ThreadsNotCovered { coverage: blocked }));
            }
        }
        // The other threads first: finding and checking them reads /proc, which the policy
        // may deny. The caller starts no thread meanwhile, so nothing escapes by being started
        // from it before it is restricted.
        let mark = self.mark(prepared);
        let flags = self.log_flags(prepared);
        let marked = if mark.is_some() { prepared.id } else { 0 };
        let coverage = crate::all_threads::restrict_other_threads(ruleset.fd(), flags, marked)
            .map_err(kernel("restricting the other threads"))?;
        ruleset
            .restrict_self(flags, mark.as_ref())
            .map_err(|source| self.restrict_error(source))?;
        Ok(coverage)
    }

    #[cfg(not(target_os = "linux"))]
    fn restrict_all(
        &self,
        _: &Prepared,
        ruleset: &sys::PreparedRuleset,
    ) -> Result<ThreadCoverage, Error> {
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
            Some(Prepared {
                ruleset: Some(ruleset),
                ..
            }) => ruleset.restrict_self(flags, mark),
            Some(_) => Ok(()),
            None => Err(std::io::Error::from_raw_os_error(sys::EINVAL)),
        }
    }

    /// The `landlock_restrict_self` logging flags of an enforcement in this process: none
    /// (the kernel logs the denials of this program), or, for a `quiet` policy, its denials
    /// not logged. None before ABI 7, which has no logging.
    fn log_flags(&self, prepared: &Prepared) -> u32 {
        if prepared.status.abi >= sys::LOG_ABI && self.quiet {
            sys::LOG_SAME_EXEC_OFF
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
            prepared.status.abi >= sys::LOG_ABI,
            self.quiet,
            mark.is_some(),
        ) {
            (false, _, _) => 0,
            (true, true, _) => sys::LOG_SAME_EXEC_OFF,
            (true, false, true) => sys::LOG_NEW_EXEC_ON,
            (true, false, false) => 0,
        };
        (flags, mark)
    }

    /// While denials are watched, the name that marks this policy's domains (registering the
    /// policy for attribution the first time); `None` otherwise, at the cost of one load.
    fn mark(&self, prepared: &Prepared) -> Option<[u8; 16]> {
        #[cfg(target_os = "linux")]
        if crate::denials::marking() {
            if !prepared.registered.swap(true, Ordering::AcqRel) {
                crate::denials::register(
                    prepared.id,
                    crate::denials::Known {
                        origin: self.origin.clone(),
                    },
                );
            }
            return Some(crate::denials::mark(std::process::id(), prepared.id));
        }
        let _ = prepared;
        None
    }

    /// The layer this policy adds on the calling thread with `status` (enforcement number
    /// `outcome`), or the layer-limit error.
    fn check_room(
        &self,
        layers: &ThreadLayers,
        prepared: &Prepared,
        status: &Status,
        outcome: usize,
    ) -> Result<Layer, Error> {
        if prepared.ruleset.is_some() && layers.enforced() >= MAX_LAYERS {
            return Err(self.error(ErrorKind::TooManyLayers { limit: MAX_LAYERS }));
        }
        Ok(Layer {
            origin: self.origin.clone(),
            level: status.level,
            abi: status.abi,
            inherited: false,
            id: prepared.id,
            outcome,
            binding: self.binding.clone(),
            rules: prepared.rules.clone(),
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

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
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

/// The youngest policy in force on the calling thread that does not allow `wanted` on `path`
/// (the one the kernel reports), as far as this library knows the thread's layers.
pub(crate) fn denied_here(path: &Path, wanted: crate::policy::Class) -> Option<Layer> {
    in_force()
        .into_iter()
        .rev()
        .filter(|layer| layer.level != Level::NotEnforced)
        .find(|layer| !crate::explain::covers(&layer.rules.fs, path, wanted))
}

/// The youngest policy in force on the calling thread that does not allow TCP bind (or
/// connect) to `port`.
pub(crate) fn denied_port_here(port: u16, bind: bool) -> Option<Layer> {
    in_force()
        .into_iter()
        .rev()
        .filter(|layer| layer.level != Level::NotEnforced && layer.abi >= crate::rights::TCP_ABI)
        .find(|layer| {
            let ports = if bind {
                &layer.rules.bind
            } else {
                &layer.rules.connect
            };
            !ports.allows(port)
        })
}

/// Whether a policy bound to these argument paths is in force on the calling thread.
pub(crate) fn has_binding(binding: &crate::arguments::Binding) -> bool {
    LAYERS.with(|layers| {
        let mut layers = layers.borrow_mut();
        layers.sync();
        layers
            .layers
            .iter()
            .any(|l| l.binding.as_deref() == Some(binding))
    })
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

/// Records on the calling thread, a new one, the layers the thread that started it had: the
/// kernel gave it those too.
pub(crate) fn inherit(layers: Vec<Layer>) {
    if layers.is_empty() {
        return;
    }
    LAYERS.with(|mine| {
        let mut mine = mine.borrow_mut();
        for layer in layers {
            if mine.find(layer.id).is_none() {
                mine.layers.push(Layer {
                    inherited: true,
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

/// Refuses a grant that a variable made broad, in a policy without `broad`: the rule a written
/// path obeys at compile time, applied to what the variable resolved to.
fn check_broad(
    policy: &Policy,
    grant: &FsGrant,
    path: &Path,
    variable: Variable,
) -> Result<(), ErrorKind> {
    if policy.broad {
        return Ok(());
    }
    let Some(resolved) = path.to_str() else {
        return Ok(());
    };
    let home = std::env::var("HOME").ok();
    let class = grant.class().keyword();
    let Some(why) = landlock_template::broad_resolved(class, resolved, home.as_deref()) else {
        return Ok(());
    };
    Err(ErrorKind::InvalidVariable {
        problem: format!(
            "{}; narrow it, or acknowledge a broad grant with `broad`",
            why.describe(class, resolved)
        ),
        variable: variable.name,
        value: variable.value,
        template: grant.to_string(),
    })
}

/// The path a grant names, resolved; `None` when it is skipped (an optional template whose
/// variable is unset).
fn grant_path<'a>(policy: &Policy, grant: &'a FsGrant) -> Result<Option<Cow<'a, Path>>, ErrorKind> {
    match grant.path() {
        GrantPath::Template(template) => match resolve(template)? {
            Resolved::Path(path, None) => Ok(Some(path)),
            Resolved::Path(path, Some(variable)) => {
                check_broad(policy, grant, &path, variable)?;
                Ok(Some(path))
            }
            Resolved::SkippedUnset => Ok(None),
        },
        GrantPath::Literal(path) => Ok(Some(Cow::Borrowed(path.as_path()))),
        GrantPath::Argument(name) => Err(ErrorKind::InvalidPolicy {
            problems: vec![format!(
                "the policy grants the paths of the argument `{name}`, which are known only when the function is called: it is enforced by calling the function, not on its own"
            )],
        }),
    }
}

fn prepare(policy: &Policy) -> Result<Prepared, ErrorKind> {
    let abi = sys::abi();
    let mut builder = sys::RulesetBuilder::new(policy, abi)?;
    let mut skipped = Vec::new();
    let mut resolved = Vec::new();
    let presets = policy.presets.iter().flat_map(|p| p.grants());
    for grant in policy.grants.iter().chain(presets) {
        let skip = |reason| Skipped {
            grant: grant.to_string(),
            reason,
        };
        let Some(path) = grant_path(policy, grant)? else {
            skipped.push(skip(SkipReason::VariableUnset));
            continue;
        };
        match builder.add_path(&path, grant.class()) {
            Ok(()) => resolved.push(ResolvedGrant {
                path: path.into_owned(),
                class: grant.class(),
            }),
            // An optional path that is missing, or that this process cannot open, would grant
            // nothing: skipped, and said so.
            Err(source) if grant.is_optional() => {
                skipped.push(skip(if source.kind() == std::io::ErrorKind::NotFound {
                    SkipReason::Missing
                } else {
                    SkipReason::CannotOpen(source.to_string())
                }))
            }
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(ErrorKind::MissingPath {
                    path: path.into_owned(),
                    template: grant.to_string(),
                });
            }
            Err(source) => {
                return Err(ErrorKind::OpenPath {
                    path: path.into_owned(),
                    template: grant.to_string(),
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
    Ok(Prepared {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        status,
        ruleset,
        outcomes: Outcomes::default(),
        registered: std::sync::atomic::AtomicBool::new(false),
        rules: std::sync::Arc::new(Rules {
            fs: resolved,
            connect: policy.connect.clone(),
            bind: policy.bind.clone(),
            scopes: policy.scopes,
        }),
    })
}
