//! winst's wheel layer and the **open** stage: turn a `.whl` path into an [`OpenedWheel`],
//! everything parsed and checked that can be without writing anything.
//!
//! Checks the file name ([`filename`]), the zip container ([`container`], [`archive`]), finds
//! exactly one `.dist-info` that matches it, parses `WHEEL` and `METADATA` ([`metadata`]),
//! `RECORD` ([`record`]) and `entry_points.txt` ([`entry_points`]), applies the untrusted-mode
//! bounds ([`limits`]), and checks that RECORD and the archive list the same files (hashes are
//! verified later, while writing). Errors name the wheel, the member and the rule ([`error`]).
//!
//! Not here: where files go (the planner of `winst-install`), the target environment
//! (`winst-python`), or writing anything. This crate is what the fuzz targets exercise.

pub mod archive;
mod buffers;
pub mod container;
pub mod dist_info;
pub mod entry_points;
pub mod error;
pub mod filename;
pub mod limits;
pub mod metadata;
pub mod name;
pub mod record;

use foldhash::{HashMap, HashMapExt as _};
use std::path::{Path, PathBuf};

use crate::error::WheelError;
use crate::record::RecordHash;
pub use archive::{Archive, Member};
pub use entry_points::{EntryPoint, ScriptKind};
pub use filename::WheelFilename;
pub use metadata::{CoreMetadata, WheelInfo};
pub use record::RecordRow;

/// The `.data` subdirectories a wheel may use, by scheme key.
pub const DATA_KEYS: [&str; 5] = ["purelib", "platlib", "headers", "scripts", "data"];

/// Bounds on the metadata files read into memory.
const MAX_WHEEL_FILE: u64 = 64 << 10;
const MAX_METADATA_FILE: u64 = 32 << 20;
const MAX_RECORD_FILE: u64 = 64 << 20;
const MAX_ENTRY_POINTS_FILE: u64 = 4 << 20;

/// How strictly to open wheels.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Check that RECORD lists every member with a hash (and later, that the hashes match).
    pub verify_record: bool,
    /// Untrusted mode's limits and stricter rules, when it is on.
    pub limits: Option<limits::UntrustedLimits>,
}

/// A wheel with its metadata parsed and its member list checked.
pub struct OpenedWheel {
    /// Absolute path of the wheel file.
    pub path: PathBuf,
    /// The file name, used in every message about this wheel.
    pub file_name: String,
    pub filename: WheelFilename,
    pub archive: Archive,
    /// `{name}-{version}.dist-info`
    pub dist_info: String,
    /// `{name}-{version}.data`
    pub data_dir: String,
    pub wheel_info: WheelInfo,
    pub metadata: CoreMetadata,
    /// Each member's RECORD hash, by member index (`archive.members[i]`): `None` for directories
    /// and RECORD's own row and signatures; empty when verification is off. RECORD rows are
    /// matched to members once, at open, and not kept by path.
    pub record: Vec<Option<RecordHash>>,
    pub entry_points: Vec<EntryPoint>,
    /// Things worth telling the user that do not stop the install.
    pub warnings: Vec<String>,
}

impl OpenedWheel {
    /// The project name as METADATA spells it.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn version(&self) -> &str {
        &self.metadata.version
    }

    /// PEP 503 normalized project name.
    pub fn normalized_name(&self) -> String {
        name::normalize(&self.metadata.name)
    }

    /// The RECORD hash of member `index`: `None` when verification is off, for directories, and
    /// for RECORD's own row and signatures.
    pub fn record_hash(&self, index: usize) -> Option<&RecordHash> {
        self.record.get(index)?.as_ref()
    }

    fn member_err(&self, member: &str, rule: impl Into<String>) -> WheelError {
        WheelError::member(&self.file_name, member, rule)
    }
}

