//! Reading a model back from the workbook and the CSV that machi writes, so
//! that a model can make a round trip through Excel.
//!
//! The "Line items" (明細) and "Funding" (資金調達) sheets of [`crate::xlsx()`]
//! have descriptive columns ([`LINE_COLUMNS`], [`FUNDING_COLUMNS`]), one
//! column per fiscal year of the horizon and a total; [`model_csv`] writes
//! the same two tables, each under its sheet's name, into one CSV. An import
//! reads them back into a copy of the current version:
//!
//! - line items and non-debt funding sources become the rows, in their
//!   order, with an explicit amount per fiscal year (a generator is replaced
//!   by its values; a blank cell is 0 yen; `1,200,000` and `120万円` are read
//!   as [`Yen`] reads them);
//! - kinds and categories may be written as labels in either language or as
//!   the kebab-case codes of the project file;
//! - a name replaces the name in the workbook's language; the other language
//!   and what the sheets do not show (payer, beneficiary, note, program,
//!   donor) are kept from the current version, matched by id;
//! - loans and bonds are kept from the current version with their terms:
//!   their yearly amounts are the drawdowns those terms give, so a row whose
//!   amounts differ is reported rather than silently ignored;
//! - the total column is not read (it is derived).
//!
//! Every problem names the sheet and the cell (`明細!F7`) and says what to
//! fix; the model is returned only when it is valid as a whole.
//!
//! Pure: bytes in, a [`Project`] or [`ImportErrors`] out; no IO.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use machi_domain::project::{
    FundingKind, FundingSource, Horizon, LineCategory, LineItem, LineKind, Text,
};
use machi_domain::{FiscalYear, FundingId, LineItemId, MemberId, Project, Yen};
use machi_finance::Evaluation;
use machi_finance::engine::debt_schedule;
use machi_i18n::Lang;

use crate::{category_label, csv_field, funding_label, fy, kind_label, label};

/// Message keys of the line-item sheet's descriptive columns, in order; the
/// fiscal years and the total follow.
pub const LINE_COLUMNS: [&str; 5] = [
    "col.id",
    "col.kind",
    "col.category",
    "col.name",
    "col.party",
];

/// Message keys of the funding sheet's descriptive columns, in order.
pub const FUNDING_COLUMNS: [&str; 4] = ["col.id", "col.kind", "col.name", "col.party"];

/// Every line category, in the order of the project-file documentation.
pub const CATEGORIES: [LineCategory; 19] = [
    LineCategory::Equipment,
    LineCategory::Software,
    LineCategory::Construction,
    LineCategory::Design,
    LineCategory::DataPlatform,
    LineCategory::Maintenance,
    LineCategory::Operations,
    LineCategory::Communications,
    LineCategory::Cloud,
    LineCategory::Personnel,
    LineCategory::UserFees,
    LineCategory::Advertising,
    LineCategory::DataServices,
    LineCategory::Sponsorship,
    LineCategory::Levy,
    LineCategory::ServiceContract,
    LineCategory::AdministrativeCostReduction,
    LineCategory::CrossIndustrySavings,
    LineCategory::Other,
];

/// Every kind of funding source.
pub const FUNDING_KINDS: [FundingKind; 7] = [
    FundingKind::Subsidy,
    FundingKind::OwnFunds,
    FundingKind::Equity,
    FundingKind::Crowdfunding,
    FundingKind::Donation,
    FundingKind::Loan,
    FundingKind::Bond,
];

/// Fails to compile when a category or a funding kind is added without
/// adding it to [`CATEGORIES`] / [`FUNDING_KINDS`] (the lists feed the
/// import's vocabulary and the web editor's selects).
const _: () = {
    const fn every_category(c: LineCategory) {
        use LineCategory as C;
        match c {
            C::Equipment
            | C::Software
            | C::Construction
            | C::Design
            | C::DataPlatform
            | C::Maintenance
            | C::Operations
            | C::Communications
            | C::Cloud
            | C::Personnel
            | C::UserFees
            | C::Advertising
            | C::DataServices
            | C::Sponsorship
            | C::Levy
            | C::ServiceContract
            | C::AdministrativeCostReduction
            | C::CrossIndustrySavings
            | C::Other => {}
        }
    }
    const fn every_funding_kind(k: FundingKind) {
        use FundingKind as F;
        match k {
            F::OwnFunds
            | F::Loan
            | F::Bond
            | F::Equity
            | F::Crowdfunding
            | F::Donation
            | F::Subsidy => {}
        }
    }
    every_category(LineCategory::Other);
    every_funding_kind(FundingKind::Subsidy);
};

/// Whether a cell's word is `word`: trimmed, ASCII case ignored.
fn same_word(cell: &str, word: &str) -> bool {
    cell.trim().eq_ignore_ascii_case(word.trim())
}

/// A line kind from its code (`capex`) or its label in either language.
pub fn parse_line_kind(s: &str) -> Option<LineKind> {
    LineKind::ALL.into_iter().find(|k| {
        same_word(s, k.as_str()) || Lang::ALL.iter().any(|l| same_word(s, kind_label(*l, *k)))
    })
}

/// A line category from its code (`data-platform`) or its label in either
/// language.
pub fn parse_category(s: &str) -> Option<LineCategory> {
    CATEGORIES.into_iter().find(|c| {
        same_word(s, c.as_str())
            || Lang::ALL
                .iter()
                .any(|l| same_word(s, category_label(*l, *c)))
    })
}

/// A funding kind from its code (`own-funds`) or its label in either language.
pub fn parse_funding_kind(s: &str) -> Option<FundingKind> {
    FUNDING_KINDS.into_iter().find(|k| {
        same_word(s, k.as_str())
            || Lang::ALL
                .iter()
                .any(|l| same_word(s, funding_label(*l, *k)))
    })
}

// ---------------------------------------------------------------------------
// Errors.

