//! The Japanese fiscal year (年度): April 1 to March 31.
//!
//! Source: 財政法 (Public Finance Act) art. 11: 国の会計年度は、毎年四月一日に
//! 始まり、翌年三月三十一日に終るものとする; 地方自治法 art. 208 sets the same
//! year for local governments.
//!
//! A fiscal year is named by the calendar year it starts in: FY2024 runs from
//! 2024-04-01 to 2025-03-31 and is 令和6年度. Era labels follow the fiscal
//! year's start: FY2019 is 令和元年度 (the government's usage after the era
//! change on 2019-05-01), FY1989 is 平成元年度, FY1988 is 昭和63年度.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Japanese fiscal year, April–March, named by its starting calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i32);

/// Why a text could not be read as a fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a fiscal year: {0:?} (write FY2024, 2024, R6 or 令和6年度)")]
pub struct FiscalYearParseError(pub String);

/// A Japanese era (元号) used in fiscal-year labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 昭和 (1926-12-25 – 1989-01-07).
    Showa,
    /// 平成 (1989-01-08 – 2019-04-30).
    Heisei,
    /// 令和 (2019-05-01 –).
    Reiwa,
}

impl Era {
    /// The era's first calendar year (元年).
    const fn first_year(self) -> i32 {
        match self {
            Era::Showa => 1926,
            Era::Heisei => 1989,
            Era::Reiwa => 2019,
        }
    }

    /// Kanji name.
    pub const fn kanji(self) -> &'static str {
        match self {
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The one-letter romanisation used in short labels (S, H, R).
    pub const fn letter(self) -> char {
        match self {
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }
}

impl FiscalYear {
    /// The earliest fiscal year machi accepts (昭和元年度).
    pub const MIN: i32 = 1926;
    /// The latest fiscal year machi accepts.
    pub const MAX: i32 = 2200;

    /// The fiscal year starting in April of calendar year `year`; `None`
    /// outside [`FiscalYear::MIN`]..=[`FiscalYear::MAX`].
    pub const fn new(year: i32) -> Option<FiscalYear> {
        if year >= Self::MIN && year <= Self::MAX {
            Some(FiscalYear(year))
        } else {
            None
        }
    }

    /// The calendar year the fiscal year starts in (FY2024 → 2024).
    pub const fn year(self) -> i32 {
        self.0
    }

    /// The fiscal year a date falls in: April–December belong to the year
    /// that started that April, January–March to the previous one.
    pub fn from_date(date: NaiveDate) -> FiscalYear {
        let y = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        FiscalYear(y)
    }

    /// First day (April 1).
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).expect("April 1 exists in every year")
    }

    /// Last day (March 31 of the next calendar year).
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).expect("March 31 exists in every year")
    }

    /// The following fiscal year.
    pub const fn next(self) -> FiscalYear {
        FiscalYear(self.0 + 1)
    }

    /// `self + n` years.
    pub const fn plus(self, n: i32) -> FiscalYear {
        FiscalYear(self.0 + n)
    }

    /// Number of years from `earlier` to `self` (FY2026 − FY2024 = 2).
    pub const fn years_since(self, earlier: FiscalYear) -> i32 {
        self.0 - earlier.0
    }

    /// The era and the year within it (FY2024 → 令和, 6).
    pub fn era(self) -> (Era, i32) {
        let era = if self.0 >= Era::Reiwa.first_year() {
            Era::Reiwa
        } else if self.0 >= Era::Heisei.first_year() {
            Era::Heisei
        } else {
            Era::Showa
        };
        (era, self.0 - era.first_year() + 1)
    }

    /// `令和6年度`; the first year of an era is 元年度.
    pub fn label_ja(self) -> String {
        let (era, n) = self.era();
        if n == 1 {
            format!("{}元年度", era.kanji())
        } else {
            format!("{}{}年度", era.kanji(), n)
        }
    }

    /// `FY2024`.
    pub fn label_en(self) -> String {
        format!("FY{}", self.0)
    }

    /// Short era form used in tables: `R6`.
    pub fn label_short(self) -> String {
        let (era, n) = self.era();
        format!("{}{}", era.letter(), n)
    }
}

impl fmt::Display for FiscalYear {
    /// `FY2024`: the language-neutral, machine-readable form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FY{}", self.0)
    }
}

impl FromStr for FiscalYear {
    type Err = FiscalYearParseError;

