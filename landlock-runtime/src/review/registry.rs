//! Every sandbox of a binary, registered at link time, for review.
//!
//! Each `#[sandbox]`, `block::sandbox!` and `policy!` site adds its policy to a link-time list (with
//! `linkme`), whether or not it ever runs, so a program can list, render and lock all of them.

use linkme::distributed_slice;
use serde_json::{Value, json};

use crate::model::{Class, Ports};
use crate::policy::Policy;

/// The link-time list the macros add every policy to (through `__private`).
#[distributed_slice]
pub static POLICIES: [&'static Policy];

/// Every policy declared with `#[sandbox]`, `block::sandbox!` or `policy!` in this binary (all
/// crates linked into it), whether or not it has run, ordered by function path, then file and
/// line. Policies built at run time with [`Policy::builder`] are not declared, and not listed.
///
/// ```
/// use landlock_runtime::sandbox;
///
/// #[sandbox(read = "/etc")]
/// fn configure() {}
///
/// let all = landlock_runtime::policies();
/// assert!(all.iter().any(|p| p.origin().function().ends_with("::configure")));
/// for policy in all {
///     println!("{policy}");
/// }
/// ```
pub fn policies() -> Vec<&'static Policy> {
    let mut all: Vec<&'static Policy> = POLICIES.iter().copied().collect();
    all.sort_by(|a, b| {
        let key = |p: &Policy| {
            (
                p.origin().function().to_owned(),
                p.origin().file().to_owned(),
                p.origin().line(),
            )
        };
        key(a).cmp(&key(b))
    });
    all
}

/// The policies as JSON, indented for reading: `{"version": 1, "policies": [...]}`, one object
/// per policy, in the order of [`policies`]. See [`Policy::to_json`] for the fields.
///
/// ```
/// let report = landlock_runtime::policies_json();
/// assert!(report.contains("\n  \"version\": 1"), "{report}");
/// assert!(report.contains("\n  \"policies\": ["), "{report}");
/// ```
pub fn policies_json() -> String {
    // Serialising a `Value` of strings, numbers and booleans cannot fail.
    serde_json::to_string_pretty(&policies_value()).unwrap_or_default()
}

/// [`policies_json`], as a value.
pub(crate) fn policies_value() -> Value {
    json!({
        "version": 1,
        "policies": policies().iter().map(|p| p.json_value()).collect::<Vec<_>>(),
    })
}

impl Policy {
    /// The policy as JSON, with stable field names:
    ///
    /// | field | value |
    /// | --- | --- |
    /// | `function` | the function's module path (`app::main`; `app::{sandbox block}` for a block) |
    /// | `file`, `line` | where the policy is declared |
    /// | `read`, `write`, `exec` | the paths of each class: templates as written, literal paths, and `<argument NAME>` for the paths of an argument |
    /// | `presets` | the names of the presets (see [`Preset`](crate::Preset)) |
    /// | `connect`, `bind` | a list of ports, then `<argument NAME>` for the ports of an argument; or `"*"` when unrestricted |
    /// | `allow_signals`, `allow_abstract_unix_sockets` | whether a scope is opened |
    /// | `strict` | whether the policy refuses to degrade |
    /// | `process` | whether it restricts every thread of the process, or the calling thread |
    /// | `quiet` | whether the kernel is asked not to log its denials |
    /// | `unhandled_fs` | only when there are any (a policy imported from a landlockconfig document for an older ABI): the filesystem rights it leaves unhandled, which are not restricted |
    ///
    /// ```
    /// use landlock_runtime::Policy;
    ///
    /// let p = Policy::builder("app::worker").read("/etc").connect_any().build().unwrap();
    /// let json = p.to_json();
    /// assert!(json.contains(r#""read":["/etc"]"#), "{json}");
    /// assert!(json.contains(r#""connect":"*""#), "{json}");
    /// assert!(json.contains(r#""bind":[]"#), "{json}");
    /// ```
    pub fn to_json(&self) -> String {
        self.json_value().to_string()
    }

    /// [`to_json`](Policy::to_json), as a value.
    pub(crate) fn json_value(&self) -> Value {
        let paths = |class: Class| -> Vec<String> {
            self.grants()
                .iter()
                .filter(|g| g.class() == class)
                .map(|g| g.to_string())
                .collect()
        };
        let ports = |ports: &Ports| match ports.allowed() {
            None => json!("*"),
            Some(list) => {
                let numbers = list.iter().map(|&p| json!(p));
                let arguments = ports.arguments().iter();
                let arguments = arguments.map(|a| json!(format!("<argument {a}>")));
                Value::Array(numbers.chain(arguments).collect())
            }
        };
        let mut value = json!({
            "function": self.origin().function(),
            "file": self.origin().file(),
            "line": self.origin().line(),
            "read": paths(Class::Read),
            "write": paths(Class::Write),
            "exec": paths(Class::Exec),
            "presets": self.presets().iter().map(|p| p.name()).collect::<Vec<_>>(),
            "connect": ports(self.connect()),
            "bind": ports(self.bind()),
            "allow_signals": !self.scopes().signals,
            "allow_abstract_unix_sockets": !self.scopes().abstract_unix_sockets,
            "strict": self.is_strict(),
            "process": self.is_process_wide(),
            "quiet": self.is_quiet(),
        });
        let unhandled: Vec<&str> = self.unhandled_fs_rights().collect();
        if !unhandled.is_empty() {
            value["unhandled_fs"] = json!(unhandled);
        }
        value
    }
}
