//! What a sheet or a CSV table holds, whichever file it came from: cells
//! as read, and the table they belong to.

use machi_domain::{FiscalYear, Yen};
use machi_i18n::Lang;

use super::{FUNDING_COLUMNS, LINE_COLUMNS};
use crate::label;

/// A cell's value as read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// A blank cell.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Number(f64),
    /// A date, a boolean or an error value, as shown.
    Other(String),
}

impl Value {
    pub(super) fn is_empty(&self) -> bool {
        *self == Value::Empty
    }

    /// The cell as text (numbers without a fraction as integers).
    pub(super) fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) | Value::Other(s) => s.trim().to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            Value::Number(f) => f.to_string(),
        }
    }

    /// The cell as whole yen: blank is 0.
    pub(super) fn yen(&self) -> Option<Yen> {
        let y = match self {
            Value::Empty => Some(Yen::ZERO),
            Value::Int(i) => Some(Yen(*i)),
            Value::Number(f) if f.is_finite() && f.fract() == 0.0 => Yen::from_f64_round(*f),
            Value::Number(_) | Value::Other(_) => None,
            Value::Text(s) => s.parse().ok(),
        }?;
        y.is_valid_input().then_some(y)
    }

    /// The cell as a fiscal year (a header).
    pub(super) fn fiscal_year(&self) -> Option<FiscalYear> {
        match self {
            Value::Int(i) => i32::try_from(*i).ok().and_then(FiscalYear::new),
            Value::Text(s) => s.parse().ok(),
            Value::Number(f) if f.fract() == 0.0 => format!("{f:.0}").parse().ok(),
            _ => None,
        }
    }
}

/// The rows of one table: its name in the file, the language of its labels
/// and names, and the rows with their 1-based numbers in the file. Cells
/// are indexed by 0-based column.
pub(super) struct Grid {
    pub(super) sheet: String,
    pub(super) lang: Lang,
    pub(super) rows: Vec<(u32, Vec<Value>)>,
}

/// Which of the two tables.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// The line items.
    Lines,
    /// The funding sources.
    Funding,
}

impl Which {
    pub(super) fn sheet_key(self) -> &'static str {
        match self {
            Which::Lines => "sheet.lines",
            Which::Funding => "sheet.funding",
        }
    }

    pub(super) fn columns(self) -> &'static [&'static str] {
        match self {
            Which::Lines => &LINE_COLUMNS,
            Which::Funding => &FUNDING_COLUMNS,
        }
    }

    /// The table's name in the file's language, and that language, if
    /// `name` is one.
    pub(super) fn named(self, name: &str) -> Option<Lang> {
        Lang::ALL
            .iter()
            .copied()
            .find(|l| name.trim() == label(*l, self.sheet_key()))
    }

    pub(super) fn names(self) -> String {
        Lang::ALL
            .iter()
            .map(|l| label(*l, self.sheet_key()))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// The first year column of a table.
pub(super) fn year_col(which: Which) -> u32 {
    u32::try_from(which.columns().len()).unwrap_or(0)
}

/// An index as a row or column number.
pub(super) fn col_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
