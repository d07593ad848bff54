//! The program to run: found as a shell finds it, checked before any sandbox is involved (so
//! that a file that could never run is not blamed on the policy), and what it needs to start
//! (its `#!` interpreters).

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Failure;

/// A program that can be started: its path, and the interpreters its `#!` line needs, in the
/// order the kernel starts them.
#[derive(Debug)]
pub(crate) struct Program {
    pub path: PathBuf,
    pub interpreters: Vec<Interpreter>,
    /// Whether it is an ELF file (which may need the loader).
    pub elf: bool,
}

/// An interpreter a program needs, and how it was found.
#[derive(Debug)]
pub(crate) struct Interpreter {
    /// Its path.
    pub path: PathBuf,
    /// How the program names it.
    pub named: Named,
}

/// How a program names its interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Named {
    /// On its `#!` line.
    Shebang,
    /// As `#!/usr/bin/env NAME`: NAME, found in the program's `PATH`.
    Env,
    /// Not at all: a file that is neither ELF nor `#!` is run by `/bin/sh` (the C library's
    /// `execvp` does so when the kernel does not know the format).
    Shell,
}

impl Named {
    /// Why the interpreter is granted, for `--print-policy`.
    pub(crate) fn why(self) -> &'static str {
        match self {
            Named::Shebang => "the program's interpreter",
            Named::Env => "the program's interpreter, found in PATH by #!/usr/bin/env",
            Named::Shell => "the shell that runs a program without #! or ELF header",
        }
    }
}

/// The shell the C library runs a file of unknown format with.
const SHELL: &str = "/bin/sh";

/// How many `#!` interpreters are followed (the kernel follows at most 4 more).
const INTERPRETER_DEPTH: usize = 5;

impl Program {
    /// Finds `program` (with a `/`, as typed; otherwise in this runner's `PATH`) and checks
    /// that it can be started: 127 when it (or an interpreter) is not found, 126 when it is a
    /// directory or not executable. `search` is the `PATH` the program gets, where
    /// `#!/usr/bin/env NAME` finds NAME.
    pub(crate) fn find(program: &OsStr, search: Option<&OsStr>) -> Result<Program, Failure> {
        let shown = program.to_string_lossy();
        let path = if program.as_bytes().contains(&b'/') {
            std::path::absolute(Path::new(program))
                .map_err(|e| Failure::NotFound(format!("`{shown}`: {e}")))?
        } else {
            in_path(program, std::env::var_os("PATH").as_deref())?
        };
        check_executable(&path, &shown)?;
        let mut interpreters: Vec<Interpreter> = Vec::new();
        let mut script = path.clone();
        // The start of the file the kernel starts last, read once each.
        let mut head = Head::of(&script);
        while interpreters.len() < INTERPRETER_DEPTH {
            let Some(line) = head.shebang() else { break };
            let Some(named) = interpreter_of(&line) else {
                break;
            };
            if !named.exists() {
                return Err(Failure::NotFound(format!(
                    "`{shown}`: its interpreter `{}` (the `#!` line of {}) does not exist",
                    named.display(),
                    script.display()
                )));
            }
            interpreters.push(Interpreter {
                path: named.clone(),
                named: Named::Shebang,
            });
            head = Head::of(&named);
            script = named;
            let Some(name) = env_program(&line) else {
                continue;
            };
            let found = in_path(name, search).map_err(|_| {
                Failure::NotFound(format!(
                    "`{shown}`: its interpreter `{}` (from `#!{}` in {}) is not found in PATH",
                    name.to_string_lossy(),
                    String::from_utf8_lossy(&line).trim(),
                    script.display()
                ))
            })?;
            interpreters.push(Interpreter {
                path: found.clone(),
                named: Named::Env,
            });
            head = Head::of(&found);
            script = found;
        }
        // What the kernel finally starts: the last interpreter, or the program.
        let mut elf = head.is_elf();
        if interpreters.is_empty() && !elf {
            interpreters.push(Interpreter {
                path: SHELL.into(),
                named: Named::Shell,
            });
            elf = Head::of(Path::new(SHELL)).is_elf();
        }
        Ok(Program {
            path,
            interpreters,
            elf,
        })
    }
}

