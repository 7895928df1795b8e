//! Integer-yen arithmetic the greedy peer, the model and the repair share:
//! rate products, the least expense an amount needs, rounding down, the
//! co-funding bound of a year, and which pools each (program, type, year)
//! may draw on.

use std::collections::BTreeMap;

use machi_domain::Rate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::StackProblem;

/// ⌊rate × expense⌋ in yen (exact decimal product), saturating.
pub(super) fn rate_cap(rate: Rate, expense: i64) -> i64 {
    rate.get()
        .checked_mul(Decimal::from(expense))
        .and_then(|d| d.floor().to_i64())
        .unwrap_or(i64::MAX)
}

/// The least whole-yen expense `e` with `rate × e ≥ amount`; `None` when the
/// rate is zero or the numbers overflow.
pub(super) fn expense_for(rate: Rate, amount: i64) -> Option<i64> {
    if amount <= 0 {
        return Some(0);
    }
    if rate.get() <= Decimal::ZERO {
        return None;
    }
    // Decimal division is rounded in the 28th digit: step to the exact least
    // value with the same product the checker uses.
    let mut e = Decimal::from(amount)
        .checked_div(rate.get())?
        .ceil()
        .to_i64()?;
    for _ in 0..8 {
        if e > 0 && rate_cap(rate, e - 1) >= amount {
            e -= 1;
        } else if rate_cap(rate, e) < amount {
            e = e.checked_add(1)?;
        } else {
            return Some(e);
        }
    }
    None
}

/// Rounds a non-negative amount down to a multiple of `unit`.
pub(super) fn round_down(amount: i64, unit: i64) -> i64 {
    if amount <= 0 {
        0
    } else {
        amount - amount % unit.max(1)
    }
}

/// The largest co-funded subsidy a year allows on its own: below the own
/// burden, or, without one, `S < cost − S` (the subsidy itself is among the
/// subsidies the cost is reduced by).
pub(super) fn co_funding_bound(problem: &StackProblem, year: usize) -> i64 {
    match &problem.own_burden {
        Some(burden) => burden.get(year).map_or(0, |b| b.get() - 1),
        None => problem
            .project_cost
            .get(year)
            .map_or(0, |c| (c.get() - 1).div_euclid(2)),
    }
}

/// The eligible pools of each (program, type, year), deduplicated, in pool
/// order. Only valid indices appear.
pub(super) fn pools_by_cell(problem: &StackProblem) -> BTreeMap<(usize, usize, usize), Vec<usize>> {
    let mut map: BTreeMap<(usize, usize, usize), Vec<usize>> = BTreeMap::new();
    for (k, pool) in problem.pools.iter().enumerate() {
        if pool.year >= problem.years.len() {
            continue;
        }
        for &(p, kind) in &pool.eligible {
            if problem
                .programs
                .get(p)
                .is_none_or(|prog| kind >= prog.types.len())
            {
                continue;
            }
            let list = map.entry((p, kind, pool.year)).or_default();
            if !list.contains(&k) {
                list.push(k);
            }
        }
    }
    map
}

pub(super) fn fiscal(problem: &StackProblem, year: usize) -> i64 {
    i64::from(problem.years[year].year())
}
