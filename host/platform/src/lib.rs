//! Everything in winst that differs between operating systems, one implementation per platform.
//!
//! | what | Linux ([`linux`]) | macOS ([`macos`]) |
//! |---|---|---|
//! | flushing an install to disk ([`sync_filesystem`]) | `syncfs(2)` | `sync(2)`, then `fcntl(F_FULLFSYNC)` |
//! | `--link-mode clone` ([`clone_file`]) | `ioctl(FICLONE)` (btrfs, XFS) | `fclonefileat(2)` (APFS) |
//! | the environment lock ([`try_lock_exclusive`]) | `flock(2)` | `flock(2)` |
//! | when to fall back from links ([`is_unsupported`]) | `EXDEV`, `EPERM`, `EOPNOTSUPP`, `EMLINK` | the same names (other numbers) |
//! | listing a directory's names and entry types ([`for_each_entry`]) | `getdents64(2)` (`d_type`) into one stack buffer, no allocation per entry | `readdir(3)` (`d_type`, through rustix's `Dir`) |
//! | open-file limit ([`raise_open_file_limit`]) | soft limit up to the hard limit | the same, at most `OPEN_MAX` (10,240) |
//! | platform tags ([`platform_tags`]) | `manylinux_2_N`, `musllinux_1_N`, `linux_<arch>` | `macosx_X_Y_<arch>`, `universal2`, `intel`, ... |
//!
//! The system calls exist for the platform winst is built for; the tag rules are plain data and
//! are always compiled, so both are unit-tested on Linux. What CI runs only on Linux: everything
//! else (the macOS code is type- and lint-checked by `cargo clippy --target *-apple-darwin`).
//!
//! Not here, because it is not code that differs: the scheme paths and `EXTERNALLY-MANAGED` of
//! macOS framework builds (python.org's `Python.framework`, Homebrew's `osx_framework_library`
//! scheme) come from the interpreter's own `sysconfig` (`winst_python::interpreter`), exactly as
//! pip reads them, with `posix_prefix` for `--prefix` as pip uses there. Windows is not supported:
//! the `winst` binary refuses it at startup (host/src/main.rs).

pub mod linux;
pub mod macos;

#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(target_os = "macos")]
use macos as sys;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("winst-platform has implementations for Linux and macOS only");

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

pub use rustix::fs::FileType;

/// Raises this process's soft limit on open files to the hard limit (as uv and cargo do), and
/// returns the limit now in force. An install holds a few directory handles per worker, but
/// bytecode compilation holds two per directory it compiles in, and a thousand small wheels make
/// thousands of directories, past the common default soft limit of 1,024.
///
/// Errors: `setrlimit(2)`'s, with the limit left as it was.
pub fn raise_open_file_limit() -> io::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let target = sys::max_open_files(limit.maximum);
    match (limit.current, target) {
        (Some(current), Some(target)) if current >= target => return Ok(current),
        (None, _) | (_, None) => return Ok(limit.current.unwrap_or(u64::MAX)),
        _ => {}
    }
    let raised = Rlimit {
        current: target,
        maximum: limit.maximum,
    };
    setrlimit(Resource::Nofile, raised)?;
    Ok(target.unwrap_or(u64::MAX))
}

/// Grows this process's file-descriptor table to hold at least `count` descriptors (at most the
/// soft open-file limit), so that it need not grow while the install runs. Call it while the
/// process has one thread: Linux grows a table shared by several threads only after an RCU grace
/// period, during which every thread that opens a file waits (measured: the open stage of a warm
/// install of 1,000 wheels, which holds a directory handle per wheel, half idle). Growing it now
/// costs a few kilobytes and no wait.
///
/// Errors: `fcntl(2)`'s (`EMFILE`, `EINVAL` past the limit); the table is left as it was.
pub fn reserve_descriptors(count: u64) -> io::Result<()> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let highest = count.min(limit).saturating_sub(1);
    let Ok(highest) = i32::try_from(highest) else {
        return Ok(());
    };
    if highest < 3 {
        return Ok(());
    }
    let null = File::open("/dev/null")?;
    // The lowest free descriptor at or above `highest`: the table grows to hold it; closing it
    // (dropping) keeps the table's size.
    let _high = rustix::io::fcntl_dupfd_cloexec(null.as_fd(), highest)?;
    Ok(())
}

