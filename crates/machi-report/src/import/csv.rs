//! Reading the CSV of [`crate::model_csv`]: the two tables, each under a
//! record holding its name in either language, as grids.

use machi_i18n::Lang;

use super::error::{ImportError, ImportErrors};
use super::grid::{Grid, Value, Which, col_u32};
use crate::label;

/// The two tables of a CSV file as grids, rows numbered by their record in
/// the file (as Excel shows it). The file must be UTF-8; a byte-order mark
/// is allowed.
pub(super) fn grids(bytes: &[u8]) -> Result<Vec<(Which, Grid)>, ImportErrors> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportErrors::one(ImportError::new("csv-not-utf8")))?;
    let records = records(text.trim_start_matches('\u{feff}'));
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
                    r.iter().map(|c| value(c)).collect(),
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
    Ok(grids)
}

/// A CSV field as read: blank is empty, anything else is text.
fn value(s: &str) -> Value {
    if s.trim().is_empty() {
        Value::Empty
    } else {
        Value::Text(s.to_owned())
    }
}

pub(super) fn records(text: &str) -> Vec<Vec<String>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_follow_rfc_4180() {
        let r = records("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x\nlast");
        assert_eq!(
            r,
            vec![
                vec!["a".to_owned(), "b,c".into(), "say \"hi\"".into()],
                vec!["two\nlines".into(), String::new(), "x".into()],
                vec!["last".into()],
            ]
        );
    }
}
