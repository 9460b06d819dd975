//! Test support: hand-built wheels, real virtual environments, tree snapshots, wheel caches and
//! prerequisites.
//!
//! Every integration test uses the real `winst` binary and the machine's CPython (`python3`, or
//! `$WINST_TEST_PYTHON`). Nothing here is a mock: a [`Venv`] is made by `python3 -m venv`, a wheel
//! by [`WheelBuilder`] is a real zip file.
//!
//! Which install path a run tests:
//!
//! - [`winst()`] (and [`Venv::install`], which uses it) is **cold**: `WINST_NO_CACHE=1`, so no
//!   wheel or bytecode cache is read or filled and every file is inflated from its wheel and
//!   verified against RECORD. `WINST_CACHE_DIR` still points at one directory shared by the test
//!   run (`target/tmp/winst-cache`), which holds only what is not under test here: the
//!   interpreter answers and the compiled plugins.
//! - [`winst()`] with [`Cache::args`] (`--cache-dir DIR`, which turns the wheel cache back on) is
//!   **filling** the first time a wheel meets that [`Cache`] (inflated, verified, then copied or
//!   linked into the cache) and **warm** afterwards (placed from the cache). A [`Cache`] starts
//!   empty and is private to the test; [`Cache::snapshot`] shows what a run left in it.
//! - A test that wants the default cache location (`$WINST_CACHE_DIR`) turned on removes
//!   `WINST_NO_CACHE` from the command itself.
//!
//! [`prerequisite`] is how a test says it needs something of the machine (root, a tool, a mount):
//! under `CI=true` a missing one fails the test, elsewhere the test prints `SKIPPED: ...` and
//! returns.
#![allow(dead_code)]

pub mod corpus;
pub mod plugins;
pub mod rawzip;
pub mod system;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use sha2::Digest as _;
use zip::write::SimpleFileOptions;

