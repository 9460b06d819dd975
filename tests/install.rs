//! Installing valid wheels into real virtual environments, checked with the venv's own Python
//! and pip.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::*;

fn pkg(name: &str, version: &str) -> WheelBuilder {
    let module = name.replace(['-', '.'], "_");
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("VERSION = {version:?}\ndef main():\n    print('hello from {name}')\n"),
    )
}

#[test]
fn installs_a_wheel_that_python_and_pip_can_use() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("demo-pkg", "1.2.0")
        .entry_points("[console_scripts]\ndemo = demo_pkg:main\n")
        .build(wheels.path());
    let out = venv.install(&[&whl]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("Installed 1 package"), "{stderr}");
    assert!(stderr.contains("+ demo-pkg==1.2.0"), "{stderr}");

    assert_eq!(
        venv.python_out("import demo_pkg; print(demo_pkg.VERSION)"),
        "1.2.0"
    );
    assert_eq!(
        venv.python_out(
            "import importlib.metadata as m; d = m.distribution('demo-pkg'); \
             print(d.version, sorted(str(f) for f in d.files if f.name == '__init__.py'))"
        ),
        "1.2.0 ['demo_pkg/__init__.py']"
    );
    let run = std::process::Command::new(venv.bin("demo"))
        .output()
        .unwrap();
    assert_eq!(text(&run).0.trim(), "hello from demo-pkg");

    let show = venv.pip(&["show", "-f", "demo-pkg"]);
    let (show_out, _) = text(&show);
    assert!(show.status.success());
    assert!(show_out.contains("Version: 1.2.0"), "{show_out}");
    assert!(show_out.contains("../../../bin/demo"), "{show_out}");
    let checked = venv.pip(&["check"]);
    assert!(checked.status.success(), "{:?}", text(&checked));

    // The installed bookkeeping files.
    let di = venv.site_packages().join("demo_pkg-1.2.0.dist-info");
    assert_eq!(
        std::fs::read_to_string(di.join("INSTALLER")).unwrap(),
        "winst\n"
    );
    assert!(di.join("REQUESTED").is_file());
    let direct: serde_json::Value =
        serde_json::from_slice(&std::fs::read(di.join("direct_url.json")).unwrap()).unwrap();
    let wheel_hash = sha256_hex(&std::fs::read(&whl).unwrap());
    assert_eq!(direct["archive_info"]["hashes"]["sha256"], wheel_hash);
    assert_eq!(
        direct["url"],
        format!("file://{}", whl.display()).replace(' ', "%20")
    );

    // pip can uninstall what winst installed, completely.
    let un = venv.pip(&["uninstall", "-y", "demo-pkg"]);
    assert!(un.status.success(), "{:?}", text(&un));
    assert!(!venv.bin("demo").exists());
    assert!(!di.exists());
    assert!(!venv.site_packages().join("demo_pkg").exists());
}

#[test]
fn installed_record_lists_every_file_with_its_hash() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("recorded", "0.1")
        .file("recorded/data.bin", vec![7u8; 100_000])
        .entry_points(
            "[console_scripts]\nrec = recorded:main\n[gui_scripts]\nrecw = recorded:main\n",
        )
        .build(wheels.path());
    assert!(venv.install(&[&whl]).status.success());
    let sp = venv.site_packages();
    let record = std::fs::read_to_string(sp.join("recorded-0.1.dist-info/RECORD")).unwrap();
    let mut listed = std::collections::BTreeSet::new();
    for line in record.lines() {
        let parts: Vec<&str> = line.split(',').collect();
        assert_eq!(parts.len(), 3, "{line}");
        let path = sp.join(parts[0]);
        listed.insert(std::fs::canonicalize(&path).unwrap());
        if parts[0].ends_with("RECORD") {
            assert_eq!((parts[1], parts[2]), ("", ""));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(parts[1], record_hash(&bytes), "{line}");
        assert_eq!(parts[2], bytes.len().to_string(), "{line}");
    }
    for script in ["rec", "recw"] {
        assert!(
            listed.contains(&std::fs::canonicalize(venv.bin(script)).unwrap()),
            "{script} not in RECORD:\n{record}"
        );
    }
    assert!(record.contains("../../../bin/rec,"), "{record}");
    // Every file under the project's directories is listed.
    for entry in std::fs::read_dir(sp.join("recorded")).unwrap().flatten() {
        assert!(listed.contains(&std::fs::canonicalize(entry.path()).unwrap()));
    }
}

