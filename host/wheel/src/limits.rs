//! `--untrusted`: resource limits and stricter rules for wheels from unknown sources.
//!
//! Limits are checked against the sizes the archive declares, before anything is written; the
//! write stage then stops any member that inflates past its declared size (see
//! `winst_install::write`), so a member that lies is cut off at its limit, not after filling the disk.
//! The stricter rules refuse what a trusted install lets through: `.pth` files (code run at every
//! interpreter start), executable bits outside the scripts directory, and wheels whose RECORD
//! cannot be verified. Not here: the rules every wheel must follow (see
//! [`crate::archive`] and [`crate::container`]).

use serde::{Deserialize, Serialize};

use crate::archive::Archive;

/// The limits of untrusted mode. Sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct UntrustedLimits {
    /// All members of one wheel, uncompressed.
    pub max_total_size: u64,
    /// One member, uncompressed.
    pub max_member_size: u64,
    /// Uncompressed over compressed size, for the whole wheel and for each member over 1 MiB.
    pub max_ratio: u64,
    /// Members in one wheel.
    pub max_members: u64,
    /// Bytes in one member path.
    pub max_path_length: u64,
    /// Components in one member path.
    pub max_path_depth: u64,
    /// METADATA, WHEEL, RECORD and entry_points.txt, each.
    pub max_metadata_size: u64,
    /// Let `.pth` files (and `sitecustomize.py`, `usercustomize.py`) into site-packages.
    pub allow_pth: bool,
    /// Let executable files outside the scripts directory in.
    pub allow_executable: bool,
}

impl Default for UntrustedLimits {
    fn default() -> Self {
        UntrustedLimits {
            max_total_size: 2 << 30,
            max_member_size: 512 << 20,
            max_ratio: 100,
            max_members: 100_000,
            max_path_length: 512,
            max_path_depth: 32,
            max_metadata_size: 4 << 20,
            allow_pth: false,
            allow_executable: false,
        }
    }
}

/// Members smaller than this are not held to the ratio limit on their own (tiny files of
/// repeated text compress very well and are harmless).
const RATIO_FLOOR: u64 = 1 << 20;

/// `1.5 GiB`-style rendering of a byte count.
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses `123`, `64KiB`, `512MiB`, `2GiB`, `1.5G`, `100MB` into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (like 512MiB or 2GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit (use B, KiB, MiB, GiB or TiB)"
            ));
        }
    };
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as u64)
}

/// A broken limit: the member it is about (if any) and the rule.
pub(crate) type LimitError = (Option<String>, String);

impl UntrustedLimits {
    /// Checks the archive's declared sizes, counts and paths, before anything is read.
    pub(crate) fn check_archive(&self, archive: &Archive) -> Result<(), LimitError> {
        let over = |what: &str, value: String, limit: String, flag: &str| {
            format!("{what} {value}, over the untrusted limit of {limit} (--{flag})")
        };
        if archive.members.len() as u64 > self.max_members {
            return Err((
                None,
                over(
                    "the archive has",
                    format!("{} members", archive.members.len()),
                    self.max_members.to_string(),
                    "max-members",
                ),
            ));
        }
        let mut total = 0u64;
        for m in &archive.members {
            let who = || Some(m.name.clone());
            if m.name.len() as u64 > self.max_path_length {
                return Err((
                    who(),
                    over(
                        "its path is",
                        format!("{} bytes", m.name.len()),
                        format!("{} bytes", self.max_path_length),
                        "max-path-length",
                    ),
                ));
            }
            let depth = m.name.trim_end_matches('/').split('/').count() as u64;
            if depth > self.max_path_depth {
                return Err((
                    who(),
                    over(
                        "its path is",
                        format!("{depth} levels deep"),
                        self.max_path_depth.to_string(),
                        "max-path-depth",
                    ),
                ));
            }
            if m.size > self.max_member_size {
                return Err((
                    who(),
                    over(
                        "it is",
                        format!("{} uncompressed", human(m.size)),
                        human(self.max_member_size),
                        "max-member-size",
                    ),
                ));
            }
            if m.size >= RATIO_FLOOR && m.size / m.compressed_size.max(1) > self.max_ratio {
                return Err((
                    who(),
                    over(
                        "it inflates",
                        format!(
                            "{}:1 ({} from {})",
                            m.size / m.compressed_size.max(1),
                            human(m.size),
                            human(m.compressed_size)
                        ),
                        format!("{}:1", self.max_ratio),
                        "max-ratio",
                    ),
                ));
            }
            total = total.saturating_add(m.size);
            if total > self.max_total_size {
                return Err((
                    None,
                    over(
                        "its members add up to more than",
                        human(total),
                        human(self.max_total_size),
                        "max-total-size",
                    ),
                ));
            }
        }
        if total >= RATIO_FLOOR && total / archive.file_size.max(1) > self.max_ratio {
            return Err((
                None,
                over(
                    "it inflates",
                    format!(
                        "{}:1 ({} from a {} file)",
                        total / archive.file_size.max(1),
                        human(total),
                        human(archive.file_size)
                    ),
                    format!("{}:1", self.max_ratio),
                    "max-ratio",
                ),
            ));
        }
        Ok(())
    }

    /// The stricter rule on what the members are: no executable bits outside the scripts
    /// directory. (Where files land, `.pth` files among them, is checked by the plan.)
    pub(crate) fn check_members(
        &self,
        archive: &Archive,
        data_dir: &str,
    ) -> Result<(), LimitError> {
        let scripts = format!("{data_dir}/scripts/");
        for m in archive.members.iter().filter(|m| !m.is_dir) {
            if !self.allow_executable && m.executable && !m.name.starts_with(&scripts) {
                return Err((
                    Some(m.name.clone()),
                    "an executable file outside the scripts directory; refused in untrusted mode \
                     (--allow-executable lets it in)"
                        .to_string(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
        assert_eq!(human(3 << 30), "3.0 GiB");
    }
}
