use landlock_runtime::policy;

fn main() {
    let input = "/srv/in";
    let _ = policy!(read = input);
}
