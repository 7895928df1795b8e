//! Reading the CSV of [`crate::model_csv`]: the two tables, each under a
//! record holding its name in either language, as grids.
//!
//! A CSV is read field by field and refused at the first record beyond
//! [`MAX_CSV_RECORDS`] or the first field beyond [`MAX_CSV_FIELDS`] of a
//! record: a few megabytes of line ends or commas would otherwise become
//! millions of rows or cells in memory.
//! A text cell that the export protected from being run as a formula (a
//! leading `'`, see [`protect`](crate::csv::protect)) is read without it.

use csv_core::ReadFieldResult;
use machi_domain::project::{MAX_ENTRIES, MAX_HORIZON_YEARS};
use machi_i18n::Lang;

use super::bounds::{MAX_CSV_FIELDS, MAX_CSV_RECORDS, thousands};
use super::error::{ImportError, ImportErrors};
use super::grid::{Grid, Value, Which, col_u32};
use crate::label;

/// The two tables of a CSV file as grids, rows numbered by their record in
/// the file (as Excel shows it). The file must be UTF-8; a byte-order mark
/// is allowed.
pub(super) fn grids(bytes: &[u8]) -> Result<Vec<(Which, Grid)>, ImportErrors> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportErrors::one(ImportError::new("csv-not-utf8")))?;
    let records = records(text.trim_start_matches('\u{feff}')).map_err(ImportErrors::one)?;
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

/// A CSV field as read: blank is empty, anything else is text (without
/// the `'` that protected it from being run as a formula).
fn value(s: &str) -> Value {
    let s = crate::csv::unprotect(s);
    if s.trim().is_empty() {
        Value::Empty
    } else {
        Value::Text(s.to_owned())
    }
}

/// The records of a CSV text (RFC 4180: quoted fields may hold commas,
/// quotes written twice and line breaks; CRLF, LF or CR ends a record),
/// read field by field by `csv-core`, the parser of the `csv` crate. A
/// blank line is a record of one empty field, as a spreadsheet shows it as
/// an empty row, so that records keep the row numbers Excel shows.
///
/// Refused at the first record beyond [`MAX_CSV_RECORDS`] and at the first
/// field beyond [`MAX_CSV_FIELDS`] of a record: no more than one field is
/// held beyond what the form can hold. (The `csv` crate's reader holds a
/// whole record, 8 bytes and more per field: 5 MB of commas took 200 MB.)
pub(super) fn records(text: &str) -> Result<Vec<Vec<String>>, ImportError> {
    let bytes = text.as_bytes();
    let mut reader = csv_core::Reader::new();
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut out = [0u8; 4096];
    // Where the reader stands, and whether a record starts there.
    let mut at = 0;
    let mut starts = true;
    loop {
        if starts {
            // The reader skips blank lines: they are the line ends from
            // where it stands to the next record, less the `\n` of a CRLF
            // that ended the last record.
            let ahead = text.get(at..).unwrap_or_default();
            let after_cr = at.checked_sub(1).and_then(|i| bytes.get(i)) == Some(&b'\r');
            let ahead = match ahead.strip_prefix('\n') {
                Some(rest) if after_cr => rest,
                _ => ahead,
            };
            let blank = &ahead[..ahead.len() - ahead.trim_start_matches(['\r', '\n']).len()];
            let blanks = line_ends(blank);
            if records.len().saturating_add(blanks) > MAX_CSV_RECORDS {
                return Err(too_many_rows());
            }
            records.extend((0..blanks).map(|_| vec![String::new()]));
            starts = false;
        }
        // An empty input tells the reader the text has ended.
        let (result, read, written) = reader.read_field(&bytes[at..], &mut out);
        at += read;
        field.extend_from_slice(&out[..written]);
        match result {
            ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { record_end } => {
                if record.is_empty() && records.len() == MAX_CSV_RECORDS {
                    return Err(too_many_rows());
                }
                if record.len() == MAX_CSV_FIELDS {
                    return Err(ImportError::new("csv-too-many-columns")
                        .arg("row", records.len() + 1)
                        .arg("max", MAX_CSV_FIELDS)
                        .arg("years", MAX_HORIZON_YEARS));
                }
                // The reader splits UTF-8 text at ASCII bytes only.
                let text = String::from_utf8(std::mem::take(&mut field))
                    .map_err(|_| ImportError::new("csv-not-utf8"))?;
                record.push(text);
                if record_end {
                    records.push(std::mem::take(&mut record));
                    starts = true;
                }
            }
            ReadFieldResult::End => return Ok(records),
        }
    }
}

fn too_many_rows() -> ImportError {
    ImportError::new("csv-too-many-rows")
        .arg("max", thousands(MAX_CSV_RECORDS as u64))
        .arg("entries", thousands(MAX_ENTRIES as u64))
}

/// How many line ends a run of `\r` and `\n` holds (CRLF is one).
fn line_ends(run: &str) -> usize {
    run.len() - run.matches("\r\n").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_follow_rfc_4180() {
        let r = records("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x\nlast").expect("small");
        assert_eq!(
            r,
            vec![
                vec!["a".to_owned(), "b,c".into(), "say \"hi\"".into()],
                vec!["two\nlines".into(), String::new(), "x".into()],
                vec!["last".into()],
            ]
        );
        // Blank lines are empty rows, wherever they are.
        let r = records("\r\n\na\r\n\r\n\"b\r\n\"\r\r\nc\n\r\n").expect("small");
        let blank = || vec![String::new()];
        assert_eq!(
            r,
            vec![
                blank(),
                blank(),
                vec!["a".to_owned()],
                blank(),
                vec!["b\r\n".to_owned()],
                blank(),
                vec!["c".to_owned()],
                blank(),
            ]
        );
    }
}
