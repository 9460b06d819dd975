//! Wheels winst must refuse, each breaking one rule, installed into real virtual environments.
//!
//! Every refusal is checked the same way: a non-zero exit (1, not a panic), an `error:` line that
//! names the wheel, the member when the rule is about one, and the rule; and an environment that is
//! byte-for-byte what it was. Each refusal runs twice, cold (no wheel cache) and with an empty
//! private cache, which must end with no entry and no temporary. Where it makes the test stronger,
//! a valid wheel is installed in the same command and must not be installed either: nothing is
//! written unless everything is valid.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use support::*;

/// A small valid wheel with one module.
fn pkg(name: &str, version: &str) -> WheelBuilder {
    let module = name.replace(['-', '.'], "_");
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("VERSION = {version:?}\ndef main():\n    print('hello from {name}')\n"),
    )
}

/// The valid wheel installed next to a bad one.
const GOOD: &str = "good-pkg";

fn good_installed(venv: &Venv) -> bool {
    venv.site_packages().join("good_pkg").exists()
        || venv.site_packages().join("good_pkg-1.0.dist-info").exists()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Whether `stderr` shows `s`, printed as is or escaped.
fn shows(stderr: &str, s: &str) -> bool {
    stderr.contains(s) || stderr.contains(&s.escape_default().to_string())
}

/// Runs `winst install --python <venv> ARGS` and checks it refuses: exit code 1, an `error:` line
/// naming `wheel`, `member` (when given) and every phrase, and the venv unchanged. It runs twice:
/// cold (no wheel cache), then with an empty private cache, which must end with no entry and no
/// temporary (see [`Cache::assert_nothing_cached`]). Returns the cold run's stderr.
#[track_caller]
fn assert_refused(
    venv: &Venv,
    args: &[&dyn AsRef<OsStr>],
    wheel: &str,
    member: Option<&str>,
    phrases: &[&str],
) -> String {
    let cold = refused_once(venv, args, wheel, member, phrases, "cold");
    let cache = Cache::new();
    let empty = cache.snapshot();
    let cache_args = cache.args();
    let mut with_cache: Vec<&dyn AsRef<OsStr>> = vec![&cache_args[0], &cache_args[1]];
    with_cache.extend_from_slice(args);
    refused_once(venv, &with_cache, wheel, member, phrases, "with a cache");
    cache.assert_nothing_cached(&empty);
    cold
}

#[track_caller]
fn refused_once(
    venv: &Venv,
    args: &[&dyn AsRef<OsStr>],
    wheel: &str,
    member: Option<&str>,
    phrases: &[&str],
    how: &str,
) -> String {
    let before = venv.snapshot();
    let out = venv.install(args);
    let (stdout, stderr) = text(&out);
    let ctx = format!(
        "{how}: exit: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    eprintln!("{ctx}");
    assert!(
        !out.status.success(),
        "winst accepted what it must refuse ({wheel}):\n{ctx}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit code 1 (an error, not a crash):\n{ctx}"
    );
    assert!(
        stderr.lines().any(|l| l.starts_with("error:")),
        "no `error:` line:\n{ctx}"
    );
    assert!(
        stderr.contains(wheel),
        "the error does not name the wheel `{wheel}`:\n{ctx}"
    );
    if let Some(member) = member {
        assert!(
            shows(&stderr, member),
            "the error does not name the member `{}`:\n{ctx}",
            member.escape_default()
        );
    }
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "the error does not say `{phrase}`:\n{ctx}"
        );
    }
    assert_same_tree(&before, &venv.snapshot());
    stderr
}

/// Installs a valid wheel and `bad` in one command: refused as [`assert_refused`] checks, and the
/// valid wheel is not installed either.
#[track_caller]
fn refuse_with_good(bad: &WheelBuilder, member: Option<&str>, phrases: &[&str]) -> String {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = pkg(GOOD, "1.0").build(wheels.path());
    let bad_path = bad.build(wheels.path());
    let stderr = assert_refused(
        &venv,
        &[&good, &bad_path],
        &file_name(&bad_path),
        member,
        phrases,
    );
    assert!(
        !good_installed(&venv),
        "the valid wheel was installed:\n{stderr}"
    );
    stderr
}

