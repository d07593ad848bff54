use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
struct Config {
    path: String,
}

fn main() {
    let config = Config {
        path: String::new(),
    };
    let _ = config.path;
}