/// The first executable file named `program` in the directories of `search`, as a shell
/// finds it: a file that is not executable is passed over, and reported (126) when no other
/// is found.
fn in_path(program: &OsStr, search: Option<&OsStr>) -> Result<PathBuf, Failure> {
    let shown = program.to_string_lossy();
    let mut not_executable = None;
    for dir in std::env::split_paths(search.unwrap_or_default()) {
        let candidate = std::path::absolute(dir.join(program)).unwrap_or(dir.join(program));
        if !candidate.is_file() {
            continue;
        }
        if executable(&candidate) {
            return Ok(candidate);
        }
        not_executable.get_or_insert(candidate);
    }
    match not_executable {
        Some(path) => Err(Failure::CannotExecute(format!(
            "`{}`: permission denied: not executable (and no other `{shown}` in PATH is)",
            path.display()
        ))),
        None => Err(Failure::NotFound(format!("`{shown}` not found in PATH"))),
    }
}

/// Whether the file has an execute bit (root may run a file with any of them).
fn executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| has_execute_bit(&m))
}

/// Whether it is a file with an execute bit.
fn has_execute_bit(metadata: &std::fs::Metadata) -> bool {
    metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
}

/// 127 for what does not exist, 126 for what can never be executed, sandbox or not: one
/// `stat`.
fn check_executable(path: &Path, shown: &str) -> Result<(), Failure> {
    let Ok(metadata) = path.metadata() else {
        return Err(Failure::NotFound(format!("`{shown}` not found")));
    };
    if metadata.is_dir() {
        return Err(Failure::CannotExecute(format!("`{shown}` is a directory")));
    }
    if !has_execute_bit(&metadata) {
        return Err(Failure::CannotExecute(format!(
            "`{shown}`: permission denied: not executable (chmod +x it, or run its interpreter)"
        )));
    }
    Ok(())
}

/// The first bytes of a file (none when it cannot be read): enough for its `#!` line and
/// its ELF header.
struct Head(Vec<u8>);

impl Head {
    fn of(path: &Path) -> Head {
        let mut head = vec![0u8; 256];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        head.truncate(n);
        Head(head)
    }

    /// The `#!` line, without `#!`, if it is a script.
    fn shebang(&self) -> Option<Vec<u8>> {
        let line = self.0.strip_prefix(b"#!")?;
        Some(line.split(|&b| b == b'\n').next()?.to_vec())
    }

    /// Whether it is an ELF file.
    fn is_elf(&self) -> bool {
        self.0.starts_with(b"\x7fELF")
    }
}

/// The interpreter a `#!` line names.
fn interpreter_of(line: &[u8]) -> Option<PathBuf> {
    let first = line
        .split(|b| b.is_ascii_whitespace())
        .find(|w| !w.is_empty())?;
    Some(PathBuf::from(OsStr::from_bytes(first)))
}

/// For a `#!` line that runs `env` (`#!/usr/bin/env [-S] [NAME=VALUE]... PROGRAM`), the
/// program `env` looks for in `PATH`: the first word that is neither an option nor a variable.
fn env_program(line: &[u8]) -> Option<&OsStr> {
    let mut words = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let interpreter = Path::new(OsStr::from_bytes(words.next()?));
    if interpreter.file_name() != Some(OsStr::new("env")) {
        return None;
    }
    words
        .find(|w| !w.starts_with(b"-") && !w.contains(&b'='))
        .map(OsStr::from_bytes)
}

/// The `PATH` the program gets: `--env PATH=...` when set, else this runner's (unless
/// `--clear-env` without `--env PATH`, when the system's default, as `env -i` uses).
pub(crate) fn search_path(environment: &crate::Environment) -> Option<OsString> {
    match environment.value(OsStr::new("PATH")) {
        Some(value) => Some(value),
        None if environment.clear => Some("/usr/local/bin:/usr/bin:/bin".into()),
        None => std::env::var_os("PATH"),
    }
}
