//! The import end to end: every example round-trips through the workbook
//! and the CSV, and a workbook edited the way a person edits it in Excel
//! reads back, or reports each problem at its cell.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use machi_domain::project::{LineCategory, LineKind, Text};
use machi_domain::{Project, Yen};
use machi_finance::{Evaluation, Options, evaluate};
use machi_i18n::Lang;
use rust_xlsxwriter::Workbook;

use super::csv::records;
use super::grid::{Which, col_u32};
use super::*;
use crate::csv::Document;
use crate::label;
use crate::model_csv;

mod hostile;

fn examples() -> Vec<(String, Project)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut out: Vec<(String, Project)> = std::fs::read_dir(dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            let project =
                Project::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), project)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 4, "the examples are there");
    out
}

fn kurume() -> Project {
    Project::from_toml_str(include_str!("../../../../examples/kurume-flood-ai.toml"))
        .expect("example")
}

fn kashiwanoha() -> Project {
    Project::from_toml_str(include_str!(
        "../../../../examples/kashiwanoha-area-services.toml"
    ))
    .expect("example")
}

fn eval(p: &Project) -> Evaluation {
    evaluate(p, &Options::default()).expect("evaluates")
}

fn workbook(p: &Project, lang: Lang) -> Vec<u8> {
    crate::xlsx(p, &eval(p), lang).expect("workbook")
}

/// What the round trip must keep, per line and funding source.
fn model_of(p: &Project) -> Vec<String> {
    let e = eval(p);
    let lines = p.line_items.iter().zip(&e.lines).map(|(l, r)| {
        format!(
            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            l.id, l.kind, l.category, l.name, l.party, l.payer, l.beneficiary, l.note, r.amounts
        )
    });
    let funding = p.funding.iter().zip(&e.funding).map(|(f, r)| {
        format!(
            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            f.id,
            f.kind,
            f.name,
            f.party,
            f.debt_terms(),
            f.program,
            f.donor,
            f.note,
            r.amounts
        )
    });
    lines.chain(funding).collect()
}

#[test]
fn every_example_round_trips_through_the_workbook_and_the_csv() {
    for (path, p) in examples() {
        let e = eval(&p);
        for &lang in Lang::ALL {
            let from_xlsx = import_xlsx(&p, &workbook(&p, lang))
                .unwrap_or_else(|e| panic!("{path} {lang}: {e}"));
            let csv = model_csv(&e, lang);
            let from_csv =
                import_csv(&p, csv.as_bytes()).unwrap_or_else(|e| panic!("{path} {lang} csv: {e}"));
            for (how, q) in [("xlsx", &from_xlsx), ("csv", &from_csv)] {
                assert_eq!(model_of(q), model_of(&p), "{path} {lang} {how}");
                // Everything else is the current version's, and so is
                // the whole evaluation.
                assert_eq!(q.members, p.members);
                assert_eq!(q.application, p.application);
                assert_eq!(eval(q), e, "{path} {lang} {how}");
                // Generators are replaced by their values.
                assert!(q.line_items.iter().all(|l| l.generator.is_none()));
                assert!(q.funding.iter().all(|f| f.generator.is_none()));
            }
            // A second trip changes nothing more.
            let again = import_xlsx(&from_xlsx, &workbook(&from_xlsx, lang)).expect("again");
            assert_eq!(again, from_xlsx, "{path} {lang}");
        }
    }
}

#[test]
fn the_layout_is_the_workbooks() {
    let p = kurume();
    for &lang in Lang::ALL {
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(workbook(&p, lang))).expect("opens");
        for (which, keys) in [
            (Which::Lines, &LINE_COLUMNS[..]),
            (Which::Funding, &FUNDING_COLUMNS[..]),
        ] {
            let range = book
                .worksheet_range(label(lang, which.sheet_key()))
                .expect("sheet");
            let header: Vec<String> = range
                .rows()
                .next()
                .expect("header")
                .iter()
                .map(|d| d.to_string())
                .collect();
            let csv = model_csv(&eval(&p), lang);
            let records = records(csv.trim_start_matches('\u{feff}')).expect("bounded");
            let csv_header = records
                .iter()
                .skip_while(|r| {
                    r.first().map(String::as_str) != Some(label(lang, which.sheet_key()))
                })
                .nth(1)
                .expect("csv header");
            assert_eq!(&header, csv_header, "{lang}");
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(header[i], label(lang, k));
            }
            assert_eq!(header.len(), keys.len() + p.horizon.len() + 1);
        }
    }
}

