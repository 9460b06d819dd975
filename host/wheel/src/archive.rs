//! The zip container of a wheel: its member list, and readers that many threads can use at once.
//!
//! A wheel file is opened once; its central directory is parsed once (by the `zip` crate, and
//! again by [`crate::container`], which checks the layout and finds where each member's data
//! starts). What is kept is winst's own [`Member`] list (name, sizes, CRC-32, data offset and
//! method), not the zip crate's records. Members are then read straight from those offsets with
//! positional I/O (`pread`), so several members of one archive inflate in parallel, each thread
//! with its own [`PosReader`]; every read is checked against the CRC-32 (and the caller checks
//! the size). Member names are checked here for what no wheel may contain (absolute paths,
//! `..`, backslashes, control characters, links, encryption). Not here: what the members mean
//! (that is [`crate`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use zip::{CompressionMethod, ZipArchive};

use crate::buffers;

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

impl Drop for PosReader {
    fn drop(&mut self) {
        buffers::give_back(std::mem::take(&mut self.ahead));
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
            if self.ahead.capacity() == 0 {
                self.ahead = buffers::spare_buffer();
            }
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

/// One member of the archive, as its central directory describes it (ZIP64 fields applied),
/// with where its data lies, checked against its local header at open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// Position in the central directory, from 0.
    pub index: usize,
    pub name: String,
    /// Inflated size in bytes.
    pub size: u64,
    /// Size of the stored (compressed) data in bytes.
    pub compressed_size: u64,
    /// Offset in the wheel file of the member's data, just past its local header.
    pub data_offset: u64,
    /// CRC-32 of the inflated bytes.
    pub crc32: u32,
    /// Deflated; stored (not compressed) otherwise: no other method is accepted.
    pub deflated: bool,
    pub executable: bool,
    pub is_dir: bool,
}

/// An opened wheel archive: its member list, and the open file that readers share.
///
/// An archive made from a listing saved earlier ([`Archive::listed`], the wheel cache's
/// manifest) has not read the file: it is opened, checked and compared with the listing the
/// first time a member's bytes are needed, and never when every file comes from the cache.
pub struct Archive {
    path: PathBuf,
    /// The open wheel file, or why it cannot be had (opened at most once).
    file: OnceLock<Result<Arc<File>, String>>,
    pub members: Vec<Member>,
    /// Size of the wheel file in bytes.
    pub file_size: u64,
}

/// Why a member whose inflated bytes fail the CRC-32 check cannot be read.
pub const CRC_MISMATCH: &str = "its bytes do not match the CRC-32 the archive records for it (a damaged wheel, or one changed while it was read)";

/// The inflated bytes of one member (see [`Archive::inflate`]): at the end of the data, the
/// CRC-32 of what was read must be the archive's, or the read fails (`InvalidData`, with
/// [`CRC_MISMATCH`]). The caller checks the size (a member must not inflate past its declared size).
pub struct MemberReader<'r> {
    inner: Inflating<'r>,
    crc: crc32fast::Hasher,
    expected: u32,
}

