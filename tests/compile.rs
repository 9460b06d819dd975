//! `--compile`: `.pyc` files for the installed modules, valid for CPython (it imports them without
//! rewriting them), the same set pip writes, listed in RECORD, served from the bytecode cache on a
//! repeated install, and a syntax error is a warning.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use support::{Venv, WheelBuilder, check, corpus, text, wheel_dir, winst};

const PROJECTS: &[&str] = &["six", "attrs", "idna", "jmespath", "click", "packaging"];

fn corpus_subset() -> Option<Vec<PathBuf>> {
    let all = corpus::wheels("compile")?;
    Some(PROJECTS.iter().map(|p| corpus::wheel(&all, p)).collect())
}

fn install(venv: &Venv, cache: &std::path::Path, wheels: &[PathBuf]) -> serde_json::Value {
    let mut cmd = winst();
    cmd.args(["install", "--compile", "--json", "--python"])
        .arg(venv.python())
        .arg("--cache-dir")
        .arg(cache)
        .args(wheels);
    let out = check(&mut cmd);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks every `.pyc` under site-packages with the venv's own CPython: header (magic, flags,
/// source mtime and size) and body (the same code as compiling the source now), and that every
/// RECORD-listed `.pyc` exists with its hash. Prints the sorted list of `.pyc` paths.
const VERIFY: &str = r#"
import base64, csv, hashlib, importlib.util, marshal, os, struct, sys, sysconfig
sp = sysconfig.get_paths()["purelib"]
pycs = []
for dirpath, dirs, files in [*os.walk(sp), *os.walk(sysconfig.get_paths()["scripts"])]:
    for f in files:
        if not f.endswith(".pyc"):
            continue
        pyc = os.path.join(dirpath, f)
        src = importlib.util.source_from_cache(pyc)
        data = open(pyc, "rb").read()
        magic, flags, mtime, size = data[:4], *struct.unpack("<III", data[4:16])
        st = os.stat(src)
        assert magic == importlib.util.MAGIC_NUMBER, pyc
        assert flags == 0, pyc
        assert mtime == int(st.st_mtime) & 0xFFFFFFFF, (pyc, mtime, st.st_mtime)
        assert size == st.st_size & 0xFFFFFFFF, pyc
        code = marshal.loads(data[16:])
        assert code == compile(open(src, "rb").read(), src, "exec", dont_inherit=True), pyc
        pycs.append(os.path.relpath(pyc, sp))
recorded = set()
for d in os.listdir(sp):
    if d.endswith(".dist-info"):
        for row in csv.reader(open(os.path.join(sp, d, "RECORD"), newline="")):
            if row[0].endswith(".pyc"):
                recorded.add(os.path.relpath(os.path.join(sp, row[0]), sp))
                if row[1]:
                    algo, _, want = row[1].partition("=")
                    got = hashlib.new(algo, open(os.path.join(sp, row[0]), "rb").read()).digest()
                    assert base64.urlsafe_b64encode(got).rstrip(b"=").decode() == want, row
assert recorded == set(pycs), sorted(recorded ^ set(pycs))[:5]
print("\n".join(sorted(pycs)))
"#;

fn verify(venv: &Venv) -> Vec<String> {
    venv.python_out(VERIFY)
        .lines()
        .map(str::to_string)
        .collect()
}

/// pip's list of `.pyc` files for the same wheels (`pip install` compiles by default).
fn pip_pycs(wheels: &[PathBuf]) -> Vec<String> {
    let venv = Venv::new();
    let mut args = vec!["install", "--no-deps", "--no-index", "-q"];
    let paths: Vec<String> = wheels.iter().map(|w| w.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let out = venv.pip(&args);
    assert!(out.status.success(), "{}", text(&out).1);
    verify(&venv)
}

#[test]
fn compiles_what_pip_compiles_and_caches_it() {
    let Some(wheels) = corpus_subset() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();

    let cold = Venv::new();
    let report = install(&cold, cache.path(), &wheels);
    let stats = &report["compile"];
    let pycs = verify(&cold);
    assert!(pycs.len() > 50, "{pycs:?}");
    assert_eq!(stats["compiled"].as_u64().unwrap() as usize, pycs.len());
    assert_eq!(stats["from_cache"], 0);
    assert!(stats["workers"].as_u64().unwrap() >= 1);
    assert_eq!(pycs, pip_pycs(&wheels), "the same .pyc files as pip");

    // A second environment: every module's .pyc from the bytecode cache. Only the script whose
    // `#!python` line was rewritten for this environment (new bytes) is compiled again.
    let rewritten: Vec<&String> = pycs.iter().filter(|p| p.starts_with("..")).collect();
    assert_eq!(rewritten.len(), 1, "jmespath's jp.py: {rewritten:?}");
    let warm = Venv::new();
    let report = install(&warm, cache.path(), &wheels);
    let stats = &report["compile"];
    assert_eq!(
        stats["from_cache"].as_u64().unwrap() as usize,
        pycs.len() - rewritten.len()
    );
    assert_eq!(stats["workers"], 1);
    assert_eq!(verify(&warm), pycs);

    // CPython takes the .pyc files as they are: importing rewrites none of them.
    let pyc = warm
        .site_packages()
        .join("click/__pycache__/core.cpython-311.pyc");
    let before = std::fs::metadata(&pyc).unwrap();
    let out = std::process::Command::new(warm.python())
        .args(["-c", "import click, six, attr, idna, jmespath, packaging.version; import click.core as c; print(c.__file__, c.Context.__init__.__code__.co_filename)"])
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // The code's file name is the installed path even for code compiled for another venv.
    let core = warm.site_packages().join("click/core.py");
    assert_eq!(
        stdout.trim(),
        format!("{} {}", core.display(), core.display())
    );
    let after = std::fs::metadata(&pyc).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );

    // Uninstall removes them with the project, as pip does.
    check(
        winst()
            .args(["uninstall", "--python"])
            .arg(warm.python())
            .arg("click"),
    );
    assert!(!warm.site_packages().join("click").exists());
}

#[test]
fn a_syntax_error_is_a_warning_and_gets_no_pyc() {
    let dir = wheel_dir();
    let wheel = WheelBuilder::new("halfbroken", "1.0")
        .file("halfbroken/__init__.py", "OK = 1\n")
        .file("halfbroken/bad.py", "def (:\n")
        .file("halfbroken/py2.py", "print 'hello'\n")
        .build(dir.path());
    let venv = Venv::new();
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = winst();
    cmd.args(["install", "--compile", "--python"])
        .arg(venv.python())
        .arg("--cache-dir")
        .arg(cache.path())
        .arg(&wheel);
    let out = check(&mut cmd);
    let stderr = text(&out).1;
    assert!(
        stderr.contains("\nBytecode compiled 1 file in "),
        "{stderr}"
    );
    let sp = venv.site_packages();
    for bad in ["bad.py", "py2.py"] {
        let path = sp.join("halfbroken").join(bad);
        assert!(
            stderr.contains(&format!(
                "warning: cannot compile {}: SyntaxError",
                path.display()
            )),
            "{stderr}"
        );
    }
    assert_eq!(
        verify(&venv),
        vec!["halfbroken/__pycache__/__init__.cpython-311.pyc".to_string()]
    );
    assert_eq!(
        venv.python_out("import halfbroken; print(halfbroken.OK)"),
        "1"
    );
    // Nothing left behind by the transaction: no temporaries, no journal.
    let leftovers: Vec<_> = walk(&venv.root())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".winst-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(walk(&p));
            }
            out.push(p);
        }
    }
    out
}

