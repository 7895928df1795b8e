//! How much an import reads at most: the rows and columns the form can hold
//! (derived from the domain's limits), and the bytes a workbook's parts may
//! hold once inflated. A file beyond them is refused before it is read into
//! memory; the limits are chosen so that the largest legitimate export (1,000
//! entries over a 100-year horizon) passes with room to spare.

use machi_domain::project::{MAX_ENTRIES, MAX_HORIZON_YEARS};

use super::error::{ImportError, cell_ref};
use super::grid::Which;
use super::{FUNDING_COLUMNS, LINE_COLUMNS};

/// The most rows of the "Line items" and of the "Funding" sheet: the header
/// row and at most [`MAX_ENTRIES`] (1,000) rows, so rows 1 to 1,001. (A
/// project holds at most 1,000 line items and funding sources together; each
/// sheet may hold all of them.)
pub const MAX_SHEET_ROWS: u32 = 1 + MAX_ENTRIES as u32;

/// The most columns of the "Line items" sheet: the descriptive columns
/// ([`LINE_COLUMNS`], 5), at most [`MAX_HORIZON_YEARS`] (100) fiscal years
/// and the total: 106 columns, A to DB. Its last cell is DB1001.
pub const MAX_LINE_COLUMNS: u32 = LINE_COLUMNS.len() as u32 + MAX_HORIZON_YEARS as u32 + 1;

/// The most columns of the "Funding" sheet: [`FUNDING_COLUMNS`] (4), at most
/// 100 fiscal years and the total: 105 columns, A to DA. Its last cell is
/// DA1001.
pub const MAX_FUNDING_COLUMNS: u32 = FUNDING_COLUMNS.len() as u32 + MAX_HORIZON_YEARS as u32 + 1;

/// The most records of the CSV of [`crate::model_csv`]: two tables, each of
/// its name, its header and at most [`MAX_ENTRIES`] rows, and the blank
/// record between them: 2 × (2 + 1,000) + 1 = 2,005.
pub const MAX_CSV_RECORDS: usize = 2 * (2 + MAX_ENTRIES) + 1;

/// The most fields of a CSV record: the wider table's columns,
/// [`MAX_LINE_COLUMNS`] (106).
pub const MAX_CSV_FIELDS: usize = MAX_LINE_COLUMNS as usize;

/// The most parts (files) of a workbook's archive. machi writes 15; Excel
/// adds a few.
pub const MAX_PARTS: usize = 1_000;

/// The most bytes of the "Line items" or the "Funding" sheet's XML, inflated:
/// 16 MiB. The line items of 1,000 entries over 100 years, each amount of 13
/// digits, take 4.5 MB.
pub const MAX_SHEET_BYTES: u64 = 16 << 20;

/// The most bytes, inflated, of each part that the reader parses whole into
/// memory when it opens a workbook (the package and workbook relationships,
/// the workbook, the shared strings and the theme), but the styles: 4 MiB.
/// The shared strings of 1,000 entries with long Japanese names take 130 kB
/// (Excel adds readings to Japanese text, which may triple it).
pub const MAX_METADATA_BYTES: u64 = 4 << 20;

/// The most bytes of the styles, inflated: 1 MiB. The reader keeps some
/// 150 bytes per cell format of 5 bytes (`<xf/>`), so 1 MiB of them takes
/// some 35 MB; machi writes 1.7 kB of styles, Excel some tens of kB.
pub const MAX_STYLES_BYTES: u64 = 1 << 20;

/// The most bytes of any other part, inflated: 64 MiB. These parts are not
/// read, only measured; the largest a machi export holds is the debt
/// schedules of 1,000 loans over 100 years, 28 MB.
pub const MAX_PART_BYTES: u64 = 64 << 20;

/// The most bytes of all the parts together, inflated: 128 MiB.
pub const MAX_WORKBOOK_BYTES: u64 = 128 << 20;

/// The most bytes of text read from one sheet (the text of its cells, a
/// shared string counted once per cell that shows it): 8 MiB. 1,000 rows
/// with names of 1,000 Japanese characters take 3 MB.
pub const MAX_SHEET_TEXT_BYTES: usize = 8 << 20;

/// The columns a table may have.
pub(super) fn max_columns(which: Which) -> u32 {
    match which {
        Which::Lines => MAX_LINE_COLUMNS,
        Which::Funding => MAX_FUNDING_COLUMNS,
    }
}

/// The last cell a table's sheet may hold: `DB1001` or `DA1001`.
pub(super) fn last_cell(which: Which) -> String {
    cell_ref(MAX_SHEET_ROWS, max_columns(which) - 1)
}

/// A cell (or a row, `1048576:1048576`) beyond what a table's sheet can
/// hold.
pub(super) fn sheet_too_large(which: Which, sheet: &str, cell: String) -> ImportError {
    ImportError::new("sheet-too-large")
        .arg("limit", last_cell(which))
        .arg("entries", thousands(MAX_ENTRIES as u64))
        .arg("years", MAX_HORIZON_YEARS)
        .located(sheet, Some(cell))
}

