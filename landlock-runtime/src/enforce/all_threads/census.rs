//! What the job knows of each thread across its rounds, and the windows of thread ids that
//! churn needs: which new threads a thread not yet restricted may have started.

use std::collections::HashMap;
use std::time::Duration;

use super::listing::{Blocked, Listed, Listing, TaskStatus, task_status};
use crate::outcome::{ThreadCoverage, Uncovered, UncoveredThread};

/// The kernel's largest thread id plus one (`pid_max`), where the counter wraps around.
pub(super) fn read_pid_max() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What a job knows of the threads, from one round to the next, and what it will report.
pub(super) struct Census {
    pub(super) order: ThreadOrder,
    pub(super) known: HashMap<i32, Known>,
    /// Where threads not restricted at the time may have started others (places in
    /// [`ThreadOrder`]): a new thread whose place falls in one is reached with a round.
    pub(super) windows: Vec<Window>,
    /// Threads reported as not restricted: while they may run, they may start threads that
    /// are not restricted either.
    pub(super) watched: Vec<Watched>,
    pub(super) restricted: usize,
    pub(super) exited: usize,
    pub(super) inherited: usize,
    pub(super) io_workers: usize,
}

/// What the job knows of a thread id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Known {
    /// It restricted itself in this job.
    Restricted,
    /// It is not restricted, for this reason. `id` is its id in `/proc`.
    Reported { id: i32, reason: Uncovered },
    /// It is gone from `/proc`: listed again, the id belongs to a new thread.
    Gone,
    /// It has ended but is still listed: a zombie main thread, which never runs again.
    Finished,
    /// An io_uring worker: it runs no code of the program.
    IoWorker,
    /// What was known before the thread id counter wrapped: to be looked at again.
    Stale(Box<Known>),
}

impl Known {
    /// Whether a thread listed with this id needs a round.
    pub(super) fn needs_a_round(&self) -> bool {
        matches!(self, Known::Gone | Known::Stale(_))
    }

    /// What is known, once no round will look again.
    pub(super) fn settled(self) -> Known {
        match self {
            Known::Stale(before) => before.settled(),
            k => k,
        }
    }
}

/// The places of the threads that one thread may have started while it was not restricted:
/// after its own (it started them) up to `upto` (the counter when it restricted itself, or was
/// last seen able to start one); `None`: no end known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) after: u64,
    pub(super) upto: Option<u64>,
}

impl Window {
    pub(super) fn holds(&self, place: u64) -> bool {
        place > self.after && self.upto.is_none_or(|upto| place <= upto)
    }
}

/// A thread reported as not restricted, watched until the job ends.
#[derive(Debug)]
pub(super) struct Watched {
    /// Its id in `/proc`.
    pub(super) id: i32,
    pub(super) window: Window,
    /// Its context switches when last seen, if it was not runnable then.
    pub(super) idle: Option<(u64, u64)>,
    pub(super) gone: bool,
}

/// The end of a window that is to hold `now` too (`None`: no end).
pub(super) fn later(upto: Option<u64>, now: Option<u64>) -> Option<u64> {
    Some(upto?.max(now?))
}

/// A listing, sorted: the threads the next round reaches, and the new threads that restricted
/// threads started, with their places.
pub(super) struct Sorted {
    pub(super) targets: Vec<Target>,
    pub(super) clear: Vec<(Listed, u64)>,
}

impl Census {
    /// A census from the counter after the first listing, and `pid_max` if known.
    pub(super) fn new(origin: Option<u32>, max: Option<u64>) -> Census {
        Census {
            order: ThreadOrder::new(origin, max),
            known: HashMap::new(),
            windows: Vec::new(),
            watched: Vec::new(),
            restricted: 0,
            exited: 0,
            inherited: 0,
            io_workers: 0,
        }
    }

