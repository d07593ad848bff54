use landlock_runtime::sandbox;

#[sandbox(connect = "/run/db.sock")]
fn load() {}

fn main() {
    load();
}
