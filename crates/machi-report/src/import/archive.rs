//! A workbook's archive checked before calamine reads it.
//!
//! An `.xlsx` is a ZIP archive of XML parts. A small upload can claim a
//! great deal: a cell at `XFD1048576` makes a reader allocate a grid of 17
//! billion cells, and a part of repeated cells deflates a thousandfold (1.5 GB
//! in under 5 MB). So the archive is opened here first, with the `zip` crate
//! calamine itself uses, and refused unless:
//!
//! - it holds at most [`MAX_PARTS`] parts;
//! - every part, inflated and counted as it streams (the size the archive
//!   declares is not trusted), holds at most [`MAX_PART_BYTES`]; the parts
//!   the reader parses whole when it opens a workbook (the relationships, the
//!   workbook, the shared strings, the styles, the theme) at most
//!   [`MAX_METADATA_BYTES`] (the styles [`MAX_STYLES_BYTES`]); the two
//!   sheets machi reads at most
//!   [`MAX_SHEET_BYTES`]; and all of them together at most
//!   [`MAX_WORKBOOK_BYTES`];
//! - the shared strings declare no more strings (`uniqueCount`, which the
//!   reader reserves room for) than they hold;
//! - the two sheets machi reads, streamed, have their `<dimension ref="…">`
//!   and every cell (by its reference `<c r="…">`, or for a cell without
//!   one, by its place after the previous cell and its row's `<row r="…">`)
//!   within what the form can hold ([`MAX_SHEET_ROWS`] rows,
//!   [`MAX_LINE_COLUMNS`] or [`MAX_FUNDING_COLUMNS`] columns), and at most
//!   rows × columns cells.
//!
//! The sheets are found as the reader finds them: the package relationships
//! name the workbook, the workbook names its sheets, the workbook
//! relationships give their parts, and part names are matched with ASCII case
//! ignored. Reading the sheets then checks every cell calamine reports again
//! (`super::xlsx`), so a sheet found differently here is still bounded.
//!
//! Memory: the upload itself, the archive's directory, one buffer of 8 kB for
//! measuring, the three small parts read whole (at most [`MAX_METADATA_BYTES`]
//! each) and the XML reader's buffer, which holds one element or one text at
//! a time (at most the part it reads). Nothing grows with the number of cells.

use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read};

use quick_xml::Reader as XmlReader;
use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

#[cfg(doc)]
use super::bounds::{MAX_FUNDING_COLUMNS, MAX_LINE_COLUMNS, MAX_SHEET_ROWS};
use super::bounds::{
    MAX_METADATA_BYTES, MAX_PART_BYTES, MAX_PARTS, MAX_SHEET_BYTES, MAX_STYLES_BYTES,
    MAX_WORKBOOK_BYTES, max_cells, megabytes, parse_cell, parse_row, reference, sheet_too_large,
    shown, too_many_cells, within,
};
use super::error::{ImportError, ImportErrors};
use super::grid::Which;

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Checks a workbook's archive; `Ok` when calamine may read it.
pub(super) fn check(bytes: &[u8]) -> Result<(), ImportErrors> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    if zip.len() > MAX_PARTS {
        return Err(ImportErrors::one(
            ImportError::new("too-many-parts").arg("max", MAX_PARTS),
        ));
    }
    let names = Names::of(&zip)?;
    let layout = Layout::read(&mut zip, &names)?;
    measure(&mut zip, &names, &layout)?;
    for i in names.all(&layout.shared_strings()) {
        shared_strings(&mut zip, i)?;
    }
    for (which, sheet, part) in &layout.sheets {
        for i in names.all(part) {
            scan_sheet(&mut zip, i, *which, sheet)?;
        }
    }
    Ok(())
}

fn not_xlsx() -> ImportErrors {
    ImportErrors::one(ImportError::new("not-xlsx"))
}

fn part_too_large(part: &str, limit: u64) -> ImportErrors {
    ImportErrors::one(
        ImportError::new("part-too-large")
            .arg("part", shown(part.as_bytes()))
            .arg("limit", megabytes(limit)),
    )
}

