//! The options' grants, typed: what `--read`, `--write`, `--exec`, the ports, the presets and
//! the flags say, checked once. The same value builds the policy of a run, is the starting
//! point of learning, and is printed back as options or as the policy language.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use landlock_runtime::{Class, Policy, PolicyBuilder, Preset, landlockconfig};
use landlock_template::{Base, DotDot, PathTemplate};

use crate::Failure;
use crate::cli::Options;
use crate::shell::quote;

/// The path of a grant, as the options gave it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// A template of the policy language (it starts with `$`), resolved by the library from
    /// this runner's environment.
    Template(String),
    /// A path taken literally, made absolute against the current directory.
    Literal(PathBuf),
}

/// TCP ports in one direction: `*`, or these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ports {
    /// `*`: any port.
    pub any: bool,
    /// These ports.
    pub listed: BTreeSet<u16>,
}

/// Everything the options grant, and the flags that shape the policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grants {
    /// Path grants, in the order given, once each.
    pub paths: Vec<(Class, Target)>,
    /// Paths that `--ignore-missing` left out, because they do not exist.
    pub skipped: Vec<(Class, PathBuf)>,
    /// `--preset`, once each.
    pub presets: Vec<Preset>,
    /// `--connect`.
    pub connect: Ports,
    /// `--bind`.
    pub bind: Ports,
    /// `--allow-signals`.
    pub allow_signals: bool,
    /// `--allow-abstract-unix-sockets`.
    pub allow_abstract_unix_sockets: bool,
    /// `--strict`.
    pub strict: bool,
    /// `--ignore-missing`: printed back with the grants.
    pub ignore_missing: bool,
    /// `--config`: the landlockconfig file the policy starts from, made absolute.
    pub config: Option<PathBuf>,
    /// The parts of values split at their commas, each with its option and whole value: a
    /// part must exist (unless `--ignore-missing`), which the preparation checks as it opens
    /// it, and a missing one is named with the value it came from.
    pub split: Vec<SplitPart>,
}

/// One part of a value of a path option that was split at its commas.
#[derive(Clone, Debug)]
pub(crate) struct SplitPart {
    option: &'static str,
    value: OsString,
    path: PathBuf,
}

impl Grants {
    /// The options' grants, or the first mistake in them.
    pub(crate) fn from_options(options: &Options) -> Result<Grants, Failure> {
        let mut grants = Grants {
            strict: options.strict,
            ignore_missing: options.ignore_missing,
            allow_signals: options.allow_signals,
            allow_abstract_unix_sockets: options.allow_abstract_unix_sockets,
            config: options
                .config
                .as_deref()
                .map(|file| std::path::absolute(file).unwrap_or_else(|_| file.into())),
            ..Grants::default()
        };
        let lists: [(&[OsString], &str, &[Class]); 4] = [
            (&options.read, "--read", &[Class::Read]),
            (&options.write, "--write", &[Class::Write]),
            (&options.exec, "--exec", &[Class::Exec]),
            (&options.rwx, "--rwx", &[Class::Write, Class::Exec]),
        ];
        for (values, option, classes) in lists {
            for value in values {
                for target in targets(option, value, options.ignore_missing, &mut grants.split)? {
                    for &class in classes {
                        match &target {
                            Found::Grant(target) => grants.add_path(class, target.clone()),
                            Found::Missing(path) => grants.skipped.push((class, path.clone())),
                        }
                    }
                }
            }
        }
        for (values, option, ports) in [
            (&options.connect, "--connect", &mut grants.connect),
            (&options.bind, "--bind", &mut grants.bind),
        ] {
            for value in values {
                match value.as_str() {
                    "*" => ports.any = true,
                    v => {
                        let port = v.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| {
                            Failure::Setup(format!(
                                "{option} {v}: expected a TCP port (1 to 65535), or * for any port"
                            ))
                        })?;
                        ports.listed.insert(port);
                    }
                }
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
            grants.add_preset(preset);
        }
        Ok(grants)
    }

    /// Adds a path grant, once.
    pub(crate) fn add_path(&mut self, class: Class, target: Target) {
        if !self.paths.contains(&(class, target.clone())) {
            self.paths.push((class, target));
        }
    }

