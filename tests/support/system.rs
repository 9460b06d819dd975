//! A "system" Python marked `EXTERNALLY-MANAGED` (PEP 668), without touching the real one.
//!
//! The test interpreter's base prefix is overlaid, in a private mount namespace (`unshare -m`,
//! root only), with an upper directory holding the marker in its stdlib directory. Commands run
//! through [`MarkedSystem::run`] see the marker, and everything they write under the prefix lands
//! in the upper directory, which the test can inspect; the real prefix and every other process
//! see nothing. [`MarkedSystem::new`] returns `None` where namespaces or overlayfs are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{python3, text};

pub struct MarkedSystem {
    pub dir: tempfile::TempDir,
    /// The base interpreter's prefix, e.g. `/usr` or `~/.pyenv/versions/3.11.7`.
    pub prefix: PathBuf,
    /// `<prefix>/bin/pythonX.Y`: not a virtual environment.
    pub python: PathBuf,
    /// The stdlib directory, where the marker is.
    pub stdlib: PathBuf,
}

impl MarkedSystem {
    /// The base interpreter with `marker` as the contents of its `EXTERNALLY-MANAGED` file.
    pub fn new(marker: &str) -> Option<MarkedSystem> {
        let out = Command::new(python3())
            .args([
                "-c",
                "import sys, sysconfig; print(sys.base_prefix); print(sysconfig.get_path('stdlib')); \
                 print(f'python{sys.version_info[0]}.{sys.version_info[1]}')",
            ])
            .output()
            .ok()?;
        let stdout = text(&out).0;
        let mut lines = stdout.lines();
        let (prefix, stdlib, exe) = (lines.next()?, lines.next()?, lines.next()?);
        let prefix = PathBuf::from(prefix);
        let stdlib = PathBuf::from(stdlib);
        let rel = stdlib.strip_prefix(&prefix).ok()?.to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("winst-system-")
            .tempdir()
            .ok()?;
        std::fs::create_dir_all(dir.path().join("upper").join(&rel)).ok()?;
        std::fs::create_dir_all(dir.path().join("work")).ok()?;
        std::fs::write(
            dir.path()
                .join("upper")
                .join(&rel)
                .join("EXTERNALLY-MANAGED"),
            marker,
        )
        .ok()?;
        let system = MarkedSystem {
            python: prefix.join("bin").join(exe),
            prefix,
            stdlib,
            dir,
        };
        let probe = system.run(
            Command::new("test")
                .arg("-f")
                .arg(system.stdlib.join("EXTERNALLY-MANAGED")),
        );
        if !probe.status.success() {
            eprintln!(
                "note: no private mount namespace with overlayfs here ({}); skipping",
                text(&probe).1.trim()
            );
            return None;
        }
        Some(system)
    }

    /// Where writes under the prefix land: the overlay's upper directory.
    pub fn upper(&self, path: &Path) -> PathBuf {
        let rel = path.strip_prefix(&self.prefix).unwrap_or(path);
        self.dir.path().join("upper").join(rel)
    }

    /// Runs `cmd` (program, arguments, environment and directory) where the prefix is overlaid.
    pub fn run(&self, cmd: &mut Command) -> Output {
        let mount = format!(
            "mount -t overlay overlay -o lowerdir={},upperdir={},workdir={} {} && exec \"$@\"",
            self.prefix.display(),
            self.dir.path().join("upper").display(),
            self.dir.path().join("work").display(),
            self.prefix.display()
        );
        let mut wrapped = Command::new("unshare");
        wrapped
            .args(["-m", "--propagation", "private", "sh", "-c", &mount, "sh"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        if let Some(cwd) = cmd.get_current_dir() {
            wrapped.current_dir(cwd);
        }
        wrapped.output().expect("unshare runs")
    }
}
