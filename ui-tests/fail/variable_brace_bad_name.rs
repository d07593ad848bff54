use landlock_runtime::sandbox;

#[sandbox(read = "${XDG-DATA}/app")]
fn load() {}

fn main() {
    load();
}
