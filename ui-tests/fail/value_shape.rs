use landlock_runtime::sandbox;

#[sandbox(read = ("/etc", "/usr"), write = [["$TMP"]], connect = (443))]
fn load() {}

fn main() {
    load();
}
