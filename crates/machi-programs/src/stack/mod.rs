//! The funding stack: which subsidy programs to apply for, in which fiscal
//! years and for how much, to minimise one party's net cost under every rule.
//!
//! The problem is stated in plain numbers ([`StackProblem`]), built from a
//! project and its candidate programs elsewhere in this crate, so that the
//! optimiser knows nothing about program files or projects.
//!
//! # The model
//! - Expenses come in *pools*: line items grouped by fiscal year, by the set
//!   of program types that may fund them, and by whether a local government
//!   holds them. A yen of expense is funded by at most one program
//!   (重複受給の禁止: the same expense may not receive two subsidies).
//! - Each program offers one or more *types* (e.g. MLIT 通常タイプ and
//!   都市サービス実装タイプ); a project applies for at most one type of a
//!   program.
//! - A type pays `rate × the expenses assigned to it`, at most `cap_per_year`
//!   a year, at most `cap_total` in all, only in allowed years, for at most
//!   `max_consecutive_years` consecutive years, rounded down to
//!   `rounding_unit` yen; with `co_funding`, the subsidy must stay below the
//!   consortium's own burden (MLIT: コンソーシアム負担額が国の補助額を上回ること).
//!
//! Sources of the rules as numbers: MLIT スマートシティ実装化支援事業 R6
//! (seed 002, 補助要件): the consortium's burden must exceed the national
//! subsidy, hence [`TypeTerms::co_funding`]; the Tokyo-type terms used in the
//! tests (at most ¥20,000,000 a year, at most 1/2 of the expenses, at most 3
//! consecutive fiscal years) come from seed 001; rounding down to ¥1,000
//! (千円未満切捨て) is general Japanese subsidy practice (REFERENCE.md).
//!
//! # Precise rules
//! A plan is a list of [`Award`]s. [`violations`] checks, in integer yen:
//! - every award is positive, a multiple of its type's `rounding_unit`, in an
//!   allowed year, and at most one award per (program, type, year);
//! - its expenses come from pools of the same year that list its type, and
//!   the award is at most `rate × Σ expenses` (exact decimal product);
//! - over all awards, no pool gives more expense than it holds;
//! - per type: the sum a year ≤ `cap_per_year`, the sum of all years ≤
//!   `cap_total`, and all funded fiscal years lie within one run of
//!   `max_consecutive_years` consecutive fiscal years (first to last funded
//!   year, counted on [`StackProblem::years`]);
//! - per program: at most one type has awards, the sum ≤ `budget`;
//! - co-funding, per award `S` of a co-funded type in year `t`: with
//!   `own_burden`, `S < own_burden[t]`; without it, `S < project_cost[t] −
//!   Σ (every award of year t)`: the consortium's burden, cost less all
//!   subsidies, exceeds the subsidy;
//! - `total` is the sum of amounts and `municipal_total` is Σ over awards of
//!   ⌊amount × municipal expenses ∕ all its expenses⌋.
//!
//! # The optimisation model ([`optimise`])
//! A mixed-integer linear programme solved by `good_lp` with the pure-Rust
//! `microlp` branch and bound. Money is in thousands of yen inside the
//! model, to keep coefficients near 1 (other scales on a retry, below). A
//! *cell* `c` is a (program, type,
//! year) that can pay: the year is allowed and an eligible pool holds
//! expense. Its bound `M_c` is the least of rate × its pools, the per-year
//! cap, the total cap, the budget and the co-funding bound (below), rounded
//! down to the unit; cells with `M_c = 0` are left out.
//!
//! Continuous variables:
//! - `S_c ∈ [0, M_c]`, the subsidy (rounded to the unit afterwards, see
//!   "Rounding");
//! - `s_ck ≥ 0` for each eligible pool `k` of a cell with several pools, the
//!   subsidy attributed to that pool, with `Σ_k s_ck = S_c`; it uses
//!   `s_ck ∕ rate` of the pool's expense (the least that justifies it, so no
//!   separate expense variable is needed). A one-pool cell uses `S_c`.
//!
//! Binary variables, only where a rule needs them:
//! - `z_w` for each *window* of a type whose consecutive-years limit `N`
//!   binds (its payable years span more than `N` fiscal years): the funded
//!   run lies in the `N` fiscal years starting at a payable year of the type.
//!   A window whose cells another window contains is dropped (amounts may be
//!   0, so the larger window is never worse). `S_c ≤ M_c × Σ_{w ∋ c} z_w`.
//!   This stands for the textbook's "pays in year t" `y` and "run starts in
//!   year t" `z` together: at most one window is chosen, so the sum is 0 or 1.
//! - `u_τ` for a type of a program with several payable types and no binding
//!   consecutive limit: `S_c ≤ M_c × u_τ`.
//! - with either gate `G_c` (the window sum or `u`), per pool of a cell with
//!   several pools: `s_ck ≤ rate × amount_k × G_c` where that is below
//!   `M_c`. Whole plans keep it anyway; it tightens the relaxation, which
//!   could otherwise spread a type thinly over many years of a scarce pool.
//! - per program, `Σ z + Σ u ≤ 1`: one type, one run (when there is
//!   anything to choose).
//! - `w_c` for a co-funded cell without own burden in a year whose other
//!   cells could reach the project cost (rare): the rule applies only when
//!   the cell pays.
//!
//! Constraints:
//! - pools (重複受給の禁止): `Σ_c s_ck ∕ rate_c ≤ amount_k`, for pools with
//!   more than one user (a lone user's bound covers it);
//! - `Σ_t S_c ≤ cap_total` per type and `Σ S_c ≤ budget` per program, when
//!   the cells' bounds do not already imply them;
//! - co-funding with own burden `B_t`: folded into `M_c ≤ B_t − 1`;
//! - co-funding without own burden: `S_c + Σ_{cells of year t} S ≤ cost_t −
//!   1` (the amounts are whole yen, so `<` is `≤ … − 1`); when `S_c = 0` the
//!   rule does not apply, which is automatic unless the other cells could
//!   reach the cost: then `S_c ≤ M_c w_c` and the right-hand side gains
//!   `Σ M (1 − w_c)`.
//!
//! Objective: [`Minimise::Consortium`] maximises `Σ S`;
//! [`Minimise::Municipality`] maximises `Σ s_ck` over municipal pools plus
//! [`TIE_BREAK`] × the rest. Either is solved to optimality (a relative gap
//! of 10⁻⁹, floating-point noise): with continuous amounts, an incumbent a
//! fraction of a unit short can round down a whole unit lower or sit in
//! another window. The greedy plan seeds the search as its first incumbent.
//!
//! # Rounding
//! The textbook model makes `S_c = unit × n_c` with `n_c` integer. It is
//! exact, but microlp cannot prove its optimum at a useful size: with this
//! model otherwise unchanged, 4 programs × 5 years ran into a 5 s limit, and
//! 10 programs × 20 years stopped there ¥15M short of what the continuous
//! model proves optimal in 44 ms. Each year's rounding is a small puzzle of
//! its own and one branch-and-bound tree multiplies them (the measurements
//! are in `docs/PERFORMANCE.md`). So `S_c` is continuous, and the answer is
//! made whole afterwards:
//! 1. Each amount is rounded down to its unit, and gates below ½ switch
//!    their cells off. Every rule bounds a sum of amounts with non-negative
//!    coefficients from above, so lowering an amount keeps it. Repair then
//!    mends what floating-point tolerance could have bent, again only by
//!    lowering amounts: one type per program (the largest), the best
//!    window, total caps and budgets (latest years first), co-funding.
//! 2. Whole-yen expenses, year by year: the solver's split rounded down,
//!    then augmenting paths (a maximum flow from awards to pools, integral
//!    by the integrality of flows). An award still short of expense, which
//!    happens only when its least whole-yen expense exceeds `S ∕ rate`
//!    (¥1,000 at 3/4 needs ¥1,334, not ¥1,333.3; `1/3` is held as
//!    0.333…3), falls to what its expense justifies.
//! 3. Top-up: each amount is raised as far as the rules and the unassigned
//!    expense (reached through augmenting paths) allow, winning back what
//!    rounding down left. Then, for [`Minimise::Consortium`] and while the
//!    total is below the bound, trades: one award is lowered (a unit, or to
//!    zero) and the others of its year and program raised, kept if the
//!    total grows (two awards splitting a pool each a fraction of a unit
//!    short, where one alone uses it in whole units).
//! 4. The greedy plan replaces the result if it is better (the solver's
//!    answer is at least as good before rounding; rounding can cost it a
//!    few yen).
//! 5. [`violations`] checks the plan: one that breaks a rule is never
//!    returned ([`StackError::RepairFailed`]).
//!
//! Rounding down costs less than one unit per cell, and the whole-yen
//! expenses rarely one more; the top-up usually wins it back. The solver's
//! bound holds for every plan, rounded or not, and is reported as
//! [`StackPlan::bound`]: the distance to the plan's value is the most the
//! plan can miss. The tests check that distance on random problems and the
//! exact optimum against a brute-force search on tiny ones.
//!
//! The search stops at a time limit ([`DEFAULT_TIME_LIMIT`],
//! [`optimise_within`]) with the best plan found and its bound. microlp
//! sometimes fails numerically or prunes wrongly; [`optimise_within`]
//! solves the model again, at another scale or slightly perturbed, when it
//! fails or when a plan in hand beats the bound it claims.
//!
//! # Where the code lives
//! This file holds the problem, plan, award and error types and the
//! problem's validation; `arith` the integer-yen arithmetic the parts share;
//! `draft` awards under construction and their assembly into a plan;
//! `greedy_plan` the greedy peer ([`greedy`]); `model` the cells and the
//! mixed-integer model with one solve; `solve` the entry points
//! ([`optimise`], [`optimise_within`]) and their attempts; `repair` the
//! rounding, repair, top-up and exchange of the solver's answer; `check` the
//! independent rule checker ([`violations`], [`Violation`]).

