//! The workbook: one sheet per view, fiscal years as columns (the layout of a
//! municipal financial model in Excel), amounts in whole yen as numbers.

use machi_domain::{FiscalYear, Project, Yen};
use machi_finance::Evaluation;
use machi_i18n::Lang;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

pub use rust_xlsxwriter::XlsxError;

use crate::{Cell, STATEMENT_COLUMNS, category_label, funding_label, fy, kind_label, label};

struct Formats {
    yen: Format,
    pct: Format,
    ratio: Format,
    bold: Format,
    header: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            yen: Format::new().set_num_format("#,##0;[Red]-#,##0"),
            pct: Format::new().set_num_format("0.00%"),
            ratio: Format::new().set_num_format("0.00"),
            bold: Format::new().set_bold(),
            header: Format::new().set_bold().set_background_color("#DCE6F1"),
        }
    }
}

fn put_yen(ws: &mut Worksheet, r: u32, c: u16, y: Yen, f: &Formats) -> Result<(), XlsxError> {
    ws.write_number_with_format(r, c, y.to_f64(), &f.yen)?;
    Ok(())
}

fn put_opt(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    v: Option<f64>,
    fmt: &Format,
) -> Result<(), XlsxError> {
    if let Some(v) = v.filter(|v| v.is_finite()) {
        ws.write_number_with_format(r, c, v, fmt)?;
    } else {
        ws.write_string(r, c, "—")?;
    }
    Ok(())
}

fn year_header(
    ws: &mut Worksheet,
    row: u32,
    first_col: u16,
    years: &[FiscalYear],
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    for (i, y) in years.iter().enumerate() {
        let c = first_col + u16::try_from(i).unwrap_or(u16::MAX - first_col);
        ws.write_string_with_format(row, c, fy(lang, *y), &f.header)?;
        ws.set_column_width(c, 14)?;
    }
    Ok(())
}

/// A sheet of rows with descriptive text columns, one amount per fiscal year
/// and a total: the layout of the line-item and funding sheets (and the one
/// an import reads back).
fn amount_sheet<'a>(
    ws: &mut Worksheet,
    name: &str,
    header: &[&str],
    rows: impl Iterator<Item = (Vec<String>, &'a [Yen], Yen)>,
    years: &[FiscalYear],
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    let col = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
    ws.set_name(name)?;
    for (i, k) in header.iter().enumerate() {
        ws.write_string_with_format(0, col(i), label(lang, k), &f.header)?;
    }
    // The name column is the one after id, kind (and category).
    ws.set_column_width(col(header.len() - 2), 30)?;
    year_header(ws, 0, col(header.len()), years, lang, f)?;
    ws.write_string_with_format(
        0,
        col(header.len() + years.len()),
        label(lang, "col.total"),
        &f.header,
    )?;
    for (i, (cells, amounts, total)) in rows.enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (c, cell) in cells.iter().enumerate() {
            ws.write_string(r, col(c), cell)?;
        }
        for (yi, y) in amounts.iter().enumerate() {
            put_yen(ws, r, col(header.len() + yi), *y, f)?;
        }
        put_yen(ws, r, col(header.len() + years.len()), total, f)?;
    }
    ws.set_freeze_panes(1, col(header.len()))?;
    Ok(())
}

