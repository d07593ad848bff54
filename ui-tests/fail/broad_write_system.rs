use landlock_runtime::sandbox;

// Writing a system tree: an error unless acknowledged with `broad`.
#[sandbox(write = ["/usr", "/etc"])]
fn rewrite_system() {}

fn main() {
    rewrite_system();
}