/// Runs an install that must succeed; returns stderr.
#[track_caller]
fn assert_installs(venv: &Venv, args: &[&dyn AsRef<OsStr>]) -> String {
    let out = venv.install(args);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "winst refused ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stderr
}

// ---------------------------------------------------------------------------------------------
// The wheel's file name

#[test]
fn file_name_not_ending_in_whl() {
    let mut bad = pkg("named", "1.0");
    bad.file_name = Some("named-1.0-py3-none-any.zip".into());
    refuse_with_good(&bad, None, &["invalid wheel file name", ".whl"]);
}

#[test]
fn file_name_with_too_few_parts() {
    let mut bad = pkg("named", "1.0");
    bad.file_name = Some("named-py3-none-any.whl".into());
    refuse_with_good(&bad, None, &["invalid wheel file name"]);
}

#[test]
fn file_name_with_bad_build_tag() {
    let mut bad = pkg("named", "1.0");
    bad.file_name = Some("named-1.0-x-py3-none-any.whl".into());
    refuse_with_good(
        &bad,
        None,
        &[
            "invalid wheel file name",
            "build tag `x` must start with a digit",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// The .dist-info directory

#[test]
fn no_dist_info_directory() {
    let mut bad = pkg("distless", "1.0");
    bad.dist_info = Some("distless-1.0.info".into());
    refuse_with_good(&bad, None, &["no .dist-info directory"]);
}

#[test]
fn two_dist_info_directories() {
    let bad = pkg("twodist", "1.0").file(
        "other-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: other\nVersion: 1.0\n",
    );
    let stderr = refuse_with_good(
        &bad,
        Some("other-1.0.dist-info"),
        &["more than one .dist-info directory"],
    );
    assert!(stderr.contains("twodist-1.0.dist-info"), "{stderr}");
}

#[test]
fn dist_info_of_another_project() {
    let mut bad = pkg("mine", "1.0");
    bad.dist_info = Some("other-1.0.dist-info".into());
    refuse_with_good(
        &bad,
        Some("other-1.0.dist-info"),
        &["does not match the file name"],
    );
}

#[test]
fn dist_info_of_another_version() {
    let mut bad = pkg("mine", "1.0");
    bad.dist_info = Some("mine-2.0.dist-info".into());
    refuse_with_good(
        &bad,
        Some("mine-2.0.dist-info"),
        &["does not match the file name"],
    );
}

// ---------------------------------------------------------------------------------------------
// METADATA, WHEEL, RECORD present and consistent

#[test]
fn metadata_name_differs_from_file_name() {
    let mut bad = pkg("meta", "1.0");
    bad.metadata = Some("Metadata-Version: 2.1\nName: other\nVersion: 1.0\n".into());
    refuse_with_good(
        &bad,
        Some("meta-1.0.dist-info/METADATA"),
        &["Name `other` does not match"],
    );
}

#[test]
fn metadata_version_differs_from_file_name() {
    let mut bad = pkg("meta", "1.0");
    bad.metadata = Some("Metadata-Version: 2.1\nName: meta\nVersion: 2.0\n".into());
    refuse_with_good(
        &bad,
        Some("meta-1.0.dist-info/METADATA"),
        &["Version `2.0` does not match"],
    );
}

#[test]
fn metadata_missing() {
    let bad = pkg("meta", "1.0").omit_dist_info_file("METADATA");
    refuse_with_good(
        &bad,
        Some("meta-1.0.dist-info/METADATA"),
        &["missing from the wheel"],
    );
}

#[test]
fn wheel_file_missing() {
    let bad = pkg("meta", "1.0").omit_dist_info_file("WHEEL");
    refuse_with_good(
        &bad,
        Some("meta-1.0.dist-info/WHEEL"),
        &["missing from the wheel"],
    );
}

#[test]
fn record_missing() {
    let mut bad = pkg("meta", "1.0");
    bad.no_record = true;
    refuse_with_good(
        &bad,
        Some("meta-1.0.dist-info/RECORD"),
        &["missing from the wheel"],
    );
}

// ---------------------------------------------------------------------------------------------
// The WHEEL file

fn wheel_file(version: &str, purelib: &str) -> String {
    format!("Wheel-Version: {version}\nGenerator: winst-tests\n{purelib}Tag: py3-none-any\n")
}

#[test]
fn wheel_version_2_is_refused() {
    let mut bad = pkg("wv", "1.0");
    bad.wheel_file = Some(wheel_file("2.0", "Root-Is-Purelib: true\n"));
    refuse_with_good(
        &bad,
        Some("wv-1.0.dist-info/WHEEL"),
        &["Wheel-Version 2.0 is not supported"],
    );
}

#[test]
fn wheel_version_1_9_installs_with_a_warning() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let mut b = pkg("wv", "1.0");
    b.wheel_file = Some(wheel_file("1.9", "Root-Is-Purelib: true\n"));
    let whl = b.build(wheels.path());
    let stderr = assert_installs(&venv, &[&whl]);
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning:") && l.contains("Wheel-Version 1.9"))
        .unwrap_or_else(|| panic!("no warning about Wheel-Version 1.9:\n{stderr}"));
    assert!(warning.contains(&file_name(&whl)), "{stderr}");
    assert_eq!(venv.python_out("import wv; print(wv.VERSION)"), "1.0");
}

// ---------------------------------------------------------------------------------------------
// .data

#[test]
fn data_directory_with_unknown_key() {
    let b = pkg("datakey", "1.0");
    let member = format!("{}/etc/datakey.conf", b.data_dir());
    let bad = b.file(&member, "x = 1\n");
    refuse_with_good(&bad, Some(&member), &["`etc` is not a scheme directory"]);
}

// ---------------------------------------------------------------------------------------------
// RECORD

#[test]
fn member_not_listed_in_record() {
    let bad = pkg("rec", "1.0").unrecorded("rec/extra.py", "EXTRA = 1\n");
    refuse_with_good(&bad, Some("rec/extra.py"), &["is not listed in RECORD"]);
}

#[test]
fn record_lists_a_file_missing_from_the_wheel() {
    let bad =
        pkg("rec", "1.0").record_row(&format!("rec/ghost.py,{},10", record_hash(b"GHOST = 1\n")));
    refuse_with_good(
        &bad,
        Some("rec/ghost.py"),
        &["listed in RECORD but missing from the wheel"],
    );
}

/// A wheel whose `rec/bad.py` is listed with the hash of other bytes of the same size, next to
/// bigger files that the write stage writes first.
fn wrong_hash_wheel() -> WheelBuilder {
    let actual = b"X = 1\n";
    let claimed = b"X = 2\n";
    assert_eq!(actual.len(), claimed.len());
    pkg("rec", "1.0")
        .file("rec/big1.bin", vec![1u8; 300_000])
        .file("rec/big2.bin", vec![2u8; 200_000])
        .file("rec/sub/big3.bin", vec![3u8; 100_000])
        .unrecorded("rec/bad.py", actual)
        .record_row(&format!("rec/bad.py,{},6", record_hash(claimed)))
}

#[test]
fn wrong_sha256_is_refused_while_writing_and_rolled_back() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = pkg(GOOD, "1.0")
        .file("good_pkg/big.bin", vec![9u8; 250_000])
        .build(wheels.path());
    let bad = wrong_hash_wheel().build(wheels.path());
    let actual_hex = sha256_hex(b"X = 1\n");
    // Both hashes in RECORD's own form, to compare by eye.
    let says = format!("RECORD says {}", record_hash(b"X = 2\n"));
    let got = format!("the contents hash to {}", record_hash(b"X = 1\n"));

    // Opening and planning accept it (same size, listed with a sha256): the check is the write
    // stage's, and a dry run, which does not write, does not see it.
    let before = venv.snapshot();
    let dry = venv.install(&[&"--dry-run", &good, &bad]);
    assert!(
        dry.status.success(),
        "the dry run refused; the hash check should be the write stage's: {:?}",
        text(&dry)
    );
    assert_same_tree(&before, &venv.snapshot());

    // In parallel, and with one worker, which writes the bigger files (of both wheels, in new
    // directories) to temporaries before it reaches the bad one: everything is rolled back.
    for jobs in [None, Some("1")] {
        let mut args: Vec<&dyn AsRef<OsStr>> = Vec::new();
        if let Some(j) = &jobs {
            args.push(&"--jobs");
            args.push(j);
        }
        args.push(&good);
        args.push(&bad);
        let stderr = assert_refused(
            &venv,
            &args,
            &file_name(&bad),
            Some("rec/bad.py"),
            &["do not match the hash in RECORD", &actual_hex, &says, &got],
        );
        assert!(!good_installed(&venv), "jobs {jobs:?}:\n{stderr}");
        assert!(
            !stderr.contains("skipped"),
            "jobs {jobs:?}: the error is a skipped task, not the failure:\n{stderr}"
        );
    }
}

/// `pkg` with `rec/a.py` (6 bytes) listed in RECORD by `row` instead of a correct row.
fn with_record_row(row: &str) -> WheelBuilder {
    pkg("rec", "1.0")
        .unrecorded("rec/a.py", "A = 1\n")
        .record_row(row)
}

#[test]
fn record_size_differs() {
    let bad = with_record_row(&format!("rec/a.py,{},999", record_hash(b"A = 1\n")));
    refuse_with_good(
        &bad,
        Some("rec/a.py"),
        &["RECORD says 999 bytes but its zip entry declares 6 bytes"],
    );
}

/// pip and uv install a RECORD that lists a file twice (the last row wins); winst refuses it: two
/// rows may give two hashes, and which one the file is checked against would be a guess.
#[test]
fn record_lists_a_file_twice() {
    let a = "A = 1\n";
    let bad = with_record_row(&format!("rec/a.py,{},6", record_hash(a.as_bytes())))
        .record_row(&format!("rec/a.py,{},6", record_hash(b"B = 2\n")));
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["lists `rec/a.py` twice", "--no-verify-record"],
    );
}

