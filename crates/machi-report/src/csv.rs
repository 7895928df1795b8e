//! The CSV exports: the statement by fiscal year ([`csv()`]) and the model's
//! line items and funding sources in the layout of the workbook, which
//! [`crate::import`] reads back ([`model_csv`]). UTF-8 with a byte-order mark
//! and CRLF line ends, so that Excel opens Japanese text correctly.
//!
//! A text cell that a spreadsheet would run as a formula is protected
//! ([`protect`]); amounts are numbers and are written as they are.

use std::borrow::Cow;

use csv::{Terminator, Writer, WriterBuilder};
use machi_domain::{FiscalYear, MemberId, Yen};
use machi_finance::Evaluation;
use machi_i18n::Lang;

use crate::import::{FUNDING_COLUMNS, LINE_COLUMNS};
use crate::{Cell, STATEMENT_COLUMNS, category_label, funding_label, fy, kind_label, label};

/// The statement as CSV: one row per fiscal year, amounts in whole yen,
/// headers in the chosen language. Starts with a UTF-8 byte-order mark so
/// that Excel opens Japanese text correctly.
pub fn csv(eval: &Evaluation, lang: Lang) -> String {
    let mut out = Document::new();
    out.record(
        ["col.fiscal_year".to_owned()]
            .into_iter()
            .chain(STATEMENT_COLUMNS.iter().map(|c| format!("col.{}", c.key)))
            .map(|k| protect(label(lang, &k)).into_owned()),
    );
    for row in &eval.statement {
        let mut fields = vec![protect(&fy(lang, row.fiscal_year)).into_owned()];
        for c in STATEMENT_COLUMNS {
            fields.push(match (c.get)(row) {
                Cell::Yen(y) => y.get().to_string(),
                Cell::Percent(v) | Cell::Ratio(v) => {
                    v.map_or_else(String::new, |v| format!("{v:.6}"))
                }
            });
        }
        out.record(&fields);
    }
    out.finish()
}

/// A CSV document being written with the `csv` crate: UTF-8 with a
/// byte-order mark, CRLF line ends, a field quoted only when it holds a
/// comma, a quote or a line break (RFC 4180). Writing to memory cannot fail.
pub(crate) struct Document(Writer<Vec<u8>>);

impl Document {
    /// An empty document: the byte-order mark only.
    pub(crate) fn new() -> Document {
        Document(Self::writer("\u{feff}".into()))
    }

    fn writer(bytes: Vec<u8>) -> Writer<Vec<u8>> {
        WriterBuilder::new()
            .terminator(Terminator::CRLF)
            .flexible(true)
            .from_writer(bytes)
    }

    /// One record of fields.
    pub(crate) fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.0.write_record(fields).expect(INFALLIBLE);
    }

    /// A blank line: an empty row in a spreadsheet. (For a record without
    /// fields the `csv` crate writes `""`.)
    pub(crate) fn blank_line(&mut self) {
        let writer = std::mem::replace(&mut self.0, Self::writer(Vec::new()));
        let mut bytes = writer.into_inner().expect(INFALLIBLE);
        bytes.extend_from_slice(b"\r\n");
        self.0 = Self::writer(bytes);
    }

    /// The document as text.
    pub(crate) fn finish(self) -> String {
        let bytes = self.0.into_inner().expect(INFALLIBLE);
        String::from_utf8(bytes).expect("every field written was UTF-8")
    }
}

const INFALLIBLE: &str = "a flexible CSV writer into memory does not fail";

/// What makes a spreadsheet read a cell as a formula when it starts with
/// it: `=`, `+`, `-`, `@`, a tab (0x09) and a carriage return (0x0D).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a text, leading `'` aside, starts as a formula would.
fn formula_like(text: &str) -> bool {
    text.trim_start_matches('\'')
        .starts_with(FORMULA_STARTS.as_slice())
}

/// A text cell as written into a CSV: a text that starts as a formula would
/// (a name such as `=HYPERLINK("http://x","y")` or `+1+cmd|' /C calc'!A0`)
/// gets a leading `'`, so that a spreadsheet shows it as text instead of
/// running it; the writer then quotes the cell per RFC 4180 as it quotes any
/// other. This is the OWASP guidance on CSV injection
/// (<https://owasp.org/www-community/attacks/CSV_Injection>). Only text
/// cells are protected: an amount such as `-1200000` is a number.
///
/// A text that already starts with `'` followed by such a character gets one
/// more, so that [`unprotect`] gives every text back exactly.
pub(crate) fn protect(text: &str) -> Cow<'_, str> {
    if formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A text cell as read from a CSV: without the `'` that [`protect`] added.
pub(crate) fn unprotect(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

/// The line items and funding sources as CSV in the layout of the
/// workbook's "Line items" and "Funding" sheets: each table under a record
/// holding the sheet's name, descriptive columns, one column per fiscal year
/// in whole yen, a total; a blank record between the tables. UTF-8 with a
/// byte-order mark so that Excel opens Japanese text correctly.
pub fn model_csv(eval: &Evaluation, lang: Lang) -> String {
    let en = lang == Lang::En;
    let years: Vec<FiscalYear> = eval.statement.iter().map(|r| r.fiscal_year).collect();
    let mut out = Document::new();
    let header = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .map(|k| label(lang, k).to_owned())
            .chain(years.iter().map(|y| fy(lang, *y)))
            .chain([label(lang, "col.total").to_owned()])
            .map(|h| protect(&h).into_owned())
            .collect()
    };
    // Text cells, protected; the amounts that follow are numbers.
    let texts =
        |cells: &[&str]| -> Vec<String> { cells.iter().map(|c| protect(c).into_owned()).collect() };
    let amounts = |a: &[Yen], total: Yen| -> Vec<String> {
        a.iter()
            .chain([&total])
            .map(|y| y.get().to_string())
            .collect()
    };
    let party = |p: &Option<MemberId>| p.as_ref().map_or_else(String::new, ToString::to_string);

    out.record([protect(label(lang, "sheet.lines")).as_bytes()]);
    out.record(header(&LINE_COLUMNS));
    for l in &eval.lines {
        let mut f = texts(&[
            l.id.as_str(),
            kind_label(lang, l.kind),
            category_label(lang, l.category),
            if en { &l.name_en } else { &l.name_ja },
            &party(&l.party),
        ]);
        f.extend(amounts(&l.amounts, l.total));
        out.record(&f);
    }
    out.blank_line();
    out.record([protect(label(lang, "sheet.funding")).as_bytes()]);
    out.record(header(&FUNDING_COLUMNS));
    for s in &eval.funding {
        let mut f = texts(&[
            s.id.as_str(),
            funding_label(lang, s.kind),
            if en { &s.name_en } else { &s.name_ja },
            &party(&s.party),
        ]);
        f.extend(amounts(&s.amounts, s.total));
        out.record(&f);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_is_undone_exactly() {
        for (text, written) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1200000", "'-1200000"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("''-1", "'''-1"),
            ("'", "'"),
            ("'plain", "'plain"),
            ("", ""),
            ("a=b", "a=b"),
            (" =1", " =1"),
            ("水位計", "水位計"),
        ] {
            assert_eq!(protect(text), written, "{text:?}");
            assert_eq!(unprotect(written), text, "{written:?}");
        }
    }
}
