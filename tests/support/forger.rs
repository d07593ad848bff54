//! A forger of denials: another process, started so that it is not a child of the test (its
//! parent shell exits at once), as another user if asked, that names its threads with a
//! victim's marks and is denied by the domains they create (`forge_denials.py`). The victim
//! tells it when, through the FIFO `go()`, and waits on `done()`: its denials then come before
//! whatever the victim does next.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::process::{ChildStdout, Command, Stdio};

pub struct Forger {
    pub dir: PathBuf,
    out: Option<ChildStdout>,
}

impl Forger {
    /// Starts the forger as user `uid` (this test's user when `None`), not as a child of this
    /// process.
    pub fn start(name: &str, uid: Option<u32>) -> Forger {
        Forger::start_with(name, uid, Start::Apart)
    }

    /// Starts the forger as this test's user, not as a child of this process, first passing
    /// itself off as a child started with a sandbox through the victim's descriptors
    /// (`forge_denials.py report`).
    pub fn start_reporting(name: &str) -> Forger {
        Forger::start_with(name, None, Start::Reporting)
    }

    /// Starts the forger as a child of this process, started without a sandbox.
    pub fn start_as_child(name: &str) -> Forger {
        Forger::start_with(name, None, Start::Child(None))
    }

    /// Starts the forger as a child of this process, started with the sandbox `policy`
    /// (which must let it run python3 and reach its directory).
    pub fn start_sandboxed(name: &str, policy: &'static landlock_runtime::Policy) -> Forger {
        Forger::start_with(name, None, Start::Child(Some(policy)))
    }

    fn start_with(name: &str, uid: Option<u32>, start: Start) -> Forger {
        let dir =
            std::env::temp_dir().join(format!("landlock-forger-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("target")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Writable by anyone: a denied mkdir there is Landlock's.
        std::fs::set_permissions(dir.join("target"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
        for fifo in ["go", "done"] {
            let made = Command::new("mkfifo")
                .args(["-m", "0666"])
                .arg(dir.join(fifo))
                .status()
                .unwrap();
            assert!(made.success());
        }
        let script = dir.join("forge_denials.py");
        std::fs::write(&script, include_str!("forge_denials.py")).unwrap();
        let line = format!(
            "python3 '{}' '{}' '{}' '{}' {} &",
            script.display(),
            dir.join("go").display(),
            dir.join("done").display(),
            dir.join("target").display(),
            if matches!(start, Start::Reporting) {
                "report"
            } else {
                ""
            },
        );
        if let Start::Child(policy) = start {
            let mut command = Command::new("python3");
            command
                .arg(&script)
                .args(["go", "done", "target"].map(|f| dir.join(f)))
                .stdin(Stdio::null())
                .stdout(Stdio::piped());
            let mut forger = match policy {
                Some(policy) => {
                    use landlock_runtime::SandboxCommandExt;
                    command.sandbox(policy).spawn().unwrap()
                }
                None => command.spawn().unwrap(),
            };
            let out = forger.stdout.take();
            // Reaped once it stops, by a thread of its own.
            std::thread::spawn(move || forger.wait());
            return Forger { dir, out };
        }
        let mut command = match uid {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".into(),
                    "sh".into(),
                ]);
                c
            }
            None => Command::new("sh"),
        };
        let mut shell = command
            .args(["-c", &line])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = shell.stdout.take();
        assert!(shell.wait().unwrap().success());
        Forger { dir, out }
    }

    /// The FIFO a victim writes its process id to.
    pub fn go(&self) -> String {
        self.dir.join("go").to_str().unwrap().to_owned()
    }

    /// The FIFO the forger answers on, once its denials are made.
    pub fn done(&self) -> String {
        self.dir.join("done").to_str().unwrap().to_owned()
    }

    /// The directory the forger's denials are on (each a `make_dir` there).
    pub fn target(&self) -> PathBuf {
        self.dir.join("target")
    }

    /// Has the forger make its denials with `pid`'s marks: how many of its ids were denied.
    pub fn forge_for(&self, pid: u32) -> u32 {
        std::fs::write(self.go(), format!("{pid}\n")).unwrap();
        std::fs::read_to_string(self.done())
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Stops the forger: what it printed, a line per victim.
    pub fn stop(mut self) -> String {
        std::fs::write(self.go(), "stop\n").unwrap();
        let mut text = String::new();
        self.out.take().unwrap().read_to_string(&mut text).unwrap();
        text
    }
}

/// How the forger is started.
enum Start {
    /// Not a child of this process.
    Apart,
    /// Not a child of this process, reporting itself as one.
    Reporting,
    /// A child of this process, with this sandbox or none.
    Child(Option<&'static landlock_runtime::Policy>),
}

impl Drop for Forger {
    fn drop(&mut self) {
        if self.out.is_some() {
            // Not stopped (a test failed): stop it if it waits, without waiting for it.
            if let Ok(mut go) = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(self.dir.join("go"))
            {
                let _ = go.write_all(b"stop\n");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
