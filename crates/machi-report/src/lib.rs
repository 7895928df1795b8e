//! Renders an [`Evaluation`] for people and programs: a terminal table,
//! JSON, CSV and XLSX, in Japanese or English.
//!
//! One column list ([`STATEMENT_COLUMNS`]) drives every format, so the table,
//! the CSV and the workbook always show the same figures under the same
//! labels. Every label comes from the message catalogue (`report.*` keys).
//! Rendering is pure: the XLSX is built in memory and returned as bytes.
//! [`import`] reads the model (line items, funding) back from the workbook
//! and from its CSV form, so that a model can make a round trip through Excel.
//! [`cli`] holds what the `machi` command line shows for `check`, `fund`,
//! `programs` and `calc`.

pub mod cli;
mod csv;
pub mod import;
pub mod programs;
mod text;
mod xlsx;

use machi_domain::project::{FundingKind, LineCategory, LineKind};
use machi_domain::{FiscalYear, Project, Yen};
use machi_finance::Evaluation;
use machi_finance::engine::YearRow;
use machi_i18n::Lang;
use serde::Serialize;

pub use self::csv::{csv, model_csv};
pub use text::{cliff_text, pad_left, pad_right, sen, table, text};
pub use xlsx::{XlsxError, xlsx};

/// A value in a statement column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Money.
    Yen(Yen),
    /// A ratio (1.25 = 125 %), shown as a percentage.
    Percent(Option<f64>),
    /// A plain ratio (DSCR), shown with two decimals.
    Ratio(Option<f64>),
}

/// A statement column: its label key (`report.col.<key>`), whether the terminal
/// table shows it, and how to read it from a row.
pub struct Column {
    /// Message key suffix and stable CSV/JSON name.
    pub key: &'static str,
    /// Shown in the terminal table (the narrow view).
    pub in_table: bool,
    /// Reads the value from a row.
    pub get: fn(&YearRow) -> Cell,
}

/// The statement's columns, in display order.
pub const STATEMENT_COLUMNS: &[Column] = &[
    Column {
        key: "revenue",
        in_table: true,
        get: |r| Cell::Yen(r.revenue),
    },
    Column {
        key: "savings",
        in_table: true,
        get: |r| Cell::Yen(r.savings),
    },
    Column {
        key: "opex",
        in_table: true,
        get: |r| Cell::Yen(r.opex),
    },
    Column {
        key: "capex",
        in_table: true,
        get: |r| Cell::Yen(r.capex),
    },
    Column {
        key: "subsidies",
        in_table: true,
        get: |r| Cell::Yen(r.subsidies),
    },
    Column {
        key: "other_funding",
        in_table: true,
        get: |r| Cell::Yen(r.other_funding),
    },
    Column {
        key: "interest",
        in_table: false,
        get: |r| Cell::Yen(r.interest),
    },
    Column {
        key: "principal",
        in_table: false,
        get: |r| Cell::Yen(r.principal),
    },
    Column {
        key: "debt_service",
        in_table: true,
        get: |r| Cell::Yen(r.debt_service),
    },
    Column {
        key: "net_cash_flow",
        in_table: true,
        get: |r| Cell::Yen(r.net_cash_flow),
    },
    Column {
        key: "cumulative_cash",
        in_table: true,
        get: |r| Cell::Yen(r.cumulative_cash),
    },
    Column {
        key: "sources",
        in_table: false,
        get: |r| Cell::Yen(r.sources),
    },
    Column {
        key: "uses",
        in_table: false,
        get: |r| Cell::Yen(r.uses),
    },
    Column {
        key: "project_flow",
        in_table: false,
        get: |r| Cell::Yen(r.project_flow),
    },
    Column {
        key: "municipal_flow",
        in_table: false,
        get: |r| Cell::Yen(r.municipal_flow),
    },
    Column {
        key: "cfads",
        in_table: false,
        get: |r| Cell::Yen(r.cfads),
    },
    Column {
        key: "debt_outstanding",
        in_table: false,
        get: |r| Cell::Yen(r.debt_outstanding),
    },
    Column {
        key: "self_sufficiency",
        in_table: true,
        get: |r| Cell::Percent(r.self_sufficiency),
    },
    Column {
        key: "dscr",
        in_table: true,
        get: |r| Cell::Ratio(r.dscr),
    },
];

/// A label from the `report` catalogue.
pub fn label(lang: Lang, key: &str) -> &'static str {
    lang.t(&format!("report.{key}"))
}

/// A fiscal year in the reader's language: 令和6年度 or FY2024.
pub fn fy(lang: Lang, y: FiscalYear) -> String {
    match lang {
        Lang::Ja => y.label_ja(),
        Lang::En => y.label_en(),
    }
}

/// The label of a line kind.
pub fn kind_label(lang: Lang, k: LineKind) -> &'static str {
    label(lang, &format!("kind.{}", k.as_str()))
}

/// The label of a line category.
pub fn category_label(lang: Lang, c: LineCategory) -> &'static str {
    label(lang, &format!("category.{}", c.as_str()))
}

/// The label of a funding kind.
pub fn funding_label(lang: Lang, k: FundingKind) -> &'static str {
    label(lang, &format!("funding.{}", k.as_str()))
}

/// A percentage with one decimal (`12.3%`), or `—`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// A percentage with two decimals (`5.24%`), for rates of return.
pub fn percent2(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

/// A plain ratio with two decimals, or `—`.
pub fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

/// The JSON document of `machi evaluate --format json`: the project's
/// identity and the whole evaluation.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// Format version of this document.
    pub report_version: u32,
    /// Project id.
    pub project_id: &'a str,
    /// Project name.
    pub name: &'a machi_domain::project::Text,
    /// Municipality code.
    pub municipality_code: &'a str,
    /// First fiscal year.
    pub first_year: FiscalYear,
    /// Last fiscal year.
    pub last_year: FiscalYear,
    /// The evaluation.
    #[serde(flatten)]
    pub evaluation: &'a Evaluation,
}

/// The evaluation as pretty-printed JSON.
pub fn json(project: &Project, eval: &Evaluation) -> String {
    let doc = JsonReport {
        report_version: 1,
        project_id: project.project.id.as_str(),
        name: &project.project.name,
        municipality_code: project.project.municipality.code.as_str(),
        first_year: project.horizon.first,
        last_year: project.horizon.last,
        evaluation: eval,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A project-file error as a person reads it: where, then what and how to
/// fix it, in `lang`.
pub fn project_error(lang: Lang, e: &machi_domain::ProjectError) -> String {
    // Word codes (`found`, `expected`: `number`, `text`, …) in the reader's
    // language; anything else as it is.
    let words: Vec<(&str, String)> = e
        .args
        .iter()
        .map(|(k, v)| {
            let key = format!("project.word.{v}");
            let word = if matches!(k.as_str(), "found" | "expected") && lang.has(&key) {
                lang.t(&key).to_owned()
            } else {
                v.clone()
            };
            (k.as_str(), word)
        })
        .collect();
    let args: Vec<(&str, &dyn std::fmt::Display)> = words
        .iter()
        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
        .collect();
    let message = lang.tf(&format!("project.error.{}", e.code), &args);
    let path = if e.path.is_empty() {
        lang.t("project.location.file").to_owned()
    } else {
        e.path.clone()
    };
    let location = match e.line {
        Some(line) => lang.tf("project.location.line", &[("path", &path), ("line", &line)]),
        None => lang.tf("project.location.path", &[("path", &path)]),
    };
    format!("{location}: {message}")
}