/// Which catalogue explains an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A problem of the file itself: `report.import.error.<code>`.
    Import,
    /// A rule of the project model, found by [`Project::validate`] on the
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
    fn new(code: &'static str) -> ImportError {
        ImportError {
            code,
            rule: Rule::Import,
            sheet: None,
            cell: None,
            args: Vec::new(),
        }
    }

    fn at(mut self, at: &At<'_>) -> ImportError {
        self.sheet = Some(at.sheet.to_owned());
        self.cell = at.cell.map(|(r, c)| cell_ref(r, c));
        self
    }

    fn arg(mut self, name: &str, value: impl fmt::Display) -> ImportError {
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
    fn one(e: ImportError) -> ImportErrors {
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
fn cell_position(r: &str) -> (u32, u32) {
    let split = r.find(|c: char| c.is_ascii_digit()).unwrap_or(r.len());
    let (letters, digits) = r.split_at(split);
    let col = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A') + 1);
    (digits.parse().unwrap_or(0), col.saturating_sub(1))
}

/// Where a problem is: a sheet, and a cell (1-based row, 0-based column).
struct At<'a> {
    sheet: &'a str,
    cell: Option<(u32, u32)>,
}

// ---------------------------------------------------------------------------
// Grids: what a sheet or a CSV table holds.

/// A cell's value as read.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    /// A date, a boolean or an error value, as shown.
    Other(String),
}

impl Value {
    fn from_data(d: &Data) -> Value {
        match d {
            Data::Empty => Value::Empty,
            Data::String(s) if s.trim().is_empty() => Value::Empty,
            Data::String(s) => Value::Text(s.clone()),
            Data::Int(i) => Value::Int(*i),
            Data::Float(f) => Value::Number(*f),
            other => Value::Other(other.to_string()),
        }
    }

    fn from_text(s: &str) -> Value {
        if s.trim().is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_owned())
        }
    }

    fn is_empty(&self) -> bool {
        *self == Value::Empty
    }

    /// The cell as text (numbers without a fraction as integers).
    fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) | Value::Other(s) => s.trim().to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            Value::Number(f) => f.to_string(),
        }
    }

    /// The cell as whole yen: blank is 0.
    fn yen(&self) -> Option<Yen> {
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
    fn fiscal_year(&self) -> Option<FiscalYear> {
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
struct Grid {
    sheet: String,
    lang: Lang,
    rows: Vec<(u32, Vec<Value>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Lines,
    Funding,
}

impl Which {
    fn sheet_key(self) -> &'static str {
        match self {
            Which::Lines => "sheet.lines",
            Which::Funding => "sheet.funding",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Which::Lines => &LINE_COLUMNS,
            Which::Funding => &FUNDING_COLUMNS,
        }
    }

    /// The table's name in the file's language, and that language, if
    /// `name` is one.
    fn named(self, name: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| name.trim() == label(*l, self.sheet_key()))
    }

    fn names(self) -> String {
        Lang::ALL
            .iter()
            .map(|l| label(*l, self.sheet_key()))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// One data row: its number, its descriptive texts and its amounts (or the
/// cells that are not amounts).
struct Draft {
    row: u32,
    texts: Vec<String>,
    amounts: Vec<Yen>,
}

/// The first year column of a table.
fn year_col(which: Which) -> u32 {
    u32::try_from(which.columns().len()).unwrap_or(0)
}

fn col_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Checks the header and reads the data rows of a table.
fn read_table(grid: &Grid, which: Which, h: Horizon, errs: &mut Vec<ImportError>) -> Vec<Draft> {
    let at = |row: u32, col: u32| At {
        sheet: &grid.sheet,
        cell: Some((row, col)),
    };
    let Some(hi) = grid
        .rows
        .iter()
        .position(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
    else {
        errs.push(ImportError::new("empty-sheet").at(&At {
            sheet: &grid.sheet,
            cell: None,
        }));
        return Vec::new();
    };
    let (hrow, header) = &grid.rows[hi];
    let cell = |cells: &[Value], c: usize| cells.get(c).cloned().unwrap_or(Value::Empty);
    let before = errs.len();
    for (c, key) in which.columns().iter().enumerate() {
        let found = cell(header, c).text();
        if !Lang::ALL.iter().any(|l| same_word(&found, label(*l, key))) {
            errs.push(
                ImportError::new("header")
                    .at(&at(*hrow, col_u32(c)))
                    .arg("expected", label(grid.lang, key))
                    .arg("found", found),
            );
        }
    }
    let first = which.columns().len();
    for (i, y) in h.years().enumerate() {
        let v = cell(header, first + i);
        if v.fiscal_year() != Some(y) {
            errs.push(
                ImportError::new("years")
                    .at(&at(*hrow, col_u32(first + i)))
                    .arg("expected", fy(grid.lang, y))
                    .arg("found", v.text())
                    .arg("first", fy(grid.lang, h.first))
                    .arg("last", fy(grid.lang, h.last)),
            );
            // One wrong year shifts every later one: report it once.
            break;
        }
    }
    let after = first + h.len();
    for c in after..header.len() {
        let found = cell(header, c).text();
        let total = c == after
            && Lang::ALL
                .iter()
                .any(|l| same_word(&found, label(*l, "col.total")));
        if !found.is_empty() && !total {
            errs.push(
                ImportError::new("extra-column")
                    .at(&at(*hrow, col_u32(c)))
                    .arg("found", found),
            );
        }
    }
    if errs.len() > before {
        // The columns cannot be trusted; the rows would only add noise.
        return Vec::new();
    }
    let mut out = Vec::new();
    for (row, cells) in &grid.rows[hi + 1..] {
        if cells.iter().take(after).all(Value::is_empty) {
            continue;
        }
        let texts = (0..first).map(|c| cell(cells, c).text()).collect();
        let mut amounts = Vec::with_capacity(h.len());
        for i in 0..h.len() {
            let v = cell(cells, first + i);
            match v.yen() {
                Some(y) => amounts.push(y),
                None => {
                    errs.push(
                        ImportError::new("invalid-amount")
                            .at(&at(*row, col_u32(first + i)))
                            .arg("value", v.text()),
                    );
                    amounts.push(Yen::ZERO);
                }
            }
        }
        out.push(Draft {
            row: *row,
            texts,
            amounts,
        });
    }
    out
}

// ---------------------------------------------------------------------------
// Reading the files.

/// The kind of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An Excel workbook (`.xlsx`).
    Xlsx,
    /// The CSV of [`model_csv`].
    Csv,
}

impl Format {
    /// The format of an upload: by its extension, else by its first bytes
    /// (an `.xlsx` is a ZIP archive).
    pub fn detect(file_name: &str, bytes: &[u8]) -> Format {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") {
            Format::Xlsx
        } else if lower.ends_with(".csv") {
            Format::Csv
        } else if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// Imports the model from a file of `format` into a copy of `current`.
pub fn import(current: &Project, format: Format, bytes: &[u8]) -> Result<Project, ImportErrors> {
    match format {
        Format::Xlsx => import_xlsx(current, bytes),
        Format::Csv => import_csv(current, bytes),
    }
}

/// Imports the "Line items" and "Funding" sheets of a workbook written by
/// [`crate::xlsx()`] (in either language) into a copy of `current`.
pub fn import_xlsx(current: &Project, bytes: &[u8]) -> Result<Project, ImportErrors> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| ImportErrors::one(ImportError::new("not-xlsx")))?;
    let names = book.sheet_names();
    let mut grids = Vec::new();
    let mut errs = Vec::new();
    for which in [Which::Lines, Which::Funding] {
        let found = names
            .iter()
            .find_map(|n| which.named(n).map(|lang| (n.clone(), lang)));
        let Some((name, lang)) = found else {
            errs.push(ImportError::new("missing-sheet").arg("names", which.names()));
            continue;
        };
        let range = book
            .worksheet_range(&name)
            .map_err(|_| ImportErrors::one(ImportError::new("not-xlsx")))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                let mut v = vec![Value::Empty; usize::try_from(c0).unwrap_or(0)];
                v.extend(cells.iter().map(Value::from_data));
                (r0 + col_u32(i) + 1, v)
            })
            .collect();
        grids.push((
            which,
            Grid {
                sheet: name,
                lang,
                rows,
            },
        ));
    }
    if !errs.is_empty() {
        return Err(ImportErrors(errs));
    }
    assemble(current, &grids)
}

