//! Ports known at run time, from the function's arguments: every shape of port a parameter may
//! hold, in the attribute and the block form.

#![deny(warnings)]

use std::collections::BTreeSet;
use std::num::NonZeroU16;

use landlock_runtime::{block, sandbox};

#[sandbox(connect = [443, a, b, c], bind = [d, e, f, g, h])]
fn shapes(
    a: u16,
    b: &u16,
    c: NonZeroU16,
    d: Vec<u16>,
    e: &[u16],
    f: Option<u16>,
    g: [u16; 2],
    h: BTreeSet<u16>,
) -> usize {
    let _ = (a, b, c, d, e, f, g, h);
    landlock_runtime::in_force().len()
}

fn main() {
    let layers = std::thread::spawn(|| {
        shapes(
            80,
            &8080,
            NonZeroU16::new(8443).unwrap(),
            vec![9000],
            &[9001],
            None,
            [9002, 9003],
            BTreeSet::from([9004]),
        )
    })
    .join()
    .unwrap();
    assert_eq!(layers, 1);
    let port: u16 = 9005;
    let layers = block::sandbox!(bind = port => landlock_runtime::in_force().len()).unwrap();
    assert_eq!(layers, 1);
}
