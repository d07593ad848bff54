use landlock_runtime::sandbox;

#[sandbox(read = "${XDG_DATA_HOME/app")]
fn load() {}

fn main() {
    load();
}
