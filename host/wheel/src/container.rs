//! Strict zip layout: the archive must be exactly what its central directory says, nothing more.
//!
//! A second, independent reading of the container (the `zip` crate is the first): the end record
//! is where it must be; the central directory fills exactly the space the end record gives it and
//! holds exactly the count it claims; every member's local header agrees with its central entry
//! (name, flags, method, and CRC and sizes when they are in the local header, or in the data
//! descriptor otherwise); and the members tile the file from offset 0 to the central directory
//! with no gap and no overlap. This is what stops two parsers from seeing two different wheels
//! (smuggled members, prepended or appended data) and overlapping-member zip bombs. What it finds
//! of each member (where its data starts, CRC-32, sizes, method: [`Located`]) is how
//! [`crate::archive`] reads members later, without keeping a zip parser's records. Not here:
//! member names and contents (see [`crate::archive`]).

use std::fs::File;
use std::os::unix::fs::FileExt;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

/// A layout error: the member it is about, if any, and the rule broken.
pub(crate) type LayoutError = (Option<String>, String);

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn read(file: &File, len: u64, offset: u64, n: usize) -> Result<Vec<u8>, LayoutError> {
    if offset.checked_add(n as u64).is_none_or(|end| end > len) {
        return Err((
            None,
            format!("a structure at offset {offset} runs past the end of the file"),
        ));
    }
    let mut buf = vec![0u8; n];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| (None, format!("cannot read: {e}")))?;
    Ok(buf)
}

/// Reads of small structures at ascending offsets (local headers, data descriptors) through one
/// 64 KiB window, so a wheel of small members costs a read per window, not two per member.
struct Window<'a> {
    file: &'a File,
    len: u64,
    start: u64,
    buf: Vec<u8>,
}

impl Drop for Window<'_> {
    fn drop(&mut self) {
        crate::buffers::give_back(std::mem::take(&mut self.buf));
    }
}

impl Window<'_> {
    const SIZE: usize = 64 << 10;

    fn read(&mut self, offset: u64, n: usize) -> Result<Vec<u8>, LayoutError> {
        let end = offset.checked_add(n as u64);
        if end.is_none_or(|end| end > self.len) {
            return read(self.file, self.len, offset, n);
        }
        let have = offset >= self.start
            && end.is_some_and(|end| end <= self.start + self.buf.len() as u64);
        if !have {
            let want = (n.max(Self::SIZE) as u64).min(self.len - offset) as usize;
            self.buf.resize(want, 0);
            self.file
                .read_exact_at(&mut self.buf, offset)
                .map_err(|e| (None, format!("cannot read: {e}")))?;
            self.start = offset;
        }
        let at = (offset - self.start) as usize;
        Ok(self.buf[at..at + n].to_vec())
    }
}

/// One central directory entry, as the bytes say.
struct Central {
    name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

fn display(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Reads the ZIP64 extended-information extra field, replacing the 0xFFFFFFFF fields in order.
fn zip64_extra(
    extra: &[u8],
    size: &mut u64,
    compressed: &mut u64,
    offset: Option<&mut u64>,
) -> Result<(), String> {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16_at(extra, i);
        let n = usize::from(u16_at(extra, i + 2));
        let body = extra
            .get(i + 4..i + 4 + n)
            .ok_or("an extra field runs past its entry")?;
        if id == 0x0001 {
            let mut j = 0;
            let mut take = |field: &mut u64| -> Result<(), String> {
                if *field == 0xFFFF_FFFF {
                    let v = body
                        .get(j..j + 8)
                        .ok_or("a ZIP64 extra field is too short")?;
                    *field = u64_at(v, 0);
                    j += 8;
                }
                Ok(())
            };
            take(size)?;
            take(compressed)?;
            if let Some(o) = offset {
                take(o)?;
            }
            return Ok(());
        }
        i += 4 + n;
    }
    Ok(())
}

/// Where a member's data is and how to check it, from this reading of the container: what the
/// write stage needs to read the member again without a zip parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Offset of the member's (compressed) data in the file, just past its local header.
    pub data_start: u64,
    /// The CRC-32 of the inflated bytes, as the central directory gives it.
    pub crc32: u32,
    /// The central directory's compression method (0 stored, 8 deflate).
    pub method: u16,
    /// Compressed and inflated sizes in bytes (ZIP64 fields applied).
    pub compressed: u64,
    pub size: u64,
    /// The member's raw name, as the central directory has it.
    pub name: Vec<u8>,
}

