//! `sandbox_run`: runs a program confined by Linux Landlock, with a policy given as options;
//! prints its denials as they happen (`--log-denials`), and learns the narrowest policy it
//! needs (`--learn`).
//!
//! ```text
//! cargo install --path sandbox-run
//! sandbox_run --read /etc -- cat /etc/hostname
//! ```
//!
//! The policy is the one of [`landlock_runtime::Policy`], built at run time from the options.
//! A plain run restricts the runner and `exec`s the program
//! ([`landlock_runtime::SandboxedCommand::exec`]): the runner becomes the program, as the
//! `landlock` crate's sandboxer does. A run that watches denials (`--log-denials`,
//! `--learn`) starts the program as a child with [`landlock_runtime::SandboxCommandExt`], and
//! the runner, never restricted, stays as its parent. `sandbox_run --help` lists every option and the exit statuses. The one
//! public item is [`main_with`], the whole program.

mod cli;
mod denials;
mod grants;
mod learn;
mod messages;
mod program;
mod shell;
mod suggest;
mod supervise;

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use landlock_runtime::{
    Class, Level, Policy, Preset, SandboxCommandExt, SkipReason, landlockconfig,
};

use cli::Options;
use grants::{Grants, Target};
use program::Program;
use shell::quote;
use supervise::Supervisor;

/// The runner's own failures, and the status each exits with.
#[derive(Debug)]
enum Failure {
    /// The sandbox could not be set up: 125.
    Setup(String),
    /// The program exists but could not be executed: 126.
    CannotExecute(String),
    /// The program was not found: 127.
    NotFound(String),
    /// The runner was asked to stop by signal N (and passed it on): 128+N.
    Stopped(i32),
}

impl Failure {
    /// The exit status, as `env(1)` and `timeout(1)` use them.
    fn status(&self) -> u8 {
        match self {
            Failure::Setup(_) => 125,
            Failure::CannotExecute(_) => 126,
            Failure::NotFound(_) => 127,
            Failure::Stopped(signal) => (128 + signal) as u8,
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Setup(m) | Failure::CannotExecute(m) | Failure::NotFound(m) => m.clone(),
            Failure::Stopped(signal) => format!("stopped by signal {signal}"),
        }
    }
}

/// Runs the command line `args` (the runner's name first) and returns the status to exit with:
/// the whole `sandbox_run` program, which its `main` and the workspace's example call.
///
/// ```no_run
/// let status = sandbox_run::main_with(["sandbox_run", "--read", "/etc", "--", "cat", "/etc/hostname"].map(Into::into));
/// assert_eq!(status, 0);
/// ```
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> u8 {
    let options = match Options::parse_from_args(args) {
        Ok(options) => options,
        Err((message, 0)) => {
            return print_out(&message).map_or_else(|f| report(&f), |()| 0);
        }
        Err((message, code)) => {
            let _ = std::io::stderr().write_all(message.as_bytes());
            return code;
        }
    };
    match run(&options) {
        Ok(status) => status,
        Err(failure) => report(&failure),
    }
}

/// Says why the runner failed, and returns the status for it.
fn report(failure: &Failure) -> u8 {
    let _ = writeln!(std::io::stderr(), "sandbox_run: {}", failure.message());
    failure.status()
}

