//! Reading a workbook: the "Line items" and "Funding" sheets of
//! [`crate::xlsx()`], found by their names in either language, as grids.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::error::{ImportError, ImportErrors};
use super::grid::{Grid, Value, Which, col_u32};

/// The two sheets of a workbook as grids, rows numbered as Excel shows them.
pub(super) fn grids(bytes: &[u8]) -> Result<Vec<(Which, Grid)>, ImportErrors> {
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
                v.extend(cells.iter().map(value));
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
    Ok(grids)
}

/// A workbook cell as read.
fn value(d: &Data) -> Value {
    match d {
        Data::Empty => Value::Empty,
        Data::String(s) if s.trim().is_empty() => Value::Empty,
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Number(*f),
        other => Value::Other(other.to_string()),
    }
}
