//! The lock-file check as a user's test meets it: a widening fails with a classified diff, and
//! the update variable rewrites the file. One test, so that the environment variable it sets
//! is seen by nothing else.

use std::panic;

use landlock_runtime::{block, lock, sandbox};

#[sandbox(read = ["/etc", "/usr/share?"], write = "$TMP", connect = [443, 8443])]
fn sync() {}

fn never_called() {
    let _ = block::sandbox!(read = "/srv" => ());
}

fn check(path: &std::path::Path) -> Result<(), String> {
    // An absolute path is taken as it is, not under the manifest directory.
    panic::catch_unwind(|| landlock_runtime::assert_policies_locked!(path)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "non-string panic".into())
    })
}

#[test]
fn lock_file_catches_widening_and_is_rewritten_on_request() {
    let _ = (sync as fn(), never_called as fn());
    let dir = std::env::temp_dir().join(format!("landlock-lock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sandbox.lock");

    let missing = check(&path).unwrap_err();
    assert!(missing.starts_with("no sandbox lock file at "), "{missing}");

    // SAFETY: this binary has one test; nothing reads the environment concurrently.
    unsafe { std::env::set_var(lock::UPDATE_VARIABLE, "1") };
    check(&path).unwrap();
    // SAFETY: as above.
    unsafe { std::env::remove_var(lock::UPDATE_VARIABLE) };
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("\"policy_lock::sync\""), "{written}");
    assert!(
        written.contains("\"policy_lock::{sandbox block}\""),
        "{written}"
    );
    check(&path).unwrap();

    // Lock a narrower past: the current code must show up as widening, classified.
    let mut past: serde_json::Value = serde_json::from_str(&written).unwrap();
    let sync = past["crates"]["policy_lock"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["function"] == "policy_lock::sync")
        .unwrap();
    sync["read"] = serde_json::json!(["/usr/share?"]);
    sync["write"] = serde_json::json!([]);
    sync["connect"] = serde_json::json!([443]);
    std::fs::write(&path, past.to_string()).unwrap();
    let diff = check(&path).unwrap_err();
    assert!(
        diff.contains("the sandboxes of `policy_lock` differ from"),
        "{diff}"
    );
    assert!(
        diff.contains("widening   policy_lock::sync: grants read on `/etc`"),
        "{diff}"
    );
    assert!(
        diff.contains("widening   policy_lock::sync: grants write on `$TMP`"),
        "{diff}"
    );
    assert!(
        diff.contains("widening   policy_lock::sync: TCP connect to port 8443"),
        "{diff}"
    );
    assert!(
        diff.contains("LANDLOCK_SANDBOX_UPDATE_LOCK=1 cargo test"),
        "{diff}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
}
