//! The text of Landlock's audit records, parsed: `audit(1729738800.268:30): domain=1a6fdc66f
//! blockers=fs.read_file path="/etc/hosts" dev="vda" ino=611`, and the records that come with
//! it in one event (the domain's first record, the system call's).
//!
//! Pure functions on strings, so that every format the kernel emits is tested here without a
//! kernel.

use std::path::PathBuf;

/// `AUDIT_LANDLOCK_ACCESS`: a denial.
pub(crate) const LANDLOCK_ACCESS: u16 = 1423;
/// `AUDIT_LANDLOCK_DOMAIN`: a domain's creation (on its first denial) or end.
pub(crate) const LANDLOCK_DOMAIN: u16 = 1424;
/// `AUDIT_SYSCALL`: the system call a denial happened in.
pub(crate) const SYSCALL: u16 = 1300;
/// `AUDIT_EOE`: the end of an event.
pub(crate) const EOE: u16 = 1320;

/// The part every record starts with: `audit(SECONDS.MILLIS:SERIAL): `.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub millis: u64,
    pub serial: u64,
}

/// Splits a record's text into its stamp and its fields.
pub(crate) fn stamp(text: &str) -> Option<(Stamp, &str)> {
    let rest = text.strip_prefix("audit(")?;
    let (stamp, fields) = rest.split_once("): ").or_else(|| {
        // An empty record (EOE): `audit(...): ` may come without the trailing space.
        rest.strip_suffix("):").map(|s| (s, ""))
    })?;
    let (time, serial) = stamp.split_once(':')?;
    let (seconds, millis) = time.split_once('.')?;
    Some((
        Stamp {
            millis: seconds.parse::<u64>().ok()? * 1000 + millis.parse::<u64>().ok()?,
            serial: serial.parse().ok()?,
        },
        fields,
    ))
}

/// The value of field `name` in `fields`, as written (quotes kept).
fn raw<'a>(fields: &'a str, name: &str) -> Option<&'a str> {
    // Values never hold a space: a string that would is written in hex.
    fields
        .split(' ')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// A number field.
pub(crate) fn number<T: std::str::FromStr>(fields: &str, name: &str) -> Option<T> {
    raw(fields, name)?.parse().ok()
}

/// A string the kernel wrote with `audit_log_untrustedstring`: in double quotes when it is
/// plain ASCII without spaces or quotes, in upper-case hex otherwise. As bytes.
pub(crate) fn untrusted(fields: &str, name: &str) -> Option<Vec<u8>> {
    let value = raw(fields, name)?;
    if let Some(quoted) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Some(quoted.as_bytes().to_vec());
    }
    if value == "(null)" {
        return None;
    }
    hex(value)
}

fn hex(value: &str) -> Option<Vec<u8>> {
    if !value.len().is_multiple_of(2) {
        return None;
    }
    (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(value.get(i..i + 2)?, 16).ok())
        .collect()
}

