//! The CSV exports: the statement by fiscal year ([`csv()`]) and the model's
//! line items and funding sources in the layout of the workbook, which
//! [`crate::import`] reads back ([`model_csv`]). UTF-8 with a byte-order mark
//! and CRLF line ends, so that Excel opens Japanese text correctly.

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
            .map(|k| label(lang, &k)),
    );
    for row in &eval.statement {
        let mut fields = vec![fy(lang, row.fiscal_year)];
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
            .collect()
    };
    let amounts = |a: &[Yen], total: Yen| -> Vec<String> {
        a.iter()
            .chain([&total])
            .map(|y| y.get().to_string())
            .collect()
    };
    let party = |p: &Option<MemberId>| p.as_ref().map_or_else(String::new, ToString::to_string);

    out.record([label(lang, "sheet.lines")]);
    out.record(header(&LINE_COLUMNS));
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
        out.record(&f);
    }
    out.blank_line();
    out.record([label(lang, "sheet.funding")]);
    out.record(header(&FUNDING_COLUMNS));
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
        out.record(&f);
    }
    out.finish()
}
