use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
trait Load {
    fn load(&self);
}

struct Files;

impl Load for Files {
    fn load(&self) {}
}

fn main() {
    Files.load();
}
