//! The terminal view: metrics, the statement in thousands of yen, the
//! funding cliff and break-even. Columns are aligned by display width, so
//! full-width Japanese characters (two cells each) line up.

use std::fmt::Write as _;

use machi_domain::{Project, YenUnit};
use machi_finance::Evaluation;
use machi_i18n::Lang;
use unicode_width::UnicodeWidthStr;

use crate::{Cell, STATEMENT_COLUMNS, fy, label, percent, percent2, ratio};

/// Thousands of yen without the unit: `12,345`.
pub fn sen(y: machi_domain::Yen) -> String {
    y.format(YenUnit::Sen).trim_end_matches("千円").to_owned()
}

/// Display width in terminal cells: East Asian wide characters take two.
pub(crate) fn width(s: &str) -> usize {
    s.width()
}

/// `s` right-aligned in `w` cells.
pub fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(s.width())))
}

/// `s` left-aligned in `w` cells.
pub fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(s.width())))
}

/// Renders a table: first column left-aligned, the rest right-aligned,
/// aligned by display width.
pub fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(&if i == 0 {
                pad_right(c, *w)
            } else {
                pad_left(c, *w)
            });
        }
        s.trim_end().to_owned()
    };
    let mut out = line(header);
    out.push('\n');
    out.push(' ');
    out.push_str(&"─".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// The evaluation as text for a terminal, in `lang`.
pub fn text(project: &Project, eval: &Evaluation, lang: Lang) -> String {
    let en = lang == Lang::En;
    let p = &project.project;
    let m = &eval.metrics;
    let mut o = String::new();
    let _ = writeln!(o, "{}", p.name.get(en));
    let _ = writeln!(
        o,
        "{} ({}) · {} {} – {} ({})",
        p.municipality.name.get(en),
        p.municipality.code,
        label(lang, "horizon"),
        fy(lang, project.horizon.first),
        fy(lang, project.horizon.last),
        lang.tf("report.n_years", &[("n", &project.horizon.len())]),
    );
    let basis = label(
        lang,
        &format!(
            "basis.{}",
            if project.finance.price_basis == machi_domain::project::PriceBasis::Real {
                "real"
            } else {
                "nominal"
            }
        ),
    );
    let _ = writeln!(
        o,
        "{} · {} {} · {} {}",
        basis,
        label(lang, "discount_rate"),
        m.discount_rate.percent(2),
        label(lang, "npv_timing"),
        label(
            lang,
            &format!(
                "timing.{}",
                if m.npv_timing == machi_domain::project::NpvTiming::Start {
                    "start"
                } else {
                    "end"
                }
            )
        ),
    );

    // Metrics.
    let _ = writeln!(o, "\n■ {}", label(lang, "section.metrics"));
    let fy_opt =
        |y: Option<machi_domain::FiscalYear>| y.map_or_else(|| "—".to_owned(), |y| fy(lang, y));
    let years = |v: Option<f64>| {
        v.map_or_else(
            || "—".to_owned(),
            |v| lang.tf("report.n_years_value", &[("value", &format!("{v:.2}"))]),
        )
    };
    let roots = if m.irr_roots.is_empty() {
        label(lang, "none").to_owned()
    } else {
        m.irr_roots
            .iter()
            .map(|r| percent2(Some(*r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let metrics: Vec<(String, String)> = vec![
        (label(lang, "m.npv").into(), m.npv.to_string()),
        (
            label(lang, "m.municipal_npv").into(),
            format!(
                "{} ({} {})",
                m.municipal_npv,
                label(lang, "discount_rate"),
                m.municipal_discount_rate.percent(2)
            ),
        ),
        (
            label(lang, "m.irr").into(),
            format!(
                "{} ({}: {roots})",
                percent2(m.irr),
                label(lang, "m.irr_roots")
            ),
        ),
        (label(lang, "m.mirr").into(), percent2(m.mirr)),
        (label(lang, "m.payback").into(), years(m.payback_years)),
        (
            label(lang, "m.discounted_payback").into(),
            years(m.discounted_payback_years),
        ),
        (
            label(lang, "m.min_dscr").into(),
            format!("{} ({})", ratio(m.min_dscr), fy_opt(m.min_dscr_year)),
        ),
        (label(lang, "m.llcr").into(), ratio(m.llcr)),
        (label(lang, "m.bcr").into(), ratio(m.benefit_cost_ratio)),
        (
            label(lang, "m.funding_gap").into(),
            format!(
                "{} (DIC {}, DNR {}, {} {})",
                percent(m.funding_gap_rate),
                m.funding_gap_dic,
                m.funding_gap_dnr,
                label(lang, "discount_rate"),
                m.funding_gap_discount_rate.percent(2)
            ),
        ),
        (
            label(lang, "m.min_self_sufficiency").into(),
            percent(m.min_self_sufficiency),
        ),
    ];
    let w = metrics.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    for (k, v) in &metrics {
        let _ = writeln!(o, "  {}  {v}", pad_right(k, w));
    }

    // Statement.
    let _ = writeln!(
        o,
        "\n■ {} ({})",
        label(lang, "section.statement"),
        label(lang, "unit.sen")
    );
    let cols: Vec<_> = STATEMENT_COLUMNS.iter().filter(|c| c.in_table).collect();
    let mut header = vec![label(lang, "col.fiscal_year").to_owned()];
    header.extend(
        cols.iter()
            .map(|c| label(lang, &format!("short.{}", c.key)).to_owned()),
    );
    let rows: Vec<Vec<String>> = eval
        .statement
        .iter()
        .map(|r| {
            let mut cells = vec![fy(lang, r.fiscal_year)];
            cells.extend(cols.iter().map(|c| match (c.get)(r) {
                Cell::Yen(y) => sen(y),
                Cell::Percent(v) => percent(v),
                Cell::Ratio(v) => ratio(v),
            }));
            cells
        })
        .collect();
    o.push_str(&table(&header, &rows));

    o.push_str(&cliff_text(eval, lang));
    o
}

/// The funding cliff, the levers that close it and break-even: the part of
/// the report that changes with the subsidies (also shown by `machi fund`).
pub fn cliff_text(eval: &Evaluation, lang: Lang) -> String {
    let mut o = String::new();
    // Cliff.
    let c = &eval.cliff;
    let _ = writeln!(o, "\n■ {}", label(lang, "section.cliff"));
    match c.last_subsidy_year {
        None => {
            let _ = writeln!(o, "  {}", label(lang, "cliff.no_subsidy"));
        }
        Some(last) => {
            let _ = writeln!(
                o,
                "  {}: {}",
                label(lang, "cliff.last_subsidy_year"),
                fy(lang, last)
            );
            let verdict = c.cliff_year.map_or_else(
                || label(lang, "cliff.none").to_owned(),
                |y| lang.tf("report.cliff.at", &[("year", &fy(lang, y))]),
            );
            let _ = writeln!(o, "  {}: {verdict}", label(lang, "cliff.cliff_year"));
            let _ = writeln!(
                o,
                "  {}: {}",
                label(lang, "cliff.max_deficit"),
                c.max_deficit
            );
            let _ = writeln!(
                o,
                "  {}: {}",
                label(lang, "cliff.total_annual_shortfall"),
                c.total_annual_shortfall
            );
            if !c.after.is_empty() {
                let header: Vec<String> = [
                    "col.fiscal_year",
                    "short.net_cash_flow",
                    "short.cumulative_cash",
                    "cliff.annual_shortfall",
                    "cliff.deficit",
                ]
                .iter()
                .map(|k| label(lang, k).to_owned())
                .collect();
                let rows: Vec<Vec<String>> = c
                    .after
                    .iter()
                    .map(|y| {
                        vec![
                            fy(lang, y.fiscal_year),
                            sen(y.net_cash_flow),
                            sen(y.cumulative_cash),
                            sen(y.annual_shortfall),
                            sen(y.deficit),
                        ]
                    })
                    .collect();
                let _ = writeln!(o, "  ({})", label(lang, "unit.sen"));
                o.push_str(&table(&header, &rows));
            }
        }
    }

    // Levers that would close the gap.
    if !c.levers.is_empty() {
        let _ = writeln!(o, "\n■ {}", label(lang, "section.levers"));
        let _ = writeln!(
            o,
            "  {}: {}",
            label(lang, "lever.new_revenue"),
            c.new_revenue_needed
        );
        let _ = writeln!(o, "  {}: {}", label(lang, "lever.reserve"), c.max_deficit);
        for b in &c.levers {
            let _ = writeln!(o, "  {}", lever_line(eval, b, lang));
        }
    }

    // Break-even.
    let _ = writeln!(o, "\n■ {}", label(lang, "section.break_even"));
    if eval.break_even.is_empty() {
        let _ = writeln!(o, "  {}", label(lang, "break_even.no_lines"));
    }
    for b in &eval.break_even {
        let _ = writeln!(o, "  {}", lever_line(eval, b, lang));
    }
    o
}

/// One lever as a line of text: kind, line name and id, then the change and
/// the yen it moves, or why the line alone cannot close the gap.
fn lever_line(eval: &Evaluation, b: &machi_finance::engine::BreakEven, lang: Lang) -> String {
    let en = lang == Lang::En;
    let name = eval
        .lines
        .iter()
        .find(|l| l.id == b.line)
        .map_or(
            b.line.as_str(),
            |l| if en { &l.name_en } else { &l.name_ja },
        );
    let kind = label(lang, &format!("lever.{}", lever_key(b.lever)));
    let what = match (b.change, b.infeasible) {
        (Some(change), _) => {
            let pct = change.percent(2);
            let pct = if pct.starts_with('-') {
                pct
            } else {
                format!("+{pct}")
            };
            // The largest move in yen over the years, by magnitude.
            let moved = b
                .extra
                .iter()
                .copied()
                .max_by_key(|y| y.get().unsigned_abs())
                .unwrap_or_default();
            lang.tf(
                "report.break_even.result",
                &[
                    ("change", &pct),
                    ("extra", &moved),
                    (
                        "year",
                        &b.binding_year
                            .map_or_else(|| "—".to_owned(), |y| fy(lang, y)),
                    ),
                ],
            )
        }
        (None, code) => label(
            lang,
            &format!("break_even.{}", code.unwrap_or("no-amount-in-deficit-year")),
        )
        .to_owned(),
    };
    format!("{kind} · {name} [{}]: {what}", b.line)
}

/// The message-key suffix of a lever kind.
pub(crate) fn lever_key(k: machi_finance::engine::LeverKind) -> &'static str {
    use machi_finance::engine::LeverKind as K;
    match k {
        K::Fee => "fee",
        K::Levy => "levy",
        K::Revenue => "revenue",
        K::Savings => "savings",
        K::CostCut => "cost-cut",
    }
}
