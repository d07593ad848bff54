use landlock_runtime::sandbox;

#[sandbox(read = ["$PWD", "$exe_dir/data?"], write = ["$TEMP/out", "$LOGS"])]
fn load() {}

fn main() {
    load();
}
