//! Money: integer yen.
//!
//! Japanese public finance counts in whole yen (円); subsidies are fixed in
//! yen and usually rounded down to the thousand (千円未満切捨て, see
//! `REFERENCE.md`). Floating point never holds money in machi: `f64` appears
//! only inside root finding (IRR) and is rounded back to yen at the boundary.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize};

/// An amount of money in whole yen.
///
/// Arithmetic through `+`, `-` and [`Sum`] never wraps: it panics on
/// overflow. The project model bounds every cell by [`Yen::MAX_INPUT`] and
/// every sum by [`MAX_SUM`](crate::project::MAX_SUM), and the engine uses
/// the explicit `checked_*` methods ([`Yen::checked_add`],
/// [`Yen::checked_sum`], …), so a project that validation accepts evaluates
/// without panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Yen(pub i64);

/// Why a text could not be read as an amount of yen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an amount of yen: {0:?}")]
pub struct YenParseError(pub String);

/// How to show an amount (the units Japanese finance tables use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum YenUnit {
    /// `¥12,345,000`
    #[default]
    Yen,
    /// `12,345千円` (thousands, rounded half away from zero)
    Sen,
    /// `1,234.5万円` (ten-thousands, one decimal)
    Man,
    /// `1.2億円` (hundred-millions, one decimal)
    Oku,
}

impl Yen {
    /// Zero yen.
    pub const ZERO: Yen = Yen(0);
    /// The largest magnitude one cell may hold: ¥10 trillion (10兆円). The
    /// bound is machi's own, not a rule of public finance: far above any
    /// municipal project, small enough that 1,000 entries over 100
    /// fiscal years cannot overflow `i64` when summed
    /// ([`MAX_SUM`](crate::project::MAX_SUM)). It holds for amounts written
    /// in a file and for every amount a generator computes
    /// ([`try_expand`](crate::schedule::try_expand)).
    pub const MAX_INPUT: i64 = 10_000_000_000_000;

    /// The amount in yen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// `self + rhs`, or `None` on overflow.
    pub fn checked_add(self, rhs: Yen) -> Option<Yen> {
        self.0.checked_add(rhs.0).map(Yen)
    }

    /// `self - rhs`, or `None` on overflow.
    pub fn checked_sub(self, rhs: Yen) -> Option<Yen> {
        self.0.checked_sub(rhs.0).map(Yen)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Yen> {
        self.0.checked_mul(n).map(Yen)
    }

    /// `−self`, or `None` on overflow (only for `i64::MIN` yen).
    pub fn checked_neg(self) -> Option<Yen> {
        self.0.checked_neg().map(Yen)
    }

    /// The sum of `amounts`, or `None` as soon as a partial sum overflows.
    pub fn checked_sum<I: IntoIterator<Item = Yen>>(amounts: I) -> Option<Yen> {
        amounts
            .into_iter()
            .try_fold(Yen::ZERO, |acc, y| acc.checked_add(y))
    }

    /// The amount as an exact decimal.
    pub fn to_decimal(self) -> Decimal {
        Decimal::from(self.0)
    }

    /// The amount as `f64` (exact below 2^53 yen, about ¥9,007兆).
    #[expect(
        clippy::cast_precision_loss,
        reason = "exact for every bounded input; used only for root finding"
    )]
    pub fn to_f64(self) -> f64 {
        self.0 as f64
    }

    /// Rounds an exact decimal to whole yen, half away from zero (as Excel's
    /// `ROUND(x, 0)`). `None` if out of range.
    pub fn from_decimal_round(d: Decimal) -> Option<Yen> {
        d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .map(Yen)
    }

    /// Rounds an exact decimal down (towards −∞) to whole yen.
    pub fn from_decimal_floor(d: Decimal) -> Option<Yen> {
        d.floor().to_i64().map(Yen)
    }

    /// Rounds an exact decimal up (towards +∞) to whole yen.
    pub fn from_decimal_ceil(d: Decimal) -> Option<Yen> {
        d.ceil().to_i64().map(Yen)
    }

    /// Rounds `f64` yen to whole yen, half away from zero. `None` for NaN,
    /// infinities and values outside `i64`.
    pub fn from_f64_round(x: f64) -> Option<Yen> {
        if !x.is_finite() {
            return None;
        }
        Decimal::from_f64_retain(x).and_then(Yen::from_decimal_round)
    }

    /// Rounds down to a multiple of `unit` yen (e.g. 1,000 for 千円未満切捨て),
    /// towards zero for negative amounts as a grant is never negative.
    pub fn round_down_to(self, unit: i64) -> Yen {
        if unit <= 1 {
            return self;
        }
        Yen(self.0 - self.0 % unit)
    }

    /// Whether the amount lies within the bound accepted for one input cell.
    pub fn is_valid_input(self) -> bool {
        self.0.unsigned_abs() <= Self::MAX_INPUT.unsigned_abs()
    }

    /// Formats in the given unit, e.g. `¥12,345,000`, `12,345千円`,
    /// `1,234.5万円`, `1.2億円`. Negative amounts carry a leading `-`.
    pub fn format(self, unit: YenUnit) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = Decimal::from(self.0).abs();
        match unit {
            YenUnit::Yen => format!("{sign}¥{}", group(&abs.to_string())),
            YenUnit::Sen => {
                let v = (abs / Decimal::from(1_000))
                    .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
                format!("{sign}{}千円", group(&v.to_string()))
            }
            YenUnit::Man => format!("{sign}{}万円", one_decimal(abs / Decimal::from(10_000))),
            YenUnit::Oku => format!(
                "{sign}{}億円",
                one_decimal(abs / Decimal::from(100_000_000))
            ),
        }
    }
}