#[test]
fn data_directories_go_to_their_scheme_paths() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let b = pkg("datapkg", "2.0");
    let data = b.data_dir();
    let whl = b
        .file(&format!("{data}/purelib/datapkg_pure.py"), "X = 'pure'\n")
        .file(&format!("{data}/platlib/datapkg_plat.py"), "X = 'plat'\n")
        .file(&format!("{data}/headers/datapkg.h"), "#define DATAPKG 1\n")
        .file(&format!("{data}/data/share/datapkg/thing.txt"), "data\n")
        .file(
            &format!("{data}/scripts/datapkg-tool"),
            "#!python\nimport datapkg\nprint('tool', datapkg.VERSION)\n",
        )
        .file(
            &format!("{data}/scripts/plain.sh"),
            "#!/bin/sh\necho plain\n",
        )
        .build(wheels.path());
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let root = venv.root();
    assert_eq!(
        venv.python_out("import datapkg_pure, datapkg_plat; print(datapkg_pure.X, datapkg_plat.X)"),
        "pure plat"
    );
    let header = root.join(format!(
        "include/site/python{}/datapkg/datapkg.h",
        py_version()
    ));
    assert_eq!(
        std::fs::read_to_string(&header).unwrap(),
        "#define DATAPKG 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("share/datapkg/thing.txt")).unwrap(),
        "data\n"
    );
    // `#!python` becomes the venv's interpreter; the script is executable and runs.
    let tool = venv.bin("datapkg-tool");
    let first = std::fs::read_to_string(&tool).unwrap();
    assert_eq!(
        first.lines().next().unwrap(),
        format!("#!{}", venv.python().display())
    );
    assert!(std::fs::metadata(&tool).unwrap().permissions().mode() & 0o111 != 0);
    let run = std::process::Command::new(&tool).output().unwrap();
    assert_eq!(text(&run).0.trim(), "tool 2.0");
    // Other scripts keep their first line and become executable.
    assert_eq!(
        std::fs::read_to_string(venv.bin("plain.sh")).unwrap(),
        "#!/bin/sh\necho plain\n"
    );
    assert!(
        std::fs::metadata(venv.bin("plain.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o111
            != 0
    );
    // pip uninstall removes all of it.
    let un = venv.pip(&["uninstall", "-y", "datapkg"]);
    assert!(un.status.success(), "{:?}", text(&un));
    assert!(!header.exists() && !tool.exists());
}

#[test]
fn executable_bits_are_kept() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("modes", "1.0")
        .exe("modes/run.sh", "#!/bin/sh\necho run\n")
        .build(wheels.path());
    assert!(venv.install(&[&whl]).status.success());
    let sp = venv.site_packages();
    let exe = std::fs::metadata(sp.join("modes/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    let plain = std::fs::metadata(sp.join("modes/__init__.py"))
        .unwrap()
        .permissions()
        .mode();
    assert!(exe & 0o111 != 0, "{exe:o}");
    assert_eq!(plain & 0o111, 0, "{plain:o}");
}

#[test]
fn upgrade_replaces_the_old_version_and_removes_its_files() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let old = pkg("upgrader", "1.0")
        .file("upgrader/old_only.py", "gone = True\n")
        .entry_points("[console_scripts]\nupgrader-old = upgrader:main\n")
        .build(wheels.path());
    let new = pkg("upgrader", "2.0")
        .file("upgrader/new_only.py", "new = True\n")
        .entry_points("[console_scripts]\nupgrader-new = upgrader:main\n")
        .build(wheels.path());
    assert!(venv.install(&[&old]).status.success());
    // Bytecode of the old file, as an import would leave it.
    venv.run_python("import sys; sys.dont_write_bytecode = False; import upgrader.old_only");
    let sp = venv.site_packages();
    assert!(std::fs::read_dir(sp.join("upgrader/__pycache__")).is_ok());
    // A file some other tool left in the old dist-info, not in its RECORD.
    std::fs::write(sp.join("upgrader-1.0.dist-info/stray.txt"), "x").unwrap();

    let out = venv.install(&[&new]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("- upgrader==1.0") && stderr.contains("+ upgrader==2.0"),
        "{stderr}"
    );
    assert!(!sp.join("upgrader/old_only.py").exists());
    assert!(sp.join("upgrader/new_only.py").exists());
    assert!(!venv.bin("upgrader-old").exists());
    assert!(venv.bin("upgrader-new").exists());
    assert!(!sp.join("upgrader-1.0.dist-info").exists());
    let pycache: Vec<String> = std::fs::read_dir(sp.join("upgrader/__pycache__"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !pycache.iter().any(|n| n.starts_with("old_only.")),
        "{pycache:?}"
    );
    let dists: Vec<_> = std::fs::read_dir(&sp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("upgrader-"))
        .collect();
    assert_eq!(dists.len(), 1);
    assert_eq!(
        venv.python_out("import importlib.metadata as m; print(m.version('upgrader'))"),
        "2.0"
    );
    // Downgrade works the same way, and reinstalling the same version is clean.
    assert!(venv.install(&[&old]).status.success());
    assert!(venv.install(&[&old]).status.success());
    assert!(sp.join("upgrader/old_only.py").exists());
    assert!(!sp.join("upgrader/new_only.py").exists());
    let check = venv.pip(&["check"]);
    assert!(check.status.success(), "{:?}", text(&check));
}

#[test]
fn wheels_sharing_a_file_with_identical_bytes_install_together() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let shared = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n";
    let a = WheelBuilder::new("ns-a", "1.0")
        .file("ns/__init__.py", shared)
        .file("ns/a.py", "A = 1\n")
        .build(wheels.path());
    let b = WheelBuilder::new("ns-b", "1.0")
        .file("ns/__init__.py", shared)
        .file("ns/b.py", "B = 2\n")
        .build(wheels.path());
    let out = venv.install(&[&a, &b]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(
        venv.python_out("from ns import a, b; print(a.A + b.B)"),
        "3"
    );
    let sp = venv.site_packages();
    for di in ["ns_a-1.0.dist-info", "ns_b-1.0.dist-info"] {
        let record = std::fs::read_to_string(sp.join(di).join("RECORD")).unwrap();
        assert!(record.contains("ns/__init__.py,sha256="), "{di}: {record}");
    }
    // A third project shipping the same bytes later is not an overwrite conflict.
    let c = WheelBuilder::new("ns-c", "1.0")
        .file("ns/__init__.py", shared)
        .file("ns/c.py", "C = 3\n")
        .build(wheels.path());
    let out = venv.install(&[&c]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn target_and_prefix_layouts() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let b = pkg("layout", "1.0").entry_points("[console_scripts]\nlayout = layout:main\n");
    let data = b.data_dir();
    let whl = b
        .file(&format!("{data}/data/share/layout.txt"), "x\n")
        .build(wheels.path());

    let target = tempfile::tempdir().unwrap();
    let t = target.path().join("t");
    let out = winst()
        .args(["install", "--python"])
        .arg(venv.python())
        .arg("--target")
        .arg(&t)
        .arg(&whl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(t.join("layout/__init__.py").is_file());
    assert!(t.join("layout-1.0.dist-info/RECORD").is_file());
    assert!(t.join("bin/layout").is_file());
    assert!(t.join("share/layout.txt").is_file());
    let run = std::process::Command::new(venv.python())
        .args(["-B", "-c", "import layout; print(layout.VERSION)"])
        .env("PYTHONPATH", &t)
        .output()
        .unwrap();
    assert_eq!(text(&run).0.trim(), "1.0");
    // Nothing went into the venv itself.
    assert!(!venv.site_packages().join("layout").exists());

    let p = target.path().join("p");
    let out = winst()
        .args(["install", "--python"])
        .arg(venv.python())
        .arg("--prefix")
        .arg(&p)
        .arg(&whl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        p.join(format!(
            "lib/python{}/site-packages/layout/__init__.py",
            py_version()
        ))
        .is_file()
    );
    assert!(p.join("bin/layout").is_file());
    assert!(p.join("share/layout.txt").is_file());
}

#[test]
fn dry_run_changes_nothing_and_says_what_it_would_do() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("dry", "1.0")
        .entry_points("[console_scripts]\ndry = dry:main\n")
        .build(wheels.path());
    let before = venv.snapshot();
    let out = venv.install(&[&"--dry-run", &whl]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("Would install 1 package"), "{stdout}");
    assert!(stdout.contains("dry==1.0"), "{stdout}");
    assert!(stdout.contains("bin/dry"), "{stdout}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn json_report_describes_the_install() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let old = pkg("reported", "1.0")
        .file("reported/old.py", "")
        .build(wheels.path());
    let new = pkg("reported", "1.1")
        .entry_points("[console_scripts]\nreported = reported:main\n")
        .build(wheels.path());
    assert!(venv.install(&[&old]).status.success());
    let out = venv.install(&[&"--json", &new]);
    assert!(out.status.success(), "{:?}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], false);
    let w = &report["wheels"][0];
    assert_eq!(w["name"], "reported");
    assert_eq!(w["version"], "1.1");
    assert_eq!(w["scripts"][0], "reported");
    assert_eq!(w["replaces"][0], "reported==1.0");
    assert_eq!(w["files"], 5); // __init__.py, METADATA, WHEEL, entry_points.txt, launcher
    let removed: Vec<String> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        removed.iter().any(|p| p.ends_with("reported/old.py")),
        "{removed:?}"
    );
    // The stages follow one another: their sum, the plugins' loading included, is within the
    // total (the requirements check afterwards is not part of it).
    let timings = report["timings"].as_object().unwrap();
    let total = timings["total_ms"].as_f64().unwrap();
    let stages: f64 = (timings.iter())
        .filter(|(k, _)| !matches!(k.as_str(), "total_ms" | "requirements_ms"))
        .map(|(_, v)| v.as_f64().unwrap())
        .sum();
    assert!(total > 0.0 && stages <= total + 0.01, "{timings:?}");
    assert!(
        timings["plugins_load_ms"].as_f64().unwrap() > 0.0,
        "{timings:?}"
    );
}

#[test]
fn a_directory_argument_installs_every_wheel_in_it() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    pkg("dir-a", "1.0").build(wheels.path());
    pkg("dir-b", "1.0").build(wheels.path());
    let out = venv.install(&[&wheels.path()]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(venv.python_out("import dir_a, dir_b; print('ok')"), "ok");
}

#[test]
fn interpreter_discovery_uses_virtual_env_and_dot_venv() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("found", "1.0").build(wheels.path());
    // $VIRTUAL_ENV
    let out = winst()
        .arg("install")
        .arg(&whl)
        .env("VIRTUAL_ENV", venv.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(venv.site_packages().join("found").is_dir());
    // ./.venv in the current directory
    let project = tempfile::tempdir().unwrap();
    check(
        std::process::Command::new(python3())
            .args(["-m", "venv", "--without-pip", ".venv"])
            .current_dir(project.path()),
    );
    let out = winst()
        .arg("install")
        .arg(&whl)
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        project
            .path()
            .join(format!(
                ".venv/lib/python{}/site-packages/found",
                py_version()
            ))
            .is_dir()
    );
    // Nothing to find: a clear error.
    let empty = tempfile::tempdir().unwrap();
    let out = winst()
        .arg("install")
        .arg(&whl)
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("no Python environment found"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn interpreter_answer_is_cached() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("cached", "1.0").build(wheels.path());
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        winst()
            .env("WINST_CACHE_DIR", cache.path())
            .args(["install", "--dry-run", "--python"])
            .arg(venv.python())
            .arg(&whl)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let files: Vec<_> = std::fs::read_dir(cache.path().join("interpreters"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with("venv-"))
        .collect();
    assert_eq!(files.len(), 1);
    // Change the cached answer: a second run must use it instead of asking Python.
    let path = files[0].path();
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    value["interpreter"]["version"] = serde_json::json!([3, 99, 0]);
    std::fs::write(&path, value.to_string()).unwrap();
    let json = winst()
        .env("WINST_CACHE_DIR", cache.path())
        .args(["install", "--dry-run", "--json", "--python"])
        .arg(venv.python())
        .arg(&whl)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["target"]["version"], "CPython 3.99.0");
    // Touching the interpreter (a new venv at the same path) invalidates the entry.
    let cfg = venv.root().join("pyvenv.cfg");
    let content = std::fs::read(&cfg).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&cfg, content).unwrap();
    let json = winst()
        .env("WINST_CACHE_DIR", cache.path())
        .args(["install", "--dry-run", "--json", "--python"])
        .arg(venv.python())
        .arg(&whl)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        report["target"]["version"],
        format!(
            "CPython {}",
            venv.python_out("import platform; print(platform.python_version())")
        )
    );
}

#[test]
fn a_fresh_venv_of_a_known_interpreter_needs_no_python_start() {
    let wheels = wheel_dir();
    let whl = pkg("rebased", "1.0").build(wheels.path());
    let cache = tempfile::tempdir().unwrap();
    let run = |venv: &Venv| -> serde_json::Value {
        let out = check(
            winst()
                .env("WINST_CACHE_DIR", cache.path())
                .args(["install", "--json", "--python"])
                .arg(venv.python())
                .arg(&whl),
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = Venv::new();
    assert_eq!(run(&first)["target"]["interpreter_answer"], "query");
    // Another venv of the same base interpreter, at another path: the first answer, rebased.
    let second = Venv::new();
    let report = run(&second);
    assert_eq!(report["target"]["interpreter_answer"], "venv-template");
    let sysconfig = second.python_out(
        "import json, sys, sysconfig; p = sysconfig.get_paths(); \
         print(json.dumps([sys.prefix, p['purelib'], p['platlib'], p['scripts'], p['data']]))",
    );
    let scheme = &report["target"]["scheme"];
    let expected: Vec<String> = serde_json::from_str(&sysconfig).unwrap();
    assert_eq!(
        vec![
            report["target"]["prefix"].as_str().unwrap(),
            scheme["purelib"].as_str().unwrap(),
            scheme["platlib"].as_str().unwrap(),
            scheme["scripts"].as_str().unwrap(),
            scheme["data"].as_str().unwrap(),
        ],
        expected
    );
    assert_eq!(second.python_out("import rebased; print('ok')"), "ok");
    // Now cached for that path too.
    let third_run = run(&second);
    assert_eq!(third_run["target"]["interpreter_answer"], "cache");
    // A venv whose interpreter is its own copy is always asked.
    let copies = tempfile::tempdir().unwrap();
    check(
        std::process::Command::new(support::python3())
            .args(["-m", "venv", "--without-pip", "--copies"])
            .arg(copies.path().join("env")),
    );
    let out = check(
        winst()
            .env("WINST_CACHE_DIR", cache.path())
            .args(["install", "--dry-run", "--json", "--python"])
            .arg(copies.path().join("env/bin/python"))
            .arg(&whl),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["interpreter_answer"], "query");
}

#[test]
fn allow_overwrite_lands_the_new_projects_bytes_and_modes() {
    let wheels = wheel_dir();
    let alpha = pkg("alpha", "1.0")
        .file("shared/common.py", "WHO = 'alpha'\n")
        .exe("shared/tool.sh", "#!/bin/sh\necho alpha\n")
        .build(wheels.path());
    let beta = pkg("beta", "1.0")
        .exe("shared/common.py", "WHO = 'beta'\n")
        .file("shared/tool.sh", "echo beta\n")
        .build(wheels.path());
    let venv = Venv::new();
    assert!(venv.install(&[&alpha]).status.success());
    let before = venv.snapshot();
    let out = venv.install(&[&beta]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("alpha"), "{:?}", text(&out));
    assert_same_tree(&before, &venv.snapshot());

    let out = venv.install(&[&"--no-cache", &"--allow-overwrite", &beta]);
    assert!(out.status.success(), "{:?}", text(&out));
    // beta's bytes and modes, both ways: a plain file made executable and the reverse.
    assert_landed(
        &venv,
        "beta-1.0.dist-info",
        "shared/common.py",
        b"WHO = 'beta'\n",
        0o755,
    );
    assert_landed(
        &venv,
        "beta-1.0.dist-info",
        "shared/tool.sh",
        b"echo beta\n",
        0o644,
    );
    assert_eq!(
        venv.python_out("import shared.common; print(shared.common.WHO)"),
        "beta"
    );
    // alpha still lists them; uninstalling beta keeps the files alpha also lists.
    let out = winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .arg("beta")
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(venv.site_packages().join("shared/common.py").is_file());
    assert!(venv.site_packages().join("shared/tool.sh").is_file());
    assert!(!venv.site_packages().join("beta").exists());
}

#[test]
fn a_file_a_policy_plugin_and_a_flag_allow_lands_with_its_contents_and_mode() {
    let wheels = wheel_dir();
    let whl = pkg("hooked", "1.0")
        .file("distutils-precedence.pth", "import os\n")
        .build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("winst.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[plugin]]\nname = \"pth\"\nfile = \"{}\"\n\
             config = {{ allow = [\"distutils-precedence.pth\"] }}\n",
            plugin("pth-policy").display()
        ),
    )
    .unwrap();
    // Untrusted mode refuses the .pth; --allow-pth lets it through, and the plugin allows it.
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = venv.install(&[&"--config", &cfg, &"--untrusted", &whl]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert_same_tree(&before, &venv.snapshot());
    let out = venv.install(&[
        &"--no-cache",
        &"--config",
        &cfg,
        &"--untrusted",
        &"--allow-pth",
        &whl,
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_landed(
        &venv,
        "hooked-1.0.dist-info",
        "distutils-precedence.pth",
        b"import os\n",
        0o644,
    );
    assert_landed(
        &venv,
        "hooked-1.0.dist-info",
        "hooked/__init__.py",
        b"VERSION = \"1.0\"\ndef main():\n    print('hello from hooked')\n",
        0o644,
    );
}

#[test]
fn compile_then_uninstall_removes_every_pycache_of_the_project_and_nothing_else() {
    let wheels = wheel_dir();
    // A neighbour shares site-packages/__pycache__ (top-level modules) with the project.
    let neighbour = pkg("neighbour", "1.0")
        .file("neighbour_top.py", "N = 1\n")
        .build(wheels.path());
    let b = pkg("cached", "1.0")
        .file("cached/a/__init__.py", "")
        .file("cached/a/b/__init__.py", "")
        .file("cached/a/b/deep.py", "DEEP = 1\n")
        .file("cached/sub/mod.py", "MOD = 1\n")
        .file("cached/sub/notes.txt", "not code\n")
        .file("cached_top.py", "TOP = 1\n");
    let data = b.data_dir();
    let whl = b
        .file(&format!("{data}/data/share/cached/x.txt"), "x\n")
        .build(wheels.path());
    let venv = Venv::new();
    assert!(venv.install(&[&"--compile", &neighbour]).status.success());
    let before = venv.snapshot();
    let out = venv.install(&[&"--compile", &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    // Imports at another optimization level add .opt-1.pyc files next to the compiled ones,
    // for the project and for its neighbour.
    let imp = std::process::Command::new(venv.python())
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .args([
            "-O",
            "-c",
            "import cached.a.b.deep, cached.sub.mod, cached_top, neighbour, neighbour_top",
        ])
        .output()
        .unwrap();
    assert!(imp.status.success(), "{:?}", text(&imp));
    let sp = venv.site_packages();
    let sp_rel = sp.strip_prefix(venv.root()).unwrap().to_path_buf();
    let installed = venv.snapshot();
    let pycache_dirs: Vec<String> = installed
        .keys()
        .filter(|p| p.ends_with("__pycache__"))
        .map(|p| p.strip_prefix(&sp_rel).unwrap().display().to_string())
        .collect();
    for dir in [
        "__pycache__",
        "cached/__pycache__",
        "cached/a/__pycache__",
        "cached/a/b/__pycache__",
        "cached/sub/__pycache__",
        "neighbour/__pycache__",
    ] {
        assert!(pycache_dirs.contains(&dir.to_string()), "{pycache_dirs:?}");
    }
    for pyc in [
        "cached/a/b/__pycache__/deep.cpython-311.pyc",
        "cached/a/b/__pycache__/deep.cpython-311.opt-1.pyc",
        "__pycache__/cached_top.cpython-311.pyc",
        "__pycache__/cached_top.cpython-311.opt-1.pyc",
    ] {
        let pyc = pyc.replace("311", &py_version().replace('.', ""));
        assert!(sp.join(&pyc).is_file(), "{pyc} missing");
    }

    let out = winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .arg("cached")
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    // Exactly the tree before the project came, plus the neighbour's new .opt-1.pyc files.
    let mut expected = before.clone();
    for (path, node) in &installed {
        if path.to_string_lossy().contains("neighbour") && !before.contains_key(path) {
            expected.insert(path.clone(), node.clone());
        }
    }
    assert!(
        expected.len() > before.len(),
        "the neighbour's .opt-1.pyc files were not made"
    );
    assert_same_tree(&expected, &venv.snapshot());
}
