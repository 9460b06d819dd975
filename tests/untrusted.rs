//! Hostile wheels: archives built byte by byte (tests/support/rawzip.rs) so that two zip parsers
//! could disagree about them, zip bombs of several shapes, and the limits and stricter rules of
//! `--untrusted`. Each must fail with the member and the rule named, write nothing anywhere, and
//! leave the environment unchanged. Every wheel here is otherwise valid (RECORD matches), so the
//! defence under test is what refuses it.

mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::rawzip::{RawEntry, RawZip, crc32};
use support::*;

/// A valid wheel `demo 1.0` with a module and a data file, as raw members.
fn demo(dir: &Path) -> RawZip {
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "VALUE = 1\n")
        .file("demo/data.txt", "payload\n".repeat(50))
        .build(dir);
    let raw = RawZip::from_wheel(&whl);
    std::fs::remove_file(whl).unwrap();
    raw
}

const DEMO: &str = "demo-1.0-py3-none-any.whl";

/// Installs `whl` (with `args`) and expects a refusal naming `member` (if any) and `rule`, with
/// nothing written to the venv or next to it.
fn refused(whl: &Path, args: &[&str], member: Option<&str>, rule: &str) -> String {
    let venv = Venv::new();
    let before = venv.snapshot();
    let around = snapshot(venv.dir.path());
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = args
        .iter()
        .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    all.push(&whl);
    let out = venv.install(&all);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal:\n{stdout}\n{stderr}"
    );
    let file_name = whl.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(&format!("error: {file_name}")), "{stderr}");
    if let Some(member) = member {
        assert!(
            stderr.contains(member),
            "the error must name {member}:\n{stderr}"
        );
    }
    assert!(
        stderr.contains(rule),
        "the error must say `{rule}`:\n{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&around, &snapshot(venv.dir.path()));
    stderr
}

/// The same archive, unmodified, installs: the test wheels are valid but for the attack.
#[test]
fn the_raw_writer_makes_valid_wheels() {
    let dir = wheel_dir();
    let whl = demo(dir.path()).write(dir.path(), DEMO);
    let venv = Venv::new();
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(venv.python_out("import demo; print(demo.VALUE)"), "1");
}

// ---------------------------------------------------------------------------------------------
// Parser differentials: local headers against the central directory, and the file's layout

#[test]
fn a_local_header_naming_another_file_is_refused() {
    // The central directory says demo/data.txt; the local header says demo/evil.py. A parser that
    // walks local headers (a streaming unzip) would install demo/evil.py.
    let dir = wheel_dir();
    let mut raw = demo(dir.path());
    let i = raw.find("demo/data.txt");
    raw.entries[i].local_name = Some(b"demo/evil.py".to_vec());
    let whl = raw.write(dir.path(), DEMO);
    refused(
        &whl,
        &[],
        Some("demo/data.txt"),
        "local header disagrees with the central directory",
    );
}

#[test]
fn local_header_fields_that_disagree_are_refused() {
    let dir = wheel_dir();
    type Mutation = fn(&mut RawEntry);
    let cases: [(&str, Mutation); 4] = [
        ("(CRC)", |e| e.local_crc = Some(e.crc ^ 1)),
        ("(size)", |e| e.local_size = Some(e.size + 1)),
        ("(compressed size)", |e| {
            e.local_compressed = Some(e.data.len() as u32 - 1)
        }),
        ("(compression method)", |e| e.local_method = Some(8)),
    ];
    for (rule, mutate) in cases {
        let mut raw = demo(dir.path());
        let i = raw.find("demo/__init__.py");
        mutate(&mut raw.entries[i]);
        let whl = raw.write(dir.path(), DEMO);
        refused(&whl, &[], Some("demo/__init__.py"), rule);
    }
}

#[test]
fn data_before_between_or_after_members_is_refused() {
    let dir = wheel_dir();
    let mut raw = demo(dir.path());
    raw.prefix = b"#!/bin/sh\necho this is a shell script with a zip appended\n".to_vec();
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], None, "before the first member");

    let mut raw = demo(dir.path());
    let i = raw.find("demo/__init__.py");
    raw.entries[i].gap_after = b"hidden bytes".to_vec();
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], None, "that no member accounts for");

    // A whole member smuggled between the last listed one and the central directory.
    let mut raw = demo(dir.path());
    let mut smuggled = RawZip::default();
    smuggled
        .entries
        .push(RawEntry::stored("demo/smuggled.py", b"import os\n"));
    let bytes = smuggled.bytes();
    raw.before_cd = bytes[..30 + 16 + 10].to_vec();
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], None, "after the last member");

    let mut raw = demo(dir.path());
    raw.trailing = b"trailing garbage".to_vec();
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], None, "data after the end of the archive");
}

