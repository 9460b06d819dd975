//! The zip container of a wheel: its member list, and readers that many threads can use at once.
//!
//! A wheel file is opened once; its central directory is parsed once; every worker thread then
//! gets a cheap clone that reads with positional I/O (`pread`), so several members of one archive
//! inflate in parallel. Member names are checked here for what no wheel may contain (absolute
//! paths, `..`, backslashes, control characters, links, encryption). Not here: what the members
//! mean (that is [`crate`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use zip::{CompressionMethod, ZipArchive};

/// A `Read + Seek` over a shared file using positional reads, so clones do not share a cursor.
/// Small reads (the zip parser reading the central directory field by field) are served from a
/// read-ahead buffer; large ones (member data) go straight to the file.
pub struct PosReader {
    file: Arc<File>,
    pos: u64,
    len: u64,
    ahead: Vec<u8>,
    ahead_start: u64,
}

impl Clone for PosReader {
    fn clone(&self) -> Self {
        PosReader {
            file: self.file.clone(),
            pos: self.pos,
            len: self.len,
            ahead: Vec::new(),
            ahead_start: 0,
        }
    }
}

const READ_AHEAD: usize = 32 << 10;

impl Read for PosReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let in_ahead =
            self.pos >= self.ahead_start && self.pos < self.ahead_start + self.ahead.len() as u64;
        if !in_ahead && buf.len() < 4096 {
            let want = (READ_AHEAD as u64).min(self.len - self.pos) as usize;
            self.ahead.resize(want, 0);
            let n = self.file.read_at(&mut self.ahead, self.pos)?;
            self.ahead.truncate(n);
            self.ahead_start = self.pos;
        }
        if self.pos >= self.ahead_start && self.pos < self.ahead_start + self.ahead.len() as u64 {
            let at = (self.pos - self.ahead_start) as usize;
            let n = buf.len().min(self.ahead.len() - at);
            buf[..n].copy_from_slice(&self.ahead[at..at + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PosReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let next = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = next.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

/// One member of the archive, as its central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub index: usize,
    pub name: String,
    pub size: u64,
    pub compressed_size: u64,
    pub executable: bool,
    pub is_dir: bool,
}

/// An opened wheel archive: its member list, and the parsed zip that readers clone.
///
/// An archive made from a listing saved earlier ([`Archive::listed`], the wheel cache's
/// manifest) has not read the file: it is opened, checked and compared with the listing the
/// first time a member's bytes are needed, and never when every file comes from the cache.
pub struct Archive {
    path: PathBuf,
    /// The parsed zip, or why it cannot be had (opened at most once).
    zip: OnceLock<Result<ZipArchive<PosReader>, String>>,
    pub members: Vec<Member>,
    /// Size of the wheel file in bytes.
    pub file_size: u64,
}

/// Rules every member name must follow; returns the broken rule.
pub fn check_member_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty member name".to_string());
    }
    if name.starts_with('/') {
        return Err("an absolute path is not allowed in a wheel".to_string());
    }
    if name.contains('\\') {
        return Err("a backslash is not allowed in a member name".to_string());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "control character {} is not allowed in a member name",
            c.escape_default()
        ));
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    for part in body.split('/') {
        match part {
            "" => return Err("an empty path component (`//`) is not allowed".to_string()),
            "." => return Err("a `.` path component is not allowed".to_string()),
            ".." => return Err("a `..` path component is not allowed".to_string()),
            _ if part.len() > NAME_MAX => {
                return Err(format!(
                    "a path component is {} bytes, too long for a file name (file systems allow \
                     at most {NAME_MAX} bytes)",
                    part.len()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The longest file name (one path component, in bytes) Linux file systems accept.
const NAME_MAX: usize = 255;

/// A member name that is not UTF-8, printable: ASCII as is, every other byte as `\xNN`.
fn escape_name(raw: &[u8]) -> String {
    raw.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

impl Archive {
    /// Opens a wheel and lists its members. Errors are plain rule descriptions; the caller adds
    /// the wheel's name. The `Err` carries the offending member when there is one.
    pub fn open(path: &Path) -> Result<Archive, (Option<String>, String)> {
        let file = File::open(path).map_err(|e| (None, format!("cannot open: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| (None, format!("cannot read: {e}")))?
            .len();
        let file = Arc::new(file);
        let reader = PosReader {
            file: Arc::clone(&file),
            pos: 0,
            len,
            ahead: Vec::new(),
            ahead_start: 0,
        };
        let zip =
            ZipArchive::new(reader).map_err(|e| (None, format!("not a valid zip archive: {e}")))?;
        super::container::check(
            &file,
            len,
            zip.comment().len(),
            zip.central_directory_start(),
        )?;
        if zip.metadata().has_duplicate_names() {
            return Err((
                None,
                "the archive lists the same member name twice".to_string(),
            ));
        }
        let mut members = Vec::with_capacity(zip.len());
        let mut seen = std::collections::HashSet::with_capacity(zip.len());
        let meta = zip.metadata();
        for index in 0..zip.len() {
            let entry = meta
                .entry(index)
                .map_err(|e| (None, format!("unreadable central directory entry: {e}")))?;
            let name = std::str::from_utf8(entry.name_raw())
                .map_err(|_| {
                    (
                        Some(escape_name(entry.name_raw())),
                        "the member name is not valid UTF-8 (winst does not guess a legacy \
                         encoding such as CP437, which zip tools assume when the name's UTF-8 \
                         flag is clear); rebuild the wheel with UTF-8 member names"
                            .to_string(),
                    )
                })?
                .to_string();
            check_member_name(&name).map_err(|rule| (Some(name.clone()), rule))?;
            // `a` and `a/` are the same path on disk.
            if !seen.insert(name.trim_end_matches('/').to_string()) {
                return Err((
                    Some(name),
                    "the archive has this path twice (as a file and as a directory)".to_string(),
                ));
            }
            if entry.encrypted() {
                return Err((
                    Some(name),
                    "encrypted members are not supported".to_string(),
                ));
            }
            if entry.is_symlink() {
                return Err((
                    Some(name),
                    "symbolic links are not allowed in a wheel".to_string(),
                ));
            }
            match entry.compression() {
                CompressionMethod::Stored | CompressionMethod::Deflated => {}
                other => {
                    return Err((
                        Some(name),
                        format!(
                            "compression method {other:?} is not supported (only stored and deflate are)"
                        ),
                    ));
                }
            }
            let is_dir = name.ends_with('/');
            let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
            members.push(Member {
                index,
                name,
                size: entry.size(),
                compressed_size: entry.compressed_size(),
                executable,
                is_dir,
            });
        }
        Ok(Archive {
            path: path.to_path_buf(),
            zip: OnceLock::from(Ok(zip)),
            members,
            file_size: len,
        })
    }

    /// An archive known from a listing of a wheel opened before (the same `members` and
    /// `file_size` [`Archive::open`] gave then), without reading the file now.
    pub fn listed(path: &Path, members: Vec<Member>, file_size: u64) -> Archive {
        Archive {
            path: path.to_path_buf(),
            zip: OnceLock::new(),
            members,
            file_size,
        }
    }

    /// A reader of this archive for one thread (clones share the parsed central directory).
    /// Errors (as a rule, for the caller to name the wheel) when a listed archive's file cannot
    /// be opened now, or no longer holds the listed members.
    pub fn reader(&self) -> Result<ZipArchive<PosReader>, String> {
        self.zip
            .get_or_init(|| {
                let now = Archive::open(&self.path).map_err(|(_, rule)| rule)?;
                if now.members != self.members || now.file_size != self.file_size {
                    return Err("the wheel file changed after winst cached it: run the \
                                install again"
                        .to_string());
                }
                now.zip
                    .into_inner()
                    .unwrap_or_else(|| Err("the archive was not opened".to_string()))
            })
            .clone()
    }

    /// Reads a whole (small) member into memory, refusing more than `limit` bytes.
    pub fn read_small(&self, index: usize, limit: u64) -> Result<Vec<u8>, String> {
        let mut zip = self.reader()?;
        let member = zip
            .by_index(index)
            .map_err(|e| format!("cannot read: {e}"))?;
        if member.size() > limit {
            return Err(format!(
                "is {} bytes, more than the {limit} bytes allowed for this file",
                member.size()
            ));
        }
        let mut out = Vec::with_capacity(member.size() as usize);
        member
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("cannot read: {e}"))?;
        if out.len() as u64 > limit {
            return Err(format!(
                "is larger than the {limit} bytes allowed for this file"
            ));
        }
        Ok(out)
    }
}
