use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
async fn load() {}

fn main() {
    let _ = load();
}
