use landlock_runtime::policy;

fn main() {
    let input = "/srv/in";
    let _ = policy!(read = input);
    let port: u16 = 8080;
    let _ = policy!(bind = port);
}