#[test]
fn a_central_directory_that_lies_is_refused() {
    let dir = wheel_dir();
    // It claims fewer members than it holds: a parser trusting the count misses the last ones.
    let mut raw = demo(dir.path());
    raw.eocd_count = Some(raw.entries.len() as u16 - 1);
    let whl = raw.write(dir.path(), DEMO);
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = venv.install(&[&whl]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("central directory"),
        "{:?}",
        text(&out)
    );
    assert_same_tree(&before, &venv.snapshot());

    // Its offset points into the members.
    let mut raw = demo(dir.path());
    raw.eocd_cd_offset = Some(30);
    let whl = raw.write(dir.path(), DEMO);
    let out = venv.install(&[&whl]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn duplicate_paths_are_refused() {
    let dir = wheel_dir();
    let mut raw = demo(dir.path());
    let i = raw.find("demo/__init__.py");
    let mut twin = raw.entries[i].clone();
    twin.data = b"VALUE = 2\n".to_vec();
    twin.crc = crc32(&twin.data);
    twin.size = twin.data.len() as u32;
    raw.entries.insert(i + 1, twin);
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], None, "the same member name twice");

    // `demo/data.txt` and `demo/data.txt/`: one path on disk.
    let mut raw = demo(dir.path());
    let mut as_dir = RawEntry::stored("demo/data.txt/", b"");
    as_dir.external_attr = 0o40755 << 16;
    raw.entries.insert(0, as_dir);
    let whl = raw.write(dir.path(), DEMO);
    refused(
        &whl,
        &[],
        Some("demo/data.txt"),
        "as a file and as a directory",
    );
}

#[test]
fn encrypted_and_unsupported_members_are_refused() {
    let dir = wheel_dir();
    let mut raw = demo(dir.path());
    let i = raw.find("demo/__init__.py");
    raw.entries[i].flags |= 1;
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], Some("demo/__init__.py"), "encrypted");

    for (method, name) in [(12u16, "Bzip2"), (14, "Lzma"), (93, "Zstd")] {
        let mut raw = demo(dir.path());
        let i = raw.find("demo/__init__.py");
        raw.entries[i].method = method;
        raw.entries[i].local_method = Some(method);
        let whl = raw.write(dir.path(), DEMO);
        let stderr = refused(&whl, &[], None, "not supported");
        assert!(
            stderr.contains(name) || stderr.contains("compression"),
            "method {method}: {stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Zip bombs

/// A deflate stream of `n` zeros, built in chunks (never `n` bytes in memory).
fn deflated_zeros(n: u64) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        enc.write_all(&chunk[..k]).unwrap();
        left -= k as u64;
    }
    enc.finish().unwrap()
}

/// CRC-32 and RECORD hash of `n` zeros.
fn zeros_digests(n: u64) -> (u32, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let chunk = vec![0u8; 1 << 20];
    let mut crc = crc32fast::Hasher::new();
    let mut sha = sha2::Sha256::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        crc.update(&chunk[..k]);
        sha.update(&chunk[..k]);
        left -= k as u64;
    }
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha.finalize());
    (crc.finalize(), format!("sha256={hash}"))
}

/// `demo` plus `demo/zeros.bin`: `n` zeros, listed in RECORD with their true hash, declaring
/// `declared` bytes.
fn zero_bomb(dir: &Path, n: u64, declared: u64) -> PathBuf {
    zero_bomb_recorded(dir, n, declared, declared)
}

/// [`zero_bomb`] whose RECORD row gives the size `recorded`.
fn zero_bomb_recorded(dir: &Path, n: u64, declared: u64, recorded: u64) -> PathBuf {
    let (crc, hash) = zeros_digests(n);
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "VALUE = 1\n")
        .record_row(&format!("demo/zeros.bin,{hash},{recorded}"))
        .build(dir);
    let mut raw = RawZip::from_wheel(&whl);
    std::fs::remove_file(&whl).unwrap();
    let mut bomb = RawEntry::stored("demo/zeros.bin", b"");
    bomb.data = deflated_zeros(n);
    bomb.method = 8;
    bomb.crc = crc;
    bomb.size = declared as u32;
    raw.entries.insert(0, bomb);
    raw.write(dir, DEMO)
}

