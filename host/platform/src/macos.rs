//! macOS: `sync` + `F_FULLFSYNC`, APFS clones with `fclonefileat`, and the `macosx_X_Y_<arch>`
//! platform tags (`universal2`, `intel`, `fat64`, ... as `packaging.tags.mac_platforms` lists
//! them).
//!
//! Type- and lint-checked by CI for `x86_64-apple-darwin` and `aarch64-apple-darwin`; the tag
//! rules are unit-tested on every platform; the system calls run only on a Mac (see README.md).
//! Not here: what every platform shares (the lock, link fallbacks: [`crate`]).

/// `fclonefileat`'s flag for "the clone is owned by the caller, not the source's owner".
#[cfg(target_os = "macos")]
const CLONE_NOOWNERCOPY: u32 = 0x0002;

/// Flushes the filesystem of `dir`. macOS has no `syncfs`, and its `fsync` leaves data in the
/// drive's cache: `sync(2)` starts writing every dirty buffer, and `fcntl(F_FULLFSYNC)` on the
/// directory then waits for the device to flush its cache (on APFS this commits the whole
/// container's pending transaction, the files written before it included).
#[cfg(target_os = "macos")]
pub(crate) fn sync_filesystem(dir: &std::fs::File) -> std::io::Result<()> {
    rustix::fs::sync();
    rustix::fs::fcntl_fullfsync(dir).map_err(Into::into)
}

/// Lists `dir` with `readdir(3)` through rustix's `Dir` (on a duplicate of the handle, which
/// shares its position); each entry's type is its `d_type`.
#[cfg(target_os = "macos")]
pub(crate) fn for_each_entry(
    dir: std::os::fd::BorrowedFd<'_>,
    mut f: impl FnMut(&[u8], rustix::fs::FileType) -> bool,
) -> std::io::Result<()> {
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        if !f(entry.file_name().to_bytes(), entry.file_type()) {
            break;
        }
    }
    Ok(())
}

/// The soft limit on open files a process may raise itself to: the hard limit, but at most
/// `OPEN_MAX` (10,240), as `setrlimit(2)` refuses more for `RLIMIT_NOFILE` on macOS.
#[cfg(target_os = "macos")]
pub(crate) fn max_open_files(hard: Option<u64>) -> Option<u64> {
    const OPEN_MAX: u64 = 10_240;
    Some(hard.map_or(OPEN_MAX, |h| h.min(OPEN_MAX)))
}

/// Clones `src` to the new file `name` in `dir` with `fclonefileat(2)` (APFS); the clone keeps
/// the source's permission bits, so `executable` is not used.
#[cfg(target_os = "macos")]
pub(crate) fn clone_file(
    src: &std::fs::File,
    dir: std::os::fd::BorrowedFd<'_>,
    name: &str,
    _executable: bool,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let name = std::ffi::CString::new(name)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: both descriptors are open for the duration of the call (borrowed), and `name` is a
    // NUL-terminated string that outlives it.
    let rc = unsafe {
        libc::fclonefileat(
            src.as_raw_fd(),
            dir.as_raw_fd(),
            name.as_ptr(),
            CLONE_NOOWNERCOPY,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The macOS platform tags, most specific first, as `packaging.tags.mac_platforms` yields them
/// for the running macOS version (`facts.mac_version`, else the version in the `sysconfig`
/// platform) and the machine's architecture (`arm64`, `x86_64`; `i386`/`ppc` for a 32-bit
/// interpreter): `macosx_14_0_arm64`, `macosx_14_0_universal2`, ... `macosx_11_0_*`, then the
/// 10.x releases (`universal2` only on arm64). `None` when no version can be read.
pub fn platform_tags(facts: &crate::PlatformFacts) -> Option<Vec<String>> {
    let version = facts
        .mac_version
        .filter(|v| !v.is_empty())
        .or_else(|| facts.sysconfig_platform.split('-').nth(1))
        .and_then(parse_version)?;
    let arch = match (facts.machine, facts.pointer_bits) {
        (m, 32) if m.starts_with("ppc") => "ppc",
        (_, 32) => "i386",
        (m, _) => m,
    };
    let tags = |major: u32, minor: u32| {
        binary_formats((major, minor), arch)
            .into_iter()
            .map(move |format| format!("macosx_{major}_{minor}_{format}"))
    };
    let mut out = Vec::new();
    if version.0 == 10 {
        (0..=version.1)
            .rev()
            .for_each(|minor| out.extend(tags(10, minor)));
    } else if version.0 >= 11 {
        // From macOS 11 the major version counts the releases; x.0 stands for each.
        (11..=version.0)
            .rev()
            .for_each(|major| out.extend(tags(major, 0)));
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                out.extend(tags(10, minor));
            } else {
                // Arm64 binaries start at 11.0, but a universal2 one may name an older macOS.
                out.push(format!("macosx_10_{minor}_universal2"));
            }
        }
    }
    Some(out)
}

/// `14.5` or `10.9` → (14, 5) / (10, 9).
fn parse_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.trim().parse().ok())?;
    Some((major, minor))
}

