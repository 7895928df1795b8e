//! The per-fiscal-year model editor: line items and funding sources as a
//! table, one input per fiscal year, recalculated as the user types.
//!
//! The page posts the whole form (debounced by htmx) to
//! `POST /projects/{id}/model/preview`, which applies it to the version it
//! was based on, evaluates the result **without saving** and answers with
//! the results fragment (cliff, headline metrics, charts, statement) plus
//! out-of-band updates of the row totals and the status bar. Saving posts
//! the same form to `POST /projects/{id}/model`, which goes through
//! [`service::save`] with the base version, so a stale save gets the 409
//! page (both versions side by side and a merged form) and never overwrites.
//!
//! The rules of the form (pure, tested below):
//! - a cell accepts what [`Yen`] reads (`1,200,000`, `120万円`); blank is 0;
//! - a line with a generator shows the generated amounts; a year whose
//!   value differs from what the base version gives becomes an explicit
//!   amount, which overrides the generator (the domain's rule); untouched
//!   years stay generated — so what is saved always evaluates to what the
//!   table shows;
//! - loans and bonds are edited through their terms, not per year;
//! - names are edited in the page's language; the other language, payer,
//!   beneficiary, note, program and donor are kept from the base version by
//!   the row's original id (so renaming an id keeps them too);
//! - a new row without an id gets `<kind>-<n>`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use machi_domain::project::{
    FundingKind, FundingSource, Generator, Horizon, LineCategory, LineItem, LineKind, Repayment,
    Text,
};
use machi_domain::schedule::expand;
use machi_domain::{FiscalYear, FundingId, LineItemId, MemberId, Project, Rate, Yen, YenUnit};
use machi_i18n::Lang;
use machi_report::import::{CATEGORIES, FUNDING_KINDS, drawdowns, explicit_amounts};
use machi_store::ProjectKey;
use serde::Deserialize;

use super::{Names, Opt, kebab, page, page_with, see_other};
use crate::AppState;
use crate::context::Ctx;
use crate::diff;
use crate::error::{AppError, AppResult};
use crate::permissions::Action;
use crate::service;
use crate::view::{self, EvalView, Kv};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/model", get(show).post(submit))
        .route("/projects/{id}/model/preview", post(preview))
}

const REPAYMENTS: [Repayment; 3] = [
    Repayment::Annuity,
    Repayment::StraightLine,
    Repayment::Bullet,
];

// ---------------------------------------------------------------------------
// The form as shown.

/// A fiscal-year column.
#[derive(Debug, Clone)]
pub struct YearHead {
    /// The form key (`FY2025`).
    pub key: String,
    /// The label (令和7年度 / FY2025).
    pub label: String,
}

/// An amount cell.
#[derive(Debug, Clone)]
pub struct AmountCell {
    /// The input's name (`l.3.y.FY2027`).
    pub name: String,
    /// The value shown.
    pub value: String,
    /// The fiscal year's label (for screen readers).
    pub year: String,
    /// Filled by the line's generator (not an explicit amount).
    pub generated: bool,
    /// What is wrong with it.
    pub error: Option<String>,
}

/// A group of options (categories by kind).
#[derive(Debug, Clone)]
pub struct OptGroup {
    /// The group's label.
    pub label: String,
    /// Its options.
    pub options: Vec<Opt>,
}

/// The terms of a loan or bond, as typed.
#[derive(Debug, Clone)]
pub struct TermsView {
    pub principal: String,
    pub drawdowns: Vec<Opt>,
    pub rate: String,
    pub tenor: String,
    pub grace: String,
    pub repayments: Vec<Opt>,
}

/// One row of the line-item or funding table.
#[derive(Debug, Clone)]
pub struct RowView {
    /// `l` (line items) or `f` (funding).
    pub prefix: &'static str,
    /// The row's index in the form.
    pub i: usize,
    /// The id in the base version (empty for a new row).
    pub orig: String,
    pub id: String,
    /// The name in the page's language.
    pub name: String,
    /// Placeholder of the name input (the other language's name).
    pub name_hint: String,
    /// What screen readers call the row.
    pub label: String,
    pub kinds: Vec<Opt>,
    /// Line items only.
    pub categories: Vec<OptGroup>,
    pub parties: Vec<Opt>,
    /// Non-debt rows: one per fiscal year.
    pub cells: Vec<AmountCell>,
    /// Loans and bonds: their terms instead of cells.
    pub terms: Option<TermsView>,
    pub total: String,
    pub remove: bool,
    pub is_new: bool,
    /// The base line has a generator.
    pub generator: bool,
    /// Errors by field suffix (`name`, `kind`, `principal`, …).
    pub errors: Vec<(String, String)>,
}

impl RowView {
    /// The error of a field, if any.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The form name of a field of this row.
    pub fn field(&self, field: &str) -> String {
        format!("{}.{}.{}", self.prefix, self.i, field)
    }
}

/// The whole form.
#[derive(Debug, Clone)]
pub struct ModelForm {
    pub base_version: i64,
    pub note: String,
    pub years: Vec<YearHead>,
    pub lines: Vec<RowView>,
    pub funding: Vec<RowView>,
}

impl ModelForm {
    /// Whether the form has a loan or bond row.
    pub fn has_debt(&self) -> bool {
        self.funding.iter().any(|r| r.terms.is_some())
    }
}

/// Amounts in an input: `1,200,000`; zero is blank.
fn amount_text(y: Yen) -> String {
    if y == Yen::ZERO {
        String::new()
    } else {
        y.format(YenUnit::Yen).replace('¥', "")
    }
}

fn kind_opts(lang: Lang, selected: &str) -> Vec<Opt> {
    LineKind::ALL
        .iter()
        .map(|k| {
            Opt::new(
                k.as_str(),
                machi_report::kind_label(lang, *k),
                k.as_str() == selected,
            )
        })
        .collect()
}

/// Categories grouped by the kind they fit ("other" fits every kind).
fn category_groups(lang: Lang, selected: &str) -> Vec<OptGroup> {
    let opt = |c: LineCategory| {
        Opt::new(
            c.as_str(),
            machi_report::category_label(lang, c),
            c.as_str() == selected,
        )
    };
    let mut groups: Vec<OptGroup> = LineKind::ALL
        .iter()
        .map(|k| OptGroup {
            label: machi_report::kind_label(lang, *k).to_owned(),
            options: CATEGORIES
                .iter()
                .filter(|c| **c != LineCategory::Other && c.fits(*k))
                .map(|c| opt(*c))
                .collect(),
        })
        .collect();
    groups.push(OptGroup {
        label: machi_report::category_label(lang, LineCategory::Other).to_owned(),
        options: vec![opt(LineCategory::Other)],
    });
    groups
}

fn funding_kind_opts(lang: Lang, debt: bool, selected: &str) -> Vec<Opt> {
    FUNDING_KINDS
        .iter()
        .filter(|k| k.is_debt() == debt)
        .map(|k| {
            Opt::new(
                k.as_str(),
                machi_report::funding_label(lang, *k),
                k.as_str() == selected,
            )
        })
        .collect()
}

fn party_opts(p: &Project, lang: Lang, selected: &str) -> Vec<Opt> {
    let rep = p
        .representative()
        .map(|m| view::text(&m.name, lang).to_owned())
        .unwrap_or_default();
    let mut v = vec![Opt::new(
        "",
        lang.tf("web.model.party-default", &[("name", &rep)]),
        selected.is_empty(),
    )];
    v.extend(p.members.iter().map(|m| {
        Opt::new(
            m.id.as_str(),
            view::text(&m.name, lang),
            m.id.as_str() == selected,
        )
    }));
    v
}

