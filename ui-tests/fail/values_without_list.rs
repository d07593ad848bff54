use landlock_runtime::sandbox;

#[sandbox(read = "/etc", "/usr", connect = 80, 443)]
fn load() {}

fn main() {
    load();
}
