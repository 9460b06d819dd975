//! Wheel file names: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
//!
//! Parses and validates the name; expands compressed tag sets (`py2.py3-none-any`). Knows nothing
//! about which tags an interpreter supports (that is `winst_python::tags`).

use crate::name;

/// The parts of a wheel's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    pub name: String,
    pub version: String,
    pub build: Option<String>,
    pub python: Vec<String>,
    pub abi: Vec<String>,
    pub platform: Vec<String>,
}

impl WheelFilename {
    /// Parses a file name (not a path). The error says which rule the name breaks.
    pub fn parse(file_name: &str) -> Result<Self, String> {
        let stem = file_name
            .strip_suffix(".whl")
            .ok_or_else(|| "a wheel's file name must end in .whl".to_string())?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, [*p, *a, *pl]),
            [n, v, b, p, a, pl] => (*n, *v, Some(*b), [*p, *a, *pl]),
            _ => {
                return Err(
                    "a wheel's file name must be name-version(-build)?-python-abi-platform.whl"
                        .to_string(),
                );
            }
        };
        if !name::is_valid_project_name(name) {
            return Err(format!("`{name}` is not a valid project name"));
        }
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'!'))
        {
            return Err(format!("`{version}` is not a valid version"));
        }
        // A digit, then anything pip and `packaging` take (setuptools' editable wheels are
        // `NAME-VERSION-0.editable-py3-none-any.whl`).
        if let Some(b) = build
            && (!b.starts_with(|c: char| c.is_ascii_digit())
                || !b
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'+')))
        {
            return Err(format!(
                "build tag `{b}` must start with a digit (then letters, digits, `_`, `.`, `+`)"
            ));
        }
        let split = |s: &str| -> Result<Vec<String>, String> {
            let v: Vec<String> = s.split('.').map(str::to_string).collect();
            if v.iter()
                .any(|t| t.is_empty() || !t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
            {
                return Err(format!("`{s}` is not a valid compatibility tag"));
            }
            Ok(v)
        };
        Ok(WheelFilename {
            name: name.to_string(),
            version: version.to_string(),
            build: build.map(str::to_string),
            python: split(tags[0])?,
            abi: split(tags[1])?,
            platform: split(tags[2])?,
        })
    }

    /// Every (python, abi, platform) triple the compressed tag set stands for.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.python.iter().flat_map(move |p| {
            self.abi.iter().flat_map(move |a| {
                self.platform
                    .iter()
                    .map(move |pl| (p.as_str(), a.as_str(), pl.as_str()))
            })
        })
    }

    /// The tag part as written: `py3-none-any`.
    pub fn tag_string(&self) -> String {
        format!(
            "{}-{}-{}",
            self.python.join("."),
            self.abi.join("."),
            self.platform.join(".")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_build_tagged_names() {
        let w = WheelFilename::parse(
            "numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name, "numpy");
        assert_eq!(w.version, "2.1.0");
        assert_eq!(w.platform.len(), 2);
        let b = WheelFilename::parse("foo-1.0-2_x-py2.py3-none-any.whl").unwrap();
        assert_eq!(b.build.as_deref(), Some("2_x"));
        assert_eq!(b.tags().count(), 2);
        assert_eq!(b.tag_string(), "py2.py3-none-any");
        let e = WheelFilename::parse("st_src-0.1-0.editable-py3-none-any.whl").unwrap();
        assert_eq!(e.build.as_deref(), Some("0.editable"));
    }

    #[test]
    fn refuses_bad_names() {
        assert!(WheelFilename::parse("foo-1.0-py3-none-any.zip").is_err());
        assert!(WheelFilename::parse("foo-py3-none-any.whl").is_err());
        assert!(WheelFilename::parse("foo-1.0-x-py3-none-any.whl").is_err());
        assert!(WheelFilename::parse("..-1.0-py3-none-any.whl").is_err());
        assert!(WheelFilename::parse("foo-1.0-py3-none-any/x.whl").is_err());
    }
}
