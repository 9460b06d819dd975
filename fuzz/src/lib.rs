//! Helpers shared by the fuzz targets: a scratch directory, a fake install target, and the
//! invariants checked on opened wheels and plans.
//!
//! Everything here uses winst's public API only. A panic anywhere below is a finding: the
//! targets must turn every input into `Ok` or `Err`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use winst_install::plan::{self, Plan, PlanOptions};
use winst_python::installed::InstalledDist;
use winst_python::interpreter::{Interpreter, Libc, PREFIX_PLACEHOLDER, SchemePaths};
use winst_python::scripts::{Launcher, ScriptFile};
use winst_python::target::{self, Layout, Target};
use winst_wheel::{self as wheel, OpenOptions, OpenedWheel};

/// A per-process scratch directory, in memory (`/dev/shm`) when there is one.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // Directories of earlier runs whose process is gone (libFuzzer exits without running
        // destructors, so nothing removes them at exit).
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name();
                if let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("winst-fuzz-"))
                    && pid.parse::<u32>().is_ok()
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("winst-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the fuzz scratch directory");
        dir
    })
}

/// The file name used when the input's own is not a usable single path component.
pub const FALLBACK_NAME: &str = "fuzz-1.0-py3-none-any.whl";

/// Whether `name` can be a file name in the scratch directory (one component, creatable).
fn usable_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains(['/', '\0'])
}

/// Writes `bytes` to `<scratch>/<name>` and calls `f` with the path; the file is removed after.
pub fn with_wheel_file<R>(name: &str, bytes: &[u8], f: impl FnOnce(&Path) -> R) -> R {
    let name = if usable_file_name(name) {
        name
    } else {
        FALLBACK_NAME
    };
    // A subdirectory so that a wheel named like a leftover cannot collide with anything.
    let dir = scratch_dir().join("in");
    std::fs::create_dir_all(&dir).expect("cannot create the scratch input directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("cannot write the scratch wheel");
    let out = f(&path);
    let _ = std::fs::remove_file(&path);
    out
}

/// A fake CPython 3.11 virtual environment under the scratch directory. Nothing is created on
/// disk: planning only computes paths (and reads installed files, of which there are none).
pub fn fake_target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let env = scratch_dir().join("env");
        let site = env.join("lib/python3.11/site-packages");
        let placeholder = Path::new(PREFIX_PLACEHOLDER);
        let interpreter = Interpreter {
            executable: env.join("bin/python"),
            prefix: env.clone(),
            base_prefix: PathBuf::from("/usr"),
            version: (3, 11, 9),
            implementation: "cpython".into(),
            abiflags: String::new(),
            soabi: Some("cpython-311-x86_64-linux-gnu".into()),
            platform: "linux-x86_64".into(),
            pointer_bits: 64,
            gil_disabled: false,
            libc: Some(Libc {
                name: "glibc".into(),
                version: "2.36".into(),
            }),
            mac_version: None,
            cache_tag: Some("cpython-311".into()),
            magic: "a70d0d0a".into(),
            paths: SchemePaths {
                purelib: site.clone(),
                platlib: site,
                scripts: env.join("bin"),
                data: env.clone(),
                include: PathBuf::from("/usr/include/python3.11"),
            },
            prefix_paths: SchemePaths {
                purelib: placeholder.join("lib/python3.11/site-packages"),
                platlib: placeholder.join("lib/python3.11/site-packages"),
                scripts: placeholder.join("bin"),
                data: placeholder.to_path_buf(),
                include: placeholder.join("include/python3.11"),
            },
            stdlib: PathBuf::from("/usr/lib/python3.11"),
            markers: Default::default(),
        };
        let layout = Layout::Environment;
        let scheme = target::scheme_for(&interpreter, &layout);
        Target {
            interpreter,
            scheme,
            layout,
        }
    })
}

/// The two ways `winst install` opens wheels: `--untrusted` (default limits, RECORD verified) and
/// the most lenient trusted mode (`--no-verify-record`).
pub fn open_modes() -> [OpenOptions; 2] {
    [
        OpenOptions {
            verify_record: true,
            limits: Some(wheel::limits::UntrustedLimits::default()),
        },
        OpenOptions {
            verify_record: false,
            limits: None,
        },
    ]
}

