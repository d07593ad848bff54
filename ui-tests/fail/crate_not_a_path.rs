use landlock_runtime::sandbox;

#[sandbox(read = "/etc", crate = "landlock runtime")]
fn load() {}

fn main() {
    load();
}
