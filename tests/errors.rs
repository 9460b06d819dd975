//! The whole error text for the common failures, as a user sees it on stderr: each names the
//! wheel or file, says what happened and what to do. Paths that change from run to run are
//! replaced by `{VENV}`, `{CWD}` and so on before comparing. (The PEP 668 refusal is checked
//! word for word in `discovery.rs`, where the marked interpreter is.)

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::*;

fn pkg(name: &str, tag: &str) -> WheelBuilder {
    WheelBuilder::new(name, "1.0")
        .file(&format!("{name}/__init__.py"), "X = 1\n")
        .tag(tag)
}

/// stderr with `path` replaced by `name`; the exit status must be 1.
#[track_caller]
fn stderr_of(out: Output, replace: &[(&Path, &str)]) -> String {
    let mut stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (path, name) in replace {
        stderr = stderr.replace(&path.display().to_string(), name);
    }
    stderr
}

/// The venv's Python as the messages describe it: `3.11.7` and `manylinux_2_36_x86_64`.
fn target_facts(venv: &Venv) -> (String, String, u32) {
    let out = venv.python_out(
        "import os, platform, sys\n\
         major, minor = os.confstr('CS_GNU_LIBC_VERSION').split()[1].split('.')[:2]\n\
         print('.'.join(map(str, sys.version_info[:3])))\n\
         print(f'manylinux_{major}_{minor}_{platform.machine()}')\n\
         print(sys.version_info[1])",
    );
    let mut lines = out.lines().map(str::to_string);
    let version = lines.next().unwrap();
    let platform = lines.next().unwrap();
    let minor = lines.next().unwrap().parse().unwrap();
    (version, platform, minor)
}

const GET_ANOTHER: &str = "get the wheel built for the target's Python and platform, or choose \
                           a matching interpreter with --python";

#[test]
fn wheel_for_another_platform() {
    let venv = Venv::new();
    let (version, platform, minor) = target_facts(&venv);
    let cp = format!("cp3{minor}");
    let wheels = wheel_dir();
    let whl = pkg("winonly", &format!("{cp}-{cp}-win_amd64")).build(wheels.path());
    let stderr = stderr_of(venv.install(&[&whl]), &[(&venv.root(), "{VENV}")]);
    assert_eq!(
        stderr,
        format!(
            "error: winonly-1.0-{cp}-{cp}-win_amd64.whl: this wheel is for Windows (win_amd64); \
             the target is CPython {version} on {platform} ({{VENV}}/bin/python); {GET_ANOTHER}\n"
        )
    );
    // A macOS wheel for both platform spellings of one tag set.
    let whl = pkg("mac", "py3-none-macosx_11_0_arm64.macosx_10_9_x86_64").build(wheels.path());
    let stderr = stderr_of(venv.install(&[&whl]), &[(&venv.root(), "{VENV}")]);
    assert_eq!(
        stderr,
        format!(
            "error: mac-1.0-py3-none-macosx_11_0_arm64.macosx_10_9_x86_64.whl: this wheel is for \
             macOS 11.0 or newer on arm64 (macosx_11_0_arm64) or macOS 10.9 or newer on x86_64 \
             (macosx_10_9_x86_64); the target is CPython {version} on {platform} \
             ({{VENV}}/bin/python); {GET_ANOTHER}\n"
        )
    );
}

#[test]
fn wheel_for_another_python() {
    let venv = Venv::new();
    let (version, platform, minor) = target_facts(&venv);
    let next = format!("cp3{}", minor + 1);
    let wheels = wheel_dir();
    let whl = pkg("newer", &format!("{next}-{next}-{platform}")).build(wheels.path());
    let stderr = stderr_of(venv.install(&[&whl]), &[(&venv.root(), "{VENV}")]);
    assert_eq!(
        stderr,
        format!(
            "error: newer-1.0-{next}-{next}-{platform}.whl: this wheel is for CPython 3.{} \
             ({next}); the target is CPython {version} on {platform} ({{VENV}}/bin/python); \
             {GET_ANOTHER}\n",
            minor + 1
        )
    );
    // Neither fits: both sides are named.
    let whl = pkg("neither", &format!("{next}-abi3-musllinux_1_2_aarch64")).build(wheels.path());
    let stderr = stderr_of(venv.install(&[&whl]), &[(&venv.root(), "{VENV}")]);
    assert_eq!(
        stderr,
        format!(
            "error: neither-1.0-{next}-abi3-musllinux_1_2_aarch64.whl: this wheel is for \
             CPython 3.{} or newer (stable ABI) ({next}-abi3), and for Linux with musl 1.2 or \
             newer on aarch64 (musllinux_1_2_aarch64); the target is CPython {version} on \
             {platform} ({{VENV}}/bin/python); {GET_ANOTHER}\n",
            minor + 1
        )
    );
}

#[test]
fn wheel_file_not_found() {
    let venv = Venv::new();
    let cwd = tempfile::tempdir().unwrap();
    let out = winst()
        .args(["install", "--python"])
        .arg(venv.python())
        .arg("dist/missing-1.0-py3-none-any.whl")
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[]),
        "error: dist/missing-1.0-py3-none-any.whl: no such file or directory; check the path \
         (winst installs wheel files you already have; it does not download)\n"
    );
}

