//! The **record** stage: the dist-info files that say a project is installed and by whom.
//!
//! After every file is written (and so hashed), each project gets its installed `RECORD` (every
//! file with its sha256 and size, generated ones included, paths relative to its purelib/platlib
//! root as pip writes them), `INSTALLER`, `REQUESTED`, and a PEP 610 `direct_url.json` naming the
//! wheel it came from. They are staged like every other file and renamed into place at commit,
//! RECORD last. Not here: the RECORD format itself ([`winst_wheel::record`]).

use anyhow::Result;
use rayon::prelude::*;
use serde_json::json;

use crate::plan::WheelPlan;
use crate::write::{GeneratedFile, Staged, StagedFile, Written};
pub use winst_wheel::record::{Hasher, RecordHash, format_row, format_sha256};
use winst_wheel::record::{RowHash, push_row};
use winst_wheel::{OpenedWheel, dist_info};

/// What winst writes into `INSTALLER`.
pub const INSTALLER: &str = "winst";

/// A `file://` URL for an absolute path, percent-encoding what a URL path cannot hold.
pub(crate) fn file_url(path: &std::path::Path) -> String {
    let mut url = String::from("file://");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                url.push(*b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// A file added to a project's dist-info after the write stage (by a post-install plugin).
pub struct StagedExtra {
    pub wheel: usize,
    /// Path relative to the wheel's lib root, as RECORD lists it.
    pub rel: String,
    pub written: crate::write::Written,
}

/// The PEP 610 `direct_url.json` of an editable install (PEP 660) of the project in `project`
/// (an absolute directory): `{"dir_info": {"editable": true}, "url": "file:///…"}`, what pip
/// writes for `pip install -e DIR` and what `pip list --editable` reads.
pub fn editable_direct_url(project: &std::path::Path) -> String {
    json!({"dir_info": {"editable": true}, "url": file_url(project)}).to_string()
}

/// The default `direct_url.json` of a wheel installed from a local file (PEP 610 archive_info).
pub fn archive_direct_url(wheel_path: &std::path::Path, sha256: &[u8; 32]) -> String {
    let hex = hex::encode(sha256);
    json!({
        "archive_info": {"hash": format!("sha256={hex}"), "hashes": {"sha256": hex}},
        "url": file_url(wheel_path),
    })
    .to_string()
}

/// Stages each wheel's dist-info bookkeeping files, RECORD last. `direct_urls` overrides the
/// default `direct_url.json` per wheel (editable installs); `extras` are files post-install
/// plugins added, already staged, to be listed in RECORD. Each wheel's files are made in
/// parallel, then staged together.
pub fn write_files(
    wheels: &[OpenedWheel],
    staged: &mut Staged,
    direct_urls: &[Option<String>],
    extras: &[StagedExtra],
) -> Result<()> {
    let started = std::time::Instant::now();
    // Each wheel's files, found in one pass over the files (not one pass per wheel).
    let mut per_wheel: Vec<Vec<usize>> = vec![Vec::new(); staged.wheels.len()];
    let all = staged.files();
    for (i, f) in all.iter().enumerate() {
        if let Some(list) = per_wheel.get_mut(f.op.wheel) {
            list.push(i);
        }
    }
    let (plans, hashes) = (&staged.wheels, &staged.wheel_hashes);
    let generated: Vec<GeneratedFile> = per_wheel
        .par_iter()
        .enumerate()
        .flat_map_iter(|(w, files)| {
            let url = match direct_urls.get(w) {
                Some(Some(url)) => url.clone(),
                _ => archive_direct_url(&wheels[w].path, &hashes[w]),
            };
            let own_extras = extras.iter().filter(move |e| e.wheel == w);
            let files = files.iter().map(move |&i| all.get(i));
            wheel_files(&plans[w], files, own_extras, url)
        })
        .collect();
    let made = started.elapsed();
    staged.stage_all(&generated)?;
    log::debug!(
        "record: files made {made:.1?}, staged {:.1?}",
        started.elapsed() - made
    );
    Ok(())
}

/// One wheel's INSTALLER, REQUESTED (if requested), `direct_url.json` and RECORD (rows sorted,
/// RECORD's own row last, without hash or size).
fn wheel_files<'a>(
    wp: &WheelPlan,
    files: impl Iterator<Item = StagedFile<'a>>,
    extras: impl Iterator<Item = &'a StagedExtra>,
    direct_url: String,
) -> Vec<GeneratedFile> {
    // Every row goes into one buffer and is sorted as a range of it: one allocation per wheel,
    // not several per file (a big install writes a row for each of its 100,000 files).
    let mut text = String::new();
    let mut rows: Vec<std::ops::Range<usize>> = Vec::new();
    let mut row = |rel: &str, written: &Written| {
        let start = text.len();
        let hash = RowHash::Sha256(&written.sha256);
        push_row(&mut text, rel, Some(hash), Some(written.size));
        rows.push(start..text.len());
    };
    for f in files {
        row(&f.record_path(), f.written);
    }
    for e in extras {
        row(&e.rel, &e.written);
    }
    let mut out = Vec::with_capacity(4);
    let mut add = |name: &str, bytes: Vec<u8>, last: bool| {
        let rel = format!("{}/{name}", wp.dist_info);
        out.push(GeneratedFile {
            root: wp.lib_root,
            rel,
            bytes,
            last,
        });
    };
    add(
        dist_info::INSTALLER,
        format!("{INSTALLER}\n").into_bytes(),
        false,
    );
    if wp.requested {
        add(dist_info::REQUESTED, Vec::new(), false);
    }
    add(dist_info::DIRECT_URL, direct_url.into_bytes(), false);
    for f in &out {
        row(&f.rel, &Written::of(&f.bytes));
    }
    rows.sort_unstable_by(|a, b| text[a.clone()].cmp(&text[b.clone()]));
    let record_rel = format!("{}/RECORD", wp.dist_info);
    let mut record = String::with_capacity(text.len() + record_rel.len() + 8);
    for r in rows {
        record.push_str(&text[r]);
    }
    push_row(&mut record, &record_rel, None, None);
    out.push(GeneratedFile {
        root: wp.lib_root,
        rel: record_rel,
        bytes: record.into_bytes(),
        last: true,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_escaped() {
        assert_eq!(
            file_url(std::path::Path::new("/tmp/a b/x+y.whl")),
            "file:///tmp/a%20b/x%2By.whl"
        );
    }
}