#[test]
fn a_two_gib_member_of_zeros_is_refused_quickly_in_untrusted_mode() {
    let dir = wheel_dir();
    let whl = zero_bomb(dir.path(), 2 << 30, 2 << 30);
    assert!(
        std::fs::metadata(&whl).unwrap().len() < 4 << 20,
        "a small wheel"
    );
    let start = Instant::now();
    let stderr = refused(
        &whl,
        &["--untrusted"],
        Some("demo/zeros.bin"),
        "--max-member-size",
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert!(stderr.contains("2.0 GiB"), "{stderr}");
    // Raising the member limit still stops it, at the ratio.
    refused(
        &whl,
        &[
            "--untrusted",
            "--max-member-size",
            "4GiB",
            "--max-total-size",
            "4GiB",
        ],
        Some("demo/zeros.bin"),
        "--max-ratio",
    );
}

#[test]
fn a_member_that_inflates_past_its_declared_size_is_cut_off() {
    // It declares 4 KiB (and RECORD agrees with the real 64 MiB hash, so only the size lies).
    // Stopped at the declared size in every mode, not after writing 64 MiB.
    let dir = wheel_dir();
    let whl = zero_bomb(dir.path(), 64 << 20, 4096);
    refused(&whl, &[], Some("demo/zeros.bin"), "declared");
}

/// RECORD gives the real size and the zip entry a smaller one: refused before anything is
/// written, and the message says which two sizes disagree (not that the archive holds the
/// zip entry's claim).
#[test]
fn a_zip_entry_understating_the_size_record_gives_is_refused_naming_both() {
    let dir = wheel_dir();
    let whl = zero_bomb_recorded(dir.path(), 1 << 20, 4096, 1 << 20);
    let stderr = refused(
        &whl,
        &[],
        Some("demo/zeros.bin"),
        "RECORD says 1048576 bytes but its zip entry declares 4096 bytes (uncompressed, in the \
         central directory)",
    );
    assert!(!stderr.contains("archive holds"), "{stderr}");
}

#[test]
fn a_big_member_that_inflates_past_its_declared_size_is_cut_off() {
    // Declared 9 MiB: above the size that is inflated in one call (8 MiB), so this one streams.
    let dir = wheel_dir();
    let whl = zero_bomb(dir.path(), 64 << 20, 9 << 20);
    refused(&whl, &[], Some("demo/zeros.bin"), "declared");
}

#[test]
fn overlapping_members_are_refused() {
    // The non-recursive zip bomb: a member's data quotes the local header and data of another,
    // so the bytes are counted (and inflated) twice. Here demo/outer.txt's stored data *is*
    // demo/inner.txt's local header and data; inner's central entry points inside outer.
    let dir = wheel_dir();
    let mut raw = demo(dir.path());
    let mut inner = RawEntry::stored("demo/inner.txt", &b"quoted ".repeat(100));
    let mut quoted = inner.local_header();
    quoted.extend(&inner.data);
    let outer = RawEntry::stored("demo/outer.txt", &quoted);
    let data_start = 30 + outer.name.len() as u32;
    raw.entries.insert(0, outer);
    inner.no_local = true;
    inner.local_offset = Some(data_start);
    raw.entries.push(inner);
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], Some("demo/inner.txt"), "overlaps another member");

    // Many central entries sharing one local header: refused too (the names disagree).
    let mut raw = demo(dir.path());
    let i = raw.find("demo/data.txt");
    for k in 0..20 {
        let mut e = raw.entries[i].clone();
        e.name = format!("demo/copy{k}.txt").into_bytes();
        e.share_local_of = Some(i);
        raw.entries.push(e);
    }
    let whl = raw.write(dir.path(), DEMO);
    refused(&whl, &[], Some("demo/copy0.txt"), "local header");
}

