//! Platform tags (`manylinux_2_17_x86_64`, `macosx_10_12_universal2`, `win_amd64`): family,
//! glibc/musl/macOS versions and architectures.

/// The operating-system family a platform tag targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformFamily {
    /// `linux_<arch>`: not installable from PyPI, no policy.
    Linux,
    /// `manylinux1/2010/2014_<arch>`, `manylinux_X_Y_<arch>` (PEP 513/571/599/600).
    Manylinux,
    /// `musllinux_X_Y_<arch>` (PEP 656).
    Musllinux,
    /// `macosx_X_Y_<arch>`.
    Macos,
    /// `win32`, `win_amd64`, `win_arm64`.
    Windows,
    /// `any`.
    Any,
    /// Anything else (iOS, Android, BSDs, …).
    Other,
}

pub use crate::binary::Arch;

/// One platform tag, borrowed from a wheel name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlatformTag<'a>(pub &'a str);

impl<'a> PlatformTag<'a> {
    pub fn as_str(self) -> &'a str {
        self.0
    }

    pub fn family(self) -> PlatformFamily {
        let t = self.0;
        if t == "any" {
            PlatformFamily::Any
        } else if t.starts_with("manylinux") {
            PlatformFamily::Manylinux
        } else if t.starts_with("musllinux_") {
            PlatformFamily::Musllinux
        } else if t.starts_with("linux_") {
            PlatformFamily::Linux
        } else if t.starts_with("macosx_") {
            PlatformFamily::Macos
        } else if t == "win32" || t.starts_with("win_") {
            PlatformFamily::Windows
        } else {
            PlatformFamily::Other
        }
    }

    /// `(major, minor)` of a `macosx_X_Y_<arch>` tag.
    pub fn macos_version(self) -> Option<(u16, u16)> {
        let rest = self.0.strip_prefix("macosx_")?;
        let (major, minor, _) = two_numbers_and_rest(rest)?;
        Some((major, minor))
    }

    /// The glibc `(major, minor)` a manylinux tag requires, including the legacy aliases
    /// (`manylinux1` = 2.5, `manylinux2010` = 2.12, `manylinux2014` = 2.17).
    pub fn manylinux_glibc(self) -> Option<(u16, u16)> {
        let t = self.0;
        if let Some(rest) = t.strip_prefix("manylinux_") {
            let (major, minor, _) = two_numbers_and_rest(rest)?;
            return Some((major, minor));
        }
        [
            ("manylinux1_", (2, 5)),
            ("manylinux2010_", (2, 12)),
            ("manylinux2014_", (2, 17)),
        ]
        .into_iter()
        .find_map(|(prefix, v)| t.strip_prefix(prefix).map(|_| v))
    }

    /// The musl `(major, minor)` of a `musllinux_X_Y_<arch>` tag.
    pub fn musllinux_version(self) -> Option<(u16, u16)> {
        let rest = self.0.strip_prefix("musllinux_")?;
        let (major, minor, _) = two_numbers_and_rest(rest)?;
        Some((major, minor))
    }

    /// The architecture part as written (`x86_64`, `universal2`, `amd64`), if the tag has one.
    pub fn arch_name(self) -> Option<&'a str> {
        let t = self.0;
        match self.family() {
            PlatformFamily::Any => None,
            PlatformFamily::Windows => Some(t.strip_prefix("win_").unwrap_or(t)),
            PlatformFamily::Macos => t
                .strip_prefix("macosx_")
                .and_then(two_numbers_and_rest)
                .map(|(_, _, arch)| arch),
            PlatformFamily::Musllinux => t
                .strip_prefix("musllinux_")
                .and_then(two_numbers_and_rest)
                .map(|(_, _, arch)| arch),
            PlatformFamily::Manylinux => {
                if let Some(rest) = t.strip_prefix("manylinux_") {
                    two_numbers_and_rest(rest).map(|(_, _, arch)| arch)
                } else {
                    t.split_once('_').map(|(_, arch)| arch)
                }
            }
            PlatformFamily::Linux | PlatformFamily::Other => t.split_once('_').map(|(_, a)| a),
        }
        .filter(|a| !a.is_empty())
    }

    /// The architectures the tag covers: `universal2` = arm64 + x86_64, `win_amd64` = x86_64,
    /// `win32` = x86. Empty for `any` and tags without an architecture.
    pub fn architectures(self) -> Vec<Arch> {
        let Some(arch) = self.arch_name() else {
            return Vec::new();
        };
        match (self.family(), arch) {
            (PlatformFamily::Windows, "win32") => vec![Arch::X86],
            (PlatformFamily::Macos, "universal2") => vec![Arch::Aarch64, Arch::X86_64],
            (PlatformFamily::Macos, "intel") => vec![Arch::X86, Arch::X86_64],
            (PlatformFamily::Macos, "universal") => {
                vec![Arch::X86, Arch::X86_64, Arch::Ppc, Arch::Ppc64]
            }
            (PlatformFamily::Macos, "fat") => vec![Arch::X86, Arch::Ppc],
            (PlatformFamily::Macos, "fat3") => vec![Arch::X86, Arch::X86_64, Arch::Ppc],
            (PlatformFamily::Macos, "fat64") => vec![Arch::X86_64, Arch::Ppc64],
            (_, arch) => vec![Arch::from_name(arch)],
        }
    }
}