    /// After a listing: looks at the reported threads again. One that may have run since it
    /// was last seen may have started threads meanwhile: its window now reaches the counter as
    /// read after this look (and so after the listing). One that slept throughout (not
    /// runnable, its context switches unchanged) started none.
    pub(super) fn look_again(&mut self, read_counter: impl FnOnce() -> Option<u32>) {
        let mut ran = Vec::new();
        for (i, w) in self.watched.iter_mut().enumerate() {
            if w.gone {
                continue;
            }
            match task_status(w.id) {
                Some(s) if !s.finished => {
                    let slept = !s.runnable && w.idle.is_some() && s.switches == w.idle;
                    w.idle = if s.runnable { None } else { s.switches };
                    if !slept {
                        ran.push(i);
                    }
                }
                // What it started before it went, it started before now.
                _ => {
                    w.gone = true;
                    ran.push(i);
                }
            }
        }
        let now = self.order.count(read_counter());
        for i in ran {
            let window = &mut self.watched[i].window;
            window.upto = later(window.upto, now);
        }
        self.after_a_wrap();
    }

    /// Sorts a listing: the threads to reach, and those that restricted threads started. On the
    /// first listing, every other thread is to be reached.
    ///
    /// A thread that a thread to be reached started before it restricts itself is not reached
    /// in this round: the next listing finds it in the window of its starter. If the job is to
    /// end without that round, see [`Census::give_up`].
    pub(super) fn sort(&self, listing: &Listing, me: i32, first: bool) -> Sorted {
        let origin = self.order.origin_place();
        let mut sorted = Sorted {
            targets: Vec::new(),
            clear: Vec::new(),
        };
        for t in listing.others(me) {
            let place = self.order.place(t.tid);
            let reach = match self.known.get(&t.tid) {
                Some(k) => k.needs_a_round(),
                None => match place {
                    Some(p) if !first && !self.in_a_window(p) => {
                        sorted.clear.push((t, p));
                        false
                    }
                    _ => true,
                },
            };
            if reach {
                // A thread of the first listing may have started threads since the job
                // started; a later one, since it was started itself.
                let after = if first {
                    origin
                } else {
                    place.unwrap_or(origin)
                };
                sorted.targets.push(Target::new(t, after));
            }
        }
        sorted
    }

    pub(super) fn in_a_window(&self, place: u64) -> bool {
        self.windows
            .iter()
            .chain(self.watched.iter().map(|w| &w.window))
            .any(|w| w.holds(place))
    }

    /// Takes in a round's outcomes; `counter` was read after the round, and so after every
    /// look at its threads.
    pub(super) fn record(&mut self, targets: Vec<Target>, counter: Option<u32>) {
        let after_round = self.order.count(counter);
        for t in targets {
            for closed in &t.closed {
                self.add_window(*closed);
            }
            let tid = t.listed.tid;
            let before = self.known.get(&tid).cloned().map(Known::settled);
            let window = |upto| Window {
                after: t.after,
                upto,
            };
            match t.outcome {
                Outcome::Restricted { counter } => {
                    if before != Some(Known::Restricted) {
                        self.restricted += 1;
                    }
                    self.known.insert(tid, Known::Restricted);
                    let upto = counter.and_then(|c| self.order.mark(c));
                    self.add_window(window(upto));
                }
                Outcome::Exited | Outcome::Finished => {
                    self.exited += 1;
                    let k = if matches!(t.outcome, Outcome::Exited) {
                        Known::Gone
                    } else {
                        Known::Finished
                    };
                    self.known.insert(tid, k);
                    self.add_window(window(t.exit_upto(after_round)));
                }
                Outcome::IoWorker => {
                    if before != Some(Known::IoWorker) {
                        self.io_workers += 1;
                    }
                    self.known.insert(tid, Known::IoWorker);
                }
                Outcome::Uncovered(reason) => {
                    let id = t.listed.id;
                    self.known.insert(tid, Known::Reported { id, reason });
                    self.watched.push(Watched {
                        id,
                        window: window(after_round),
                        idle: t.seen.filter(|s| !s.runnable).and_then(|s| s.switches),
                        gone: false,
                    });
                }
                Outcome::Pending { .. } => unreachable!("collected"),
            }
        }
        self.after_a_wrap();
    }

    pub(super) fn add_window(&mut self, window: Window) {
        if window.upto.is_none_or(|upto| upto > window.after) {
            self.windows.push(window);
        }
    }

    /// After the thread id counter wrapped, a known id may belong to a new thread: every id is
    /// looked at again (a thread restricted twice only has the same layer twice).
    pub(super) fn after_a_wrap(&mut self) {
        if !self.order.take_wrap() {
            return;
        }
        self.known.retain(|_, k| !matches!(k, Known::Gone));
        for k in self.known.values_mut() {
            *k = Known::Stale(Box::new(k.clone()));
        }
    }

