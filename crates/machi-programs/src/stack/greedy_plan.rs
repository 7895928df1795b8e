//! The greedy peer: the plan a person would draw up by hand, which also
//! seeds the optimiser's search.

use std::collections::BTreeMap;

use machi_domain::Yen;
use rust_decimal::Decimal;

use super::arith::{co_funding_bound, expense_for, fiscal, pools_by_cell, rate_cap, round_down};
use super::draft::{Draft, finish};
#[cfg(doc)]
use super::violations;
use super::{Minimise, StackPlan, StackProblem, TypeTerms};

/// The plan a person would draw up by hand, and the optimiser's first
/// incumbent.
///
/// Programs are taken in order of their cap per year, largest first (no cap
/// counts as the largest; ties in index order). Each program applies with
/// the type of largest cap per year (then highest rate). It starts in its
/// first allowed year in which it can pay something and continues through
/// the allowed years of its consecutive-years window, taking in each year
/// the most that the still unfunded eligible expenses, the rate, the caps,
/// the budget, co-funding and rounding allow. Expenses are taken in pool
/// order (municipal pools first when minimising the municipality's cost).
///
/// The plan keeps every rule ([`violations`] is empty). An invalid problem
/// ([`StackProblem::validate`]) gives an empty plan.
pub fn greedy(problem: &StackProblem) -> StackPlan {
    if problem.validate().is_err() {
        return finish(problem, Vec::new());
    }
    finish(problem, greedy_drafts(problem, &pools_by_cell(problem)))
}

pub(super) fn greedy_drafts(
    problem: &StackProblem,
    cell_pools: &BTreeMap<(usize, usize, usize), Vec<usize>>,
) -> Vec<Draft> {
    let n_years = problem.years.len();
    let mut remaining: Vec<i64> = problem
        .pools
        .iter()
        .map(|p| p.amount.get().max(0))
        .collect();
    let mut year_total = vec![0_i64; n_years];
    let mut year_co_funded_max = vec![0_i64; n_years];
    let mut drafts = Vec::new();

    let cap_key = |t: &TypeTerms| t.cap_per_year.map_or(i64::MAX, Yen::get);
    let choice: Vec<Option<usize>> = problem
        .programs
        .iter()
        .map(|program| {
            let mut best: Option<usize> = None;
            for (kind, terms) in program.types.iter().enumerate() {
                if terms.rate.get() <= Decimal::ZERO {
                    continue;
                }
                let better = best.is_none_or(|b| {
                    let old = &program.types[b];
                    (cap_key(terms), terms.rate) > (cap_key(old), old.rate)
                });
                if better {
                    best = Some(kind);
                }
            }
            best
        })
        .collect();
    let mut order: Vec<(usize, usize)> = choice
        .iter()
        .enumerate()
        .filter_map(|(p, kind)| kind.map(|kind| (p, kind)))
        .collect();
    order.sort_by_key(|&(p, kind)| {
        (
            std::cmp::Reverse(cap_key(&problem.programs[p].types[kind])),
            p,
        )
    });

    for (p, kind) in order {
        let program = &problem.programs[p];
        let terms = &program.types[kind];
        let unit = terms.rounding_unit.max(1);
        let mut used = 0_i64;
        let mut first: Option<i64> = None;
        for t in 0..n_years {
            if !terms.allowed.get(t).copied().unwrap_or(false) {
                continue;
            }
            if let (Some(first), Some(n)) = (first, terms.max_consecutive_years)
                && fiscal(problem, t) - first >= i64::from(n)
            {
                break;
            }
            let Some(pools) = cell_pools.get(&(p, kind, t)) else {
                continue;
            };
            let mut pools = pools.clone();
            if problem.minimise == Minimise::Municipality {
                pools.sort_by_key(|&k| !problem.pools[k].municipal);
            }
            let expense: i64 = pools.iter().map(|&k| remaining[k]).sum();
            let mut bound = rate_cap(terms.rate, expense);
            if let Some(cap) = terms.cap_per_year {
                bound = bound.min(cap.get());
            }
            if let Some(cap) = terms.cap_total {
                bound = bound.min(cap.get() - used);
            }
            if let Some(budget) = program.budget {
                bound = bound.min(budget.get() - used);
            }
            if problem.own_burden.is_some() {
                if terms.co_funding {
                    bound = bound.min(co_funding_bound(problem, t));
                }
            } else {
                let cost = problem.project_cost[t].get();
                if terms.co_funding {
                    bound = bound.min((cost - 1 - year_total[t]).div_euclid(2));
                }
                if year_co_funded_max[t] > 0 {
                    // Earlier co-funded awards of the year must stay below the
                    // burden this award lowers.
                    bound = bound.min(cost - 1 - year_total[t] - year_co_funded_max[t]);
                }
            }
            let amount = round_down(bound, unit);
            if amount <= 0 {
                continue;
            }
            let Some(mut need) = expense_for(terms.rate, amount) else {
                continue;
            };
            let mut expenses = Vec::new();
            for &k in &pools {
                let take = need.min(remaining[k]);
                if take > 0 {
                    need -= take;
                    expenses.push((k, take));
                }
            }
            if need > 0 {
                // Cannot happen: rate × expense ≥ amount, so the least
                // expense is within the pools; skip rather than break a rule.
                continue;
            }
            for &(k, e) in &expenses {
                remaining[k] -= e;
            }
            first.get_or_insert(fiscal(problem, t));
            used += amount;
            year_total[t] += amount;
            if terms.co_funding {
                year_co_funded_max[t] = year_co_funded_max[t].max(amount);
            }
            drafts.push(Draft {
                program: p,
                kind,
                year: t,
                amount,
                expenses,
            });
        }
    }
    drafts
}
