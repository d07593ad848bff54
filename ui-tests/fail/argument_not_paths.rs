use landlock_runtime::sandbox;

#[sandbox(read = count)]
fn load(count: u32) {
    let _ = count;
}

fn main() {
    load(3);
}