// -- Editing a workbook the way a person does in Excel.

/// A cell to write: text, a number or nothing.
#[derive(Clone)]
enum W {
    T(String),
    N(f64),
    E,
}

/// The sheets of a workbook as cells.
fn read_back(bytes: &[u8]) -> Vec<(String, Vec<Vec<W>>)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("opens");
    book.sheet_names()
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).expect("sheet");
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|d| match d {
                            Data::String(s) => W::T(s.clone()),
                            Data::Float(f) => W::N(*f),
                            Data::Int(i) => W::N(*i as f64),
                            Data::Empty => W::E,
                            other => W::T(other.to_string()),
                        })
                        .collect()
                })
                .collect();
            (n, rows)
        })
        .collect()
}

fn write(sheets: &[(String, Vec<Vec<W>>)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (col_u32(r), u16::try_from(c).expect("column"));
                match cell {
                    W::T(s) => ws.write_string(r, c, s).map(|_| ()),
                    W::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                    W::E => Ok(()),
                }
                .expect("cell");
            }
        }
    }
    wb.save_to_buffer().expect("workbook")
}

/// Exports `p` in `lang`, lets `edit` change the sheets, imports.
fn edited(
    p: &Project,
    lang: Lang,
    edit: impl FnOnce(&mut Vec<(String, Vec<Vec<W>>)>),
) -> Result<Project, ImportErrors> {
    let mut sheets = read_back(&workbook(p, lang));
    edit(&mut sheets);
    import_xlsx(p, &write(&sheets))
}

fn sheet<'a>(sheets: &'a mut [(String, Vec<Vec<W>>)], name: &str) -> &'a mut Vec<Vec<W>> {
    &mut sheets.iter_mut().find(|(n, _)| n == name).expect("sheet").1
}

/// The single error's code, location and message in both languages.
fn only(r: Result<Project, ImportErrors>) -> (&'static str, Option<String>, String, String) {
    let errs = r.expect_err("an error");
    assert_eq!(errs.0.len(), 1, "{errs}");
    let e = &errs.0[0];
    for &lang in Lang::ALL {
        let m = e.message(lang);
        assert!(!m.contains("⟦missing"), "{lang}: {m}");
        assert!(!m.contains('{'), "{lang}: unfilled placeholder in {m}");
    }
    (
        e.code,
        e.location(),
        e.message(Lang::Ja),
        e.message(Lang::En),
    )
}

#[test]
fn edited_amounts_names_kinds_and_new_rows_are_imported() {
    let p = kurume();
    let h = p.horizon;
    let q = edited(&p, Lang::Ja, |s| {
        let lines = sheet(s, "明細");
        // Row 2 (the first line): a typed amount in the second year,
        // and a new name; row 3: its kind and category as codes.
        lines[1][6] = W::T("120万円".into());
        lines[1][3] = W::T("新しい名称".into());
        lines[2][1] = W::T("opex".into());
        lines[2][2] = W::T("Cloud".into());
        // A new line at the end; the total column is not read.
        let mut new = vec![
            W::T("new-line".into()),
            W::T("運営費".into()),
            W::T("その他".into()),
            W::T("追加の明細".into()),
            W::E,
        ];
        new.extend((0..h.len()).map(|i| if i == 0 { W::N(1000.0) } else { W::E }));
        new.push(W::N(999.0));
        lines.push(new);
    })
    .expect("imports");
    let first = &q.line_items[0];
    assert_eq!(first.amounts.get(&h.first.plus(1)), Some(&Yen(1_200_000)));
    assert_eq!(first.name.ja, "新しい名称");
    assert_eq!(first.name.en, p.line_items[0].name.en, "English kept");
    assert_eq!(q.line_items[1].kind, LineKind::Opex);
    assert_eq!(q.line_items[1].category, LineCategory::Cloud);
    let new = q.line_items.last().expect("new line");
    assert_eq!(new.id.as_str(), "new-line");
    assert_eq!(new.amounts, BTreeMap::from([(h.first, Yen(1000))]));
    assert_eq!(new.name.en, None);

    // In English, the name replaces the English one and keeps the Japanese.
    let q = edited(&p, Lang::En, |s| {
        sheet(s, "Line items")[1][3] = W::T("A new name".into());
    })
    .expect("imports");
    assert_eq!(q.line_items[0].name.ja, p.line_items[0].name.ja);
    assert_eq!(q.line_items[0].name.en.as_deref(), Some("A new name"));
}