fn year_opts(h: Horizon, lang: Lang, selected: &str) -> Vec<Opt> {
    h.years()
        .map(|y| {
            let key = y.to_string();
            let sel = key == selected;
            Opt::new(key, view::fy(lang, y), sel)
        })
        .collect()
}

fn repayment_opts(lang: Lang, selected: &str) -> Vec<Opt> {
    REPAYMENTS
        .iter()
        .map(|r| {
            let v = kebab(r);
            let label = lang.t(&format!("web.model.repayment.{v}"));
            let sel = v == selected;
            Opt::new(v, label, sel)
        })
        .collect()
}

/// A line's or funding source's amounts as the engine expands them.
fn expanded(p: &Project, amounts: &BTreeMap<FiscalYear, Yen>, g: Option<&Generator>) -> Vec<Yen> {
    let h = p.horizon;
    expand(
        h,
        amounts,
        g,
        p.finance.inflation,
        p.finance.base_year_or(h.first),
    )
}

/// What the base version shows for a row: its amounts per year, which of
/// them its generator fills, and whether it has one.
struct BaseRow {
    amounts: Vec<Yen>,
    generated: Vec<bool>,
    generator: bool,
}

fn base_line(p: &Project, orig: &str) -> Option<BaseRow> {
    let l = p.line_items.iter().find(|l| l.id.as_str() == orig)?;
    Some(base_row(p, &l.amounts, l.generator.as_ref()))
}

fn base_funding(p: &Project, orig: &str) -> Option<BaseRow> {
    let f = p
        .funding
        .iter()
        .find(|f| f.id.as_str() == orig && !f.kind.is_debt())?;
    Some(base_row(p, &f.amounts, f.generator.as_ref()))
}

fn base_row(p: &Project, amounts: &BTreeMap<FiscalYear, Yen>, g: Option<&Generator>) -> BaseRow {
    BaseRow {
        amounts: expanded(p, amounts, g),
        generated: p
            .horizon
            .years()
            .map(|y| g.is_some() && !amounts.contains_key(&y))
            .collect(),
        generator: g.is_some(),
    }
}

/// The name input's value and placeholder in `lang`.
fn name_fields(t: &Text, lang: Lang) -> (String, String) {
    match lang {
        Lang::Ja => (t.ja.clone(), t.en.clone().unwrap_or_default()),
        Lang::En => (t.en.clone().unwrap_or_default(), t.ja.clone()),
    }
}

fn years(p: &Project, lang: Lang) -> Vec<YearHead> {
    p.horizon
        .years()
        .map(|y| YearHead {
            key: y.to_string(),
            label: view::fy(lang, y),
        })
        .collect()
}

impl ModelForm {
    /// The form showing `p`, based on version `base_version`, with an empty
    /// row at the end of each table.
    pub fn from_project(p: &Project, base_version: i64, lang: Lang) -> ModelForm {
        let yh = years(p, lang);
        let cells = |prefix: &str, i: usize, b: &BaseRow| -> Vec<AmountCell> {
            yh.iter()
                .zip(&b.amounts)
                .zip(&b.generated)
                .map(|((y, a), g)| AmountCell {
                    name: format!("{prefix}.{i}.y.{}", y.key),
                    value: amount_text(*a),
                    year: y.label.clone(),
                    generated: *g,
                    error: None,
                })
                .collect()
        };
        let mut lines: Vec<RowView> = p
            .line_items
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let b = base_row(p, &l.amounts, l.generator.as_ref());
                let (name, name_hint) = name_fields(&l.name, lang);
                RowView {
                    prefix: "l",
                    i,
                    orig: l.id.to_string(),
                    id: l.id.to_string(),
                    label: view::text(&l.name, lang).to_owned(),
                    name,
                    name_hint,
                    kinds: kind_opts(lang, l.kind.as_str()),
                    categories: category_groups(lang, l.category.as_str()),
                    parties: party_opts(p, lang, l.party.as_ref().map_or("", |m| m.as_str())),
                    cells: cells("l", i, &b),
                    terms: None,
                    total: view::yen(b.amounts.iter().sum()),
                    remove: false,
                    is_new: false,
                    generator: b.generator,
                    errors: Vec::new(),
                }
            })
            .collect();
        lines.push(blank_line(p, lang, lines.len(), &yh));
        let mut funding: Vec<RowView> = p
            .funding
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let (name, name_hint) = name_fields(&f.name, lang);
                let mut row = RowView {
                    prefix: "f",
                    i,
                    orig: f.id.to_string(),
                    id: f.id.to_string(),
                    label: view::text(&f.name, lang).to_owned(),
                    name,
                    name_hint,
                    kinds: funding_kind_opts(lang, f.kind.is_debt(), f.kind.as_str()),
                    categories: Vec::new(),
                    parties: party_opts(p, lang, f.party.as_ref().map_or("", |m| m.as_str())),
                    cells: Vec::new(),
                    terms: None,
                    total: String::new(),
                    remove: false,
                    is_new: false,
                    generator: false,
                    errors: Vec::new(),
                };
                if f.kind.is_debt() {
                    row.terms = Some(TermsView {
                        principal: f.principal.map(amount_text).unwrap_or_default(),
                        drawdowns: year_opts(
                            p.horizon,
                            lang,
                            &f.drawdown.map(|y| y.to_string()).unwrap_or_default(),
                        ),
                        rate: f.rate.map(|r| r.percent(4)).unwrap_or_default(),
                        tenor: f.tenor_years.map(|t| t.to_string()).unwrap_or_default(),
                        grace: f.grace_years.map(|t| t.to_string()).unwrap_or_default(),
                        repayments: repayment_opts(lang, &kebab(&f.repayment.unwrap_or_default())),
                    });
                    row.total = view::yen(drawdowns(p.horizon, f).iter().sum());
                } else {
                    let b = base_row(p, &f.amounts, f.generator.as_ref());
                    row.cells = cells("f", i, &b);
                    row.total = view::yen(b.amounts.iter().sum());
                    row.generator = b.generator;
                }
                row
            })
            .collect();
        funding.push(blank_funding(p, lang, funding.len(), &yh, false));
        ModelForm {
            base_version,
            note: String::new(),
            years: yh,
            lines,
            funding,
        }
    }

    /// The form showing what was submitted (after an error, or to add a
    /// row), with the problems next to their fields. `add` appends an empty
    /// row: `line`, `funding` or `debt`.
    pub fn from_submitted(
        f: &Submitted,
        base: &Project,
        lang: Lang,
        problems: &[Problem],
        add: Option<&str>,
    ) -> ModelForm {
        let yh = years(base, lang);
        let errors_of = |prefix: &str, i: usize| -> Vec<(String, String)> {
            let start = format!("{prefix}.{i}.");
            problems
                .iter()
                .filter_map(|p| {
                    let field = p.field.as_deref()?.strip_prefix(&start)?;
                    Some((field.to_owned(), p.message.clone()))
                })
                .collect()
        };
        let cells = |prefix: &str, i: usize, b: Option<&BaseRow>, errors: &[(String, String)]| {
            yh.iter()
                .enumerate()
                .map(|(k, y)| {
                    let name = format!("{prefix}.{i}.y.{}", y.key);
                    let value = f.get(&name).to_owned();
                    let generated = b.is_some_and(|b| {
                        b.generated[k] && parse_amount(&value) == Ok(b.amounts[k])
                    });
                    AmountCell {
                        error: errors
                            .iter()
                            .find(|(fld, _)| *fld == format!("y.{}", y.key))
                            .map(|(_, m)| m.clone()),
                        name,
                        value,
                        year: y.label.clone(),
                        generated,
                    }
                })
                .collect::<Vec<_>>()
        };
        let total = |cells: &[AmountCell]| -> String {
            cells
                .iter()
                .map(|c| parse_amount(&c.value))
                .collect::<Result<Vec<Yen>, _>>()
                .ok()
                .and_then(|v| v.iter().try_fold(Yen::ZERO, |a, b| a.checked_add(*b)))
                .map(view::yen)
                .unwrap_or_default()
        };
        // The other language's name of an existing row.
        let hint = |name: Option<&Text>, new: &str| {
            name.map_or_else(|| lang.t(new).to_owned(), |t| name_fields(t, lang).1)
        };
        let mut lines: Vec<RowView> = (0..f.count("l"))
            .map(|i| {
                let g = |k: &str| f.get(&format!("l.{i}.{k}")).to_owned();
                let orig = g("orig");
                let b = base_line(base, &orig);
                let errors = errors_of("l", i);
                let cells = cells("l", i, b.as_ref(), &errors);
                let base_name = base
                    .line_items
                    .iter()
                    .find(|l| l.id.as_str() == orig)
                    .map(|l| &l.name);
                RowView {
                    prefix: "l",
                    i,
                    is_new: orig.is_empty(),
                    id: g("id"),
                    label: g("name"),
                    name_hint: hint(base_name, "web.model.new-line"),
                    name: g("name"),
                    kinds: kind_opts(lang, &g("kind")),
                    categories: category_groups(lang, &g("category")),
                    parties: party_opts(base, lang, &g("party")),
                    total: total(&cells),
                    cells,
                    terms: None,
                    remove: !g("remove").is_empty(),
                    generator: b.is_some_and(|b| b.generator),
                    errors,
                    orig,
                }
            })
            .collect();
        if add == Some("line") || lines.is_empty() {
            lines.push(blank_line(base, lang, lines.len(), &yh));
        }
        let mut funding: Vec<RowView> = (0..f.count("f"))
            .map(|i| {
                let g = |k: &str| f.get(&format!("f.{i}.{k}")).to_owned();
                let orig = g("orig");
                let debt = !g("debt").is_empty();
                let errors = errors_of("f", i);
                let base_name = base
                    .funding
                    .iter()
                    .find(|s| s.id.as_str() == orig)
                    .map(|s| &s.name);
                let mut row = RowView {
                    prefix: "f",
                    i,
                    is_new: orig.is_empty(),
                    id: g("id"),
                    label: g("name"),
                    name_hint: hint(base_name, "web.model.new-funding"),
                    name: g("name"),
                    kinds: funding_kind_opts(lang, debt, &g("kind")),
                    categories: Vec::new(),
                    parties: party_opts(base, lang, &g("party")),
                    cells: Vec::new(),
                    terms: None,
                    total: String::new(),
                    remove: !g("remove").is_empty(),
                    generator: false,
                    errors: Vec::new(),
                    orig: orig.clone(),
                };
                if debt {
                    row.terms = Some(TermsView {
                        principal: g("principal"),
                        drawdowns: year_opts(base.horizon, lang, &g("drawdown")),
                        rate: g("rate"),
                        tenor: g("tenor"),
                        grace: g("grace"),
                        repayments: repayment_opts(lang, &g("repayment")),
                    });
                    row.total = parse_amount(&g("principal"))
                        .map(view::yen)
                        .unwrap_or_default();
                } else {
                    let b = base_funding(base, &orig);
                    row.cells = cells("f", i, b.as_ref(), &errors);
                    row.total = total(&row.cells);
                    row.generator = b.is_some_and(|b| b.generator);
                }
                row.errors = errors;
                row
            })
            .collect();
        if add == Some("funding") || funding.is_empty() {
            funding.push(blank_funding(base, lang, funding.len(), &yh, false));
        }
        if add == Some("debt") {
            funding.push(blank_funding(base, lang, funding.len(), &yh, true));
        }
        ModelForm {
            base_version: f.get("base_version").parse().unwrap_or(0),
            note: f.get("note").to_owned(),
            years: yh,
            lines,
            funding,
        }
    }
}

