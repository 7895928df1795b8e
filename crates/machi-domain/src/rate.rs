//! Rates (discount, interest, inflation, subsidy) as exact decimals.
//!
//! A rate written `0.04` or `4%` in a project file stays exactly 0.04: money
//! computed from it (a subsidy at 1/2, interest at 1.2%) is rounded once, at
//! the end, with a stated rule. Floating point is used only where a rate feeds
//! root finding or discounting, through [`Rate::to_f64`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rate as an exact decimal fraction: 0.04 means 4% a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(Decimal);

/// Why a text could not be read as a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a rate: {0:?} (write 0.04, \"4%\" or \"1/2\")")]
pub struct RateParseError(pub String);

impl Rate {
    /// 0%.
    pub const ZERO: Rate = Rate(Decimal::ZERO);

    /// The rate `d` (0.04 for 4%).
    pub const fn new(d: Decimal) -> Rate {
        Rate(d)
    }

    /// The exact decimal value.
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// The value as `f64`, for discounting and root finding.
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// Formats as a percentage with up to `dp` decimals: `4%`, `1.25%`.
    pub fn percent(self, dp: u32) -> String {
        let p = (self.0 * Decimal::ONE_HUNDRED).round_dp(dp).normalize();
        format!("{p}%")
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl FromStr for Rate {
    type Err = RateParseError;

    /// Reads `0.04`, `4%`, `4.5 %`, `1/2` and `２分の１` forms (`1/2`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RateParseError(s.to_owned());
        let t: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '％' => '%',
                '．' => '.',
                '／' => '/',
                c => c,
            })
            .collect();
        if t.is_empty() {
            return Err(err());
        }
        if let Some(p) = t.strip_suffix('%') {
            let d = Decimal::from_str(p).map_err(|_| err())?;
            return Ok(Rate(d / Decimal::ONE_HUNDRED));
        }
        // 2分の1 (Japanese order: denominator first) and 1/2.
        let frac = t
            .split_once("分の")
            .map(|(den, num)| (num, den))
            .or_else(|| t.split_once('/'));
        if let Some((num, den)) = frac {
            let num = Decimal::from_str(num).map_err(|_| err())?;
            let den = Decimal::from_str(den).map_err(|_| err())?;
            if den.is_zero() {
                return Err(err());
            }
            return num.checked_div(den).map(Rate).ok_or_else(err);
        }
        Decimal::from_str(&t)
            .or_else(|_| Decimal::from_scientific(&t))
            .map(Rate)
            .map_err(|_| err())
    }
}

impl Serialize for Rate {
    /// As a string, so that JSON keeps the exact decimal.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    /// Accepts a number (`0.04`) or a string (`"4%"`, `"0.04"`, `"1/2"`). A
    /// number is read through its shortest decimal form, so `0.04` in TOML
    /// becomes exactly 0.04, not the nearest binary fraction.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate such as 0.04 or \"4%\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Rate, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Rate, E> {
                if !v.is_finite() {
                    return Err(E::custom(RateParseError(v.to_string())));
                }
                // Rust prints the shortest string that round-trips.
                format!("{v}").parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Rate, E> {
                Ok(Rate(Decimal::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Rate, E> {
                Ok(Rate(Decimal::from(v)))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Rate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A rate as a decimal fraction (0.04 = 4%), or a string \"4%\", \"0.04\" or \"1/2\".",
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": "^\\s*-?[0-9.]+\\s*(%|/\\s*[0-9.]+)?\\s*$"}]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        let r = |s: &str| s.parse::<Rate>().expect(s).get();
        assert_eq!(r("0.04"), Decimal::new(4, 2));
        assert_eq!(r("4%"), Decimal::new(4, 2));
        assert_eq!(r("1.2 %"), Decimal::new(12, 3));
        assert_eq!(r("1/2"), Decimal::new(5, 1));
        assert_eq!(r("2分の1"), Decimal::new(5, 1));
        assert!("".parse::<Rate>().is_err());
        assert!("1/0".parse::<Rate>().is_err());
        assert!("abc".parse::<Rate>().is_err());
        let from_toml: Rate = serde_json::from_str("0.04").expect("number");
        assert_eq!(from_toml.get(), Decimal::new(4, 2));
        assert_eq!(Rate::new(Decimal::new(125, 4)).percent(2), "1.25%");
    }
}