/// The archive's part names as the reader matches them: `\` read as `/`,
/// ASCII case ignored.
struct Names(Vec<String>);

impl Names {
    fn of(zip: &Archive<'_>) -> Result<Names, ImportErrors> {
        (0..zip.len())
            .map(|i| match zip.name_for_index(i) {
                Some(Ok(name)) => Ok(normal(&name)),
                _ => Err(not_xlsx()),
            })
            .collect::<Result<_, _>>()
            .map(Names)
    }

    /// Every part named `path`.
    fn all(&self, path: &str) -> Vec<usize> {
        let path = normal(path);
        (0..self.0.len()).filter(|i| self.0[*i] == path).collect()
    }

    /// The part the reader opens for `path` (of several, the last).
    fn one(&self, path: &str) -> Option<usize> {
        self.all(path).last().copied()
    }
}

fn normal(path: &str) -> String {
    path.replace('\\', "/").to_ascii_lowercase()
}

/// Where the workbook's parts are, found as the reader finds them.
struct Layout {
    /// The folder of the workbook part, e.g. `xl/`.
    dir: String,
    /// The workbook part's name in it, e.g. `workbook.xml`.
    workbook: String,
    /// The sheets machi reads: the table, the sheet's name and its part.
    sheets: Vec<(Which, String, String)>,
}

impl Layout {
    fn read(zip: &mut Archive<'_>, names: &Names) -> Result<Layout, ImportErrors> {
        let rels = metadata(zip, names, "_rels/.rels")?.ok_or_else(not_xlsx)?;
        let mut target = None;
        for e in elements(&rels, "Relationship")? {
            let kind = attr(&e, "Type")?;
            if kind.is_some_and(|t| t.ends_with("/relationships/officeDocument")) {
                target = attr(&e, "Target")?;
            }
        }
        let target = unescape(&target.ok_or_else(not_xlsx)?)
            .map_err(|_| not_xlsx())?
            .into_owned();
        let (dir, name) = target.split_at(target.rfind('/').map_or(0, |i| i + 1));
        let mut layout = Layout {
            dir: dir.strip_prefix('/').unwrap_or(dir).to_owned(),
            workbook: if name.is_empty() {
                "workbook.xml".to_owned()
            } else {
                name.to_owned()
            },
            sheets: Vec::new(),
        };
        let rels_path = format!("{}_rels/{}.rels", layout.dir, layout.workbook);
        let rels = metadata(zip, names, &rels_path)?.ok_or_else(not_xlsx)?;
        let mut targets = HashMap::new();
        for e in elements(&rels, "Relationship")? {
            if let (Some(id), target) = (attr(&e, "Id")?, attr(&e, "Target")?) {
                targets.insert(id, target.unwrap_or_default());
            }
        }
        let workbook_path = format!("{}{}", layout.dir, layout.workbook);
        let Some(workbook) = metadata(zip, names, &workbook_path)? else {
            return Ok(layout);
        };
        let mut sheets = Vec::new();
        for e in elements(&workbook, "sheet")? {
            let name = attr(&e, "name")?.unwrap_or_default();
            let name = unescape(&name).map_err(|_| not_xlsx())?.into_owned();
            let id = attributes(&e)?
                .into_iter()
                .find(|(k, _)| k == "id" || k.ends_with(":id"))
                .map(|(_, v)| v)
                .unwrap_or_default();
            let Some(target) = targets.get(&id) else {
                continue;
            };
            let part = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_owned(),
                None => format!("{}{target}", layout.dir),
            };
            sheets.push((name, part));
        }
        for which in [Which::Lines, Which::Funding] {
            // The first sheet of the table's name, as the import picks it.
            if let Some((name, part)) = sheets.iter().find(|(n, _)| which.named(n).is_some()) {
                layout.sheets.push((which, name.clone(), part.clone()));
            }
        }
        Ok(layout)
    }

    fn shared_strings(&self) -> String {
        format!("{}sharedStrings.xml", self.dir)
    }

    /// The parts calamine reads, each with its limit (as matched).
    fn limits(&self) -> Vec<(String, u64)> {
        let metadata = [
            "_rels/.rels".to_owned(),
            format!("{}_rels/{}.rels", self.dir, self.workbook),
            format!("{}{}", self.dir, self.workbook),
            self.shared_strings(),
            format!("{}theme/theme1.xml", self.dir),
        ];
        let styles = format!("{}styles.xml", self.dir);
        self.sheets
            .iter()
            .map(|(_, _, part)| (part.clone(), MAX_SHEET_BYTES))
            .chain([(styles, MAX_STYLES_BYTES)])
            .chain(metadata.into_iter().map(|p| (p, MAX_METADATA_BYTES)))
            .map(|(p, limit)| (normal(&p), limit))
            .collect()
    }
}

