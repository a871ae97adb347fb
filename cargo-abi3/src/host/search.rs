//! ld.so's search-path vocabulary: dynamic string tokens (`$ORIGIN`, `$LIB`, `$PLATFORM`)
//! and the default directories of an architecture.

use crate::binary::Arch;
pub use crate::report::extra::FoundVia;

use super::fs::{MAX_PATH, Root};

/// The values dynamic string tokens expand to for one architecture.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub lib: String,
    pub platform: String,
}

/// The multiarch tuple Debian-style systems use for an architecture.
pub fn multiarch(arch: &Arch) -> Option<&'static str> {
    Some(match arch {
        Arch::X86_64 => "x86_64-linux-gnu",
        Arch::X86 => "i386-linux-gnu",
        Arch::Aarch64 => "aarch64-linux-gnu",
        Arch::Arm => "arm-linux-gnueabihf",
        Arch::Ppc64le => "powerpc64le-linux-gnu",
        Arch::S390x => "s390x-linux-gnu",
        Arch::Riscv64 => "riscv64-linux-gnu",
        _ => return None,
    })
}

fn is_64(arch: &Arch) -> bool {
    !matches!(arch, Arch::X86 | Arch::Arm)
}

impl Tokens {
    pub fn new(root: &Root, arch: &Arch) -> Self {
        // $LIB is the distribution's library directory: Debian's multiarch one where it
        // exists, else lib64 on 64-bit targets.
        let lib = match multiarch(arch) {
            Some(tuple) if root.canonical(&format!("/lib/{tuple}")).is_some() => {
                format!("lib/{tuple}")
            }
            _ if is_64(arch) => "lib64".to_owned(),
            _ => "lib".to_owned(),
        };
        Tokens {
            lib,
            platform: arch.as_str().to_owned(),
        }
    }
}

/// The default directories searched last (unless `-z nodeflib`).
pub fn default_dirs(arch: &Arch) -> Vec<String> {
    let mut dirs = Vec::new();
    if let Some(tuple) = multiarch(arch) {
        dirs.push(format!("/lib/{tuple}"));
        dirs.push(format!("/usr/lib/{tuple}"));
    }
    if is_64(arch) {
        dirs.push("/lib64".to_owned());
        dirs.push("/usr/lib64".to_owned());
    }
    dirs.push("/lib".to_owned());
    dirs.push("/usr/lib".to_owned());
    dirs
}

/// Expands `$ORIGIN`, `$LIB`, `$PLATFORM` (also `${…}`) in a search-path entry or a
/// DT_NEEDED name. `None` when `$ORIGIN` is used but unknown or the result is too long.
pub fn expand(entry: &str, origin: Option<&str>, tokens: &Tokens) -> Option<String> {
    let mut out = String::new();
    let mut rest = entry;
    while let Some(at) = rest.find('$') {
        out.push_str(rest.get(..at)?);
        let after = rest.get(at + 1..)?;
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            let close = braced.find('}')?;
            (braced.get(..close)?, braced.get(close + 1..)?)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (after.get(..end)?, after.get(end..)?)
        };
        // A token must end at a slash or the end of the entry.
        let known = tail.is_empty() || tail.starts_with('/');
        match name {
            "ORIGIN" if known => out.push_str(origin?),
            "LIB" if known => out.push_str(&tokens.lib),
            "PLATFORM" if known => out.push_str(&tokens.platform),
            _ => {
                out.push('$');
                rest = after;
                continue;
            }
        }
        rest = tail;
        if out.len() > MAX_PATH {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= MAX_PATH).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            lib: "lib64".into(),
            platform: "x86_64".into(),
        }
    }

    #[test]
    fn expands_tokens() {
        let t = tokens();
        assert_eq!(
            expand("$ORIGIN/../lib", Some("/opt/x/bin"), &t).as_deref(),
            Some("/opt/x/bin/../lib")
        );
        assert_eq!(expand("${ORIGIN}", Some("/a"), &t).as_deref(), Some("/a"));
        assert_eq!(
            expand("/usr/$LIB/$PLATFORM", None, &t).as_deref(),
            Some("/usr/lib64/x86_64")
        );
        assert_eq!(expand("$ORIGIN", None, &t), None);
        assert_eq!(
            expand("/a/$ORIGINAL", Some("/o"), &t).as_deref(),
            Some("/a/$ORIGINAL")
        );
        assert_eq!(expand("/a/${ORIGIN", Some("/o"), &t), None);
        assert_eq!(expand("/a/$", Some("/o"), &t).as_deref(), Some("/a/$"));
        let long = "$ORIGIN/".repeat(2000);
        assert_eq!(expand(&long, Some("/origin/dir"), &t), None);
    }

    #[test]
    fn default_dirs_are_multiarch_first() {
        let dirs = default_dirs(&Arch::X86_64);
        assert_eq!(dirs[0], "/lib/x86_64-linux-gnu");
        assert!(dirs.contains(&"/usr/lib64".to_owned()));
        assert_eq!(dirs.last().unwrap(), "/usr/lib");
    }
}
