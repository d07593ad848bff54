use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "$TMP"], write = ["$TMP/", "/srv"], exec = "/srv")]
fn load() {}

fn main() {
    load();
}