/// Splits `X_Y_rest` into two numbers and the rest (which may contain `_`).
fn two_numbers_and_rest(s: &str) -> Option<(u16, u16, &str)> {
    let mut parts = s.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor, parts.next().unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_versions() {
        let t = PlatformTag("manylinux_2_17_x86_64");
        assert_eq!(t.family(), PlatformFamily::Manylinux);
        assert_eq!(t.manylinux_glibc(), Some((2, 17)));
        assert_eq!(t.architectures(), vec![Arch::X86_64]);
        assert_eq!(
            PlatformTag("manylinux1_i686").manylinux_glibc(),
            Some((2, 5))
        );
        assert_eq!(
            PlatformTag("manylinux1_i686").architectures(),
            vec![Arch::X86]
        );
        assert_eq!(
            PlatformTag("manylinux2010_x86_64").manylinux_glibc(),
            Some((2, 12))
        );
        assert_eq!(
            PlatformTag("manylinux2014_aarch64").manylinux_glibc(),
            Some((2, 17))
        );
        assert_eq!(
            PlatformTag("manylinux2014_aarch64").architectures(),
            vec![Arch::Aarch64]
        );
        let m = PlatformTag("musllinux_1_2_x86_64");
        assert_eq!(m.family(), PlatformFamily::Musllinux);
        assert_eq!(m.musllinux_version(), Some((1, 2)));
        assert_eq!(m.manylinux_glibc(), None);
        assert_eq!(PlatformTag("linux_x86_64").family(), PlatformFamily::Linux);
        assert_eq!(PlatformTag("any").family(), PlatformFamily::Any);
        assert!(PlatformTag("any").architectures().is_empty());
    }

    #[test]
    fn macos_and_windows() {
        let u = PlatformTag("macosx_10_12_universal2");
        assert_eq!(u.family(), PlatformFamily::Macos);
        assert_eq!(u.macos_version(), Some((10, 12)));
        assert_eq!(u.architectures(), vec![Arch::Aarch64, Arch::X86_64]);
        assert_eq!(
            PlatformTag("macosx_11_0_arm64").architectures(),
            vec![Arch::Aarch64]
        );
        assert_eq!(
            PlatformTag("macosx_10_9_x86_64").architectures(),
            vec![Arch::X86_64]
        );
        assert_eq!(PlatformTag("win_amd64").architectures(), vec![Arch::X86_64]);
        assert_eq!(PlatformTag("win32").architectures(), vec![Arch::X86]);
        assert_eq!(
            PlatformTag("win_arm64").architectures(),
            vec![Arch::Aarch64]
        );
        assert_eq!(PlatformTag("win_arm64").family(), PlatformFamily::Windows);
    }

    #[test]
    fn junk_does_not_panic() {
        for t in [
            "",
            "_",
            "macosx_",
            "macosx_x_y_z",
            "manylinux_2",
            "manylinux",
            "win_",
            "é_é",
        ] {
            let t = PlatformTag(t);
            let _ = (t.family(), t.macos_version(), t.manylinux_glibc());
            let _ = (t.musllinux_version(), t.architectures());
        }
        assert_eq!(PlatformTag("macosx_x_y_z").macos_version(), None);
    }
}
