use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
const LIMIT: usize = 4;

fn main() {
    let _ = LIMIT;
}