/// Opens and checks one wheel.
pub fn open(path: &Path, options: OpenOptions) -> Result<OpenedWheel, WheelError> {
    let (file_name, filename) = parse_file_name(path)?;
    let archive = Archive::open(path).map_err(|(member, rule)| WheelError {
        wheel: file_name.clone(),
        member,
        rule,
    })?;
    let metadata_limit = options.limits.map_or(u64::MAX, |l| l.max_metadata_size);
    let read_text = |archive: &Archive, member: &str, limit: u64| {
        let Some(m) = archive.members.iter().find(|m| m.name == member) else {
            return Ok(None);
        };
        let bytes = archive
            .read_small(m.index, limit.min(metadata_limit))
            .map_err(|rule| WheelError::member(&file_name, member, rule))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| WheelError::member(&file_name, member, "is not valid UTF-8"))
    };
    let parts = Parts {
        path,
        file_name: &file_name,
        filename,
        archive,
    };
    check_and_parse(parts, options, &read_text, None)
}

/// What the wheel cache keeps of an opened wheel so that a later install need not read the
/// archive: the member list and the dist-info files [`open`] parses, as read from the archive.
/// [`open_listed`] runs every check of [`open`] on them again.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    /// Size of the wheel file in bytes.
    pub file_size: u64,
    pub members: Vec<Member>,
    /// `{dist-info}/WHEEL`, `METADATA`, `RECORD` and `entry_points.txt` (absent: `None`),
    /// by file name inside the dist-info directory. `RECORD` is left out when `record` holds it
    /// already checked.
    pub dist_info_files: Vec<(String, String)>,
    /// RECORD as [`open`] checked it with RECORD verification on, one entry per member in
    /// order ([`OpenedWheel::record`]); `None` when the wheel was opened without verifying
    /// RECORD. [`open_listed`] takes it instead of parsing and checking RECORD's text again.
    pub record: Option<Vec<Option<RecordHash>>>,
}

/// The dist-info files a [`Listing`] keeps.
const LISTED_FILES: [&str; 4] = ["WHEEL", "METADATA", "RECORD", "entry_points.txt"];

impl OpenedWheel {
    /// This wheel's [`Listing`], reading its dist-info files from the archive again.
    pub fn listing(&self) -> Result<Listing, WheelError> {
        let mut dist_info_files = Vec::new();
        // Checked already (one entry per member) when the wheel was opened with verification.
        let record = (self.record.len() == self.archive.members.len()).then(|| self.record.clone());
        for file in LISTED_FILES {
            if file == "RECORD" && record.is_some() {
                continue;
            }
            let member = format!("{}/{file}", self.dist_info);
            let Some(m) = self.archive.members.iter().find(|m| m.name == member) else {
                continue;
            };
            let bytes = self
                .archive
                .read_small(m.index, MAX_METADATA_FILE.max(MAX_RECORD_FILE))
                .map_err(|rule| self.member_err(&member, rule))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| self.member_err(&member, "is not valid UTF-8"))?;
            dist_info_files.push((file.to_string(), text));
        }
        Ok(Listing {
            file_size: self.archive.file_size,
            members: self.archive.members.clone(),
            dist_info_files,
            record,
        })
    }
}

/// Opens a wheel from a [`Listing`] made when the same wheel file was opened before, without
/// reading the file: the same checks as [`open`] on the listed members and dist-info files. The
/// archive itself is read only if a member's bytes are needed ([`Archive::reader`]).
pub fn open_listed(
    path: &Path,
    listing: Listing,
    options: OpenOptions,
) -> Result<OpenedWheel, WheelError> {
    let (file_name, filename) = parse_file_name(path)?;
    let Listing {
        file_size,
        members,
        dist_info_files,
        record,
    } = listing;
    // Members are found by index (their RECORD hashes, their names in messages): a listing
    // whose members are not numbered as an archive numbers them was not made by `listing`.
    if members.iter().enumerate().any(|(i, m)| m.index != i) {
        return Err(WheelError::new(
            &file_name,
            "the cached listing does not number its members in order",
        ));
    }
    let read_text = |archive: &Archive, member: &str, _limit: u64| {
        let (_, file) = member.rsplit_once('/').unwrap_or(("", member));
        if !archive.members.iter().any(|m| m.name == member) {
            return Ok(None);
        }
        let text = dist_info_files.iter().find(|(f, _)| f == file);
        Ok(text.map(|(_, t)| t.clone()))
    };
    if let Some(record) = &record {
        // Made by `listing` from a checked RECORD: one entry per member, each digest as long as
        // its algorithm's.
        let fits = record.len() == members.len()
            && (record.iter().flatten()).all(|h| h.digest.len() == h.algorithm.digest_len());
        if !fits {
            return Err(WheelError::new(
                &file_name,
                "the cached listing's RECORD hashes do not fit its members",
            ));
        }
    }
    let parts = Parts {
        path,
        file_name: &file_name,
        filename,
        archive: Archive::listed(path, members, file_size),
    };
    check_and_parse(parts, options, &read_text, record)
}

