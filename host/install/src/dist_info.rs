//! The **record** stage: the dist-info files that say a project is installed and by whom.
//!
//! After every file is written (and so hashed), each project gets its installed `RECORD` (every
//! file with its sha256 and size, generated ones included, paths relative to its purelib/platlib
//! root as pip writes them), `INSTALLER`, `REQUESTED`, and a PEP 610 `direct_url.json` naming the
//! wheel it came from. They are staged like every other file and renamed into place at commit,
//! RECORD last. Not here: the RECORD format itself ([`winst_wheel::record`]).

use anyhow::Result;
use serde_json::json;

use crate::write::{Staged, record_hash};
pub use winst_wheel::record::{Hasher, RecordHash, format_row, format_sha256};
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

/// The default `direct_url.json` of a wheel installed from a local file (PEP 610 archive_info).
/// The PEP 610 `direct_url.json` of an editable install (PEP 660) of the project in `project`
/// (an absolute directory): `{"dir_info": {"editable": true}, "url": "file:///…"}`, what pip
/// writes for `pip install -e DIR` and what `pip list --editable` reads.
pub fn editable_direct_url(project: &std::path::Path) -> String {
    json!({"dir_info": {"editable": true}, "url": file_url(project)}).to_string()
}

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
/// plugins added, already staged, to be listed in RECORD.
pub fn write_files(
    wheels: &[OpenedWheel],
    staged: &mut Staged,
    direct_urls: &[Option<String>],
    extras: &[StagedExtra],
) -> Result<()> {
    // Each wheel's rows, found in one pass over the files (not one pass per wheel).
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); staged.wheels.len()];
    for f in &staged.files {
        if let Some(list) = rows.get_mut(f.op.wheel) {
            list.push(format_row(
                &f.op.record_path,
                Some(&record_hash(&f.written)),
                Some(f.written.size),
            ));
        }
    }
    for e in extras {
        if let Some(list) = rows.get_mut(e.wheel) {
            list.push(format_row(
                &e.rel,
                Some(&record_hash(&e.written)),
                Some(e.written.size),
            ));
        }
    }
    for (w, mut rows) in rows.into_iter().enumerate() {
        let wp = &staged.wheels[w];
        let (lib_root, dist_info_dir, requested) =
            (wp.lib_root, wp.dist_info.clone(), wp.requested);
        let mut add = |staged: &mut Staged, name: &str, bytes: &[u8]| -> Result<()> {
            let rel = format!("{dist_info_dir}/{name}");
            let written = staged.stage_bytes(lib_root, &rel, bytes, false)?;
            rows.push(format_row(
                &rel,
                Some(&record_hash(&written)),
                Some(written.size),
            ));
            Ok(())
        };
        add(
            staged,
            dist_info::INSTALLER,
            format!("{INSTALLER}\n").as_bytes(),
        )?;
        if requested {
            add(staged, dist_info::REQUESTED, b"")?;
        }
        let direct_url = match direct_urls.get(w) {
            Some(Some(url)) => url.clone(),
            _ => archive_direct_url(&wheels[w].path, &staged.wheel_hashes[w]),
        };
        add(staged, dist_info::DIRECT_URL, direct_url.as_bytes())?;
        rows.sort();
        let record_rel = format!("{dist_info_dir}/RECORD");
        rows.push(format_row(&record_rel, None, None));
        staged.stage_bytes(lib_root, &record_rel, rows.concat().as_bytes(), true)?;
    }
    Ok(())
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
