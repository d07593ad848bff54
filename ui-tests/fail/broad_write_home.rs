use landlock_runtime::sandbox;

// Writing the whole home directory: an error unless acknowledged with `broad`.
#[sandbox(write = "$HOME")]
fn rewrite_home() {}

#[sandbox(write = ["$TMP", "/home/"])]
fn rewrite_every_home() {}

fn main() {
    rewrite_home();
    rewrite_every_home();
}
