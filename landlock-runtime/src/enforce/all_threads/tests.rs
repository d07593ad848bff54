use std::os::fd::AsRawFd;

use super::census::*;
use super::job::*;
use super::listing::*;
use super::signal::*;
use super::*;

#[test]
fn status_lines_are_read() {
    let text = "Name:\tx\nState:\tS (sleeping)\nNSpid:\t812\t3\nSigBlk:\t0000000400000000\n\
                voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n";
    let s = parse_status(text).unwrap();
    assert!(!s.finished && !s.runnable);
    assert_eq!(s.tid, Some(3));
    assert_eq!(s.namespaces, 2);
    assert_eq!(s.switches, Some((7, 2)));
    assert!(blocks(s.blocked, 35));
    assert!(blocks_as_chosen(&s, 35));
    let zombie = parse_status("State:\tZ (zombie)\nSigBlk:\tffffffffffffffff\n").unwrap();
    assert!(zombie.finished);
    assert_eq!(zombie.tid, None);
    assert!(!blocks_as_chosen(&zombie, 35));
    // glibc's mask for a thread being born, and for one exiting (all but SIGSETXID), block
    // its SIGCANCEL; an application's `sigfillset` mask cannot.
    for glibc in ["fffffffffffbfeff", "fffffffefffbfeff"] {
        let s = parse_status(&format!("State:\tR (running)\nSigBlk:\t{glibc}\n")).unwrap();
        assert!(s.runnable && blocks(s.blocked, 35) && !blocks_as_chosen(&s, 35));
    }
    let app = parse_status("State:\tS (sleeping)\nSigBlk:\tfffffffe7ffbfeff\n").unwrap();
    assert!(blocks_as_chosen(&app, 35));
}

#[test]
fn a_tracer_or_a_seccomp_filter_is_ruled_out_only_by_its_line() {
    let free = "State:\tD (disk sleep)\nSigBlk:\t0\nTracerPid:\t0\nSeccomp:\t0\n";
    let s = parse_status(free).unwrap();
    assert!(s.uninterruptible && !s.traced && !s.filtered);
    let held = "State:\tt (tracing stop)\nSigBlk:\t0\nTracerPid:\t4242\nSeccomp:\t2\n";
    let s = parse_status(held).unwrap();
    assert!(!s.uninterruptible && s.traced && s.filtered);
    // Without the lines (a kernel without seccomp), neither is ruled out.
    let s = parse_status("State:\tS (sleeping)\nSigBlk:\t0\n").unwrap();
    assert!(s.traced && s.filtered);
}

#[test]
fn a_thread_is_in_exit_only_when_proc_says_so() {
    // A thread asleep in another call (here `read`, on a pipe no one writes to yet).
    let (mut reader, mut writer) = std::io::pipe().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let sleeper = std::thread::spawn(move || {
        tx.send(gettid()).unwrap();
        std::io::Read::read(&mut reader, &mut [0u8]).unwrap()
    });
    let tid = rx.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(!in_exit_call(tid));
    // The calling thread is running: `/proc` says so rather than name a call.
    assert!(!in_exit_call(gettid()));
    std::io::Write::write_all(&mut writer, b"x").unwrap();
    assert_eq!(sleeper.join().unwrap(), 1);
    // Gone: nothing to read.
    assert!(!in_exit_call(tid));
}

#[test]
fn answers_carry_the_errno_and_the_counter() {
    for (errno, counter) in [
        (0, Some(0)),
        (0, Some(4_194_303)),
        (1, None),
        (133, Some(7)),
    ] {
        let result = answer(errno, counter);
        assert!(result < RUNNING);
        assert_eq!(parse_answer(result), (errno, counter));
    }
    assert_eq!(parse_counter(b"4194303\n"), Some(4_194_303));
    assert_eq!(parse_counter(b"\n"), None);
    assert_eq!(parse_counter(b"99999999999"), None);
}

#[test]
fn the_counter_is_read_through_its_descriptor() {
    let fd = open_counter().expect("ns_last_pid");
    let before = read_counter(fd.as_raw_fd()).unwrap();
    let tid = std::thread::spawn(gettid).join().unwrap();
    let after = read_counter(fd.as_raw_fd()).unwrap();
    // Unless the counter wrapped in between, the new thread's id is between the two.
    if after >= before {
        assert!(
            before < tid as u32 && tid as u32 <= after,
            "{before} {tid} {after}"
        );
    }
    assert_eq!(read_counter(-1), None);
}

fn listing(tids: &[i32]) -> Listing {
    Listing {
        threads: tids.iter().map(|&tid| Listed { id: tid, tid }).collect(),
        complete: true,
        namespace: Namespace::Same,
    }
}

fn tids(sorted: &Sorted) -> Vec<i32> {
    sorted.targets.iter().map(|t| t.listed.tid).collect()
}

/// The outcome of a round in which every target restricted itself, having read
/// `counters`.
fn restricted(sorted: Sorted, counters: &[u32]) -> Vec<Target> {
    let mut targets = sorted.targets;
    for (t, &c) in targets.iter_mut().zip(counters) {
        t.outcome = Outcome::Restricted { counter: Some(c) };
    }
    targets
}

