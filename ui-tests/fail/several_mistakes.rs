use landlock_runtime::sandbox;

// Every mistake is reported in one build, and `load` is still defined: the call in `main` and
// the use of its result raise no error of their own.
#[sandbox(raed = "/etc", write = "tmp" connect = [0, "*"], strict = yes, read = "/usr")]
fn load(name: &str) -> usize {
    name.len()
}

fn main() {
    let n: usize = load("config");
    let _ = n;
}