/// With `WINST_FUZZ_DEBUG` set, targets print why winst refused each input (to check that seeds
/// get past the early checks). Off by default: printing slows fuzzing down.
pub fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("WINST_FUZZ_DEBUG").is_some())
}

/// Opens `path` in every mode; plans each wheel that opens. The core of the whole-wheel targets.
pub fn open_and_plan(path: &Path) {
    for options in open_modes() {
        match wheel::open(path, options) {
            Ok(w) => {
                check_opened(&w, options);
                plan_variants(&w, options);
            }
            Err(e) => {
                // Formatting the error is part of what a user sees; it must not panic either.
                let msg = e.to_string();
                if debug() {
                    eprintln!(
                        "open (verify_record={}, untrusted={}): {msg}",
                        options.verify_record,
                        options.limits.is_some()
                    );
                }
            }
        }
    }
}

/// What `wheel::open` promises about a wheel it accepts.
pub fn check_opened(w: &OpenedWheel, options: OpenOptions) {
    let _ = w.version();
    let stem = w
        .dist_info
        .strip_suffix(".dist-info")
        .unwrap_or_else(|| panic!("dist_info `{}` does not end in .dist-info", w.dist_info));
    assert_eq!(w.data_dir, format!("{stem}.data"));
    assert_eq!(
        w.normalized_name(),
        winst_wheel::name::normalize(&w.filename.name),
        "accepted a wheel whose METADATA Name does not match its file name"
    );
    assert!(winst_wheel::name::is_valid_project_name(w.name()));
    for m in &w.archive.members {
        // archive.rs: every member name follows these rules.
        if let Err(rule) = wheel::archive::check_member_name(&m.name) {
            panic!(
                "accepted member `{}` that breaks: {rule}",
                m.name.escape_debug()
            );
        }
    }
    if options.verify_record {
        // mod.rs check_record: every file but RECORD (and its signatures) is listed with a hash,
        // and the size, when given, is the archive's.
        for m in w.archive.members.iter().filter(|m| !m.is_dir) {
            if wheel::is_record_or_signature(w, &m.name) {
                continue;
            }
            // The size check (RECORD's size, when given, is the archive's) happens at open;
            // only the hash is kept, by member index.
            assert!(
                w.record_hash(m.index).is_some(),
                "accepted member `{}` without a RECORD hash",
                m.name.escape_debug()
            );
        }
    }
    if let Some(limits) = options.limits {
        assert!(w.archive.members.len() as u64 <= limits.max_members);
        for m in &w.archive.members {
            assert!(m.name.len() as u64 <= limits.max_path_length);
            assert!(m.size <= limits.max_member_size);
        }
    }
}

/// Launchers like the default scripts plugin's: one executable file per entry point, named after
/// it. (The real plugin is WebAssembly and is not run here.)
/// Per wheel (one here), per entry point, the files.
fn launchers_for(w: &OpenedWheel) -> Vec<Vec<Launcher>> {
    vec![
        w.entry_points
            .iter()
            .map(|ep| Launcher {
                entry_point: ep.name.clone(),
                files: vec![ScriptFile {
                    name: ep.name.clone(),
                    contents: format!(
                        "#!python\nimport sys\nfrom {} import {}\nsys.exit({}())\n",
                        ep.module,
                        ep.attr.split('.').next().unwrap_or_default(),
                        ep.attr
                    )
                    .into_bytes(),
                    executable: true,
                }],
            })
            .collect(),
    ]
}