#[test]
fn record_row_without_hash() {
    let bad = with_record_row("rec/a.py,,6");
    refuse_with_good(&bad, Some("rec/a.py"), &["has no hash in RECORD"]);
}

#[test]
fn record_row_with_md5_hash() {
    // md5 of the empty string, urlsafe base64: the algorithm is refused whatever the digest.
    let bad = with_record_row("rec/a.py,md5=1B2M2Y8AsgTpgAhHlBjGPA,6");
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["hash algorithm `md5` is not allowed"],
    );
}

#[test]
fn record_row_with_two_fields() {
    let bad = with_record_row(&format!("rec/a.py,{}", record_hash(b"A = 1\n")));
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["expected 3 fields"],
    );
}

#[test]
fn record_row_with_unterminated_quote() {
    let bad = with_record_row(&format!("\"rec/a.py,{},6", record_hash(b"A = 1\n")));
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["an unterminated quoted field", "--no-verify-record"],
    );
}

#[test]
fn record_row_with_bad_size() {
    let bad = with_record_row(&format!("rec/a.py,{},six", record_hash(b"A = 1\n")));
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["rec/a.py: size `six` is not a number"],
    );
}

#[test]
fn record_row_with_bad_base64() {
    let bad = with_record_row("rec/a.py,sha256=not*base64!,6");
    refuse_with_good(
        &bad,
        Some("rec-1.0.dist-info/RECORD"),
        &["rec/a.py: hash `sha256=not*base64!` is not urlsafe base64"],
    );
}

