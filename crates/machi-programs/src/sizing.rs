//! Sizing: the largest subsidy a program type allows a project, fiscal year
//! by fiscal year, with the rule that binds.
//!
//! For each year, every upper bound the terms set is computed:
//!
//! - the **rate**: ⌊rate × eligible expenses⌋ (for 定額補助 the eligible
//!   expenses themselves: a fixed-amount subsidy never exceeds what is
//!   spent); eligible expenses are the lines whose category the type funds,
//!   × 100/110 when the project's amounts include consumption tax and the
//!   type does not fund it ([`crate::costs`]);
//! - the **per-year cap** (Tokyo: ¥20,000,000 per project per fiscal year,
//!   seed 001; MLIT: 上限2,000万円 / 5,000万円, seed 002);
//! - what is left of the **total cap** and of the program's **budget**
//!   after the earlier years;
//! - **co-funding** (MLIT: コンソーシアム負担額が国の補助額を上回ること, seed
//!   002): the subsidy stays strictly below the consortium's own burden
//!   (`consortium.own_burden`), i.e. at most burden − ¥1; when the project
//!   does not state its burden, the burden is project cost − subsidy, so
//!   subsidy < cost / 2, i.e. at most ⌊(cost − 1) / 2⌋.
//!
//! The subsidy is the smallest bound, rounded down to the rounding unit
//! (千円未満切捨て: REFERENCE.md, "Finance conventions", general practice).
//! A year gets nothing when the type is not eligible, when it lies after an
//! `implemented-by` deadline, when its eligible expenses are below a
//! `min-project-cost`, or when it lies beyond `max_consecutive_years`
//! counted from the first year that receives a subsidy (Tokyo: up to three
//! consecutive fiscal years, seed 001).

use machi_domain::project::LineCategory;
use machi_domain::{FiscalYear, Project, Rate, Yen};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::costs::{Costs, planned};
use crate::explain::{Arg, Explanation};
use crate::program::{Method, Program, ProgramKind, ProgramType, Test};
use crate::rules::{Status, evaluate_rules};

/// A type's sizing terms as numbers (program and type merged, rules that
/// limit years included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Terms {
    /// Fixed amount or rate.
    pub method: Method,
    /// Share of eligible expenses paid (1 for a fixed amount).
    pub rate: Rate,
    /// Largest subsidy per year.
    pub cap_per_year: Option<Yen>,
    /// Largest subsidy over all years.
    pub cap_total: Option<Yen>,
    /// The program's budget (an upper bound for one project).
    pub budget: Option<Yen>,
    /// Longest run of consecutive funded years.
    pub max_consecutive_years: Option<u32>,
    /// Eligible categories (`None`: every capex and opex line).
    pub categories: Option<Vec<LineCategory>>,
    /// Whether consumption tax is eligible.
    pub consumption_tax: bool,
    /// Whether the subsidy must stay below the consortium's own burden.
    pub co_funding: bool,
    /// Rounding unit (1 when the program does not round).
    pub rounding_unit: Yen,
    /// Smallest eligible expenses of a funded year (`min-project-cost`).
    pub min_project_cost: Option<Yen>,
    /// Last fiscal year that can be funded (`implemented-by`).
    pub last_year: Option<FiscalYear>,
}

impl Terms {
    /// The terms of `ty` in `program`; `None` for a program that is not a
    /// subsidy or a type without a subsidy basis or eligible expenses.
    pub fn of(program: &Program, ty: Option<&ProgramType>) -> Option<Terms> {
        if program.kind != ProgramKind::Subsidy {
            return None;
        }
        let s = program.sizing_for(ty);
        let basis = s.subsidy.as_ref()?;
        let eligible = s.eligible_expenses.as_ref()?;
        let mut min_project_cost: Option<Yen> = None;
        let mut last_year: Option<FiscalYear> = None;
        for (rule, _) in program.rules_for(ty) {
            if rule.advisory {
                continue;
            }
            match &rule.test {
                Test::MinProjectCost { amount } => {
                    min_project_cost = Some(min_project_cost.map_or(*amount, |m| m.max(*amount)));
                }
                Test::ImplementedBy { year } => {
                    last_year = Some(last_year.map_or(*year, |y| y.min(*year)))
                }
                _ => {}
            }
        }
        Some(Terms {
            method: basis.method,
            rate: basis.effective_rate(),
            cap_per_year: s.cap_per_year.as_ref().map(|t| t.amount),
            cap_total: s.cap_total.as_ref().map(|t| t.amount),
            budget: program.budget.as_ref().map(|b| b.amount),
            max_consecutive_years: s.max_consecutive_years.as_ref().map(|t| t.years),
            categories: eligible.categories.clone(),
            consumption_tax: eligible.consumption_tax,
            co_funding: s.co_funding.is_some(),
            rounding_unit: s.rounding.as_ref().map_or(Yen(1), |r| r.unit),
            min_project_cost,
            last_year,
        })
    }
}