mod arith;
mod check;
mod draft;
mod greedy_plan;
mod model;
mod repair;
mod solve;

use std::time::Duration;

use machi_domain::Rate;
use machi_domain::{FiscalYear, Yen};
use rust_decimal::Decimal;
use serde::Serialize;

pub use check::{Violation, violations};
pub use greedy_plan::greedy;
pub use solve::{optimise, optimise_within};

/// Whose net cost the optimiser minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Minimise {
    /// The consortium's: every subsidy yen counts.
    #[default]
    Consortium,
    /// The municipality's: subsidy on expenses held by a local government
    /// counts first; other subsidies only break ties.
    Municipality,
}

/// A group of expenses with the same funding options in one fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpensePool {
    /// Index into [`StackProblem::years`].
    pub year: usize,
    /// Eligible expense in yen (after any consumption-tax exclusion).
    pub amount: Yen,
    /// Whether a local government holds these expenses.
    pub municipal: bool,
    /// The program types that may fund it, as (program, type) indices.
    pub eligible: Vec<(usize, usize)>,
}

/// The terms of one type of one program, as numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeTerms {
    /// Display id, e.g. `mlit-smart-city-r6:normal`.
    pub id: String,
    /// Share of assigned expenses paid (1 for 定額補助 up to the cap).
    pub rate: Rate,
    /// Largest subsidy in one fiscal year.
    pub cap_per_year: Option<Yen>,
    /// Largest subsidy over all years.
    pub cap_total: Option<Yen>,
    /// Longest run of consecutive funded fiscal years.
    pub max_consecutive_years: Option<u32>,
    /// Per fiscal year: whether the type may pay at all (deadline, minimum
    /// project cost, application window already applied).
    pub allowed: Vec<bool>,
    /// Whether the subsidy must stay strictly below the consortium's burden.
    pub co_funding: bool,
    /// Subsidies are multiples of this many yen (1,000 for 千円未満切捨て).
    pub rounding_unit: i64,
}