/// The installed RECORD's row for `path`.
fn installed_row(venv: &Venv, dist_info: &str, path: &str) -> Option<String> {
    let record = std::fs::read_to_string(venv.site_packages().join(dist_info).join("RECORD"))
        .unwrap_or_else(|e| panic!("cannot read the installed RECORD of {dist_info}: {e}"));
    record
        .lines()
        .find(|l| l.starts_with(&format!("{path},")))
        .map(str::to_string)
}

#[test]
fn no_verify_record_installs_a_wrong_hash_and_records_the_real_one() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl =
        with_record_row(&format!("rec/a.py,{},6", record_hash(b"A = 2\n"))).build(wheels.path());
    assert_installs(&venv, &[&"--no-verify-record", &whl]);
    let on_disk = std::fs::read(venv.site_packages().join("rec/a.py")).expect("rec/a.py");
    assert_eq!(on_disk, b"A = 1\n");
    assert_eq!(
        installed_row(&venv, "rec-1.0.dist-info", "rec/a.py").as_deref(),
        Some(format!("rec/a.py,{},6", record_hash(b"A = 1\n")).as_str())
    );
}

#[test]
fn no_verify_record_installs_an_unlisted_member_and_records_it() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("rec", "1.0")
        .unrecorded("rec/extra.py", "EXTRA = 1\n")
        .build(wheels.path());
    assert_installs(&venv, &[&"--no-verify-record", &whl]);
    assert_eq!(
        venv.python_out("import rec.extra; print(rec.extra.EXTRA)"),
        "1"
    );
    assert_eq!(
        installed_row(&venv, "rec-1.0.dist-info", "rec/extra.py").as_deref(),
        Some(format!("rec/extra.py,{},10", record_hash(b"EXTRA = 1\n")).as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// A corrupt member

/// Flips bytes in the middle of a member's data in the zip file, found through its local header.
fn corrupt_member(wheel: &Path, member: &str) {
    let mut bytes = std::fs::read(wheel).expect("read the wheel");
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut at = 0;
    loop {
        at += bytes[at..]
            .windows(4)
            .position(|w| w == b"PK\x03\x04")
            .unwrap_or_else(|| panic!("no local header for {member} in {}", wheel.display()));
        let name_len = u16_at(&bytes, at + 26);
        let extra_len = u16_at(&bytes, at + 28);
        if &bytes[at + 30..at + 30 + name_len] == member.as_bytes() {
            let compressed = u32_at(&bytes, at + 18) as usize;
            assert!(
                compressed >= 64,
                "{member}: {compressed} bytes of data in its local header (a data descriptor?)"
            );
            let data = at + 30 + name_len + extra_len;
            for b in &mut bytes[data + compressed / 2..data + compressed / 2 + 8] {
                *b ^= 0x5a;
            }
            std::fs::write(wheel, bytes).expect("write the wheel");
            return;
        }
        at += 4;
    }
}

/// A wheel whose `crc/big.py` has bytes flipped in the middle of its (deflated or stored) data.
fn corrupt_wheel(dir: &Path, stored: bool) -> PathBuf {
    let body: String = (0..3000)
        .map(|i| format!("X{i} = {}\n", i * 7919 % 1013))
        .collect();
    let mut b = pkg("crc", "1.0").file("crc/big.py", body);
    if stored {
        b = b.stored();
    }
    let whl = b.build(dir);
    corrupt_member(&whl, "crc/big.py");
    whl
}

#[track_caller]
fn refuse_corrupt(stored: bool, verify: bool, phrases: &[&str]) {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = pkg(GOOD, "1.0").build(wheels.path());
    let bad = corrupt_wheel(wheels.path(), stored);
    let mut args: Vec<&dyn AsRef<OsStr>> = Vec::new();
    if !verify {
        args.push(&"--no-verify-record");
    }
    args.push(&good);
    args.push(&bad);
    let stderr = assert_refused(&venv, &args, &file_name(&bad), Some("crc/big.py"), &[]);
    assert!(
        phrases.iter().any(|p| stderr.contains(p)),
        "the error does not say the member is corrupt (one of {phrases:?}):\n{stderr}"
    );
    assert!(!good_installed(&venv), "{stderr}");
}

#[test]
fn corrupt_deflated_member_is_refused() {
    refuse_corrupt(false, true, &["cannot be read", "do not match the hash"]);
}

#[test]
fn corrupt_stored_member_is_refused() {
    refuse_corrupt(true, true, &["cannot be read", "do not match the hash"]);
}

#[test]
fn corrupt_members_are_refused_even_without_record_verification() {
    // No RECORD hash to compare: the zip's own checks (CRC, sizes, the deflate stream) must.
    refuse_corrupt(false, false, &["cannot be read"]);
    // A stored member's flipped bytes are found by the CRC-32 alone, and the message says so.
    refuse_corrupt(
        true,
        false,
        &["do not match the CRC-32 the archive records"],
    );
}

// ---------------------------------------------------------------------------------------------
// Member names

/// `bad` (with a good wheel) is refused naming `member`, and nothing appears next to the venv, in
/// the wheel directory, or at `/etc/x`.
#[track_caller]
fn refuse_member(venv: &Venv, bad: &WheelBuilder, member: &str, phrase: &str) {
    let wheels = wheel_dir();
    let good = pkg(GOOD, "1.0").build(wheels.path());
    let bad_path = bad.build(wheels.path());
    let around = snapshot(venv.dir.path());
    let in_wheels = snapshot(wheels.path());
    let etc_x = Path::new("/etc/x").exists();
    let stderr = assert_refused(
        venv,
        &[&good, &bad_path],
        &file_name(&bad_path),
        Some(member),
        &[phrase],
    );
    assert!(!good_installed(venv), "{stderr}");
    assert_same_tree(&around, &snapshot(venv.dir.path()));
    assert_same_tree(&in_wheels, &snapshot(wheels.path()));
    assert_eq!(Path::new("/etc/x").exists(), etc_x, "/etc/x appeared");
}

fn with_member(member: &str) -> WheelBuilder {
    pkg("evil", "1.0").file(member, "print('pwned')\n")
}

#[test]
fn member_with_absolute_path() {
    let venv = Venv::new();
    refuse_member(
        &venv,
        &with_member("/etc/x"),
        "/etc/x",
        "an absolute path is not allowed",
    );
    // An absolute path that would land next to the venv.
    let next_to = format!("{}/evil_abs.py", venv.dir.path().display());
    refuse_member(
        &venv,
        &with_member(&next_to),
        &next_to,
        "an absolute path is not allowed",
    );
}

#[test]
fn member_with_dotdot_component() {
    let venv = Venv::new();
    for member in [
        "../../evil.py",
        "../../../../evil.py",
        "evil/../../../../../evil.py",
    ] {
        refuse_member(
            &venv,
            &with_member(member),
            member,
            "a `..` path component is not allowed",
        );
    }
    // Through a .data directory: scripts go to env/bin, two levels below the venv's parent.
    let b = pkg("evil", "1.0");
    let member = format!("{}/scripts/../../evil", b.data_dir());
    refuse_member(
        &venv,
        &b.file(&member, "#!/bin/sh\n"),
        &member,
        "a `..` path component is not allowed",
    );
}

/// pip installs `pkg/./y.py` and `pkg//z.py` (its path joins normalize them); winst refuses names
/// that are not in their one normal form: two spellings of one path are how a zip hides a member
/// from a check that compares names.
#[test]
fn member_with_dot_or_empty_component() {
    let venv = Venv::new();
    for (member, rule) in [
        ("evil/./y.py", "a `.` path component is not allowed"),
        (
            "evil//z.py",
            "an empty path component (`//`) is not allowed",
        ),
    ] {
        refuse_member(&venv, &with_member(member), member, rule);
    }
}

#[test]
fn member_with_backslash() {
    let venv = Venv::new();
    for member in ["evil\\evil.py", "..\\..\\..\\..\\evil.py"] {
        refuse_member(&venv, &with_member(member), member, "backslash");
    }
}

#[test]
fn member_with_control_character() {
    let venv = Venv::new();
    for member in [
        "evil/nul\0name.py",
        "evil/new\nline.py",
        "evil/\x1b[31mred.py",
    ] {
        refuse_member(&venv, &with_member(member), member, "control character");
    }
}

#[test]
fn control_characters_in_member_names_are_escaped_in_the_error() {
    // The name is refused because it is hostile; echoing it verbatim lets a wheel forge or hide
    // terminal output (an escape sequence, or a newline starting a fake line).
    let venv = Venv::new();
    let wheels = wheel_dir();
    for member in [
        "evil/nul\0name.py",
        "evil/new\nerror: fake.py",
        "evil/\x1b[2K\rred.py",
    ] {
        let whl = with_member(member).build(wheels.path());
        let stderr = assert_refused(
            &venv,
            &[&whl],
            &file_name(&whl),
            None,
            &["control character"],
        );
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "a control character of `{}` reached stderr verbatim:\n{}",
            member.escape_default(),
            stderr.escape_default()
        );
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors.len(),
            1,
            "`{}` split the error or forged a line:\n{stderr}",
            member.escape_default()
        );
        assert!(
            errors[0].contains(&file_name(&whl)) && errors[0].contains("control character"),
            "{stderr}"
        );
    }
}

