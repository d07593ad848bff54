use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
const fn limit() -> usize {
    4
}

fn main() {
    let _ = limit();
}
