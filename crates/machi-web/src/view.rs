//! Formatting for people: yen and fiscal years as the domain types print
//! them (¥12,345,000, 千円 tables, 令和6年度 / FY2024), times in JST, and
//! the evaluation's metrics, statement and chart settings.
//!
//! The charts' numbers are not here: the page's script draws them from the
//! same JSON that `GET /api/v1/projects/{id}/evaluation` serves. This module
//! only adds what the JSON does not carry — translated titles and fiscal-year
//! labels in the reader's language.

use chrono::{DateTime, FixedOffset, Utc};
use machi_domain::project::Text;
use machi_domain::{FiscalYear, Project, Yen, YenUnit};
use machi_finance::Evaluation;
use machi_i18n::Lang;
use machi_report::{Cell, STATEMENT_COLUMNS, label, percent, percent2, ratio};
use serde_json::json;

/// A fiscal year: 令和6年度 or FY2024.
pub fn fy(lang: Lang, y: FiscalYear) -> String {
    machi_report::fy(lang, y)
}

/// Whole yen: `¥12,345,000`.
pub fn yen(y: Yen) -> String {
    y.format(YenUnit::Yen)
}

/// Thousands of yen without the unit, for tables headed 千円: `12,345`.
pub fn sen(y: Yen) -> String {
    y.format(YenUnit::Sen).trim_end_matches("千円").to_owned()
}

/// A signed difference in yen: `+¥1,000` / `-¥1,000` / `±¥0`.
pub fn yen_delta(d: Yen) -> String {
    match d.get() {
        0 => "±¥0".to_owned(),
        x if x > 0 => format!("+{}", yen(d)),
        _ => yen(d),
    }
}