/// Flushes everything written to the filesystem that holds the directory `dir` to stable
/// storage, so that a journal written after it never describes files a power cut could lose.
///
/// Errors: the flush's own error (`EIO`, ...).
pub fn sync_filesystem(dir: &File) -> io::Result<()> {
    sys::sync_filesystem(dir)
}

/// Creates `name` (a relative path, its parent existing) in the directory `dir` as a
/// copy-on-write clone of `src`: the same bytes, sharing the disk blocks. On Linux the new file's
/// permissions are `0o777` (`executable`) or `0o666`, less the umask; on macOS they are the
/// source's (`clonefile` copies them; winst's cache stores files with the bits they are
/// installed with).
///
/// Errors: when the filesystem cannot clone (`EOPNOTSUPP`, `EXDEV`, `EINVAL`, ...), with nothing
/// left at `name`; the caller copies instead.
pub fn clone_file(src: &File, dir: impl AsFd, name: &str, executable: bool) -> io::Result<()> {
    sys::clone_file(src, dir.as_fd(), name, executable)
}

/// Tries to take an exclusive advisory lock on `file` (`flock(2)`, released when the file is
/// closed or the process exits). `Ok(false)` when another process holds it (or a signal
/// interrupted the call): try again later.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK | rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Calls `f` with the name and type of each entry of the directory `dir` (an open directory
/// handle; `.` and `..` left out), in the directory's order, until `f` returns `false` or the
/// entries end. Reads from the handle's current position: give a freshly opened handle.
///
/// The type is the listing's own (`d_type`), the entry itself, not what a symbolic link leads
/// to: no system call per entry. Some filesystems do not fill it in (`DT_UNKNOWN`, given as
/// [`FileType::Unknown`]): a caller that needs the type of such an entry asks `statat(2)` for
/// it (`AT_SYMLINK_NOFOLLOW`, relative to `dir`).
///
/// Errors: the listing's own (`EIO`, `ENOTDIR`, ...).
pub fn for_each_entry(
    dir: impl AsFd,
    mut f: impl FnMut(&[u8], FileType) -> bool,
) -> io::Result<()> {
    sys::for_each_entry(dir.as_fd(), |name, kind| {
        name == b"." || name == b".." || f(name, kind)
    })
}

/// A handle on the directory `rel` beneath `dir`, for use as the directory of `*at` calls only
/// (files are opened, made, linked and looked at relative to it; it is not read). The path is
/// resolved as `cap-std` resolves it: every component beneath `dir`, `..` and absolute symbolic
/// links that would leave it refused. Cheaper to open and close than a readable handle
/// (Linux: `openat2(O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`).
///
/// Errors: the system's (`ENOENT`, `ENOTDIR`, `EXDEV` for a path that leaves `dir`), and
/// `ENOSYS` where the system has no such call (Linux before 5.6, macOS): the caller opens the
/// directory through `cap-std` then.
pub fn open_dir_beneath(dir: impl AsFd, rel: &str) -> io::Result<File> {
    sys::open_dir_beneath(dir.as_fd(), rel)
}

/// Whether a hard link (or clone) failed because this filesystem or pair of directories cannot
/// do it (another filesystem, no permission to link, not supported, too many links), so that a
/// copy will do.
pub fn is_unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    [Errno::XDEV, Errno::PERM, Errno::OPNOTSUPP, Errno::MLINK]
        .iter()
        .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
}

