//! Building the optimiser's input ([`StackProblem`]) from a project and its
//! candidate programs.
//!
//! Expenses are grouped into pools by (fiscal year, the set of program types
//! that may fund them, whether a local government holds them). When the
//! project's amounts include consumption tax, each line is split into its
//! amount without tax (⌊amount × 100/110⌋, the same line-by-line exclusion
//! as [`crate::sizing`]) and the tax, which only types that fund
//! consumption tax may fund. `TypeTerms.allowed` is false in years after an
//! `implemented-by` deadline, in years whose eligible expenses are below a
//! `min-project-cost`, and in every year of a type whose rules fail.

use std::collections::BTreeMap;

use machi_domain::{Project, Yen};

use crate::costs::{Costs, excluding_consumption_tax};
use crate::program::{Program, ProgramType};
use crate::rules::{Status, evaluate_rules};
use crate::sizing::{SizingError, Terms};
use crate::stack::{ExpensePool, Minimise, ProgramTerms, StackProblem, TypeTerms};

/// A pool's identity: (year index, the (program, type) indices that may fund
/// it, whether a local government holds it).
type PoolKey = (usize, Vec<(usize, usize)>, bool);

/// The optimiser's input for `project` and the candidates: each program
/// with one type (`Some(id)`) or all its types (`None`). Errors for an
/// unknown type and for a program that is not a subsidy.
pub fn build_stack_problem(
    project: &Project,
    candidates: &[(&Program, Option<&str>)],
    minimise: Minimise,
) -> Result<StackProblem, SizingError> {
    let costs = Costs::of(project);
    let n_years = costs.years.len();
    // (program index, type index) → the type, its terms and eligible expenses.
    let mut chosen: Vec<(usize, usize, &Program, Option<&ProgramType>)> = Vec::new();
    let mut programs = Vec::with_capacity(candidates.len());
    for (pi, (program, type_id)) in candidates.iter().enumerate() {
        let types = program
            .select_types(*type_id)
            .map_err(|_| SizingError::UnknownType {
                program: program.id.clone(),
                type_id: type_id.unwrap_or_default().to_owned(),
            })?;
        let mut terms_out = Vec::with_capacity(types.len());
        for (ti, ty) in types.into_iter().enumerate() {
            let terms = Terms::of(program, ty)
                .ok_or_else(|| SizingError::NotASubsidy(program.id.clone()))?;
            let eligible = !evaluate_rules(project, program, ty, &costs)
                .iter()
                .any(|o| o.decides() && o.status == Status::Fail);
            let sizing = program.sizing_for(ty);
            let net: Vec<Yen> = sizing
                .eligible_expenses
                .as_ref()
                .map(|e| costs.eligible(e).into_iter().map(|(_, n)| n).collect())
                .unwrap_or_else(|| vec![Yen::ZERO; n_years]);
            let allowed = costs
                .years
                .iter()
                .zip(&net)
                .map(|(year, n)| {
                    eligible
                        && terms.last_year.is_none_or(|last| *year <= last)
                        && terms.min_project_cost.is_none_or(|min| *n >= min)
                })
                .collect();
            terms_out.push(TypeTerms {
                id: ty.map_or_else(
                    || program.id.clone(),
                    |t| format!("{}:{}", program.id, t.id),
                ),
                rate: terms.rate,
                cap_per_year: terms.cap_per_year,
                cap_total: terms.cap_total,
                max_consecutive_years: terms.max_consecutive_years,
                allowed,
                co_funding: terms.co_funding,
                rounding_unit: terms.rounding_unit.get().max(1),
            });
            chosen.push((pi, ti, program, ty));
        }
        programs.push(ProgramTerms {
            id: program.id.clone(),
            types: terms_out,
            budget: program.budget.as_ref().map(|b| b.amount),
        });
    }

    let mut pools: BTreeMap<PoolKey, Yen> = BTreeMap::new();
    for line in &costs.lines {
        let covering: Vec<(usize, usize, bool)> = chosen
            .iter()
            .filter_map(|(pi, ti, program, ty)| {
                let e = program.sizing_for(*ty).eligible_expenses?;
                e.covers(line.kind, line.category)
                    .then(|| (*pi, *ti, costs.excludes_tax(&e)))
            })
            .collect();
        if covering.is_empty() {
            continue;
        }
        let all: Vec<(usize, usize)> = covering.iter().map(|(p, t, _)| (*p, *t)).collect();
        let with_tax: Vec<(usize, usize)> = covering
            .iter()
            .filter(|c| !c.2)
            .map(|(p, t, _)| (*p, *t))
            .collect();
        for (year, amount) in line.amounts.iter().enumerate() {
            if *amount <= Yen::ZERO {
                continue;
            }
            let net = if costs.tax_included {
                excluding_consumption_tax(*amount)
            } else {
                *amount
            };
            let tax = *amount - net;
            *pools
                .entry((year, all.clone(), line.municipal))
                .or_insert(Yen::ZERO) += net;
            if tax > Yen::ZERO && !with_tax.is_empty() {
                *pools
                    .entry((year, with_tax.clone(), line.municipal))
                    .or_insert(Yen::ZERO) += tax;
            }
        }
    }
    let pools = pools
        .into_iter()
        .map(|((year, eligible, municipal), amount)| ExpensePool {
            year,
            amount,
            municipal,
            eligible,
        })
        .collect();

    Ok(StackProblem {
        years: costs.years.clone(),
        project_cost: costs.total.clone(),
        own_burden: costs.own_burden.clone(),
        pools,
        programs,
        minimise,
    })
}
