//! `--suggest FILE`: the policy changes a learning file suggests, after checking that the file
//! is one.

use std::ffi::OsStr;
use std::path::Path;

use crate::{Failure, print_out};

/// Prints the changes `file` suggests. Every line must be a record of a learning file (one
/// JSON object with the denied accesses and what would allow them); a file without any says
/// so, since a program that could not watch its denials writes none.
pub(crate) fn suggest(file: &OsStr) -> Result<u8, Failure> {
    let shown = Path::new(file).display();
    let text =
        std::fs::read(file).map_err(|e| Failure::Setup(format!("--suggest {shown}: {e}")))?;
    let mut records = 0;
    for (number, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !is_record(line) {
            return Err(Failure::Setup(format!(
                "--suggest {shown}: line {} is not a record of a learning file (one JSON object a line, as a program run with LANDLOCK_SANDBOX_LEARN=FILE writes): {}",
                number + 1,
                String::from_utf8_lossy(&line[..line.len().min(80)])
            )));
        }
        records += 1;
    }
    if records == 0 {
        print_out(&format!(
            "no denial recorded in {shown} (was the program run with LANDLOCK_SANDBOX_LEARN and CAP_AUDIT_READ?)\n"
        ))?;
        return Ok(0);
    }
    let changes = landlock_runtime::denials::suggestions(file)
        .map_err(|e| Failure::Setup(format!("--suggest {shown}: {e}")))?;
    let text: String = changes.iter().map(|c| format!("{c}\n")).collect();
    print_out(&text)?;
    Ok(0)
}

/// Whether `line` is a record of a learning file: an object with the denied `accesses` and
/// what would `allow` them.
fn is_record(line: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|record| {
        record.get("accesses").is_some_and(|a| a.is_array())
            && record.get("allow").is_some_and(|a| a.is_array())
    })
}
