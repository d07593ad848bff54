//! Quoting values the way a POSIX shell reads them back, for the options, commands and
//! policies the runner prints.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

/// A value as a POSIX shell reads it back: as it is when plain, in single quotes otherwise,
/// and bytes that are not UTF-8 (or control characters) as `$'\xNN'`.
pub(crate) fn quote(value: &OsStr) -> String {
    let bytes = value.as_bytes();
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"/._-+:@%=".contains(b);
    if !bytes.is_empty() && bytes.iter().all(plain) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match value.to_str() {
        Some(text) if !text.chars().any(char::is_control) => {
            format!("'{}'", text.replace('\'', "'\\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                match b {
                    b'\'' | b'\\' => {
                        out.push('\\');
                        out.push(b as char);
                    }
                    0x20..=0x7e => out.push(b as char),
                    _ => {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
            }
            out.push('\'');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_reads_back_in_a_shell() {
        let cases: [&[u8]; 6] = [
            b"/etc/hosts",
            b"/srv/a,b",
            b"/srv/it's",
            b"$TMP",
            b"/srv/\xff\x01name",
            b"",
        ];
        for case in cases {
            let value = OsStr::from_bytes(case);
            let quoted = quote(value);
            let out = std::process::Command::new("bash")
                .args(["-c", &format!("printf %s {quoted}")])
                .output()
                .unwrap();
            assert_eq!(out.stdout, case, "{quoted}");
        }
    }
}