enum Inflating<'r> {
    Stored(io::Take<&'r mut PosReader>),
    Deflated(Box<flate2::read::DeflateDecoder<io::Take<&'r mut PosReader>>>),
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.inner {
            Inflating::Stored(r) => r.read(buf)?,
            Inflating::Deflated(r) => r.read(buf)?,
        };
        if n > 0 {
            self.crc.update(&buf[..n]);
        } else if !buf.is_empty() && self.crc.clone().finalize() != self.expected {
            return Err(io::Error::new(io::ErrorKind::InvalidData, CRC_MISMATCH));
        }
        Ok(n)
    }
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
        let located = super::container::check(
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
        if located.len() != zip.len() {
            return Err((None, DISAGREE.to_string()));
        }
        let mut members = Vec::with_capacity(zip.len());
        let mut seen = std::collections::HashSet::with_capacity(zip.len());
        let meta = zip.metadata();
        for (index, at) in located.into_iter().enumerate() {
            let entry = meta
                .entry(index)
                .map_err(|e| (None, format!("unreadable central directory entry: {e}")))?;
            members.push(check_entry(index, &entry, at, &mut seen)?);
        }
        Ok(Archive {
            path: path.to_path_buf(),
            file: OnceLock::from(Ok(file)),
            members,
            file_size: len,
        })
    }

    /// An archive known from a listing of a wheel opened before (the same `members` and
    /// `file_size` [`Archive::open`] gave then), without reading the file now.
    pub fn listed(path: &Path, members: Vec<Member>, file_size: u64) -> Archive {
        Archive {
            path: path.to_path_buf(),
            file: OnceLock::new(),
            members,
            file_size,
        }
    }

    /// The open wheel file. A listed archive's file is opened, checked and compared with the
    /// listing here, the first time; errors (as a rule, for the caller to name the wheel) when
    /// it cannot be opened now or no longer holds the listed members.
    fn file(&self) -> Result<&Arc<File>, String> {
        self.file
            .get_or_init(|| {
                let now = Archive::open(&self.path).map_err(|(_, rule)| rule)?;
                if now.members != self.members || now.file_size != self.file_size {
                    return Err("the wheel file changed after winst cached it: run the \
                                install again"
                        .to_string());
                }
                now.file
                    .into_inner()
                    .unwrap_or_else(|| Err("the archive was not opened".to_string()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A reader of this archive for one thread, for [`Archive::raw`] and [`Archive::inflate`]
    /// (it keeps a read-ahead buffer, so small members read one after another cost one read).
    /// Errors as [`Archive::file`].
    pub fn reader(&self) -> Result<PosReader, String> {
        Ok(PosReader {
            file: Arc::clone(self.file()?),
            pos: 0,
            len: self.file_size,
            ahead: Vec::new(),
            ahead_start: 0,
        })
    }

    /// The member at `index`, or an error for an index the archive does not have.
    fn member(&self, index: usize) -> Result<&Member, String> {
        self.members
            .get(index)
            .ok_or_else(|| format!("the archive has no member number {index}"))
    }

    /// The stored (compressed, for a deflated member) bytes of member `index`, read through
    /// `reader` (one of this archive's [`Archive::reader`]s): exactly `compressed_size` bytes
    /// unless the file was cut short since it was opened.
    pub fn raw<'r>(
        &self,
        reader: &'r mut PosReader,
        index: usize,
    ) -> Result<io::Take<&'r mut PosReader>, String> {
        let m = self.member(index)?;
        reader
            .seek(SeekFrom::Start(m.data_offset))
            .map_err(|e| format!("cannot read: {e}"))?;
        Ok(reader.take(m.compressed_size))
    }

    /// The inflated bytes of member `index`, read through `reader`, checked against the
    /// member's CRC-32 at the end (see [`MemberReader`]).
    pub fn inflate<'r>(
        &self,
        reader: &'r mut PosReader,
        index: usize,
    ) -> Result<MemberReader<'r>, String> {
        let m = self.member(index)?;
        let (deflated, expected) = (m.deflated, m.crc32);
        let raw = self.raw(reader, index)?;
        let inner = if deflated {
            Inflating::Deflated(Box::new(flate2::read::DeflateDecoder::new(raw)))
        } else {
            Inflating::Stored(raw)
        };
        Ok(MemberReader {
            inner,
            crc: crc32fast::Hasher::new(),
            expected,
        })
    }

    /// Reads a whole (small) member into memory, refusing more than `limit` bytes: one read of
    /// its stored bytes and one call of libdeflate into a buffer of its declared size (a
    /// deflated member stored larger than its size plus deflate's overhead is streamed instead),
    /// checked against the declared size and the CRC-32.
    pub fn read_small(&self, index: usize, limit: u64) -> Result<Vec<u8>, String> {
        let m = self.member(index)?;
        let size = m.size;
        if size > limit {
            return Err(format!(
                "is {size} bytes, more than the {limit} bytes allowed for this file"
            ));
        }
        let out = if m.deflated && m.compressed_size > size.saturating_add(64 << 10) {
            let mut reader = self.reader()?;
            let mut out = Vec::with_capacity(size as usize);
            (self.inflate(&mut reader, index)?)
                .take(size.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| format!("cannot read: {e}"))?;
            out
        } else {
            let mut stored = vec![0; m.compressed_size as usize];
            (self.file()?)
                .read_exact_at(&mut stored, m.data_offset)
                .map_err(|e| format!("cannot read: {e}"))?;
            if m.deflated {
                inflate_whole(&stored, size as usize)?
            } else {
                stored
            }
        };
        if out.len() as u64 != size {
            return Err(format!(
                "cannot read: the archive says {size} bytes but {}{} bytes were read",
                out.len(),
                if out.len() as u64 > size {
                    " or more"
                } else {
                    ""
                }
            ));
        }
        if crc32fast::hash(&out) != m.crc32 {
            return Err(format!("cannot read: {CRC_MISMATCH}"));
        }
        Ok(out)
    }
}

thread_local! {
    /// This thread's libdeflate decompressor (about 11 KiB), made on first use.
    static INFLATER: std::cell::RefCell<Option<libdeflater::Decompressor>> =
        const { std::cell::RefCell::new(None) };
}

/// Inflates a whole deflate stream that must come to `size` bytes.
fn inflate_whole(stored: &[u8], size: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0; size];
    let n = INFLATER.with(|d| {
        let mut d = d.borrow_mut();
        let d = d.get_or_insert_with(libdeflater::Decompressor::new);
        d.deflate_decompress(stored, &mut out)
    });
    match n {
        Ok(n) => {
            out.truncate(n);
            Ok(out)
        }
        Err(libdeflater::DecompressionError::InsufficientSpace) => Err(format!(
            "cannot read: it inflates to more than its declared size of {size} bytes"
        )),
        Err(libdeflater::DecompressionError::BadData) => {
            Err("cannot read: invalid deflate data".to_string())
        }
    }
}

/// The zip crate and [`crate::container`] read the central directory differently.
const DISAGREE: &str = "the zip reader and the layout check read the central directory \
                        differently (a malformed or ambiguous archive)";

