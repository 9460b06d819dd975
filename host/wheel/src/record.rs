//! The `RECORD` file format: CSV rows of `path,algorithm=digest,size`.
//!
//! Reads a wheel's RECORD (strictly: bad rows are errors, not skipped) and writes installed
//! RECORD rows. The hashes are urlsafe base64 without padding. Which files must be listed, and
//! checking them, is the job of `crate` and `winst_install::write`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

/// A hash algorithm RECORD may use: the spec names hashlib's guaranteed algorithms and asks for
/// sha256 or better, so md5, sha1, sha224 and sha3_224 are refused, and shake_128/shake_256 (no
/// fixed digest length) too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    /// BLAKE2b with hashlib's default 64-byte digest.
    Blake2b,
    /// BLAKE2s with hashlib's default 32-byte digest.
    Blake2s,
}

impl Algorithm {
    /// Every algorithm, for lookups by name.
    const ALL: [Algorithm; 8] = [
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
        Algorithm::Sha3_256,
        Algorithm::Sha3_384,
        Algorithm::Sha3_512,
        Algorithm::Blake2b,
        Algorithm::Blake2s,
    ];

    /// Its name in RECORD (hashlib's).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
            Algorithm::Sha3_256 => "sha3_256",
            Algorithm::Sha3_384 => "sha3_384",
            Algorithm::Sha3_512 => "sha3_512",
            Algorithm::Blake2b => "blake2b",
            Algorithm::Blake2s => "blake2s",
        }
    }

    /// Its digests' length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Sha256 | Algorithm::Sha3_256 | Algorithm::Blake2s => 32,
            Algorithm::Sha384 | Algorithm::Sha3_384 => 48,
            Algorithm::Sha512 | Algorithm::Sha3_512 | Algorithm::Blake2b => 64,
        }
    }
}

/// A digest from RECORD.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Serialized as its bytes (a cache manifest keeps checked RECORD hashes).
impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = Digest;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a digest of at most 64 bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Digest, E> {
                Digest::new(v).ok_or_else(|| E::invalid_length(v.len(), &self))
            }
        }
        deserializer.deserialize_bytes(Bytes)
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
        let Some(algorithm) = Algorithm::ALL.into_iter().find(|a| a.name() == alg) else {
            let why = match alg {
                "md5" | "sha1" | "sha224" | "sha3_224" => "weaker than sha256",
                "shake_128" | "shake_256" => "without a fixed digest length",
                _ => "not one of hashlib's names RECORD may use",
            };
            return Err(format!(
                "hash algorithm `{alg}` is not allowed: {why} (allowed: sha256, sha384, sha512, \
                 sha3_256, sha3_384, sha3_512, blake2b, blake2s)"
            ));
        };
        let expected_len = algorithm.digest_len();
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
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
    Blake2b(blake2::Blake2b512),
    Blake2s(blake2::Blake2s256),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            Algorithm::Sha3_256 => Hasher::Sha3_256(sha3::Sha3_256::new()),
            Algorithm::Sha3_384 => Hasher::Sha3_384(sha3::Sha3_384::new()),
            Algorithm::Sha3_512 => Hasher::Sha3_512(sha3::Sha3_512::new()),
            Algorithm::Blake2b => Hasher::Blake2b(blake2::Blake2b512::new()),
            Algorithm::Blake2s => Hasher::Blake2s(blake2::Blake2s256::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Sha3_256(h) => h.update(data),
            Hasher::Sha3_384(h) => h.update(data),
            Hasher::Sha3_512(h) => h.update(data),
            Hasher::Blake2b(h) => h.update(data),
            Hasher::Blake2s(h) => h.update(data),
        }
    }

    /// The digest ([`Algorithm::digest_len`] bytes: 32, 48 or 64).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finish().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Sha3_256(h) => h.finalize().to_vec(),
            Hasher::Sha3_384(h) => h.finalize().to_vec(),
            Hasher::Sha3_512(h) => h.finalize().to_vec(),
            Hasher::Blake2b(h) => h.finalize().to_vec(),
            Hasher::Blake2s(h) => h.finalize().to_vec(),
        }
    }
}

/// `algorithm=<urlsafe base64>` as RECORD spells a hash.
pub fn format_hash(h: &RecordHash) -> String {
    format!(
        "{}={}",
        h.algorithm.name(),
        URL_SAFE_NO_PAD.encode(&*h.digest)
    )
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
    // One allocation for the rows (about 100 bytes each): growing the vector row by row was a
    // third of opening a wheel from the cache.
    let mut parsed = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    // A byte order mark before the first row is not part of its path (Python's csv module, read
    // as pip reads RECORD, would keep it in the path; no file is named so).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (number, line) in rows(text) {
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: String| format!("line {number}: {e}");
        let wrong_count =
            |found: usize| at(format!("expected 3 fields (path,hash,size), found {found}"));
        // Nearly every row has no quotes: its fields are the text between commas, borrowed.
        // A quoted row goes through the full CSV reader.
        let (path, hash, size): (Cow<str>, Cow<str>, Cow<str>) = if line.contains('"') {
            let fields = split_csv(line).map_err(at)?;
            let found = fields.len();
            let Ok([path, hash, size]) = <[String; 3]>::try_from(fields) else {
                return Err(wrong_count(found));
            };
            (path.into(), hash.into(), size.into())
        } else {
            let mut fields = line.split(',');
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some(path), Some(hash), Some(size), None) => {
                    (path.into(), hash.into(), size.into())
                }
                _ => return Err(wrong_count(line.split(',').count())),
            }
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
        parsed.push(RecordRow { path, hash, size });
    }
    Ok(parsed)
}