fn blank_cells(prefix: &str, i: usize, yh: &[YearHead]) -> Vec<AmountCell> {
    yh.iter()
        .map(|y| AmountCell {
            name: format!("{prefix}.{i}.y.{}", y.key),
            value: String::new(),
            year: y.label.clone(),
            generated: false,
            error: None,
        })
        .collect()
}

fn blank_line(p: &Project, lang: Lang, i: usize, yh: &[YearHead]) -> RowView {
    RowView {
        prefix: "l",
        i,
        orig: String::new(),
        id: String::new(),
        name: String::new(),
        name_hint: lang.t("web.model.new-line").to_owned(),
        label: lang.t("web.model.new-line").to_owned(),
        kinds: kind_opts(lang, "opex"),
        categories: category_groups(lang, "other"),
        parties: party_opts(p, lang, ""),
        cells: blank_cells("l", i, yh),
        terms: None,
        total: String::new(),
        remove: false,
        is_new: true,
        generator: false,
        errors: Vec::new(),
    }
}

fn blank_funding(p: &Project, lang: Lang, i: usize, yh: &[YearHead], debt: bool) -> RowView {
    let hint = if debt {
        "web.model.new-debt"
    } else {
        "web.model.new-funding"
    };
    RowView {
        prefix: "f",
        i,
        orig: String::new(),
        id: String::new(),
        name: String::new(),
        name_hint: lang.t(hint).to_owned(),
        label: lang.t(hint).to_owned(),
        kinds: funding_kind_opts(lang, debt, if debt { "loan" } else { "subsidy" }),
        categories: Vec::new(),
        parties: party_opts(p, lang, ""),
        cells: if debt {
            Vec::new()
        } else {
            blank_cells("f", i, yh)
        },
        terms: debt.then(|| TermsView {
            principal: String::new(),
            drawdowns: year_opts(p.horizon, lang, ""),
            rate: String::new(),
            tenor: String::new(),
            grace: String::new(),
            repayments: repayment_opts(lang, "annuity"),
        }),
        total: String::new(),
        remove: false,
        is_new: true,
        generator: false,
        errors: Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// The form as submitted, and applying it.

/// A submitted form: field name → value (the last one when repeated).
pub struct Submitted {
    map: HashMap<String, String>,
}

impl Submitted {
    pub fn new(pairs: Vec<(String, String)>) -> Submitted {
        Submitted {
            map: pairs.into_iter().collect(),
        }
    }

    /// A field's value, or "".
    pub fn get(&self, k: &str) -> &str {
        self.map.get(k).map_or("", String::as_str)
    }

    /// How many rows the table `prefix` has (rows 0, 1, … with an `id`).
    fn count(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| self.map.contains_key(&format!("{prefix}.{i}.id")))
            .count()
    }
}

/// A problem of the form: the field it belongs to (`l.3.y.FY2027`), where
/// it is for a person (`運営費「クラウド」 令和9年度`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Option<String>,
    pub place: String,
    pub message: String,
}

impl Problem {
    /// `place: message`, or the message alone.
    pub fn text(&self) -> String {
        if self.place.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.place, self.message)
        }
    }
}

/// The applied form: the project and, for each of its line items and
/// funding sources, the form row it came from.
pub struct Applied {
    pub project: Project,
    pub line_rows: Vec<usize>,
    pub funding_rows: Vec<usize>,
}

fn parse_amount(s: &str) -> Result<Yen, ()> {
    let s = s.trim();
    if s.is_empty() {
        Ok(Yen::ZERO)
    } else {
        s.parse().map_err(|_| ())
    }
}

fn project_message(lang: Lang, code: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    lang.tf(&format!("project.error.{code}"), args)
}