/// The evaluation as an XLSX workbook, in memory.
pub fn xlsx(project: &Project, eval: &Evaluation, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let en = lang == Lang::En;
    let f = Formats::new();
    let mut wb = Workbook::new();
    let years: Vec<FiscalYear> = eval.statement.iter().map(|r| r.fiscal_year).collect();
    let col = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
    let row = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);

    // Summary.
    {
        let ws = wb.add_worksheet();
        ws.set_name(label(lang, "sheet.summary"))?;
        ws.set_column_width(0, 36)?;
        ws.set_column_width(1, 24)?;
        let p = &project.project;
        ws.write_string_with_format(0, 0, p.name.get(en), &f.bold)?;
        ws.write_string(1, 0, p.municipality.name.get(en))?;
        ws.write_string(1, 1, p.municipality.code.as_str())?;
        ws.write_string(2, 0, label(lang, "horizon"))?;
        ws.write_string(
            2,
            1,
            format!(
                "{} – {}",
                fy(lang, project.horizon.first),
                fy(lang, project.horizon.last)
            ),
        )?;
        let m = &eval.metrics;
        let mut r = 4;
        ws.write_string_with_format(r, 0, label(lang, "section.metrics"), &f.header)?;
        ws.write_string_with_format(r, 1, "", &f.header)?;
        r += 1;
        let rate = |v: machi_domain::Rate| Some(v.to_f64());
        let rows: Vec<(&str, Option<f64>, &Format)> = vec![
            ("discount_rate", rate(m.discount_rate), &f.pct),
            ("m.npv", Some(m.npv.to_f64()), &f.yen),
            ("m.municipal_npv", Some(m.municipal_npv.to_f64()), &f.yen),
            ("m.irr", m.irr, &f.pct),
            ("m.mirr", m.mirr, &f.pct),
            ("m.payback", m.payback_years, &f.ratio),
            ("m.discounted_payback", m.discounted_payback_years, &f.ratio),
            ("m.min_dscr", m.min_dscr, &f.ratio),
            ("m.llcr", m.llcr, &f.ratio),
            ("m.bcr", m.benefit_cost_ratio, &f.ratio),
            ("m.funding_gap", m.funding_gap_rate, &f.pct),
            (
                "m.funding_gap_dic",
                Some(m.funding_gap_dic.to_f64()),
                &f.yen,
            ),
            (
                "m.funding_gap_dnr",
                Some(m.funding_gap_dnr.to_f64()),
                &f.yen,
            ),
            ("m.min_self_sufficiency", m.min_self_sufficiency, &f.pct),
        ];
        for (key, v, fmt) in rows {
            ws.write_string(r, 0, label(lang, key))?;
            put_opt(ws, r, 1, v, fmt)?;
            r += 1;
        }
        ws.write_string(r, 0, label(lang, "m.irr_roots"))?;
        for (i, root) in m.irr_roots.iter().enumerate() {
            ws.write_number_with_format(r, 1 + col(i), *root, &f.pct)?;
        }
    }

    // Statement: one row per column of the statement, fiscal years across.
    {
        let ws = wb.add_worksheet();
        ws.set_name(label(lang, "sheet.statement"))?;
        ws.set_column_width(0, 30)?;
        ws.write_string_with_format(0, 0, label(lang, "unit.yen"), &f.header)?;
        year_header(ws, 0, 1, &years, lang, &f)?;
        for (ci, c) in STATEMENT_COLUMNS.iter().enumerate() {
            let r = row(ci + 1);
            ws.write_string(r, 0, label(lang, &format!("col.{}", c.key)))?;
            for (yi, yr) in eval.statement.iter().enumerate() {
                let cc = 1 + col(yi);
                match (c.get)(yr) {
                    Cell::Yen(y) => put_yen(ws, r, cc, y, &f)?,
                    Cell::Percent(v) => put_opt(ws, r, cc, v, &f.pct)?,
                    Cell::Ratio(v) => put_opt(ws, r, cc, v, &f.ratio)?,
                }
            }
        }
        ws.set_freeze_panes(1, 1)?;
    }

    // Line items and funding: descriptive columns, then years, then total.
    let text = |id: &str| id.to_owned();
    let lines = eval.lines.iter().map(|l| {
        let name = if en { &l.name_en } else { &l.name_ja };
        let party = l.party.as_ref().map_or("", |p| p.as_str());
        let cells = vec![
            text(l.id.as_str()),
            text(kind_label(lang, l.kind)),
            text(category_label(lang, l.category)),
            text(name),
            text(party),
        ];
        (cells, l.amounts.as_slice(), l.total)
    });
    let line_header = [
        "col.id",
        "col.kind",
        "col.category",
        "col.name",
        "col.party",
    ];
    amount_sheet(
        wb.add_worksheet(),
        label(lang, "sheet.lines"),
        &line_header,
        lines,
        &years,
        lang,
        &f,
    )?;
    let funding = eval.funding.iter().map(|s| {
        let name = if en { &s.name_en } else { &s.name_ja };
        let party = s.party.as_ref().map_or("", |p| p.as_str());
        let cells = vec![
            text(s.id.as_str()),
            text(funding_label(lang, s.kind)),
            text(name),
            text(party),
        ];
        (cells, s.amounts.as_slice(), s.total)
    });
    let funding_header = ["col.id", "col.kind", "col.name", "col.party"];
    amount_sheet(
        wb.add_worksheet(),
        label(lang, "sheet.funding"),
        &funding_header,
        funding,
        &years,
        lang,
        &f,
    )?;

    // Debt schedules.
    {
        let ws = wb.add_worksheet();
        ws.set_name(label(lang, "sheet.debt"))?;
        let header = [
            "col.id",
            "col.fiscal_year",
            "debt.opening",
            "debt.drawdown",
            "debt.interest",
            "debt.principal",
            "debt.closing",
        ];
        for (i, k) in header.iter().enumerate() {
            ws.write_string_with_format(0, col(i), label(lang, k), &f.header)?;
            ws.set_column_width(col(i), 16)?;
        }
        let mut r = 1;
        for d in &eval.debt {
            for y in &d.years {
                ws.write_string(r, 0, d.id.as_str())?;
                ws.write_string(r, 1, fy(lang, y.fiscal_year))?;
                for (i, v) in [y.opening, y.drawdown, y.interest, y.principal, y.closing]
                    .into_iter()
                    .enumerate()
                {
                    put_yen(ws, r, col(2 + i), v, &f)?;
                }
                r += 1;
            }
        }
    }

    // Cliff and break-even.
    {
        let ws = wb.add_worksheet();
        ws.set_name(label(lang, "sheet.cliff"))?;
        ws.set_column_width(0, 30)?;
        let c = &eval.cliff;
        ws.write_string(0, 0, label(lang, "cliff.last_subsidy_year"))?;
        ws.write_string(
            0,
            1,
            c.last_subsidy_year
                .map_or_else(|| label(lang, "none").to_owned(), |y| fy(lang, y)),
        )?;
        ws.write_string(1, 0, label(lang, "cliff.cliff_year"))?;
        ws.write_string(
            1,
            1,
            c.cliff_year
                .map_or_else(|| label(lang, "none").to_owned(), |y| fy(lang, y)),
        )?;
        ws.write_string(2, 0, label(lang, "cliff.max_deficit"))?;
        put_yen(ws, 2, 1, c.max_deficit, &f)?;
        ws.write_string(3, 0, label(lang, "lever.new_revenue"))?;
        put_yen(ws, 3, 1, c.new_revenue_needed, &f)?;
        let header = [
            "col.fiscal_year",
            "col.net_cash_flow",
            "col.cumulative_cash",
            "cliff.annual_shortfall",
            "cliff.deficit",
        ];
        for (i, k) in header.iter().enumerate() {
            ws.write_string_with_format(5, col(i), label(lang, k), &f.header)?;
            ws.set_column_width(col(i).max(1), 16)?;
        }
        for (i, y) in c.after.iter().enumerate() {
            let r = row(6 + i);
            ws.write_string(r, 0, fy(lang, y.fiscal_year))?;
            for (j, v) in [
                y.net_cash_flow,
                y.cumulative_cash,
                y.annual_shortfall,
                y.deficit,
            ]
            .into_iter()
            .enumerate()
            {
                put_yen(ws, r, col(1 + j), v, &f)?;
            }
        }
        let mut r = row(7 + c.after.len());
        ws.write_string_with_format(r, 0, label(lang, "section.break_even"), &f.header)?;
        r += 1;
        for b in eval.break_even.iter().chain(&c.levers) {
            ws.write_string(
                r,
                0,
                format!(
                    "{} · {}",
                    label(lang, &format!("lever.{}", crate::text::lever_key(b.lever))),
                    b.line
                ),
            )?;
            match b.change {
                Some(change) => ws.write_number_with_format(r, 1, change.to_f64(), &f.pct)?,
                None => ws.write_string(
                    r,
                    1,
                    label(
                        lang,
                        &format!(
                            "break_even.{}",
                            b.infeasible.unwrap_or("no-amount-in-deficit-year")
                        ),
                    ),
                )?,
            };
            r += 1;
        }
    }

    wb.save_to_buffer()
}