/// The file name of a wheel path, parsed; a clear error when it is not a wheel's.
fn parse_file_name(path: &Path) -> Result<(String, WheelFilename), WheelError> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("<wheel>")
        .to_string();
    let filename = WheelFilename::parse(&file_name).map_err(|rule| {
        let hint = if file_name.ends_with(".whl") {
            "keep the name its build tool gave it: winst reads the wheel's tags from it"
        } else {
            "winst installs built wheels only; build one first, for example with \
                 `python -m pip wheel --no-deps FILE`"
        };
        WheelError::new(
            &file_name,
            format!("invalid wheel file name: {rule}; {hint}"),
        )
    })?;
    Ok((file_name, filename))
}

/// A wheel's archive with its file name, before its dist-info is found and parsed.
struct Parts<'a> {
    path: &'a Path,
    file_name: &'a str,
    filename: WheelFilename,
    archive: Archive,
}

/// Reads a dist-info file (member name, size limit): `None` when the wheel has no such member.
type ReadText<'a> = dyn Fn(&Archive, &str, u64) -> Result<Option<String>, WheelError> + 'a;

/// A wheel's RECORD as the open stage gets it.
enum Record {
    /// Per member, as [`check_record`] made it when the wheel was opened before.
    Checked(Vec<Option<RecordHash>>),
    /// RECORD's text, to parse and check.
    Text(String),
}

/// The checks and parsing [`open`] and [`open_listed`] share: the untrusted limits, the
/// dist-info directory, `WHEEL`, `METADATA`, `RECORD` and entry points.
fn check_and_parse(
    parts: Parts,
    options: OpenOptions,
    read_text: &ReadText,
    checked_record: Option<Vec<Option<RecordHash>>>,
) -> Result<OpenedWheel, WheelError> {
    let Parts {
        path,
        file_name,
        filename,
        archive,
    } = parts;
    let to_error = |(member, rule): (Option<String>, String)| WheelError {
        wheel: file_name.to_string(),
        member,
        rule,
    };
    if let Some(limits) = &options.limits {
        limits.check_archive(&archive).map_err(to_error)?;
    }
    let dist_info =
        find_dist_info(&archive, &filename).map_err(|rule| WheelError::new(file_name, rule))?;
    let data_dir = format!(
        "{}.data",
        dist_info.strip_suffix(".dist-info").unwrap_or(&dist_info)
    );
    if let Some(limits) = &options.limits {
        limits
            .check_members(&archive, &data_dir)
            .map_err(to_error)?;
    }
    let required = |member: String, limit: u64| -> Result<String, WheelError> {
        read_text(&archive, &member, limit)?.ok_or_else(|| {
            WheelError::new(file_name, format!("{member} is missing from the wheel"))
        })
    };

    let wheel_member = format!("{dist_info}/WHEEL");
    let wheel_info = WheelInfo::parse(&required(wheel_member.clone(), MAX_WHEEL_FILE)?)
        .map_err(|rule| WheelError::member(file_name, &wheel_member, rule))?;
    let metadata_member = format!("{dist_info}/METADATA");
    let metadata = CoreMetadata::parse(&required(metadata_member.clone(), MAX_METADATA_FILE)?)
        .map_err(|rule| WheelError::member(file_name, &metadata_member, rule))?;
    let record_member = format!("{dist_info}/RECORD");
    // RECORD checked already (a listing's: then the archive had it), or its text.
    let record = match checked_record {
        Some(checked) => Record::Checked(checked),
        None => Record::Text(required(record_member.clone(), MAX_RECORD_FILE)?),
    };
    let ep_member = format!("{dist_info}/entry_points.txt");
    let entry_points = match read_text(&archive, &ep_member, MAX_ENTRY_POINTS_FILE)? {
        Some(text) => entry_points::parse_scripts(&text)
            .map_err(|rule| WheelError::member(file_name, &ep_member, rule))?,
        None => Vec::new(),
    };

    let mut wheel = OpenedWheel {
        path: path.to_path_buf(),
        file_name: file_name.to_string(),
        filename,
        archive,
        dist_info,
        data_dir,
        wheel_info,
        metadata,
        record: Vec::new(),
        entry_points,
        warnings: Vec::new(),
    };

    if wheel.wheel_info.wheel_version > metadata::SUPPORTED_WHEEL_VERSION {
        let (major, minor) = wheel.wheel_info.wheel_version;
        wheel.warnings.push(format!(
            "{}: Wheel-Version {major}.{minor} is newer than the 1.0 winst implements; installing anyway",
            wheel.file_name
        ));
    }
    if let Some(note) = &wheel.wheel_info.root_is_purelib_note {
        wheel.warnings.push(format!(
            "{}: {}/WHEEL {note}",
            wheel.file_name, wheel.dist_info
        ));
    }
    check_metadata_matches_filename(&wheel)?;
    check_data_members(&wheel)?;
    if options.verify_record {
        wheel.record = match record {
            Record::Checked(checked) => checked,
            Record::Text(text) => {
                let rows = record::parse(&text).map_err(|rule| {
                    let rule =
                        format!("{rule} (--no-verify-record installs without reading RECORD)");
                    WheelError::member(file_name, &record_member, rule)
                })?;
                check_record(&wheel, rows)?
            }
        };
    }
    Ok(wheel)
}