/// Collects the problems of one row while reading it.
struct RowReader<'a> {
    f: &'a Submitted,
    lang: Lang,
    prefix: &'static str,
    i: usize,
    place: String,
    problems: Vec<Problem>,
}

impl RowReader<'_> {
    fn get(&self, k: &str) -> &str {
        self.f
            .get(&format!("{}.{}.{k}", self.prefix, self.i))
            .trim()
    }

    fn problem(&mut self, field: &str, place_extra: &str, message: String) {
        let place = if place_extra.is_empty() {
            self.place.clone()
        } else {
            format!("{} {place_extra}", self.place)
        };
        self.problems.push(Problem {
            field: Some(format!("{}.{}.{field}", self.prefix, self.i)),
            place,
            message,
        });
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let v = self.get(field).to_owned();
        if v.is_empty() {
            let m = self.lang.t("web.model.error.required").to_owned();
            self.problem(field, "", m);
            None
        } else {
            Some(v)
        }
    }

    fn amounts(&mut self, h: Horizon) -> Vec<Yen> {
        let mut out = Vec::with_capacity(h.len());
        for y in h.years() {
            let field = format!("y.{y}");
            let v = self.get(&field).to_owned();
            match parse_amount(&v) {
                Ok(a) => out.push(a),
                Err(()) => {
                    let m = project_message(self.lang, "invalid-yen", &[("value", &v)]);
                    let at = view::fy(self.lang, y);
                    self.problem(&field, &at, m);
                    out.push(Yen::ZERO);
                }
            }
        }
        out
    }

    fn party(&mut self) -> Option<MemberId> {
        let v = self.get("party").to_owned();
        if v.is_empty() {
            return None;
        }
        match MemberId::new(&v) {
            Ok(m) => Some(m),
            Err(_) => {
                let m = project_message(self.lang, "invalid-id", &[("value", &v)]);
                self.problem("party", "", m);
                None
            }
        }
    }

    fn years(&mut self, field: &str) -> Option<u32> {
        let v = self.get(field).to_owned();
        if v.is_empty() {
            return None;
        }
        match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let m = self
                    .lang
                    .tf("web.model.error.whole-years", &[("value", &v)]);
                self.problem(field, "", m);
                None
            }
        }
    }

    fn unknown(&mut self, field: &str, expected: &[&str]) {
        let v = self.get(field).to_owned();
        let m = project_message(
            self.lang,
            "unknown-value",
            &[("value", &v), ("expected", &expected.join(", "))],
        );
        self.problem(field, "", m);
    }
}

/// The name of a row in `lang` as typed, on top of the base name: the other
/// language is kept; a new row's name is its Japanese name.
fn typed_name(typed: &str, lang: Lang, base: Option<&Text>) -> Text {
    let typed = typed.trim();
    match (base, lang) {
        (Some(b), Lang::Ja) => Text {
            ja: typed.to_owned(),
            en: b.en.clone(),
        },
        (Some(b), Lang::En) => Text {
            ja: b.ja.clone(),
            en: (!typed.is_empty()).then(|| typed.to_owned()),
        },
        (None, _) => Text {
            ja: typed.to_owned(),
            en: None,
        },
    }
}

/// Amounts and generator of a row: with a base generator, the years that
/// differ from what the base shows become explicit amounts and the rest
/// stays generated; without one, every non-zero year is explicit.
fn schedule(
    h: Horizon,
    values: &[Yen],
    base: Option<(&BTreeMap<FiscalYear, Yen>, Option<&Generator>, &BaseRow)>,
) -> (BTreeMap<FiscalYear, Yen>, Option<Generator>) {
    match base {
        Some((amounts, Some(g), shown)) => {
            let mut out = amounts.clone();
            for ((y, v), was) in h.years().zip(values).zip(&shown.amounts) {
                if v != was {
                    out.insert(y, *v);
                }
            }
            (out, Some(g.clone()))
        }
        _ => (explicit_amounts(h, values), None),
    }
}

fn is_blank(r: &RowReader<'_>, h: Horizon, debt: bool) -> bool {
    let fields = ["orig", "id", "name", "principal", "rate", "tenor", "grace"];
    fields.iter().all(|k| r.get(k).is_empty())
        && (debt || h.years().all(|y| r.get(&format!("y.{y}")).is_empty()))
}

/// The terms of a loan or bond as read from its row.
#[derive(Default)]
struct DebtFields {
    principal: Option<Yen>,
    drawdown: Option<FiscalYear>,
    rate: Option<Rate>,
    tenor_years: Option<u32>,
    grace_years: Option<u32>,
    repayment: Option<Repayment>,
}

/// Reads a loan's or bond's terms; `None` (with the problems recorded)
/// when one cannot be read.
fn debt_terms(r: &mut RowReader<'_>) -> Option<DebtFields> {
    let lang = r.lang;
    let before = r.problems.len();
    let principal = r
        .required("principal")
        .and_then(|v| match parse_amount(&v) {
            Ok(y) => Some(y),
            Err(()) => {
                let m = project_message(lang, "invalid-yen", &[("value", &v)]);
                r.problem("principal", "", m);
                None
            }
        });
    let drawdown = r.required("drawdown").and_then(|v| match v.parse() {
        Ok(y) => Some(y),
        Err(_) => {
            let m = project_message(lang, "invalid-fiscal-year", &[("value", &v)]);
            r.problem("drawdown", "", m);
            None
        }
    });
    let rate = r.required("rate").and_then(|v| match v.parse::<Rate>() {
        Ok(x) => Some(x),
        Err(_) => {
            let m = project_message(lang, "invalid-rate", &[("value", &v)]);
            r.problem("rate", "", m);
            None
        }
    });
    let tenor_years = if r.get("tenor").is_empty() {
        r.required("tenor");
        None
    } else {
        r.years("tenor")
    };
    let grace_years = r.years("grace");
    let rep = r.get("repayment").to_owned();
    let repayment = REPAYMENTS.iter().copied().find(|x| kebab(x) == rep);
    if repayment.is_none() {
        let codes: Vec<String> = REPAYMENTS.iter().map(kebab).collect();
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        r.unknown("repayment", &codes);
    }
    (r.problems.len() == before).then_some(DebtFields {
        principal,
        drawdown,
        rate,
        tenor_years,
        grace_years,
        repayment,
    })
}