/// Which bound a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// Rate × eligible expenses.
    Rate,
    /// The eligible expenses (定額補助).
    FixedAmount,
    /// The per-year cap.
    CapPerYear,
    /// What is left of the total cap.
    CapTotal,
    /// What is left of the program's budget.
    Budget,
    /// Below the stated own burden.
    CoFunding,
    /// Below half the project cost (own burden not stated).
    CoFundingAssumed,
}

impl LimitKind {
    /// The kebab-case name used in message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Rate => "rate",
            LimitKind::FixedAmount => "fixed-amount",
            LimitKind::CapPerYear => "cap-per-year",
            LimitKind::CapTotal => "cap-total",
            LimitKind::Budget => "budget",
            LimitKind::CoFunding => "co-funding",
            LimitKind::CoFundingAssumed => "co-funding-assumed",
        }
    }
}

/// One upper bound in one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// Which bound.
    pub kind: LimitKind,
    /// The largest subsidy it allows (before rounding).
    pub value: Yen,
    /// The figure it derives from: the eligible expenses (rate), the cap,
    /// the total cap or budget, the own burden, or the project cost.
    pub basis: Yen,
}

/// The sizing of one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearSizing {
    /// The fiscal year.
    pub year: FiscalYear,
    /// Eligible expenses as written in the project.
    pub eligible_gross: Yen,
    /// Eligible expenses after any consumption-tax exclusion.
    pub eligible: Yen,
    /// The largest subsidy allowed.
    pub amount: Yen,
    /// Every bound computed this year (empty when the year is blocked).
    pub limits: Vec<Limit>,
    /// The bound that decides the amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<LimitKind>,
    /// Why the year gets nothing whatever the bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<Explanation>,
    /// The explanation, line by line: the deciding reason first.
    pub explanation: Vec<Explanation>,
    /// What the project plans to receive from this program this year.
    pub planned: Yen,
}

/// The sizing of one program type for one project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeSizing {
    /// Program id.
    pub program: String,
    /// Type id.
    pub type_id: Option<String>,
    /// The terms applied.
    pub terms: Terms,
    /// Each fiscal year of the horizon.
    pub years: Vec<YearSizing>,
    /// Sum of the amounts.
    pub total: Yen,
    /// Sum of what the project plans to receive from the program.
    pub planned_total: Yen,
}

/// Why sizing cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    /// The program has no type with this id.
    #[error("program {program} has no type {type_id}")]
    UnknownType {
        /// Program id.
        program: String,
        /// The type asked for.
        type_id: String,
    },
    /// The program is not a subsidy.
    #[error("program {0} is not a subsidy")]
    NotASubsidy(String),
}

/// The largest subsidy type `type_id` of `program` allows `project` in each
/// fiscal year. The type's rules are checked first: a type the project is
/// not eligible for sizes to zero (needs-information counts as eligible, so
/// that the figure is what the rules allow once the information is given).
///
/// `type_id` is `None` only for a program without types.
pub fn size(
    project: &Project,
    program: &Program,
    type_id: Option<&str>,
) -> Result<TypeSizing, SizingError> {
    let unknown = || SizingError::UnknownType {
        program: program.id.clone(),
        type_id: type_id.unwrap_or_default().to_owned(),
    };
    let ty = match (type_id, program.types.is_empty()) {
        (Some(id), _) => Some(program.type_by_id(id).ok_or_else(unknown)?),
        (None, true) => None,
        (None, false) => return Err(unknown()),
    };
    let costs = Costs::of(project);
    let outcomes = evaluate_rules(project, program, ty, &costs);
    let eligible = !outcomes
        .iter()
        .any(|o| o.decides() && o.status == Status::Fail);
    size_with(project, program, ty, &costs, eligible)
        .ok_or_else(|| SizingError::NotASubsidy(program.id.clone()))
}

