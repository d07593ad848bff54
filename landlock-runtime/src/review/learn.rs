//! Learning from denials: a program run with `LANDLOCK_SANDBOX_LEARN=FILE` appends each denial
//! attributed to one of its sandboxes to `FILE`, one JSON object a line (written by
//! `audit::learning_file`); [`suggestions`] turns the file into the changes each sandbox would
//! need, in the words of the lock file, for a person to review and apply.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::Path;

use serde_json::Value;

use super::lock::{Change, Direction};

/// A change a learning file suggests, in the words of the lock file.
///
/// ```
/// use landlock_runtime::denials::{self, LearnedChange};
/// use landlock_runtime::lock::Direction;
///
/// // One line of a learning file, as `LANDLOCK_SANDBOX_LEARN` writes it, fields not read left out.
/// let file = std::env::temp_dir().join(format!("landlock-learned-{}.jsonl", std::process::id()));
/// std::fs::write(&file, r#"{"sandbox":{"function":"app::fetch"},"allow":[{"connect":443}]}"#)?;
/// let changes: Vec<LearnedChange> = denials::suggestions(&file)?;
/// assert_eq!(changes[0].direction, Direction::Widening);
/// assert_eq!(changes[0].to_string(), "widening   app::fetch: TCP connect to port 443");
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type LearnedChange = Change;

/// The changes each sandbox would need to allow what a learning file recorded (written by a
/// program run with `LANDLOCK_SANDBOX_LEARN=FILE`), every one a widening, per sandbox in the
/// order of their functions, once each. Denials that no change of the policy language allows
/// (a mount, a trace) are listed as such.
///
/// ```no_run
/// for change in landlock_runtime::denials::suggestions("denials.jsonl")? {
///     // widening   app::worker: grants read on `/etc/app.toml`
///     println!("{change}");
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn suggestions(file: impl AsRef<Path>) -> io::Result<Vec<LearnedChange>> {
    let file = std::fs::File::open(file)?;
    let mut by_site: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in io::BufReader::new(file).lines() {
        let line = line?;
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let function = entry["sandbox"]["function"]
            .as_str()
            .unwrap_or("(not attributed)")
            .to_owned();
        for allow in entry["allow"].as_array().into_iter().flatten() {
            let what = describe(allow);
            let list = by_site.entry(function.clone()).or_default();
            if !list.contains(&what) {
                list.push(what);
            }
        }
    }
    Ok(by_site
        .into_iter()
        .flat_map(|(function, changes)| {
            changes.into_iter().map(move |what| Change {
                direction: Direction::Widening,
                function: function.clone(),
                what,
            })
        })
        .collect())
}

/// An allow item, as the lock file says a change.
fn describe(allow: &Value) -> String {
    if let (Some(class), Some(path)) = (allow["grant"].as_str(), allow["path"].as_str()) {
        return format!("grants {class} on `{path}`");
    }
    if let Some(preset) = allow["preset"].as_str() {
        // As the lock file says it.
        return format!("adds preset `{preset}`");
    }
    if let Some(port) = allow["connect"].as_u64() {
        return format!("TCP connect to port {port}");
    }
    if let Some(port) = allow["bind"].as_u64() {
        return format!("TCP bind to port {port}");
    }
    match allow["flag"].as_str() {
        Some("allow_signals") => "signals out of the sandbox are now allowed".into(),
        Some("allow_abstract_unix_sockets") => {
            "abstract unix sockets out of the sandbox are now allowed".into()
        }
        _ => format!(
            "denied, and {}",
            allow["nothing"].as_str().unwrap_or("not expressible")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::learning_file::line;
    use crate::audit::{Access, Attribution, Denial, Object};

    #[test]
    fn a_learning_file_becomes_widenings_per_sandbox() {
        let origin = crate::model::Origin::new("app::worker", "src/worker.rs", 12);
        let denial = |access, object| Denial {
            accesses: vec![access],
            object,
            pid: Some(1),
            exe: None,
            domain: 1,
            sandbox: Some(Attribution {
                origin: origin.clone(),
                allow: Vec::new(),
            }),
            reparent: None,
        };
        let lines = [
            line(&denial(
                Access::Fs("read_file"),
                Object::Path("/etc/hosts".into()),
            )),
            line(&denial(
                Access::Fs("read_file"),
                Object::Path("/etc/hosts".into()),
            )),
            line(&denial(
                Access::Fs("read_file"),
                Object::Path("/etc/hostname".into()),
            )),
            line(&denial(Access::ConnectTcp, Object::Port(Some(443)))),
            line(&denial(Access::Signal, Object::Unknown)),
        ];
        let file = std::env::temp_dir().join(format!("landlock-learn-{}", std::process::id()));
        std::fs::write(&file, lines.join("\n")).unwrap();
        let changes: Vec<String> = suggestions(&file)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            changes,
            [
                // A file the `dns` preset grants: the preset, as the lock file says it.
                "widening   app::worker: adds preset `dns`",
                "widening   app::worker: grants read on `/etc/hostname`",
                "widening   app::worker: TCP connect to port 443",
                "widening   app::worker: signals out of the sandbox are now allowed",
            ]
        );
    }
}
