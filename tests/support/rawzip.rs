//! A byte-level zip writer for hostile archives: every field of the local headers, the central
//! directory and the end record can be set independently, which no zip library allows.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// One member as it will be written.
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: Vec<u8>,
    /// The bytes stored in the archive (already compressed when `method` is 8).
    pub data: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    /// Uncompressed size, as declared.
    pub size: u32,
    pub external_attr: u32,
    /// Overrides for the local header only (to make it disagree with the central directory).
    pub local_name: Option<Vec<u8>>,
    pub local_crc: Option<u32>,
    pub local_size: Option<u32>,
    pub local_compressed: Option<u32>,
    pub local_method: Option<u16>,
    /// Point the central entry at another entry's local header (overlapping members).
    pub share_local_of: Option<usize>,
    /// Point the central entry at this absolute offset instead.
    pub local_offset: Option<u32>,
    /// Write no local header or data for this member (its central entry points elsewhere).
    pub no_local: bool,
    /// Bytes written after this member's data (a gap no member accounts for).
    pub gap_after: Vec<u8>,
}

impl RawEntry {
    /// A stored member.
    pub fn stored(name: &str, contents: &[u8]) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            data: contents.to_vec(),
            method: 0,
            flags: 0x0800,
            crc: crc32(contents),
            size: contents.len() as u32,
            external_attr: 0o100644 << 16,
            local_name: None,
            local_crc: None,
            local_size: None,
            local_compressed: None,
            local_method: None,
            share_local_of: None,
            local_offset: None,
            no_local: false,
            gap_after: Vec::new(),
        }
    }

    /// A deflated member.
    pub fn deflated(name: &str, contents: &[u8]) -> RawEntry {
        let mut e = RawEntry::stored(name, contents);
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(contents).unwrap();
        e.data = enc.finish().unwrap();
        e.method = 8;
        e
    }
}

impl RawEntry {
    /// This member's local header (with the local overrides).
    pub fn local_header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let name = self.local_name.as_ref().unwrap_or(&self.name);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(self.flags.to_le_bytes());
        out.extend(self.local_method.unwrap_or(self.method).to_le_bytes());
        out.extend([0, 0, 0x21, 0]); // time, date
        out.extend(self.local_crc.unwrap_or(self.crc).to_le_bytes());
        out.extend(
            self.local_compressed
                .unwrap_or(self.data.len() as u32)
                .to_le_bytes(),
        );
        out.extend(self.local_size.unwrap_or(self.size).to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name);
        out
    }
}

/// An archive under construction.
#[derive(Clone, Debug, Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
    /// Bytes before the first local header (offsets account for them).
    pub prefix: Vec<u8>,
    /// Bytes between the last member and the central directory.
    pub before_cd: Vec<u8>,
    /// Bytes after the end record (not counted as its comment).
    pub trailing: Vec<u8>,
    /// Overrides of the end record's member count and central directory offset.
    pub eocd_count: Option<u16>,
    pub eocd_cd_offset: Option<u32>,
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

impl RawZip {
    /// The members of an existing (valid) zip file, stored, in their order.
    pub fn from_wheel(path: &Path) -> RawZip {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            let mut e = RawEntry::stored(&f.name().unwrap(), &bytes);
            if let Some(mode) = f.unix_mode() {
                e.external_attr = mode << 16;
            }
            entries.push(e);
        }
        RawZip {
            entries,
            ..RawZip::default()
        }
    }

    /// The index of the member named `name`.
    pub fn find(&self, name: &str) -> usize {
        self.entries
            .iter()
            .position(|e| e.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no member {name}"))
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let mut offsets = Vec::new();
        for e in &self.entries {
            offsets.push(out.len() as u32);
            if e.no_local {
                continue;
            }
            out.extend(e.local_header());
            out.extend(&e.data);
            out.extend(&e.gap_after);
        }
        out.extend(&self.before_cd);
        let cd_start = out.len() as u32;
        for (i, e) in self.entries.iter().enumerate() {
            let offset = e
                .local_offset
                .unwrap_or(offsets[e.share_local_of.unwrap_or(i)]);
            out.extend(0x0201_4b50u32.to_le_bytes());
            out.extend((0x0300u16 | 20).to_le_bytes()); // made by unix
            out.extend(20u16.to_le_bytes());
            out.extend(e.flags.to_le_bytes());
            out.extend(e.method.to_le_bytes());
            out.extend([0, 0, 0x21, 0]);
            out.extend(e.crc.to_le_bytes());
            out.extend((e.data.len() as u32).to_le_bytes());
            out.extend(e.size.to_le_bytes());
            out.extend((e.name.len() as u16).to_le_bytes());
            out.extend([0u8; 8]); // extra len, comment len, disk, internal attr
            out.extend(e.external_attr.to_le_bytes());
            out.extend(offset.to_le_bytes());
            out.extend(&e.name);
        }
        let cd_size = out.len() as u32 - cd_start;
        let count = self.eocd_count.unwrap_or(self.entries.len() as u16);
        out.extend(0x0605_4b50u32.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(cd_size.to_le_bytes());
        out.extend(self.eocd_cd_offset.unwrap_or(cd_start).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(&self.trailing);
        out
    }

    /// Writes the archive as `dir/file_name`.
    pub fn write(&self, dir: &Path, file_name: &str) -> PathBuf {
        let path = dir.join(file_name);
        std::fs::write(&path, self.bytes()).unwrap();
        path
    }
}
