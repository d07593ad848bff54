//! No sandbox may report more than the kernel enforces: the situations, unusual but real, in
//! which a sandbox could say it is in force while code runs with more access than its policy,
//! each with the exact outcome the kernel gives.

mod support;
use support::*;

// --- 5. exec::dependencies runs only known loaders --------------------------------------------

/// A little-endian ELF64 file whose only program header is a `PT_INTERP` naming `loader`.
fn elf_naming(loader: &str) -> Vec<u8> {
    let mut elf = vec![0u8; 64 + 56];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2; // 64-bit
    elf[5] = 1; // little-endian
    elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // program headers at 64
    elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes()); // of 56 bytes
    elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes()); // one
    elf[64..68].copy_from_slice(&3u32.to_le_bytes()); // PT_INTERP
    let path = format!("{loader}\0");
    elf[64 + 8..64 + 16].copy_from_slice(&120u64.to_le_bytes()); // at 120
    elf[64 + 32..64 + 40].copy_from_slice(&(path.len() as u64).to_le_bytes());
    elf.extend_from_slice(path.as_bytes());
    elf
}

#[test]
fn listing_the_dependencies_of_a_crafted_file_runs_nothing_it_names() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new("crafted-loader");
    // The "loader" the file names: a script that leaves a mark if it is ever run.
    let script = t.at("loader.sh");
    let mark = t.at("ran");
    std::fs::write(&script, format!("#!/bin/sh\ntouch '{}'\n", mark.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let crafted = t.at("crafted");
    std::fs::write(&crafted, elf_naming(&t.path("loader.sh"))).unwrap();
    let err = landlock_runtime::exec::dependencies(&crafted).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("which is not one of this system's known loaders"),
        "{err}"
    );
    assert!(!mark.exists(), "the script the file names was run");
    // A real program still gets its answer.
    let deps = landlock_runtime::exec::dependencies("/usr/bin/env").unwrap();
    assert!(deps.loader.is_some());
}
