//! A command-line tool whose `main` returns `Result<(), landlock_runtime::Error>`: the policy
//! grants the directory named on the command line, and `?` ends the program when the sandbox
//! cannot be enforced. Rust prints an `Err` returned from `main` with `Debug`, which for this
//! error is its message and its fix.
//!
//! Run it with `cargo run --example main_result -- /etc` (lists `/etc`), or with a directory
//! that does not exist (exits with status 1 and the error).

use landlock_runtime::Policy;

fn main() -> Result<(), landlock_runtime::Error> {
    let dir = std::env::args_os().nth(1).unwrap_or_else(|| "/etc".into());
    let policy = Policy::builder("main_result::main")
        .read_path(&dir)
        .build()?;
    policy.enforce()?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| eprintln!("listing: {e}"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    println!("{} entries: {}", names.len(), names.join(" "));
    Ok(())
}
