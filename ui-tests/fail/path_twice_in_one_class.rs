use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "/usr", "/etc?"])]
fn load() {}

fn main() {
    load();
}