#[test]
fn a_removed_row_removes_the_line_but_loans_stay() {
    let p = kashiwanoha();
    let loans = p.funding.iter().filter(|f| f.kind.is_debt()).count();
    assert!(loans > 0, "the example has a loan");
    let q = edited(&p, Lang::Ja, |s| {
        sheet(s, "明細").remove(1);
        let funding = sheet(s, "資金調達");
        funding.retain(|r| !matches!(&r[1], W::T(k) if k == "借入"));
    })
    .expect("imports");
    assert_eq!(q.line_items.len(), p.line_items.len() - 1);
    assert_eq!(q.line_items[0].id, p.line_items[1].id);
    assert_eq!(q.funding.iter().filter(|f| f.kind.is_debt()).count(), loans);
}

#[test]
fn a_file_that_is_not_a_workbook() {
    let (code, at, ja, _) = only(import_xlsx(&kurume(), b"not a workbook"));
    assert_eq!((code, at), ("not-xlsx", None));
    assert!(ja.contains(".xlsx"), "{ja}");
}

#[test]
fn a_missing_sheet() {
    let r = edited(&kurume(), Lang::Ja, |s| s.retain(|(n, _)| n != "資金調達"));
    let (code, _, ja, _) = only(r);
    assert_eq!(code, "missing-sheet");
    assert!(ja.contains("資金調達") && ja.contains("Funding"), "{ja}");
}

#[test]
fn a_changed_header() {
    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "明細")[0][2] = W::T("分類".into());
    });
    let (code, at, ja, _) = only(r);
    assert_eq!((code, at.as_deref()), ("header", Some("明細!C1")));
    assert!(ja.contains("区分") && ja.contains("分類"), "{ja}");
}

#[test]
fn years_that_are_not_the_horizon() {
    let p = kurume();
    let r = edited(&p, Lang::En, |s| {
        sheet(s, "Funding")[0][5] = W::T("FY2099".into());
    });
    let (code, at, _, en) = only(r);
    assert_eq!((code, at.as_deref()), ("years", Some("Funding!F1")));
    assert!(en.contains(&p.horizon.first.plus(1).label_en()), "{en}");
    assert!(en.contains("FY2099"), "{en}");
}

#[test]
fn a_column_after_the_total() {
    let p = kurume();
    let n = 5 + p.horizon.len() + 1;
    let r = edited(&p, Lang::Ja, |s| {
        let lines = sheet(s, "明細");
        lines[0].push(W::T("メモ".into()));
        assert_eq!(lines[0].len(), n + 1);
    });
    let (code, at, ..) = only(r);
    assert_eq!(code, "extra-column");
    assert_eq!(
        at.as_deref(),
        Some(format!("明細!{}", cell_ref(1, col_u32(n))).as_str())
    );
}

#[test]
fn an_empty_sheet() {
    let r = edited(&kurume(), Lang::Ja, |s| sheet(s, "明細").clear());
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("empty-sheet", Some("明細")));
}

#[test]
fn malformed_amounts_name_their_cell() {
    for (bad, shown) in [
        (W::T("abc".into()), "abc"),
        (W::N(1.5), "1.5"),
        (W::T("1.5千円万".into()), "1.5千円万"),
        (W::N(2e13), "20000000000000"),
    ] {
        let r = edited(&kurume(), Lang::Ja, |s| sheet(s, "明細")[6][5] = bad);
        let (code, at, ja, en) = only(r);
        assert_eq!((code, at.as_deref()), ("invalid-amount", Some("明細!F7")));
        assert!(ja.starts_with("明細!F7: ") && ja.contains(shown), "{ja}");
        assert!(en.contains("F7") && en.contains(shown), "{en}");
    }
}

#[test]
fn problems_come_in_reading_order() {
    let errs = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "資金調達")[1][1] = W::T("宝くじ".into());
        let lines = sheet(s, "明細");
        lines[3][6] = W::T("abc".into());
        lines[3][1] = W::T("費用".into());
        lines[2][5] = W::T("abc".into());
    })
    .expect_err("errors");
    let at: Vec<_> = errs.0.iter().filter_map(ImportError::location).collect();
    assert_eq!(at, ["明細!F3", "明細!B4", "明細!G4", "資金調達!B2"]);
}

