//! Methods: by reference, by value, associated functions, trait methods, any visibility.

#![deny(warnings)]

use landlock_runtime::sandbox;

struct Files {
    root: &'static str,
}

impl Files {
    #[sandbox(read = "/etc")]
    pub fn new() -> Self {
        Files { root: "/etc" }
    }

    #[sandbox(read = "/etc")]
    pub(crate) fn count(&self) -> usize {
        std::fs::read_dir(self.root).map(|d| d.count()).unwrap_or(0)
    }

    #[sandbox(read = "/etc")]
    fn into_root(self) -> &'static str {
        self.root
    }

    #[sandbox(read = "/etc")]
    fn rename(&mut self, root: &'static str) {
        self.root = root;
    }
}

trait Load {
    fn load(&self) -> bool;

    #[sandbox(read = "/etc")]
    fn load_twice(&self) -> bool {
        self.load() && self.load()
    }
}

impl Load for Files {
    #[sandbox(read = "/etc")]
    fn load(&self) -> bool {
        std::fs::read_dir(self.root).is_ok()
    }
}

fn main() {
    std::thread::spawn(|| {
        let mut files = Files::new();
        let _ = files.count();
        assert!(files.load());
        assert!(files.load_twice());
        files.rename("/etc");
        assert_eq!(files.into_root(), "/etc");
    })
    .join()
    .unwrap();
}
