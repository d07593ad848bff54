//! Named presets: reviewable bundles of paths that a common need requires, such as starting a
//! dynamically linked program.

use std::fmt;

use crate::policy::{Class, FsGrant};

/// A named bundle of optional grants, written `preset = "NAME"` in the policy language.
///
/// Every path of a preset is optional (skipped where it does not exist), so one preset serves
/// every distribution layout. Reports list presets by name; [`Preset::grants`] shows what each
/// expands to.
///
/// ```
/// use landlock_runtime::Preset;
///
/// let loader = Preset::from_name("dynamic_loader").unwrap();
/// assert!(loader.grants().iter().any(|g| g.to_string() == "/etc/ld.so.cache?"));
/// assert_eq!(Preset::from_name("nope"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Preset {
    /// What the kernel and the dynamic loader need to start a dynamically linked program:
    /// execute on the ELF loader, read on the library directories and the loader's cache and
    /// configuration. Grant `exec` on the program itself separately.
    DynamicLoader,
    /// Locale and time-zone data: read on the locale archives, translations, and zoneinfo.
    Locale,
}

/// Every preset, for listing.
pub const PRESETS: [Preset; 2] = [Preset::DynamicLoader, Preset::Locale];

const fn read(path: &'static str) -> FsGrant {
    FsGrant::new(path, Class::Read)
}

const fn exec(path: &'static str) -> FsGrant {
    FsGrant::new(path, Class::Exec)
}

/// Declares the known ELF loaders once, for the preset (each optional) and for
/// [`exec::dependencies`](crate::exec::dependencies), which runs only these.
macro_rules! known_loaders {
    ($($path:literal),* $(,)?) => {
        /// The ELF loaders (`PT_INTERP`) of the common architectures and C libraries, at the
        /// paths their programs name.
        #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Read by `exec`, Linux only.
        pub(crate) const KNOWN_LOADERS: &[&str] = &[$($path),*];

        /// The grants of the `dynamic_loader` preset: execute on each known loader, read on the
        /// library directories and the loader's cache and configuration. A rule on a symlink
        /// grants its target, so the usual `/lib64 -> /usr/lib64` style links are covered.
        static DYNAMIC_LOADER: &[FsGrant] = &[
            $(exec(concat!($path, "?")),)*
            read("/lib?"),
            read("/lib64?"),
            read("/usr/lib?"),
            read("/usr/lib64?"),
            read("/usr/local/lib?"),
            read("/etc/ld.so.cache?"),
            read("/etc/ld.so.preload?"),
        ];
    };
}

known_loaders!(
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1",
    "/lib/ld-linux-armhf.so.3",
    "/lib/ld-linux.so.2",
    "/lib64/ld64.so.2",
    "/lib/ld64.so.1",
    "/lib/ld-linux-riscv64-lp64d.so.1",
    "/lib/ld-musl-x86_64.so.1",
    "/lib/ld-musl-aarch64.so.1",
    "/lib/ld-musl-armhf.so.1",
);

static LOCALE: [FsGrant; 5] = [
    read("/usr/lib/locale?"),
    read("/usr/share/locale?"),
    read("/usr/share/i18n?"),
    read("/usr/share/zoneinfo?"),
    read("/etc/localtime?"),
];

impl Preset {
    /// The preset of this name (`dynamic_loader`, `locale`).
    pub fn from_name(name: &str) -> Option<Preset> {
        PRESETS.into_iter().find(|p| p.name() == name)
    }

    /// The name used in the policy language.
    pub const fn name(self) -> &'static str {
        match self {
            Preset::DynamicLoader => "dynamic_loader",
            Preset::Locale => "locale",
        }
    }

    /// The grants the preset adds, all optional.
    pub fn grants(self) -> &'static [FsGrant] {
        match self {
            Preset::DynamicLoader => DYNAMIC_LOADER,
            Preset::Locale => &LOCALE,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macros_know_the_same_names() {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name()).collect();
        assert_eq!(names, landlock_template::PRESETS);
    }

    #[test]
    fn every_preset_path_is_a_valid_optional_template() {
        for preset in PRESETS {
            assert_eq!(Preset::from_name(preset.name()), Some(preset));
            for grant in preset.grants() {
                let crate::GrantPath::Template(template) = grant.path() else {
                    panic!("{grant} is not a template");
                };
                landlock_template::PathTemplate::parse(template).unwrap();
                assert!(grant.is_optional(), "{grant}");
            }
        }
    }
}
