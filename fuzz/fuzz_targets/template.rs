//! `cargo fuzz run template`: the path-template parser on arbitrary input.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    landlock_template_fuzz::check_bytes(data);
});