/// A part the reader parses whole, read whole (at most
/// [`MAX_METADATA_BYTES`]); `None` when the archive has no such part.
fn metadata(
    zip: &mut Archive<'_>,
    names: &Names,
    path: &str,
) -> Result<Option<Vec<u8>>, ImportErrors> {
    let Some(i) = names.one(path) else {
        return Ok(None);
    };
    let file = zip.by_index(i).map_err(|_| not_xlsx())?;
    let mut out = Vec::new();
    file.take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|_| not_xlsx())?;
    if u64::try_from(out.len()).unwrap_or(u64::MAX) > MAX_METADATA_BYTES {
        return Err(part_too_large(path, MAX_METADATA_BYTES));
    }
    Ok(Some(out))
}

/// Inflates every part, counting its bytes without keeping them, and
/// refuses a part beyond its limit or an archive beyond
/// [`MAX_WORKBOOK_BYTES`].
fn measure(zip: &mut Archive<'_>, names: &Names, layout: &Layout) -> Result<(), ImportErrors> {
    let limits = layout.limits();
    let mut total = 0u64;
    for (i, name) in names.0.iter().enumerate() {
        // The smallest limit of the part (a sheet may be named twice).
        let limit = limits
            .iter()
            .filter(|(p, _)| p == name)
            .map(|(_, limit)| *limit)
            .min()
            .unwrap_or(MAX_PART_BYTES);
        let file = zip.by_index(i).map_err(|_| not_xlsx())?;
        let shown_name = file.name().map(|n| n.into_owned()).unwrap_or_default();
        let size = io::copy(&mut file.take(limit + 1), &mut io::sink()).map_err(|_| not_xlsx())?;
        if size > limit {
            return Err(part_too_large(&shown_name, limit));
        }
        total += size;
        if total > MAX_WORKBOOK_BYTES {
            return Err(part_too_large(&shown_name, MAX_WORKBOOK_BYTES));
        }
    }
    Ok(())
}

/// An XML reader configured as calamine configures its own.
fn xml_reader<R: io::BufRead>(r: R) -> XmlReader<R> {
    let mut xml = XmlReader::from_reader(r);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.expand_empty_elements = true;
    config.trim_text(false);
    xml
}

/// The elements named `local` (any prefix) of a small part.
fn elements(part: &[u8], local: &str) -> Result<Vec<BytesStart<'static>>, ImportErrors> {
    let mut xml = xml_reader(part);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|_| not_xlsx())? {
            Event::Start(e) if e.local_name().as_ref() == local => out.push(e.into_owned()),
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Every attribute of an element, raw (not unescaped), by its qualified name.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, ImportErrors> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    attrs
        .map(|a| {
            let a = a.map_err(|_| not_xlsx())?;
            Ok((a.key.as_ref().to_owned(), a.value.into_owned()))
        })
        .collect()
}

/// An attribute by its qualified name, raw; the first if it is repeated.
fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, ImportErrors> {
    Ok(attributes(e)?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v))
}

