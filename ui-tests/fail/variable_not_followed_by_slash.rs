use landlock_runtime::sandbox;

#[sandbox(read = "$HOME.cache", write = ["${XDG_RUNTIME_DIR}app", "$TMPdir"])]
fn load() {}

fn main() {
    load();
}
