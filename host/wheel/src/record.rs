//! The `RECORD` file format: CSV rows of `path,algorithm=digest,size`.
//!
//! Reads a wheel's RECORD (strictly: bad rows are errors, not skipped) and writes installed
//! RECORD rows. The hashes are urlsafe base64 without padding. Which files must be listed, and
//! checking them, is the job of `crate` and `winst_install::write`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

/// A hash algorithm RECORD may use (the spec forbids md5 and sha1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

/// A digest from RECORD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHash {
    pub algorithm: Algorithm,
    pub digest: Digest,
}

/// The bytes of a RECORD digest (32, 48 or 64), held inline: an install keeps one for each of
/// its files, and one allocation each was a third of what opening a wheel allocated. Reads as a
/// byte slice.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    len: u8,
    bytes: [u8; 64],
}

impl Digest {
    /// `None` when `bytes` is longer than the longest digest RECORD allows (64 bytes).
    pub fn new(bytes: &[u8]) -> Option<Digest> {
        let mut digest = Digest {
            len: u8::try_from(bytes.len()).ok().filter(|&n| n <= 64)?,
            bytes: [0; 64],
        };
        digest.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(digest)
    }
}

impl std::ops::Deref for Digest {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(&**self))
    }
}

impl RecordHash {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (alg, value) = s
            .split_once('=')
            .ok_or_else(|| format!("hash `{s}` is not algorithm=digest"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            other => {
                return Err(format!(
                    "hash algorithm `{other}` is not allowed (use sha256 or stronger)"
                ));
            }
        };
        let expected_len = match algorithm {
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
        };
        // Decoded into a buffer with room for one byte more than the digest, so that a value
        // too long is told from one of the right length.
        let wrong_length =
            || format!("hash `{s}` has the wrong length ({alg} digests are {expected_len} bytes)");
        let mut buf = [0u8; 65];
        let n = URL_SAFE_NO_PAD
            .decode_slice(value.trim_end_matches('='), &mut buf[..expected_len + 1])
            .map_err(|e| match e {
                base64::DecodeSliceError::OutputSliceTooSmall => wrong_length(),
                base64::DecodeSliceError::DecodeError(_) => {
                    format!("hash `{s}` is not urlsafe base64")
                }
            })?;
        if n != expected_len {
            return Err(wrong_length());
        }
        let digest = Digest::new(&buf[..n]).ok_or_else(wrong_length)?;
        Ok(RecordHash { algorithm, digest })
    }

    /// A running hasher of this hash's algorithm.
    pub fn hasher(&self) -> Hasher {
        Hasher::new(self.algorithm)
    }
}

/// A streaming SHA-256: the hash of installed RECORD rows and of wheel files, and the RECORD hash
/// nearly every wheel uses. The bulk hashing of an install (every written file, every wheel
/// file) goes through this type or [`sha256`], so the implementation is chosen here once: `sha2`,
/// which uses the CPU's SHA extensions (SHA-NI) where it has them, detected at run time (the
/// alternatives measured are in bench/README.md).
#[derive(Clone, Default)]
pub struct Sha256(sha2::Sha256);

impl Sha256 {
    pub fn new() -> Self {
        Sha256(sha2::Sha256::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The 32-byte digest.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(data);
    h.finish()
}

/// A streaming hasher for any allowed algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// The digest (32, 48 or 64 bytes).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finish().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// `algorithm=<urlsafe base64>` as RECORD spells a hash.
pub fn format_hash(h: &RecordHash) -> String {
    let alg = match h.algorithm {
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha384 => "sha384",
        Algorithm::Sha512 => "sha512",
    };
    format!("{alg}={}", URL_SAFE_NO_PAD.encode(&*h.digest))
}

/// `sha256=<urlsafe base64>` of a sha256 digest.
pub fn format_sha256(digest: &[u8]) -> String {
    format!("sha256={}", URL_SAFE_NO_PAD.encode(digest))
}

/// One row of a RECORD, its path borrowed from the RECORD text unless it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow<'a> {
    pub path: Cow<'a, str>,
    pub hash: Option<RecordHash>,
    pub size: Option<u64>,
}

/// Parses a whole RECORD. Errors name the line.
pub fn parse(text: &str) -> Result<Vec<RecordRow<'_>>, String> {
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", number + 1);
        // Nearly every row has no quotes: its fields are the text between commas, borrowed.
        // A quoted row goes through the full CSV reader.
        let fields: Vec<Cow<str>> = if line.contains('"') {
            let quoted = split_csv(line).map_err(at)?;
            quoted.into_iter().map(Cow::Owned).collect()
        } else {
            line.split(',').map(Cow::Borrowed).collect()
        };
        let Ok([path, hash, size]) = <[Cow<str>; 3]>::try_from(fields) else {
            let found = if line.contains('"') {
                split_csv(line).map_or(0, |f| f.len())
            } else {
                line.split(',').count()
            };
            return Err(at(format!(
                "expected 3 fields (path,hash,size), found {found}"
            )));
        };
        if path.is_empty() {
            return Err(at("empty path".to_string()));
        }
        let hash = if hash.is_empty() {
            None
        } else {
            Some(RecordHash::parse(&hash).map_err(|e| at(format!("{path}: {e}")))?)
        };
        let size = if size.is_empty() {
            None
        } else {
            Some(
                size.parse::<u64>()
                    .map_err(|_| at(format!("{path}: size `{size}` is not a number")))?,
            )
        };
        rows.push(RecordRow { path, hash, size });
    }
    Ok(rows)
}

