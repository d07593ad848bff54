use std::rc::Rc;

use landlock_runtime::block;

fn main() {
    let shared = Rc::new(1);
    let n = block::sandbox!(read = "/etc" => Rc::strong_count(&shared)).unwrap();
    let _ = n;
}