/// A time for people: `2025-04-01 09:30 JST` (machi's users are in Japan,
/// which has no daylight saving time).
pub fn when(t: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(9 * 3600) {
        Some(jst) => t
            .with_timezone(&jst)
            .format("%Y-%m-%d %H:%M JST")
            .to_string(),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A text in the reader's language (Japanese when no English).
pub fn text(t: &Text, lang: Lang) -> &str {
    t.get(lang == Lang::En)
}

/// A label and a value.
#[derive(Debug, Clone)]
pub struct Kv {
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
}

fn kv(label: impl Into<String>, value: impl Into<String>) -> Kv {
    Kv {
        label: label.into(),
        value: value.into(),
    }
}

/// A number in a table cell.
#[derive(Debug, Clone)]
pub struct Num {
    /// As shown.
    pub text: String,
    /// Negative (shown in red).
    pub negative: bool,
}

/// One row of the statement table.
#[derive(Debug, Clone)]
pub struct StatementRow {
    /// The fiscal year's label.
    pub fy: String,
    /// The cells.
    pub cells: Vec<Num>,
    /// The funding-cliff year (highlighted).
    pub cliff: bool,
}

/// The evaluation, ready for the project page.
#[derive(Debug, Clone)]
pub struct EvalView {
    /// The headline metrics.
    pub metrics: Vec<Kv>,
    /// Statement header (short labels).
    pub head: Vec<String>,
    /// Statement rows.
    pub rows: Vec<StatementRow>,
    /// The cliff, in sentences.
    pub cliff: Vec<Kv>,
    /// The verdict on the cliff, e.g. "令和16年度に累積キャッシュがマイナスに転じます".
    pub verdict: String,
    /// Whether there is a cliff year.
    pub has_cliff: bool,
    /// Chart settings for the script (JSON): titles and year labels.
    pub chart_config: String,
}

/// Builds the view of an evaluation.
pub fn eval_view(project: &Project, eval: &Evaluation, lang: Lang) -> EvalView {
    let m = &eval.metrics;
    let years = |v: Option<f64>| {
        v.map_or_else(
            || "—".to_owned(),
            |v| lang.tf("report.n_years_value", &[("value", &format!("{v:.2}"))]),
        )
    };
    let metrics = vec![
        kv(label(lang, "m.npv"), yen(m.npv)),
        kv(
            label(lang, "m.municipal_npv"),
            format!(
                "{} ({} {})",
                yen(m.municipal_npv),
                label(lang, "discount_rate"),
                m.municipal_discount_rate.percent(2)
            ),
        ),
        kv(label(lang, "m.irr"), percent2(m.irr)),
        kv(label(lang, "m.mirr"), percent2(m.mirr)),
        kv(label(lang, "m.payback"), years(m.payback_years)),
        kv(
            label(lang, "m.discounted_payback"),
            years(m.discounted_payback_years),
        ),
        kv(
            label(lang, "m.min_dscr"),
            match m.min_dscr_year {
                Some(y) => format!("{} ({})", ratio(m.min_dscr), fy(lang, y)),
                None => ratio(m.min_dscr),
            },
        ),
        kv(label(lang, "m.bcr"), ratio(m.benefit_cost_ratio)),
        kv(label(lang, "m.funding_gap"), percent(m.funding_gap_rate)),
        kv(
            label(lang, "m.min_self_sufficiency"),
            percent(m.min_self_sufficiency),
        ),
    ];

    let cols: Vec<_> = STATEMENT_COLUMNS.iter().filter(|c| c.in_table).collect();
    let head = cols
        .iter()
        .map(|c| label(lang, &format!("short.{}", c.key)).to_owned())
        .collect();
    let cliff_year = eval.cliff.cliff_year;
    let rows = eval
        .statement
        .iter()
        .map(|r| StatementRow {
            fy: fy(lang, r.fiscal_year),
            cliff: Some(r.fiscal_year) == cliff_year,
            cells: cols
                .iter()
                .map(|c| match (c.get)(r) {
                    Cell::Yen(y) => Num {
                        text: sen(y),
                        negative: y.get() < 0,
                    },
                    Cell::Percent(v) => Num {
                        text: percent(v),
                        negative: false,
                    },
                    Cell::Ratio(v) => Num {
                        text: ratio(v),
                        negative: v.is_some_and(|v| v < 1.0),
                    },
                })
                .collect(),
        })
        .collect();

    let c = &eval.cliff;
    let (verdict, cliff) = match c.last_subsidy_year {
        None => (label(lang, "cliff.no_subsidy").to_owned(), Vec::new()),
        Some(last) => (
            c.cliff_year.map_or_else(
                || label(lang, "cliff.none").to_owned(),
                |y| lang.tf("report.cliff.at", &[("year", &fy(lang, y))]),
            ),
            vec![
                kv(label(lang, "cliff.last_subsidy_year"), fy(lang, last)),
                kv(label(lang, "cliff.max_deficit"), yen(c.max_deficit)),
                kv(
                    label(lang, "cliff.total_annual_shortfall"),
                    yen(c.total_annual_shortfall),
                ),
                kv(label(lang, "lever.new_revenue"), yen(c.new_revenue_needed)),
            ],
        ),
    };

    let labels: serde_json::Map<String, serde_json::Value> = project
        .horizon
        .years()
        .map(|y| (y.to_string(), fy(lang, y).into()))
        .collect();
    let chart_config = json!({
        "en": lang == Lang::En,
        "labels": labels,
        "t": {
            "funding": lang.t("web.chart.funding"),
            "operations": lang.t("web.chart.operations"),
            "cash": lang.t("web.chart.cash"),
            "revenue": label(lang, "col.revenue"),
            "savings": label(lang, "col.savings"),
            "opex": label(lang, "col.opex"),
            "cumulative": label(lang, "col.cumulative_cash"),
            "cliff": label(lang, "cliff.cliff_year"),
            "last_subsidy": label(lang, "cliff.last_subsidy_year"),
            "unit": lang.t("web.chart.unit"),
            "failed": lang.t("web.chart.failed"),
        }
    })
    .to_string();

    EvalView {
        metrics,
        head,
        rows,
        cliff,
        verdict,
        has_cliff: cliff_year.is_some(),
        chart_config,
    }
}

/// A headline metric of two versions and how it moved.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The metric.
    pub label: String,
    /// In the older version.
    pub before: String,
    /// In the newer version.
    pub after: String,
    /// The change, or empty when not comparable.
    pub delta: String,
    /// Whether it changed.
    pub changed: bool,
}

/// The headline metrics of two evaluations side by side.
pub fn headline(lang: Lang, a: &Evaluation, b: &Evaluation) -> Vec<Moved> {
    let y = |label: String, x: Yen, z: Yen| Moved {
        label,
        before: yen(x),
        after: yen(z),
        delta: yen_delta(Yen(z.get().saturating_sub(x.get()))),
        changed: x != z,
    };
    let pct = |label: String, x: Option<f64>, z: Option<f64>, two: bool| {
        let f = if two { percent2 } else { percent };
        let delta = match (x, z) {
            (Some(x), Some(z)) => {
                let d = (z - x) * 100.0;
                if two {
                    format!("{d:+.2} pt")
                } else {
                    format!("{d:+.1} pt")
                }
            }
            _ => String::new(),
        };
        Moved {
            label,
            before: f(x),
            after: f(z),
            delta,
            changed: f(x) != f(z),
        }
    };
    let fy_opt = |v: Option<FiscalYear>| v.map_or_else(|| "—".to_owned(), |v| fy(lang, v));
    let (ma, mb) = (&a.metrics, &b.metrics);
    let total = |e: &Evaluation, f: fn(&machi_finance::engine::YearRow) -> Yen| {
        e.statement.iter().map(f).sum::<Yen>()
    };
    vec![
        y(label(lang, "m.npv").into(), ma.npv, mb.npv),
        y(
            label(lang, "m.municipal_npv").into(),
            ma.municipal_npv,
            mb.municipal_npv,
        ),
        pct(label(lang, "m.irr").into(), ma.irr, mb.irr, true),
        Moved {
            label: label(lang, "m.bcr").into(),
            before: ratio(ma.benefit_cost_ratio),
            after: ratio(mb.benefit_cost_ratio),
            delta: match (ma.benefit_cost_ratio, mb.benefit_cost_ratio) {
                (Some(x), Some(z)) => format!("{:+.2}", z - x),
                _ => String::new(),
            },
            changed: ratio(ma.benefit_cost_ratio) != ratio(mb.benefit_cost_ratio),
        },
        pct(
            label(lang, "m.min_self_sufficiency").into(),
            ma.min_self_sufficiency,
            mb.min_self_sufficiency,
            false,
        ),
        Moved {
            label: label(lang, "cliff.cliff_year").into(),
            before: fy_opt(a.cliff.cliff_year),
            after: fy_opt(b.cliff.cliff_year),
            delta: String::new(),
            changed: a.cliff.cliff_year != b.cliff.cliff_year,
        },
        y(
            label(lang, "cliff.max_deficit").into(),
            a.cliff.max_deficit,
            b.cliff.max_deficit,
        ),
        y(
            label(lang, "col.capex").into(),
            total(a, |r| r.capex),
            total(b, |r| r.capex),
        ),
        y(
            label(lang, "col.subsidies").into(),
            total(a, |r| r.subsidies),
            total(b, |r| r.subsidies),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_domain() {
        assert_eq!(yen(Yen(12_345_000)), "¥12,345,000");
        assert_eq!(sen(Yen(12_345_000)), "12,345");
        assert_eq!(sen(Yen(-1_500)), "-2");
        assert_eq!(yen_delta(Yen(1_000)), "+¥1,000");
        assert_eq!(yen_delta(Yen(-1_000)), "-¥1,000");
        assert_eq!(yen_delta(Yen(0)), "±¥0");
        let fy2024: FiscalYear = "FY2024".parse().expect("fy");
        assert_eq!(fy(Lang::Ja, fy2024), "令和6年度");
        assert_eq!(fy(Lang::En, fy2024), "FY2024");
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        let t = DateTime::parse_from_rfc3339("2025-03-31T15:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(when(t), "2025-04-01 00:30 JST");
    }

    #[test]
    fn evaluation_view_of_an_example() {
        let p = machi_domain::Project::from_toml_str(include_str!(
            "../../../examples/kurume-flood-ai.toml"
        ))
        .expect("example");
        let e = machi_finance::evaluate(&p, &machi_finance::Options::default()).expect("eval");
        let v = eval_view(&p, &e, Lang::Ja);
        assert_eq!(v.rows.len(), p.horizon.len());
        assert_eq!(v.rows[0].fy, "令和7年度");
        assert_eq!(v.head.len(), v.rows[0].cells.len());
        let cfg: serde_json::Value = serde_json::from_str(&v.chart_config).expect("json");
        assert_eq!(cfg["labels"]["FY2025"], "令和7年度");
        // The example's cliff (see its header comment) is FY2034.
        assert!(v.has_cliff);
        assert!(v.rows.iter().any(|r| r.cliff && r.fy == "令和16年度"));
        let moved = headline(Lang::En, &e, &e);
        assert!(moved.iter().all(|m| !m.changed));
    }
}