#[test]
fn new_threads_are_reached_when_a_thread_not_yet_restricted_may_have_started_them() {
    // The job starts with the counter at 100; threads 1 (the caller), 50 and 60.
    let mut census = Census::new(Some(100), Some(32768));
    let first = census.sort(&listing(&[1, 50, 60]), 1, true);
    assert_eq!(tids(&first), [50, 60]);
    // 50 read 110 before restricting itself, 60 read 120: each may have started threads
    // up to there.
    census.record(restricted(first, &[110, 120]), Some(130));
    assert_eq!(census.restricted, 2);
    // 105 and 115 may have been started by them unrestricted; 125 was started by a
    // restricted thread.
    let sorted = census.sort(&listing(&[1, 50, 60, 125]), 1, false);
    assert!(sorted.targets.is_empty());
    assert_eq!(sorted.clear.len(), 1);
    let sorted = census.sort(&listing(&[1, 50, 60, 105, 115, 125]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![105, 115], 1));
    // Should the job end now, 125 is younger than 105, which may start threads until it
    // restricts itself: it is not counted as started restricted.
    let (unreached, inherited) = census.unreached(sorted);
    let unreached: Vec<i32> = unreached.iter().map(|t| t.tid).collect();
    assert_eq!((unreached, inherited), (vec![105, 115, 125], 0));
    // 105 read 140 and 115 read 141: 135 may be 105's; 145 and 150 are nobody's.
    let sorted = census.sort(&listing(&[1, 50, 60, 105, 115, 125]), 1, false);
    census.record(restricted(sorted, &[140, 141]), Some(150));
    let sorted = census.sort(&listing(&[1, 50, 60, 145, 150]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 2));
    let sorted = census.sort(&listing(&[1, 50, 60, 135, 150]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![135], 1));
}

#[test]
fn threads_that_exit_count_as_exited_and_what_they_started_is_reached() {
    let mut census = Census::new(Some(100), Some(32768));
    let mut targets = census.sort(&listing(&[1, 50, 60]), 1, true).targets;
    targets[0].outcome = Outcome::Exited;
    targets[1].outcome = Outcome::Restricted { counter: Some(110) };
    // 50 was seen gone before the counter read 130 after the round.
    census.record(targets, Some(130));
    assert_eq!((census.restricted, census.exited), (1, 1));
    let sorted = census.sort(&listing(&[1, 60, 125, 131]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![125], 1));
    let sorted = census.sort(&listing(&[1, 60, 131]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 1));
}

#[test]
fn a_reported_thread_may_start_threads_until_it_is_seen_asleep() {
    let mut census = Census::new(Some(100), Some(32768));
    let mut targets = census.sort(&listing(&[1, 50]), 1, true).targets;
    targets[0].outcome = Outcome::Uncovered(Uncovered::BlocksSignal);
    census.record(targets, Some(120));
    // Everything up to the counter after its report may be its own.
    let sorted = census.sort(&listing(&[1, 50, 115, 125]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![115], 1));
    let sorted = census.sort(&listing(&[1, 50, 125]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 1));
    // Seen running later, its window reaches further.
    let window = &mut census.watched[0].window;
    *window = Window {
        upto: later(window.upto, Some(200)),
        ..*window
    };
    let sorted = census.sort(&listing(&[1, 50, 125]), 1, false);
    assert_eq!(tids(&sorted), [125]);
    assert_eq!(
        census.known[&50],
        Known::Reported {
            id: 50,
            reason: Uncovered::BlocksSignal
        }
    );
}

#[test]
fn the_order_survives_one_wrap_of_the_counter() {
    // The job starts at 32700 of 32768; the counter wraps and thread 301 restricts itself
    // having read 320.
    let mut census = Census::new(Some(32700), Some(32768));
    let first = census.sort(&listing(&[1, 32650, 301]), 1, true);
    census.record(restricted(first, &[32710, 320]), Some(330));
    assert!(census.order.wrapped);
    // The wrap makes every known id a new one until looked at again.
    assert!(census.known.values().all(Known::needs_a_round));
    census.known.clear();
    // Both were there when the job started: 32650 may have started threads until the
    // counter read 32710, 301 until it read 320 after the wrap.
    let sorted = census.sort(&listing(&[1, 32705, 340]), 1, false);
    assert_eq!(tids(&sorted), [32705]);
    let sorted = census.sort(&listing(&[1, 32720, 310, 340]), 1, false);
    assert_eq!(tids(&sorted), [32720, 310]);
    let sorted = census.sort(&listing(&[1, 321, 340]), 1, false);
    assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 2));
    // An id below the job's start, before the counter is seen to wrap, cannot be placed.
    let order = ThreadOrder::new(Some(500), Some(32768));
    assert_eq!(order.place(400), None);
    assert_eq!(order.place(501), Some(501));
    // Going round twice loses the order.
    let mut order = ThreadOrder::new(Some(500), Some(32768));
    assert_eq!(order.count(Some(400)), Some(33168));
    assert_eq!(order.count(Some(600)), None);
    assert_eq!(order.place(700), None);
    // No counter, no order: every new thread is reached.
    let census = Census::new(None, Some(32768));
    let sorted = census.sort(&listing(&[1, 50]), 1, false);
    assert_eq!(tids(&sorted), [50]);
}

#[test]
fn a_listing_of_this_process_names_the_caller() {
    let me = gettid();
    let listing = Listing::read(me).unwrap();
    assert!(listing.threads.iter().any(|t| t.tid == me));
    assert_ne!(listing.namespace, Namespace::Unknown);
}

#[test]
fn directory_entries_are_parsed() {
    let ids = read_task_ids().unwrap();
    assert!(ids.contains(&gettid()), "{ids:?}");
}