/// Checks central directory entry `index` (the zip crate's `entry`, the layout check's `at`)
/// and makes its [`Member`]; `seen` holds the paths of the entries before it. The `Err` names
/// the member when it can.
fn check_entry(
    index: usize,
    entry: &zip::read::ZipFileEntry<'_>,
    at: super::container::Located,
    seen: &mut std::collections::HashSet<String>,
) -> Result<Member, (Option<String>, String)> {
    let name = std::str::from_utf8(entry.name_raw())
        .map_err(|_| {
            (
                Some(escape_name(entry.name_raw())),
                "the member name is not valid UTF-8 (winst does not guess a legacy encoding such \
                 as CP437, which zip tools assume when the name's UTF-8 flag is clear); rebuild \
                 the wheel with UTF-8 member names"
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
    let deflated = match entry.compression() {
        CompressionMethod::Stored => false,
        CompressionMethod::Deflated => true,
        other => {
            return Err((
                Some(name),
                format!(
                    "compression method {other:?} is not supported (only stored and deflate are)"
                ),
            ));
        }
    };
    if at.name != entry.name_raw()
        || at.size != entry.size()
        || at.compressed != entry.compressed_size()
        || at.crc32 != entry.crc32()
        || at.method != if deflated { 8 } else { 0 }
    {
        return Err((Some(name), DISAGREE.to_string()));
    }
    let is_dir = name.ends_with('/');
    let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
    Ok(Member {
        index,
        name,
        size: at.size,
        compressed_size: at.compressed,
        data_offset: at.data_start,
        crc32: at.crc32,
        deflated,
        executable,
        is_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use zip::write::SimpleFileOptions;

    /// A zip of `members` (name, bytes, deflated?) at `path`, rewriting the file in place (same
    /// inode) if it exists.
    fn write_zip(path: &Path, members: &[(&str, &[u8], bool)]) {
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, bytes, deflated) in members {
            let method = if *deflated {
                CompressionMethod::Deflated
            } else {
                CompressionMethod::Stored
            };
            let options = SimpleFileOptions::default().compression_method(method);
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        file.write_all(&bytes).unwrap();
    }

    fn text(n: usize, c: u8) -> Vec<u8> {
        (0..n)
            .map(|i| if i % 61 == 60 { b'\n' } else { c })
            .collect()
    }

    #[test]
    fn members_are_read_from_their_offsets_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.whl");
        let (big, small) = (text(200_000, b'x'), b"print(1)\n".to_vec());
        write_zip(
            &path,
            &[("a/big.py", &big, true), ("a/s.py", &small, false)],
        );
        let archive = Archive::open(&path).unwrap();
        assert!(archive.members[0].deflated && !archive.members[1].deflated);
        assert!(archive.members[0].compressed_size < 20_000);
        assert_eq!(archive.read_small(0, 1 << 20).unwrap(), big);
        assert_eq!(archive.read_small(1, 100).unwrap(), small);
        let err = archive.read_small(0, 1000).unwrap_err();
        assert!(err.contains("more than the 1000 bytes"), "{err}");
        // Streamed, through one reader for both members.
        let mut reader = archive.reader().unwrap();
        for (i, want) in [(1, &small), (0, &big)] {
            let mut got = Vec::new();
            (archive.inflate(&mut reader, i).unwrap())
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(&got, want);
        }
    }

    /// The file is rewritten in place after it was opened (the archive keeps its descriptor):
    /// members are then read from the offsets checked at open, so what is there now must fail
    /// the CRC-32 (or the size), never pass as the member.
    #[test]
    fn a_wheel_rewritten_in_place_after_open_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.whl");
        let (a, b) = (text(5_000, b'a'), text(5_000, b'b'));
        write_zip(&path, &[("m/x.py", &a, true), ("m/y.py", &a, false)]);
        let archive = Archive::open(&path).unwrap();
        let mut reader = archive.reader().unwrap();
        write_zip(&path, &[("m/x.py", &b, true), ("m/y.py", &b, false)]);
        for index in [0, 1] {
            let err = archive.read_small(index, 1 << 20).unwrap_err();
            assert!(err.contains("cannot read"), "{index}: {err}");
            let mut got = Vec::new();
            let streamed = (archive.inflate(&mut reader, index).unwrap()).read_to_end(&mut got);
            assert!(streamed.is_err(), "{index}: read {} bytes", got.len());
        }
        // A file cut short: an error, not a panic.
        write_zip(&path, &[("m/x.py", b"", false)]);
        for index in [0, 1] {
            assert!(archive.read_small(index, 1 << 20).is_err());
        }
    }

    #[test]
    fn a_listed_wheel_that_changed_is_refused_when_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.whl");
        write_zip(&path, &[("m/x.py", &text(100, b'a'), true)]);
        let opened = Archive::open(&path).unwrap();
        let listed = Archive::listed(&path, opened.members.clone(), opened.file_size);
        write_zip(&path, &[("m/x.py", &text(100, b'b'), true)]);
        let err = listed.read_small(0, 1000).unwrap_err();
        assert!(err.contains("changed after winst cached it"), "{err}");
        assert!(listed.reader().is_err());
    }
}