/// Writes `text` on standard output. A reader that went away (`| head`) ends the output, not
/// the runner: that is not an error.
fn print_out(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Setup(format!("writing to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

fn run(options: &Options) -> Result<u8, Failure> {
    if options.enable_audit {
        landlock_runtime::denials::enable_audit().map_err(|e| {
            Failure::Setup(format!(
                "--enable-audit: {e} (turning the kernel's audit on needs CAP_AUDIT_CONTROL: run as root)"
            ))
        })?;
        if options.command.is_empty() {
            return Ok(0);
        }
    }
    if let Some(file) = &options.suggest {
        return suggest::suggest(file);
    }
    let Some((program, args)) = options.command.split_first() else {
        return Err(Failure::Setup(
            "no program to run: give it after the options, as in `sandbox_run --read /etc -- cat /etc/hostname` (see --help)".into(),
        ));
    };
    let plan = Plan::new(options, program, args)?;
    if options.learn {
        return learn::learn(&plan, options);
    }
    let policy = plan.policy(options.broad)?;
    if let Some(format) = &options.export {
        print_out(&export(policy, format, &plan.program.path)?)?;
        return Ok(0);
    }
    if options.print_policy {
        print_out(&plan.report(policy))?;
        return Ok(0);
    }
    if !options.log_denials {
        // Nothing needs the runner once the program runs: it becomes the program. Returns
        // only when it cannot (the program did not start, or denials are watched through the
        // library's variables, which need the runner to stay).
        if let Some(failure) = plan.exec(policy) {
            return Err(failure);
        }
    }
    // Dropped after the run, on every path: the denials still on their way are printed.
    let _printer = if options.log_denials {
        let watcher = landlock_runtime::denials::watch()
            .map_err(|e| messages::watch_error("--log-denials", &e))?;
        Some(denials::Printer::start(watcher))
    } else {
        None
    };
    let supervisor = Supervisor::new()
        .map_err(|e| Failure::Setup(format!("catching the signals to pass on: {e}")))?;
    let status = plan
        .start(policy, &supervisor, false)?
        .map_err(|message| Failure::CannotExecute(message.to_owned()))?;
    if let Some(signal) = status.signal() {
        let _ = writeln!(
            std::io::stderr(),
            "sandbox_run: `{}` was ended by signal {signal}",
            plan.program.path.display()
        );
    }
    Ok(supervise::exit_code(status))
}

/// The policy as a landlockconfig document in `format` (`json` or `toml`).
pub(crate) fn export(
    policy: &Policy,
    format: &str,
    program: &std::path::Path,
) -> Result<String, Failure> {
    let text = match format {
        "toml" => landlockconfig::to_toml(policy).map(|text| {
            // The runner's own source location means nothing to the reader: the program does.
            let body = text.split_once('\n').map_or("", |(_, body)| body);
            format!(
                "# sandbox_run's policy for `{}`, as a landlockconfig document\n{body}",
                program.display()
            )
        }),
        _ => landlockconfig::to_json(policy),
    };
    text.map_err(|e| {
        Failure::Setup(format!(
            "--export {format}: {}",
            messages::without_origin(&e.to_string())
        ))
    })
}

/// The environment the program gets: the runner's, or an empty one, and the variables set or
/// passed on.
#[derive(Debug, Default)]
struct Environment {
    clear: bool,
    /// `--env` in order: a variable passed on (`None`) or set.
    entries: Vec<(OsString, Option<OsString>)>,
}

impl Environment {
    fn from_options(options: &Options) -> Result<Environment, Failure> {
        let mut entries = Vec::new();
        for entry in &options.env {
            let bytes = entry.as_bytes();
            let (key, value) = match bytes.iter().position(|&b| b == b'=') {
                Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
                None => (bytes, None),
            };
            if key.is_empty() {
                return Err(Failure::Setup(format!(
                    "--env {}: a variable needs a name (KEY or KEY=VALUE)",
                    quote(entry)
                )));
            }
            entries.push((
                OsStr::from_bytes(key).to_owned(),
                value.map(|v| OsStr::from_bytes(v).to_owned()),
            ));
        }
        Ok(Environment {
            clear: options.clear_env,
            entries,
        })
    }

    /// The value `key` has in the program's environment, when the options say it.
    fn value(&self, key: &OsStr) -> Option<OsString> {
        let entry = self.entries.iter().rev().find(|(k, _)| k == key)?;
        match &entry.1 {
            Some(value) => Some(value.clone()),
            None => std::env::var_os(key),
        }
    }

    fn apply(&self, command: &mut Command) {
        if self.clear {
            command.env_clear();
        }
        for (key, value) in &self.entries {
            match value {
                Some(value) => {
                    command.env(key, value);
                }
                None => {
                    if let Some(value) = std::env::var_os(key) {
                        command.env(key, value);
                    }
                }
            }
        }
    }

    /// As options, quoted for a shell.
    fn as_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.clear {
            out.push("--clear-env".into());
        }
        for (key, value) in &self.entries {
            let mut entry = key.clone();
            if let Some(value) = value {
                entry.push("=");
                entry.push(value);
            }
            out.push(format!("--env {}", quote(&entry)));
        }
        out
    }
}

/// One grant the runner adds by itself, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Automatic {
    /// `exec` on this path.
    Exec(PathBuf, &'static str),
    /// This preset.
    Preset(Preset),
}

/// A run, planned: the program, what the options grant, the automatic grants, the
/// environment.
struct Plan {
    program: Program,
    args: Vec<OsString>,
    grants: Grants,
    automatic: Vec<Automatic>,
    environment: Environment,
    explicit: bool,
}

impl Plan {
    fn new(options: &Options, program: &OsStr, args: &[OsString]) -> Result<Plan, Failure> {
        let grants = Grants::from_options(options)?;
        let environment = Environment::from_options(options)?;
        let program = Program::find(program, program::search_path(&environment).as_deref())?;
        let mut automatic = Vec::new();
        if !options.explicit {
            automatic.push(Automatic::Exec(program.path.clone(), "the program"));
            for interpreter in &program.interpreters {
                automatic.push(Automatic::Exec(
                    interpreter.path.clone(),
                    interpreter.named.why(),
                ));
            }
            if !grants.has_preset(Preset::DynamicLoader) {
                automatic.push(Automatic::Preset(Preset::DynamicLoader));
            }
        }
        Ok(Plan {
            program,
            args: args.to_vec(),
            grants,
            automatic,
            environment,
            explicit: options.explicit,
        })
    }

    /// The options' grants and the automatic ones.
    fn all_grants(&self) -> Grants {
        let mut grants = self.grants.clone();
        for automatic in &self.automatic {
            match automatic {
                Automatic::Exec(path, _) => {
                    grants.add_path(Class::Exec, Target::Literal(path.clone()))
                }
                Automatic::Preset(preset) => grants.add_preset(*preset),
            }
        }
        grants
    }

    /// The policy of the run, prepared.
    fn policy(&self, broad: bool) -> Result<&'static Policy, Failure> {
        self.all_grants().policy(broad)
    }

    /// The command, with the environment the options ask for; its standard streams on
    /// `/dev/null` when `quiet`.
    fn command(&self, quiet: bool) -> Command {
        let mut command = Command::new(&self.program.path);
        command.args(&self.args);
        self.environment.apply(&mut command);
        if quiet {
            command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        }
        command
    }

    /// Runs the program under `policy` and waits for it. `Err` is a failure to set the sandbox
    /// up, or to find the program; `Ok(Err)` a start the kernel refused (the message says
    /// what the policy lacks).
    fn start(
        &self,
        policy: &'static Policy,
        supervisor: &Supervisor,
        quiet: bool,
    ) -> Result<Result<ExitStatus, String>, Failure> {
        let mut command = self.command(quiet);
        let child = match command.sandbox(policy).spawn() {
            Ok(child) => child,
            Err(e) => {
                return match messages::spawn_failure(&e, &self.program, policy, self.explicit) {
                    Failure::CannotExecute(message) => Ok(Err(message)),
                    failure => Err(failure),
                };
            }
        };
        supervisor
            .wait(child)
            .map(Ok)
            .map_err(|e| Failure::Setup(format!("waiting for the program: {e}")))
    }

    /// Restricts this process with `policy` and replaces it with the program: a plain run,
    /// which needs no supervision. Returns why the program did not start (126 for an exec the
    /// kernel denied, with what the policy lacks), or `None` when this process must stay to
    /// watch denials, before anything is restricted.
    fn exec(&self, policy: &'static Policy) -> Option<Failure> {
        let mut command = self.command(false);
        let error = command.sandbox(policy).exec();
        if error.kind() == std::io::ErrorKind::Unsupported {
            return None;
        }
        Some(messages::spawn_failure(
            &error,
            &self.program,
            policy,
            self.explicit,
        ))
    }

    /// What `--print-policy` prints: the policy, the automatic grants, the paths as resolved
    /// here, and what the kernel enforces.
    fn report(&self, policy: &Policy) -> String {
        use std::fmt::Write as _;
        // The policy's block, without the runner's own source location.
        let block = policy.to_string();
        let mut out = match &self.grants.config {
            Some(file) => format!("sandbox_run grants (with --config {})\n", file.display()),
            None => String::from("sandbox_run grants\n"),
        };
        out.push_str(block.split_once('\n').map_or("", |(_, rest)| rest));
        for a in &self.automatic {
            let _ = match a {
                Automatic::Exec(path, why) => {
                    writeln!(out, "  automatic exec {} ({why})", path.display())
                }
                Automatic::Preset(p) => writeln!(
                    out,
                    "  automatic preset {} (to start a dynamically linked program)",
                    p.name()
                ),
            };
        }
        for (_, path) in &self.grants.skipped {
            let _ = writeln!(
                out,
                "  skipped  {} (missing, --ignore-missing)",
                path.display()
            );
        }
        if let Some(granted) = policy.granted() {
            out.push_str("granted here:\n");
            for g in granted {
                let _ = writeln!(out, "  {:<8} {}", g.class().keyword(), g.path().display());
            }
        }
        if let Some(status) = policy.status() {
            // The status names the options' own optional paths; the presets' that are missing
            // here (each preset lists every layout's paths) are counted.
            let presets: Vec<_> = status
                .skipped
                .iter()
                .filter(|s| s.preset.is_some() && s.reason == SkipReason::Missing)
                .collect();
            let _ = write!(out, "the kernel: {status}");
            if !presets.is_empty() && status.level != Level::NotEnforced {
                let _ = write!(
                    out,
                    "; {} optional paths of presets not on this machine, skipped",
                    presets.len()
                );
            }
            out.push('\n');
        }
        let missing = messages::missing_to_start(&self.program, policy);
        if !missing.is_empty() {
            let _ = writeln!(
                out,
                "warning: `{}` cannot start under this policy: it lacks {}",
                self.program.path.display(),
                missing.join(", ")
            );
        }
        out
    }
}