    /// Reads `FY2024`, `fy2024`, `2024`, `2024年度`, `令和6年度`, `令和元年度`,
    /// `R6`, `R6年度`, `H30`, `平成30年度` and the same with full-width digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FiscalYearParseError(s.to_owned());
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                c => c.to_ascii_uppercase(),
            })
            .collect();
        let body = norm.strip_suffix("年度").unwrap_or(&norm);
        let eras = [
            ("令和", Era::Reiwa),
            ("R", Era::Reiwa),
            ("平成", Era::Heisei),
            ("H", Era::Heisei),
            ("昭和", Era::Showa),
            ("S", Era::Showa),
        ];
        for (prefix, era) in eras {
            if let Some(n) = body.strip_prefix(prefix) {
                let n: i32 = if n == "元" {
                    1
                } else {
                    n.parse().map_err(|_| err())?
                };
                if n < 1 {
                    return Err(err());
                }
                return FiscalYear::new(era.first_year() + n - 1).ok_or_else(err);
            }
        }
        let digits = body.strip_prefix("FY").unwrap_or(body);
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        digits
            .parse()
            .ok()
            .and_then(FiscalYear::new)
            .ok_or_else(err)
    }
}

impl Serialize for FiscalYear {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FiscalYear {
    /// Accepts the strings [`FromStr`] reads and a bare integer year.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = FiscalYear;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fiscal year such as \"FY2024\", \"令和6年度\" or 2024")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FiscalYear, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FiscalYear, E> {
                i32::try_from(v)
                    .ok()
                    .and_then(FiscalYear::new)
                    .ok_or_else(|| E::custom(FiscalYearParseError(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FiscalYear, E> {
                i64::try_from(v).map_or_else(
                    |_| Err(E::custom(FiscalYearParseError(v.to_string()))),
                    |v| self.visit_i64(v),
                )
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for FiscalYear {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FiscalYear".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Japanese fiscal year (April–March) named by its starting year: \"FY2024\", \"2024\", \"R6\", \"令和6年度\" or the integer 2024.",
            "anyOf": [
                {"type": "string", "pattern": "^(FY|fy)?[0-9]{4}(年度)?$|^(令和|平成|昭和|R|H|S)([0-9]+|元)(年度)?$"},
                {"type": "integer", "minimum": FiscalYear::MIN, "maximum": FiscalYear::MAX}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fy(y: i32) -> FiscalYear {
        FiscalYear::new(y).expect("valid year")
    }

    #[test]
    fn from_date_follows_april_to_march() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("valid date");
        assert_eq!(FiscalYear::from_date(d(2024, 4, 1)), fy(2024));
        assert_eq!(FiscalYear::from_date(d(2025, 3, 31)), fy(2024));
        assert_eq!(FiscalYear::from_date(d(2025, 1, 15)), fy(2024));
        assert_eq!(FiscalYear::from_date(d(2024, 3, 31)), fy(2023));
        assert_eq!(fy(2024).start(), d(2024, 4, 1));
        assert_eq!(fy(2024).end(), d(2025, 3, 31));
    }

    #[test]
    fn labels_both_ways() {
        for (year, ja, en) in [
            (2024, "令和6年度", "FY2024"),
            (2019, "令和元年度", "FY2019"),
            (2018, "平成30年度", "FY2018"),
            (1989, "平成元年度", "FY1989"),
            (1988, "昭和63年度", "FY1988"),
            (2026, "令和8年度", "FY2026"),
        ] {
            assert_eq!(fy(year).label_ja(), ja);
            assert_eq!(fy(year).label_en(), en);
            assert_eq!(ja.parse::<FiscalYear>(), Ok(fy(year)), "{ja}");
            assert_eq!(en.parse::<FiscalYear>(), Ok(fy(year)), "{en}");
        }
        for (text, year) in [
            ("R6", 2024),
            ("r6年度", 2024),
            ("H30", 2018),
            ("令和６年度", 2024),
            ("2024年度", 2024),
            ("2024", 2024),
        ] {
            assert_eq!(text.parse::<FiscalYear>(), Ok(fy(year)), "{text}");
        }
        for bad in [
            "",
            "FY24",
            "令和0年度",
            "R",
            "2024-04",
            "平成年度",
            "FY3000",
        ] {
            assert!(bad.parse::<FiscalYear>().is_err(), "{bad}");
        }
        assert_eq!(fy(2024).label_short(), "R6");
    }

    #[test]
    fn serde_accepts_strings_and_integers() {
        #[derive(Deserialize)]
        struct T {
            a: FiscalYear,
            b: FiscalYear,
        }
        let t: T = serde_json::from_str(r#"{"a": "令和6年度", "b": 2025}"#).expect("parses");
        assert_eq!((t.a, t.b), (fy(2024), fy(2025)));
        assert_eq!(
            serde_json::to_string(&fy(2024)).expect("serialises"),
            "\"FY2024\""
        );
    }
}