    /// Adds a preset, once.
    pub(crate) fn add_preset(&mut self, preset: Preset) {
        if !self.presets.contains(&preset) {
            self.presets.push(preset);
        }
    }

    /// Whether these grants name `preset`.
    pub(crate) fn has_preset(&self, preset: Preset) -> bool {
        self.presets.contains(&preset)
    }

    /// The policy of these grants, prepared; acknowledged as broad when `broad` says so.
    pub(crate) fn policy(&self, broad: bool) -> Result<&'static Policy, Failure> {
        let mut builder = self.builder()?;
        if broad {
            builder = builder.broad();
        }
        let policy = builder
            .build()
            .map_err(|e| Failure::Setup(self.build_error(&e)))?;
        let policy: &'static Policy = Box::leak(Box::new(policy));
        policy
            .prepare()
            .map_err(|e| Failure::Setup(self.prepare_error(&e)))?;
        Ok(policy)
    }

    /// Why the library refuses to prepare the policy of these grants, when it builds: what
    /// only the running system tells, such as a path that is a broad place by another name.
    /// `None` when it prepares, or does not build.
    pub(crate) fn refused_when_prepared(&self) -> Option<String> {
        let policy = self.builder().ok()?.build().ok()?;
        let refused = policy.prepare().err()?;
        Some(self.prepare_error(&refused))
    }

    /// The library's refusal to prepare, for the command line: a missing part of a value
    /// split at its commas is named with the value, and why it was split.
    fn prepare_error(&self, error: &landlock_runtime::Error) -> String {
        if let landlock_runtime::ErrorKind::MissingPath { path, .. } = error.kind()
            && let Some(part) = self.split.iter().find(|part| &part.path == path)
        {
            return format!(
                "{} {}: `{}` does not exist (no file has the whole name, so the value was split at its commas); create it, or use --ignore-missing to skip it",
                part.option,
                quote(&part.value),
                path.display()
            );
        }
        crate::messages::library_error(error)
    }

    /// Whether these grants build a policy only with `broad`: they hold a broad grant.
    pub(crate) fn needs_broad(&self) -> bool {
        let builds = |broad: bool| {
            self.builder()
                .is_ok_and(|b| if broad { b.broad() } else { b }.build().is_ok())
        };
        !builds(false) && builds(true)
    }

    /// Why the policy could not be built, for the command line: unrestricted TCP that the
    /// options did not ask for comes from the `--config` file, which does not handle it.
    fn build_error(&self, error: &landlock_runtime::Error) -> String {
        let mut message = crate::messages::library_error(error);
        if self.config.is_some() {
            for (option, ports, right) in [
                ("--connect *", &self.connect, "connect_tcp"),
                ("--bind *", &self.bind, "bind_tcp"),
            ] {
                if !ports.any {
                    message =
                        message.replace(option, &format!("--config (it does not handle {right})"));
                }
            }
        }
        message
    }

    /// A builder with every grant and flag but `broad`: the `--config` file's policy, if any,
    /// and the options'.
    fn builder(&self) -> Result<PolicyBuilder, Failure> {
        let mut builder = match &self.config {
            Some(file) => landlockconfig::Import::new("sandbox_run")
                .ignore_missing(self.ignore_missing)
                .file(file)
                .map_err(|e| Failure::Setup(format!("--config: {e}")))?,
            None => Policy::builder("sandbox_run"),
        };
        for (class, target) in &self.paths {
            builder = match (target, class) {
                (Target::Template(t), Class::Read) => builder.read(t.as_str()),
                (Target::Template(t), Class::Write) => builder.write(t.as_str()),
                (Target::Template(t), _) => builder.exec(t.as_str()),
                (Target::Literal(p), Class::Read) => builder.read_path(p),
                (Target::Literal(p), Class::Write) => builder.write_path(p),
                (Target::Literal(p), _) => builder.exec_path(p),
            };
        }
        for preset in &self.presets {
            builder = builder.preset(*preset);
        }
        if self.connect.any {
            builder = builder.connect_any();
        }
        for port in &self.connect.listed {
            builder = builder.connect(*port);
        }
        if self.bind.any {
            builder = builder.bind_any();
        }
        for port in &self.bind.listed {
            builder = builder.bind(*port);
        }
        if self.allow_signals {
            builder = builder.allow_signals();
        }
        if self.allow_abstract_unix_sockets {
            builder = builder.allow_abstract_unix_sockets();
        }
        if self.strict {
            builder = builder.strict();
        }
        Ok(builder)
    }

    /// These grants as this runner's options, each value quoted for a POSIX shell, in an order
    /// that reads back to the same grants.
    pub(crate) fn as_options(&self, broad: bool) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(file) = &self.config {
            out.push(format!("--config {}", quote(file.as_os_str())));
        }
        for class in [Class::Read, Class::Write, Class::Exec] {
            for target in self.targets(class) {
                let text = match target {
                    Target::Template(t) => quote(OsStr::new(t)),
                    Target::Literal(p) => quote(p.as_os_str()),
                };
                out.push(format!("--{} {text}", class.keyword()));
            }
        }
        if !self.presets.is_empty() {
            let names: Vec<&str> = self.presets.iter().map(|p| p.name()).collect();
            out.push(format!("--preset {}", names.join(",")));
        }
        for (option, ports) in [("--connect", &self.connect), ("--bind", &self.bind)] {
            let mut values: Vec<String> = ports.listed.iter().map(u16::to_string).collect();
            if ports.any {
                values.push("'*'".into());
            }
            if !values.is_empty() {
                out.push(format!("{option} {}", values.join(",")));
            }
        }
        for (on, flag) in [
            (self.allow_signals, "--allow-signals"),
            (
                self.allow_abstract_unix_sockets,
                "--allow-abstract-unix-sockets",
            ),
            (self.strict, "--strict"),
            (self.ignore_missing, "--ignore-missing"),
            (broad, "--broad"),
        ] {
            if on {
                out.push(flag.into());
            }
        }
        out
    }

    /// These grants as items of the policy language (`read = "/etc"`, `connect = 443`, ...),
    /// and the literal paths it cannot say (a `?` at the end, a `$`, `.` or `..`, bytes that
    /// are not UTF-8), which need the builder's `read_path`, `write_path` or `exec_path`.
    pub(crate) fn as_policy_items(&self, broad: bool) -> (Vec<String>, Vec<(Class, PathBuf)>) {
        let mut items = Vec::new();
        let mut literal_only = Vec::new();
        let list = |values: Vec<String>| -> String {
            match values.as_slice() {
                [one] => one.clone(),
                _ => format!("[{}]", values.join(", ")),
            }
        };
        for class in [Class::Read, Class::Write, Class::Exec] {
            let mut values = Vec::new();
            for target in self.targets(class) {
                match target {
                    Target::Template(t) => values.push(format!("{t:?}")),
                    Target::Literal(p) => match as_template(p) {
                        Some(t) => values.push(format!("{t:?}")),
                        None => literal_only.push((class, p.clone())),
                    },
                }
            }
            if !values.is_empty() {
                items.push(format!("{} = {}", class.keyword(), list(values)));
            }
        }
        if !self.presets.is_empty() {
            let names = self.presets.iter().map(|p| format!("{:?}", p.name()));
            items.push(format!("preset = {}", list(names.collect())));
        }
        for (key, ports) in [("connect", &self.connect), ("bind", &self.bind)] {
            if ports.any {
                items.push(format!("{key} = \"*\""));
            } else if !ports.listed.is_empty() {
                let values = ports.listed.iter().map(u16::to_string);
                items.push(format!("{key} = {}", list(values.collect())));
            }
        }
        for (on, flag) in [
            (self.allow_signals, "allow_signals"),
            (
                self.allow_abstract_unix_sockets,
                "allow_abstract_unix_sockets",
            ),
            (self.strict, "strict"),
            (broad, "broad"),
        ] {
            if on {
                items.push(flag.into());
            }
        }
        (items, literal_only)
    }

    /// The targets granted `class`.
    fn targets(&self, class: Class) -> impl Iterator<Item = &Target> {
        self.paths
            .iter()
            .filter(move |(c, _)| *c == class)
            .map(|(_, t)| t)
    }
}

