use landlock_runtime::sandbox;

// Another spelling of a broad path is as broad: `//etc` is `/etc` (Linux reads a leading `//`
// as `/`), and so are repeated and trailing slashes.
#[sandbox(write = ["//etc", "/usr//", "///"])]
fn rewrite_system() {}

// Root's home is a home wherever the program runs, and as broad as `$HOME`.
#[sandbox(write = "/root/")]
fn rewrite_roots_home() {}

// Once acknowledged, it is granted, in its one spelling.
#[sandbox(write = "//etc//", broad)]
fn acknowledged() {}

fn main() {
    rewrite_system();
    rewrite_roots_home();
    acknowledged();
}