    /// At the deadline: the threads not reached are reported if they are still there, and so
    /// are the new threads younger than one of them, which it may have started unrestricted
    /// (any new thread, if one of them has no place).
    pub(super) fn give_up(&mut self, sorted: Sorted) {
        let (unreached, inherited) = self.unreached(sorted);
        for t in unreached {
            match task_status(t.id) {
                Some(s) if !s.finished => {
                    let reported = Known::Reported {
                        id: t.id,
                        reason: Uncovered::NoAnswer,
                    };
                    self.known.insert(t.tid, reported);
                }
                _ => self.exited += 1,
            }
        }
        self.inherited = inherited;
    }

    /// The threads a job that ends now leaves unreached: the targets, and the new threads
    /// younger than one of them; and how many new threads restricted threads started.
    pub(super) fn unreached(&self, sorted: Sorted) -> (Vec<Listed>, usize) {
        let eldest = sorted
            .targets
            .iter()
            .map(|t| self.order.place(t.listed.tid))
            .min();
        let (younger, inherited): (Vec<_>, Vec<_>) = sorted
            .clear
            .into_iter()
            .partition(|&(_, p)| eldest.is_some_and(|e| e.is_none_or(|e| p > e)));
        let unreached = sorted.targets.into_iter().map(|t| t.listed);
        (
            unreached
                .chain(younger.into_iter().map(|(t, _)| t))
                .collect(),
            inherited.len(),
        )
    }

    /// The report: the threads still there that are not restricted, each with why; those
    /// reported that are gone since are counted as exited.
    pub(super) fn finish(self) -> ThreadCoverage {
        let mut exited = self.exited;
        let mut uncovered = Vec::new();
        for (tid, k) in self.known {
            if let Known::Reported { id, reason } = k.settled() {
                if task_status(id).is_some_and(|s| !s.finished) {
                    uncovered.push(UncoveredThread { tid, reason });
                } else {
                    exited += 1;
                }
            }
        }
        uncovered.sort_by_key(|t| t.tid);
        ThreadCoverage {
            restricted: self.restricted,
            inherited: self.inherited,
            exited,
            uncovered,
            io_workers: self.io_workers,
        }
    }
}

/// Where thread ids stand in the order the kernel gave them out since the job started, read
/// from its counter of the PID namespace (`ns_last_pid`). The counter counts up to `pid_max`,
/// then starts again from the bottom, skipping ids in use: an id's place is its distance past
/// the counter's value when the job started, so that the counter may wrap once during a job.
#[derive(Debug)]
pub(super) struct ThreadOrder {
    /// The counter when the job started; `None`: no order (no counter, or it went round more
    /// than once).
    pub(super) origin: Option<u64>,
    /// Where the counter wraps (`pid_max`), read at the first wrap if not given; without it,
    /// a wrap loses the order.
    pub(super) max: Option<u64>,
    pub(super) wrapped: bool,
    /// A wrap seen and not yet taken by [`ThreadOrder::take_wrap`].
    pub(super) fresh_wrap: bool,
}

impl ThreadOrder {
    pub(super) fn new(origin: Option<u32>, max: Option<u64>) -> ThreadOrder {
        ThreadOrder {
            origin: origin.map(u64::from),
            max,
            wrapped: false,
            fresh_wrap: false,
        }
    }

    pub(super) fn origin_place(&self) -> u64 {
        self.origin.unwrap_or(0)
    }

    /// The place of thread id `tid`, or `None` when it cannot be placed after the job's start
    /// (an id given out before it, or no order).
    pub(super) fn place(&self, tid: i32) -> Option<u64> {
        let origin = self.origin?;
        let id = u64::try_from(tid).ok()?;
        if id > origin {
            Some(id)
        } else if self.wrapped {
            Some(id + self.max?)
        } else {
            None
        }
    }

    pub(super) fn wrap(&mut self) {
        if !self.wrapped {
            self.wrapped = true;
            self.fresh_wrap = true;
        }
        // Read when first needed: a job seldom sees the counter wrap.
        self.max = self.max.or_else(read_pid_max);
        if self.max.is_none() {
            self.origin = None;
        }
    }

