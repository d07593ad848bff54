use landlock_runtime::sandbox;

// `broad` with nothing broad to acknowledge is an error, so it cannot linger as a blanket pass.
#[sandbox(read = "/etc", broad)]
fn narrow() {}

fn main() {
    narrow();
}
