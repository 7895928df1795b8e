//! Rendering the grid: one row per line item or funding source, one input
//! per fiscal year, from a project or from what the user submitted.

use machi_domain::project::{Horizon, LineCategory, LineKind, Text};
use machi_domain::{Project, Yen, YenUnit};
use machi_i18n::Lang;
use machi_report::import::{CATEGORIES, FUNDING_KINDS, drawdowns};

use crate::pages::common::{Opt, kebab};
use crate::view::{self};

use super::apply::*;

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
pub(super) fn amount_text(y: Yen) -> String {
    if y == Yen::ZERO {
        String::new()
    } else {
        y.format(YenUnit::Yen).replace('¥', "")
    }
}

pub(super) fn kind_opts(lang: Lang, selected: &str) -> Vec<Opt> {
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
pub(super) fn category_groups(lang: Lang, selected: &str) -> Vec<OptGroup> {
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

pub(super) fn funding_kind_opts(lang: Lang, debt: bool, selected: &str) -> Vec<Opt> {
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

pub(super) fn party_opts(p: &Project, lang: Lang, selected: &str) -> Vec<Opt> {
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

pub(super) fn year_opts(h: Horizon, lang: Lang, selected: &str) -> Vec<Opt> {
    h.years()
        .map(|y| {
            let key = y.to_string();
            let sel = key == selected;
            Opt::new(key, view::fy(lang, y), sel)
        })
        .collect()
}

pub(super) fn repayment_opts(lang: Lang, selected: &str) -> Vec<Opt> {
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

/// The name input's value and placeholder in `lang`.
pub(super) fn name_fields(t: &Text, lang: Lang) -> (String, String) {
    match lang {
        Lang::Ja => (t.ja.clone(), t.en.clone().unwrap_or_default()),
        Lang::En => (t.en.clone().unwrap_or_default(), t.ja.clone()),
    }
}

pub(super) fn years(p: &Project, lang: Lang) -> Vec<YearHead> {
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

pub(super) fn blank_cells(prefix: &str, i: usize, yh: &[YearHead]) -> Vec<AmountCell> {
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

pub(super) fn blank_line(p: &Project, lang: Lang, i: usize, yh: &[YearHead]) -> RowView {
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

pub(super) fn blank_funding(
    p: &Project,
    lang: Lang,
    i: usize,
    yh: &[YearHead],
    debt: bool,
) -> RowView {
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
