//! The learning file a program run with `LANDLOCK_SANDBOX_LEARN=FILE` writes: one JSON object
//! a line per denial attributed to one of its sandboxes, read back by
//! [`suggestions`](crate::denials::suggestions).

use serde_json::{Value, json};

use super::{Allow, Denial};

/// One line of a learning file.
pub(crate) fn line(denial: &Denial) -> String {
    let site = denial.sandbox.as_ref().map(|a| {
        json!({
            "function": a.origin.function(),
            "file": a.origin.file(),
            "line": a.origin.line(),
        })
    });
    let accesses: Vec<String> = denial.accesses.iter().map(|a| a.to_string()).collect();
    let allow: Vec<Value> = denial.allow().iter().map(allow_json).collect();
    json!({
        "sandbox": site,
        "accesses": accesses,
        "object": denial.object.to_string(),
        "allow": allow,
        "pid": denial.pid,
        "exe": denial.exe.as_ref().map(|e| e.to_string_lossy().into_owned()),
    })
    .to_string()
}

/// What would allow a denial, in the form `suggestions` reads back.
fn allow_json(allow: &Allow) -> Value {
    match allow {
        Allow::Grant { class, path } => {
            json!({ "grant": class.keyword(), "path": path.to_string_lossy() })
        }
        Allow::Preset(preset) => json!({ "preset": preset.name() }),
        Allow::Connect(port) => json!({ "connect": port }),
        Allow::Bind(port) => json!({ "bind": port }),
        Allow::AllowSignals => json!({ "flag": "allow_signals" }),
        Allow::AllowAbstractUnixSockets => json!({ "flag": "allow_abstract_unix_sockets" }),
        Allow::Nothing(why) => json!({ "nothing": why }),
    }
}