/// Imports the CSV written by [`model_csv`] (in either language) into a copy
/// of `current`. The CSV must be UTF-8 (a byte-order mark is allowed).
pub fn import_csv(current: &Project, bytes: &[u8]) -> Result<Project, ImportErrors> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportErrors::one(ImportError::new("csv-not-utf8")))?;
    let records = parse_csv(text.trim_start_matches('\u{feff}'));
    // A table starts at a record holding only its name.
    let title = |r: &[String]| -> Option<(Which, Lang)> {
        if r.iter().skip(1).any(|c| !c.trim().is_empty()) {
            return None;
        }
        let first = r.first()?;
        [Which::Lines, Which::Funding]
            .into_iter()
            .find_map(|w| w.named(first).map(|l| (w, l)))
    };
    let starts: Vec<(usize, Which, Lang)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| title(r).map(|(w, l)| (i, w, l)))
        .collect();
    let mut grids = Vec::new();
    let mut errs = Vec::new();
    for which in [Which::Lines, Which::Funding] {
        let Some(k) = starts.iter().position(|(_, w, _)| *w == which) else {
            errs.push(ImportError::new("csv-table").arg("names", which.names()));
            continue;
        };
        let (start, _, lang) = starts[k];
        let end = starts.get(k + 1).map_or(records.len(), |s| s.0);
        let rows = records[start + 1..end]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    col_u32(start + 1 + i + 1),
                    r.iter().map(|c| Value::from_text(c)).collect(),
                )
            })
            .collect();
        grids.push((
            which,
            Grid {
                sheet: label(lang, which.sheet_key()).to_owned(),
                lang,
                rows,
            },
        ));
    }
    if !errs.is_empty() {
        return Err(ImportErrors(errs));
    }
    assemble(current, &grids)
}

/// The records of a CSV text (RFC 4180: quoted fields may hold commas,
/// quotes written twice and line breaks; CRLF or LF ends a record).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

// ---------------------------------------------------------------------------
// From rows to a project.

/// Amounts per fiscal year as explicit amounts: the non-zero ones, or the
/// first year's zero when all are zero (a line needs at least one amount).
pub fn explicit_amounts(h: Horizon, amounts: &[Yen]) -> BTreeMap<FiscalYear, Yen> {
    let mut out: BTreeMap<FiscalYear, Yen> = h
        .years()
        .zip(amounts)
        .filter(|(_, y)| **y != Yen::ZERO)
        .map(|(fy, y)| (fy, *y))
        .collect();
    if out.is_empty() {
        out.insert(h.first, Yen::ZERO);
    }
    out
}

/// A name read in `lang`: the current name when the cell shows it unchanged
/// (so an English sheet that fell back to Japanese changes nothing), else
/// the current name with `lang`'s text replaced.
pub fn merged_name(cell: &str, lang: Lang, current: Option<&Text>) -> Text {
    let cell = cell.trim();
    match (current, lang) {
        (Some(t), _) if t.get(lang == Lang::En) == cell => t.clone(),
        (Some(t), Lang::Ja) => Text {
            ja: cell.to_owned(),
            en: t.en.clone(),
        },
        (Some(t), Lang::En) => Text {
            ja: t.ja.clone(),
            en: (!cell.is_empty()).then(|| cell.to_owned()),
        },
        (None, _) => Text {
            ja: cell.to_owned(),
            en: None,
        },
    }
}

/// The drawdowns of a loan or bond per fiscal year of the horizon.
pub fn drawdowns(h: Horizon, f: &FundingSource) -> Vec<Yen> {
    let mut out = vec![Yen::ZERO; h.len()];
    if let Some(terms) = f.debt_terms() {
        for y in debt_schedule(&terms) {
            if let Some(i) = h.index(y.fiscal_year) {
                out[i] += y.drawdown;
            }
        }
    }
    out
}