#[test]
fn symlink_member() {
    let venv = Venv::new();
    let bad = pkg("evil", "1.0").symlink("evil/passwd", "/etc/passwd");
    refuse_member(&venv, &bad, "evil/passwd", "symbolic links are not allowed");
    let escape = format!("{}/escape", venv.dir.path().display());
    let bad = pkg("evil", "1.0").symlink("evil/escape", &escape);
    refuse_member(&venv, &bad, "evil/escape", "symbolic links are not allowed");
}

// ---------------------------------------------------------------------------------------------
// Entry points

#[track_caller]
fn refuse_entry_points(text: &str, phrases: &[&str]) {
    let bad = pkg("eps", "1.0").entry_points(text);
    refuse_with_good(&bad, Some("eps-1.0.dist-info/entry_points.txt"), phrases);
}

#[test]
fn script_name_with_dotdot() {
    refuse_entry_points(
        "[console_scripts]\n../../evil = eps:main\n",
        &["script name `../../evil`"],
    );
}

#[test]
fn script_name_with_slash() {
    refuse_entry_points(
        "[console_scripts]\na/b = eps:main\n",
        &["script name `a/b`"],
    );
    refuse_entry_points("[gui_scripts]\na/b = eps:main\n", &["script name `a/b`"]);
}

#[test]
fn object_reference_that_is_code() {
    refuse_entry_points(
        "[console_scripts]\nx = os:system('x')\n",
        &["os:system(", "is not a dotted Python identifier"],
    );
}

