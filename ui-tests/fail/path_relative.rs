use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "data/input", "~/notes"])]
fn load() {}

fn main() {
    load();
}