/// One decimal place, half away from zero, with thousands separators; a
/// trailing `.0` is dropped (`2,000万円`, not `2,000.0万円`).
fn one_decimal(v: Decimal) -> String {
    let r = v
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    let s = r.to_string();
    match s.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", group(int)),
        None => group(&s),
    }
}

/// Inserts thousands separators into a string of ASCII digits.
fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(YenUnit::Yen))
    }
}

impl FromStr for Yen {
    type Err = YenParseError;

    /// Reads `12345000`, `¥12,345,000`, `12,345,000円`, `12,345千円`,
    /// `1,234.5万円`, `1.2億円` and `3億5,000万円`; full-width digits are
    /// accepted. The result must be a whole number of yen.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || YenParseError(s.to_owned());
        let norm: String = s
            .trim()
            .chars()
            .filter_map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
                '，' | ',' | ' ' | '　' | '_' => None,
                '．' => Some('.'),
                '￥' | '¥' | '\\' => None,
                'ー' | '－' | '−' | '▲' | '△' => Some('-'),
                c => Some(c),
            })
            .collect();
        let (neg, body) = match norm.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, norm.as_str()),
        };
        let body = body.strip_suffix('円').unwrap_or(body);
        if body.is_empty() {
            return Err(err());
        }
        // Split into (number, multiplier) parts: 3億5000万 → [(3, 1e8), (5000, 1e4)].
        let mut total = Decimal::ZERO;
        let mut rest = body;
        while !rest.is_empty() {
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (num, tail) = rest.split_at(end);
            if num.is_empty() {
                return Err(err());
            }
            let value = Decimal::from_str(num).map_err(|_| err())?;
            let (mult, tail) = if let Some(t) = tail.strip_prefix('兆') {
                (1_000_000_000_000_i64, t)
            } else if let Some(t) = tail.strip_prefix('億') {
                (100_000_000, t)
            } else if let Some(t) = tail.strip_prefix('万') {
                (10_000, t)
            } else if let Some(t) = tail.strip_prefix('千') {
                (1_000, t)
            } else if tail.is_empty() {
                (1, tail)
            } else {
                return Err(err());
            };
            total = value
                .checked_mul(Decimal::from(mult))
                .and_then(|v| total.checked_add(v))
                .ok_or_else(err)?;
            rest = tail;
        }
        if total.fract() != Decimal::ZERO {
            return Err(err());
        }
        let v = total.to_i64().ok_or_else(err)?;
        Ok(Yen(if neg { -v } else { v }))
    }
}