#[test]
fn unknown_kinds_and_categories_list_what_is_allowed() {
    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "明細")[3][1] = W::T("費用".into())
    });
    let (code, at, ja, _) = only(r);
    assert_eq!((code, at.as_deref()), ("unknown-kind", Some("明細!B4")));
    assert!(ja.contains("費用") && ja.contains("運営費 (opex)"), "{ja}");

    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "明細")[3][2] = W::T("雑費".into())
    });
    let (code, at, _, en) = only(r);
    assert_eq!((code, at.as_deref()), ("unknown-category", Some("明細!C4")));
    assert!(en.contains("Cloud (cloud)"), "{en}");

    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "資金調達")[1][1] = W::T("宝くじ".into())
    });
    let (code, at, _, en) = only(r);
    assert_eq!(
        (code, at.as_deref()),
        ("unknown-funding-kind", Some("資金調達!B2"))
    );
    assert!(en.contains("Subsidy (subsidy)"), "{en}");
}

#[test]
fn invalid_ids_name_their_cell() {
    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "明細")[2][0] = W::T("クラウド".into())
    });
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("invalid-id", Some("明細!A3")));
    let r = edited(&kurume(), Lang::Ja, |s| {
        sheet(s, "明細")[2][4] = W::T("Big City".into())
    });
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("invalid-id", Some("明細!E3")));
}

#[test]
fn model_rules_are_reported_at_their_cell() {
    let p = kurume();
    // A negative amount.
    let r = edited(&p, Lang::Ja, |s| sheet(s, "明細")[2][7] = W::N(-5.0));
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("negative-amount", Some("明細!H3")));
    // A party that is not a member.
    let r = edited(&p, Lang::Ja, |s| {
        sheet(s, "明細")[2][4] = W::T("nobody".into())
    });
    let (code, at, ja, _) = only(r);
    assert_eq!((code, at.as_deref()), ("unknown-member", Some("明細!E3")));
    assert!(ja.contains("nobody"), "{ja}");
    // A category that does not fit the kind.
    let r = edited(&p, Lang::En, |s| {
        let lines = sheet(s, "Line items");
        let row = lines
            .iter()
            .position(|r| matches!(&r[1], W::T(k) if k == "Savings"))
            .expect("a savings line");
        lines[row][2] = W::T("Equipment".into());
    });
    let (code, at, ..) = only(r);
    assert_eq!(code, "category-kind");
    assert!(at.is_some_and(|a| a.starts_with("Line items!C")));
    // The same id twice.
    let r = edited(&p, Lang::Ja, |s| {
        let lines = sheet(s, "明細");
        lines[3][0] = lines[2][0].clone();
    });
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("duplicate-id", Some("明細!A4")));
    // An empty name.
    let r = edited(&p, Lang::Ja, |s| sheet(s, "明細")[2][3] = W::E);
    let (code, at, ..) = only(r);
    assert_eq!((code, at.as_deref()), ("empty-text", Some("明細!D3")));
}

/// The row of funding source `id` in the funding sheet.
fn funding_row<'a>(s: &'a mut [(String, Vec<Vec<W>>)], id: &str) -> (usize, &'a mut Vec<Vec<W>>) {
    let f = sheet(s, "資金調達");
    let i = f
        .iter()
        .position(|r| matches!(&r[0], W::T(x) if x == id))
        .expect("row");
    (i, f)
}

#[test]
fn loans_come_from_their_terms() {
    let p = kashiwanoha();
    let loan = p.funding.iter().find(|f| f.kind.is_debt()).expect("loan");
    let drawdown = loan.drawdown.expect("drawdown");
    let col = 4 + p.horizon.index(drawdown).expect("inside");
    let id = loan.id.as_str();
    let mut loan_row = 0;
    let r = edited(&p, Lang::Ja, |s| {
        let (i, f) = funding_row(s, id);
        loan_row = i;
        f[i][col] = W::N(1.0);
    });
    let (code, at, ja, _) = only(r);
    assert_eq!(code, "debt-amounts");
    let want = format!("資金調達!{}", cell_ref(col_u32(loan_row + 1), col_u32(col)));
    assert_eq!(at.as_deref(), Some(want.as_str()));
    assert!(
        ja.contains(&loan.principal.expect("principal").to_string()),
        "{ja}"
    );
    // A loan cannot be added by an import: it needs terms.
    let r = edited(&p, Lang::Ja, |s| {
        let (i, f) = funding_row(s, id);
        f[i][0] = W::T("new-loan".into());
    });
    let (code, at, ..) = only(r);
    assert_eq!(code, "debt-not-in-model");
    let want = format!("資金調達!B{}", loan_row + 1);
    assert_eq!(at.as_deref(), Some(want.as_str()));
    // A new name is taken, the terms are kept.
    let q = edited(&p, Lang::Ja, |s| {
        let (i, f) = funding_row(s, id);
        f[i][2] = W::T("地銀からの借入".into());
    })
    .expect("imports");
    let q_loan = q.funding.iter().find(|f| f.id == loan.id).expect("loan");
    assert_eq!(q_loan.name.ja, "地銀からの借入");
    assert_eq!(q_loan.debt_terms(), loan.debt_terms());
}