/// The interpreter tests build venvs with.
pub fn python3() -> String {
    std::env::var("WINST_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// `X.Y` of the test interpreter.
pub fn py_version() -> String {
    let out = check(Command::new(python3()).args([
        "-c",
        "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
    ]));
    text(&out).0.trim().to_string()
}

/// The `winst` binary under test, **cold**: no wheel cache (`WINST_NO_CACHE=1`). Interpreter
/// answers and compiled plugins are cached in a directory shared by the test run. Add
/// [`Cache::args`] for the filling or warm path.
pub fn winst() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_winst"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // Isolated from this machine's winst configuration: no system or user winst.toml.
    cmd.env("WINST_CACHE_DIR", tmp.join("winst-cache"))
        .env("WINST_NO_CACHE", "1")
        .env("WINST_SYSTEM_CONFIG", tmp.join("no-system-winst.toml"))
        .env("XDG_CONFIG_HOME", tmp.join("no-user-config"))
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX");
    cmd
}

/// Whether this run is CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether the test may go on: `ok` is true when the machine has `what` (root, a tool, a mount).
/// When it does not, under `CI=true` this panics with `missing prerequisite: WHAT`; elsewhere it
/// prints `SKIPPED: TEST: missing prerequisite: WHAT` and returns false, and the test returns.
#[track_caller]
pub fn prerequisite(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    if in_ci() {
        panic!("missing prerequisite: {what} (CI=true: nothing may be skipped)");
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("test");
    eprintln!("SKIPPED: {test}: missing prerequisite: {what}");
    false
}

/// Whether the tests run as root (`id -u` is 0).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A private wheel cache for one test: an empty temporary directory, passed to winst with
/// `--cache-dir` (see the module doc: the first install of a wheel with it is the filling path,
/// later ones the warm path).
pub struct Cache {
    pub dir: tempfile::TempDir,
}

impl Cache {
    pub fn new() -> Cache {
        let dir = tempfile::Builder::new()
            .prefix("winst-cache-")
            .tempdir()
            .unwrap();
        Cache { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--cache-dir DIR`, for `Command::args` or [`Venv::install`].
    pub fn args(&self) -> [std::ffi::OsString; 2] {
        ["--cache-dir".into(), self.path().as_os_str().to_owned()]
    }

    /// Everything in the cache directory (paths, modes, contents).
    pub fn snapshot(&self) -> Snapshot {
        snapshot(self.path())
    }

    /// The wheel entries (`wheels-v3/*` but the stat index), by name.
    pub fn entries(&self) -> Vec<String> {
        match std::fs::read_dir(self.path().join("wheels-v3")) {
            Ok(rd) => {
                let mut names: Vec<String> = rd
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "index")
                    .collect();
                names.sort();
                names
            }
            Err(_) => Vec::new(),
        }
    }
}

impl Cache {
    /// Asserts a refused or failed install left nothing in the cache since `before`: no wheel
    /// entry, no temporary, nothing changed or removed. Only what opening the cache creates is
    /// allowed: the `wheels-v3` and `wheels-v3/index` directories, stat-index memos
    /// (`wheels-v3/index/*.json`, a wheel file's path and stat mapped to its sha256, which say
    /// nothing about the wheel's contents), and the interpreter and compiled-plugin caches.
    #[track_caller]
    pub fn assert_nothing_cached(&self, before: &Snapshot) {
        let after = self.snapshot();
        let index = Path::new("wheels-v3/index");
        let allowed = |p: &Path, n: &Node| {
            // The interpreter and compiled-plugin caches live under --cache-dir too.
            p.starts_with("interpreters")
                || p.starts_with("plugins")
                || p == Path::new("wheels-v3")
                || p == index
                || (matches!(n, Node::File { .. })
                    && p.parent() == Some(index)
                    && p.extension().is_some_and(|x| x == "json"))
        };
        let mut diffs = Vec::new();
        for (p, n) in before {
            match after.get(p) {
                None => diffs.push(format!("removed: {}", p.display())),
                Some(m) if m != n && !allowed(p, m) => {
                    diffs.push(format!("changed: {}", p.display()))
                }
                _ => {}
            }
        }
        for (p, n) in &after {
            if !before.contains_key(p) && !allowed(p, n) {
                diffs.push(format!("added: {}", p.display()));
            }
        }
        assert!(
            diffs.is_empty(),
            "the wheel cache {} changed:\n{}",
            self.path().display(),
            diffs.join("\n")
        );
    }
}

impl Default for Cache {
    fn default() -> Self {
        Cache::new()
    }
}

/// Output as text, for assertions and failure messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command and panics with its output if it fails.
pub fn check(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("command runs");
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    out
}

/// A component from `plugins/dist/` (built by `plugins/build.sh`).
pub fn plugin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/dist")
        .join(format!("{name}.wasm"))
}

/// A fresh virtual environment (without pip, which tests run from the base interpreter with
/// `pip --python`).
pub struct Venv {
    pub dir: tempfile::TempDir,
}

impl Venv {
    pub fn new() -> Venv {
        let dir = tempfile::Builder::new()
            .prefix("winst-venv-")
            .tempdir()
            .unwrap();
        check(
            Command::new(python3())
                .args(["-m", "venv", "--without-pip"])
                .arg(dir.path().join("env")),
        );
        Venv { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("env")
    }

    pub fn python(&self) -> PathBuf {
        self.root().join("bin").join("python")
    }

    pub fn bin(&self, name: &str) -> PathBuf {
        self.root().join("bin").join(name)
    }

    pub fn site_packages(&self) -> PathBuf {
        let lib = self.root().join("lib");
        let py = std::fs::read_dir(&lib)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("python"))
            .expect("lib/pythonX.Y");
        py.path().join("site-packages")
    }

    /// `winst install --python <venv> ARGS...`
    pub fn install(&self, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
        let mut cmd = winst();
        cmd.arg("install").arg("--python").arg(self.python());
        for a in args {
            cmd.arg(a);
        }
        cmd.output().unwrap()
    }

    /// Runs Python code in the venv (without writing bytecode, so snapshots stay comparable).
    pub fn run_python(&self, code: &str) -> Output {
        Command::new(self.python())
            .args(["-B", "-c", code])
            .output()
            .unwrap()
    }

    /// Runs Python code and returns its stdout, panicking on failure.
    pub fn python_out(&self, code: &str) -> String {
        let out = self.run_python(code);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "python failed:\n{code}\n{stderr}");
        stdout.trim().to_string()
    }

    /// `python3 -m pip --python <venv> ARGS...`
    pub fn pip(&self, args: &[&str]) -> Output {
        Command::new(python3())
            .args(["-m", "pip", "--disable-pip-version-check", "--python"])
            .arg(self.python())
            .args(args)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap()
    }

    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.root())
    }
}

/// One entry of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File { mode: u32, sha256: String },
    Link(PathBuf),
}

pub type Snapshot = BTreeMap<PathBuf, Node>;

/// Every path under `root` (relative), with file modes and contents hashed.
pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, Node::Link(std::fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Node::Dir);
                walk(root, &path, out);
            } else {
                out.insert(
                    rel,
                    Node::File {
                        mode: meta.permissions().mode() & 0o7777,
                        sha256: sha256_hex(&std::fs::read(&path).unwrap()),
                    },
                );
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// Every complete entry of the wheel cache at `cache` (`wheels-v3/<sha256>`), by name, with its
/// decoded manifest. Panics when an entry has no manifest (a partial entry), a damaged one, or
/// a cached file whose sha256, size or executable bit is not what the manifest says.
pub fn cache_entries(cache: &Path) -> Vec<(String, winst_install::manifest::Manifest)> {
    let root = cache.join("wheels-v3");
    let mut entries = Vec::new();
    for e in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let manifest = std::fs::read(e.path().join("manifest.bin"))
            .unwrap_or_else(|_| panic!("cache entry {name} has no manifest: a partial entry"));
        let manifest = winst_install::manifest::decode(&manifest)
            .unwrap_or_else(|| panic!("cache entry {name}: its manifest is damaged"));
        let members = &manifest.listing.members;
        assert_eq!(members.len(), manifest.files.len(), "cache entry {name}");
        for (member, stored) in members.iter().zip(&manifest.files) {
            let Some(stored) = stored else { continue };
            let member = &member.name;
            let path = e.path().join("files").join(member);
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|_| panic!("cache entry {name} lacks {member}"));
            let what = format!("cache entry {name}: {member} is not what the manifest says");
            assert_eq!(sha256_hex(&bytes), hex::encode(stored.sha256), "{what}");
            assert_eq!(bytes.len() as u64, stored.size, "{what}");
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o100 != 0, stored.executable, "{what}");
        }
        entries.push((name, manifest));
    }
    entries
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256=<urlsafe b64>` as RECORD spells it.
pub fn record_hash(bytes: &[u8]) -> String {
    record_hash_in(winst_wheel::record::Algorithm::Sha256, bytes)
}

/// `<algorithm>=<urlsafe b64>` as RECORD spells a hash in any algorithm it allows.
pub fn record_hash_in(algorithm: winst_wheel::record::Algorithm, bytes: &[u8]) -> String {
    let mut h = winst_wheel::record::Hasher::new(algorithm);
    h.update(bytes);
    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finish());
    format!("{}={digest}", algorithm.name())
}

/// Asserts two snapshots are equal, listing the differences.
pub fn assert_same_tree(before: &Snapshot, after: &Snapshot) {
    let mut diffs = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => diffs.push(format!("removed: {}", k.display())),
            Some(w) if w != v => diffs.push(format!("changed: {}", k.display())),
            _ => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            diffs.push(format!("added: {}", k.display()));
        }
    }
    assert!(diffs.is_empty(), "the tree changed:\n{}", diffs.join("\n"));
}

/// A member of a hand-built wheel.
#[derive(Clone)]
pub struct Member {
    pub name: String,
    pub contents: Vec<u8>,
    pub executable: bool,
    /// Listed in RECORD (tests turn this off to build bad wheels).
    pub in_record: bool,
}

/// Builds wheels for tests: valid by default, with knobs to break each rule.
#[derive(Clone)]
pub struct WheelBuilder {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub root_is_purelib: bool,
    pub members: Vec<Member>,
    pub entry_points: Option<String>,
    pub metadata_extra: String,
    /// Replaces the generated WHEEL file.
    pub wheel_file: Option<String>,
    /// Replaces the generated METADATA file.
    pub metadata: Option<String>,
    /// Replaces `{name}-{version}.dist-info`.
    pub dist_info: Option<String>,
    /// Replaces the file name.
    pub file_name: Option<String>,
    /// Edits RECORD's text after it is generated.
    pub record_edit: Option<fn(String) -> String>,
    /// Leaves RECORD out entirely.
    pub no_record: bool,
    pub directory_entries: bool,
    /// Raw lines appended to RECORD (before its own row), e.g. a row with a wrong hash.
    pub extra_record_rows: Vec<String>,
    /// Generated dist-info files (`METADATA`, `WHEEL`) to leave out of the wheel and its RECORD.
    pub omit_dist_info_files: Vec<String>,
    /// Symbolic link entries `(name, target)` (not listed in RECORD).
    pub symlinks: Vec<(String, String)>,
    /// Stores members uncompressed instead of deflating them.
    pub stored: bool,
}

impl WheelBuilder {
    pub fn new(name: &str, version: &str) -> Self {
        WheelBuilder {
            name: name.to_string(),
            version: version.to_string(),
            tag: "py3-none-any".to_string(),
            root_is_purelib: true,
            members: Vec::new(),
            entry_points: None,
            metadata_extra: String::new(),
            wheel_file: None,
            metadata: None,
            dist_info: None,
            file_name: None,
            record_edit: None,
            no_record: false,
            directory_entries: false,
            extra_record_rows: Vec::new(),
            omit_dist_info_files: Vec::new(),
            symlinks: Vec::new(),
            stored: false,
        }
    }

    /// The escaped name used in file and directory names.
    pub fn escaped(&self) -> String {
        self.name.replace(['-', '.'], "_")
    }

    pub fn dist_info_dir(&self) -> String {
        self.dist_info
            .clone()
            .unwrap_or_else(|| format!("{}-{}.dist-info", self.escaped(), self.version))
    }

    pub fn data_dir(&self) -> String {
        format!("{}-{}.data", self.escaped(), self.version)
    }

    pub fn file(mut self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        self.members.push(Member {
            name: name.to_string(),
            contents: contents.as_ref().to_vec(),
            executable: false,
            in_record: true,
        });
        self
    }

    pub fn exe(mut self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        self.members.push(Member {
            name: name.to_string(),
            contents: contents.as_ref().to_vec(),
            executable: true,
            in_record: true,
        });
        self
    }

    /// A member present in the archive but not in RECORD.
    pub fn unrecorded(mut self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        self.members.push(Member {
            name: name.to_string(),
            contents: contents.as_ref().to_vec(),
            executable: false,
            in_record: false,
        });
        self
    }

    pub fn entry_points(mut self, text: &str) -> Self {
        self.entry_points = Some(text.to_string());
        self
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    pub fn platlib(mut self) -> Self {
        self.root_is_purelib = false;
        self
    }

    pub fn wheel_file_name(&self) -> String {
        self.file_name
            .clone()
            .unwrap_or_else(|| format!("{}-{}-{}.whl", self.escaped(), self.version, self.tag))
    }

    /// Writes the wheel into `dir` and returns its path.
    pub fn build(&self, dir: &Path) -> PathBuf {
        let di = self.dist_info_dir();
        let mut all: Vec<Member> = self.members.clone();
        let meta = |name: &str, contents: String| Member {
            name: format!("{di}/{name}"),
            contents: contents.into_bytes(),
            executable: false,
            in_record: true,
        };
        all.push(meta(
            "METADATA",
            self.metadata.clone().unwrap_or_else(|| {
                format!(
                    "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}\nA test package.\n",
                    self.name, self.version, self.metadata_extra
                )
            }),
        ));
        all.push(meta(
            "WHEEL",
            self.wheel_file.clone().unwrap_or_else(|| {
                format!(
                    "Wheel-Version: 1.0\nGenerator: winst-tests\nRoot-Is-Purelib: {}\nTag: {}\n",
                    self.root_is_purelib, self.tag
                )
            }),
        ));
        if let Some(ep) = &self.entry_points {
            all.push(meta("entry_points.txt", ep.clone()));
        }
        all.retain(|m| {
            !self
                .omit_dist_info_files
                .iter()
                .any(|f| m.name == format!("{di}/{f}"))
        });
        let mut record = String::new();
        for m in all.iter().filter(|m| m.in_record) {
            record.push_str(&format!(
                "{},{},{}\n",
                m.name,
                record_hash(&m.contents),
                m.contents.len()
            ));
        }
        for row in &self.extra_record_rows {
            record.push_str(row);
            record.push('\n');
        }
        record.push_str(&format!("{di}/RECORD,,\n"));
        if let Some(edit) = self.record_edit {
            record = edit(record);
        }
        if !self.no_record {
            all.push(Member {
                name: format!("{di}/RECORD"),
                contents: record.into_bytes(),
                executable: false,
                in_record: true,
            });
        }

        let path = dir.join(self.wheel_file_name());
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let mut dirs_done = std::collections::BTreeSet::new();
        for m in &all {
            if self.directory_entries {
                let mut parts: Vec<&str> = m.name.split('/').collect();
                parts.pop();
                let mut acc = String::new();
                for p in parts {
                    acc.push_str(p);
                    acc.push('/');
                    if dirs_done.insert(acc.clone()) {
                        zip.add_directory(acc.clone(), SimpleFileOptions::default())
                            .unwrap();
                    }
                }
            }
            let options = SimpleFileOptions::default()
                .compression_method(if self.stored {
                    zip::CompressionMethod::Stored
                } else {
                    zip::CompressionMethod::Deflated
                })
                .unix_permissions(if m.executable { 0o755 } else { 0o644 });
            zip.start_file(m.name.clone(), options).unwrap();
            zip.write_all(&m.contents).unwrap();
        }
        for (name, target) in &self.symlinks {
            zip.add_symlink(name.clone(), target.clone(), SimpleFileOptions::default())
                .unwrap();
        }
        zip.finish().unwrap();
        path
    }
}

/// A scratch directory for wheels.
pub fn wheel_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("winst-wheels-")
        .tempdir()
        .unwrap()
}

/// Knobs for invalid wheels (see `tests/invalid.rs`).
impl WheelBuilder {
    /// Appends a raw line to RECORD. With [`WheelBuilder::unrecorded`] it gives a member a
    /// hand-written row (wrong hash, no hash, md5, ...); alone it lists a file the wheel lacks.
    pub fn record_row(mut self, row: &str) -> Self {
        self.extra_record_rows.push(row.to_string());
        self
    }

    /// Leaves a generated dist-info file (`METADATA` or `WHEEL`) out of the wheel.
    pub fn omit_dist_info_file(mut self, name: &str) -> Self {
        self.omit_dist_info_files.push(name.to_string());
        self
    }

    /// Stores every member uncompressed (a flipped byte then fails only the CRC).
    pub fn stored(mut self) -> Self {
        self.stored = true;
        self
    }

    /// Adds a symbolic link entry to the archive.
    pub fn symlink(mut self, name: &str, target: &str) -> Self {
        self.symlinks.push((name.to_string(), target.to_string()));
        self
    }
}

/// Asserts `rel` (in site-packages) is a regular file with exactly `contents` and permission bits
/// `mode`, listed in `dist_info`'s RECORD with its hash and size. The installs checked with it
/// run cold (the default of [`winst`]), so the bytes and modes are winst's writing, not a cached
/// copy.
pub fn assert_landed(venv: &Venv, dist_info: &str, rel: &str, contents: &[u8], mode: u32) {
    let path = venv.site_packages().join(rel);
    let meta = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("{} was not installed: {e}", path.display()));
    assert!(
        meta.file_type().is_file(),
        "{} is not a file",
        path.display()
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        contents,
        "{}",
        path.display()
    );
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        mode,
        "{} has mode {:o}",
        path.display(),
        meta.permissions().mode() & 0o7777
    );
    let record =
        std::fs::read_to_string(venv.site_packages().join(dist_info).join("RECORD")).unwrap();
    let row = format!("{rel},{},{}", record_hash(contents), contents.len());
    assert!(
        record.lines().any(|l| l == row),
        "{dist_info}/RECORD lacks {row}:\n{record}"
    );
}

/// Asserts a command succeeded (showing its output if not); returns (stdout, stderr).
pub fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "expected success ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

/// `haystack` with every occurrence of `needle` replaced by `with`.
pub fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if !needle.is_empty() && haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
