use landlock_runtime::sandbox;

trait Load {
    #[sandbox(read = "/etc")]
    fn load(&self);
}

struct Files;

impl Load for Files {
    fn load(&self) {}
}

fn main() {
    Files.load();
}
