//! `sandbox_run`: see the library's documentation, or `sandbox_run --help`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(sandbox_run::main_with(std::env::args_os()))
}