/// Applies the form to `base` (the version it was based on). Every problem
/// — unreadable cells, then the model's own rules — comes back with the
/// field it belongs to, translated into `lang`.
pub fn apply(base: &Project, f: &Submitted, lang: Lang) -> Result<Applied, Vec<Problem>> {
    let h = base.horizon;
    let mut p = base.clone();
    let mut problems = Vec::new();
    let mut line_rows = Vec::new();
    let mut funding_rows = Vec::new();
    // Ids typed in the form, to number new rows without an id.
    let mut taken: BTreeSet<String> = (0..f.count("l"))
        .map(|i| f.get(&format!("l.{i}.id")).trim().to_owned())
        .chain((0..f.count("f")).map(|i| f.get(&format!("f.{i}.id")).trim().to_owned()))
        .collect();
    let fresh = |kind: &str, taken: &mut BTreeSet<String>| -> String {
        let id = (1..)
            .map(|n| format!("{kind}-{n}"))
            .find(|c| !taken.contains(c))
            .unwrap_or_default();
        taken.insert(id.clone());
        id
    };
    let kind_codes: Vec<&str> = LineKind::ALL.iter().map(|k| k.as_str()).collect();
    let category_codes: Vec<&str> = CATEGORIES.iter().map(|c| c.as_str()).collect();

    p.line_items.clear();
    for i in 0..f.count("l") {
        let mut r = RowReader {
            f,
            lang,
            prefix: "l",
            i,
            place: String::new(),
            problems: Vec::new(),
        };
        if !r.get("remove").is_empty() || is_blank(&r, h, false) {
            continue;
        }
        let orig = r.get("orig").to_owned();
        let base_item = base.line_items.iter().find(|l| l.id.as_str() == orig);
        r.place = row_place(lang, "web.model.lines", i, r.get("name"));
        let kind = machi_report::import::parse_line_kind(r.get("kind"));
        if kind.is_none() {
            r.unknown("kind", &kind_codes);
        }
        let category = machi_report::import::parse_category(r.get("category"));
        if category.is_none() {
            r.unknown("category", &category_codes);
        }
        let id_text = match r.get("id") {
            "" => fresh(kind.map_or("line", LineKind::as_str), &mut taken),
            s => s.to_owned(),
        };
        let id = LineItemId::new(&id_text).ok();
        if id.is_none() {
            let m = project_message(lang, "invalid-id", &[("value", &id_text)]);
            r.problem("id", "", m);
        }
        let party = r.party();
        let values = r.amounts(h);
        problems.append(&mut r.problems);
        let (Some(id), Some(kind), Some(category)) = (id, kind, category) else {
            continue;
        };
        let shown = base_item.map(|l| base_row(base, &l.amounts, l.generator.as_ref()));
        let (amounts, generator) = schedule(
            h,
            &values,
            base_item
                .zip(shown.as_ref())
                .map(|(l, s)| (&l.amounts, l.generator.as_ref(), s)),
        );
        p.line_items.push(LineItem {
            id,
            kind,
            category,
            name: typed_name(
                f.get(&format!("l.{i}.name")),
                lang,
                base_item.map(|l| &l.name),
            ),
            party,
            payer: base_item.and_then(|l| l.payer.clone()),
            beneficiary: base_item.and_then(|l| l.beneficiary.clone()),
            amounts,
            generator,
            note: base_item.and_then(|l| l.note.clone()),
        });
        line_rows.push(i);
    }

    p.funding.clear();
    for i in 0..f.count("f") {
        let mut r = RowReader {
            f,
            lang,
            prefix: "f",
            i,
            place: String::new(),
            problems: Vec::new(),
        };
        let debt = !r.get("debt").is_empty();
        if !r.get("remove").is_empty() || is_blank(&r, h, debt) {
            continue;
        }
        let orig = r.get("orig").to_owned();
        let base_source = base.funding.iter().find(|s| s.id.as_str() == orig);
        r.place = row_place(lang, "web.model.funding", i, r.get("name"));
        let kind =
            machi_report::import::parse_funding_kind(r.get("kind")).filter(|k| k.is_debt() == debt);
        if kind.is_none() {
            let codes: Vec<&str> = FUNDING_KINDS
                .iter()
                .filter(|k| k.is_debt() == debt)
                .map(|k| k.as_str())
                .collect();
            r.unknown("kind", &codes);
        }
        let id_text = match r.get("id") {
            "" => fresh(kind.map_or("funding", FundingKind::as_str), &mut taken),
            s => s.to_owned(),
        };
        let id = FundingId::new(&id_text).ok();
        if id.is_none() {
            let m = project_message(lang, "invalid-id", &[("value", &id_text)]);
            r.problem("id", "", m);
        }
        let party = r.party();
        let name = typed_name(
            f.get(&format!("f.{i}.name")),
            lang,
            base_source.map(|s| &s.name),
        );
        let note = base_source.and_then(|s| s.note.clone());
        let built = if debt {
            debt_terms(&mut r).map(|t| (t, None))
        } else {
            let values = r.amounts(h);
            let keep = base_source.filter(|s| !s.kind.is_debt());
            let shown = keep.map(|s| base_row(base, &s.amounts, s.generator.as_ref()));
            Some((
                DebtFields::default(),
                Some((
                    schedule(
                        h,
                        &values,
                        keep.zip(shown.as_ref())
                            .map(|(s, b)| (&s.amounts, s.generator.as_ref(), b)),
                    ),
                    keep,
                )),
            ))
        };
        problems.append(&mut r.problems);
        let (Some(id), Some(kind), Some((terms, schedule))) = (id, kind, built) else {
            continue;
        };
        let (amounts, generator, keep) = match schedule {
            Some(((amounts, generator), keep)) => (amounts, generator, keep),
            None => (Default::default(), None, None),
        };
        p.funding.push(FundingSource {
            id,
            kind,
            name,
            party,
            amounts,
            generator,
            principal: terms.principal,
            drawdown: terms.drawdown,
            rate: terms.rate,
            tenor_years: terms.tenor_years,
            grace_years: terms.grace_years,
            repayment: terms.repayment,
            donation_kind: keep
                .filter(|_| kind == FundingKind::Donation)
                .and_then(|s| s.donation_kind),
            donor: keep
                .filter(|_| kind == FundingKind::Donation)
                .and_then(|s| s.donor.clone()),
            program: keep
                .filter(|_| kind == FundingKind::Subsidy)
                .and_then(|s| s.program.clone()),
            note,
        });
        funding_rows.push(i);
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    match p.validate() {
        Ok(()) => Ok(Applied {
            project: p,
            line_rows,
            funding_rows,
        }),
        Err(errs) => Err(errs
            .0
            .iter()
            .map(|e| validation_problem(e, lang, &p, &line_rows, &funding_rows))
            .collect()),
    }
}

/// `運営費 3行目「クラウド」` — where a row is, for a person.
fn row_place(lang: Lang, table: &str, i: usize, name: &str) -> String {
    lang.tf(
        "web.model.row-place",
        &[
            ("table", &lang.t(table)),
            ("row", &(i + 1)),
            ("name", &name),
        ],
    )
}

/// A rule of the model broken by the applied form, at its field.
fn validation_problem(
    e: &machi_domain::ProjectError,
    lang: Lang,
    p: &Project,
    line_rows: &[usize],
    funding_rows: &[usize],
) -> Problem {
    let args: Vec<(&str, &dyn std::fmt::Display)> = e
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    let message = project_message(lang, e.code, &args);
    let located = e.path.split_once('[').and_then(|(section, rest)| {
        let (idx, rest) = rest.split_once(']')?;
        let idx: usize = idx.parse().ok()?;
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        let (prefix, row, table, name) = match section {
            "line_items" => (
                "l",
                *line_rows.get(idx)?,
                "web.model.lines",
                view::text(&p.line_items.get(idx)?.name, lang),
            ),
            "funding" => (
                "f",
                *funding_rows.get(idx)?,
                "web.model.funding",
                view::text(&p.funding.get(idx)?.name, lang),
            ),
            _ => return None,
        };
        let mut parts = rest.split('.');
        let head = parts.next().unwrap_or("");
        let field = match head {
            "id" | "kind" | "category" | "party" | "principal" | "drawdown" | "rate"
            | "repayment" => head.to_owned(),
            "tenor_years" => "tenor".to_owned(),
            "grace_years" => "grace".to_owned(),
            "amounts" => match parts.next() {
                Some(y) if y.parse::<FiscalYear>().is_ok() => format!("y.{y}"),
                _ => "name".to_owned(),
            },
            _ => "name".to_owned(),
        };
        Some(Problem {
            field: Some(format!("{prefix}.{row}.{field}")),
            place: row_place(lang, table, row, name),
            message: message.clone(),
        })
    });
    located.unwrap_or_else(|| Problem {
        field: None,
        place: if e.path.is_empty() {
            String::new()
        } else {
            e.path.clone()
        },
        message,
    })
}

// ---------------------------------------------------------------------------
// Conflicts.

/// The other person's version with this user's rows on top: each line item
/// and funding source this user changed, added or removed (by id, relative
/// to `base`) is taken from `yours`, everything else from `theirs`. Also
/// returns the ids both changed differently.
pub fn merge(base: &Project, theirs: &Project, yours: &Project) -> (Project, Vec<String>) {
    let mut merged = theirs.clone();
    let mut both = Vec::new();
    merge_rows(
        &base.line_items,
        &theirs.line_items,
        &yours.line_items,
        |l| l.id.to_string(),
        &mut merged.line_items,
        &mut both,
    );
    merge_rows(
        &base.funding,
        &theirs.funding,
        &yours.funding,
        |f| f.id.to_string(),
        &mut merged.funding,
        &mut both,
    );
    (merged, both)
}

fn merge_rows<T: Clone + PartialEq>(
    base: &[T],
    theirs: &[T],
    yours: &[T],
    id: impl Fn(&T) -> String,
    out: &mut Vec<T>,
    both: &mut Vec<String>,
) {
    let find = |list: &[T], k: &str| list.iter().find(|x| id(x) == k).cloned();
    for b in base {
        let k = id(b);
        let y = find(yours, &k);
        if y.as_ref() == Some(b) {
            continue;
        }
        let t = find(theirs, &k);
        if t.as_ref() != Some(b) && t != y {
            both.push(k.clone());
        }
        let pos = out.iter().position(|x| id(x) == k);
        match (y, pos) {
            (Some(y), Some(p)) => out[p] = y,
            (Some(y), None) => out.push(y),
            (None, Some(p)) => {
                out.remove(p);
            }
            (None, None) => {}
        }
    }
    for y in yours {
        let k = id(y);
        if base.iter().any(|b| id(b) == k) {
            continue;
        }
        match out.iter().position(|x| id(x) == k) {
            Some(p) => {
                if out[p] != *y {
                    both.push(k);
                }
                out[p] = y.clone();
            }
            None => out.push(y.clone()),
        }
    }
}

// ---------------------------------------------------------------------------
// Results: what the preview swaps in.

/// The evaluation of the edited model, or why there is none.
pub struct Results {
    /// The evaluation, when the form is valid.
    pub eval: Option<EvalView>,
    /// The evaluation JSON the charts draw (as the API serves it).
    pub eval_json: String,
    /// The headline for the status bar.
    pub headline: Vec<Kv>,
    /// Every problem, with its place.
    pub problems: Vec<String>,
    /// "N problems; nothing recalculated".
    pub problems_title: String,
    /// Field → message, for the script that marks the cells.
    pub cell_errors: String,
    /// Row totals: (element id, text).
    pub totals: Vec<(String, String)>,
    /// The heading of the results.
    pub title: String,
    /// What the status bar calls the figures.
    pub status_label: String,
    /// Whether the figures are of unsaved input (the preview).
    pub unsaved: bool,
}

impl Results {
    fn of(applied: &Applied, lang: Lang) -> Results {
        let p = &applied.project;
        match service::evaluate(p) {
            Ok(e) => {
                let ev = view::eval_view(p, &e, lang);
                let mut totals: Vec<(String, String)> = applied
                    .line_rows
                    .iter()
                    .zip(&e.lines)
                    .map(|(i, l)| (format!("total-l-{i}"), view::yen(l.total)))
                    .collect();
                totals.extend(
                    applied
                        .funding_rows
                        .iter()
                        .zip(&e.funding)
                        .map(|(i, f)| (format!("total-f-{i}"), view::yen(f.total))),
                );
                let m = &e.metrics;
                let headline = vec![
                    Kv {
                        label: machi_report::label(lang, "m.npv").to_owned(),
                        value: view::yen(m.npv),
                    },
                    Kv {
                        label: machi_report::label(lang, "section.cliff").to_owned(),
                        value: ev.verdict.clone(),
                    },
                    Kv {
                        label: machi_report::label(lang, "m.min_self_sufficiency").to_owned(),
                        value: machi_report::percent(m.min_self_sufficiency),
                    },
                ];
                Results {
                    eval_json: machi_report::json(p, &e),
                    eval: Some(ev),
                    headline,
                    problems: Vec::new(),
                    problems_title: String::new(),
                    cell_errors: "{}".to_owned(),
                    totals,
                    title: lang.t("web.model.results").to_owned(),
                    status_label: lang.t("web.model.unsaved-results").to_owned(),
                    unsaved: true,
                }
            }
            Err(e) => {
                let mut messages = e.problems(lang);
                if messages.is_empty() {
                    messages.push(e.message(lang));
                }
                let problems: Vec<Problem> = messages
                    .into_iter()
                    .map(|message| Problem {
                        field: None,
                        place: String::new(),
                        message,
                    })
                    .collect();
                Results::failed(&problems, lang)
            }
        }
    }

    fn failed(problems: &[Problem], lang: Lang) -> Results {
        let cells: serde_json::Map<String, serde_json::Value> = problems
            .iter()
            .filter_map(|p| Some((p.field.clone()?, p.message.clone().into())))
            .collect();
        Results {
            eval: None,
            eval_json: String::new(),
            headline: Vec::new(),
            problems: problems.iter().map(Problem::text).collect(),
            problems_title: lang.tf("web.model.problems", &[("count", &problems.len())]),
            cell_errors: serde_json::Value::Object(cells).to_string(),
            totals: Vec::new(),
            title: lang.t("web.model.results").to_owned(),
            status_label: String::new(),
            unsaved: true,
        }
    }

    /// The same figures, labelled as those of saved version `version`.
    fn saved(mut self, version: i64, lang: Lang) -> Results {
        self.title = lang.tf("web.model.saved-results", &[("version", &version)]);
        self.status_label = lang.tf("web.model.saved-status", &[("version", &version)]);
        self.unsaved = false;
        self
    }

    fn from(r: &Result<Applied, Vec<Problem>>, lang: Lang) -> Results {
        match r {
            Ok(a) => Results::of(a, lang),
            Err(problems) => Results::failed(problems, lang),
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers.

/// The name of the line item or funding source with `id`, in `lang`
/// (the id itself when neither has it).
fn entry_name(p: &Project, id: &str, lang: Lang) -> String {
    let en = lang == Lang::En;
    p.line_items
        .iter()
        .find(|l| l.id.as_str() == id)
        .map(|l| l.name.get(en).to_owned())
        .or_else(|| {
            p.funding
                .iter()
                .find(|f| f.id.as_str() == id)
                .map(|f| f.name.get(en).to_owned())
        })
        .unwrap_or_else(|| id.to_owned())
}

/// The other person's save, shown above the merged form.
pub struct ConflictView {
    pub message: String,
    pub theirs_label: String,
    pub changes: Vec<diff::Change>,
    pub both_changed: String,
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    based_on: String,
    saved: Option<String>,
    conflict: Option<ConflictView>,
    form: ModelForm,
    results: Results,
    /// The status bar is part of the page (not an out-of-band swap).
    oob: bool,
}

#[derive(Template)]
#[template(path = "model_preview.html")]
struct PreviewFragment<'a> {
    ctx: &'a Ctx,
    results: Results,
    oob: bool,
}

#[derive(Deserialize)]
struct ShowQuery {
    saved: Option<i64>,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let stored = service::version(&state, key, None).await?;
    let doc = &stored.document;
    let form = ModelForm::from_project(doc, stored.meta.version, ctx.lang);
    let applied = Applied {
        line_rows: (0..doc.line_items.len()).collect(),
        funding_rows: (0..doc.funding.len()).collect(),
        project: doc.clone(),
    };
    page(&ModelPage {
        id,
        name: view::text(&doc.project.name, ctx.lang).to_owned(),
        based_on: ctx.tf1("web.edit.based-on", "version", &stored.meta.version),
        saved: q.saved.map(|v| ctx.tf1("web.model.saved", "version", &v)),
        conflict: None,
        results: Results::of(&applied, ctx.lang).saved(stored.meta.version, ctx.lang),
        form,
        oob: false,
        ctx: &ctx,
    })
}

/// The base version a form names.
fn base_version(f: &Submitted) -> AppResult<i64> {
    f.get("base_version")
        .parse()
        .map_err(|_| AppError::InvalidField {
            field: "base_version".into(),
        })
}

async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let f = Submitted::new(pairs);
    let base = service::version(&state, key, Some(base_version(&f)?)).await?;
    let applied = apply(&base.document, &f, ctx.lang);
    page(&PreviewFragment {
        results: Results::from(&applied, ctx.lang),
        oob: true,
        ctx: &ctx,
    })
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let lang = ctx.lang;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let f = Submitted::new(pairs);
    let base_v = base_version(&f)?;
    let base = service::version(&state, key, Some(base_v)).await?;
    let doc = &base.document;
    let applied = apply(doc, &f, lang);
    let render =
        |status: StatusCode, form: ModelForm, results: Results, conflict: Option<ConflictView>| {
            page_with(
                status,
                &ModelPage {
                    id,
                    name: view::text(&doc.project.name, lang).to_owned(),
                    based_on: ctx.tf1("web.edit.based-on", "version", &form.base_version),
                    saved: None,
                    conflict,
                    form,
                    results,
                    oob: false,
                    ctx: &ctx,
                },
            )
        };
    let op = f.get("op");
    if op != "save" {
        // Add a row or recalculate: show the form again, save nothing.
        let add = op.strip_prefix("add-");
        let problems = applied.as_ref().err().cloned().unwrap_or_default();
        let form = ModelForm::from_submitted(&f, doc, lang, &problems, add);
        return render(StatusCode::OK, form, Results::from(&applied, lang), None);
    }
    let applied = match applied {
        Ok(a) => a,
        Err(problems) => {
            let form = ModelForm::from_submitted(&f, doc, lang, &problems, None);
            let results = Results::failed(&problems, lang);
            return render(StatusCode::UNPROCESSABLE_ENTITY, form, results, None);
        }
    };
    let note = match f.get("note").trim() {
        "" => ctx.t("web.note.model-edited").to_owned(),
        n => n.to_owned(),
    };
    match service::save(&state, me, key, base_v, &applied.project, &note).await {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{id}/model?saved={}",
            meta.version
        ))),
        Err(AppError::Conflict { .. }) => {
            let theirs = service::version(&state, key, None).await?;
            let names = Names::load(&state, lang).await?;
            let yours = &applied.project;
            let (merged, both) = merge(doc, &theirs.document, yours);
            let changes = diff::conflict_changes(doc, &theirs.document, yours, lang);
            let (message, theirs_label) =
                super::conflict_header(lang, &names, base_v, &theirs.meta);
            let conflict = ConflictView {
                message,
                theirs_label,
                changes,
                // Entries both people changed, by name (ids mean little to a reader).
                both_changed: both
                    .iter()
                    .map(|id| entry_name(&merged, id, lang))
                    .collect::<Vec<_>>()
                    .join(if lang == Lang::En { ", " } else { "、" }),
            };
            let mut form = ModelForm::from_project(&merged, theirs.meta.version, lang);
            form.note = f.get("note").to_owned();
            let merged_applied = Applied {
                line_rows: (0..merged.line_items.len()).collect(),
                funding_rows: (0..merged.funding.len()).collect(),
                project: merged.clone(),
            };
            let results = match merged.validate() {
                Ok(()) => Results::of(&merged_applied, lang),
                Err(errs) => Results::failed(
                    &errs
                        .0
                        .iter()
                        .map(|e| {
                            validation_problem(
                                e,
                                lang,
                                &merged,
                                &merged_applied.line_rows,
                                &merged_applied.funding_rows,
                            )
                        })
                        .collect::<Vec<_>>(),
                    lang,
                ),
            };
            render(StatusCode::CONFLICT, form, results, Some(conflict))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(text: &str) -> Project {
        Project::from_toml_str(text).expect("example")
    }

    fn kurume() -> Project {
        example(include_str!("../../../../examples/kurume-flood-ai.toml"))
    }

    fn kashiwanoha() -> Project {
        example(include_str!(
            "../../../../examples/kashiwanoha-area-services.toml"
        ))
    }

    /// The fields a browser sends for `form` (selected options, values).
    fn pairs_of(form: &ModelForm) -> Vec<(String, String)> {
        let sel = |o: &[Opt]| {
            o.iter()
                .find(|o| o.selected)
                .map(|o| o.value.clone())
                .unwrap_or_default()
        };
        let mut v = vec![
            ("base_version".to_owned(), form.base_version.to_string()),
            ("note".to_owned(), form.note.clone()),
        ];
        for r in form.lines.iter().chain(&form.funding) {
            v.push((r.field("orig"), r.orig.clone()));
            v.push((r.field("id"), r.id.clone()));
            v.push((r.field("name"), r.name.clone()));
            v.push((r.field("kind"), sel(&r.kinds)));
            v.push((r.field("party"), sel(&r.parties)));
            if !r.categories.is_empty() {
                let c = r
                    .categories
                    .iter()
                    .flat_map(|g| &g.options)
                    .find(|o| o.selected)
                    .map(|o| o.value.clone())
                    .unwrap_or_default();
                v.push((r.field("category"), c));
            }
            if let Some(t) = &r.terms {
                v.push((r.field("debt"), "1".into()));
                v.push((r.field("principal"), t.principal.clone()));
                v.push((r.field("drawdown"), sel(&t.drawdowns)));
                v.push((r.field("rate"), t.rate.clone()));
                v.push((r.field("tenor"), t.tenor.clone()));
                v.push((r.field("grace"), t.grace.clone()));
                v.push((r.field("repayment"), sel(&t.repayments)));
            }
            for c in &r.cells {
                v.push((c.name.clone(), c.value.clone()));
            }
        }
        v
    }

    fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
        let f = pairs
            .iter_mut()
            .find(|(k, _)| k == name)
            .unwrap_or_else(|| panic!("no field {name}"));
        f.1 = value.to_owned();
    }

    fn applied(
        p: &Project,
        pairs: Vec<(String, String)>,
        lang: Lang,
    ) -> Result<Project, Vec<Problem>> {
        apply(p, &Submitted::new(pairs), lang).map(|a| a.project)
    }

    #[test]
    fn an_unchanged_form_gives_back_every_example() {
        for text in [
            include_str!("../../../../examples/kurume-flood-ai.toml"),
            include_str!("../../../../examples/hino-mimamori.toml"),
            include_str!("../../../../examples/kashiwanoha-area-services.toml"),
            include_str!("../../../../examples/sano-urban-os.toml"),
        ] {
            let p = example(text);
            for lang in Lang::ALL {
                let form = ModelForm::from_project(&p, 1, lang);
                let q = applied(&p, pairs_of(&form), lang).expect("valid");
                // Generators, explicit amounts and names: all as they were.
                assert_eq!(q, p, "{} {lang}", p.project.id);
            }
        }
    }

    #[test]
    fn editing_a_generated_year_writes_an_explicit_amount_for_it_only() {
        let p = kurume();
        let (i, line) = p
            .line_items
            .iter()
            .enumerate()
            .find(|(_, l)| l.generator.is_some())
            .expect("a line with a generator");
        let form = ModelForm::from_project(&p, 1, Lang::Ja);
        let year = p.horizon.last;
        assert!(form.lines[i].cells.last().expect("cell").generated);
        let mut pairs = pairs_of(&form);
        set(&mut pairs, &format!("l.{i}.y.{year}"), "120万円");
        let q = applied(&p, pairs, Lang::Ja).expect("valid");
        let ql = &q.line_items[i];
        assert_eq!(ql.generator, line.generator, "the generator stays");
        assert_eq!(ql.amounts.get(&year), Some(&Yen(1_200_000)));
        let mut expected = line.amounts.clone();
        expected.insert(year, Yen(1_200_000));
        assert_eq!(ql.amounts, expected, "only that year is explicit");
    }

    #[test]
    fn rows_are_added_renamed_retyped_and_removed() {
        let p = kurume();
        let form = ModelForm::from_project(&p, 1, Lang::En);
        let n = p.line_items.len();
        let mut pairs = pairs_of(&form);
        // The empty row at the end becomes a new revenue line without an id.
        set(&mut pairs, &format!("l.{n}.name"), "Sponsorship");
        set(&mut pairs, &format!("l.{n}.kind"), "revenue");
        set(&mut pairs, &format!("l.{n}.category"), "sponsorship");
        set(
            &mut pairs,
            &format!("l.{n}.y.{}", p.horizon.first),
            "1,200,000",
        );
        // The first line: renamed in English, its id changed.
        set(&mut pairs, "l.0.name", "Sensors, renamed");
        set(&mut pairs, "l.0.id", "sensors-renamed");
        // The second line is removed.
        pairs.push(("l.1.remove".into(), "1".into()));
        let q = applied(&p, pairs, Lang::En).expect("valid");
        assert_eq!(q.line_items.len(), n);
        let first = &q.line_items[0];
        assert_eq!(first.id.as_str(), "sensors-renamed");
        assert_eq!(first.name.en.as_deref(), Some("Sensors, renamed"));
        assert_eq!(first.name.ja, p.line_items[0].name.ja, "Japanese kept");
        assert_eq!(
            first.note, p.line_items[0].note,
            "note kept by the original id"
        );
        assert!(!q.line_items.iter().any(|l| l.id == p.line_items[1].id));
        let new = q.line_items.last().expect("new");
        assert_eq!(new.id.as_str(), "revenue-1");
        assert_eq!(new.kind, LineKind::Revenue);
        assert_eq!(new.category, LineCategory::Sponsorship);
        assert_eq!(new.name.ja, "Sponsorship");
        assert_eq!(
            new.amounts,
            BTreeMap::from([(p.horizon.first, Yen(1_200_000))])
        );
    }

    #[test]
    fn bad_cells_are_reported_at_their_field_and_nothing_is_applied() {
        let p = kurume();
        let form = ModelForm::from_project(&p, 1, Lang::Ja);
        let mut pairs = pairs_of(&form);
        let y = p.horizon.first.plus(2);
        set(&mut pairs, &format!("l.2.y.{y}"), "たくさん");
        set(&mut pairs, "l.3.kind", "expense");
        let problems = applied(&p, pairs, Lang::Ja).expect_err("invalid");
        let fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        assert_eq!(fields, vec![format!("l.2.y.{y}"), "l.3.kind".to_owned()]);
        let cell = problems
            .iter()
            .find(|p| p.field.as_deref() == Some(&format!("l.2.y.{y}")))
            .expect("cell problem");
        assert!(cell.message.contains("たくさん"), "{}", cell.message);
        assert!(cell.place.contains("令和9年度"), "{}", cell.place);
        // The form shown again keeps what was typed, with the error beside it.
        let again = ModelForm::from_submitted(
            &Submitted::new(pairs_of(&form)),
            &p,
            Lang::Ja,
            &problems,
            None,
        );
        let c = &again.lines[2].cells[2];
        assert!(c.error.as_deref().is_some_and(|e| e.contains("たくさん")));
        assert!(again.lines[3].err("kind").is_some());
    }

    #[test]
    fn model_rules_are_reported_at_their_field() {
        let p = kurume();
        let form = ModelForm::from_project(&p, 1, Lang::En);
        let mut pairs = pairs_of(&form);
        let capex = p
            .line_items
            .iter()
            .position(|l| l.kind == LineKind::Capex)
            .expect("capex");
        set(&mut pairs, &format!("l.{capex}.category"), "user-fees");
        let y = p.horizon.first;
        set(&mut pairs, &format!("f.0.y.{y}"), "-5");
        let problems = applied(&p, pairs, Lang::En).expect_err("invalid");
        let fields: BTreeSet<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        assert!(
            fields.contains(&format!("l.{capex}.category")),
            "{problems:?}"
        );
        assert!(fields.contains(&format!("f.0.y.{y}")), "{problems:?}");
    }

    #[test]
    fn loans_are_edited_through_their_terms() {
        let p = kashiwanoha();
        let i = p
            .funding
            .iter()
            .position(|f| f.kind.is_debt())
            .expect("loan");
        let form = ModelForm::from_project(&p, 1, Lang::Ja);
        let row = &form.funding[i];
        assert!(row.cells.is_empty() && row.terms.is_some());
        let mut pairs = pairs_of(&form);
        set(&mut pairs, &format!("f.{i}.rate"), "2.5%");
        set(&mut pairs, &format!("f.{i}.tenor"), "12");
        let q = applied(&p, pairs.clone(), Lang::Ja).expect("valid");
        let terms = q.funding[i].debt_terms().expect("terms");
        assert_eq!(terms.rate, "0.025".parse().expect("rate"));
        assert_eq!(terms.tenor_years, 12);
        set(&mut pairs, &format!("f.{i}.tenor"), "十年");
        let problems = applied(&p, pairs, Lang::Ja).expect_err("invalid");
        assert_eq!(
            problems[0].field.as_deref(),
            Some(format!("f.{i}.tenor").as_str())
        );
        // A new loan: a blank debt row, filled in.
        let f = Submitted::new(pairs_of(&form));
        let again = ModelForm::from_submitted(&f, &p, Lang::Ja, &[], Some("debt"));
        let new = again.funding.last().expect("new debt row");
        assert!(new.terms.is_some() && new.is_new);
        let mut pairs = pairs_of(&again);
        let k = new.i;
        set(&mut pairs, &format!("f.{k}.name"), "追加の借入");
        set(&mut pairs, &format!("f.{k}.principal"), "1億円");
        set(
            &mut pairs,
            &format!("f.{k}.drawdown"),
            &p.horizon.first.to_string(),
        );
        set(&mut pairs, &format!("f.{k}.rate"), "1%");
        set(&mut pairs, &format!("f.{k}.tenor"), "10");
        let q = applied(&p, pairs, Lang::Ja).expect("valid");
        let loan = q.funding.last().expect("loan");
        assert_eq!(loan.id.as_str(), "loan-1");
        assert_eq!(loan.principal, Some(Yen(100_000_000)));
    }

    #[test]
    fn merge_lays_your_rows_on_theirs() {
        let base = kurume();
        let mut theirs = base.clone();
        theirs.line_items[0].name.ja = "彼らの名称".into();
        theirs.line_items[1].name.ja = "彼らの名称2".into();
        let mut yours = base.clone();
        yours.line_items[1].name.ja = "私の名称2".into();
        yours.line_items.remove(2);
        let (merged, both) = merge(&base, &theirs, &yours);
        assert_eq!(merged.line_items[0].name.ja, "彼らの名称");
        assert_eq!(merged.line_items[1].name.ja, "私の名称2");
        assert_eq!(merged.line_items.len(), base.line_items.len() - 1);
        assert_eq!(both, vec![base.line_items[1].id.to_string()]);
    }
}
