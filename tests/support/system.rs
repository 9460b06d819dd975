//! A "system" Python marked `EXTERNALLY-MANAGED` (PEP 668), without touching the real one.
//!
//! The test interpreter's base prefix is overlaid, in a private mount namespace (`unshare -m`,
//! root only), with an upper directory holding the marker in its stdlib directory. Commands run
//! through [`MarkedSystem::run`] see the marker, and everything they write under the prefix lands
//! in the upper directory, which the test can inspect; the real prefix and every other process
//! see nothing. [`MarkedSystem::new`] returns `None` where namespaces or overlayfs are missing,
//! after [`prerequisite`] printed `SKIPPED` (or failed the test under `CI=true`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{prerequisite, python3, text};

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
    /// The test interpreter's base installation with `marker` as the contents of its
    /// `EXTERNALLY-MANAGED` file. `None` (after [`prerequisite`] said so) where the machine has no
    /// private mount namespaces with overlayfs.
    pub fn new(marker: &str) -> Option<MarkedSystem> {
        Self::overlay(Path::new(&python3()), Some(marker))
    }

    /// The base installation of `python` overlaid as is: with `marker`, that marker is added (or
    /// replaces the installation's own); without, the installation keeps its own marker, if any.
    /// Either way, whatever a command run through [`MarkedSystem::run`] writes under the prefix
    /// lands in the overlay's upper directory, never in the real installation.
    pub fn overlay(python: &Path, marker: Option<&str>) -> Option<MarkedSystem> {
        let out = Command::new(python)
            .args([
                "-c",
                "import sys, sysconfig; print(sys.base_prefix); print(sysconfig.get_path('stdlib')); \
                 print(f'python{sys.version_info[0]}.{sys.version_info[1]}')",
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let stdout = text(&out).0;
        let mut lines = stdout.lines();
        let (Some(prefix), Some(stdlib), Some(exe)) = (lines.next(), lines.next(), lines.next())
        else {
            panic!(
                "{} did not describe itself: {:?}",
                python.display(),
                text(&out)
            );
        };
        let prefix = PathBuf::from(prefix);
        let stdlib = PathBuf::from(stdlib);
        let rel = stdlib
            .strip_prefix(&prefix)
            .unwrap_or_else(|_| panic!("{} is not under {}", stdlib.display(), prefix.display()))
            .to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("winst-system-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("upper")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        if let Some(marker) = marker {
            let at = dir.path().join("upper").join(&rel);
            std::fs::create_dir_all(&at).unwrap();
            std::fs::write(at.join("EXTERNALLY-MANAGED"), marker).unwrap();
        }
        let system = MarkedSystem {
            python: prefix.join("bin").join(exe),
            prefix,
            stdlib,
            dir,
        };
        // The probe: the prefix is overlaid (a file created inside is only in the upper
        // directory), which needs root and overlayfs.
        let probe_name = ".winst-overlay-probe";
        let probe = system.run(Command::new("touch").arg(system.prefix.join(probe_name)));
        let upper_probe = system.dir.path().join("upper").join(probe_name);
        let overlaid = probe.status.success() && upper_probe.is_file();
        let _ = std::fs::remove_file(&upper_probe);
        if !prerequisite(
            overlaid && !system.prefix.join(probe_name).exists(),
            &format!(
                "a private mount namespace with overlayfs over {} (unshare -m and mount, as \
                 root): {}",
                system.prefix.display(),
                text(&probe).1.trim()
            ),
        ) {
            return None;
        }
        Some(system)
    }

    /// Files (not directories) written under the prefix so far, relative to it.
    pub fn written(&self) -> Vec<PathBuf> {
        super::snapshot(&self.dir.path().join("upper"))
            .into_iter()
            .filter(|(_, n)| !matches!(n, super::Node::Dir))
            .map(|(p, _)| p)
            .collect()
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
