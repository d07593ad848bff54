//! A libFuzzer-free harness for stable Rust: the same checks as the `template` fuzz target,
//! on every file of the given corpus directories (by default `seeds/template`, the seeds of the
//! fuzz target), then on generated inputs (those files mutated character by character, random
//! runs of template fragments, random characters) until the time or iteration budget is spent.
//!
//! ```text
//! cargo run --release --no-default-features --bin template-stable -- \
//!     [--seconds S] [--iterations N] [--seed X] [CORPUS_DIR_OR_FILE...]
//! ```
//!
//! On a violated invariant it prints the input (as a Rust string literal), writes it to
//! `artifacts/template-stable/`, and exits with status 1.

use std::panic;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Pieces that matter to the parser, for random runs and insertions.
const FRAGMENTS: &[&str] = &[
    "/", "//", "$", "${", "}", "?", ".", "..", "TMP", "HOME", "CWD", "EXE_DIR", "_", "A", "z", "0",
    "\0", "ü", "读", "\u{202e}", " ", "-", "$TMP", "${X}", "/..", "/.", "\\", "~", "%",
];

/// xorshift64*: small, fast, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn char(&mut self) -> char {
        match self.below(4) {
            0 => char::from_u32(self.below(0x11_0000) as u32).unwrap_or('\u{fffd}'),
            1 => char::from(self.below(0x80) as u8),
            _ => self.pick(FRAGMENTS).chars().next().unwrap_or('/'),
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[String]) -> String {
    let mut chars: Vec<char> = rng.pick(seeds).chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 => chars
                .splice(at..at, rng.pick(FRAGMENTS).chars())
                .for_each(drop),
            1 if at < chars.len() => {
                let end = (at + 1 + rng.below(4)).min(chars.len());
                chars.drain(at..end);
            }
            2 if at < chars.len() => chars[at] = rng.char(),
            3 if at < chars.len() => {
                let end = (at + 1 + rng.below(6)).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
            4 => {
                let other: Vec<char> = rng.pick(seeds).chars().collect();
                let from = rng.below(other.len() + 1);
                chars.truncate(at);
                chars.extend(&other[from..]);
            }
            _ => chars.insert(at, rng.char()),
        }
    }
    chars.into_iter().collect()
}

fn generate(rng: &mut Rng, seeds: &[String]) -> String {
    match rng.below(3) {
        0 => mutate(rng, seeds),
        1 => (0..rng.below(12))
            .map(|_| *rng.pick(FRAGMENTS))
            .collect::<String>(),
        _ => (0..rng.below(24)).map(|_| rng.char()).collect(),
    }
}

struct Options {
    seconds: u64,
    iterations: Option<u64>,
    seed: u64,
    corpus: Vec<PathBuf>,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 10,
        iterations: None,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1,
        corpus: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = number("--seconds"),
            "--iterations" => options.iterations = Some(number("--iterations")),
            "--seed" => options.seed = number("--seed") | 1,
            _ => options.corpus.push(PathBuf::from(arg)),
        }
    }
    options
}

/// The corpus files under `paths` (directories are read one level deep, as libFuzzer does).
fn corpus(paths: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for path in paths {
        let entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => vec![path.clone()],
        };
        for file in entries {
            if let Ok(bytes) = std::fs::read(&file) {
                files.push((file, bytes));
            }
        }
    }
    files.sort();
    files
}

/// Runs the checks on one input; on a violation, reports it and exits.
fn run_one(data: &[u8]) {
    if panic::catch_unwind(|| landlock_template_fuzz::check_bytes(data)).is_ok() {
        return;
    }
    let shown = String::from_utf8_lossy(data);
    eprintln!("invariant violated by the input {shown:?} (bytes {data:?})");
    let dir = PathBuf::from("artifacts/template-stable");
    let name = format!("crash-{:016x}", fnv(data));
    if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(dir.join(&name), data).is_ok() {
        eprintln!("written to {}", dir.join(name).display());
    }
    std::process::exit(1);
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn main() {
    let mut options = options();
    if options.corpus.is_empty() {
        options.corpus.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/seeds/template"
        )));
    }
    let files = corpus(&options.corpus);
    for (_, bytes) in &files {
        run_one(bytes);
    }
    let mut seeds: Vec<String> = files
        .iter()
        .filter_map(|(_, b)| String::from_utf8(b.clone()).ok())
        .collect();
    if seeds.is_empty() {
        seeds.push("/".to_owned());
    }
    let mut rng = Rng(options.seed);
    let budget = Duration::from_secs(options.seconds);
    let started = Instant::now();
    let (mut runs, mut accepted) = (0u64, 0u64);
    while started.elapsed() < budget && options.iterations.is_none_or(|n| runs < n) {
        let input = generate(&mut rng, &seeds);
        run_one(input.as_bytes());
        runs += 1;
        accepted += u64::from(landlock_template::PathTemplate::parse(&input).is_ok());
    }
    println!(
        "template-stable: {} corpus files and {runs} generated inputs ({accepted} accepted) in {:.1}s, seed {}: no invariant violated",
        files.len(),
        started.elapsed().as_secs_f64(),
        options.seed
    );
}