impl<'de> Deserialize<'de> for Yen {
    /// Accepts an integer (`12345000`) or a string in any form [`FromStr`]
    /// reads (`"1,234.5万円"`). A float is refused: money is never fractional.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Yen;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "whole yen: an integer such as 12345000 or a string such as \"1,234.5万円\"",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Yen, E> {
                Ok(Yen(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Yen, E> {
                i64::try_from(v)
                    .map(Yen)
                    .map_err(|_| E::custom(YenParseError(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Yen, E> {
                Err(E::custom(YenParseError(v.to_string())))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Yen, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Yen {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Yen".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Whole yen: an integer (12345000) or a string such as \"¥12,345,000\", \"12,345千円\", \"1,234.5万円\", \"1.2億円\".",
            "anyOf": [{"type": "integer"}, {"type": "string"}]
        })
    }
}

impl Add for Yen {
    type Output = Yen;
    fn add(self, rhs: Yen) -> Yen {
        self.checked_add(rhs)
            .expect("yen overflow: inputs are bounded by Yen::MAX_INPUT")
    }
}

impl Sub for Yen {
    type Output = Yen;
    fn sub(self, rhs: Yen) -> Yen {
        self.checked_sub(rhs)
            .expect("yen overflow: inputs are bounded by Yen::MAX_INPUT")
    }
}

impl Neg for Yen {
    type Output = Yen;
    fn neg(self) -> Yen {
        Yen(self
            .0
            .checked_neg()
            .expect("yen overflow: inputs are bounded by Yen::MAX_INPUT"))
    }
}

impl AddAssign for Yen {
    fn add_assign(&mut self, rhs: Yen) {
        *self = *self + rhs;
    }
}

impl SubAssign for Yen {
    fn sub_assign(&mut self, rhs: Yen) {
        *self = *self - rhs;
    }
}

impl Sum for Yen {
    fn sum<I: Iterator<Item = Yen>>(iter: I) -> Yen {
        iter.fold(Yen::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Yen> for Yen {
    fn sum<I: Iterator<Item = &'a Yen>>(iter: I) -> Yen {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_japanese_units() {
        let y = Yen(12_345_000);
        assert_eq!(y.format(YenUnit::Yen), "¥12,345,000");
        assert_eq!(y.format(YenUnit::Man), "1,234.5万円");
        assert_eq!(y.format(YenUnit::Sen), "12,345千円");
        assert_eq!(Yen(123_456_789).format(YenUnit::Oku), "1.2億円");
        assert_eq!(Yen(20_000_000).format(YenUnit::Man), "2,000万円");
        assert_eq!(Yen(-1_500).format(YenUnit::Yen), "-¥1,500");
        assert_eq!(Yen(1_500).format(YenUnit::Sen), "2千円");
        assert_eq!(Yen(0).format(YenUnit::Yen), "¥0");
        assert_eq!(Yen(999).format(YenUnit::Yen), "¥999");
        assert_eq!(Yen(250_000_000).format(YenUnit::Oku), "2.5億円");
    }

    #[test]
    fn parses_what_people_write() {
        for (text, yen) in [
            ("12345000", 12_345_000),
            ("¥12,345,000", 12_345_000),
            ("12,345,000円", 12_345_000),
            ("12,345千円", 12_345_000),
            ("1,234.5万円", 12_345_000),
            ("1.2億円", 120_000_000),
            ("2.5億", 250_000_000),
            ("3億5,000万円", 350_000_000),
            ("５０００万円", 50_000_000),
            ("-2,000", -2_000),
            ("▲2,000千円", -2_000_000),
        ] {
            assert_eq!(text.parse::<Yen>(), Ok(Yen(yen)), "{text}");
        }
        for bad in ["", "円", "abc", "1.5", "1.23456千円", "万円", "12ドル"] {
            assert!(bad.parse::<Yen>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn rounds_as_documented() {
        assert_eq!(Yen(25_432_100).round_down_to(1_000), Yen(25_432_000));
        assert_eq!(Yen::from_decimal_round(Decimal::new(25, 1)), Some(Yen(3)));
        assert_eq!(Yen::from_decimal_round(Decimal::new(-25, 1)), Some(Yen(-3)));
        assert_eq!(Yen::from_f64_round(f64::NAN), None);
        assert_eq!(Yen(i64::MAX).checked_add(Yen(1)), None);
        assert_eq!(Yen(i64::MIN).checked_neg(), None);
        assert_eq!(Yen::checked_sum([Yen(1), Yen(2)]), Some(Yen(3)));
        assert_eq!(Yen::checked_sum([Yen(i64::MAX), Yen(1), Yen(-5)]), None);
    }
}
