//! Plugin test helpers shared by `tests/plugins.rs` and `tests/plugin_api.rs`: small wheels,
//! `winst.toml` files with `[[plugin]]` entries, the committed components (current ones in
//! `plugins/dist/`, API 0.1.0 fixtures in `tests/fixtures/plugins-v0.1.0/`) and a refusal check.

use std::path::{Path, PathBuf};

use super::*;

/// A pure-Python wheel with one module that has a `main()`.
pub fn pkg(name: &str, version: &str) -> WheelBuilder {
    let module = name.replace(['-', '.'], "_");
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("def main():\n    print('hello from {name}')\n"),
    )
}

/// Writes a winst.toml into `dir` and returns its path.
pub fn config_file(dir: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("winst.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A `[[plugin]]` entry for the component at `path`, with `extra` lines.
pub fn entry_for(name: &str, path: &Path, extra: &str) -> String {
    format!(
        "[[plugin]]\nname = \"{name}\"\nfile = \"{}\"\n{extra}\n",
        path.display()
    )
}

/// A `[[plugin]]` entry for `plugins/dist/{file}.wasm`.
pub fn plugin_entry(name: &str, file: &str, extra: &str) -> String {
    entry_for(name, &plugin(file), extra)
}

/// A component built against API 0.1.0, kept as a fixture (`tests/fixtures/plugins-v0.1.0/`).
pub fn plugin_v0_1_0(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/plugins-v0.1.0")
        .join(format!("{name}.wasm"))
}

/// Installs and expects a refusal that leaves the venv unchanged; returns stderr.
pub fn refused(venv: &Venv, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let before = venv.snapshot();
    let out = venv.install(args);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("error:"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
    stderr
}

/// A setuptools-style PEP 660 editable wheel of `edpkg` whose finder maps it to `src/edpkg`.
pub fn editable_wheel(dir: &Path, src: &Path) -> PathBuf {
    let finder = format!(
        "import sys\nMAPPING = {{'edpkg': '{}'}}\nclass _Finder:\n    @classmethod\n    def find_spec(cls, name, path=None, target=None):\n        if name in MAPPING:\n            import importlib.util\n            return importlib.util.spec_from_file_location(name, MAPPING[name] + '/__init__.py', submodule_search_locations=[MAPPING[name]])\n        return None\ndef install():\n    sys.meta_path.append(_Finder)\n",
        src.join("edpkg").display()
    );
    WheelBuilder::new("edpkg", "0.1")
        .file(
            "__editable__.edpkg-0.1.pth",
            "import __editable___edpkg_0_1_finder; __editable___edpkg_0_1_finder.install()\n",
        )
        .file("__editable___edpkg_0_1_finder.py", finder)
        .build(dir)
}