/// Checks the whole container. `comment_len` is the archive comment's length as the zip crate
/// found it; `cd_start` where it found the central directory. Returns every member's
/// [`Located`], in central directory order.
pub fn check(
    file: &File,
    len: u64,
    comment_len: usize,
    cd_start: u64,
) -> Result<Vec<Located>, LayoutError> {
    let EndRecords {
        count,
        cd_size,
        cd_offset,
        cd_end,
    } = end_records(file, len, comment_len)?;
    if cd_offset.checked_add(cd_size) != Some(cd_end) || cd_offset != cd_start {
        return Err((
            None,
            format!(
                "the end record says the central directory is {cd_size} bytes at offset \
                 {cd_offset}, but it ends at {cd_end}: the central directory lies about its size \
                 or offset"
            ),
        ));
    }

    let entries = central_entries(file, len, cd_offset, cd_size, count)?;

    // Each local header agrees with its central entry; the members tile [0, cd_offset).
    let mut window = Window {
        file,
        len,
        start: 0,
        buf: crate::buffers::spare_buffer(),
    };
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(entries.len());
    let mut starts = Vec::with_capacity(entries.len());
    for (idx, e) in entries.iter().enumerate() {
        let (data_start, end) = local_member(&mut window, e, cd_offset)?;
        spans.push((e.local_offset, end, idx));
        starts.push(data_start);
    }
    tile(spans, &entries, cd_offset)?;
    Ok(entries
        .into_iter()
        .zip(starts)
        .map(|(e, data_start)| Located {
            data_start,
            crc32: e.crc,
            method: e.method,
            compressed: e.compressed,
            size: e.size,
            name: e.name,
        })
        .collect())
}

/// What the end records say: the member count and the central directory's size, offset and end.
struct EndRecords {
    count: u64,
    cd_size: u64,
    cd_offset: u64,
    cd_end: u64,
}

/// Reads the end record (and the ZIP64 one, with its locator), which must close the file.
fn end_records(file: &File, len: u64, comment_len: usize) -> Result<EndRecords, LayoutError> {
    // The end record ends the file, followed only by its comment.
    let eocd_pos = len
        .checked_sub(22 + comment_len as u64)
        .ok_or((None, "too short to be a zip archive".to_string()))?;
    let eocd = read(file, len, eocd_pos, 22)?;
    if u32_at(&eocd, 0) != EOCD_SIG || usize::from(u16_at(&eocd, 20)) != comment_len {
        return Err((
            None,
            "data after the end of the archive (the end record must close the file)".to_string(),
        ));
    }
    if u16_at(&eocd, 4) != 0 || u16_at(&eocd, 6) != 0 {
        return Err((None, "multi-disk archives are not supported".to_string()));
    }
    let mut count = u64::from(u16_at(&eocd, 10));
    let mut cd_size = u64::from(u32_at(&eocd, 12));
    let mut cd_offset = u64::from(u32_at(&eocd, 16));
    let mut cd_end = eocd_pos;
    if eocd_pos >= 20 {
        let locator = read(file, len, eocd_pos - 20, 20)?;
        if u32_at(&locator, 0) == ZIP64_LOCATOR_SIG {
            let record_pos = u64_at(&locator, 8);
            let record = read(file, len, record_pos, 56)?;
            if u32_at(&record, 0) != ZIP64_EOCD_SIG {
                return Err((None, "the ZIP64 end record is missing".to_string()));
            }
            if record_pos.checked_add(12 + u64_at(&record, 4)) != Some(eocd_pos - 20) {
                return Err((
                    None,
                    "data between the ZIP64 end record and the end record".to_string(),
                ));
            }
            count = u64_at(&record, 32);
            cd_size = u64_at(&record, 40);
            cd_offset = u64_at(&record, 48);
            cd_end = record_pos;
        }
    }
    Ok(EndRecords {
        count,
        cd_size,
        cd_offset,
        cd_end,
    })
}