/// A program: alternative types, and its total budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramTerms {
    /// Program id.
    pub id: String,
    /// Its types; at most one is chosen.
    pub types: Vec<TypeTerms>,
    /// The program's total budget, an upper bound on what one project gets.
    pub budget: Option<Yen>,
}

/// Everything the optimiser needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackProblem {
    /// The fiscal years of the horizon.
    pub years: Vec<FiscalYear>,
    /// The project's total cost (capex + opex) per year.
    pub project_cost: Vec<Yen>,
    /// The consortium's own burden per year, when the project states it;
    /// otherwise co-funding compares with project cost less all subsidies.
    pub own_burden: Option<Vec<Yen>>,
    /// Expense pools.
    pub pools: Vec<ExpensePool>,
    /// Candidate programs.
    pub programs: Vec<ProgramTerms>,
    /// Whose cost to minimise.
    pub minimise: Minimise,
}

/// One subsidy in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Award {
    /// Program index.
    pub program: usize,
    /// Type index within the program.
    pub kind: usize,
    /// Year index.
    pub year: usize,
    /// Amount (a multiple of the type's rounding unit).
    pub amount: Yen,
    /// How much of each pool it funds: (pool index, expense assigned). The
    /// subsidy is at most `rate ×` the sum of these.
    pub expenses: Vec<(usize, Yen)>,
}

