//! Reading a workbook: the "Line items" and "Funding" sheets of
//! [`crate::xlsx()`], found by their names in either language, as grids.
//!
//! The archive is checked first (`super::archive`); then calamine streams
//! each sheet cell by cell, and every cell it reports is checked again
//! against the form's rows and columns, the number of cells and the text
//! read so far ([`MAX_SHEET_TEXT_BYTES`]) before it is kept. The grid is
//! built from the cells, so it never holds more than rows × columns values.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};

use super::bounds::{
    MAX_SHEET_TEXT_BYTES, max_cells, sheet_text_too_large, sheet_too_large, too_many_cells, within,
};
use super::error::{ImportError, ImportErrors, cell_ref};
use super::grid::{Grid, Value, Which};

/// The two sheets of a workbook as grids, rows numbered as Excel shows them.
pub(super) fn grids(bytes: &[u8]) -> Result<Vec<(Which, Grid)>, ImportErrors> {
    super::archive::check(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
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
        let rows = rows(&mut book, which, &name).map_err(ImportErrors::one)?;
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
    Ok(grids)
}

fn not_xlsx() -> ImportErrors {
    ImportErrors::one(ImportError::new("not-xlsx"))
}

/// The rows of a sheet that hold a cell, in order, each indexed by 0-based
/// column; refused at the first cell beyond the form.
fn rows(
    book: &mut Xlsx<Cursor<&[u8]>>,
    which: Which,
    sheet: &str,
) -> Result<Vec<(u32, Vec<Value>)>, ImportError> {
    let not_xlsx = || ImportError::new("not-xlsx");
    let beyond = |row: u32, col: u32| !within(which, u64::from(row) + 1, u64::from(col) + 1);
    let mut cells = match book.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        // A chart sheet of the table's name holds no rows.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(_) => return Err(not_xlsx()),
    };
    let dims = cells.dimensions();
    for (row, col) in [dims.start, dims.end] {
        if beyond(row, col) {
            return Err(sheet_too_large(
                which,
                sheet,
                cell_ref(row.saturating_add(1), col),
            ));
        }
    }
    let mut rows: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    let mut count = 0u64;
    let mut text = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|_| not_xlsx())? {
        count += 1;
        if count > max_cells(which) {
            return Err(too_many_cells(which, sheet));
        }
        let (row, col) = cell.get_position();
        let at = || cell_ref(row.saturating_add(1), col);
        if beyond(row, col) {
            return Err(sheet_too_large(which, sheet, at()));
        }
        // Counted before it is copied or even trimmed: a shared string is
        // stored once but may be shown by every cell.
        text = text.saturating_add(text_len(cell.get_value()));
        if text > MAX_SHEET_TEXT_BYTES {
            return Err(sheet_text_too_large(sheet, at()));
        }
        let v = value(cell.get_value());
        if v.is_empty() {
            continue;
        }
        // Within the form: the row and the column are small.
        let cells = rows.entry(row + 1).or_default();
        let col = usize::try_from(col).unwrap_or(usize::MAX);
        if cells.len() <= col {
            cells.resize(col + 1, Value::Empty);
        }
        cells[col] = v;
    }
    Ok(rows.into_iter().collect())
}

/// The bytes of text a cell holds.
fn text_len(d: &DataRef<'_>) -> usize {
    match d {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 0,
    }
}

/// A workbook cell as read.
fn value(d: &DataRef<'_>) -> Value {
    let text = |s: &str| {
        if s.trim().is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_owned())
        }
    };
    match d {
        DataRef::Empty => Value::Empty,
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Int(i) => Value::Int(*i),
        DataRef::Float(f) => Value::Number(*f),
        other => Value::Other(Data::from(other.clone()).to_string()),
    }
}
