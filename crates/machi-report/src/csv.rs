//! The CSV exports: the statement by fiscal year ([`csv()`]) and the model's
//! line items and funding sources in the layout of the workbook, which
//! [`crate::import`] reads back ([`model_csv`]). UTF-8 with a byte-order mark
//! and CRLF line ends, so that Excel opens Japanese text correctly.

use machi_domain::{FiscalYear, MemberId, Yen};
use machi_finance::Evaluation;
use machi_i18n::Lang;

use crate::import::{FUNDING_COLUMNS, LINE_COLUMNS};
use crate::{Cell, STATEMENT_COLUMNS, category_label, funding_label, fy, kind_label, label};

/// The statement as CSV: one row per fiscal year, amounts in whole yen,
/// headers in the chosen language. Starts with a UTF-8 byte-order mark so
/// that Excel opens Japanese text correctly.
pub fn csv(eval: &Evaluation, lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let mut header = vec![field(label(lang, "col.fiscal_year"))];
    header.extend(
        STATEMENT_COLUMNS
            .iter()
            .map(|c| field(label(lang, &format!("col.{}", c.key)))),
    );
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in &eval.statement {
        let mut fields = vec![field(&fy(lang, row.fiscal_year))];
        for c in STATEMENT_COLUMNS {
            fields.push(match (c.get)(row) {
                Cell::Yen(y) => y.get().to_string(),
                Cell::Percent(v) | Cell::Ratio(v) => {
                    v.map_or_else(String::new, |v| format!("{v:.6}"))
                }
            });
        }
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
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
    let mut out = String::from("\u{feff}");
    let mut record = |fields: Vec<String>| {
        out.push_str(
            &fields
                .iter()
                .map(|f| field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    };
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

    record(vec![label(lang, "sheet.lines").to_owned()]);
    record(header(&LINE_COLUMNS));
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
        record(f);
    }
    record(Vec::new());
    record(vec![label(lang, "sheet.funding").to_owned()]);
    record(header(&FUNDING_COLUMNS));
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
        record(f);
    }
    out
}
