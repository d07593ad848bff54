use std::rc::Rc;

use landlock_runtime::block;

fn main() {
    let made = block::sandbox!(read = "/etc" => Rc::new(2)).unwrap();
    let _ = made;
}
