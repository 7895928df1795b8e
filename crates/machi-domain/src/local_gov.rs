//! 全国地方公共団体コード (local-government code).
//!
//! Source: 総務省「全国地方公共団体コード」and JIS X 0401/0402. The code has
//! five digits (two for the prefecture, three for the municipality) and a
//! sixth check digit: multiply the five digits by 6, 5, 4, 3, 2, add, take the
//! remainder modulo 11, and the check digit is the last digit of 11 − remainder.
//! Example: 千代田区 13101 → 6+15+4+0+2 = 27, 27 mod 11 = 5, 11 − 5 = 6 → 131016.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A six-digit local-government code with a verified check digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LocalGovCode(String);

/// Why a text is not a local-government code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalGovCodeError {
    /// Not five or six ASCII digits.
    #[error("a local-government code has 5 or 6 digits: {0:?}")]
    Format(String),
    /// The sixth digit does not match.
    #[error("wrong check digit in {given:?}: expected {expected}")]
    CheckDigit {
        /// What was given.
        given: String,
        /// The correct six-digit code.
        expected: String,
    },
    /// The prefecture part is not 01–47.
    #[error("no prefecture {0:?}: the first two digits must be 01–47")]
    Prefecture(String),
}

impl LocalGovCode {
    /// The check digit for five digits.
    fn check_digit(five: &[u8]) -> u8 {
        let sum: u32 = five
            .iter()
            .zip([6u32, 5, 4, 3, 2])
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        u8::try_from((11 - sum % 11) % 10).unwrap_or(0) + b'0'
    }

    /// The six-digit code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefecture number (1–47).
    pub fn prefecture(&self) -> u8 {
        self.0[..2].parse().unwrap_or(0)
    }
}

impl FromStr for LocalGovCode {
    type Err = LocalGovCodeError;

    /// Reads six digits (checked) or five digits (the check digit is added).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let b = s.as_bytes();
        if !(b.len() == 5 || b.len() == 6) || !b.iter().all(u8::is_ascii_digit) {
            return Err(LocalGovCodeError::Format(s.to_owned()));
        }
        let pref: u8 = s[..2].parse().unwrap_or(0);
        if !(1..=47).contains(&pref) {
            return Err(LocalGovCodeError::Prefecture(s.to_owned()));
        }
        let check = Self::check_digit(&b[..5]);
        let expected = format!("{}{}", &s[..5], char::from(check));
        if b.len() == 6 && b[5] != check {
            return Err(LocalGovCodeError::CheckDigit {
                given: s.to_owned(),
                expected,
            });
        }
        Ok(LocalGovCode(expected))
    }
}

impl fmt::Display for LocalGovCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LocalGovCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for LocalGovCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LocalGovCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "全国地方公共団体コード: 6 digits with check digit (or 5 without)",
            "type": "string",
            "pattern": "^[0-9]{5,6}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_real_codes() {
        // 千代田区, 仙台市, 久留米市, 墨田区, 更別村 (総務省 code list).
        for code in ["131016", "041009", "402036", "131075", "016497"] {
            assert_eq!(
                code.parse::<LocalGovCode>().map(|c| c.0),
                Ok(code.to_owned()),
                "{code}"
            );
        }
        assert_eq!(
            "13101".parse::<LocalGovCode>().map(|c| c.0),
            Ok("131016".to_owned())
        );
        assert!(matches!(
            "131017".parse::<LocalGovCode>(),
            Err(LocalGovCodeError::CheckDigit { .. })
        ));
        assert!(matches!(
            "991234".parse::<LocalGovCode>(),
            Err(LocalGovCodeError::Prefecture(_))
        ));
        assert!(matches!(
            "13a01".parse::<LocalGovCode>(),
            Err(LocalGovCodeError::Format(_))
        ));
    }
}