/// What the platform tags of an interpreter depend on, from the interpreter itself.
#[derive(Debug, Clone, Copy)]
pub struct PlatformFacts<'a> {
    /// `sysconfig.get_platform()`: `linux-x86_64`, `macosx-11.0-arm64`, `macosx-10.9-universal2`.
    pub sysconfig_platform: &'a str,
    /// `platform.machine()`: `x86_64`, `aarch64`, `arm64`.
    pub machine: &'a str,
    /// 32 or 64.
    pub pointer_bits: u32,
    /// The C library on Linux: (`glibc` or `musl`, its version `2.36`).
    pub libc: Option<(&'a str, &'a str)>,
    /// The macOS version the interpreter runs on (`platform.mac_ver()`, `14.5`), not the one it
    /// was built for.
    pub mac_version: Option<&'a str>,
}

/// The platform tags an interpreter supports, most specific first, as `packaging.tags` orders
/// them (PyPA platform compatibility tags; PEP 600 `manylinux`, PEP 656 `musllinux`). Other
/// platforms get only their exact `sysconfig` platform, normalized (`-`, `.` and ` ` to `_`).
pub fn platform_tags(facts: &PlatformFacts) -> Vec<String> {
    let plat = facts.sysconfig_platform.replace(['-', '.', ' '], "_");
    if let Some(arch) = plat.strip_prefix("linux_") {
        return linux::platform_tags(arch, facts.pointer_bits, facts.libc);
    }
    if plat.starts_with("macosx_")
        && let Some(tags) = macos::platform_tags(facts)
    {
        return tags;
    }
    vec![plat]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of this process's descriptor table (`FDSize` in `/proc/self/status`).
    #[cfg(target_os = "linux")]
    fn fd_table_size() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("FDSize:")).unwrap();
        line["FDSize:".len()..].trim().parse().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reserve_descriptors_grows_the_table_and_leaves_no_descriptor_open() {
        // The highest open descriptor: other tests of this process open and close low ones
        // at the same time, so the count of open descriptors would race; none opens hundreds.
        let highest = || {
            (std::fs::read_dir("/proc/self/fd").unwrap())
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<usize>().ok())
                .max()
                .unwrap_or(0)
        };
        let limit = raise_open_file_limit().unwrap();
        let want = 3000.min(limit);
        reserve_descriptors(want).unwrap();
        assert!(fd_table_size() >= want, "table of {}", fd_table_size());
        assert!(
            highest() < 512,
            "the descriptor it used is closed: {}",
            highest()
        );
        // Past the limit: no error (as far as the limit).
        reserve_descriptors(limit.saturating_add(1)).unwrap();
        assert!(highest() < 512, "{}", highest());
    }

    #[test]
    fn for_each_entry_lists_every_entry_but_dots_with_its_type_and_stops_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut want: Vec<(String, FileType)> = (0..600)
            .map(|i| (format!("a_rather_long_name_{i}"), FileType::RegularFile))
            .collect();
        for (n, _) in &want {
            std::fs::write(dir.path().join(n), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("link")).unwrap();
        want.push(("sub".to_string(), FileType::Directory));
        want.push(("link".to_string(), FileType::Symlink));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        let mut got = Vec::new();
        let handle = File::open(dir.path()).unwrap();
        for_each_entry(&handle, |n, kind| {
            got.push((String::from_utf8(n.to_vec()).unwrap(), kind));
            true
        })
        .unwrap();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        // A filesystem may leave the type out (`DT_UNKNOWN`); the names are always there.
        let names = |v: &[(String, FileType)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want));
        for ((name, kind), (_, want)) in got.iter().zip(&want) {
            assert!(
                *kind == *want || *kind == FileType::Unknown,
                "{name}: {kind:?}"
            );
        }
        let mut seen = 0;
        let handle = File::open(dir.path()).unwrap();
        for_each_entry(&handle, |_, _| {
            seen += 1;
            seen < 3
        })
        .unwrap();
        assert_eq!(seen, 3);
    }
}