/// Finds the one top-level `.dist-info` directory and checks it matches the file name.
fn find_dist_info(archive: &Archive, filename: &WheelFilename) -> Result<String, String> {
    let mut found: Vec<&str> = Vec::new();
    for m in &archive.members {
        if let Some((top, _)) = m.name.split_once('/')
            && top.ends_with(".dist-info")
            && !found.contains(&top)
        {
            found.push(top);
        }
    }
    let dir = match found.as_slice() {
        [] => return Err("no .dist-info directory found in the wheel".to_string()),
        [one] => *one,
        many => {
            return Err(format!(
                "more than one .dist-info directory: {}",
                many.join(", ")
            ));
        }
    };
    let stem = dir.strip_suffix(".dist-info").unwrap_or(dir);
    let (name, version) = stem
        .split_once('-')
        .ok_or_else(|| format!("{dir} is not named {{name}}-{{version}}.dist-info"))?;
    if name::normalize(name) != name::normalize(&filename.name)
        || !name::same_version(version, &filename.version)
    {
        return Err(format!(
            "{dir} does not match the file name (expected {}-{}.dist-info)",
            name::escape(&filename.name),
            filename.version
        ));
    }
    Ok(dir.to_string())
}

fn check_metadata_matches_filename(wheel: &OpenedWheel) -> Result<(), WheelError> {
    let member = format!("{}/METADATA", wheel.dist_info);
    if !name::is_valid_project_name(&wheel.metadata.name) {
        return Err(wheel.member_err(
            &member,
            format!("Name `{}` is not a valid project name", wheel.metadata.name),
        ));
    }
    if name::normalize(&wheel.metadata.name) != name::normalize(&wheel.filename.name) {
        return Err(wheel.member_err(
            &member,
            format!(
                "Name `{}` does not match the file name's `{}`",
                wheel.metadata.name, wheel.filename.name
            ),
        ));
    }
    if !name::same_version(&wheel.metadata.version, &wheel.filename.version) {
        return Err(wheel.member_err(
            &member,
            format!(
                "Version `{}` does not match the file name's `{}`",
                wheel.metadata.version, wheel.filename.version
            ),
        ));
    }
    Ok(())
}