/// Splits one CSV line (RFC 4180 quoting, as Python's csv module writes it).
pub fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
            at_start = true;
        } else if c == '"' {
            return Err("a quote inside an unquoted field".to_string());
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("an unterminated quoted field".to_string());
    }
    fields.push(field);
    Ok(fields)
}

/// Formats one installed RECORD row, quoting the path when CSV needs it.
pub fn format_row(path: &str, hash: Option<&str>, size: Option<u64>) -> String {
    let mut out = String::new();
    push_row(&mut out, path, hash.map(RowHash::Formatted), size);
    out
}

/// The hash column of a row being written: as written already (`sha256=...`), or a SHA-256
/// digest to write in RECORD's form.
#[derive(Clone, Copy)]
pub enum RowHash<'a> {
    Formatted(&'a str),
    Sha256(&'a [u8; 32]),
}

/// Appends one installed RECORD row (with its `\n`) to `out`, as [`format_row`] makes it, without
/// allocating anything but `out`'s growth: an install writes one row per file.
pub fn push_row(out: &mut String, path: &str, hash: Option<RowHash>, size: Option<u64>) {
    if path.contains([',', '"', '\n', '\r']) {
        out.push('"');
        for (i, part) in path.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(path);
    }
    out.push(',');
    match hash {
        Some(RowHash::Formatted(h)) => out.push_str(h),
        Some(RowHash::Sha256(digest)) => {
            out.push_str("sha256=");
            URL_SAFE_NO_PAD.encode_string(digest, out);
        }
        None => {}
    }
    out.push(',');
    if let Some(size) = size {
        use std::fmt::Write as _;
        let _ = write!(out, "{size}");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_quotes() {
        let rows = parse(
            "a/b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"we,ird.py\",,\nx.dist-info/RECORD,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].size, Some(0));
        assert_eq!(rows[1].path, "we,ird.py");
        assert!(rows[2].hash.is_none());
        assert_eq!(
            format_row("we,ird.py", None, None),
            "\"we,ird.py\",,\n".to_string()
        );
    }

    #[test]
    fn rows_pushed_are_rows_formatted() {
        let digest = [7u8; 32];
        let hash = format_sha256(&digest);
        for path in ["a/b.py", "we,ird.py", "q\"uo\"te.py", "new\nline", "", "\""] {
            for size in [None, Some(0), Some(1234567)] {
                let mut pushed = String::from("before\n");
                push_row(&mut pushed, path, Some(RowHash::Sha256(&digest)), size);
                let expected = format!("before\n{}", format_row(path, Some(&hash), size));
                assert_eq!(pushed, expected);
                // What was pushed reads back as the row it was made from (the reader takes
                // one row per line, and refuses an empty path).
                if !path.is_empty() && !path.contains('\n') {
                    let row = &parse(&pushed["before\n".len()..]).unwrap()[0];
                    assert_eq!((&*row.path, row.size), (path, size));
                }
            }
        }
        assert_eq!(format_row("a\"b", None, None), "\"a\"\"b\",,\n");
    }

    #[test]
    fn rows_without_quotes_read_as_the_csv_reader_reads_them() {
        let hash = format_sha256(&[1u8; 32]);
        for line in [
            format!("a/b.py,{hash},12"),
            "x.dist-info/RECORD,,".to_string(),
            "a b/c d.py,,".to_string(),
            format!("a/b.py,{hash},12,extra"),
            "only,two".to_string(),
            ",,".to_string(),
        ] {
            let fields = split_csv(&line).unwrap();
            match parse(&line) {
                Ok(rows) => {
                    assert_eq!(fields.len(), 3, "{line}");
                    assert_eq!(rows[0].path, fields[0]);
                    assert_eq!(rows[0].size, fields[2].parse().ok());
                }
                Err(e) => assert!(
                    e.contains(&format!("found {}", fields.len())) || e.contains("empty path"),
                    "{line}: {e}"
                ),
            }
        }
    }

    #[test]
    fn digests_are_read_at_their_exact_length() {
        let sha512 = [9u8; 64];
        let text = format!("sha512={}", URL_SAFE_NO_PAD.encode(sha512));
        let h = RecordHash::parse(&text).unwrap();
        assert_eq!((h.algorithm, &*h.digest), (Algorithm::Sha512, &sha512[..]));
        assert_eq!(format_hash(&h), text);
        // One byte too many or too few, or what is not base64, is refused.
        for (digest, rule) in [
            (
                URL_SAFE_NO_PAD.encode([1u8; 33]),
                "wrong length (sha256 digests are 32 bytes)",
            ),
            (URL_SAFE_NO_PAD.encode([1u8; 31]), "wrong length"),
            (URL_SAFE_NO_PAD.encode([1u8; 65]), "wrong length"),
            ("not*base64".to_string(), "not urlsafe base64"),
        ] {
            let e = RecordHash::parse(&format!("sha256={digest}")).unwrap_err();
            assert!(e.contains(rule), "{digest}: {e}");
        }
        assert!(Digest::new(&[0u8; 65]).is_none());
        assert_eq!(&*Digest::new(&[1, 2, 3]).unwrap(), &[1, 2, 3]);
    }

    #[test]
    fn refuses_bad_rows() {
        assert!(parse("a,b\n").is_err());
        assert!(parse("a,md5=AAAA,1\n").is_err());
        assert!(
            parse("a,sha256=AAAA,1\n")
                .unwrap_err()
                .contains("wrong length")
        );
        assert!(parse("a,,x\n").is_err());
        assert!(parse("\"a,,\n").is_err());
    }

    #[test]
    fn empty_file_hash() {
        let mut h = Hasher::new(Algorithm::Sha256);
        h.update(b"");
        assert_eq!(
            format_sha256(&h.finish()),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }
}