    /// The place of a value of the counter that the job read. Read later than every value
    /// before it: one at or past the origin once the counter has wrapped means it went round
    /// again, and the order is lost.
    pub(super) fn count(&mut self, value: Option<u32>) -> Option<u64> {
        let origin = self.origin?;
        let value = u64::from(value?);
        if value < origin {
            self.wrap();
            Some(value + self.max?)
        } else if self.wrapped {
            self.origin = None;
            self.fresh_wrap = true;
            None
        } else {
            Some(value)
        }
    }

    /// The place of a value a thread read before restricting itself: after the job's start,
    /// but at any time in its round.
    pub(super) fn mark(&mut self, value: u32) -> Option<u64> {
        let origin = self.origin?;
        let value = u64::from(value);
        if value < origin {
            self.wrap();
            Some(value + self.max?)
        } else {
            Some(value)
        }
    }

    /// Whether the counter was seen to wrap since the last call.
    pub(super) fn take_wrap(&mut self) -> bool {
        std::mem::take(&mut self.fresh_wrap)
    }
}

/// One thread the current round reaches.
pub(super) struct Target {
    pub(super) listed: Listed,
    /// Where the window of threads it may have started unrestricted begins.
    pub(super) after: u64,
    pub(super) outcome: Outcome,
    /// Its status when last looked at.
    pub(super) seen: Option<TaskStatus>,
    /// Seen on its way out (glibc's exit mask), and the counter's place after it was: it
    /// started no thread after that.
    pub(super) exiting: Option<Option<u64>>,
    /// Its processor time at the last look, and the counter's place read after that look.
    pub(super) cpu: Option<Duration>,
    pub(super) looked_upto: Option<u64>,
    /// The windows closed by looks between which it ran no code: a window then ends where the
    /// first look left the counter, and a new one begins where the second found it.
    pub(super) closed: Vec<Window>,
    /// Whether it was looked at for an io_uring thread.
    pub(super) io_checked: bool,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Outcome {
    /// Not answered yet; since when it has been seen blocking the signal with a mask that may
    /// be its own.
    Pending {
        blocked: Option<Blocked>,
    },
    /// It restricted itself, having read the thread id counter first.
    Restricted {
        counter: Option<u32>,
    },
    /// Gone from `/proc`.
    Exited,
    /// Still listed, but ended: it will never run again.
    Finished,
    /// An io_uring worker: it answers no signal, runs no code of the program, and runs each
    /// request with the credentials it was submitted with.
    IoWorker,
    Uncovered(Uncovered),
}

impl Target {
    pub(super) fn new(listed: Listed, after: u64) -> Target {
        Target {
            listed,
            after,
            outcome: Outcome::Pending { blocked: None },
            seen: None,
            exiting: None,
            cpu: None,
            looked_upto: None,
            closed: Vec::new(),
            io_checked: false,
        }
    }

    /// The end of the window of a target seen gone, when the counter read `gone` after.
    pub(super) fn exit_upto(&self, gone: Option<u64>) -> Option<u64> {
        match self.exiting {
            Some(Some(upto)) => Some(upto),
            _ => gone,
        }
    }
}

impl Target {
    /// Looks at the target's processor time, `before` being the counter's place read before
    /// this look: a thread that ran no code since the last look started no thread meanwhile,
    /// and one that has not run at all (0) has started none yet. Its windows then skip the
    /// ids given out in between.
    pub(super) fn look_idle(&mut self, now: Option<Duration>, before: Option<u64>) {
        if let Some(before) = before {
            if now == Some(Duration::ZERO) {
                self.after = self.after.max(before);
            } else if now.is_some() && now == self.cpu {
                if let Some(upto) = self.looked_upto.filter(|&upto| upto > self.after) {
                    self.closed.push(Window {
                        after: self.after,
                        upto: Some(upto),
                    });
                }
                self.after = self.after.max(before);
            }
        }
        self.cpu = now;
    }

    /// After a look: `after` is the counter's place read after it, up to which the threads the
    /// target started before the look have their ids.
    pub(super) fn looked(&mut self, after: Option<u64>) {
        self.looked_upto = after;
        if self.exiting == Some(None) {
            self.exiting = Some(after);
        }
    }
}