#[test]
fn object_reference_without_attribute() {
    refuse_entry_points(
        "[console_scripts]\nx = mod\n",
        &["`mod` must be `module:attribute`"],
    );
}

// ---------------------------------------------------------------------------------------------
// Tags (the machine: CPython 3.11, glibc 2.36, x86_64)

#[track_caller]
fn refuse_tag(tag: &str, is_for: &str) {
    let bad = pkg("tagged", "1.0").tag(tag).platlib();
    refuse_with_good(
        &bad,
        None,
        &[
            &format!("this wheel is for {is_for}; "),
            &format!("the target is CPython {}.", py_version()),
        ],
    );
}

#[test]
fn wheel_for_another_python() {
    refuse_tag("cp312-cp312-manylinux_2_17_x86_64", "CPython 3.12 (cp312)");
}

#[test]
fn wheel_for_windows() {
    refuse_tag("cp311-cp311-win_amd64", "Windows (win_amd64)");
}

#[test]
fn wheel_for_musl() {
    refuse_tag(
        "cp311-cp311-musllinux_1_2_x86_64",
        "Linux with musl 1.2 or newer on x86_64 (musllinux_1_2_x86_64)",
    );
}

#[test]
fn wheel_for_python_2() {
    refuse_tag("py2-none-any", "Python 2 (py2)");
}

