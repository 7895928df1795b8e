//! Awards under construction, in integer yen, and how they become a
//! [`StackPlan`] with its totals.

use std::collections::BTreeMap;

use machi_domain::Yen;

#[cfg(doc)]
use super::violations;
use super::{Award, StackPlan, StackProblem};

/// An award under construction.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub(super) program: usize,
    pub(super) kind: usize,
    pub(super) year: usize,
    pub(super) amount: i64,
    pub(super) expenses: Vec<(usize, i64)>,
}

/// Turns drafts into a plan: drops zero awards and zero expenses, sorts,
/// and computes the totals as [`violations`] defines them.
pub(super) fn finish(problem: &StackProblem, drafts: Vec<Draft>) -> StackPlan {
    let mut awards: Vec<Award> = drafts
        .into_iter()
        .filter(|d| d.amount > 0)
        .map(|d| {
            let mut merged: BTreeMap<usize, i64> = BTreeMap::new();
            for (k, e) in d.expenses {
                *merged.entry(k).or_default() += e;
            }
            Award {
                program: d.program,
                kind: d.kind,
                year: d.year,
                amount: Yen(d.amount),
                expenses: merged
                    .into_iter()
                    .filter(|&(_, e)| e > 0)
                    .map(|(k, e)| (k, Yen(e)))
                    .collect(),
            }
        })
        .collect();
    awards.sort_by_key(|a| (a.program, a.kind, a.year));
    let total = awards.iter().map(|a| a.amount).sum();
    let municipal_total = Yen(awards
        .iter()
        .map(|a| {
            let all: i128 = a.expenses.iter().map(|&(_, e)| i128::from(e.get())).sum();
            let municipal: i128 = a
                .expenses
                .iter()
                .filter(|&&(k, _)| problem.pools[k].municipal)
                .map(|&(_, e)| i128::from(e.get()))
                .sum();
            if all > 0 {
                i128::from(a.amount.get()) * municipal / all
            } else {
                0
            }
        })
        .sum::<i128>()
        .try_into()
        .unwrap_or(i64::MAX));
    StackPlan {
        awards,
        total,
        municipal_total,
        bound: None,
    }
}