/// Sizing with the project's costs and eligibility already known.
pub(crate) fn size_with(
    project: &Project,
    program: &Program,
    ty: Option<&ProgramType>,
    costs: &Costs,
    eligible: bool,
) -> Option<TypeSizing> {
    let terms = Terms::of(program, ty)?;
    let sizing = program.sizing_for(ty);
    let e = sizing.eligible_expenses.as_ref()?;
    let exclude_tax = costs.excludes_tax(e);
    let eligible_by_year = costs.eligible(e);
    let planned = planned(project, &program.id);
    let unit = terms.rounding_unit.get().max(1);
    let mut years = Vec::with_capacity(costs.years.len());
    let mut paid_so_far = Yen::ZERO;
    let mut first_paid: Option<usize> = None;
    for (i, &year) in costs.years.iter().enumerate() {
        let (gross, net) = eligible_by_year[i];
        let mut row = YearSizing {
            year,
            eligible_gross: gross,
            eligible: net,
            amount: Yen::ZERO,
            limits: Vec::new(),
            binding: None,
            blocked: None,
            explanation: Vec::new(),
            planned: planned.get(i).copied().unwrap_or(Yen::ZERO),
        };
        row.blocked = blocked(
            &terms,
            eligible,
            year,
            net,
            first_paid.map(|f| (f, costs.years[f])),
            i,
        );
        if row.blocked.is_none() {
            row.limits = limits(&terms, net, costs, i, paid_so_far);
            let (binding, raw) = row
                .limits
                .iter()
                .fold(None::<&Limit>, |best, l| match best {
                    Some(b) if b.value <= l.value => Some(b),
                    _ => Some(l),
                })
                .map_or((None, net), |l| (Some(l.kind), l.value.max(Yen::ZERO)));
            row.binding = binding;
            row.amount = raw.round_down_to(unit);
            row.explanation = explain(&row, &terms, raw, gross, exclude_tax);
            if row.amount > Yen::ZERO && first_paid.is_none() {
                first_paid = Some(i);
            }
            paid_so_far += row.amount;
        } else if let Some(b) = &row.blocked {
            row.explanation.push(b.clone());
        }
        years.push(row);
    }
    let total = years.iter().map(|y| y.amount).sum();
    let planned_total = years.iter().map(|y| y.planned).sum();
    Some(TypeSizing {
        program: program.id.clone(),
        type_id: ty.map(|t| t.id.clone()),
        terms,
        years,
        total,
        planned_total,
    })
}

/// Why year `i` gets nothing, if it does.
fn blocked(
    terms: &Terms,
    eligible: bool,
    year: FiscalYear,
    net: Yen,
    first_paid: Option<(usize, FiscalYear)>,
    i: usize,
) -> Option<Explanation> {
    if !eligible {
        return Some(Explanation::new("blocked-not-eligible"));
    }
    if net <= Yen::ZERO {
        return Some(Explanation::new("blocked-no-eligible-expenses"));
    }
    if let Some(last) = terms.last_year
        && year > last
    {
        return Some(Explanation::new("blocked-after-deadline").arg("deadline", Arg::Year(last)));
    }
    if let (Some(n), Some((f, first))) = (terms.max_consecutive_years, first_paid)
        && i >= f + n as usize
    {
        return Some(
            Explanation::new("blocked-beyond-duration")
                .arg("years", Arg::Count(u64::from(n)))
                .arg("first", Arg::Year(first)),
        );
    }
    if let Some(min) = terms.min_project_cost
        && net < min
    {
        return Some(
            Explanation::new("blocked-below-min-cost")
                .arg("eligible", Arg::Yen(net))
                .arg("min", Arg::Yen(min)),
        );
    }
    None
}

