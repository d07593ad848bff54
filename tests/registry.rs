//! Every sandbox of a binary is listed, whether or not it ran, in a stable order.

use landlock_runtime::{block, policies, policies_json, sandbox};

/// The line of `b_server`'s attribute, which reports must name.
const SERVER_LINE: u32 = 8;

#[sandbox(exec = "/usr/bin", bind = 8080, connect = "*", allow_signals, strict)]
fn b_server() {}

#[sandbox(read = "/etc")]
fn a_config() {}

fn c_block() {
    let _ = block::sandbox!(write = "$TMP?" => ());
}

#[test]
fn every_site_is_registered_without_running() {
    let _ = (b_server as fn(), a_config as fn(), c_block as fn());
    let names: Vec<&str> = policies().iter().map(|p| p.origin().function()).collect();
    assert_eq!(
        names,
        [
            "registry::a_config",
            "registry::b_server",
            "registry::{sandbox block}"
        ]
    );
    assert!(
        policies().iter().all(|p| p.status().is_none()),
        "none has run"
    );
}

#[test]
fn display_names_function_location_and_every_grant() {
    let server = policies()[1].to_string();
    assert_eq!(
        server,
        format!(
            "sandbox `registry::b_server` (tests/registry.rs:{SERVER_LINE})\n  exec     /usr/bin\n  connect  any port (unrestricted)\n  bind     8080\n  scopes   signals out allowed, abstract unix sockets out denied\n  threads  the calling thread and the threads it starts\n  mode     strict\n"
        )
    );
}

#[test]
fn json_has_stable_fields() {
    let json: serde_json::Value = serde_json::from_str(&policies_json()).unwrap();
    assert_eq!(json["version"], 1);
    let server = &json["policies"][1];
    assert_eq!(
        *server,
        serde_json::json!({
            "function": "registry::b_server",
            "file": "tests/registry.rs",
            "line": SERVER_LINE,
            "read": [],
            "write": [],
            "exec": ["/usr/bin"],
            "presets": [],
            "connect": "*",
            "bind": [8080],
            "allow_signals": true,
            "allow_abstract_unix_sockets": false,
            "strict": true,
            "process": false,
            "quiet": false,
        })
    );
}