fn assemble(current: &Project, grids: &[(Which, Grid)]) -> Result<Project, ImportErrors> {
    let h = current.horizon;
    let mut errs = Vec::new();
    let mut project = current.clone();
    // Sheet rows of the lines and funding sources, for mapping the model's
    // validation errors back to cells.
    let mut line_rows: Vec<u32> = Vec::new();
    let mut funding_rows: Vec<Option<u32>> = Vec::new();
    let mut sheets: BTreeMap<&'static str, &str> = BTreeMap::new();

    for (which, grid) in grids {
        let drafts = read_table(grid, *which, h, &mut errs);
        let at = |row: u32, col: u32| At {
            sheet: &grid.sheet,
            cell: Some((row, col)),
        };
        let ycol = year_col(*which);
        match which {
            Which::Lines => {
                sheets.insert("line_items", &grid.sheet);
                project.line_items.clear();
                for d in drafts {
                    let id = LineItemId::new(&d.texts[0]);
                    let kind = parse_line_kind(&d.texts[1]);
                    let category = parse_category(&d.texts[2]);
                    let party = party(&d.texts[4]);
                    if id.is_err() {
                        errs.push(invalid_id(&d.texts[0], &at(d.row, 0)));
                    }
                    if kind.is_none() {
                        errs.push(unknown("unknown-kind", &d.texts[1], &at(d.row, 1)));
                    }
                    if category.is_none() {
                        errs.push(unknown("unknown-category", &d.texts[2], &at(d.row, 2)));
                    }
                    if party.is_err() {
                        errs.push(invalid_id(&d.texts[4], &at(d.row, 4)));
                    }
                    let (Ok(id), Some(kind), Some(category), Ok(party)) =
                        (id, kind, category, party)
                    else {
                        continue;
                    };
                    let cur = current.line_items.iter().find(|l| l.id == id);
                    project.line_items.push(LineItem {
                        name: merged_name(&d.texts[3], grid.lang, cur.map(|l| &l.name)),
                        kind,
                        category,
                        party,
                        payer: cur.and_then(|l| l.payer.clone()),
                        beneficiary: cur.and_then(|l| l.beneficiary.clone()),
                        amounts: explicit_amounts(h, &d.amounts),
                        generator: None,
                        note: cur.and_then(|l| l.note.clone()),
                        id,
                    });
                    line_rows.push(d.row);
                }
            }
            Which::Funding => {
                sheets.insert("funding", &grid.sheet);
                project.funding.clear();
                let mut seen = BTreeSet::new();
                for d in drafts {
                    let id = FundingId::new(&d.texts[0]);
                    let kind = parse_funding_kind(&d.texts[1]);
                    let party = party(&d.texts[3]);
                    if id.is_err() {
                        errs.push(invalid_id(&d.texts[0], &at(d.row, 0)));
                    }
                    if kind.is_none() {
                        errs.push(unknown("unknown-funding-kind", &d.texts[1], &at(d.row, 1)));
                    }
                    if party.is_err() {
                        errs.push(invalid_id(&d.texts[3], &at(d.row, 3)));
                    }
                    let (Ok(id), Some(kind), Ok(party)) = (id, kind, party) else {
                        continue;
                    };
                    seen.insert(id.clone());
                    let cur = current.funding.iter().find(|f| f.id == id);
                    let name = merged_name(&d.texts[2], grid.lang, cur.map(|f| &f.name));
                    let source = if kind.is_debt() {
                        let Some(cur) = cur.filter(|f| f.kind.is_debt()) else {
                            errs.push(
                                ImportError::new("debt-not-in-model")
                                    .at(&at(d.row, 1))
                                    .arg("id", &id),
                            );
                            continue;
                        };
                        let expected = drawdowns(h, cur);
                        if let Some((i, (_, want))) = d
                            .amounts
                            .iter()
                            .zip(&expected)
                            .enumerate()
                            .find(|(_, (got, want))| got != want)
                        {
                            errs.push(
                                ImportError::new("debt-amounts")
                                    .at(&at(d.row, ycol + col_u32(i)))
                                    .arg("id", &id)
                                    .arg("expected", want),
                            );
                            continue;
                        }
                        FundingSource {
                            kind,
                            name,
                            party,
                            ..cur.clone()
                        }
                    } else {
                        non_debt(id, kind, name, party, &d.amounts, h, cur)
                    };
                    project.funding.push(source);
                    funding_rows.push(Some(d.row));
                }
                // Loans and bonds are kept even when their rows are gone.
                for f in current.funding.iter().filter(|f| f.kind.is_debt()) {
                    if !seen.contains(&f.id) {
                        project.funding.push(f.clone());
                        funding_rows.push(None);
                    }
                }
            }
        }
    }
    if !errs.is_empty() {
        // In reading order: sheet by sheet, row by row, left to right.
        let sheet_order: Vec<&str> = grids.iter().map(|(_, g)| g.sheet.as_str()).collect();
        errs.sort_by_key(|e| {
            let sheet = e
                .sheet
                .as_deref()
                .and_then(|s| sheet_order.iter().position(|o| *o == s));
            (sheet, e.cell.as_deref().map(cell_position))
        });
        return Err(ImportErrors(errs));
    }
    match project.validate() {
        Ok(()) => Ok(project),
        Err(problems) => Err(ImportErrors(
            problems
                .0
                .iter()
                .map(|e| {
                    let mut ie = ImportError {
                        code: e.code,
                        rule: Rule::Project,
                        sheet: None,
                        cell: None,
                        args: e.args.clone(),
                    };
                    if let Some((section, idx, rest)) = split_path(&e.path)
                        && let Some(sheet) = sheets.get(section)
                    {
                        ie.sheet = Some((*sheet).to_owned());
                        let row = match section {
                            "line_items" => line_rows.get(idx).copied(),
                            _ => funding_rows.get(idx).copied().flatten(),
                        };
                        let which = if section == "line_items" {
                            Which::Lines
                        } else {
                            Which::Funding
                        };
                        ie.cell = row.map(|r| cell_ref(r, column_of(which, rest, h)));
                    }
                    ie
                })
                .collect(),
        )),
    }
}

fn party(s: &str) -> Result<Option<MemberId>, ()> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        MemberId::new(s.trim()).map(Some).map_err(|_| ())
    }
}

fn invalid_id(value: &str, at: &At<'_>) -> ImportError {
    ImportError {
        rule: Rule::Project,
        ..ImportError::new("invalid-id").at(at).arg("value", value)
    }
}

fn unknown(code: &'static str, value: &str, at: &At<'_>) -> ImportError {
    ImportError::new(code).at(at).arg("value", value)
}

/// A non-debt funding source from a row: the current source's program,
/// donor and note kept where they still fit the kind.
fn non_debt(
    id: FundingId,
    kind: FundingKind,
    name: Text,
    party: Option<MemberId>,
    amounts: &[Yen],
    h: Horizon,
    cur: Option<&FundingSource>,
) -> FundingSource {
    let keep = cur.filter(|f| !f.kind.is_debt());
    FundingSource {
        id,
        kind,
        name,
        party,
        amounts: explicit_amounts(h, amounts),
        generator: None,
        principal: None,
        drawdown: None,
        rate: None,
        tenor_years: None,
        grace_years: None,
        repayment: None,
        donation_kind: keep
            .filter(|_| kind == FundingKind::Donation)
            .and_then(|f| f.donation_kind),
        donor: keep
            .filter(|_| kind == FundingKind::Donation)
            .and_then(|f| f.donor.clone()),
        program: keep
            .filter(|_| kind == FundingKind::Subsidy)
            .and_then(|f| f.program.clone()),
        note: cur.and_then(|f| f.note.clone()),
    }
}