/// More cells than a table's sheet has room for.
pub(super) fn too_many_cells(which: Which, sheet: &str) -> ImportError {
    ImportError::new("too-many-cells")
        .arg("max", thousands(max_cells(which)))
        .arg("limit", last_cell(which))
        .located(sheet, None)
}

/// More text than [`MAX_SHEET_TEXT_BYTES`], reached at `cell`.
pub(super) fn sheet_text_too_large(sheet: &str, cell: String) -> ImportError {
    ImportError::new("sheet-text-too-large")
        .arg("limit", megabytes(MAX_SHEET_TEXT_BYTES as u64))
        .located(sheet, Some(cell))
}

/// `106106` → `106,106`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Whether a cell at `row` (1-based) and `col` (1-based) lies within what a
/// table's sheet may hold.
pub(super) fn within(which: Which, row: u64, col: u64) -> bool {
    (1..=u64::from(MAX_SHEET_ROWS)).contains(&row)
        && (1..=u64::from(max_columns(which))).contains(&col)
}

/// The most cells a table's sheet may hold: its rows × its columns.
pub(super) fn max_cells(which: Which) -> u64 {
    u64::from(MAX_SHEET_ROWS) * u64::from(max_columns(which))
}

/// A cell reference (`F7`, `xfd1048576`) as its 1-based row and column,
/// saturating rather than overflowing (`A99999999999` is a row beyond any
/// limit, not a row that wraps around); `None` when it is not a reference.
pub(super) fn parse_cell(r: &[u8]) -> Option<(u64, u64)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col, row) = r.split_at(letters);
    if col.is_empty() {
        return None;
    }
    let col = col.iter().fold(0u64, |n, b| {
        n.saturating_mul(26)
            .saturating_add(u64::from(b.to_ascii_uppercase() - b'A') + 1)
    });
    Some((parse_row(row)?, col))
}

/// A row number (`7`), saturating; `None` when it is not one.
pub(super) fn parse_row(r: &[u8]) -> Option<u64> {
    if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(r.iter().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// A reference from a 1-based row and a 0-based column of any size:
/// `(2000000, 0)` → `A2000000`.
pub(super) fn reference(row: u64, col: u64) -> String {
    let mut letters = Vec::new();
    let mut n = col.saturating_add(1);
    while n > 0 {
        letters.push(char::from(b'A' + u8::try_from((n - 1) % 26).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &row.to_string()
}

/// Bytes as people read them: `16 MB` (binary megabytes; sizes below one
/// megabyte in kilobytes).
pub(super) fn megabytes(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{} kB", bytes >> 10)
    }
}

/// A reference read from a file, shortened for a message (a hostile file
/// may hold a reference of a megabyte).
pub(super) fn shown(r: &[u8]) -> String {
    const MAX: usize = 40;
    let s = String::from_utf8_lossy(r);
    if s.chars().count() <= MAX {
        s.into_owned()
    } else {
        s.chars().take(MAX).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_forms() {
        assert_eq!(MAX_SHEET_ROWS, 1_001);
        assert_eq!(MAX_LINE_COLUMNS, 106);
        assert_eq!(MAX_FUNDING_COLUMNS, 105);
        assert_eq!(last_cell(Which::Lines), "DB1001");
        assert_eq!(last_cell(Which::Funding), "DA1001");
        assert_eq!(max_cells(Which::Lines), 106_106);
        assert_eq!(MAX_CSV_RECORDS, 2_005);
        assert!(within(Which::Lines, 1_001, 106));
        assert!(!within(Which::Lines, 1_002, 1));
        assert!(!within(Which::Funding, 1, 106));
        assert!(!within(Which::Lines, 0, 1));
    }

    #[test]
    fn references_saturate() {
        assert_eq!(parse_cell(b"F7"), Some((7, 6)));
        assert_eq!(parse_cell(b"db1001"), Some((1_001, 106)));
        assert_eq!(parse_cell(b"XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(parse_cell(b"A99999999999"), Some((99_999_999_999, 1)));
        assert_eq!(
            parse_cell(b"R10000000000000"),
            Some((10_000_000_000_000, 18))
        );
        let huge = [b"A".as_slice(), &[b'9'; 100]].concat();
        assert_eq!(parse_cell(&huge), Some((u64::MAX, 1)));
        let wide = [&[b'Z'; 100][..], b"1"].concat();
        assert_eq!(parse_cell(&wide), Some((1, u64::MAX)));
        for bad in [&b""[..], b"7", b"A", b"A-1", b"A1B", b"&#65;1"] {
            assert_eq!(parse_cell(bad), None, "{}", shown(bad));
        }
        assert_eq!(parse_row(b"1001"), Some(1_001));
        assert_eq!(reference(2_000_000, 0), "A2000000");
        assert_eq!(reference(1, 105), "DB1");
        assert_eq!(reference(5, 702), "AAA5");
        assert_eq!(parse_row(b"+1"), None);
        assert_eq!(megabytes(16 << 20), "16 MB");
        assert_eq!(thousands(106_106), "106,106");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(shown(&[b'A'; 100]).chars().count(), 41);
    }
}
