//! Errors that name what broke: the wheel, the member inside it, and the rule.
//!
//! Library code returns [`WheelError`] for anything a wheel did wrong, so the message always reads
//! `<wheel>: <member>: <rule>`. Errors about the environment or the machine use `anyhow` with
//! context at the edges. This module does not print anything.

use std::fmt;

/// Something a wheel did that winst refuses, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelError {
    /// The wheel's file name (not the full path: messages stay short and stable).
    pub wheel: String,
    /// The archive member, when the problem is in one.
    pub member: Option<String>,
    /// What rule was broken, phrased so the user knows what is wrong.
    pub rule: String,
}

impl WheelError {
    pub fn new(wheel: impl Into<String>, rule: impl Into<String>) -> Self {
        WheelError {
            wheel: wheel.into(),
            member: None,
            rule: rule.into(),
        }
    }

    pub fn member(
        wheel: impl Into<String>,
        member: impl Into<String>,
        rule: impl Into<String>,
    ) -> Self {
        WheelError {
            wheel: wheel.into(),
            member: Some(member.into()),
            rule: rule.into(),
        }
    }
}

/// Escapes control characters so a hostile name cannot move the cursor, color the terminal or
/// start a fake line.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

impl fmt::Display for WheelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (wheel, rule) = (printable(&self.wheel), printable(&self.rule));
        match &self.member {
            Some(member) => write!(f, "{wheel}: {}: {rule}", printable(member)),
            None => write!(f, "{wheel}: {rule}"),
        }
    }
}

impl std::error::Error for WheelError {}