/// Plans `w` for the fake target: alone, over an older installed version of itself (removals),
/// and next to another project that owns one of its files (overwrite refusal).
fn plan_variants(w: &OpenedWheel, open: OpenOptions) {
    let target = fake_target();
    let site = &target.scheme.purelib;
    let launchers = launchers_for(w);
    let editable = [None];
    let options = |allow_overwrite| PlanOptions {
        allow_overwrite,
        verify_record: open.verify_record,
        requested: true,
        launchers: &launchers,
        editable: &editable,
        untrusted: open.limits.as_ref(),
        remove: &[],
    };
    let wheels = std::slice::from_ref(w);

    // 1. Alone.
    run_plan(wheels, target, &[], &options(false));

    // 2. Replacing an older version of itself, whose RECORD lists an old file, a file the new
    //    version also has, the generated dist-info files, and a path outside the environment.
    let escaped = winst_wheel::name::escape(w.name());
    let old_dist_info = site.join(format!("{escaped}-0.0.0.dist-info"));
    let mut old_files = vec![
        old_dist_info.join("RECORD"),
        old_dist_info.join("METADATA"),
        site.join(&escaped).join("__old_module__.py"),
        PathBuf::from("/outside/the/environment.py"),
    ];
    if let Some(m) = w.archive.members.iter().find(|m| !m.is_dir) {
        old_files.push(site.join(&m.name));
    }
    let old = InstalledDist {
        name: w.name().to_string(),
        normalized: w.normalized_name(),
        version: "0.0.0".into(),
        dist_info: old_dist_info,
        installer: Some("pip".into()),
        files: Some(old_files),
    };
    run_plan(wheels, target, std::slice::from_ref(&old), &options(false));

    // 3. Another project owns a file this wheel installs (and the old version has no RECORD).
    let mut no_record = old;
    no_record.files = None;
    let other = InstalledDist {
        name: "zz-other-project".into(),
        normalized: "zz-other-project".into(),
        version: "1".into(),
        dist_info: site.join("zz_other_project-1.dist-info"),
        installer: None,
        files: Some(
            w.archive
                .members
                .iter()
                .filter(|m| !m.is_dir)
                .take(2)
                .map(|m| site.join(&m.name))
                .collect(),
        ),
    };
    run_plan(
        wheels,
        target,
        std::slice::from_ref(&other),
        &options(false),
    );
    run_plan(wheels, target, &[other, no_record], &options(true));
}

fn run_plan(wheels: &[OpenedWheel], target: &Target, installed: &[InstalledDist], o: &PlanOptions) {
    let env = plan::DiskView::new(&target.scheme.purelib);
    match plan::plan(wheels, target, installed, &env, o) {
        Ok(p) => {
            if debug() {
                eprintln!(
                    "plan: ok, {} files, {} removals, {} warnings",
                    p.files.len(),
                    p.removals.len(),
                    p.warnings.len()
                );
            }
            check_plan(&p)
        }
        Err(e) => {
            let msg = e.to_string();
            if debug() {
                eprintln!("plan (installed: {}): {msg}", installed.len());
            }
        }
    }
}

/// What `plan::plan` promises about a plan it returns.
pub fn check_plan(p: &Plan) {
    let mut written: HashSet<PathBuf> = HashSet::new();
    for f in &p.files {
        // Every rel comes from a member name (checked by archive.rs: relative, no `.`/`..`/empty
        // components) or a validated script name, so it stays inside its root.
        assert!(
            !f.rel.is_empty()
                && !f.rel.starts_with('/')
                && f.rel.split('/').all(|c| !matches!(c, "" | "." | "..")),
            "planned a file at a bad relative path `{}` (of wheel {})",
            f.rel.escape_debug(),
            f.wheel
        );
        let abs = p.roots.absolute(f.root, &f.rel);
        assert!(abs.starts_with(p.roots.path(f.root)));
        if !f.shadowed {
            // "a wheel writing a path twice" and cross-wheel conflicts are errors.
            assert!(
                written.insert(abs.clone()),
                "two planned writes to {}",
                abs.display()
            );
        }
        let _ = f.size_hint();
    }
    // "Directories the writes need, parents before children."
    let mut seen: HashSet<(usize, &str)> = HashSet::new();
    for (root, rel) in &p.dirs {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            assert!(
                seen.contains(&(*root, parent)),
                "directory {rel} is planned before its parent {parent}"
            );
        }
        seen.insert((*root, rel.as_str()));
        // "a file where another file of this install needs a directory" is an error.
        assert!(
            !written.contains(&p.roots.absolute(*root, rel)),
            "{rel} is planned both as a directory and as a file"
        );
    }
    // Removals are files of replaced versions "that the new versions do not have".
    assert_eq!(p.removals.len(), p.removal_paths.len());
    for path in &p.removal_paths {
        assert!(
            !written.contains(path),
            "plans to write and remove {}",
            path.display()
        );
    }
}