#[test]
fn csv_errors() {
    let p = kurume();
    let (code, ..) = only(import_csv(&p, b"\xff\xfe\x00a"));
    assert_eq!(code, "csv-not-utf8");
    let csv = model_csv(&eval(&p), Lang::Ja);
    let without = csv.replacen("資金調達\r\n", "\r\n", 1);
    let (code, _, ja, _) = only(import_csv(&p, without.as_bytes()));
    assert_eq!(code, "csv-table");
    assert!(ja.contains("資金調達"), "{ja}");
    // A bad cell is named by its CSV row, as Excel shows the file.
    let line = |fields: &[String]| {
        let mut out = Document::new();
        out.record(fields);
        out.finish().trim_start_matches('\u{feff}').to_owned()
    };
    let mut records = records(&csv).expect("bounded");
    records[3][5] = "たくさん".into();
    let edited: String = records.iter().map(|r| line(r)).collect();
    let (code, at, ..) = only(import_csv(&p, edited.as_bytes()));
    assert_eq!((code, at.as_deref()), ("invalid-amount", Some("明細!F4")));
    // The blank line between the tables is a row too: a funding source's
    // row follows the table name, the header, the lines, the blank line,
    // the funding table's name and its header.
    let (k, source) = p
        .funding
        .iter()
        .enumerate()
        .find(|(_, f)| !f.kind.is_debt())
        .expect("a source that is not debt");
    let i = records
        .iter()
        .position(|r| r.first().map(String::as_str) == Some(source.id.as_str()))
        .expect("its record");
    let mut bad = records[i].clone();
    bad[4] = "たくさん".into();
    let edited = csv.replacen(&line(&records[i]), &line(&bad), 1);
    assert_ne!(edited, csv);
    let (code, at, ..) = only(import_csv(&p, edited.as_bytes()));
    let want = format!("資金調達!E{}", 2 + p.line_items.len() + 3 + k + 1);
    assert_eq!(
        (code, at.as_deref()),
        ("invalid-amount", Some(want.as_str()))
    );
}

// -- Text that a spreadsheet would run as a formula (CSV injection).

/// Names a spreadsheet would run (OWASP's examples among them), names that
/// look like the protection itself, and a name that only holds `=`.
const FORMULAS: [&str; 9] = [
    r#"=HYPERLINK("http://x","y")"#,
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
    "'=already protected",
    "''+twice",
    "'plain",
    "a=b",
];

/// Kurume with its project, line items and funding sources named in turn
/// by `names`, in Japanese and (with ` en` added) in English.
fn named(names: &[&str]) -> Project {
    let text = |i: usize| {
        let n = names[i % names.len()];
        Text {
            ja: n.to_owned(),
            en: Some(format!("{n} en")),
        }
    };
    let mut p = kurume();
    p.project.name = text(0);
    for (i, l) in p.line_items.iter_mut().enumerate() {
        l.name = text(i);
    }
    let lines = p.line_items.len();
    for (i, f) in p.funding.iter_mut().enumerate() {
        f.name = text(lines + i);
    }
    p.validate().expect("valid");
    p
}

/// The name cell of each line item and funding source of a model CSV, as
/// written, by id.
fn name_cells(csv: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut name_col = 3;
    for r in records(csv.trim_start_matches('\u{feff}')).expect("bounded") {
        // The funding table has one descriptive column fewer.
        if Which::Funding.named(&r[0]).is_some() {
            name_col = 2;
        } else if r.len() > name_col {
            out.insert(r[0].clone(), r[name_col].clone());
        }
    }
    out
}