/// The binary formats a macOS `version` runs for `arch`, as `packaging.tags._mac_binary_formats`.
fn binary_formats(version: (u32, u32), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" if version < (10, 4) => return vec![],
        "x86_64" => formats.extend(["intel", "fat64", "fat32"]),
        "i386" if version < (10, 4) => return vec![],
        "i386" => formats.extend(["intel", "fat32", "fat"]),
        "ppc64" if !((10, 4)..=(10, 5)).contains(&version) => return vec![],
        "ppc64" => formats.push("fat64"),
        "ppc" if version > (10, 6) => return vec![],
        "ppc" => formats.extend(["fat32", "fat"]),
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc") {
        formats.push("universal");
    }
    formats
}

#[cfg(test)]
mod tests {
    use crate::PlatformFacts;

    fn tags(platform: &str, machine: &str, mac: Option<&str>) -> Vec<String> {
        crate::platform_tags(&PlatformFacts {
            sysconfig_platform: platform,
            machine,
            pointer_bits: 64,
            libc: None,
            mac_version: mac,
        })
    }

    /// `list(packaging.tags.mac_platforms((14, 5), "arm64"))` (checked with pip 23.2's packaging).
    #[test]
    fn arm64_on_sonoma_like_packaging() {
        let t = tags("macosx-11.0-arm64", "arm64", Some("14.5"));
        assert_eq!(
            t[..8],
            [
                "macosx_14_0_arm64",
                "macosx_14_0_universal2",
                "macosx_13_0_arm64",
                "macosx_13_0_universal2",
                "macosx_12_0_arm64",
                "macosx_12_0_universal2",
                "macosx_11_0_arm64",
                "macosx_11_0_universal2",
            ]
        );
        assert_eq!(t[8], "macosx_10_16_universal2");
        assert_eq!(t.last().unwrap(), "macosx_10_4_universal2");
        assert_eq!(t.len(), 8 + 13);
        assert!(
            !t.iter()
                .any(|t| t.contains("x86_64") || t.contains("_10_16_arm64"))
        );
    }

    /// A python.org universal2 build on an Intel Mac: the tags follow the machine, not the build.
    #[test]
    fn x86_64_universal2_build_like_packaging() {
        let t = tags("macosx-10.9-universal2", "x86_64", Some("12.6"));
        let formats = [
            "x86_64",
            "intel",
            "fat64",
            "fat32",
            "universal2",
            "universal",
        ];
        let expect_12: Vec<String> = formats.iter().map(|f| format!("macosx_12_0_{f}")).collect();
        assert_eq!(t[..6], expect_12[..]);
        assert!(t.contains(&"macosx_10_9_x86_64".to_string()));
        assert!(t.contains(&"macosx_10_9_universal2".to_string()));
        assert_eq!(t.last().unwrap(), "macosx_10_4_universal");
        assert_eq!(t.len(), 2 * 6 + 13 * 6);
    }

    #[test]
    fn catalina_counts_minor_versions_and_falls_back_to_sysconfig() {
        let t = tags("macosx-10.15-x86_64", "x86_64", None);
        assert_eq!(t[0], "macosx_10_15_x86_64");
        assert_eq!(t.last().unwrap(), "macosx_10_4_universal");
        assert!(!t.iter().any(|t| t.starts_with("macosx_11")));
        assert_eq!(tags("macosx-x-arm64", "arm64", None), ["macosx_x_arm64"]);
    }
}

/// macOS has no `openat2`: `ENOSYS`, and the caller opens the directory through `cap-std`.
#[cfg(target_os = "macos")]
pub(crate) fn open_dir_beneath(
    _dir: std::os::fd::BorrowedFd<'_>,
    _rel: &str,
) -> std::io::Result<std::fs::File> {
    Err(rustix::io::Errno::NOSYS.into())
}
