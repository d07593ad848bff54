//! `sandbox_run`: runs a program confined by Linux Landlock, with a policy given as options or
//! in a landlockconfig file (`--config`, the Landlock project's format); prints its denials as
//! they happen (`--log-denials`), learns the narrowest policy it needs (`--learn`), and writes
//! the policy for other tools (`--export json|toml`).
//!
//! ```text
//! cargo install --path sandbox-run
//! sandbox_run --read /etc -- cat /etc/hostname
//! ```
//!
//! The policy is the one of [`landlock_runtime::Policy`], built at run time from the options;
//! the program is started with [`landlock_runtime::SandboxCommandExt`], so this runner itself is never
//! restricted. `sandbox_run --help` lists every option and the exit statuses.

mod cli;
mod learn;

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use landlock_runtime::{Policy, PolicyBuilder, Preset, SandboxCommandExt, landlockconfig};

pub use cli::Options;

/// The runner's own failures, and the status each exits with.
#[derive(Debug)]
pub enum Failure {
    /// The sandbox could not be set up: 125.
    Setup(String),
    /// The program exists but could not be executed: 126.
    CannotExecute(String),
    /// The program was not found: 127.
    NotFound(String),
}

impl Failure {
    /// The exit status, as `env(1)` and `timeout(1)` use them.
    pub fn status(&self) -> u8 {
        match self {
            Failure::Setup(_) => 125,
            Failure::CannotExecute(_) => 126,
            Failure::NotFound(_) => 127,
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::Setup(m) | Failure::CannotExecute(m) | Failure::NotFound(m) => m,
        }
    }
}

/// Runs the command line `args` (the runner's name first) and returns the status to exit with.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> u8 {
    let options = match Options::parse_from_args(args) {
        Ok(options) => options,
        Err((message, code)) => {
            if code == 0 {
                print!("{message}");
            } else {
                eprint!("{message}");
            }
            return code;
        }
    };
    match run(&options) {
        Ok(status) => status,
        Err(failure) => {
            eprintln!("sandbox_run: {}", failure.message());
            failure.status()
        }
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
        let changes = landlock_runtime::denials::suggestions(file)
            .map_err(|e| Failure::Setup(format!("--suggest {}: {e}", Path::new(file).display())))?;
        if changes.is_empty() {
            println!("no denial recorded: nothing to change");
        }
        for change in changes {
            println!("{change}");
        }
        return Ok(0);
    }
    let Some((program, args)) = options.command.split_first() else {
        return Err(Failure::Setup(
            "no program to run: give it after the options, as in `sandbox_run --read /etc -- cat /etc/hostname` (see --help)".into(),
        ));
    };
    let program_path = find_program(program).ok_or_else(|| {
        Failure::NotFound(format!(
            "`{}` not found{}",
            program.to_string_lossy(),
            if Path::new(program).components().count() > 1 {
                String::new()
            } else {
                " in PATH".into()
            }
        ))
    })?;
    if options.learn {
        return learn::learn(options, &program_path, args);
    }
    let mut plan = Plan::new(options, &program_path)?;
    let policy = plan.build(options)?;
    if let Some(format) = &options.export {
        print!("{}", export(policy, format, program)?);
        return Ok(0);
    }
    if options.print_policy {
        print!("{}", plan.report(policy));
        return Ok(0);
    }
    let watcher = if options.log_denials {
        Some(
            landlock_runtime::denials::watch()
                .map_err(|e| Failure::Setup(format!("--log-denials: {e}")))?,
        )
    } else {
        None
    };
    let mut command = plan.command(options, &program_path, args);
    let printer = watcher.map(|watcher| learn::print_denials(watcher, policy));
    let status = command
        .sandbox(policy)
        .status()
        .map_err(|e| spawn_failure(program, &e))?;
    if let Some(printer) = printer {
        printer.finish();
    }
    Ok(exit_status(program, status))
}

/// The policy as a landlockconfig document in `format` (`json` or `toml`).
fn export(policy: &Policy, format: &str, program: &OsStr) -> Result<String, Failure> {
    let text = match format {
        "toml" => landlockconfig::to_toml(policy).map(|text| {
            // The runner's own source location means nothing to the reader: the program does.
            let body = text.split_once('\n').map_or("", |(_, body)| body);
            format!(
                "# sandbox_run's policy for `{}`, as a landlockconfig document\n{body}",
                program.to_string_lossy()
            )
        }),
        _ => landlockconfig::to_json(policy),
    };
    text.map_err(|e| {
        Failure::Setup(format!(
            "--export {format}: {}",
            for_the_command_line(&without_origin(&e.to_string()))
        ))
    })
}

/// The status the runner exits with for the program's: its code, or 128+N for signal N.
fn exit_status(program: &OsStr, status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => {
            eprintln!(
                "sandbox_run: `{}` was ended by signal {signal}",
                program.to_string_lossy()
            );
            (128 + signal) as u8
        }
        _ => 125,
    }
}

