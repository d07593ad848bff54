//! What a dynamically linked program needs in order to start: its ELF loader and libraries.
//!
//! ```
//! use std::process::Command;
//! use landlock_runtime::{Policy, SandboxCommandExt, exec};
//!
//! let deps = exec::dependencies("/usr/bin/env")?;
//! let mut builder = Policy::builder("env").exec_path("/usr/bin/env");
//! builder = deps.loader.iter().fold(builder, |b, loader| b.exec_path(loader));
//! builder = deps.libraries.iter().fold(builder, |b, library| b.read_path(library));
//! let policy = Box::leak(Box::new(builder.build().unwrap()));
//! assert!(Command::new("/usr/bin/env").arg("-i").sandbox(policy).status()?.success());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program's loader (`PT_INTERP`) and the libraries the loader resolves for it.
///
/// ```
/// let deps = landlock_runtime::exec::dependencies("/usr/bin/env")?;
/// // Absolute paths; the loader is not listed again among the libraries.
/// assert!(deps.libraries.iter().all(|library| library.is_absolute()));
/// assert!(deps.libraries.iter().all(|library| Some(library) != deps.loader.as_ref()));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dependencies {
    /// The ELF interpreter, for a dynamically linked program; `None` for a static one.
    pub loader: Option<PathBuf>,
    /// The shared libraries, as the loader resolves them on this machine.
    pub libraries: Vec<PathBuf>,
}

/// Lists what `program` needs to start: grant `exec` on the program and on
/// [`Dependencies::loader`], and `read` on the libraries (or use `preset = "dynamic_loader"`).
///
/// The loader comes from the program's ELF header; the libraries from running the loader in
/// its list mode (`ld.so --list`, what `ldd` does), which loads nothing into this process.
///
/// The loader is a program the inspected file names, and `ldd(1)` warns that it may run
/// whatever that is. Here only one of the system's known loaders (those of the
/// `dynamic_loader` preset, at the paths their programs name) is ever run: for a file that
/// names another, this returns an error of kind `InvalidData` naming it, and runs nothing. A
/// known loader in list mode maps the program and its libraries without running their code;
/// still, inspect untrusted files only as you would run `ldd` on them.
///
/// ```no_run
/// let deps = landlock_runtime::exec::dependencies("/usr/bin/env").unwrap();
/// println!("loader: {:?}", deps.loader);
/// for lib in &deps.libraries {
///     println!("library: {}", lib.display());
/// }
/// ```
pub fn dependencies(program: impl AsRef<Path>) -> io::Result<Dependencies> {
    let program = program.as_ref();
    let Some(loader) = interpreter(&std::fs::read(program)?)? else {
        return Ok(Dependencies::default());
    };
    if !crate::model::presets::KNOWN_LOADERS
        .iter()
        .any(|known| loader.as_os_str() == *known)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` names `{}` as its loader, which is not one of this system's known loaders: it is not run to list the libraries, since the inspected file chose it",
                program.display(),
                loader.display()
            ),
        ));
    }
    let output = Command::new(&loader).arg("--list").arg(program).output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{} --list {} failed: {}",
            loader.display(),
            program.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let libraries = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`, or a path alone.
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .filter(|path| *path != loader)
        .collect();
    Ok(Dependencies {
        loader: Some(loader),
        libraries,
    })
}

/// The `PT_INTERP` path of an ELF image, if it has one: the loader it names.
fn interpreter(elf: &[u8]) -> io::Result<Option<PathBuf>> {
    use object::elf::{FileHeader32, FileHeader64};
    use object::{Endianness, FileKind};

    match FileKind::parse(elf) {
        Ok(FileKind::Elf64) => interpreter_of::<FileHeader64<Endianness>>(elf),
        Ok(FileKind::Elf32) => interpreter_of::<FileHeader32<Endianness>>(elf),
        _ => Err(not_elf("no ELF header")),
    }
}

/// [`interpreter`] for one ELF class. Offsets and sizes come from the file: the reader checks
/// every one against the image, so a hostile header is an error, never an overflow.
fn interpreter_of<H>(elf: &[u8]) -> io::Result<Option<PathBuf>>
where
    H: object::read::elf::FileHeader<Endian = object::Endianness>,
{
    use object::read::elf::ProgramHeader;

    let header = H::parse(elf).map_err(|e| not_elf(&e.to_string()))?;
    let endian = header.endian().map_err(|e| not_elf(&e.to_string()))?;
    let segments = header
        .program_headers(endian, elf)
        .map_err(|e| not_elf(&e.to_string()))?;
    let Some(interp) = segments
        .iter()
        .find(|segment| segment.p_type(endian) == object::elf::PT_INTERP)
    else {
        return Ok(None);
    };
    let path = interp
        .data(endian, elf)
        .map_err(|()| not_elf("the loader's name is outside the file"))?;
    let path = path.split(|&b| b == 0).next().unwrap_or_default();
    Ok(Some(PathBuf::from(
        String::from_utf8_lossy(path).into_owned(),
    )))
}

/// The error for a file that is not an ELF program (`what` says why).
fn not_elf(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not an ELF program: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_elf() {
        assert_eq!(
            interpreter(b"#!/bin/sh\n").unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    /// A little-endian ELF64 header with `phnum` program headers at `phoff`, followed by
    /// `extra` zero bytes.
    fn elf64(phoff: u64, phnum: u16, extra: usize) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + extra];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[6] = 1;
        elf[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&phnum.to_le_bytes());
        elf
    }

    #[test]
    fn hostile_offsets_and_sizes_are_errors_not_overflows() {
        // Program headers said to start at the end of the address space.
        let far = elf64(u64::MAX, 2, 0);
        assert_eq!(
            interpreter(&far).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // A PT_INTERP whose size reaches past the end of the address space.
        let mut huge = elf64(64, 1, 56);
        huge[64..68].copy_from_slice(&3u32.to_le_bytes());
        huge[64 + 8..64 + 16].copy_from_slice(&8u64.to_le_bytes());
        huge[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            interpreter(&huge).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // The same header with a sane size is read.
        huge[64 + 8..64 + 16].copy_from_slice(&(64u64 + 40).to_le_bytes());
        huge[64 + 32..64 + 40].copy_from_slice(&4u64.to_le_bytes());
        assert!(interpreter(&huge).unwrap().is_some());
    }

    #[test]
    fn finds_the_loader_and_libraries_of_env() {
        let env = Path::new("/usr/bin/env");
        if !env.exists() {
            return;
        }
        let deps = dependencies(env).unwrap();
        let loader = deps
            .loader
            .clone()
            .expect("a dynamically linked /usr/bin/env");
        assert!(
            loader.to_string_lossy().contains("ld"),
            "{}",
            loader.display()
        );
        assert!(
            deps.libraries
                .iter()
                .any(|l| l.to_string_lossy().contains("libc.so")),
            "{deps:?}"
        );
    }
}