/// The rows of a RECORD (a wheel's or an installed one), each with the number of the line it
/// starts on (from 1), without its line end. Rows end as Python's csv module ends them: by `\r\n`,
/// `\n` or a lone `\r`, except inside a quoted field, which holds them (as the `csv` crate uv
/// reads RECORD with does; pip, which splits the lines first, drops them). So a row's line number
/// counts the line breaks inside the quoted fields of the rows before it.
pub fn rows(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut number = 1;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        if rest[..end].contains('"') {
            end = quoted_line_end(rest);
        }
        let line = &rest[..end];
        let next = if rest[end..].starts_with("\r\n") {
            end + 2
        } else {
            (end + 1).min(rest.len())
        };
        let row = (number, line);
        number += 1 + line_breaks(line);
        rest = &rest[next..];
        Some(row)
    })
}

/// How many line breaks `text` holds, a `\r\n` counting once.
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Where the row that starts `text` ends, line ends inside quoted fields not counting: quoting
/// is read as [`split_csv`] reads it (a quote opens a field only at its start).
fn quoted_line_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut quoted, mut at_start) = (false, true);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if quoted => {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
            b'"' if at_start => {
                quoted = true;
                at_start = false;
            }
            b'\r' | b'\n' if !quoted => return i,
            b',' if !quoted => at_start = true,
            _ if !quoted => at_start = false,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Splits one CSV line (RFC 4180 quoting, as Python's csv module writes it; a quote inside an
/// unquoted field is kept as it is, as that module reads it).
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

    /// Every algorithm hashes as Python's hashlib does: the digests of `abc` below are hashlib's
    /// (`hashlib.new(name, b"abc").hexdigest()`), and each round-trips through RECORD's form.
    #[test]
    fn every_algorithm_hashes_as_hashlib_does() {
        let known = [
            (
                "sha3_256",
                "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
            ),
            (
                "blake2s",
                "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
            ),
            (
                "blake2b",
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                 7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
            ),
        ];
        for (name, hex) in known {
            let algorithm = (Algorithm::ALL.into_iter())
                .find(|a| a.name() == name)
                .unwrap();
            let mut h = Hasher::new(algorithm);
            h.update(b"abc");
            let digest = h.finish();
            let hex_of = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
            assert_eq!(hex_of(&digest), hex, "{name}");
            assert_eq!(digest.len(), algorithm.digest_len());
            let text = format!("{name}={}", URL_SAFE_NO_PAD.encode(&digest));
            let parsed = RecordHash::parse(&text).unwrap();
            assert_eq!(parsed.algorithm, algorithm);
            assert_eq!(format_hash(&parsed), text);
        }
        for (refused, why) in [
            ("md5", "weaker than sha256"),
            ("sha1", "weaker than sha256"),
            ("sha224", "weaker than sha256"),
            ("sha3_224", "weaker than sha256"),
            ("shake_128", "without a fixed digest length"),
            ("BLAKE2B", "not one of hashlib's names"),
            ("sha3-256", "not one of hashlib's names"),
        ] {
            let e = RecordHash::parse(&format!("{refused}=AAAA")).unwrap_err();
            assert!(
                e.contains("is not allowed") && e.contains(why),
                "{refused}: {e}"
            );
        }
    }

    /// Line ends, a byte order mark and quotes as Python's csv module reads them (pip's reader).
    #[test]
    fn rows_are_read_as_pythons_csv_module_reads_them() {
        let h = "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
        let paths = |text: &str| -> Vec<String> {
            parse(text)
                .unwrap()
                .into_iter()
                .map(|r| r.path.into_owned())
                .collect()
        };
        for ends in ["\n", "\r\n", "\r"] {
            let text = format!("a.py,{h},0{ends}b.py,,{ends}c.py,,");
            assert_eq!(paths(&text), ["a.py", "b.py", "c.py"], "{ends:?}");
        }
        assert_eq!(paths(&format!("\u{feff}a.py,{h},0\n")), ["a.py"]);
        assert_eq!(paths("a\"b.py,,\n\"q\"x.py,,\n"), ["a\"b.py", "qx.py"]);
        // Line numbers count `\r\n` once.
        let e = parse("a.py,,\r\nb.py,,x\r\n").unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
        // A quoted field holds line ends (Python's csv module reading the file with
        // `newline=''`, and the `csv` crate, read these rows); a quote inside an unquoted field
        // opens nothing.
        assert_eq!(
            paths("x.py,,\n\"a\nb/\",,\nc.py,,\n"),
            ["x.py", "a\nb/", "c.py"]
        );
        assert_eq!(paths("\"a\r\nb\",,\r\nc,,\r\n"), ["a\r\nb", "c"]);
        assert_eq!(paths("\"a\"\"\nb\",,\nc,,"), ["a\"\nb", "c"]);
        assert_eq!(paths("a\"b,,\nc\",,\n"), ["a\"b", "c\""]);
        // A quote left open runs to the end, and is refused.
        let e = parse("x.py,,\n\"open,,\nlast.py,,\n").unwrap_err();
        assert!(e.contains("unterminated"), "{e}");
        // An error's line number is the line an editor shows: the line breaks inside a quoted
        // field before it count.
        let e = parse("\"a\nb\r\nc\rd\",,\ne.py,,x\n").unwrap_err();
        assert!(e.starts_with("line 5: e.py: "), "{e}");
        let starts: Vec<usize> = rows("a,,\r\n\"b\n\n\",,\nc,,").map(|(n, _)| n).collect();
        assert_eq!(starts, [1, 2, 5]);
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
        assert!(
            parse("a.py,,\n,,\n")
                .unwrap_err()
                .starts_with("line 2: empty path")
        );
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