/// A spawn that failed: the sandbox could not be set up (125: the library's [`Error`] is the
/// source), or the program could not be executed (126), denied by the kernel or not a program.
fn spawn_failure(program: &OsStr, error: &std::io::Error) -> Failure {
    let setup = error
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|source| source.downcast_ref::<landlock_runtime::Error>());
    if let Some(error) = setup {
        return Failure::Setup(for_the_command_line_error(error));
    }
    let message = without_origin(&error.to_string())
        .replace(
            "`preset = \"dynamic_loader\"`",
            "drop --explicit or add --preset dynamic_loader",
        )
        .replace(
            "`landlock_runtime::exec::dependencies` lists them",
            "--print-policy lists them",
        );
    let message = if message.starts_with("starting ") {
        message
    } else {
        format!("starting `{}` failed: {message}", program.to_string_lossy())
    };
    Failure::CannotExecute(message)
}

/// The program's path: as typed when it has a `/` (made absolute), else the first match in
/// this runner's `PATH`, as a shell finds it.
fn find_program(program: &OsStr) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.components().count() > 1 || program.as_bytes().contains(&b'/') {
        let path = std::path::absolute(path).ok()?;
        return path.exists().then_some(path);
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .map(|p| std::path::absolute(&p).unwrap_or(p))
}

/// The interpreter a `#!` script names, if `program` is one.
fn interpreter(program: &Path) -> Option<PathBuf> {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(program).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let interpreter = line
        .split(|b| b.is_ascii_whitespace())
        .find(|word| !word.is_empty())?;
    Some(PathBuf::from(OsStr::from_bytes(interpreter)))
}

/// One grant the runner adds by itself, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Automatic {
    /// `exec` on this path.
    Exec(PathBuf, &'static str),
    /// This preset.
    Preset(Preset),
}

/// What the sandbox grants: the options, and the automatic grants.
struct Plan {
    automatic: Vec<Automatic>,
    /// Paths skipped by --ignore-missing.
    missing: Vec<PathBuf>,
    /// The landlockconfig file the policy starts from, for the report.
    config: Option<String>,
}

impl Plan {
    fn new(options: &Options, program: &Path) -> Result<Plan, Failure> {
        let mut automatic = Vec::new();
        if !options.explicit {
            automatic.push(Automatic::Exec(program.to_path_buf(), "the program"));
            if let Some(interpreter) = interpreter(program) {
                automatic.push(Automatic::Exec(interpreter, "the program's interpreter"));
            }
            if !options
                .preset
                .iter()
                .any(|p| p == Preset::DynamicLoader.name())
            {
                automatic.push(Automatic::Preset(Preset::DynamicLoader));
            }
        }
        Ok(Plan {
            automatic,
            missing: Vec::new(),
            config: options
                .config
                .as_ref()
                .map(|file| Path::new(file).display().to_string()),
        })
    }

    /// The policy: the options' grants, then the automatic ones.
    fn build(&mut self, options: &Options) -> Result<&'static Policy, Failure> {
        let base = match &options.config {
            Some(file) => landlockconfig::Import::new("sandbox_run")
                .ignore_missing(options.ignore_missing)
                .file(file)
                .map_err(|e| Failure::Setup(format!("--config: {e}")))?,
            None => Policy::builder("sandbox_run"),
        };
        let (builder, missing) = grants_of(options, base)?;
        self.missing = missing;
        let builder = self.automatic.iter().fold(builder, |b, a| match a {
            Automatic::Exec(path, _) => b.exec_path(path),
            Automatic::Preset(preset) => b.preset(*preset),
        });
        let policy = builder.build().map_err(|e| {
            let mut message = without_origin(&e.to_string());
            if options.config.is_some() {
                // Unrestricted TCP the options did not ask for comes from the file.
                for (kind, option, right) in [
                    ("connect", &options.connect, "connect_tcp"),
                    ("bind", &options.bind, "bind_tcp"),
                ] {
                    if !option.iter().any(|p| p == "*") {
                        message = message.replace(
                            &format!("{kind}_any()"),
                            &format!("--config (it does not handle {right})"),
                        );
                    }
                }
            }
            Failure::Setup(for_the_command_line(&message))
        })?;
        let policy: &'static Policy = Box::leak(Box::new(policy));
        policy
            .prepare()
            .map_err(|e| Failure::Setup(for_the_command_line_error(&e)))?;
        Ok(policy)
    }

    /// The command, with the environment the options ask for.
    fn command(&self, options: &Options, program: &Path, args: &[OsString]) -> Command {
        let mut command = Command::new(program);
        command.args(args);
        if options.clear_env {
            command.env_clear();
        }
        for entry in &options.env {
            let bytes = entry.as_bytes();
            match bytes.iter().position(|&b| b == b'=') {
                Some(at) => {
                    command.env(
                        OsStr::from_bytes(&bytes[..at]),
                        OsStr::from_bytes(&bytes[at + 1..]),
                    );
                }
                None => {
                    if let Some(value) = std::env::var_os(entry) {
                        command.env(entry, value);
                    }
                }
            }
        }
        command
    }

    /// What `--print-policy` prints: the policy, the automatic grants, the paths as resolved
    /// here, and what the kernel enforces.
    fn report(&self, policy: &Policy) -> String {
        use std::fmt::Write as _;
        // The policy's block, without the runner's own source location.
        let block = policy.to_string();
        let mut out = match &self.config {
            Some(file) => format!("sandbox_run grants (with --config {file})\n"),
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
        for path in &self.missing {
            let _ = writeln!(
                out,
                "  skipped  {} (missing, --ignore-missing)",
                path.display()
            );
        }
        if let Some(granted) = policy.granted() {
            out.push_str("granted here:\n");
            for g in granted {
                let _ = writeln!(out, "  {:<8} {}", g.class.keyword(), g.path.display());
            }
        }
        if let Some(status) = policy.status() {
            let _ = writeln!(out, "the kernel: {status}");
        }
        out
    }
}

