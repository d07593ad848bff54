use landlock_runtime::sandbox;

#[sandbox(write = ["/srv", 80, 443])]
fn load() {}

fn main() {
    load();
}
