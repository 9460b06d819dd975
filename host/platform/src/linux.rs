//! Linux: `syncfs`, `FICLONE` clones, and the `manylinux`/`musllinux`/`linux` platform tags.
//!
//! Not here: what every platform shares (the lock, link fallbacks: [`crate`]).

/// The soft limit on open files a process may raise itself to: the hard limit (`None`:
/// unlimited).
#[cfg(target_os = "linux")]
pub(crate) fn max_open_files(hard: Option<u64>) -> Option<u64> {
    hard
}

/// Lists `dir` with `getdents64(2)` into an 8 KiB stack buffer (rustix's `RawDir`): names are
/// borrowed from the buffer, nothing is allocated per entry; each entry's type is its `d_type`
/// (`Unknown` where the filesystem does not fill it in).
#[cfg(target_os = "linux")]
pub(crate) fn for_each_entry(
    dir: std::os::fd::BorrowedFd<'_>,
    mut f: impl FnMut(&[u8], rustix::fs::FileType) -> bool,
) -> std::io::Result<()> {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8 << 10];
    let mut entries = rustix::fs::RawDir::new(dir, &mut buf);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if !f(entry.file_name().to_bytes(), entry.file_type()) {
            break;
        }
    }
    Ok(())
}

/// `openat2(O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: the
/// kernel walks `rel` and refuses what leaves `dir`; an `O_PATH` handle skips what opening for
/// reading does (permission and security hooks, file operations) and closes cheaper.
#[cfg(target_os = "linux")]
pub(crate) fn open_dir_beneath(
    dir: std::os::fd::BorrowedFd<'_>,
    rel: &str,
) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
    let fd = openat2(
        dir,
        rel,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    )?;
    Ok(std::fs::File::from(fd))
}

/// Flushes the filesystem of `dir` with `syncfs(2)`, which waits for it to finish.
#[cfg(target_os = "linux")]
pub(crate) fn sync_filesystem(dir: &std::fs::File) -> std::io::Result<()> {
    rustix::fs::syncfs(dir).map_err(Into::into)
}

/// Creates `name` in `dir` and clones `src` into it with `ioctl(FICLONE)`; removes it again if
/// the filesystem cannot clone.
#[cfg(target_os = "linux")]
pub(crate) fn clone_file(
    src: &std::fs::File,
    dir: std::os::fd::BorrowedFd<'_>,
    name: &str,
    executable: bool,
) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags, openat, unlinkat};
    let mode = Mode::from_raw_mode(if executable { 0o777 } else { 0o666 });
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    let out = openat(dir, name, flags, mode)?;
    rustix::fs::ioctl_ficlone(&out, src).map_err(|e| {
        let _ = unlinkat(dir, name, rustix::fs::AtFlags::empty());
        e.into()
    })
}

/// The Linux platform tags for `arch` (from `linux-<arch>`), most specific first: with glibc
/// `manylinux_2_N_<arch>` from the glibc version down to 2.5 (x86) or 2.17, each followed by its
/// legacy alias (`manylinux2014`, `manylinux2010`, `manylinux1`) where one exists; with musl
/// `musllinux_1_N_<arch>` down to 1.0; then `linux_<arch>`. A 32-bit interpreter on a 64-bit
/// kernel gets the 32-bit architecture.
pub fn platform_tags(arch: &str, pointer_bits: u32, libc: Option<(&str, &str)>) -> Vec<String> {
    let arch = match (arch, pointer_bits) {
        ("x86_64", 32) => "i686",
        ("aarch64", 32) => "armv8l",
        (a, _) => a,
    };
    let minor_of = |version: &str, default: u32| {
        version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(default)
    };
    let mut out = Vec::new();
    match libc {
        Some(("glibc", version)) => {
            let oldest = if matches!(arch, "x86_64" | "i686") {
                5
            } else {
                17
            };
            for m in (oldest..=minor_of(version, 17)).rev() {
                out.push(format!("manylinux_2_{m}_{arch}"));
                if let Some(alias) = legacy_alias(m, arch) {
                    out.push(format!("{alias}_{arch}"));
                }
            }
        }
        Some(("musl", version)) => {
            for m in (0..=minor_of(version, 1)).rev() {
                out.push(format!("musllinux_1_{m}_{arch}"));
            }
        }
        _ => {}
    }
    out.push(format!("linux_{arch}"));
    out
}

/// The PEP 513/571/599 name of `manylinux_2_{minor}` on `arch`, if it has one.
fn legacy_alias(minor: u32, arch: &str) -> Option<&'static str> {
    let x86 = matches!(arch, "x86_64" | "i686");
    match minor {
        17 if x86 || matches!(arch, "aarch64" | "armv7l" | "ppc64" | "ppc64le" | "s390x") => {
            Some("manylinux2014")
        }
        12 if x86 => Some("manylinux2010"),
        5 if x86 => Some("manylinux1"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_x86_64_in_packaging_order() {
        let tags = platform_tags("x86_64", 64, Some(("glibc", "2.17")));
        assert_eq!(
            tags[..3],
            [
                "manylinux_2_17_x86_64",
                "manylinux2014_x86_64",
                "manylinux_2_16_x86_64"
            ]
        );
        assert!(tags.contains(&"manylinux2010_x86_64".to_string()));
        assert_eq!(
            tags[tags.len() - 3..],
            ["manylinux_2_5_x86_64", "manylinux1_x86_64", "linux_x86_64"]
        );
    }

    #[test]
    fn aarch64_starts_at_2_17_and_32_bit_gets_its_arch() {
        let tags = platform_tags("aarch64", 64, Some(("glibc", "2.28")));
        assert_eq!(tags.last().unwrap(), "linux_aarch64");
        assert!(tags.contains(&"manylinux2014_aarch64".to_string()));
        assert!(!tags.iter().any(|t| t.starts_with("manylinux_2_16")));
        assert_eq!(platform_tags("x86_64", 32, None), ["linux_i686"]);
    }

    #[test]
    fn musl() {
        let tags = platform_tags("x86_64", 64, Some(("musl", "1.2.4")));
        assert_eq!(
            tags,
            [
                "musllinux_1_2_x86_64",
                "musllinux_1_1_x86_64",
                "musllinux_1_0_x86_64",
                "linux_x86_64"
            ]
        );
    }
}