/// A funding plan: the awards, and their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackPlan {
    /// Every non-zero award.
    pub awards: Vec<Award>,
    /// Sum of awards.
    pub total: Yen,
    /// Sum of awards attributed to municipal pools (pro rata to expenses).
    pub municipal_total: Yen,
    /// From [`optimise`]: a proven upper bound on what any plan reaches for
    /// the objective (`total` for [`Minimise::Consortium`],
    /// `municipal_total` for [`Minimise::Municipality`]); the distance to
    /// this plan's value shows how close to optimal it is. `None` from
    /// [`greedy`], and from [`optimise`] in the rare case where every
    /// solver run claimed a bound that a plan in hand beats (see
    /// [`optimise_within`]).
    pub bound: Option<Yen>,
}

/// Weight of subsidy on non-municipal pools in the
/// [`Minimise::Municipality`] objective (municipal pools weigh 1): small
/// enough that the municipality's share decides, large enough to be seen
/// above the solver's tolerances.
pub const TIE_BREAK: f64 = 1e-4;

/// Wall-clock budget of [`optimise`]. The search stops there with the best
/// plan found and its proven [`StackPlan::bound`]; [`optimise_within`] takes
/// another budget.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(2);

/// Why [`optimise`] returned no plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// The problem is malformed: a length, an index or a term out of range.
    #[error("invalid funding-stack problem: {field} {reason}")]
    InvalidProblem {
        /// The offending field, e.g. `programs[2].types[0].rate`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The solver declared the model infeasible on every attempt. The plan
    /// without awards keeps every rule, so this is a numerical failure.
    #[error("the solver found no feasible funding stack, though the empty plan is one")]
    Infeasible,
    /// The time limit passed before the solver found any plan (the greedy
    /// seed was refused). [`greedy`] still gives a plan.
    #[error("the solver found no plan within {seconds} s")]
    TimeLimit {
        /// The time limit in seconds.
        seconds: f64,
    },
    /// The solver failed on every attempt for another reason.
    #[error("the MIP solver failed: {0}")]
    SolverFailed(String),
    /// The solver's answer broke a rule that repair could not mend (a bug:
    /// repair only lowers amounts, which every rule allows).
    #[error("the solver's answer breaks rules after repair: {}", .0.join(", "))]
    RepairFailed(Vec<&'static str>),
}

impl StackError {
    /// Every code [`StackError::code`] can return.
    pub const CODES: [&'static str; 5] = [
        "invalid-problem",
        "infeasible",
        "time-limit",
        "solver-failed",
        "repair-failed",
    ];

    /// Stable kebab-case code (`infeasible`, `solver-failed`, …).
    pub fn code(&self) -> &'static str {
        match self {
            StackError::InvalidProblem { .. } => "invalid-problem",
            StackError::Infeasible => "infeasible",
            StackError::TimeLimit { .. } => "time-limit",
            StackError::SolverFailed(_) => "solver-failed",
            StackError::RepairFailed(_) => "repair-failed",
        }
    }

    /// The named arguments of the message, for translated texts.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            StackError::InvalidProblem { field, reason } => {
                vec![("field", field.clone()), ("reason", (*reason).to_owned())]
            }
            StackError::TimeLimit { seconds } => vec![("seconds", seconds.to_string())],
            StackError::SolverFailed(message) => vec![("message", message.clone())],
            StackError::RepairFailed(codes) => vec![("codes", codes.join(", "))],
            StackError::Infeasible => Vec::new(),
        }
    }
}

