//! The command-line runner, as an example: the same program as the `sandbox_run` binary of the
//! `sandbox-run` package (install it with `cargo install --path sandbox-run`).
//!
//! ```text
//! cargo run --example sandbox_run -- --read /etc -- cat /etc/hostname
//! cargo run --example sandbox_run -- --help
//! ```
//!
//! Its policy is built at run time from the options, so this example has no sandbox of its own
//! in `sandbox.lock`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(sandbox_run::main_with(std::env::args_os()))
}