/// An untrusted string as a path.
pub(crate) fn path(fields: &str, name: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    untrusted(fields, name).map(|bytes| PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

/// An untrusted string as text (lossy).
pub(crate) fn text(fields: &str, name: &str) -> Option<String> {
    untrusted(fields, name).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The `status=` of a domain record: `allocated` or `deallocated`.
pub(crate) fn status(fields: &str) -> Option<&str> {
    raw(fields, "status")
}

/// The `domain=` of a Landlock record.
pub(crate) fn domain(fields: &str) -> Option<u64> {
    u64::from_str_radix(raw(fields, "domain")?, 16).ok()
}

/// The `blockers=` of an access record, one name each (`fs.read_file`).
pub(crate) fn blockers(fields: &str) -> Vec<&str> {
    raw(fields, "blockers")
        .map(|b| b.split(',').collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_record_as_the_kernel_writes_it() {
        let record = r#"audit(1796054362.428:3): domain=1b00e40ce blockers=fs.read_file path="/etc/hostname" dev="vda" ino=611"#;
        let (stamp, fields) = stamp(record).unwrap();
        assert_eq!(
            stamp,
            Stamp {
                millis: 1796054362428,
                serial: 3
            }
        );
        assert_eq!(domain(fields), Some(0x1b00e40ce));
        assert_eq!(blockers(fields), ["fs.read_file"]);
        assert_eq!(path(fields, "path"), Some(PathBuf::from("/etc/hostname")));
        assert_eq!(number::<u64>(fields, "ino"), Some(611));
        assert_eq!(text(fields, "dev").as_deref(), Some("vda"));
    }

    #[test]
    fn hex_strings_and_several_blockers() {
        // A path with a space is written in hex; an abstract socket's name starts with NUL.
        let fields = "domain=195ba459b blockers=fs.make_reg,fs.refer path=2F746D702F6120622E747874 dev=\"vda\" ino=365";
        assert_eq!(blockers(fields), ["fs.make_reg", "fs.refer"]);
        assert_eq!(path(fields, "path"), Some(PathBuf::from("/tmp/a b.txt")));
        let socket = "domain=1 blockers=scope.abstract_unix_socket path=00666F6F";
        assert_eq!(untrusted(socket, "path"), Some(b"\0foo".to_vec()));
    }

    #[test]
    fn a_domain_record_and_the_end_of_an_event() {
        let record = r#"audit(1796054362.428:3): domain=1b00e40ce status=allocated mode=enforcing pid=20547 uid=0 exe="/tmp/t/trial" comm="=ll=42""#;
        let (_, fields) = stamp(record).unwrap();
        assert_eq!(raw(fields, "status"), Some("allocated"));
        assert_eq!(number::<i32>(fields, "pid"), Some(20547));
        assert_eq!(text(fields, "comm").as_deref(), Some("=ll=42"));
        assert_eq!(stamp("audit(1796054362.428:3): ").unwrap().1, "");
        assert_eq!(stamp("audit(1796054362.428:3):").unwrap().0.serial, 3);
    }

    #[test]
    fn text_a_process_chooses_is_one_value_never_a_field() {
        // A thread name with a space is written in hex (`x pid=1`); an `=` alone stays in
        // quotes, inside its one value (an executable under `/tmp/status=deallocated`).
        let fields = r#"domain=1 status=allocated mode=enforcing pid=812 uid=1000 exe="/tmp/status=deallocated" comm=78207069643D31"#;
        assert_eq!(number::<i32>(fields, "pid"), Some(812));
        assert_eq!(number::<u32>(fields, "uid"), Some(1000));
        assert_eq!(status(fields), Some("allocated"));
        assert_eq!(text(fields, "comm").as_deref(), Some("x pid=1"));
        assert_eq!(
            path(fields, "exe"),
            Some(PathBuf::from("/tmp/status=deallocated"))
        );
        // A quote is written in hex too.
        let quoted =
            "domain=1 blockers=fs.read_file path=2F746D702F6122622070617468 dev=\"vda\" ino=3";
        assert_eq!(path(quoted, "path"), Some(PathBuf::from("/tmp/a\"b path")));
        assert_eq!(number::<u64>(quoted, "ino"), Some(3));
    }

    #[test]
    fn network_and_signal_objects() {
        let connect = "domain=1 blockers=net.connect_tcp daddr=127.0.0.1 dest=443";
        assert_eq!(number::<u16>(connect, "dest"), Some(443));
        let bind_any = "domain=1 blockers=net.bind_tcp src=8080";
        assert_eq!(number::<u16>(bind_any, "src"), Some(8080));
        let signal = r#"domain=1 blockers=scope.signal opid=1 ocomm="systemd""#;
        assert_eq!(number::<i32>(signal, "opid"), Some(1));
        assert_eq!(text(signal, "ocomm").as_deref(), Some("systemd"));
    }
}
