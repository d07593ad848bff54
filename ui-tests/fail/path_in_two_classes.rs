use landlock_runtime::sandbox;

// `read` beside a wider class, or one class twice, says nothing more: refused. (`write` and
// `exec` on one path grant both: see pass/write_and_exec_one_path.rs.)
#[sandbox(read = ["/etc", "$TMP"], write = ["$TMP/", "/srv"], exec = ["/srv", "/srv/"])]
fn load() {}

fn main() {
    load();
}
