//! The command line: every option, with one line of help each.

use std::ffi::OsString;

use clap::Parser;

/// The paths, the automatic grants, the exit statuses and examples, after the options in
/// `--help`.
const AFTER_HELP: &str = "\
Paths:
  A path is taken as typed; a relative one is made absolute against the current directory.
  One that starts with $ is a template of the policy language: $HOME, $TMP, $CWD, ${NAME}, read
  from this runner's environment, and a trailing ? makes it optional. A value with commas is
  a list (--read a,b), unless a file has that whole name (a file named `a,b`); each part of a
  list must exist, unless --ignore-missing. Options may be repeated. A path under both --write
  and --exec gets both. landrun's --ro, --rw, --rox and --rwx are accepted too.

Automatic grants:
  Unless --explicit, the program gets exec on itself (and on the interpreters of a #! script,
  #!/usr/bin/env NAME included; on /bin/sh for a file with neither #! nor an ELF header, which
  the C library runs with it) and the dynamic_loader preset; --print-policy shows them. The
  loader runs any ELF file it can read (`ld.so FILE`), and Landlock does not check what is
  mapped executable: where the loader is granted, a directory granted only --read or --write
  is not protected from running the ELF files in it (--exec limits execve, not what code runs).

Learning:
  --learn runs PROGRAM several times, once without a sandbox (to know the status it ends with),
  with its standard streams on /dev/null: learn on inputs whose side effects may be repeated.
  It says so on standard error before that run; --expect-status N gives the status instead,
  and then nothing runs unconfined. It never grants a broad path (/, $HOME, a top-level
  directory) unless --broad is given. When each run still changes the grants after 12 runs,
  it gives up: the policy is NOT verified (status 1), and no further run is made.

Policy files:
  --config takes a landlockconfig file (JSON or TOML, the Landlock project's format, as island
  and llconfig read it); the other options add to what it grants, and the same checks apply.
  --export json|toml prints the policy the options give (automatic grants included) in that
  format, for those tools; with --learn, the learned policy (the learning's report then goes
  to standard error).

Exit statuses (as env(1) and timeout(1) use them):
  125      the sandbox could not be set up (a bad option, a missing path, --strict on an older
           kernel, denials that cannot be watched)
  126      the program exists but could not be executed (including an exec the sandbox denied)
  127      the program was not found
  128+N    the program was ended by signal N
  other    the program's own status
  With --learn: 0 when the learned policy is verified, 1 when it is not (125, 126, 127 as above).
  A plain run restricts the runner and execs PROGRAM in its place: a signal sent to the runner
  is the program's, and a program ended by signal N ends it by N (128+N in a shell). With
  --log-denials or --learn the runner stays as the program's parent: it passes SIGTERM,
  SIGINT, SIGHUP and SIGQUIT on, and exits 128+N.

Examples:
  sandbox_run --read /etc -- cat /etc/hostname
  sandbox_run --explicit --exec /usr/bin,/usr/lib,/lib64 --read . --write out -- make
  sandbox_run --learn -- sort data.txt -o sorted.txt
  sandbox_run --config policy.toml --read /srv/data -- ./report";

/// Run a program confined by Linux Landlock: it reaches only what the options grant.
#[derive(Debug, Parser)]
#[command(
    name = "sandbox_run",
    version,
    after_help = AFTER_HELP,
    override_usage = "sandbox_run [OPTIONS] [--] PROGRAM [ARGS]..."
)]
pub(crate) struct Options {
    /// Allow reading files and listing directories beneath PATH
    #[arg(long, alias = "ro", value_name = "PATH")]
    pub read: Vec<OsString>,

    /// Allow read, and creating, writing, truncating, removing, renaming beneath PATH
    #[arg(long, alias = "rw", value_name = "PATH")]
    pub write: Vec<OsString>,

    /// Allow read, and executing beneath PATH
    #[arg(long, alias = "rox", value_name = "PATH")]
    pub exec: Vec<OsString>,

