//! The optimiser's entry points, [`optimise`] and [`optimise_within`]: the
//! model solved in attempts at several scales within the time limit, each
//! answer repaired, the best plan kept, its bound checked and the plan
//! checked with [`violations`].

use std::time::{Duration, Instant};

use machi_domain::Yen;

use super::arith::pools_by_cell;
use super::check::{Violation, violations};
use super::draft::finish;
#[cfg(doc)]
use super::greedy;
use super::greedy_plan::greedy_drafts;
use super::model::{cells, solve};
use super::repair::repair;
use super::{DEFAULT_TIME_LIMIT, Minimise, StackError, StackPlan, StackProblem};

/// How the model is solved, in the order tried: yen per unit of money inside
/// the model (thousands keep coefficients near 1), and whether the objective
/// is perturbed. microlp's factorisation occasionally finds a basis
/// numerically singular, or its search prunes a branch it should not have
/// (seen on random problems roughly once in 10,000 and once in 100,000);
/// the same model then goes to the next attempt. Money at another scale
/// changes the pivots; the perturbation (each objective coefficient raised
/// by less than 10⁻⁶ of itself, in a fixed pattern) breaks the ties of
/// degenerate problems, and raising coefficients keeps the solver's bound
/// valid for the true objective.
const ATTEMPTS: [(f64, bool); 5] = [
    (1_000.0, false),
    (10_000.0, false),
    (100.0, false),
    (1_000.0, true),
    (10_000.0, true),
];

/// The best plan under every rule, with the default time limit
/// ([`DEFAULT_TIME_LIMIT`]). See [`optimise_within`].
pub fn optimise(problem: &StackProblem) -> Result<StackPlan, StackError> {
    optimise_within(problem, DEFAULT_TIME_LIMIT)
}

/// The best plan under every rule: the mixed-integer programme of the module
/// documentation, solved with `good_lp` and `microlp`, seeded with
/// [`greedy`], read back in integer yen and checked with [`violations`].
///
/// The plan's [`StackPlan::bound`] is the solver's proof: no plan reaches
/// more than it for the objective ([`Minimise::Consortium`]: `total`;
/// [`Minimise::Municipality`]: `municipal_total`). When the search completes
/// within `time_limit`, the plan is optimal up to the rounding of amounts to
/// their units (see "Rounding" in the module documentation); when the time
/// limit stops it, the plan is the best found and the bound shows how far
/// from optimal it may be. The plan is never worse than [`greedy`]'s.
///
/// microlp is not infallible. On a numerical failure the same model is
/// solved again with money at another scale, then with its objective
/// perturbed to break ties. If a plan in hand beats the bound the solver
/// claims, its search pruned wrongly; the next attempt is tried too, and if
/// none gives a consistent bound the best plan found is returned with
/// `bound: None`.
///
/// Errors: [`StackError::InvalidProblem`] from [`StackProblem::validate`];
/// [`StackError::TimeLimit`] when the limit passes before any plan is found;
/// [`StackError::Infeasible`] or [`StackError::SolverFailed`] on a solver
/// failure; [`StackError::RepairFailed`] should the answer break a rule.
pub fn optimise_within(
    problem: &StackProblem,
    time_limit: Duration,
) -> Result<StackPlan, StackError> {
    problem.validate()?;
    let cell_pools = pools_by_cell(problem);
    let cells = cells(problem, &cell_pools);
    if cells.is_empty() {
        let mut plan = finish(problem, Vec::new());
        plan.bound = Some(Yen::ZERO);
        return Ok(plan);
    }
    let seed = greedy_drafts(problem, &cell_pools);
    // The solver's plan is at least the greedy one before rounding; rounding
    // can cost it a few yen (see "Rounding"), so the greedy plan stands in
    // when it is better.
    let mut best = finish(problem, seed.clone());
    let value = |p: &StackPlan| match problem.minimise {
        Minimise::Consortium => (p.total, p.municipal_total),
        Minimise::Municipality => (p.municipal_total, p.total),
    };
    let start = Instant::now();
    let mut solved_once = false;
    let mut failure = None;
    for &(scale, perturb) in &ATTEMPTS {
        let left = time_limit.saturating_sub(start.elapsed());
        if solved_once && left.is_zero() {
            break;
        }
        let solved = match solve(problem, &cells, &seed, left, scale, perturb) {
            Ok(solved) => solved,
            // Numerical trouble (the empty plan is feasible, so a verdict of
            // infeasible is one too): try the next attempt.
            Err(e @ (StackError::SolverFailed(_) | StackError::Infeasible)) => {
                failure = Some(e);
                continue;
            }
            Err(_) if solved_once => break,
            Err(e) => return Err(e),
        };
        solved_once = true;
        let mut amounts = solved.amounts;
        let plan = finish(
            problem,
            repair(
                problem,
                &cells,
                &mut amounts,
                &solved.preferred,
                solved.bound,
            ),
        );
        if value(&plan) > value(&best) {
            best = plan;
        }
        if value(&best).0.get() <= solved.bound {
            best.bound = Some(Yen(solved.bound));
            return checked(problem, best);
        }
        // A plan in hand beats the bound the solver claims to have proven:
        // microlp pruned a node it should not have. Try the next attempt.
    }
    if solved_once {
        // No consistent bound: the best plan found, without a bound.
        checked(problem, best)
    } else {
        Err(failure.unwrap_or(StackError::SolverFailed("no attempt left".into())))
    }
}

/// `Ok(plan)` if [`violations`] finds nothing.
fn checked(problem: &StackProblem, plan: StackPlan) -> Result<StackPlan, StackError> {
    let broken = violations(problem, &plan);
    if broken.is_empty() {
        Ok(plan)
    } else {
        let mut codes: Vec<&'static str> = broken.iter().map(Violation::code).collect();
        codes.sort_unstable();
        codes.dedup();
        Err(StackError::RepairFailed(codes))
    }
}