#[test]
fn text_a_spreadsheet_would_run_is_protected_in_the_model_csv() {
    let p = named(&FORMULAS);
    for &lang in Lang::ALL {
        let csv = model_csv(&eval(&p), lang);
        let cells = name_cells(&csv);
        let names = p
            .line_items
            .iter()
            .map(|l| (l.id.as_str(), &l.name))
            .chain(p.funding.iter().map(|f| (f.id.as_str(), &f.name)));
        let mut protected = 0;
        for (id, name) in names {
            let name = name.get(lang == Lang::En);
            let cell = &cells[id];
            let runs = name
                .trim_start_matches('\'')
                .starts_with(['=', '+', '-', '@']);
            if runs {
                assert_eq!(*cell, format!("'{name}"), "{lang} {id}");
                protected += 1;
            } else {
                assert_eq!(cell, name, "{lang} {id}");
            }
        }
        assert!(protected >= 6, "{lang}: {protected}");
        // Quoted per RFC 4180 as any cell with quotes and commas.
        if lang == Lang::Ja {
            assert!(
                csv.contains(r#","'=HYPERLINK(""http://x"",""y"")","#),
                "{csv}"
            );
        }
        // The amounts are numbers as they were.
        for r in records(csv.trim_start_matches('\u{feff}')).expect("bounded") {
            for amount in r.iter().skip(LINE_COLUMNS.len()) {
                assert!(!amount.starts_with('\''), "{amount}");
            }
        }
    }
}

#[test]
fn text_led_by_a_tab_or_a_carriage_return_is_protected_too() {
    // A project cannot hold a carriage return (project validation refuses
    // control characters but tab and line feed), so only the writer is
    // asked about one.
    assert_eq!(crate::csv::protect("\r=1+1"), "'\r=1+1");
    let p = named(&["\t=1+1", "plain"]);
    let csv = model_csv(&eval(&p), Lang::Ja);
    let cells = name_cells(&csv);
    assert_eq!(cells[p.line_items[0].id.as_str()], "'\t=1+1");
    // Read back as the workbook reads them: a cell's text is trimmed.
    let from_csv = import_csv(&p, csv.as_bytes()).expect("imports");
    let from_xlsx = import_xlsx(&p, &workbook(&p, Lang::Ja)).expect("imports");
    assert_eq!(model_of(&from_csv), model_of(&from_xlsx));
    assert_eq!(from_csv.line_items[0].name.ja, "=1+1");
}

#[test]
fn protected_text_reads_back_as_it_was() {
    let p = named(&FORMULAS);
    let e = eval(&p);
    for &lang in Lang::ALL {
        let q = import_csv(&p, model_csv(&e, lang).as_bytes()).expect("imports");
        assert_eq!(model_of(&q), model_of(&p), "{lang}");
        // Into a version with other names, so that each name is the one read.
        let other = kurume();
        let q = import_csv(&other, model_csv(&e, lang).as_bytes()).expect("imports");
        for (got, want) in q.line_items.iter().zip(&p.line_items) {
            assert_eq!(
                got.name.get(lang == Lang::En),
                want.name.get(lang == Lang::En),
                "{lang}"
            );
        }
    }
}

#[test]
fn negative_amounts_are_not_protected() {
    let p = kurume();
    let e = eval(&p);
    let csv = crate::csv(&e, Lang::Ja);
    let fields: Vec<String> = records(csv.trim_start_matches('\u{feff}'))
        .expect("bounded")
        .into_iter()
        .flatten()
        .collect();
    let negative = fields
        .iter()
        .filter(|f| {
            f.strip_prefix('-')
                .is_some_and(|d| d.parse::<u64>().is_ok())
        })
        .count();
    assert!(negative > 0, "the statement has negative amounts");
    assert!(fields.iter().all(|f| !f.starts_with('\'')), "{csv}");
    let row = e
        .statement
        .iter()
        .find(|r| r.net_cash_flow < Yen::ZERO)
        .expect("a year in deficit");
    assert!(
        fields.contains(&row.net_cash_flow.get().to_string()),
        "{}",
        row.net_cash_flow
    );
}

#[test]
fn a_formula_like_name_is_a_string_cell_in_the_workbook() {
    let p = named(&["=1+1"]);
    let book = workbook(&p, Lang::Ja);
    let names: Vec<String> = zip::ZipArchive::new(Cursor::new(&book[..]))
        .expect("a workbook")
        .file_names()
        .map(|n| n.expect("a name").into_owned())
        .collect();
    for name in names.iter().filter(|n| n.starts_with("xl/worksheets/")) {
        let sheet = hostile::part(&book, name);
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{name}");
    }
    assert!(hostile::part(&book, "xl/sharedStrings.xml").contains("<t>=1+1</t>"));
    let mut reader: Xlsx<_> = Xlsx::new(Cursor::new(book)).expect("opens");
    let lines = reader.worksheet_range("明細").expect("the sheet");
    assert_eq!(lines.get((1, 3)), Some(&Data::String("=1+1".into())));
}
