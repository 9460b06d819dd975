//! The plugin API across versions: components built against API 0.1.0 (committed fixtures, never
//! rebuilt) run unchanged on the current host in every role; a component stamped with a version
//! this winst does not know is refused naming both versions; and a refused install reports every
//! denied wheel, not just the first.

mod support;

use std::path::Path;

use support::plugins::*;
use support::*;

/// `component` with its `winst-api-version` section saying `version` (5 characters, as `0.2.0`).
fn stamped_as(component: &Path, version: &str, dir: &Path) -> std::path::PathBuf {
    let bytes = std::fs::read(component).unwrap();
    let stamp = |v: &str| [b"winst-api-version".as_slice(), v.as_bytes()].concat();
    let patched = replace_bytes(&bytes, &stamp("0.2.0"), &stamp(version));
    assert_ne!(
        patched,
        bytes,
        "{} carries no 0.2.0 stamp",
        component.display()
    );
    let out = dir.join(format!("stamped-{version}.wasm"));
    std::fs::write(&out, patched).unwrap();
    out
}

#[test]
fn v0_1_0_policies_run_on_the_current_host() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = pkg("fine", "1.0").build(wheels.path());
    let bad = pkg("PyYAML", "6.0").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let deny = entry_for(
        "old-deny",
        &plugin_v0_1_0("deny-list"),
        "config = { deny = { \"pyyaml\" = \"use ruamel.yaml\" } }",
    );
    let cfg = config_file(dir.path(), &deny);
    let stderr = refused(&venv, &[&"--config", &cfg, &good, &bad]);
    assert!(
        stderr.contains("PyYAML-6.0-py3-none-any.whl: refused by policy plugin old-deny: PyYAML is on the deny list: use ruamel.yaml"),
        "{stderr}"
    );
    // host@0.1.0's read-member, through the adapter: the 0.1.0 pth policy reads the .pth file.
    let sneaky = pkg("sneaky", "1.0")
        .file("sneaky-startup.pth", "import os; os.system('echo owned')\n")
        .build(wheels.path());
    let pth = entry_for("old-pth", &plugin_v0_1_0("pth-policy"), "config = {}");
    let cfg = config_file(&dir.path().join("pth"), &pth);
    let stderr = refused(&venv, &[&"--config", &cfg, &sneaky]);
    assert!(
        stderr.contains("sneaky-startup.pth") && stderr.contains("os.system"),
        "{stderr}"
    );
    let out = venv.install(&[&"--config", &cfg, &good]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn v0_1_0_scripts_editable_and_post_install_run_on_the_current_host() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("oldapi", "1.0")
        .entry_points("[console_scripts]\noldapi = oldapi:main\n")
        .build(wheels.path());
    let project = tempfile::tempdir().unwrap();
    let src = project.path().join("src");
    std::fs::create_dir_all(src.join("edpkg")).unwrap();
    std::fs::write(src.join("edpkg/__init__.py"), "WHERE = 'source tree'\n").unwrap();
    let editable = editable_wheel(wheels.path(), &src);
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        entry_for("old-scripts", &plugin_v0_1_0("scripts"), ""),
        entry_for("old-editable", &plugin_v0_1_0("editable"), ""),
        entry_for(
            "old-sbom",
            &plugin_v0_1_0("sbom"),
            "config = { author = \"ACME\" }",
        ),
    ]
    .concat();
    let cfg = config_file(dir.path(), &entries);
    let listed = winst()
        .args(["plugins", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let (stdout, _) = text(&listed);
    assert!(
        stdout.contains("scripts:      old-scripts")
            && stdout.contains("editable:     old-editable"),
        "{stdout}"
    );
    let out = venv.install(&[&"--config", &cfg, &whl, &editable]);
    assert!(out.status.success(), "{:?}", text(&out));
    let run = std::process::Command::new(venv.bin("oldapi"))
        .output()
        .unwrap();
    assert_eq!(text(&run).0.trim(), "hello from oldapi");
    assert_eq!(
        venv.python_out("import edpkg; print(edpkg.WHERE)"),
        "source tree"
    );
    let bom: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            venv.site_packages()
                .join("oldapi-1.0.dist-info/sboms/winst.cdx.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(bom["metadata"]["component"]["purl"], "pkg:pypi/oldapi@1.0");
    assert_eq!(bom["metadata"]["authors"][0]["name"], "ACME");
}

#[test]
fn a_component_of_an_unknown_api_version_is_refused_naming_both_versions() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("anything", "1.0").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let future = stamped_as(&plugin("deny-list"), "9.1.0", dir.path());
    let stderr = refused(&venv, &[&"--plugin", &future, &whl]);
    assert!(
        stderr.contains("it was built against winst plugin API 9.1.0, newer than this winst"),
        "{stderr}"
    );
    assert!(
        stderr.contains("newest 0.2.0") && stderr.contains("upgrade winst"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stamped-9.1.0.wasm"),
        "names the file: {stderr}"
    );
    // An older version that was never released is refused too, with the other fix.
    let ancient = stamped_as(&plugin("deny-list"), "0.0.9", dir.path());
    let cfg = config_file(
        dir.path(),
        &entry_for("ancient", &ancient, "roles = [\"policy\"]"),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &whl]);
    assert!(
        stderr.contains("plugin ancient") && stderr.contains("API 0.0.9, which this winst"),
        "{stderr}"
    );
    assert!(stderr.contains("rebuild the plugin"), "{stderr}");
    // The same component with its real stamp runs.
    let out = venv.install(&[&"--plugin", &plugin("deny-list"), &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn an_install_with_several_denied_wheels_reports_every_verdict() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let fine = pkg("fine", "1.0").build(wheels.path());
    let yaml = pkg("PyYAML", "6.0").build(wheels.path());
    let six = pkg("six", "1.16").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        plugin_entry(
            "deny",
            "deny-list",
            "config = { deny = { pyyaml = \"use ruamel.yaml\", six = \"Python 2 is gone\" } }",
        ),
        entry_for(
            "old-deny",
            &plugin_v0_1_0("deny-list"),
            "config = { deny = { six = \"still gone\" } }",
        ),
    ]
    .concat();
    let cfg = config_file(dir.path(), &entries);
    let stderr = refused(&venv, &[&"--config", &cfg, &fine, &yaml, &six]);
    assert!(stderr.contains("3 refusals by policy plugins"), "{stderr}");
    for line in [
        "PyYAML-6.0-py3-none-any.whl: refused by policy plugin deny: PyYAML is on the deny list: use ruamel.yaml",
        "six-1.16-py3-none-any.whl: refused by policy plugin deny: six is on the deny list: Python 2 is gone",
        "six-1.16-py3-none-any.whl: refused by policy plugin old-deny: six is on the deny list: still gone",
    ] {
        assert!(stderr.contains(line), "missing `{line}`:\n{stderr}");
    }
    assert!(!stderr.contains("fine-1.0"), "{stderr}");
}

#[test]
fn v0_2_0_policies_see_hashes_installed_projects_and_pep_440_ranges() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let new = pkg("six", "1.17.0").build(wheels.path());
    let old = pkg("six", "1.16.0").build(wheels.path());
    let vulnerable = pkg("requests", "2.31.0").build(wheels.path());
    let fixed = pkg("requests", "2.32.3").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "versions",
            "version-policy",
            "[plugin.config]\nno_downgrade = true\n[plugin.config.refuse.Requests]\nversions = \"<2.32.0\"\nreason = \"CVE-2024-35195\"\n",
        ),
    );
    let out = venv.install(&[&"--config", &cfg, &new]);
    assert!(out.status.success(), "{:?}", text(&out));
    // six 1.17.0 is installed now: 1.16.0 is a downgrade; requests 2.31.0 is in the range.
    let stderr = refused(&venv, &[&"--config", &cfg, &old, &vulnerable]);
    assert!(
        stderr.contains("six 1.16.0 would downgrade the installed 1.17.0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("requests 2.31.0 is in the refused range Requests <2.32.0: CVE-2024-35195"),
        "{stderr}"
    );
    let out = venv.install(&[&"--config", &cfg, &fixed]);
    assert!(out.status.success(), "{:?}", text(&out));
    // A hash allow-list: only the file whose sha256 is listed passes.
    let allowed = sha256_hex(&std::fs::read(&fixed).unwrap());
    let cfg = config_file(
        &dir.path().join("hashes"),
        &plugin_entry(
            "hashes",
            "version-policy",
            &format!("config = {{ sha256 = [\"{allowed}\"] }}"),
        ),
    );
    // (six 1.17.0 is installed from this very file: --reinstall, or winst would skip it.)
    let stderr = refused(&venv, &[&"--reinstall", &"--config", &cfg, &new]);
    let theirs = sha256_hex(&std::fs::read(&new).unwrap());
    assert!(
        stderr.contains(&format!(
            "six-1.17.0-py3-none-any.whl has sha256 {theirs}, which is not on the allow-list"
        )),
        "{stderr}"
    );
    let out = venv.install(&[&"--reinstall", &"--config", &cfg, &fixed]);
    assert!(out.status.success(), "{:?}", text(&out));
}