/// Every member under `{name}-{version}.data/` must be under one of the known scheme keys.
fn check_data_members(wheel: &OpenedWheel) -> Result<(), WheelError> {
    let prefix = format!("{}/", wheel.data_dir);
    for m in &wheel.archive.members {
        let Some(rest) = m.name.strip_prefix(&prefix) else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let (key, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !DATA_KEYS.contains(&key) {
            return Err(wheel.member_err(
                &m.name,
                format!(
                    "`{key}` is not a scheme directory (allowed under .data/: {})",
                    DATA_KEYS.join(", ")
                ),
            ));
        }
        if path.is_empty() && !m.is_dir {
            return Err(wheel.member_err(&m.name, "a file where a .data directory is expected"));
        }
    }
    Ok(())
}

/// Whether a dist-info member may be missing from RECORD (RECORD itself and its signatures).
pub fn is_record_or_signature(wheel: &OpenedWheel, member: &str) -> bool {
    member
        .strip_prefix(&wheel.dist_info)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|file| matches!(file, "RECORD" | "RECORD.jws" | "RECORD.p7s"))
}

/// RECORD and the archive must list the same files, each (but RECORD) with a hash and size.
fn check_record(
    wheel: &OpenedWheel,
    rows: Vec<RecordRow<'_>>,
) -> Result<Vec<Option<RecordHash>>, WheelError> {
    let record_member = format!("{}/RECORD", wheel.dist_info);
    // Row number by path, borrowed from the rows for the checks only. A row repeated as it is
    // adds nothing (pip and uv read such RECORDs too); a second row with another hash or size
    // is refused.
    let mut by_path: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut listed = vec![false; rows.len()];
    for (i, row) in rows.iter().enumerate() {
        match by_path.entry(&*row.path) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let first = &rows[*e.get()];
                if first.hash != row.hash || first.size != row.size {
                    return Err(wheel.member_err(
                        &record_member,
                        format!(
                            "lists `{}` twice, with different hashes or sizes (which row \
                             applies would be a guess; --no-verify-record skips this check)",
                            row.path
                        ),
                    ));
                }
                listed[i] = true;
            }
        }
    }
    let mut row_of = vec![None; wheel.archive.members.len()];
    for (position, m) in wheel.archive.members.iter().enumerate() {
        if let Some(&i) = by_path.get(m.name.as_str()) {
            listed[i] = true;
            row_of[position] = Some(i);
        }
        if m.is_dir || is_record_or_signature(wheel, &m.name) {
            continue;
        }
        let Some(row) = row_of[position].map(|i| &rows[i]) else {
            return Err(wheel.member_err(
                &m.name,
                "is not listed in RECORD (every file of a wheel must be; --no-verify-record skips this check)",
            ));
        };
        if row.hash.is_none() {
            return Err(wheel.member_err(
                &m.name,
                "has no hash in RECORD (--no-verify-record skips this check)",
            ));
        }
        if let Some(size) = row.size.filter(|&s| s != m.size) {
            return Err(wheel.member_err(
                &m.name,
                format!(
                    "RECORD says {size} bytes but its zip entry declares {} bytes (uncompressed, in \
                     the central directory): one of the two is wrong",
                    m.size
                ),
            ));
        }
    }
    // A row for a directory (`pkg/,,`, as some tools write) lists no file: pip reads past it.
    let is_directory_row = |row: &RecordRow| row.path.ends_with('/') && row.hash.is_none();
    let mut missing: Vec<&str> = (rows.iter().zip(&listed))
        .filter(|(row, listed)| !**listed && !is_record_or_signature(wheel, &row.path))
        .filter(|(row, _)| !is_directory_row(row))
        .map(|(row, _)| &*row.path)
        .collect();
    missing.sort_unstable();
    if let Some(first) = missing.first() {
        return Err(wheel.member_err(first, "is listed in RECORD but missing from the wheel"));
    }
    drop(by_path);
    let mut hashes: Vec<Option<RecordHash>> = rows.into_iter().map(|row| row.hash).collect();
    Ok((wheel.archive.members.iter().zip(row_of))
        .map(|(m, row)| {
            let keep = !m.is_dir && !is_record_or_signature(wheel, &m.name);
            row.filter(|_| keep).and_then(|i| hashes[i].take())
        })
        .collect())
}
