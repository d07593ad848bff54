//! What preparing a policy leaves behind, kept in the policy: its status, its ruleset, what it
//! grants on this machine, and the statuses of its enforcements on every thread. The
//! preparation itself is the `prepare` layer's.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

use once_cell::race::OnceBox;

use crate::kernel::Ruleset;
use crate::model::rules::SharedRules;
use crate::outcome::Status;

/// A policy made ready for enforcement: its status and, where Landlock exists, its ruleset.
#[derive(Debug)]
pub(crate) struct Preparation {
    /// Unique per prepared policy in this process: what re-entry is recognised by.
    pub(crate) id: u64,
    pub(crate) status: Status,
    /// The ruleset; `None` when the kernel has no Landlock.
    pub(crate) ruleset: Option<Ruleset>,
    /// The statuses of this policy's enforcements on every thread, each with what became of
    /// the other threads; outcome `n` is the `n`-th pushed (outcome 0 is `status`).
    pub(crate) outcomes: Outcomes,
    /// What it allows, path by path and port by port, for explaining a denial.
    pub(crate) rules: SharedRules,
    /// Whether it is registered for attributing denials.
    pub(crate) registered: AtomicBool,
}

/// The cell a policy keeps its preparation in. Lock-free (two threads preparing at once both
/// prepare, and one result is kept): a child forked while another thread prepared cannot find
/// a lock held forever.
pub(crate) type PreparationCell = OnceBox<Preparation>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A new id for a preparation, never used before in this process.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// An append-only list of statuses: what `enforce` returns by reference must live as long as
/// the policy, also when a later enforcement adds another.
#[derive(Debug, Default)]
pub(crate) struct Outcomes {
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
    pub(crate) fn push(&self, status: Status) -> (usize, &Status) {
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

impl Preparation {
    /// The status of the enforcement numbered `outcome` (0: the status of the preparation).
    pub(crate) fn outcome(&self, outcome: usize) -> &Status {
        match outcome {
            0 => &self.status,
            n => self.outcomes.get(n).unwrap_or(&self.status),
        }
    }
}