/// Every bound of year `i`, in a fixed order (ties go to the earlier one).
fn limits(terms: &Terms, net: Yen, costs: &Costs, i: usize, paid_so_far: Yen) -> Vec<Limit> {
    let mut out = Vec::new();
    let by_rate = Yen::from_decimal_floor(terms.rate.get() * net.to_decimal()).unwrap_or(Yen::ZERO);
    let kind = if terms.method == Method::FixedAmount {
        LimitKind::FixedAmount
    } else {
        LimitKind::Rate
    };
    out.push(Limit {
        kind,
        value: by_rate,
        basis: net,
    });
    if let Some(cap) = terms.cap_per_year {
        out.push(Limit {
            kind: LimitKind::CapPerYear,
            value: cap,
            basis: cap,
        });
    }
    if let Some(cap) = terms.cap_total {
        out.push(Limit {
            kind: LimitKind::CapTotal,
            value: (cap - paid_so_far).max(Yen::ZERO),
            basis: cap,
        });
    }
    if let Some(budget) = terms.budget {
        out.push(Limit {
            kind: LimitKind::Budget,
            value: (budget - paid_so_far).max(Yen::ZERO),
            basis: budget,
        });
    }
    if terms.co_funding {
        match &costs.own_burden {
            // subsidy < burden  ⇔  subsidy ≤ burden − 1.
            Some(burden) => {
                let b = burden.get(i).copied().unwrap_or(Yen::ZERO);
                out.push(Limit {
                    kind: LimitKind::CoFunding,
                    value: (b - Yen(1)).max(Yen::ZERO),
                    basis: b,
                });
            }
            // subsidy < cost − subsidy  ⇔  2 × subsidy < cost  ⇔  subsidy ≤ ⌊(cost − 1) / 2⌋.
            None => {
                let cost = costs.total.get(i).copied().unwrap_or(Yen::ZERO);
                let half = Yen::from_decimal_floor((cost - Yen(1)).to_decimal() / Decimal::TWO)
                    .unwrap_or(Yen::ZERO);
                out.push(Limit {
                    kind: LimitKind::CoFundingAssumed,
                    value: half.max(Yen::ZERO),
                    basis: cost,
                });
            }
        }
    }
    out
}

/// The explanation lines of an unblocked year: the binding bound first,
/// then the others, then rounding and the consumption-tax exclusion.
fn explain(
    row: &YearSizing,
    terms: &Terms,
    raw: Yen,
    gross: Yen,
    exclude_tax: bool,
) -> Vec<Explanation> {
    let mut out = Vec::new();
    let line = |prefix: &'static str, l: &Limit| -> Explanation {
        let code = match (prefix, l.kind) {
            ("binding", LimitKind::Rate) => "binding-rate",
            ("binding", LimitKind::FixedAmount) => "binding-fixed-amount",
            ("binding", LimitKind::CapPerYear) => "binding-cap-per-year",
            ("binding", LimitKind::CapTotal) => "binding-cap-total",
            ("binding", LimitKind::Budget) => "binding-budget",
            ("binding", LimitKind::CoFunding) => "binding-co-funding",
            ("binding", LimitKind::CoFundingAssumed) => "binding-co-funding-assumed",
            (_, LimitKind::Rate) => "other-rate",
            (_, LimitKind::FixedAmount) => "other-fixed-amount",
            (_, LimitKind::CapPerYear) => "other-cap-per-year",
            (_, LimitKind::CapTotal) => "other-cap-total",
            (_, LimitKind::Budget) => "other-budget",
            (_, LimitKind::CoFunding) => "other-co-funding",
            (_, LimitKind::CoFundingAssumed) => "other-co-funding-assumed",
        };
        Explanation::new(code)
            .arg("value", Arg::Yen(l.value))
            .arg("basis", Arg::Yen(l.basis))
            .arg("rate", Arg::Rate(terms.rate))
    };
    if let Some(b) = row.limits.iter().find(|l| Some(l.kind) == row.binding) {
        out.push(line("binding", b));
    }
    // The program's whole budget only matters when it binds.
    for l in row
        .limits
        .iter()
        .filter(|l| Some(l.kind) != row.binding && l.kind != LimitKind::Budget)
    {
        out.push(line("other", l));
    }
    if row.amount != raw {
        out.push(
            Explanation::new("rounded")
                .arg("from", Arg::Yen(raw))
                .arg("unit", Arg::Yen(terms.rounding_unit))
                .arg("value", Arg::Yen(row.amount)),
        );
    }
    if exclude_tax {
        out.push(
            Explanation::new("tax-excluded")
                .arg("gross", Arg::Yen(gross))
                .arg("eligible", Arg::Yen(row.eligible)),
        );
    }
    out
}
