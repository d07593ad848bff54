use landlock_runtime::sandbox;

const HTTPS: u16 = 443;

#[sandbox(connect = HTTPS, bind = [8000 + 80])]
fn load() {}

fn main() {
    load();
}
