//! A command-line runner: starts a program confined by a policy given as options, and exits
//! with the program's status.
//!
//! ```text
//! cargo run --example sandbox_run -- --exec /usr/bin/ls --read /etc -- /usr/bin/ls /etc
//! cargo run --example sandbox_run -- --read /etc --preset dynamic_loader --exec /bin/sh -- /bin/sh -c 'cat /etc/hostname'
//! ```
//!
//! Options, each repeatable: `--read PATH`, `--write PATH`, `--exec PATH`, `--connect PORT|*`,
//! `--bind PORT|*`, `--preset NAME`; then `--strict`, `--allow-signals`,
//! `--allow-abstract-unix-sockets`, `--broad` (to acknowledge a broad grant, such as `--read /`
//! or `--write $HOME`); `--` ends the options and starts the command.
//! The program itself is granted `exec`, and `preset dynamic_loader` unless `--no-loader`.

use std::process::{Command, ExitCode};

use landlock_runtime::{CommandExt, Policy, Preset};

const USAGE: &str = "usage: sandbox_run [--read PATH] [--write PATH] [--exec PATH] [--connect PORT|*] [--bind PORT|*] [--preset NAME] [--strict] [--allow-signals] [--allow-abstract-unix-sockets] [--broad] [--no-loader] -- PROGRAM [ARGS...]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sandbox_run: {message}");
            ExitCode::from(125)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args().skip(1);
    let mut policy = Policy::builder("sandbox_run");
    let mut loader = true;
    let command: Vec<String> = loop {
        let Some(option) = args.next() else {
            return Err(format!("no command given\n{USAGE}"));
        };
        let mut value = || {
            args.next()
                .ok_or(format!("{option} needs a value\n{USAGE}"))
        };
        policy = match option.as_str() {
            "--" => break args.by_ref().collect(),
            "--read" => policy.read(value()?),
            "--write" => policy.write(value()?),
            "--exec" => policy.exec(value()?),
            "--connect" | "--bind" => {
                let v = value()?;
                let port = || {
                    v.parse::<u16>()
                        .map_err(|_| format!("{option}: `{v}` is not a port (1-65535) or *"))
                };
                match (option.as_str(), v.as_str()) {
                    ("--connect", "*") => policy.connect_any(),
                    ("--bind", "*") => policy.bind_any(),
                    ("--connect", _) => policy.connect(port()?),
                    _ => policy.bind(port()?),
                }
            }
            "--preset" => {
                let v = value()?;
                let preset = Preset::from_name(&v).ok_or(format!("unknown preset `{v}`"))?;
                policy.preset(preset)
            }
            "--strict" => policy.strict(),
            "--broad" => policy.broad(),
            "--allow-signals" => policy.allow_signals(),
            "--allow-abstract-unix-sockets" => policy.allow_abstract_unix_sockets(),
            "--no-loader" => {
                loader = false;
                policy
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        };
    };
    let Some((program, rest)) = command.split_first() else {
        return Err(format!("no command after `--`\n{USAGE}"));
    };
    let program_path = which(program).ok_or(format!("`{program}` not found"))?;
    policy = policy.exec(program_path.to_string_lossy().into_owned());
    if loader {
        policy = policy.preset(Preset::DynamicLoader);
    }
    let policy: &'static Policy = Box::leak(Box::new(policy.build().map_err(|e| e.to_string())?));
    let status = Command::new(&program_path)
        .args(rest)
        .sandbox(policy)
        .status()
        .map_err(|e| e.to_string())?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(code as u8),
        None => {
            eprintln!("sandbox_run: {program} ended by {status}");
            ExitCode::from(128)
        }
    })
}

/// The program's path: as given when it has a `/`, else the first match in `PATH`.
fn which(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        return std::fs::canonicalize(program).ok();
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