#[test]
fn compatible_tags_are_accepted() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let a = pkg("abi-new", "1.0")
        .tag("cp311-abi3-manylinux_2_17_x86_64")
        .platlib()
        .build(wheels.path());
    let b = pkg("abi-old", "1.0")
        .tag("cp38-abi3-manylinux_2_17_x86_64")
        .platlib()
        .build(wheels.path());
    let c = pkg("both-py", "1.0")
        .tag("py2.py3-none-any")
        .build(wheels.path());
    assert_installs(&venv, &[&a, &b, &c]);
    assert_eq!(
        venv.python_out("import abi_new, abi_old, both_py; print('ok')"),
        "ok"
    );
}

// ---------------------------------------------------------------------------------------------
// Conflicts

/// A plan-stage refusal: also refused by a dry run, which plans and writes nothing.
#[track_caller]
fn refused_by_planning_too(
    venv: &Venv,
    args: &[&dyn AsRef<OsStr>],
    wheel: &str,
    member: Option<&str>,
    phrases: &[&str],
) -> String {
    let mut dry: Vec<&dyn AsRef<OsStr>> = vec![&"--dry-run"];
    dry.extend_from_slice(args);
    assert_refused(venv, &dry, wheel, member, phrases);
    assert_refused(venv, args, wheel, member, phrases)
}