impl StackProblem {
    /// Checks lengths, indices and terms. [`optimise`] refuses a problem that
    /// fails; [`greedy`] returns an empty plan for it.
    ///
    /// Rules: `project_cost` and `own_burden` have one entry per year and
    /// years strictly increase; pools name existing years and program types
    /// and hold a non-negative amount; a rate lies in 0..=1, caps and budgets
    /// are non-negative, a consecutive-years limit is at least 1, `allowed`
    /// has one entry per year, the rounding unit is at least 1 yen; every
    /// amount lies within [`Yen::MAX_INPUT`].
    pub fn validate(&self) -> Result<(), StackError> {
        let invalid =
            |field: String, reason: &'static str| Err(StackError::InvalidProblem { field, reason });
        let in_range = |y: Yen| y.is_valid_input();
        let n = self.years.len();
        if self.years.windows(2).any(|w| w[0] >= w[1]) {
            return invalid("years".into(), "must strictly increase");
        }
        if self.project_cost.len() != n {
            return invalid("project_cost".into(), "must have one entry per year");
        }
        if let Some(i) = self.project_cost.iter().position(|&y| !in_range(y)) {
            return invalid(format!("project_cost[{i}]"), "is out of range");
        }
        if let Some(burden) = &self.own_burden {
            if burden.len() != n {
                return invalid("own_burden".into(), "must have one entry per year");
            }
            if let Some(i) = burden.iter().position(|&y| !in_range(y)) {
                return invalid(format!("own_burden[{i}]"), "is out of range");
            }
        }
        for (k, pool) in self.pools.iter().enumerate() {
            if pool.year >= n {
                return invalid(format!("pools[{k}].year"), "names no year of the problem");
            }
            if pool.amount.get() < 0 || !in_range(pool.amount) {
                return invalid(
                    format!("pools[{k}].amount"),
                    "must be a non-negative amount in range",
                );
            }
            for &(p, kind) in &pool.eligible {
                if self
                    .programs
                    .get(p)
                    .is_none_or(|prog| kind >= prog.types.len())
                {
                    return invalid(
                        format!("pools[{k}].eligible"),
                        "names a program type that does not exist",
                    );
                }
            }
        }
        for (p, program) in self.programs.iter().enumerate() {
            if program.budget.is_some_and(|b| b.get() < 0 || !in_range(b)) {
                return invalid(
                    format!("programs[{p}].budget"),
                    "must be a non-negative amount in range",
                );
            }
            for (kind, terms) in program.types.iter().enumerate() {
                let field = |name: &str| format!("programs[{p}].types[{kind}].{name}");
                if terms.rate.get() < Decimal::ZERO || terms.rate.get() > Decimal::ONE {
                    return invalid(field("rate"), "must lie between 0 and 1");
                }
                for (name, cap) in [
                    ("cap_per_year", terms.cap_per_year),
                    ("cap_total", terms.cap_total),
                ] {
                    if cap.is_some_and(|c| c.get() < 0 || !in_range(c)) {
                        return invalid(field(name), "must be a non-negative amount in range");
                    }
                }
                if terms.max_consecutive_years == Some(0) {
                    return invalid(field("max_consecutive_years"), "must be at least 1");
                }
                if terms.allowed.len() != n {
                    return invalid(field("allowed"), "must have one entry per year");
                }
                if terms.rounding_unit < 1 || terms.rounding_unit > Yen::MAX_INPUT {
                    return invalid(field("rounding_unit"), "must be at least 1 yen");
                }
            }
        }
        Ok(())
    }
}
