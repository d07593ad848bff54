use landlock_runtime::sandbox;

mod runtime {}

#[sandbox(read = "/etc", crate = "runtime")]
fn load() {}

fn main() {
    load();
}
