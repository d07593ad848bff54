use landlock_runtime::sandbox;

struct Files;

#[sandbox(read = "/etc")]
impl Files {
    fn load(&self) {}
}

fn main() {
    Files.load();
}
