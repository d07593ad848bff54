use landlock_runtime::sandbox;

#[sandbox(bind = [8080, 8443, 8080])]
fn load() {}

fn main() {
    load();
}
