//! The manifest of a wheel-cache entry, on disk: what a warm install needs from the wheel without
//! opening its archive, and what the entry's files looked like when they were cached.
//!
//! A manifest holds the wheel's file name, its [`Listing`] (member list, the dist-info files
//! the open stage parses: `WHEEL`, `METADATA`, `entry_points.txt`, and RECORD, as the hashes the
//! filling install checked or, when it did not verify RECORD, as text) and, per cached file, its
//! size, sha256, executable bit and fill-time [`Stamp`]. Binary layout:
//!
//! ```text
//! magic   8 bytes   b"WINSTMF\0"
//! version u32 LE    FORMAT (a manifest of another version is not read: the entry is refilled)
//! crc32   u32 LE    of the body
//! length  u64 LE    of the body, in bytes
//! body    postcard  Manifest
//! ```
//!
//! Any damage (short file, wrong magic, version, length or checksum, a body that does not
//! decode) makes [`decode`] return `None`, and the wheel is opened from its archive and its
//! entry refilled: a damaged manifest costs a cold install of that wheel, never a wrong one.
//! The checksum finds accidents (a truncated write, a flipped bit), not an attacker with write
//! access to the cache (see [`crate::cache`] on what the cache trusts).
//!
//! Not here: where manifests live or when they are read ([`crate::cache`]).

use serde::{Deserialize, Serialize};
use winst_wheel::Listing;

const MAGIC: &[u8; 8] = b"WINSTMF\0";

/// The manifest format this build reads and writes.
pub const FORMAT: u32 = 5;

const HEADER: usize = 8 + 4 + 4 + 8;

/// A cache entry's manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The file name of the wheel the entry was filled from.
    pub wheel: String,
    /// The wheel's listing: its members and dist-info files.
    pub listing: Listing,
    /// Per member of the listing, in the same order: what was cached of it (`None` for
    /// directories, members that are rewritten when installed, and files whose fill failed).
    pub files: Vec<Option<Stored>>,
}

/// The manifest's bytes on disk. `None` only if it cannot be encoded.
pub fn encode(manifest: &Manifest) -> Option<Vec<u8>> {
    let body = postcard::to_stdvec(manifest).ok()?;
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

/// Reads a manifest; `None` when it is damaged or of another format version (see the module
/// doc).
pub fn decode(bytes: &[u8]) -> Option<Manifest> {
    let (header, body) = bytes.split_at_checked(HEADER)?;
    let (magic, rest) = header.split_at(8);
    let (version, rest) = rest.split_at(4);
    let (crc, len) = rest.split_at(4);
    if magic != MAGIC
        || u32::from_le_bytes(version.try_into().ok()?) != FORMAT
        || u64::from_le_bytes(len.try_into().ok()?) != body.len() as u64
        || u32::from_le_bytes(crc.try_into().ok()?) != crc32fast::hash(body)
    {
        return None;
    }
    let manifest: Manifest = postcard::from_bytes(body).ok()?;
    // One slot per listed member, or it was not written by `encode`.
    (manifest.files.len() == manifest.listing.members.len()).then_some(manifest)
}

/// One file of a cache entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub size: u64,
    pub sha256: [u8; 32],
    pub executable: bool,
    /// The cached file's inode as it was when the entry was filled (see [`crate::cache`] on
    /// how it guards cached files).
    pub(crate) stamp: Stamp,
}

/// What a cached file's inode looked like when it was cached: permission bits and modification
/// time in nanoseconds since the epoch. Compared with the file's `stat` before every placement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub mode: u32,
    pub mtime_ns: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let stored = |size| Stored {
            size,
            sha256: [7; 32],
            executable: false,
            stamp: Stamp {
                mode: 0o644,
                mtime_ns: 1,
            },
        };
        let member = |index, name: &str, size| winst_wheel::Member {
            index,
            name: name.into(),
            size,
            compressed_size: size,
            data_offset: 0,
            crc32: 0,
            deflated: false,
            executable: false,
            is_dir: false,
        };
        Manifest {
            wheel: "a-1.0-py3-none-any.whl".into(),
            listing: Listing {
                file_size: 100,
                members: vec![member(0, "b/x.py", 3), member(1, "a/y.py", 4)],
                dist_info_files: vec![("WHEEL".into(), "Wheel-Version: 1.0\n".into())],
                record: Some(vec![
                    Some(winst_wheel::record::RecordHash {
                        algorithm: winst_wheel::record::Algorithm::Sha256,
                        digest: winst_wheel::record::Digest::new(&[7; 32]).unwrap(),
                    }),
                    None,
                ]),
            },
            files: vec![Some(stored(3)), None],
        }
    }

    #[test]
    fn round_trips() {
        let bytes = encode(&sample()).unwrap();
        let m = decode(&bytes).unwrap();
        assert_eq!(m.wheel, "a-1.0-py3-none-any.whl");
        assert_eq!(m.files[0].as_ref().map(|s| s.size), Some(3));
        assert!(m.files[1].is_none());
        assert_eq!(m.listing.members[1].name, "a/y.py");
        let record = m.listing.record.unwrap();
        assert_eq!(
            record[0].as_ref().map(|h| &h.digest[..]),
            Some(&[7u8; 32][..])
        );
        assert!(record[1].is_none());
    }

    #[test]
    fn one_slot_per_member() {
        let mut m = sample();
        m.files.pop();
        assert!(decode(&encode(&m).unwrap()).is_none());
    }

    #[test]
    fn any_damage_is_refused() {
        let bytes = encode(&sample()).unwrap();
        // Every truncation, and a flipped bit anywhere.
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none(), "truncated to {n}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(decode(&b).is_none(), "bit flipped at {i}");
        }
        // Trailing bytes.
        let mut b = bytes.clone();
        b.push(0);
        assert!(decode(&b).is_none());
    }

    #[test]
    fn another_format_version_is_not_read() {
        let mut bytes = encode(&sample()).unwrap();
        bytes[8..12].copy_from_slice(&(FORMAT - 1).to_le_bytes());
        assert!(decode(&bytes).is_none());
    }
}
