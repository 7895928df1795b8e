//! Files built to hurt the server, from a real export: cells far beyond the
//! form, a zip bomb, parts that overstate or overfill, text repeated by
//! reference, CSVs of millions of rows. Each is refused with its code, and
//! without reading what it claims into memory (the memory itself is measured
//! by `tests/hostile_uploads.rs`, one process per file).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::*;

const WORKBOOK: &str = "xl/workbook.xml";
const LINES: &str = "xl/worksheets/sheet3.xml";
const FUNDING: &str = "xl/worksheets/sheet4.xml";
const STRINGS: &str = "xl/sharedStrings.xml";
const STYLES: &str = "xl/styles.xml";

type Writer = ZipWriter<Cursor<Vec<u8>>>;

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// Kurume's workbook in Japanese; its third and fourth parts are the line
/// items (明細) and the funding (資金調達).
fn book() -> Vec<u8> {
    let book = workbook(&kurume(), Lang::Ja);
    let sheets = part(&book, WORKBOOK);
    assert!(sheets.contains(r#"<sheet name="明細" sheetId="3" r:id="rId3"/>"#));
    assert!(sheets.contains(r#"<sheet name="資金調達" sheetId="4" r:id="rId4"/>"#));
    assert!(part(&book, "xl/_rels/workbook.xml.rels").contains(
        r#"Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet3.xml""#
    ));
    book
}

/// The text of a part.
pub(super) fn part(book: &[u8], name: &str) -> String {
    let mut zip = ZipArchive::new(Cursor::new(book)).expect("a workbook");
    let mut text = String::new();
    zip.by_name(name)
        .expect("the part")
        .read_to_string(&mut text)
        .expect("UTF-8");
    text
}

/// `book` without the parts `skip` (the others copied as they are), and
/// what `add` writes.
fn rebuilt(book: &[u8], skip: &[&str], add: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut zip = ZipArchive::new(Cursor::new(book)).expect("a workbook");
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).expect("a part");
        let name = file.name().expect("a name").into_owned();
        if !skip.contains(&name.as_str()) {
            out.raw_copy_file(file).expect("copied");
        }
    }
    add(&mut out);
    out.finish().expect("written").into_inner()
}

/// `book` with part `name` holding `text`.
fn replaced(book: &[u8], name: &str, text: &str) -> Vec<u8> {
    rebuilt(book, &[name], |w| {
        w.start_file(name, deflated()).expect("a part");
        w.write_all(text.as_bytes()).expect("written");
    })
}

/// `book` with part `name` edited by `edit`.
fn edited_part(book: &[u8], name: &str, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    replaced(book, name, &edit(part(book, name)))
}

/// The sheet with its last cell's reference changed to `to`.
fn last_cell_moved(xml: String, to: &str) -> String {
    let at = xml.rfind(r#"<c r=""#).expect("a cell") + r#"<c r=""#.len();
    let end = at + xml[at..].find('"').expect("the closing quote");
    format!("{}{to}{}", &xml[..at], &xml[end..])
}

/// A sheet of the given rows' XML.
fn sheet(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

fn import_book(book: &[u8]) -> Result<Project, ImportErrors> {
    import_xlsx(&kurume(), book)
}

#[test]
fn the_untouched_export_and_its_last_cell_within_the_form_are_read() {
    let p = kurume();
    let book = book();
    assert_eq!(
        model_of(&import_book(&book).expect("imports")),
        model_of(&p)
    );
    // The last cell the line sheet can hold: DB1001 (the total of the last
    // row moved there is not read).
    let moved = edited_part(&book, LINES, |x| last_cell_moved(x, "DB1001"));
    assert_eq!(
        model_of(&import_book(&moved).expect("imports")),
        model_of(&p)
    );
}

#[test]
fn a_cell_beyond_the_form_is_refused_before_it_is_read() {
    let book = book();
    // On the current code these abort the process (hundreds of GB), or
    // take seconds and gigabytes (Z2000000).
    for to in [
        "XFD1048576",
        "A99999999999",
        "R10000000000000",
        "Z2000000",
        // Just beyond: a 107th column, a 1,002nd row.
        "DC1",
        "A1002",
    ] {
        let hostile = edited_part(&book, LINES, |x| last_cell_moved(x, to));
        let (code, at, ja, en) = only(import_book(&hostile));
        assert_eq!(code, "sheet-too-large", "{to}");
        assert_eq!(at, Some(format!("明細!{to}")));
        assert!(ja.contains("DB1001") && ja.contains("1,000"), "{ja}");
        assert!(
            en.contains("DB1001") && en.contains("100 fiscal years"),
            "{en}"
        );
    }
    // The funding sheet has one descriptive column fewer: DA is its last.
    let hostile = edited_part(&book, FUNDING, |x| last_cell_moved(x, "DB2"));
    let (code, at, _, en) = only(import_book(&hostile));
    assert_eq!(
        (code, at.as_deref()),
        ("sheet-too-large", Some("資金調達!DB2"))
    );
    assert!(en.contains("DA1001"), "{en}");
}

#[test]
fn a_dimension_beyond_the_form_is_refused() {
    let book = book();
    let xml = part(&book, LINES);
    let dimension = xml
        .split(r#"<dimension ref=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a dimension")
        .to_owned();
    let hostile = replaced(&book, LINES, &xml.replacen(&dimension, "A1:XFD1048576", 1));
    let (code, at, ..) = only(import_book(&hostile));
    assert_eq!(
        (code, at.as_deref()),
        ("sheet-too-large", Some("明細!XFD1048576"))
    );
    // Corners the wrong way round are not a dimension.
    let hostile = replaced(&book, LINES, &xml.replacen(&dimension, "U14:A1", 1));
    assert_eq!(only(import_book(&hostile)).0, "not-xlsx");
}

#[test]
fn a_row_beyond_the_form_places_the_cells_that_follow_it() {
    let book = book();
    let bare = without_references(&part(&book, LINES));
    let row = bare.rfind(r#"<row r=""#).expect("a row") + r#"<row r=""#.len();
    let end = row + bare[row..].find('"').expect("the closing quote");
    // Its cells have no reference: they are in row 2,000,000.
    let hostile = format!("{}2000000{}", &bare[..row], &bare[end..]);
    let (code, at, ..) = only(import_book(&replaced(&book, LINES, &hostile)));
    assert_eq!(
        (code, at.as_deref()),
        ("sheet-too-large", Some("明細!A2000000"))
    );
    // A row without cells (Excel writes one for a row whose height was
    // changed) is nothing to read.
    let xml = part(&book, LINES);
    let tall = xml.replacen(
        "</sheetData>",
        r#"<row r="5000" ht="30" customHeight="1"></row></sheetData>"#,
        1,
    );
    let q = import_book(&replaced(&book, LINES, &tall)).expect("imports");
    assert_eq!(model_of(&q), model_of(&kurume()));
}

/// The sheet's cells without their references.
fn without_references(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find(r#"<c r=""#) {
        out.push_str(&rest[..at]);
        out.push_str("<c");
        let after = &rest[at + r#"<c r=""#.len()..];
        rest = &after[after.find('"').expect("the closing quote") + 1..];
    }
    out + rest
}

#[test]
fn cells_without_references_are_placed_as_the_reader_places_them() {
    let p = kurume();
    let book = book();
    let bare = without_references(&part(&book, LINES));
    assert!(!bare.contains("<c r="));
    // Each cell follows the one before: the same sheet.
    let q = import_book(&replaced(&book, LINES, &bare)).expect("imports");
    assert_eq!(model_of(&q), model_of(&p));
    // 200 more cells in the header row run past column DB.
    let more = "<c><v>1</v></c>".repeat(200);
    let hostile = bare.replacen("</row>", &format!("{more}</row>"), 1);
    let (code, at, ..) = only(import_book(&replaced(&book, LINES, &hostile)));
    assert_eq!((code, at.as_deref()), ("sheet-too-large", Some("明細!DC1")));
}

#[test]
fn more_cells_than_the_form_holds_are_refused() {
    // The same cell 106,107 times: within the form, but more cells than
    // its 1,001 rows × 106 columns.
    let cells = r#"<c r="A1"><v>1</v></c>"#.repeat(106_107);
    let hostile = replaced(
        &book(),
        LINES,
        &sheet(&format!(r#"<row r="1">{cells}</row>"#)),
    );
    let (code, at, ja, en) = only(import_book(&hostile));
    assert_eq!((code, at.as_deref()), ("too-many-cells", Some("明細")));
    assert!(ja.contains("106,106") && en.contains("DB1001"), "{en}");
}

/// `book` with the line sheet replaced by `bytes` bytes of repeated cells,
/// streamed into the deflater (never held in memory).
fn zip_bomb(book: &[u8], bytes: u64) -> Vec<u8> {
    const CELL: &[u8] = br#"<c r="A1"><v>1</v></c>"#;
    rebuilt(book, &[LINES], |w| {
        w.start_file(LINES, deflated()).expect("a part");
        w.write_all(br#"<worksheet><sheetData><row r="1">"#)
            .expect("written");
        let chunk = CELL.repeat(64 * 1024 / CELL.len());
        let mut written = 0;
        while written < bytes {
            w.write_all(&chunk).expect("written");
            written += chunk.len() as u64;
        }
        w.write_all(b"</row></sheetData></worksheet>")
            .expect("written");
    })
}

#[test]
fn a_zip_bomb_is_refused_at_its_limit() {
    // 24 MiB of cells, deflated to about 140 kB. (The 1.5 GB bomb of the
    // issue is `tests/hostile_uploads.rs`'s; it is refused at the same
    // 16 MiB, after reading no more of it.)
    let hostile = zip_bomb(&book(), 24 << 20);
    assert!(hostile.len() < 1 << 20, "{}", hostile.len());
    let (code, at, ja, en) = only(import_book(&hostile));
    assert_eq!((code, at), ("part-too-large", None));
    assert!(ja.contains(LINES) && ja.contains("16 MB"), "{ja}");
    assert!(en.contains(LINES) && en.contains("16 MB"), "{en}");
}

#[test]
fn the_parts_together_are_bounded_even_when_they_share_their_bytes() {
    // One part of 48 MiB of zeros, listed four times over the same
    // compressed bytes: 192 MiB for a file of 50 kB.
    let hostile = rebuilt(&book(), &[], |w| {
        w.start_file("xl/media/a.bin", deflated()).expect("a part");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..48 {
            w.write_all(&zeros).expect("written");
        }
        for copy in ["b", "c", "d"] {
            w.shallow_copy_file("xl/media/a.bin", &format!("xl/media/{copy}.bin"))
                .expect("copied");
        }
    });
    assert!(hostile.len() < 1 << 20, "{}", hostile.len());
    let (code, _, _, en) = only(import_book(&hostile));
    assert_eq!(code, "part-too-large");
    assert!(en.contains("128 MB"), "{en}");
}

#[test]
fn a_size_the_archive_understates_is_not_trusted() {
    // The bomb's headers (the local one and the directory's) say it holds
    // 100 bytes.
    let mut hostile = zip_bomb(&book(), 24 << 20);
    let name = LINES.as_bytes();
    let mut patched = 0;
    for at in 0..hostile.len() - 46 - name.len() {
        // A local header: its signature, the size at 22, the name at 30;
        // a directory header: the size at 24, the name at 46.
        let size = match &hostile[at..at + 4] {
            b"PK\x03\x04" if hostile[at + 30..].starts_with(name) => at + 22,
            b"PK\x01\x02" if hostile[at + 46..].starts_with(name) => at + 24,
            _ => continue,
        };
        hostile[size..size + 4].copy_from_slice(&100u32.to_le_bytes());
        patched += 1;
    }
    assert_eq!(patched, 2);
    // Counted as it inflates, the part is more than it says: the archive
    // reader refuses it (and the count would have, at 16 MiB).
    assert_eq!(only(import_book(&hostile)).0, "not-xlsx");
}

#[test]
fn shared_strings_that_overstate_their_number_are_refused() {
    // The reader reserves room for `uniqueCount` strings before reading
    // one: 99,999,999,999 strings are 2.4 TB, and the process aborts.
    let book = book();
    let hostile = edited_part(&book, STRINGS, |x| {
        let at = x.find(r#"uniqueCount=""#).expect("a count") + r#"uniqueCount=""#.len();
        let end = at + x[at..].find('"').expect("the closing quote");
        format!("{}99999999999{}", &x[..at], &x[end..])
    });
    assert_eq!(only(import_book(&hostile)).0, "not-xlsx");
}

#[test]
fn parts_read_whole_are_bounded() {
    // Comments in the parts the reader parses whole: 2 MiB in the styles,
    // 5 MiB in the shared strings.
    let book = book();
    for (name, root, bytes, limit) in [
        (STYLES, "<styleSheet", 2 << 20, "1 MB"),
        (STRINGS, "<sst", 5 << 20, "4 MB"),
    ] {
        let padding = format!("<!--{}-->", "x".repeat(bytes));
        let hostile = edited_part(&book, name, |x| {
            x.replacen(root, &format!("{padding}{root}"), 1)
        });
        let (code, _, _, en) = only(import_book(&hostile));
        assert_eq!(code, "part-too-large");
        assert!(en.contains(name) && en.contains(limit), "{en}");
    }
}

#[test]
fn too_many_parts_are_refused() {
    let hostile = rebuilt(&book(), &[], |w| {
        for i in 0..MAX_PARTS {
            w.start_file(format!("customXml/item{i}.xml"), deflated())
                .expect("a part");
        }
    });
    let (code, _, _, en) = only(import_book(&hostile));
    assert_eq!(code, "too-many-parts");
    assert!(en.contains("1000"), "{en}");
}

#[test]
fn text_shown_by_many_cells_is_counted_once_per_cell() {
    // One shared string of 1 MiB, shown by nine cells: 9 MiB of text to
    // copy from a part of 1 MiB.
    let book = book();
    let strings = part(&book, STRINGS);
    let count: usize = strings
        .split(r#"uniqueCount=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    let big = format!("<si><t>{}</t></si></sst>", "x".repeat(1 << 20));
    let book = replaced(&book, STRINGS, &strings.replacen("</sst>", &big, 1));
    let cells: String = ["A", "B", "C", "D", "E", "F", "G", "H", "I"]
        .iter()
        .map(|c| format!(r#"<c r="{c}1" t="s"><v>{count}</v></c>"#))
        .collect();
    let hostile = replaced(
        &book,
        LINES,
        &sheet(&format!(r#"<row r="1">{cells}</row>"#)),
    );
    let (code, at, ja, _) = only(import_book(&hostile));
    assert_eq!(
        (code, at.as_deref()),
        ("sheet-text-too-large", Some("明細!I1"))
    );
    assert!(ja.contains("8 MB"), "{ja}");
}

#[test]
fn a_csv_beyond_the_form_is_refused_before_it_is_read() {
    let p = kurume();
    // Ten million line ends: ten million empty rows.
    let lines = "\r\n".repeat(10_000_000);
    let (code, at, ja, _) = only(import_csv(&p, lines.as_bytes()));
    assert_eq!((code, at), ("csv-too-many-rows", None));
    assert!(ja.contains("2,005"), "{ja}");
    // As many records, each of one field.
    let ones = "a\n".repeat(10_000_000);
    assert_eq!(only(import_csv(&p, ones.as_bytes())).0, "csv-too-many-rows");
    // Five megabytes of commas: five million fields in one record.
    let csv = model_csv(&eval(&p), Lang::Ja);
    let commas = format!("{csv}{}\r\n", ",".repeat(5 << 20));
    let (code, _, _, en) = only(import_csv(&p, commas.as_bytes()));
    assert_eq!(code, "csv-too-many-columns");
    let row = records(&csv).expect("bounded").len() + 1;
    assert!(
        en.contains(&format!("Row {row} ")) && en.contains("106"),
        "{en}"
    );
    // The most the form holds is read: 2,005 records of 106 fields.
    let full = format!("{}\r\n", ",".repeat(105)).repeat(MAX_CSV_RECORDS);
    assert_eq!(
        records(&full).expect("within the form").len(),
        MAX_CSV_RECORDS
    );
    let over = format!("{full}x\r\n");
    assert_eq!(
        records(&over).expect_err("one too many").code,
        "csv-too-many-rows"
    );
    let wide = format!("{}\r\n", ",".repeat(106));
    assert_eq!(
        records(&wide).expect_err("one too wide").code,
        "csv-too-many-columns"
    );
}
