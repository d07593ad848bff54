use landlock_runtime::sandbox;

fn main() {
    #[sandbox(read = "/etc")]
    let x = 5;
    let f = #[sandbox(read = "/etc")] || 1;
    let _ = (x, f());
}
