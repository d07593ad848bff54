use landlock_runtime::block;

// The block's errors are the only errors: its value still type-checks as what the caller
// expects, and the locals it borrows raise no warning of their own.
fn main() {
    let name = String::from("config");
    let n: usize = block::sandbox!(read = "etc", conect = 443 => { name.len() }).unwrap();
    let _ = n;
}