/// Reads the central directory, entry by entry; the entries must fill its space exactly and be
/// as many as the end record says.
fn central_entries(
    file: &File,
    len: u64,
    cd_offset: u64,
    cd_size: u64,
    count: u64,
) -> Result<Vec<Central>, LayoutError> {
    let cd = read(
        file,
        len,
        cd_offset,
        usize::try_from(cd_size).unwrap_or(usize::MAX),
    )?;
    let mut entries = Vec::new();
    let mut i = 0usize;
    while i < cd.len() {
        let fixed = cd
            .get(i..i + 46)
            .filter(|h| u32_at(h, 0) == CENTRAL_SIG)
            .ok_or((
                None,
                format!(
                    "a malformed central directory entry at offset {}",
                    cd_offset + i as u64
                ),
            ))?;
        let n = usize::from(u16_at(fixed, 28));
        let m = usize::from(u16_at(fixed, 30));
        let k = usize::from(u16_at(fixed, 32));
        let name = cd
            .get(i + 46..i + 46 + n)
            .ok_or((
                None,
                "a central directory entry runs past its end".to_string(),
            ))?
            .to_vec();
        let extra = cd.get(i + 46 + n..i + 46 + n + m).ok_or((
            Some(display(&name)),
            "its central directory entry runs past the end of the central directory".to_string(),
        ))?;
        if cd.get(i + 46 + n + m..i + 46 + n + m + k).is_none() {
            return Err((
                Some(display(&name)),
                "its central directory entry runs past the end of the central directory"
                    .to_string(),
            ));
        }
        if u16_at(fixed, 34) != 0 {
            return Err((
                Some(display(&name)),
                "multi-disk archives are not supported".to_string(),
            ));
        }
        let mut e = Central {
            flags: u16_at(fixed, 8),
            method: u16_at(fixed, 10),
            crc: u32_at(fixed, 16),
            compressed: u64::from(u32_at(fixed, 20)),
            size: u64::from(u32_at(fixed, 24)),
            local_offset: u64::from(u32_at(fixed, 42)),
            name,
        };
        zip64_extra(
            extra,
            &mut e.size,
            &mut e.compressed,
            Some(&mut e.local_offset),
        )
        .map_err(|rule| (Some(display(&e.name)), rule))?;
        entries.push(e);
        i += 46 + n + m + k;
    }
    if entries.len() as u64 != count {
        return Err((
            None,
            format!(
                "the end record says {count} members but the central directory holds {}: the \
                 central directory lies about its count",
                entries.len()
            ),
        ));
    }

    Ok(entries)
}

