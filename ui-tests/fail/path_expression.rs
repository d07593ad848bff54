use landlock_runtime::sandbox;

const DATA: &str = "/srv/data";

#[sandbox(read = DATA, write = concat!("/srv", "/out"))]
fn load() {}

fn main() {
    load();
}