/// The options' grants added to `builder`; also the paths skipped by `--ignore-missing`.
fn grants_of(
    options: &Options,
    mut builder: PolicyBuilder,
) -> Result<(PolicyBuilder, Vec<PathBuf>), Failure> {
    let mut missing = Vec::new();
    for (values, class) in [
        (&options.read, landlock_runtime::Class::Read),
        (&options.write, landlock_runtime::Class::Write),
        (&options.exec, landlock_runtime::Class::Exec),
    ] {
        for value in values {
            builder = if value.as_bytes().starts_with(b"$") {
                // A template: its variables come from this runner's environment.
                let template = value.to_str().ok_or_else(|| {
                    Failure::Setup(format!(
                        "--{}: `{}` starts with $ but is not UTF-8",
                        class.keyword(),
                        value.to_string_lossy()
                    ))
                })?;
                match class {
                    landlock_runtime::Class::Read => builder.read(template),
                    landlock_runtime::Class::Write => builder.write(template),
                    landlock_runtime::Class::Exec => builder.exec(template),
                }
            } else {
                let path = std::path::absolute(Path::new(value)).map_err(|e| {
                    Failure::Setup(format!(
                        "--{}: {}: {e}",
                        class.keyword(),
                        value.to_string_lossy()
                    ))
                })?;
                if options.ignore_missing && !path.exists() {
                    missing.push(path);
                    continue;
                }
                match class {
                    landlock_runtime::Class::Read => builder.read_path(&path),
                    landlock_runtime::Class::Write => builder.write_path(&path),
                    landlock_runtime::Class::Exec => builder.exec_path(&path),
                }
            };
        }
    }
    for (values, bind) in [(&options.connect, false), (&options.bind, true)] {
        let option = if bind { "--bind" } else { "--connect" };
        for value in values {
            builder = match (value.as_str(), bind) {
                ("*", false) => builder.connect_any(),
                ("*", true) => builder.bind_any(),
                (v, _) => {
                    let port = v.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| {
                        Failure::Setup(format!(
                            "{option} {v}: expected a TCP port (1 to 65535), or * for any port"
                        ))
                    })?;
                    if bind {
                        builder.bind(port)
                    } else {
                        builder.connect(port)
                    }
                }
            };
        }
    }
    for name in &options.preset {
        let preset = Preset::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = landlock_runtime::PRESETS.iter().map(|p| p.name()).collect();
            Failure::Setup(format!(
                "--preset {name}: no such preset; the presets are {}",
                names.join(", ")
            ))
        })?;
        builder = builder.preset(preset);
    }
    if options.allow_signals {
        builder = builder.allow_signals();
    }
    if options.allow_abstract_unix_sockets {
        builder = builder.allow_abstract_unix_sockets();
    }
    if options.strict {
        builder = builder.strict();
    }
    if options.broad {
        builder = builder.broad();
    }
    Ok((builder, missing))
}

/// The library's messages name its builder methods; on the command line, the options.
fn for_the_command_line(message: &str) -> String {
    message
        .replace(
            "acknowledge it with `.broad()`",
            "acknowledge it with --broad",
        )
        .replace("`.broad()` acknowledges", "--broad acknowledges")
        .replace("connect_any()", "--connect *")
        .replace("bind_any()", "--bind *")
        .replace(
            "end the path with `?` to skip it when missing",
            "use --ignore-missing to skip it",
        )
        .replace(
            "create it, or grant a path that exists",
            "create it, or use --ignore-missing to skip it",
        )
}

/// An error of the library, for the command line: without the runner's own source location,
/// with the options' names.
fn for_the_command_line_error(error: &landlock_runtime::Error) -> String {
    for_the_command_line(&without_origin(&error.to_string()))
}

/// A message without the runner's own sandbox named at its start: on the command line, the
/// sandbox is the options'.
fn without_origin(text: &str) -> String {
    match text.split_once("): ") {
        Some((origin, rest)) if origin.starts_with("sandbox `sandbox_run` (") => rest.to_owned(),
        _ => text.to_owned(),
    }
}

/// How long the denials of a program that just ended may still take to arrive.
pub(crate) const DRAIN: Duration = Duration::from_millis(300);

/// Runs `command` with its standard streams on `/dev/null`.
pub(crate) fn quietly(command: &mut Command) -> &mut Command {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}