/// Checks a member's local header (and data descriptor) against its central entry; returns
/// where the member's data starts and where the member ends.
fn local_member(
    window: &mut Window,
    e: &Central,
    cd_offset: u64,
) -> Result<(u64, u64), LayoutError> {
    let len = window.len;
    let who = || Some(display(&e.name));
    let disagree = |field: &str| {
        (
            who(),
            format!("its local header disagrees with the central directory ({field})"),
        )
    };
    let head = window
        .read(e.local_offset, 30)
        .map_err(|(_, r)| (who(), r))?;
    if u32_at(&head, 0) != LOCAL_SIG {
        return Err((
            who(),
            format!(
                "no local header at offset {} where the central directory points",
                e.local_offset
            ),
        ));
    }
    let n = usize::from(u16_at(&head, 26));
    let m = usize::from(u16_at(&head, 28));
    let rest = window
        .read(e.local_offset + 30, n + m)
        .map_err(|(_, r)| (who(), r))?;
    if rest[..n] != e.name[..] {
        return Err((
            who(),
            format!(
                "its local header names it `{}`: the local header disagrees with the \
                 central directory (name)",
                display(&rest[..n]).escape_default()
            ),
        ));
    }
    let flags = u16_at(&head, 6);
    // Encryption, data descriptor, strong encryption and UTF-8 name flags must agree.
    if flags & 0x0849 != e.flags & 0x0849 {
        return Err(disagree("flags"));
    }
    if u16_at(&head, 8) != e.method {
        return Err(disagree("compression method"));
    }
    let data_start = e.local_offset + 30 + (n + m) as u64;
    let data_end = data_start
        .checked_add(e.compressed)
        .filter(|end| *end <= len)
        .ok_or_else(|| (who(), "its data runs past the end of the file".to_string()))?;
    let mut end = data_end;
    if flags & 0x0008 == 0 {
        let mut size = u64::from(u32_at(&head, 22));
        let mut compressed = u64::from(u32_at(&head, 18));
        zip64_extra(&rest[n..], &mut size, &mut compressed, None).map_err(|rule| (who(), rule))?;
        if u32_at(&head, 14) != e.crc {
            return Err(disagree("CRC"));
        }
        if compressed != e.compressed {
            return Err(disagree("compressed size"));
        }
        if size != e.size {
            return Err(disagree("size"));
        }
    } else {
        // A data descriptor follows the data: optional signature, CRC, then 4- or 8-byte
        // sizes. It must agree with the central directory.
        let avail = usize::try_from((cd_offset.saturating_sub(data_end)).min(24)).unwrap_or(0);
        let d = window.read(data_end, avail).map_err(|(_, r)| (who(), r))?;
        let body = if d.len() >= 4 && u32_at(&d, 0) == DESCRIPTOR_SIG {
            &d[4..]
        } else {
            &d[..]
        };
        let sig = d.len() - body.len();
        let wide = e.compressed > u64::from(u32::MAX) - 1 || e.size > u64::from(u32::MAX) - 1;
        let (ok, used) = if wide && body.len() >= 20 {
            (
                u32_at(body, 0) == e.crc
                    && u64_at(body, 4) == e.compressed
                    && u64_at(body, 12) == e.size,
                20,
            )
        } else if !wide && body.len() >= 12 {
            (
                u32_at(body, 0) == e.crc
                    && u64::from(u32_at(body, 4)) == e.compressed
                    && u64::from(u32_at(body, 8)) == e.size,
                12,
            )
        } else {
            (false, 0)
        };
        if !ok {
            return Err(disagree("data descriptor"));
        }
        end = data_end + (sig + used) as u64;
    }
    Ok((data_start, end))
}

/// The members, as (start, end, entry) spans, must tile `[0, cd_offset)`: no overlap, no gap.
fn tile(
    mut spans: Vec<(u64, u64, usize)>,
    entries: &[Central],
    cd_offset: u64,
) -> Result<(), LayoutError> {
    spans.sort();
    let mut at = 0u64;
    for (start, end, idx) in spans {
        let who = Some(display(&entries[idx].name));
        if start < at {
            return Err((
                who,
                "it overlaps another member (a zip bomb or a smuggling attempt)".to_string(),
            ));
        }
        if start > at {
            return Err((
                who,
                if at == 0 {
                    format!("{start} bytes of data before the first member")
                } else {
                    format!("{} bytes before it that no member accounts for", start - at)
                },
            ));
        }
        at = end;
    }
    if at != cd_offset {
        return Err((
            None,
            format!(
                "{} bytes of data after the last member, before the central directory",
                cd_offset.saturating_sub(at)
            ),
        ));
    }
    Ok(())
}