#[test]
fn many_members_and_a_large_total_are_limited() {
    let dir = wheel_dir();
    let mut w = WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "");
    for i in 0..300 {
        w = w.file(&format!("demo/m{i}.txt"), "x".repeat(4000));
    }
    let whl = w.build(dir.path());
    refused(
        &whl,
        &["--untrusted", "--max-members", "100"],
        None,
        "--max-members",
    );
    refused(
        &whl,
        &["--untrusted", "--max-total-size", "1MiB"],
        None,
        "--max-total-size",
    );
    // Within the limits it installs, every member.
    let venv = Venv::new();
    let out = venv.install(&[&"--no-cache", &"--untrusted", &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    for i in [0, 150, 299] {
        assert_landed(
            &venv,
            "demo-1.0.dist-info",
            &format!("demo/m{i}.txt"),
            "x".repeat(4000).as_bytes(),
            0o644,
        );
    }
    let installed = std::fs::read_dir(venv.site_packages().join("demo"))
        .unwrap()
        .count();
    assert_eq!(installed, 301, "300 data files and __init__.py");
}

// ---------------------------------------------------------------------------------------------
// The stricter rules and the remaining limits of untrusted mode

#[test]
fn untrusted_mode_refuses_pth_files_unless_allowed() {
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo-hook.pth", "import os\n")
        .build(dir.path());
    refused(&whl, &["--untrusted"], Some("demo-hook.pth"), "--allow-pth");
    let venv = Venv::new();
    let out = venv.install(&[&"--no-cache", &"--untrusted", &"--allow-pth", &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_landed(
        &venv,
        "demo-1.0.dist-info",
        "demo-hook.pth",
        b"import os\n",
        0o644,
    );
    // Trusted mode installs it as pip would.
    let venv = Venv::new();
    assert!(venv.install(&[&"--no-cache", &whl]).status.success());
    assert_landed(
        &venv,
        "demo-1.0.dist-info",
        "demo-hook.pth",
        b"import os\n",
        0o644,
    );
}

#[test]
fn untrusted_mode_refuses_executable_files_outside_scripts() {
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .exe("demo/helper.sh", "#!/bin/sh\necho hi\n")
        .build(dir.path());
    refused(
        &whl,
        &["--untrusted"],
        Some("demo/helper.sh"),
        "--allow-executable",
    );
    let venv = Venv::new();
    let out = venv.install(&[&"--no-cache", &"--untrusted", &"--allow-executable", &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_landed(
        &venv,
        "demo-1.0.dist-info",
        "demo/helper.sh",
        b"#!/bin/sh\necho hi\n",
        0o755,
    );
    let ran = std::process::Command::new(venv.site_packages().join("demo/helper.sh"))
        .output()
        .unwrap();
    assert_eq!(text(&ran).0, "hi\n", "{:?}", text(&ran));
}

#[test]
fn untrusted_mode_limits_paths_and_metadata() {
    let dir = wheel_dir();
    let deep = format!("demo/{}x.py", "d/".repeat(40));
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file(&deep, "")
        .build(dir.path());
    refused(&whl, &["--untrusted"], Some(&deep), "--max-path-depth");
    refused(
        &whl,
        &[
            "--untrusted",
            "--max-path-depth",
            "100",
            "--max-path-length",
            "40",
        ],
        Some(&deep),
        "--max-path-length",
    );
    let mut big_meta = WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "");
    big_meta.metadata_extra = format!("Description: {}\n", "y".repeat(8000));
    let big_meta = big_meta.build(dir.path());
    refused(
        &big_meta,
        &["--untrusted", "--max-metadata-size", "4KiB"],
        Some("demo-1.0.dist-info/METADATA"),
        "4096 bytes",
    );
}

#[test]
fn untrusted_mode_needs_record_verification() {
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .build(dir.path());
    let venv = Venv::new();
    let out = venv.install(&[&"--untrusted", &"--no-verify-record", &whl]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("--no-verify-record"),
        "{:?}",
        text(&out)
    );
    // Limit flags without untrusted mode are a mistake worth saying.
    let out = venv.install(&[&"--max-members", &"5", &whl]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("add --untrusted"), "{:?}", text(&out));
}

#[test]
fn untrusted_mode_can_be_set_in_winst_toml() {
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo/data.txt", "z".repeat(5000))
        .build(dir.path());
    let cfg = dir.path().join("winst.toml");
    std::fs::write(
        &cfg,
        "[install]\nuntrusted = true\n[install.limits]\nmax-member-size = \"1KiB\"\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    refused(
        &whl,
        &["--config", &cfg],
        Some("demo/data.txt"),
        "1.0 KiB (--max-member-size)",
    );
    // A flag overrides the file.
    let venv = Venv::new();
    let out = venv.install(&[
        &"--no-cache",
        &"--config",
        &cfg,
        &"--max-member-size",
        &"1MiB",
        &whl,
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_landed(
        &venv,
        "demo-1.0.dist-info",
        "demo/data.txt",
        "z".repeat(5000).as_bytes(),
        0o644,
    );
}

#[test]
fn plugins_get_tighter_bounds_in_untrusted_mode() {
    // The hostile plugin takes 96 MiB: within the default 128 MiB, over untrusted mode's 64 MiB.
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .build(dir.path());
    let cfg = dir.path().join("winst.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[plugin]]\nname = \"hungry\"\nfile = \"{}\"\nroles = [\"policy\"]\n\
             config = {{ mode = \"alloc\", bytes = {} }}\n",
            plugin("hostile").display(),
            96 << 20
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    // Trusted: the allocation succeeds, and the plugin reports it (as a denial).
    refused(&whl, &["--config", &cfg], None, "allocated 100663296 bytes");
    refused(
        &whl,
        &["--config", &cfg, "--untrusted"],
        None,
        "memory limit",
    );
}

// ---------------------------------------------------------------------------------------------
// Where files land, whatever the member path says

#[test]
fn startup_code_is_refused_wherever_it_lands_in_untrusted_mode() {
    let dir = wheel_dir();
    let site = format!("lib/python{}/site-packages", py_version());
    for (member, via) in [
        (format!("demo-1.0.data/data/{site}/evil.pth"), ".data/data"),
        (
            "demo-1.0.data/purelib/evil.pth".to_string(),
            ".data/purelib",
        ),
        ("sitecustomize.py".to_string(), "the root"),
        (
            format!("demo-1.0.data/data/{site}/usercustomize.py"),
            ".data/data",
        ),
    ] {
        let whl = WheelBuilder::new("demo", "1.0")
            .file("demo/__init__.py", "")
            .file(&member, "import os\n")
            .build(dir.path());
        let stderr = refused(
            &whl,
            &["--untrusted"],
            Some(&member),
            "every interpreter start",
        );
        assert!(stderr.contains("--allow-pth"), "via {via}: {stderr}");
    }
}

#[test]
fn files_no_project_owns_are_not_replaced_in_untrusted_mode() {
    // A console script named python3 would replace the venv's interpreter link.
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "def main():\n    pass\n")
        .entry_points("[console_scripts]\npython3 = demo:main\n")
        .build(dir.path());
    let stderr = refused(
        &whl,
        &["--untrusted"],
        None,
        "belongs to no installed project",
    );
    assert!(stderr.contains("bin/python3"), "{stderr}");
    // pyvenv.cfg through .data/data.
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo-1.0.data/data/pyvenv.cfg", "home = /evil\n")
        .build(dir.path());
    refused(
        &whl,
        &["--untrusted"],
        Some("pyvenv.cfg"),
        "refused in untrusted mode",
    );
    // Trusted mode replaces it, as pip does, but says so.
    let venv = Venv::new();
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("belongs to no installed project"),
        "{:?}",
        text(&out)
    );
    let cfg = venv.root().join("pyvenv.cfg");
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), "home = /evil\n");
    assert!(
        std::fs::symlink_metadata(&cfg)
            .unwrap()
            .file_type()
            .is_file()
    );
}

#[test]
fn a_wheel_cannot_plant_winsts_journal() {
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo-1.0.data/data/.winst-journal", "{\"op\":\"begin\"}\n")
        .build(dir.path());
    refused(&whl, &[], Some(".winst-journal"), "reserved for winst");
}

#[test]
fn a_journal_naming_directories_outside_the_environment_is_not_replayed() {
    let venv = Venv::new();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious");
    std::fs::write(&precious, "keep me").unwrap();
    let journal = format!(
        "{{\"op\":\"begin\",\"pid\":1,\"command\":\"winst install\",\"started\":0,\"roots\":[\"{}\"]}}\n\
         {{\"op\":\"temps\",\"temps\":[{{\"root\":0,\"tmp\":\"x\",\"dest\":\"precious\",\"last\":false}}]}}\n\
         {{\"op\":\"renaming\"}}\n",
        outside.path().display()
    );
    std::fs::write(venv.root().join(".winst-journal"), journal).unwrap();
    let before = venv.snapshot();
    let out = winst()
        .args(["list", "--python"])
        .arg(venv.python())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("will not replay it"),
        "{:?}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn a_wheel_cannot_forge_the_installers_bookkeeping() {
    let dir = wheel_dir();
    let venv = Venv::new();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo-1.0.dist-info/INSTALLER", "pip\n")
        .file(
            "demo-1.0.dist-info/direct_url.json",
            "{\"url\": \"https://evil.example\"}",
        )
        .build(dir.path());
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let di = venv.site_packages().join("demo-1.0.dist-info");
    assert_eq!(
        std::fs::read_to_string(di.join("INSTALLER")).unwrap(),
        "winst\n"
    );
    assert!(
        !std::fs::read_to_string(di.join("direct_url.json"))
            .unwrap()
            .contains("evil")
    );
    let record = std::fs::read_to_string(di.join("RECORD")).unwrap();
    assert_eq!(
        record.matches("demo-1.0.dist-info/INSTALLER,").count(),
        1,
        "{record}"
    );
    let out = venv.pip(&["check"]);
    assert!(out.status.success(), "{:?}", text(&out));
}
