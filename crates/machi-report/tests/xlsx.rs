//! The workbook reads back in a spreadsheet reader with the same numbers.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use machi_domain::Project;
use machi_finance::{Options, evaluate};
use machi_i18n::Lang;

#[test]
fn workbook_round_trips_through_a_reader() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let first = std::fs::read_dir(path)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .min()
        .expect("an example");
    let project =
        Project::from_toml_str(&std::fs::read_to_string(first).expect("read")).expect("valid");
    let eval = evaluate(&project, &Options::default()).expect("evaluates");
    for &lang in Lang::ALL {
        let bytes = machi_report::xlsx(&project, &eval, lang).expect("builds");
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("opens");
        let names = book.sheet_names();
        assert_eq!(names.len(), 6, "{names:?}");
        let statement = book.worksheet_range(&names[1]).expect("statement sheet");
        // Row 0: years across; column 0: labels. Net cash flow is a row.
        let label = machi_report::label(lang, "col.net_cash_flow");
        let row = statement
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.to_owned())))
            .expect("net cash flow row");
        for (i, r) in eval.statement.iter().enumerate() {
            assert_eq!(
                row[i + 1],
                Data::Float(r.net_cash_flow.to_f64()),
                "{}",
                r.fiscal_year
            );
        }
        // Line items: id first, then one amount per fiscal year, then the total.
        let lines = book.worksheet_range(&names[2]).expect("line-item sheet");
        let years = eval.statement.len();
        for l in &eval.lines {
            let row = lines
                .rows()
                .find(|r| r.first() == Some(&Data::String(l.id.to_string())))
                .expect("line row");
            let amounts: Vec<Data> = l.amounts.iter().map(|y| Data::Float(y.to_f64())).collect();
            assert_eq!(&row[5..5 + years], amounts.as_slice(), "{}", l.id);
            assert_eq!(row[5 + years], Data::Float(l.total.to_f64()));
        }
        let header = statement.rows().next().expect("header");
        let first_year = match lang {
            Lang::Ja => project.horizon.first.label_ja(),
            Lang::En => project.horizon.first.label_en(),
        };
        assert_eq!(header[1], Data::String(first_year));
    }
}
