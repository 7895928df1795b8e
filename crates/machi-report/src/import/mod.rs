//! Reading a model back from the workbook and the CSV that machi writes, so
//! that a model can make a round trip through Excel.
//!
//! The "Line items" (明細) and "Funding" (資金調達) sheets of [`crate::xlsx()`]
//! have descriptive columns ([`LINE_COLUMNS`], [`FUNDING_COLUMNS`]), one
//! column per fiscal year of the horizon and a total; [`crate::model_csv`]
//! writes the same two tables, each under its sheet's name, into one CSV. An
//! import reads them back into a copy of the current version:
//!
//! - line items and non-debt funding sources become the rows, in their
//!   order, with an explicit amount per fiscal year (a generator is replaced
//!   by its values; a blank cell is 0 yen; `1,200,000` and `120万円` are read
//!   as [`Yen`](machi_domain::Yen) reads them);
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
//! # Bounds
//!
//! An upload is read with bounds derived from what the form can hold
//! (`bounds`): a sheet of at most [`MAX_SHEET_ROWS`] rows (a header and
//! [`MAX_ENTRIES`](machi_domain::project::MAX_ENTRIES) rows) and
//! [`MAX_LINE_COLUMNS`] / [`MAX_FUNDING_COLUMNS`] columns (the descriptive
//! columns, [`MAX_HORIZON_YEARS`](machi_domain::project::MAX_HORIZON_YEARS)
//! fiscal years and the total), so cells from A1 to DB1001 / DA1001 and no
//! more of them than that; a CSV of at most [`MAX_CSV_RECORDS`] records of
//! at most [`MAX_CSV_FIELDS`] fields. A workbook's archive is checked before
//! calamine reads a byte of it (`archive`): its parts are inflated and
//! counted against [`MAX_SHEET_BYTES`], [`MAX_METADATA_BYTES`],
//! [`MAX_STYLES_BYTES`], [`MAX_PART_BYTES`] and [`MAX_WORKBOOK_BYTES`], and
//! the two sheets are streamed and refused at the first reference beyond
//! the form. Each refusal is an [`ImportError`] with its own code
//! (`part-too-large`, `too-many-parts`, `sheet-too-large`, `too-many-cells`,
//! `sheet-text-too-large`, `csv-too-many-rows`, `csv-too-many-columns`).
//!
//! Memory: an import holds the upload, at most what calamine keeps of the
//! parts it parses whole (shared strings, styles, workbook, relationships:
//! some 80 MiB when each is at its limit), one sheet's cells within the form
//! (with at most [`MAX_SHEET_TEXT_BYTES`] of text) and the project built from
//! them: **at most 256 MiB per import**. `tests/hostile_uploads.rs` imports
//! each upload in a process of its own and asserts that bound on the peak
//! resident memory of the whole process; in a release build it measured
//! 16 MiB for the largest legitimate workbook (1,000 entries × 100 years),
//! 82 MiB for every part read whole at its limit, 6 MiB for a cell at
//! `XFD1048576`, 9 MiB for the 1.5 GB zip bomb of issue 15 (3.7 MB
//! deflated, refused in 10 ms) and 24 MiB for a CSV of ten million line
//! ends (20 MB of which is the upload).
//!
//! # Files
//!
//! One job per file: `xlsx` and `csv` read a file into the same grids of
//! cells (`grid`); `assemble` turns their rows into a [`Project`]; `vocab`
//! reads kinds and categories; `error` names the problems and their cells;
//! `bounds` holds the limits; `archive` checks a workbook's archive.
//!
//! Pure: bytes in, a [`Project`] or [`ImportErrors`] out; no IO.

mod archive;
mod assemble;
mod bounds;
mod csv;
mod error;
mod grid;
mod vocab;
mod xlsx;

#[cfg(test)]
mod tests;

use machi_domain::Project;

pub use assemble::{drawdowns, explicit_amounts, merged_name};
pub use bounds::{
    MAX_CSV_FIELDS, MAX_CSV_RECORDS, MAX_FUNDING_COLUMNS, MAX_LINE_COLUMNS, MAX_METADATA_BYTES,
    MAX_PART_BYTES, MAX_PARTS, MAX_SHEET_BYTES, MAX_SHEET_ROWS, MAX_SHEET_TEXT_BYTES,
    MAX_STYLES_BYTES, MAX_WORKBOOK_BYTES,
};
pub use error::{ImportError, ImportErrors, Rule, cell_ref};
pub use vocab::{CATEGORIES, FUNDING_KINDS, parse_category, parse_funding_kind, parse_line_kind};

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

/// The kind of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An Excel workbook (`.xlsx`).
    Xlsx,
    /// The CSV of [`crate::model_csv`].
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
    assemble::assemble(current, &xlsx::grids(bytes)?)
}

/// Imports the CSV written by [`crate::model_csv`] (in either language) into
/// a copy of `current`. The CSV must be UTF-8 (a byte-order mark is allowed).
pub fn import_csv(current: &Project, bytes: &[u8]) -> Result<Project, ImportErrors> {
    assemble::assemble(current, &csv::grids(bytes)?)
}