    /// landrun's --rwx: --write and --exec on PATH
    #[arg(long, value_name = "PATH", hide = true)]
    pub rwx: Vec<OsString>,

    /// Start from the policy of a landlockconfig FILE (JSON or TOML); the options add to it
    #[arg(long, value_name = "FILE", conflicts_with = "learn")]
    pub config: Option<OsString>,

    /// Allow TCP connect to PORT (or * for any port)
    #[arg(long, value_name = "PORT", value_delimiter = ',')]
    pub connect: Vec<String>,

    /// Allow TCP bind to PORT (or * for any port, which binding port 0 needs)
    #[arg(long, value_name = "PORT", value_delimiter = ',')]
    pub bind: Vec<String>,

    /// Add a preset: dynamic_loader, locale, dns, tls_roots, devices, cpu_info
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub preset: Vec<String>,

    /// Allow signals to processes outside the sandbox
    #[arg(long)]
    pub allow_signals: bool,

    /// Allow connecting to abstract unix sockets created outside the sandbox
    #[arg(long)]
    pub allow_abstract_unix_sockets: bool,

    /// Fail (125) instead of running when the kernel cannot enforce all of the policy
    #[arg(long)]
    pub strict: bool,

    /// Acknowledge a broad grant (--read /, --write $HOME, ...), refused otherwise
    #[arg(long)]
    pub broad: bool,

    /// Grant only what the options say: no exec on the program or its interpreters, no
    /// dynamic_loader preset (the loader runs any ELF file it can read)
    #[arg(long)]
    pub explicit: bool,

    /// Skip a path that does not exist instead of failing
    #[arg(long)]
    pub ignore_missing: bool,

    /// Start the program with an empty environment (then --env adds to it)
    #[arg(long)]
    pub clear_env: bool,

    /// Pass variable KEY through, or set KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY[=VALUE]")]
    pub env: Vec<OsString>,

    /// Print what the sandbox grants (automatic grants included), and exit without running
    #[arg(long, conflicts_with_all = ["log_denials", "learn"])]
    pub print_policy: bool,

    /// Print the policy as a landlockconfig document (json or toml), and exit without running
    /// (with --learn: the learned policy, after learning)
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "toml"], conflicts_with_all = ["print_policy", "log_denials"])]
    pub export: Option<String>,

    /// Print the program's denials as they happen (needs root: CAP_AUDIT_READ; and audit on)
    #[arg(long, conflicts_with = "learn")]
    pub log_denials: bool,

    /// Learn the narrowest policy the program needs from its denials, and print it; runs
    /// PROGRAM several times, once without a sandbox unless --expect-status (needs root, as
    /// --log-denials)
    #[arg(long)]
    pub learn: bool,

    /// With --learn, grant a directory instead of more than 8 files denied in it
    #[arg(long, requires = "learn")]
    pub learn_directories: bool,

    /// With --learn, the status (0-255) PROGRAM ends with when it works: the learned policy is
    /// verified against it, and PROGRAM never runs without a sandbox
    #[arg(long, value_name = "N", requires = "learn")]
    pub expect_status: Option<u8>,

    /// Print the policy changes a learning file suggests (a program run with
    /// LANDLOCK_SANDBOX_LEARN=FILE records its sandboxes' denials there), and exit
    #[arg(long, value_name = "FILE", conflicts_with_all = ["learn", "print_policy", "log_denials", "command"])]
    pub suggest: Option<OsString>,

    /// Turn the kernel's audit on (as auditctl -e 1; root), so that denials are reported
    #[arg(long)]
    pub enable_audit: bool,

    /// The program and its arguments
    #[arg(value_name = "PROGRAM", trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

impl Options {
    /// Parses `args` (the program name first); `Err` is the message and the status to exit
    /// with (0 for `--help` and `--version`, 125 for a mistake).
    pub(crate) fn parse_from_args(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<Options, (String, u8)> {
        Options::try_parse_from(args).map_err(|e| {
            let code = if e.use_stderr() { 125 } else { 0 };
            (e.render().to_string(), code)
        })
    }
}