/// What one value of a path option gives.
enum Found {
    Grant(Target),
    /// A path that does not exist, skipped under `--ignore-missing`.
    Missing(PathBuf),
}

/// The targets of one value of a path option. A value is taken whole when it names a path
/// that exists (a file may have a comma in its name), and as a comma-separated list otherwise;
/// then each part must exist, unless `--ignore-missing`, so that a part is never granted in
/// place of the whole: the preparation, which opens each path, says when one does not, and
/// the parts are added to `split` for the message. A template is taken whole when it resolves
/// to a path that exists here. Under `--ignore-missing`, a template is made optional (a
/// trailing `?`), and a path that does not exist is left out.
fn targets(
    option: &'static str,
    value: &OsStr,
    ignore_missing: bool,
    split_parts: &mut Vec<SplitPart>,
) -> Result<Vec<Found>, Failure> {
    let parts: Vec<&OsStr> = if !value.as_bytes().contains(&b',') || exists(value)? {
        vec![value]
    } else {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .map(OsStr::from_bytes)
            .collect()
    };
    let split = parts.len() > 1;
    let mut found = Vec::new();
    for part in parts {
        if part.is_empty() {
            return Err(Failure::Setup(format!(
                "{option} {}: an empty path (the value is split at its commas unless a file has that whole name)",
                quote(value)
            )));
        }
        if part.as_bytes().starts_with(b"$") {
            let template = part.to_str().ok_or_else(|| {
                Failure::Setup(format!(
                    "{option} {}: a template (it starts with $) must be UTF-8",
                    quote(part)
                ))
            })?;
            let optional = ignore_missing && !template.ends_with('?');
            let template = if optional {
                format!("{template}?")
            } else {
                template.to_owned()
            };
            found.push(Found::Grant(Target::Template(template)));
            continue;
        }
        let path = std::path::absolute(Path::new(part))
            .map(|path| one_spelling(&path))
            .map_err(|e| Failure::Setup(format!("{option} {}: {e}", quote(part))))?;
        if ignore_missing && !path.exists() {
            found.push(Found::Missing(path));
            continue;
        }
        // A path that does not exist: the library says so when it prepares the policy, as it
        // says it of a template.
        if split {
            split_parts.push(SplitPart {
                option,
                value: value.to_owned(),
                path: path.clone(),
            });
        }
        found.push(Found::Grant(Target::Literal(path)));
    }
    Ok(found)
}

