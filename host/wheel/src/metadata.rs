//! The RFC 822-style header files of a wheel: `WHEEL` and `METADATA`.
//!
//! A small, bounded parser: header lines `Key: value`, continuation lines starting with
//! whitespace, and a body after the first blank line (ignored). It rejects malformed lines rather
//! than guessing. It does not validate every core-metadata field, only what winst uses.

/// Parsed header fields, in file order; keys compare case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

/// The largest header block winst reads (the body, a long description, is not limited).
pub(crate) const MAX_HEADER_BYTES: usize = 1 << 20;

impl Headers {
    /// Parses the header block. Errors name the line and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut seen = 0usize;
        for (number, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            seen += line.len() + 1;
            if seen > MAX_HEADER_BYTES {
                return Err(format!(
                    "the header block is larger than {MAX_HEADER_BYTES} bytes"
                ));
            }
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                match fields.last_mut() {
                    Some((_, value)) => {
                        value.push('\n');
                        value.push_str(line.trim_start());
                    }
                    None => {
                        return Err(format!(
                            "line {}: a continuation line before any field",
                            number + 1
                        ));
                    }
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(format!(
                    "line {}: expected `Key: value`, found `{}`",
                    number + 1,
                    truncate(line)
                ));
            };
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(format!(
                    "line {}: `{}` is not a valid field name",
                    number + 1,
                    truncate(key)
                ));
            }
            fields.push((key.to_string(), value.trim().to_string()));
        }
        Ok(Headers { fields })
    }

    /// The first value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a (multiple-use) field, in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

fn truncate(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// What winst needs from the `WHEEL` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelInfo {
    pub wheel_version: (u32, u32),
    pub root_is_purelib: bool,
    /// Why `root_is_purelib` was read as false without a `false` field (missing or another
    /// value), for a warning.
    pub root_is_purelib_note: Option<String>,
    pub tags: Vec<String>,
    pub generator: Option<String>,
}

/// The highest `Wheel-Version` this installer implements.
pub const SUPPORTED_WHEEL_VERSION: (u32, u32) = (1, 0);

impl WheelInfo {
    pub fn parse(text: &str) -> Result<Self, String> {
        let h = Headers::parse(text)?;
        let version = h
            .get("Wheel-Version")
            .ok_or("missing the Wheel-Version field")?;
        let wheel_version = parse_wheel_version(version)
            .ok_or_else(|| format!("Wheel-Version `{version}` is not MAJOR.MINOR"))?;
        if wheel_version.0 > SUPPORTED_WHEEL_VERSION.0 {
            return Err(format!(
                "Wheel-Version {version} is not supported: winst installs wheels of version {}.x",
                SUPPORTED_WHEEL_VERSION.0
            ));
        }
        // As pip reads it: `true` in any case is purelib, anything else (or nothing) platlib.
        let raw = h.get("Root-Is-Purelib").map(str::trim);
        let root_is_purelib = raw.is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let root_is_purelib_note = match raw {
            Some(v) if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") => None,
            Some(v) => Some(format!(
                "Root-Is-Purelib is `{v}`, not true or false; installing the wheel's root into \
                 platlib, as pip does"
            )),
            None => Some(
                "has no Root-Is-Purelib field; installing the wheel's root into platlib, as pip \
                 does"
                    .to_string(),
            ),
        };
        Ok(WheelInfo {
            wheel_version,
            root_is_purelib,
            root_is_purelib_note,
            tags: h.get_all("Tag").map(str::to_string).collect(),
            generator: h.get("Generator").map(str::to_string),
        })
    }
}

fn parse_wheel_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What winst needs from `METADATA` (core metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoreMetadata {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
    pub license_expression: Option<String>,
    pub classifiers: Vec<String>,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    /// Every header field in file order, for plugins.
    #[serde(skip)]
    pub fields: Vec<(String, String)>,
}

impl CoreMetadata {
    pub fn parse(text: &str) -> Result<Self, String> {
        let h = Headers::parse(text)?;
        let name = h.get("Name").ok_or("missing the Name field")?.to_string();
        let version = h
            .get("Version")
            .ok_or("missing the Version field")?
            .to_string();
        Ok(CoreMetadata {
            name,
            version,
            license: h.get("License").map(str::to_string),
            license_expression: h.get("License-Expression").map(str::to_string),
            classifiers: h.get_all("Classifier").map(str::to_string).collect(),
            requires_dist: h.get_all("Requires-Dist").map(str::to_string).collect(),
            requires_python: h.get("Requires-Python").map(str::to_string),
            fields: h.fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wheel_file() {
        let w = WheelInfo::parse(
            "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.41)\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
        )
        .unwrap();
        assert!(!w.root_is_purelib);
        assert_eq!(w.wheel_version, (1, 0));
        assert_eq!(w.tags, ["cp311-cp311-linux_x86_64"]);
    }

    #[test]
    fn reads_root_is_purelib_as_pip_does() {
        let read = |field: &str| {
            let w = WheelInfo::parse(&format!("Wheel-Version: 1.0\n{field}")).unwrap();
            (w.root_is_purelib, w.root_is_purelib_note.is_some())
        };
        assert_eq!(read("Root-Is-Purelib: TRUE\n"), (true, false));
        assert_eq!(read("Root-Is-Purelib: false\n"), (false, false));
        assert_eq!(read("Root-Is-Purelib: yes\n"), (false, true));
        assert_eq!(read(""), (false, true));
    }

    #[test]
    fn refuses_future_major_and_garbage() {
        assert!(
            WheelInfo::parse("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(WheelInfo::parse("Root-Is-Purelib: true\n").is_err());
        assert!(Headers::parse("no colon here\n").is_err());
        assert!(Headers::parse(" continuation\n").is_err());
    }

    #[test]
    fn parses_metadata_with_continuations_and_body() {
        let m = CoreMetadata::parse(
            "Metadata-Version: 2.1\nName: Foo\nVersion: 1.0\nLicense: line one\n        line two\nRequires-Dist: bar>=1\nRequires-Dist: baz; extra == 'x'\n\nName: not-a-header\n",
        )
        .unwrap();
        assert_eq!(m.name, "Foo");
        assert_eq!(m.license.as_deref(), Some("line one\nline two"));
        assert_eq!(m.requires_dist.len(), 2);
    }
}