/// Every value of attribute `key` of an element, raw.
fn values(e: &BytesStart<'_>, key: &str) -> Result<Vec<String>, ImportErrors> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    let mut out = Vec::new();
    for a in attrs {
        let a = a.map_err(|_| not_xlsx())?;
        if a.key.as_ref() == key {
            out.push(a.value.into_owned());
        }
    }
    Ok(out)
}

/// A part streamed through an XML reader, at most `limit` bytes.
fn stream<'z>(
    zip: &'z mut Archive<'_>,
    i: usize,
    limit: u64,
) -> Result<XmlReader<BufReader<impl Read + 'z>>, ImportErrors> {
    let file = zip.by_index(i).map_err(|_| not_xlsx())?;
    Ok(xml_reader(BufReader::new(file.take(limit))))
}

/// Refuses shared strings that declare more strings than they hold: the
/// reader reserves room for the declared number before it reads one.
fn shared_strings(zip: &mut Archive<'_>, i: usize) -> Result<(), ImportErrors> {
    let mut xml = stream(zip, i, MAX_METADATA_BYTES)?;
    let mut declared = 0u64;
    let mut held = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|_| not_xlsx())? {
            Event::Start(e) => match e.local_name().as_ref() {
                "sst" => {
                    for v in values(&e, "uniqueCount")? {
                        declared = declared.max(parse_row(v.as_bytes()).ok_or_else(not_xlsx)?);
                    }
                }
                "si" => held += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if declared > held {
        return Err(not_xlsx());
    }
    Ok(())
}

/// Streams a sheet machi reads and refuses it at the first reference beyond
/// what the form can hold, or when it holds more cells than rows × columns.
fn scan_sheet(
    zip: &mut Archive<'_>,
    i: usize,
    which: Which,
    sheet: &str,
) -> Result<(), ImportErrors> {
    let too_large = |cell: String| ImportErrors::one(sheet_too_large(which, sheet, cell));
    let mut xml = stream(zip, i, MAX_SHEET_BYTES)?;
    let mut buf = Vec::new();
    let mut in_data = false;
    // Where a cell without a reference is: 0-based, as the reader counts.
    let (mut row, mut col) = (0u64, 0u64);
    let mut cells = 0u64;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|_| not_xlsx())? {
            Event::Start(e) => match e.local_name().as_ref() {
                "dimension" => {
                    for r in values(&e, "ref")? {
                        let mut corners = Vec::new();
                        for corner in r.split(':') {
                            let (r, c) = parse_cell(corner.as_bytes()).ok_or_else(not_xlsx)?;
                            if !within(which, r, c) {
                                return Err(too_large(shown(corner.as_bytes())));
                            }
                            corners.push((r, c));
                        }
                        if let [(r0, c0), (r1, c1)] = corners[..]
                            && (r0 > r1 || c0 > c1)
                        {
                            return Err(not_xlsx());
                        }
                    }
                }
                "sheetData" => in_data = true,
                "row" if in_data => {
                    // A row without cells costs nothing (Excel writes one
                    // for a row whose height was changed): only the cells
                    // without a reference that follow are placed by it.
                    for r in values(&e, "r")? {
                        let n = parse_row(r.as_bytes()).ok_or_else(not_xlsx)?;
                        row = n.checked_sub(1).ok_or_else(not_xlsx)?;
                    }
                }
                "c" if in_data => {
                    cells += 1;
                    if cells > max_cells(which) {
                        return Err(ImportErrors::one(too_many_cells(which, sheet)));
                    }
                    let refs = values(&e, "r")?;
                    for r in &refs {
                        let (n, c) = parse_cell(r.as_bytes()).ok_or_else(not_xlsx)?;
                        if !within(which, n, c) {
                            return Err(too_large(shown(r.as_bytes())));
                        }
                        col = c - 1;
                    }
                    if refs.is_empty() && !within(which, row.saturating_add(1), col + 1) {
                        return Err(too_large(reference(row.saturating_add(1), col)));
                    }
                    col += 1;
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "row" if in_data => {
                    row = row.saturating_add(1);
                    col = 0;
                }
                "sheetData" => in_data = false,
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}