/// `path` in the one spelling the library checks and opens (`//etc/` is `/etc`; `..` kept, for
/// the kernel), so that the grants, their dedup and what is printed back see one path.
fn one_spelling(path: &Path) -> PathBuf {
    let bytes = landlock_template::normalize_bytes(path.as_os_str().as_bytes(), DotDot::Keep);
    PathBuf::from(OsString::from_vec(bytes.into_owned()))
}

/// Whether a value of a path option names a path that exists: as a literal path, or as a
/// template resolved here.
fn exists(value: &OsStr) -> Result<bool, Failure> {
    if !value.as_bytes().starts_with(b"$") {
        return Ok(Path::new(value).exists());
    }
    let Some(template) = value.to_str() else {
        return Ok(false);
    };
    let Ok(policy) = Policy::builder("sandbox_run").read(template).build() else {
        return Ok(false);
    };
    Ok(policy
        .prepare()
        .is_ok_and(|status| status.skipped.is_empty()))
}

/// `path` as a template of the policy language that means exactly it, if there is one.
pub(crate) fn as_template(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    let template = PathTemplate::parse(text).ok()?;
    (template.base() == Base::Root && !template.is_optional()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_the_policy_language_means_literally_are_templates() {
        assert_eq!(as_template(Path::new("/srv/in")), Some("/srv/in"));
        for path in ["/srv/what?", "/srv/price$1", "/srv/./x", "/srv/../x"] {
            assert_eq!(as_template(Path::new(path)), None, "{path}");
        }
    }
}