#[test]
fn not_a_wheel_file_name() {
    let venv = Venv::new();
    let dir = tempfile::tempdir().unwrap();
    let sdist = dir.path().join("demo-1.0.tar.gz");
    std::fs::write(&sdist, b"not a wheel").unwrap();
    assert_eq!(
        stderr_of(venv.install(&[&sdist]), &[]),
        "error: demo-1.0.tar.gz: invalid wheel file name: a wheel's file name must end in .whl; \
         winst installs built wheels only; build one first, for example with \
         `python -m pip wheel --no-deps FILE`\n"
    );
    let renamed = dir.path().join("demo.whl");
    std::fs::write(&renamed, b"not a wheel").unwrap();
    assert_eq!(
        stderr_of(venv.install(&[&renamed]), &[]),
        "error: demo.whl: invalid wheel file name: a wheel's file name must be \
         name-version(-build)?-python-abi-platform.whl; keep the name its build tool gave it: \
         winst reads the wheel's tags from it\n"
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        stderr_of(venv.install(&[&empty.path()]), &[(empty.path(), "{DIR}")]),
        "error: {DIR} contains no .whl files; put the wheels there (for example with \
         `python -m pip download --only-binary=:all: --dest {DIR} NAME`) or pass them by path\n"
    );
}

#[test]
fn no_environment() {
    let cwd = tempfile::tempdir().unwrap();
    let wheels = wheel_dir();
    let whl = pkg("lost", "py3-none-any").build(wheels.path());
    let out = winst()
        .arg("install")
        .arg(&whl)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[(cwd.path(), "{CWD}")]),
        "error: no Python environment found: $VIRTUAL_ENV and $CONDA_PREFIX are not set, there \
         is no .venv in {CWD} or any parent directory; create one with `python3 -m venv .venv`, \
         activate one, or pass --python (an interpreter, a virtual environment directory, or a \
         version such as 3.11)\n"
    );
    // $VIRTUAL_ENV naming something that is not an environment.
    let out = winst()
        .arg("install")
        .arg(&whl)
        .current_dir(cwd.path())
        .env("VIRTUAL_ENV", cwd.path().join("gone"))
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[(cwd.path(), "{CWD}")]),
        "error: $VIRTUAL_ENV is {CWD}/gone but it has no bin/python; activate a working virtual \
         environment, unset VIRTUAL_ENV, or pass --python\n"
    );
    // An interpreter path that does not exist.
    let out = winst()
        .args(["install", "--python", "./nope/bin/python"])
        .arg(&whl)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[]),
        "error: --python ./nope/bin/python: no such file; pass an existing interpreter, a \
         virtual environment directory, or a version such as 3.11\n"
    );
    let out = winst()
        .args(["install", "--python", "python2.1"])
        .arg(&whl)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[]),
        "error: --python python2.1: no executable named `python2.1` on PATH; pass the \
         interpreter's path, a virtual environment directory, or a version such as 3.11\n"
    );
}

#[test]
fn uninstall_unknown_project() {
    let venv = Venv::new();
    let version = venv.python_out("import sys; print('.'.join(map(str, sys.version_info[:3])))");
    let out = winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .arg("No_Such.Project")
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(out, &[(&venv.root(), "{VENV}")]),
        format!(
            "error: no-such-project is not installed in CPython {version} environment at {{VENV}}; \
             nothing was removed (`winst list` shows what is installed there; pass --python to \
             choose another environment)\n"
        )
    );
}

#[test]
fn version_and_completions() {
    // Built from git, the version names the commit (and its date), as `git log` gives it; from
    // a source archive (no git), it is the bare version. The build script asks the same way.
    let git = std::process::Command::new("git")
        .args(["log", "-1", "--format=%H %cs"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|out| out.status.success());
    let head = git.map(|out| String::from_utf8(out.stdout).unwrap());
    let expected = match head.as_deref().and_then(|h| h.trim().split_once(' ')) {
        Some((hash, date)) => format!(
            "winst {} ({} {date})\n",
            env!("CARGO_PKG_VERSION"),
            &hash[..12]
        ),
        None => format!("winst {}\n", env!("CARGO_PKG_VERSION")),
    };
    let out = check(winst().arg("--version"));
    assert_eq!(text(&out).0, expected);
    let out = check(winst().arg("-V"));
    assert_eq!(text(&out).0, expected);
    // Each completion script is accepted by its shell where that shell is installed.
    for (shell, program, args) in [
        ("bash", "bash", &["-n"][..]),
        ("zsh", "zsh", &["-n"][..]),
        ("fish", "fish", &["--no-execute"][..]),
    ] {
        let out = check(winst().args(["completions", shell]));
        let script = text(&out).0;
        assert!(
            script.contains("install") && script.contains("break-system-packages"),
            "{shell}: {script}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("winst.{shell}"));
        std::fs::write(&file, &script).unwrap();
        let run = Command::new(program).args(args).arg(&file).output();
        // Without the shell, the rest of the test still runs (prerequisite says SKIPPED).
        if prerequisite(
            run.is_ok(),
            &format!("{program} (apt-get install {program}), to check the {shell} completions"),
        ) && let Ok(out) = run
        {
            assert!(out.status.success(), "{shell}: {}", text(&out).1);
        }
    }
    for shell in ["elvish", "powershell"] {
        let out = check(winst().args(["completions", shell]));
        assert!(text(&out).0.contains("uninstall"), "{shell}");
    }
    // An unknown shell is a usage error.
    let out = winst().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
