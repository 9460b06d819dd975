//! A whole wheel built from a structured description: mostly well-formed zips whose members,
//! `WHEEL`, `METADATA`, `entry_points.txt` and `RECORD` vary, so the checks after the container
//! (dist-info discovery, name/version matching, `.data` keys, RECORD against the archive, limits)
//! and planning get exercised, which raw bytes rarely reach. Then the same `wheel::open` and
//! `plan::plan` as `wheel_open`.
#![no_main]

use std::io::{Cursor, Write as _};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use winst_wheel::DATA_KEYS;
use winst_wheel::record::{Algorithm, Hasher, format_row, format_sha256};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

const NAMES: [&str; 5] = ["demo", "Demo_Pkg", "zope.interface", "a", "x-y.z"];
const VERSIONS: [&str; 5] = ["1.0", "2.0.post1", "V1.0", "1.0_rc1", "0!1+local.7"];

#[derive(Arbitrary, Debug)]
enum Text {
    /// One of the fixed choices, by index.
    Pick(u8),
    Raw(String),
}

impl Text {
    fn get(&self, choices: &[&str]) -> String {
        match self {
            Text::Pick(i) => choices[usize::from(*i) % choices.len()].to_string(),
            Text::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Where {
    /// At the root of the archive (the lib directory).
    Root,
    /// In the dist-info directory.
    DistInfo,
    /// In `.data/<key>/`, key by index into DATA_KEYS (or past it: an unknown key).
    Data(u8),
    /// Exactly the given name, nothing prepended.
    Raw,
}

#[derive(Arbitrary, Debug)]
struct MemberSpec {
    place: Where,
    name: String,
    contents: Vec<u8>,
    dir: bool,
    executable: bool,
    deflate: bool,
}

#[derive(Arbitrary, Debug)]
enum RecordEdit {
    Drop(u8),
    NoHash(u8),
    WrongSize(u8),
    NoSize(u8),
    Duplicate(u8),
    Sha512(u8),
    Extra(String),
    Quote(u8),
}

#[derive(Arbitrary, Debug)]
enum Script {
    Console(String, String),
    Gui(String, String),
    Other(String, String, String),
}

#[derive(Arbitrary, Debug)]
struct Spec {
    name: Text,
    version: Text,
    /// METADATA's Name and Version, when they should differ from the file name's.
    meta_name: Option<Text>,
    meta_version: Option<Text>,
    dist_info_name: Option<String>,
    build: Option<u8>,
    /// Escape the name in the file name (as wheel builders do: `zope.interface` → `zope_interface`).
    escape_file_name: bool,
    tags: Option<String>,
    wheel_version: Option<String>,
    purelib: Option<bool>,
    raw_wheel: Option<String>,
    raw_metadata: Option<String>,
    scripts: Vec<Script>,
    raw_entry_points: Option<String>,
    members: Vec<MemberSpec>,
    record_edits: Vec<RecordEdit>,
    raw_record: Option<String>,
    omit_record: bool,
}

fn sha256(bytes: &[u8]) -> String {
    let mut h = Hasher::new(Algorithm::Sha256);
    h.update(bytes);
    format_sha256(&h.finish())
}

fn sha512(bytes: &[u8]) -> String {
    use winst_wheel::record::{RecordHash, format_hash};
    let mut h = Hasher::new(Algorithm::Sha512);
    h.update(bytes);
    format_hash(&RecordHash {
        algorithm: Algorithm::Sha512,
        digest: h.finish(),
    })
}

/// The zip, or `None` when the zip writer refuses the description (say, a duplicate name).
fn build(spec: &Spec) -> Option<(String, Vec<u8>)> {
    let name = spec.name.get(&NAMES);
    let version = spec.version.get(&VERSIONS);
    let tags = spec.tags.clone().unwrap_or_else(|| "py3-none-any".into());
    let file_stem = if spec.escape_file_name {
        winst_wheel::name::escape(&name)
    } else {
        name.clone()
    };
    let file_name = match spec.build {
        Some(b) => format!("{file_stem}-{version}-{b}-{tags}.whl"),
        None => format!("{file_stem}-{version}-{tags}.whl"),
    };
    let dist_info = spec
        .dist_info_name
        .clone()
        .unwrap_or_else(|| format!("{}-{version}.dist-info", winst_wheel::name::escape(&name)));
    let data_dir = format!(
        "{}.data",
        dist_info.strip_suffix(".dist-info").unwrap_or(&dist_info)
    );

    // Members: (name, contents, dir, executable, deflate).
    let mut files: Vec<(String, Vec<u8>, bool, bool, bool)> = Vec::new();
    for m in spec.members.iter().take(64) {
        let full = match &m.place {
            Where::Root => m.name.clone(),
            Where::DistInfo => format!("{dist_info}/{}", m.name),
            Where::Data(k) => {
                let key = DATA_KEYS.get(usize::from(*k)).copied().unwrap_or("unknown");
                format!("{data_dir}/{key}/{}", m.name)
            }
            Where::Raw => m.name.clone(),
        };
        let full = if m.dir && !full.ends_with('/') {
            format!("{full}/")
        } else {
            full
        };
        files.push((full, m.contents.clone(), m.dir, m.executable, m.deflate));
    }

    let wheel = spec.raw_wheel.clone().unwrap_or_else(|| {
        format!(
            "Wheel-Version: {}\nGenerator: winst-fuzz\nRoot-Is-Purelib: {}\nTag: {tags}\n",
            spec.wheel_version.as_deref().unwrap_or("1.0"),
            spec.purelib.unwrap_or(true)
        )
    });
    let metadata = spec.raw_metadata.clone().unwrap_or_else(|| {
        format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n\nA description.\n",
            spec.meta_name
                .as_ref()
                .map_or(name.clone(), |t| t.get(&NAMES)),
            spec.meta_version
                .as_ref()
                .map_or(version.clone(), |t| t.get(&VERSIONS)),
        )
    });
    let entry_points = spec.raw_entry_points.clone().or_else(|| {
        (!spec.scripts.is_empty()).then(|| {
            let mut out = String::new();
            for s in spec.scripts.iter().take(16) {
                let (section, n, v) = match s {
                    Script::Console(n, v) => ("console_scripts", n.as_str(), v.as_str()),
                    Script::Gui(n, v) => ("gui_scripts", n.as_str(), v.as_str()),
                    Script::Other(g, n, v) => (g.as_str(), n.as_str(), v.as_str()),
                };
                out.push_str(&format!("[{section}]\n{n} = {v}\n"));
            }
            out
        })
    });
    files.push((
        format!("{dist_info}/WHEEL"),
        wheel.into_bytes(),
        false,
        false,
        true,
    ));
    files.push((
        format!("{dist_info}/METADATA"),
        metadata.into_bytes(),
        false,
        false,
        true,
    ));
    if let Some(ep) = entry_points {
        files.push((
            format!("{dist_info}/entry_points.txt"),
            ep.into_bytes(),
            false,
            false,
            false,
        ));
    }

    // RECORD: correct rows for every file, then the edits.
    let record_name = format!("{dist_info}/RECORD");
    let record = spec.raw_record.clone().unwrap_or_else(|| {
        // (path, hash, size, quote the path even when CSV does not need it)
        let mut rows: Vec<(String, Option<String>, Option<u64>, bool)> = files
            .iter()
            .filter(|f| !f.2)
            .map(|(n, c, ..)| (n.clone(), Some(sha256(c)), Some(c.len() as u64), false))
            .collect();
        let contents: Vec<Vec<u8>> = files.iter().filter(|f| !f.2).map(|f| f.1.clone()).collect();
        for edit in spec.record_edits.iter().take(8) {
            let pick = |i: &u8| (!rows.is_empty()).then(|| usize::from(*i) % rows.len());
            match edit {
                RecordEdit::Drop(i) => {
                    if let Some(i) = pick(i) {
                        rows.remove(i);
                    }
                }
                RecordEdit::NoHash(i) => {
                    if let Some(i) = pick(i) {
                        rows[i].1 = None;
                    }
                }
                RecordEdit::WrongSize(i) => {
                    if let Some(i) = pick(i) {
                        rows[i].2 = Some(rows[i].2.unwrap_or(0).wrapping_add(1));
                    }
                }
                RecordEdit::NoSize(i) => {
                    if let Some(i) = pick(i) {
                        rows[i].2 = None;
                    }
                }
                RecordEdit::Sha512(i) => {
                    // Only rows still in file order have their file's contents at the same index.
                    if let Some(i) = pick(i)
                        && let Some(c) = contents.get(i)
                        && rows[i].0
                            == files
                                .iter()
                                .filter(|f| !f.2)
                                .nth(i)
                                .map_or("", |f| f.0.as_str())
                    {
                        rows[i].1 = Some(sha512(c));
                    }
                }
                RecordEdit::Quote(i) => {
                    if let Some(i) = pick(i) {
                        rows[i].3 = true;
                    }
                }
                RecordEdit::Duplicate(i) => {
                    if let Some(i) = pick(i) {
                        let r = rows[i].clone();
                        rows.push(r);
                    }
                }
                RecordEdit::Extra(p) => rows.push((p.clone(), Some(sha256(b"")), Some(0), false)),
            }
        }
        let mut out: String = rows
            .iter()
            .map(|(p, h, s, quote)| {
                if *quote {
                    format!(
                        "\"{}\",{},{}\n",
                        p.replace('"', "\"\""),
                        h.as_deref().unwrap_or(""),
                        s.map(|s| s.to_string()).unwrap_or_default()
                    )
                } else {
                    format_row(p, h.as_deref(), *s)
                }
            })
            .collect();
        out.push_str(&format!("{record_name},,\n"));
        out
    });
    if !spec.omit_record {
        files.push((record_name, record.into_bytes(), false, false, true));
    }

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (n, contents, dir, executable, deflate) in files {
        let options = SimpleFileOptions::default()
            .compression_method(if deflate {
                CompressionMethod::Deflated
            } else {
                CompressionMethod::Stored
            })
            .unix_permissions(if executable { 0o755 } else { 0o644 });
        if dir {
            zip.add_directory(n, options).ok()?;
        } else {
            zip.start_file(n, options).ok()?;
            zip.write_all(&contents).ok()?;
        }
    }
    Some((file_name, zip.finish().ok()?.into_inner()))
}

fuzz_target!(|spec: Spec| {
    let Some((file_name, bytes)) = build(&spec) else {
        return;
    };
    winst_fuzz::with_wheel_file(&file_name, &bytes, winst_fuzz::open_and_plan);
});