/// Every file of the bytecode cache under `cache`.
fn bytecode_files(cache: &std::path::Path) -> Vec<PathBuf> {
    walk(&cache.join("bytecode-v2"))
        .into_iter()
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn a_damaged_bytecode_cache_is_compiled_again() {
    let dir = wheel_dir();
    let wheel = WheelBuilder::new("bytes", "1.0")
        .file(
            "bytes_pkg/__init__.py",
            "from .a import A\nfrom .b import B\n",
        )
        .file("bytes_pkg/a.py", "A = 'a' * 3\n")
        .file("bytes_pkg/b.py", "def B():\n    return 'b'\n")
        .file("bytes_pkg/c.py", "C = 3\n")
        .build(dir.path());
    let wheels = vec![wheel];
    let cache = tempfile::tempdir().unwrap();
    install(&Venv::new(), cache.path(), &wheels);
    let mut files = bytecode_files(cache.path());
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    // Four kinds of damage: a flipped byte in the body, a truncated file, an empty one, and one
    // source's entry copied over another's (self-consistent, but the wrong code).
    let valid = std::fs::read(&files[0]).unwrap();
    let mut flipped = valid.clone();
    *flipped.last_mut().unwrap() ^= 0x55;
    std::fs::write(&files[0], flipped).unwrap();
    let whole = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &whole[..whole.len() / 2]).unwrap();
    std::fs::write(&files[2], b"").unwrap();
    std::fs::write(&files[3], valid).unwrap();

    let venv = Venv::new();
    let report = install(&venv, cache.path(), &wheels);
    assert_eq!(report["compile"]["from_cache"], 0, "{report}");
    assert_eq!(report["compile"]["compiled"], 4, "{report}");
    assert_eq!(verify(&venv).len(), 4);
    let out = std::process::Command::new(venv.python())
        .args(["-c", "import bytes_pkg; print(bytes_pkg.A, bytes_pkg.B())"])
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .output()
        .unwrap();
    assert_eq!(text(&out).0.trim(), "aaa b", "{}", text(&out).1);
    // The damaged files were replaced: the next install takes all four from the cache.
    let report = install(&Venv::new(), cache.path(), &wheels);
    assert_eq!(report["compile"]["from_cache"], 4, "{report}");
}
