//! The problems of an import, each with the sheet and the cell it is in,
//! and its message in either language.

use std::fmt;

use machi_domain::project::LineKind;
use machi_i18n::Lang;

use super::vocab::{CATEGORIES, FUNDING_KINDS};
use crate::{category_label, funding_label, kind_label};

/// Which catalogue explains an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A problem of the file itself: `report.import.error.<code>`.
    Import,
    /// A rule of the project model, found by [`Project::validate`](machi_domain::Project::validate) on the
    /// imported model: `project.error.<code>`.
    Project,
}

/// One problem of an import, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Stable code, e.g. `invalid-amount` or (for [`Rule::Project`]) `unknown-member`.
    pub code: &'static str,
    /// Which catalogue the code belongs to.
    pub rule: Rule,
    /// The sheet (or CSV table) by its name in the file, e.g. `明細`.
    pub sheet: Option<String>,
    /// The cell, e.g. `F7`.
    pub cell: Option<String>,
    /// Named arguments of the message.
    pub args: Vec<(String, String)>,
}

impl ImportError {
    pub(super) fn new(code: &'static str) -> ImportError {
        ImportError {
            code,
            rule: Rule::Import,
            sheet: None,
            cell: None,
            args: Vec::new(),
        }
    }

    pub(super) fn at(mut self, at: &At<'_>) -> ImportError {
        self.sheet = Some(at.sheet.to_owned());
        self.cell = at.cell.map(|(r, c)| cell_ref(r, c));
        self
    }

    /// The problem in `sheet`, at `cell` as the file names it (which may
    /// lie beyond any row or column machi reads, e.g. `XFD1048576`).
    pub(super) fn located(mut self, sheet: &str, cell: Option<String>) -> ImportError {
        self.sheet = Some(sheet.to_owned());
        self.cell = cell;
        self
    }

    pub(super) fn arg(mut self, name: &str, value: impl fmt::Display) -> ImportError {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }

    /// `明細!F7`, `明細` or nothing.
    pub fn location(&self) -> Option<String> {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => Some(format!("{s}!{c}")),
            (Some(s), None) => Some(s.clone()),
            _ => None,
        }
    }

    /// What is wrong and how to fix it, without the location, in `lang`.
    pub fn what(&self, lang: Lang) -> String {
        let expected = match self.code {
            "unknown-kind" => vocabulary(
                LineKind::ALL
                    .iter()
                    .map(|k| (kind_label(lang, *k), k.as_str())),
            ),
            "unknown-category" => vocabulary(
                CATEGORIES
                    .iter()
                    .map(|c| (category_label(lang, *c), c.as_str())),
            ),
            "unknown-funding-kind" => vocabulary(
                FUNDING_KINDS
                    .iter()
                    .map(|k| (funding_label(lang, *k), k.as_str())),
            ),
            _ => String::new(),
        };
        let mut args: Vec<(&str, &dyn fmt::Display)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v as &dyn fmt::Display))
            .collect();
        if !expected.is_empty() {
            args.push(("expected", &expected));
        }
        let key = match self.rule {
            Rule::Import => format!("report.import.error.{}", self.code),
            Rule::Project => format!("project.error.{}", self.code),
        };
        lang.tf(&key, &args)
    }

    /// The whole message: `明細!F7: …` in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let what = self.what(lang);
        match (&self.sheet, &self.cell) {
            (Some(sheet), Some(cell)) => {
                let at = lang.tf("report.import.at-cell", &[("sheet", sheet), ("cell", cell)]);
                format!("{at}: {what}")
            }
            (Some(sheet), None) => {
                let at = lang.tf("report.import.at-sheet", &[("sheet", sheet)]);
                format!("{at}: {what}")
            }
            _ => what,
        }
    }
}

fn vocabulary<'a>(words: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    words
        .map(|(label, code)| format!("{label} ({code})"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ImportError {
    /// Language-neutral, for logs: `明細!F7: invalid-amount value=abc`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.location() {
            write!(f, "{l}: ")?;
        }
        write!(f, "{}", self.code)?;
        for (k, v) in &self.args {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

/// Every problem of an import (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors(pub Vec<ImportError>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

impl ImportErrors {
    pub(super) fn one(e: ImportError) -> ImportErrors {
        ImportErrors(vec![e])
    }

    /// Every message in `lang`.
    pub fn messages(&self, lang: Lang) -> Vec<String> {
        self.0.iter().map(|e| e.message(lang)).collect()
    }
}

/// A spreadsheet cell reference: row 7 (1-based), column 5 (0-based) → `F7`.
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &row.to_string()
}

/// `F7` → (7, 5): the row (1-based) and column (0-based) of a reference.
pub(super) fn cell_position(r: &str) -> (u32, u32) {
    let split = r.find(|c: char| c.is_ascii_digit()).unwrap_or(r.len());
    let (letters, digits) = r.split_at(split);
    let col = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A') + 1);
    (digits.parse().unwrap_or(0), col.saturating_sub(1))
}

/// Where a problem is: a sheet, and a cell (1-based row, 0-based column).
pub(super) struct At<'a> {
    pub(super) sheet: &'a str,
    pub(super) cell: Option<(u32, u32)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_are_spreadsheet_style() {
        for (r, c) in [(1, 0), (7, 5), (3, 26), (5, 701), (5, 702)] {
            assert_eq!(cell_position(&cell_ref(r, c)), (r, c));
        }
        assert_eq!(cell_ref(1, 0), "A1");
        assert_eq!(cell_ref(7, 5), "F7");
        assert_eq!(cell_ref(2, 25), "Z2");
        assert_eq!(cell_ref(3, 26), "AA3");
        assert_eq!(cell_ref(4, 27), "AB4");
        assert_eq!(cell_ref(5, 701), "ZZ5");
        assert_eq!(cell_ref(5, 702), "AAA5");
    }
}