/// `line_items[3].amounts.FY2027` → (`line_items`, 3, `amounts.FY2027`).
fn split_path(path: &str) -> Option<(&str, usize, &str)> {
    let (section, rest) = path.split_once('[')?;
    let (idx, rest) = rest.split_once(']')?;
    Some((
        section,
        idx.parse().ok()?,
        rest.strip_prefix('.').unwrap_or(rest),
    ))
}

/// The column of a field of a row (the id column for fields the sheet does
/// not show).
fn column_of(which: Which, field: &str, h: Horizon) -> u32 {
    let mut parts = field.split('.');
    let head = parts.next().unwrap_or("");
    if head == "amounts"
        && let Some(i) = parts
            .next()
            .and_then(|y| y.parse::<FiscalYear>().ok())
            .and_then(|y| h.index(y))
    {
        return year_col(which) + col_u32(i);
    }
    which
        .columns()
        .iter()
        .position(|k| k.strip_prefix("col.") == Some(head))
        .map_or(0, col_u32)
}

// ---------------------------------------------------------------------------
// The CSV of the model.

/// The line items and funding sources as CSV in the layout of the
/// workbook's "Line items" and "Funding" sheets: each table under a record
/// holding the sheet's name, descriptive columns, one column per fiscal year
/// in whole yen, a total; a blank record between the tables. UTF-8 with a
/// byte-order mark so that Excel opens Japanese text correctly.
pub fn model_csv(eval: &Evaluation, lang: Lang) -> String {
    let en = lang == Lang::En;
    let years: Vec<FiscalYear> = eval.statement.iter().map(|r| r.fiscal_year).collect();
    let mut out = String::from("\u{feff}");
    let mut record = |fields: Vec<String>| {
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    };
    let header = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .map(|k| label(lang, k).to_owned())
            .chain(years.iter().map(|y| fy(lang, *y)))
            .chain([label(lang, "col.total").to_owned()])
            .collect()
    };
    let amounts = |a: &[Yen], total: Yen| -> Vec<String> {
        a.iter()
            .chain([&total])
            .map(|y| y.get().to_string())
            .collect()
    };
    let party = |p: &Option<MemberId>| p.as_ref().map_or_else(String::new, ToString::to_string);

    record(vec![label(lang, "sheet.lines").to_owned()]);
    record(header(&LINE_COLUMNS));
    for l in &eval.lines {
        let mut f = vec![
            l.id.to_string(),
            kind_label(lang, l.kind).to_owned(),
            category_label(lang, l.category).to_owned(),
            if en {
                l.name_en.clone()
            } else {
                l.name_ja.clone()
            },
            party(&l.party),
        ];
        f.extend(amounts(&l.amounts, l.total));
        record(f);
    }
    record(Vec::new());
    record(vec![label(lang, "sheet.funding").to_owned()]);
    record(header(&FUNDING_COLUMNS));
    for s in &eval.funding {
        let mut f = vec![
            s.id.to_string(),
            funding_label(lang, s.kind).to_owned(),
            if en {
                s.name_en.clone()
            } else {
                s.name_ja.clone()
            },
            party(&s.party),
        ];
        f.extend(amounts(&s.amounts, s.total));
        record(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use machi_finance::{Options, evaluate};
    use rust_xlsxwriter::Workbook;

    fn examples() -> Vec<(String, Project)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
        let mut out: Vec<(String, Project)> = std::fs::read_dir(dir)
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("read");
                let project = Project::from_toml_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                (p.display().to_string(), project)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(out.len() >= 4, "the examples are there");
        out
    }

    fn kurume() -> Project {
        Project::from_toml_str(include_str!("../../../examples/kurume-flood-ai.toml"))
            .expect("example")
    }

    fn kashiwanoha() -> Project {
        Project::from_toml_str(include_str!(
            "../../../examples/kashiwanoha-area-services.toml"
        ))
        .expect("example")
    }

    fn eval(p: &Project) -> Evaluation {
        evaluate(p, &Options::default()).expect("evaluates")
    }

    fn workbook(p: &Project, lang: Lang) -> Vec<u8> {
        crate::xlsx(p, &eval(p), lang).expect("workbook")
    }

    /// What the round trip must keep, per line and funding source.
    fn model_of(p: &Project) -> Vec<String> {
        let e = eval(p);
        let lines = p.line_items.iter().zip(&e.lines).map(|(l, r)| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                l.id,
                l.kind,
                l.category,
                l.name,
                l.party,
                l.payer,
                l.beneficiary,
                l.note,
                r.amounts
            )
        });
        let funding = p.funding.iter().zip(&e.funding).map(|(f, r)| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                f.id,
                f.kind,
                f.name,
                f.party,
                f.debt_terms(),
                f.program,
                f.donor,
                f.note,
                r.amounts
            )
        });
        lines.chain(funding).collect()
    }

    #[test]
    fn every_example_round_trips_through_the_workbook_and_the_csv() {
        for (path, p) in examples() {
            let e = eval(&p);
            for lang in Lang::ALL {
                let from_xlsx = import_xlsx(&p, &workbook(&p, lang))
                    .unwrap_or_else(|e| panic!("{path} {lang}: {e}"));
                let csv = model_csv(&e, lang);
                let from_csv = import_csv(&p, csv.as_bytes())
                    .unwrap_or_else(|e| panic!("{path} {lang} csv: {e}"));
                for (how, q) in [("xlsx", &from_xlsx), ("csv", &from_csv)] {
                    assert_eq!(model_of(q), model_of(&p), "{path} {lang} {how}");
                    // Everything else is the current version's, and so is
                    // the whole evaluation.
                    assert_eq!(q.members, p.members);
                    assert_eq!(q.application, p.application);
                    assert_eq!(eval(q), e, "{path} {lang} {how}");
                    // Generators are replaced by their values.
                    assert!(q.line_items.iter().all(|l| l.generator.is_none()));
                    assert!(q.funding.iter().all(|f| f.generator.is_none()));
                }
                // A second trip changes nothing more.
                let again = import_xlsx(&from_xlsx, &workbook(&from_xlsx, lang)).expect("again");
                assert_eq!(again, from_xlsx, "{path} {lang}");
            }
        }
    }

    #[test]
    fn the_layout_is_the_workbooks() {
        let p = kurume();
        for lang in Lang::ALL {
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(workbook(&p, lang))).expect("opens");
            for (which, keys) in [
                (Which::Lines, &LINE_COLUMNS[..]),
                (Which::Funding, &FUNDING_COLUMNS[..]),
            ] {
                let range = book
                    .worksheet_range(label(lang, which.sheet_key()))
                    .expect("sheet");
                let header: Vec<String> = range
                    .rows()
                    .next()
                    .expect("header")
                    .iter()
                    .map(|d| d.to_string())
                    .collect();
                let csv = model_csv(&eval(&p), lang);
                let records = parse_csv(csv.trim_start_matches('\u{feff}'));
                let csv_header = records
                    .iter()
                    .skip_while(|r| {
                        r.first().map(String::as_str) != Some(label(lang, which.sheet_key()))
                    })
                    .nth(1)
                    .expect("csv header");
                assert_eq!(&header, csv_header, "{lang}");
                for (i, k) in keys.iter().enumerate() {
                    assert_eq!(header[i], label(lang, k));
                }
                assert_eq!(header.len(), keys.len() + p.horizon.len() + 1);
            }
        }
    }

    #[test]
    fn labels_in_either_language_and_codes_are_read() {
        for k in LineKind::ALL {
            for s in [k.as_str(), kind_label(Lang::Ja, k), kind_label(Lang::En, k)] {
                assert_eq!(parse_line_kind(s), Some(k), "{s}");
            }
        }
        for c in CATEGORIES {
            for s in [
                c.as_str(),
                category_label(Lang::Ja, c),
                category_label(Lang::En, c),
            ] {
                assert_eq!(parse_category(s), Some(c), "{s}");
            }
        }
        for k in FUNDING_KINDS {
            for s in [
                k.as_str(),
                funding_label(Lang::Ja, k),
                funding_label(Lang::En, k),
            ] {
                assert_eq!(parse_funding_kind(s), Some(k), "{s}");
            }
        }
        assert_eq!(parse_line_kind(" OPEX "), Some(LineKind::Opex));
        assert_eq!(parse_category("User fees"), Some(LineCategory::UserFees));
        assert_eq!(parse_line_kind("費用"), None);
    }

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

    #[test]
    fn csv_records_follow_rfc_4180() {
        let r = parse_csv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x\nlast");
        assert_eq!(
            r,
            vec![
                vec!["a".to_owned(), "b,c".into(), "say \"hi\"".into()],
                vec!["two\nlines".into(), String::new(), "x".into()],
                vec!["last".into()],
            ]
        );
    }

    // -- Editing a workbook the way a person does in Excel.

    /// A cell to write: text, a number or nothing.
    #[derive(Clone)]
    enum W {
        T(String),
        N(f64),
        E,
    }

    /// The sheets of a workbook as cells.
    fn read_back(bytes: &[u8]) -> Vec<(String, Vec<Vec<W>>)> {
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("opens");
        book.sheet_names()
            .into_iter()
            .map(|n| {
                let range = book.worksheet_range(&n).expect("sheet");
                let rows = range
                    .rows()
                    .map(|r| {
                        r.iter()
                            .map(|d| match d {
                                Data::String(s) => W::T(s.clone()),
                                Data::Float(f) => W::N(*f),
                                Data::Int(i) => W::N(*i as f64),
                                Data::Empty => W::E,
                                other => W::T(other.to_string()),
                            })
                            .collect()
                    })
                    .collect();
                (n, rows)
            })
            .collect()
    }

    fn write(sheets: &[(String, Vec<Vec<W>>)]) -> Vec<u8> {
        let mut wb = Workbook::new();
        for (name, rows) in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(name).expect("name");
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let (r, c) = (col_u32(r), u16::try_from(c).expect("column"));
                    match cell {
                        W::T(s) => ws.write_string(r, c, s).map(|_| ()),
                        W::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                        W::E => Ok(()),
                    }
                    .expect("cell");
                }
            }
        }
        wb.save_to_buffer().expect("workbook")
    }

    /// Exports `p` in `lang`, lets `edit` change the sheets, imports.
    fn edited(
        p: &Project,
        lang: Lang,
        edit: impl FnOnce(&mut Vec<(String, Vec<Vec<W>>)>),
    ) -> Result<Project, ImportErrors> {
        let mut sheets = read_back(&workbook(p, lang));
        edit(&mut sheets);
        import_xlsx(p, &write(&sheets))
    }

    fn sheet<'a>(sheets: &'a mut [(String, Vec<Vec<W>>)], name: &str) -> &'a mut Vec<Vec<W>> {
        &mut sheets.iter_mut().find(|(n, _)| n == name).expect("sheet").1
    }

    /// The single error's code, location and message in both languages.
    fn only(r: Result<Project, ImportErrors>) -> (&'static str, Option<String>, String, String) {
        let errs = r.expect_err("an error");
        assert_eq!(errs.0.len(), 1, "{errs}");
        let e = &errs.0[0];
        for lang in Lang::ALL {
            let m = e.message(lang);
            assert!(!m.contains("⟦missing"), "{lang}: {m}");
            assert!(!m.contains('{'), "{lang}: unfilled placeholder in {m}");
        }
        (
            e.code,
            e.location(),
            e.message(Lang::Ja),
            e.message(Lang::En),
        )
    }

    #[test]
    fn edited_amounts_names_kinds_and_new_rows_are_imported() {
        let p = kurume();
        let h = p.horizon;
        let q = edited(&p, Lang::Ja, |s| {
            let lines = sheet(s, "明細");
            // Row 2 (the first line): a typed amount in the second year,
            // and a new name; row 3: its kind and category as codes.
            lines[1][6] = W::T("120万円".into());
            lines[1][3] = W::T("新しい名称".into());
            lines[2][1] = W::T("opex".into());
            lines[2][2] = W::T("Cloud".into());
            // A new line at the end; the total column is not read.
            let mut new = vec![
                W::T("new-line".into()),
                W::T("運営費".into()),
                W::T("その他".into()),
                W::T("追加の明細".into()),
                W::E,
            ];
            new.extend((0..h.len()).map(|i| if i == 0 { W::N(1000.0) } else { W::E }));
            new.push(W::N(999.0));
            lines.push(new);
        })
        .expect("imports");
        let first = &q.line_items[0];
        assert_eq!(first.amounts.get(&h.first.plus(1)), Some(&Yen(1_200_000)));
        assert_eq!(first.name.ja, "新しい名称");
        assert_eq!(first.name.en, p.line_items[0].name.en, "English kept");
        assert_eq!(q.line_items[1].kind, LineKind::Opex);
        assert_eq!(q.line_items[1].category, LineCategory::Cloud);
        let new = q.line_items.last().expect("new line");
        assert_eq!(new.id.as_str(), "new-line");
        assert_eq!(new.amounts, BTreeMap::from([(h.first, Yen(1000))]));
        assert_eq!(new.name.en, None);

        // In English, the name replaces the English one and keeps the Japanese.
        let q = edited(&p, Lang::En, |s| {
            sheet(s, "Line items")[1][3] = W::T("A new name".into());
        })
        .expect("imports");
        assert_eq!(q.line_items[0].name.ja, p.line_items[0].name.ja);
        assert_eq!(q.line_items[0].name.en.as_deref(), Some("A new name"));
    }

    #[test]
    fn a_removed_row_removes_the_line_but_loans_stay() {
        let p = kashiwanoha();
        let loans = p.funding.iter().filter(|f| f.kind.is_debt()).count();
        assert!(loans > 0, "the example has a loan");
        let q = edited(&p, Lang::Ja, |s| {
            sheet(s, "明細").remove(1);
            let funding = sheet(s, "資金調達");
            funding.retain(|r| !matches!(&r[1], W::T(k) if k == "借入"));
        })
        .expect("imports");
        assert_eq!(q.line_items.len(), p.line_items.len() - 1);
        assert_eq!(q.line_items[0].id, p.line_items[1].id);
        assert_eq!(q.funding.iter().filter(|f| f.kind.is_debt()).count(), loans);
    }

    #[test]
    fn a_file_that_is_not_a_workbook() {
        let (code, at, ja, _) = only(import_xlsx(&kurume(), b"not a workbook"));
        assert_eq!((code, at), ("not-xlsx", None));
        assert!(ja.contains(".xlsx"), "{ja}");
    }

    #[test]
    fn a_missing_sheet() {
        let r = edited(&kurume(), Lang::Ja, |s| s.retain(|(n, _)| n != "資金調達"));
        let (code, _, ja, _) = only(r);
        assert_eq!(code, "missing-sheet");
        assert!(ja.contains("資金調達") && ja.contains("Funding"), "{ja}");
    }

    #[test]
    fn a_changed_header() {
        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "明細")[0][2] = W::T("分類".into());
        });
        let (code, at, ja, _) = only(r);
        assert_eq!((code, at.as_deref()), ("header", Some("明細!C1")));
        assert!(ja.contains("区分") && ja.contains("分類"), "{ja}");
    }

    #[test]
    fn years_that_are_not_the_horizon() {
        let p = kurume();
        let r = edited(&p, Lang::En, |s| {
            sheet(s, "Funding")[0][5] = W::T("FY2099".into());
        });
        let (code, at, _, en) = only(r);
        assert_eq!((code, at.as_deref()), ("years", Some("Funding!F1")));
        assert!(en.contains(&p.horizon.first.plus(1).label_en()), "{en}");
        assert!(en.contains("FY2099"), "{en}");
    }

    #[test]
    fn a_column_after_the_total() {
        let p = kurume();
        let n = 5 + p.horizon.len() + 1;
        let r = edited(&p, Lang::Ja, |s| {
            let lines = sheet(s, "明細");
            lines[0].push(W::T("メモ".into()));
            assert_eq!(lines[0].len(), n + 1);
        });
        let (code, at, ..) = only(r);
        assert_eq!(code, "extra-column");
        assert_eq!(
            at.as_deref(),
            Some(format!("明細!{}", cell_ref(1, col_u32(n))).as_str())
        );
    }

    #[test]
    fn an_empty_sheet() {
        let r = edited(&kurume(), Lang::Ja, |s| sheet(s, "明細").clear());
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("empty-sheet", Some("明細")));
    }

    #[test]
    fn malformed_amounts_name_their_cell() {
        for (bad, shown) in [
            (W::T("abc".into()), "abc"),
            (W::N(1.5), "1.5"),
            (W::T("1.5千円万".into()), "1.5千円万"),
            (W::N(2e13), "20000000000000"),
        ] {
            let r = edited(&kurume(), Lang::Ja, |s| sheet(s, "明細")[6][5] = bad);
            let (code, at, ja, en) = only(r);
            assert_eq!((code, at.as_deref()), ("invalid-amount", Some("明細!F7")));
            assert!(ja.starts_with("明細!F7: ") && ja.contains(shown), "{ja}");
            assert!(en.contains("F7") && en.contains(shown), "{en}");
        }
    }

    #[test]
    fn problems_come_in_reading_order() {
        let errs = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "資金調達")[1][1] = W::T("宝くじ".into());
            let lines = sheet(s, "明細");
            lines[3][6] = W::T("abc".into());
            lines[3][1] = W::T("費用".into());
            lines[2][5] = W::T("abc".into());
        })
        .expect_err("errors");
        let at: Vec<_> = errs.0.iter().filter_map(ImportError::location).collect();
        assert_eq!(at, ["明細!F3", "明細!B4", "明細!G4", "資金調達!B2"]);
    }

    #[test]
    fn unknown_kinds_and_categories_list_what_is_allowed() {
        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "明細")[3][1] = W::T("費用".into())
        });
        let (code, at, ja, _) = only(r);
        assert_eq!((code, at.as_deref()), ("unknown-kind", Some("明細!B4")));
        assert!(ja.contains("費用") && ja.contains("運営費 (opex)"), "{ja}");

        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "明細")[3][2] = W::T("雑費".into())
        });
        let (code, at, _, en) = only(r);
        assert_eq!((code, at.as_deref()), ("unknown-category", Some("明細!C4")));
        assert!(en.contains("Cloud (cloud)"), "{en}");

        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "資金調達")[1][1] = W::T("宝くじ".into())
        });
        let (code, at, _, en) = only(r);
        assert_eq!(
            (code, at.as_deref()),
            ("unknown-funding-kind", Some("資金調達!B2"))
        );
        assert!(en.contains("Subsidy (subsidy)"), "{en}");
    }

    #[test]
    fn invalid_ids_name_their_cell() {
        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "明細")[2][0] = W::T("クラウド".into())
        });
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("invalid-id", Some("明細!A3")));
        let r = edited(&kurume(), Lang::Ja, |s| {
            sheet(s, "明細")[2][4] = W::T("Big City".into())
        });
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("invalid-id", Some("明細!E3")));
    }

    #[test]
    fn model_rules_are_reported_at_their_cell() {
        let p = kurume();
        // A negative amount.
        let r = edited(&p, Lang::Ja, |s| sheet(s, "明細")[2][7] = W::N(-5.0));
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("negative-amount", Some("明細!H3")));
        // A party that is not a member.
        let r = edited(&p, Lang::Ja, |s| {
            sheet(s, "明細")[2][4] = W::T("nobody".into())
        });
        let (code, at, ja, _) = only(r);
        assert_eq!((code, at.as_deref()), ("unknown-member", Some("明細!E3")));
        assert!(ja.contains("nobody"), "{ja}");
        // A category that does not fit the kind.
        let r = edited(&p, Lang::En, |s| {
            let lines = sheet(s, "Line items");
            let row = lines
                .iter()
                .position(|r| matches!(&r[1], W::T(k) if k == "Savings"))
                .expect("a savings line");
            lines[row][2] = W::T("Equipment".into());
        });
        let (code, at, ..) = only(r);
        assert_eq!(code, "category-kind");
        assert!(at.is_some_and(|a| a.starts_with("Line items!C")));
        // The same id twice.
        let r = edited(&p, Lang::Ja, |s| {
            let lines = sheet(s, "明細");
            lines[3][0] = lines[2][0].clone();
        });
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("duplicate-id", Some("明細!A4")));
        // An empty name.
        let r = edited(&p, Lang::Ja, |s| sheet(s, "明細")[2][3] = W::E);
        let (code, at, ..) = only(r);
        assert_eq!((code, at.as_deref()), ("empty-text", Some("明細!D3")));
    }

    /// The row of funding source `id` in the funding sheet.
    fn funding_row<'a>(
        s: &'a mut [(String, Vec<Vec<W>>)],
        id: &str,
    ) -> (usize, &'a mut Vec<Vec<W>>) {
        let f = sheet(s, "資金調達");
        let i = f
            .iter()
            .position(|r| matches!(&r[0], W::T(x) if x == id))
            .expect("row");
        (i, f)
    }

    #[test]
    fn loans_come_from_their_terms() {
        let p = kashiwanoha();
        let loan = p.funding.iter().find(|f| f.kind.is_debt()).expect("loan");
        let drawdown = loan.drawdown.expect("drawdown");
        let col = 4 + p.horizon.index(drawdown).expect("inside");
        let id = loan.id.as_str();
        let mut loan_row = 0;
        let r = edited(&p, Lang::Ja, |s| {
            let (i, f) = funding_row(s, id);
            loan_row = i;
            f[i][col] = W::N(1.0);
        });
        let (code, at, ja, _) = only(r);
        assert_eq!(code, "debt-amounts");
        let want = format!("資金調達!{}", cell_ref(col_u32(loan_row + 1), col_u32(col)));
        assert_eq!(at.as_deref(), Some(want.as_str()));
        assert!(
            ja.contains(&loan.principal.expect("principal").to_string()),
            "{ja}"
        );
        // A loan cannot be added by an import: it needs terms.
        let r = edited(&p, Lang::Ja, |s| {
            let (i, f) = funding_row(s, id);
            f[i][0] = W::T("new-loan".into());
        });
        let (code, at, ..) = only(r);
        assert_eq!(code, "debt-not-in-model");
        let want = format!("資金調達!B{}", loan_row + 1);
        assert_eq!(at.as_deref(), Some(want.as_str()));
        // A new name is taken, the terms are kept.
        let q = edited(&p, Lang::Ja, |s| {
            let (i, f) = funding_row(s, id);
            f[i][2] = W::T("地銀からの借入".into());
        })
        .expect("imports");
        let q_loan = q.funding.iter().find(|f| f.id == loan.id).expect("loan");
        assert_eq!(q_loan.name.ja, "地銀からの借入");
        assert_eq!(q_loan.debt_terms(), loan.debt_terms());
    }

    #[test]
    fn csv_errors() {
        let p = kurume();
        let (code, ..) = only(import_csv(&p, b"\xff\xfe\x00a"));
        assert_eq!(code, "csv-not-utf8");
        let csv = model_csv(&eval(&p), Lang::Ja);
        let without = csv.replacen("資金調達\r\n", "\r\n", 1);
        let (code, _, ja, _) = only(import_csv(&p, without.as_bytes()));
        assert_eq!(code, "csv-table");
        assert!(ja.contains("資金調達"), "{ja}");
        // A bad cell is named by its CSV row, as Excel shows the file.
        let mut records = parse_csv(&csv);
        records[3][5] = "たくさん".into();
        let edited: String = records
            .iter()
            .map(|r| r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\r\n")
            .collect();
        let (code, at, ..) = only(import_csv(&p, edited.as_bytes()));
        assert_eq!((code, at.as_deref()), ("invalid-amount", Some("明細!F4")));
    }

    #[test]
    fn names_keep_the_other_language() {
        let t = Text {
            ja: "水位計".into(),
            en: Some("Water gauge".into()),
        };
        assert_eq!(merged_name("水位計", Lang::Ja, Some(&t)), t);
        assert_eq!(merged_name("Water gauge", Lang::En, Some(&t)), t);
        assert_eq!(merged_name("水位センサー", Lang::Ja, Some(&t)).en, t.en);
        assert_eq!(merged_name("Sensor", Lang::En, Some(&t)).ja, t.ja);
        // An English sheet shows the Japanese name when there is no English
        // one; reading it back changes nothing.
        let ja_only = Text {
            ja: "水位計".into(),
            en: None,
        };
        assert_eq!(merged_name("水位計", Lang::En, Some(&ja_only)), ja_only);
    }

    #[test]
    fn explicit_amounts_keep_a_line_valid() {
        let h = kurume().horizon;
        let zeros = vec![Yen::ZERO; h.len()];
        assert_eq!(
            explicit_amounts(h, &zeros),
            BTreeMap::from([(h.first, Yen::ZERO)])
        );
        let mut some = zeros;
        some[2] = Yen(5);
        assert_eq!(
            explicit_amounts(h, &some),
            BTreeMap::from([(h.first.plus(2), Yen(5))])
        );
    }
}
