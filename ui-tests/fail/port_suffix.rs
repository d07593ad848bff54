use landlock_runtime::sandbox;

#[sandbox(connect = 443u16)]
fn load() {}

fn main() {
    load();
}
