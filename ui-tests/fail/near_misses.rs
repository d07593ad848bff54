use landlock_runtime::sandbox;

#[sandbox(read = ["~/notes", "$HOEM/.config"], preset = ["locael", "dynamic-loader"])]
fn load() {}

fn main() {
    load();
}
