use landlock_runtime::sandbox;

// Any class on `/` grants it on the whole filesystem: an error unless acknowledged with `broad`.
#[sandbox(read = "/")]
fn read_everything() {}

#[sandbox(exec = "/?")]
fn run_anything() {}

#[sandbox(write = "/")]
fn write_everywhere() {}

fn main() {
    read_everything();
    run_anything();
    write_everywhere();
}