#[test]
fn two_wheels_writing_one_path_with_different_bytes() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let a = WheelBuilder::new("clash-a", "1.0")
        .file("shared/mod.py", "WHO = 'a'\n")
        .build(wheels.path());
    let b = WheelBuilder::new("clash-b", "1.0")
        .file("shared/mod.py", "WHO = 'b'\n")
        .build(wheels.path());
    let stderr = refused_by_planning_too(
        &venv,
        &[&a, &b],
        &file_name(&b),
        Some("shared/mod.py"),
        &["different contents"],
    );
    assert!(stderr.contains(&file_name(&a)), "{stderr}");
}

#[test]
fn one_wheel_writing_one_destination_twice() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let b = pkg("dup", "1.0");
    let data_member = format!("{}/purelib/dup/a.py", b.data_dir());
    let whl = b
        .file("dup/a.py", "A = 'root'\n")
        .file(&data_member, "A = 'data'\n")
        .build(wheels.path());
    let stderr = refused_by_planning_too(
        &venv,
        &[&whl],
        &file_name(&whl),
        Some(&data_member),
        &["also writes"],
    );
    assert!(stderr.contains("dup/a.py"), "{stderr}");
}

#[test]
fn a_file_where_another_wheel_needs_a_directory() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let filer = WheelBuilder::new("filer", "1.0")
        .file("thing", "not a directory\n")
        .build(wheels.path());
    let dirrer = WheelBuilder::new("dirrer", "1.0")
        .file("thing/x.py", "X = 1\n")
        .build(wheels.path());
    refused_by_planning_too(
        &venv,
        &[&filer, &dirrer],
        &file_name(&filer),
        Some("thing"),
        &["needs a directory"],
    );
    refused_by_planning_too(
        &venv,
        &[&dirrer, &filer],
        &file_name(&filer),
        Some("thing"),
        &["needs a directory"],
    );
}

#[test]
fn overwriting_a_file_of_another_installed_project() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let alpha = WheelBuilder::new("alpha", "1.0")
        .file("shared/mod.py", "WHO = 'alpha'\n")
        .build(wheels.path());
    let beta = WheelBuilder::new("beta", "1.0")
        .file("shared/mod.py", "WHO = 'beta'\n")
        .file("beta_only.py", "B = 1\n")
        .build(wheels.path());
    assert_installs(&venv, &[&alpha]);
    refused_by_planning_too(
        &venv,
        &[&beta],
        &file_name(&beta),
        Some("shared/mod.py"),
        &["alpha==1.0", "--allow-overwrite"],
    );
    assert_installs(&venv, &[&"--allow-overwrite", &beta]);
    assert_eq!(
        std::fs::read_to_string(venv.site_packages().join("shared/mod.py")).expect("mod.py"),
        "WHO = 'beta'\n"
    );
    assert_eq!(
        venv.python_out("import shared.mod, beta_only; print(shared.mod.WHO)"),
        "beta"
    );
}

#[test]
fn one_project_given_twice() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let one = pkg("twice", "1.0").build(wheels.path());
    let two = pkg("twice", "2.0").build(wheels.path());
    let stderr = refused_by_planning_too(&venv, &[&one, &two], &file_name(&two), None, &["twice"]);
    assert!(stderr.contains(&file_name(&one)), "{stderr}");
    assert!(stderr.contains("is given twice"), "{stderr}");
}

#[test]
fn launcher_colliding_with_a_data_script_of_another_wheel() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let launcher = pkg("launch-a", "1.0")
        .entry_points("[console_scripts]\ntool = launch_a:main\n")
        .build(wheels.path());
    let b = pkg("launch-b", "1.0");
    let script = format!("{}/scripts/tool", b.data_dir());
    let scripted = b
        .file(&script, "#!/bin/sh\necho launch-b\n")
        .build(wheels.path());
    for order in [[&launcher, &scripted], [&scripted, &launcher]] {
        let (first, second) = (order[0], order[1]);
        let stderr = refused_by_planning_too(
            &venv,
            &[first, second],
            &file_name(second),
            None,
            &["bin/tool", "different contents"],
        );
        assert!(stderr.contains(&file_name(first)), "{stderr}");
        assert!(shows(&stderr, &script), "{stderr}");
        assert!(stderr.contains("entry point `tool`"), "{stderr}");
    }
}
