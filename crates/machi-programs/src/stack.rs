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

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable,
    WithInitialSolution, WithMipGap, WithTimeLimit, microlp, variable,
};
use machi_domain::Rate;
use machi_domain::{FiscalYear, Yen};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

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

/// Yen added before rounding a solver value down, so that a value a hair
/// below a whole unit counts as that unit: ten times microlp's feasibility
/// tolerance (10⁻⁷ model units, 10⁻³ yen at the coarsest scale). Should
/// this overshoot, repair lowers the amount again.
const ROUNDING_NUDGE: f64 = 1e-2;

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

/// A rule a plan breaks, found by [`violations`]. Indices are into the
/// problem ([`StackProblem::programs`], a program's types,
/// [`StackProblem::years`], [`StackProblem::pools`]) or the plan
/// ([`StackPlan::awards`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Violation {
    /// The award names a program, type, year or pool that does not exist.
    UnknownIndex {
        /// Award index.
        award: usize,
    },
    /// The award is zero or negative (a plan lists non-zero awards only).
    NonPositiveAward {
        /// Award index.
        award: usize,
    },
    /// Two awards for the same program, type and year.
    DuplicateAward {
        /// Program index.
        program: usize,
        /// Type index.
        kind: usize,
        /// Year index.
        year: usize,
    },
    /// The amount is not a multiple of the type's rounding unit.
    Rounding {
        /// Award index.
        award: usize,
    },
    /// The type may not pay in the award's year.
    YearNotAllowed {
        /// Award index.
        award: usize,
    },
    /// A negative expense is assigned.
    NegativeExpense {
        /// Award index.
        award: usize,
        /// Pool index.
        pool: usize,
    },
    /// An expense comes from a pool of another year or one that does not
    /// list the award's type.
    IneligibleExpense {
        /// Award index.
        award: usize,
        /// Pool index.
        pool: usize,
    },
    /// The amount exceeds rate × the expenses assigned.
    RateExceeded {
        /// Award index.
        award: usize,
    },
    /// A pool gives more expense than it holds: the same expense would be
    /// funded twice (重複受給).
    DoubleFunding {
        /// Pool index.
        pool: usize,
    },
    /// More than the cap per year.
    CapPerYear {
        /// Program index.
        program: usize,
        /// Type index.
        kind: usize,
        /// Year index.
        year: usize,
    },
    /// More than the type's total cap.
    CapTotal {
        /// Program index.
        program: usize,
        /// Type index.
        kind: usize,
    },
    /// More than the program's budget.
    Budget {
        /// Program index.
        program: usize,
    },
    /// Funded years span more than the consecutive-years limit.
    ConsecutiveYears {
        /// Program index.
        program: usize,
        /// Type index.
        kind: usize,
        /// First funded year index.
        first_year: usize,
        /// Last funded year index.
        last_year: usize,
    },
    /// More than one type of a program has awards.
    MultipleTypes {
        /// Program index.
        program: usize,
        /// The types with awards.
        kinds: Vec<usize>,
    },
    /// A co-funded subsidy is not strictly below the consortium's burden.
    CoFunding {
        /// Program index.
        program: usize,
        /// Type index.
        kind: usize,
        /// Year index.
        year: usize,
    },
    /// `total` is not the sum of the awards.
    TotalMismatch,
    /// `municipal_total` is not the municipal share of the awards.
    MunicipalTotalMismatch,
}

impl Violation {
    /// Every code [`Violation::code`] can return.
    pub const CODES: [&'static str; 17] = [
        "unknown-index",
        "non-positive-award",
        "duplicate-award",
        "rounding",
        "year-not-allowed",
        "negative-expense",
        "ineligible-expense",
        "rate-exceeded",
        "double-funding",
        "cap-per-year",
        "cap-total",
        "budget",
        "consecutive-years",
        "multiple-types",
        "co-funding",
        "total-mismatch",
        "municipal-total-mismatch",
    ];

    /// Stable kebab-case code, the same as the `code` field in JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::UnknownIndex { .. } => "unknown-index",
            Violation::NonPositiveAward { .. } => "non-positive-award",
            Violation::DuplicateAward { .. } => "duplicate-award",
            Violation::Rounding { .. } => "rounding",
            Violation::YearNotAllowed { .. } => "year-not-allowed",
            Violation::NegativeExpense { .. } => "negative-expense",
            Violation::IneligibleExpense { .. } => "ineligible-expense",
            Violation::RateExceeded { .. } => "rate-exceeded",
            Violation::DoubleFunding { .. } => "double-funding",
            Violation::CapPerYear { .. } => "cap-per-year",
            Violation::CapTotal { .. } => "cap-total",
            Violation::Budget { .. } => "budget",
            Violation::ConsecutiveYears { .. } => "consecutive-years",
            Violation::MultipleTypes { .. } => "multiple-types",
            Violation::CoFunding { .. } => "co-funding",
            Violation::TotalMismatch => "total-mismatch",
            Violation::MunicipalTotalMismatch => "municipal-total-mismatch",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::UnknownIndex { award } => {
                write!(
                    f,
                    "award {award} names a program, type, year or pool that does not exist"
                )
            }
            Violation::NonPositiveAward { award } => write!(f, "award {award} is not positive"),
            Violation::DuplicateAward {
                program,
                kind,
                year,
            } => {
                write!(
                    f,
                    "program {program} type {kind} has two awards in year {year}"
                )
            }
            Violation::Rounding { award } => {
                write!(f, "award {award} is not a multiple of its rounding unit")
            }
            Violation::YearNotAllowed { award } => {
                write!(f, "award {award} falls in a year its type may not pay")
            }
            Violation::NegativeExpense { award, pool } => {
                write!(
                    f,
                    "award {award} assigns a negative expense from pool {pool}"
                )
            }
            Violation::IneligibleExpense { award, pool } => {
                write!(
                    f,
                    "award {award} uses pool {pool}, which its type may not fund"
                )
            }
            Violation::RateExceeded { award } => {
                write!(f, "award {award} exceeds rate × its expenses")
            }
            Violation::DoubleFunding { pool } => {
                write!(
                    f,
                    "pool {pool} is assigned more expense than it holds (重複受給)"
                )
            }
            Violation::CapPerYear {
                program,
                kind,
                year,
            } => {
                write!(
                    f,
                    "program {program} type {kind} exceeds its cap per year in year {year}"
                )
            }
            Violation::CapTotal { program, kind } => {
                write!(f, "program {program} type {kind} exceeds its total cap")
            }
            Violation::Budget { program } => write!(f, "program {program} exceeds its budget"),
            Violation::ConsecutiveYears {
                program,
                kind,
                first_year,
                last_year,
            } => write!(
                f,
                "program {program} type {kind} is funded from year {first_year} to {last_year}, \
                 beyond its consecutive-years limit"
            ),
            Violation::MultipleTypes { program, kinds } => {
                write!(f, "program {program} has awards of several types {kinds:?}")
            }
            Violation::CoFunding {
                program,
                kind,
                year,
            } => write!(
                f,
                "program {program} type {kind} in year {year} is not below the consortium's burden"
            ),
            Violation::TotalMismatch => f.write_str("total is not the sum of the awards"),
            Violation::MunicipalTotalMismatch => {
                f.write_str("municipal_total is not the municipal share of the awards")
            }
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

// ───────────────────────────── shared arithmetic ─────────────────────────────

/// ⌊rate × expense⌋ in yen (exact decimal product), saturating.
fn rate_cap(rate: Rate, expense: i64) -> i64 {
    rate.get()
        .checked_mul(Decimal::from(expense))
        .and_then(|d| d.floor().to_i64())
        .unwrap_or(i64::MAX)
}

/// The least whole-yen expense `e` with `rate × e ≥ amount`; `None` when the
/// rate is zero or the numbers overflow.
fn expense_for(rate: Rate, amount: i64) -> Option<i64> {
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
fn round_down(amount: i64, unit: i64) -> i64 {
    if amount <= 0 {
        0
    } else {
        amount - amount % unit.max(1)
    }
}

/// The largest co-funded subsidy a year allows on its own: below the own
/// burden, or, without one, `S < cost − S` (the subsidy itself is among the
/// subsidies the cost is reduced by).
fn co_funding_bound(problem: &StackProblem, year: usize) -> i64 {
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
fn pools_by_cell(problem: &StackProblem) -> BTreeMap<(usize, usize, usize), Vec<usize>> {
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

fn fiscal(problem: &StackProblem, year: usize) -> i64 {
    i64::from(problem.years[year].year())
}

/// An award under construction.
#[derive(Debug, Clone)]
struct Draft {
    program: usize,
    kind: usize,
    year: usize,
    amount: i64,
    expenses: Vec<(usize, i64)>,
}

/// Turns drafts into a plan: drops zero awards and zero expenses, sorts,
/// and computes the totals as [`violations`] defines them.
fn finish(problem: &StackProblem, drafts: Vec<Draft>) -> StackPlan {
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

// ─────────────────────────────────── greedy ──────────────────────────────────

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

fn greedy_drafts(
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

// ───────────────────────────────── optimiser ─────────────────────────────────

/// A (program, type, year) that can pay: the model's unit of decision.
#[derive(Debug, Clone)]
struct Cell {
    program: usize,
    kind: usize,
    year: usize,
    unit: i64,
    rate: Rate,
    co_funding: bool,
    /// Largest subsidy alone, a multiple of `unit`, > 0.
    max: i64,
    /// Eligible pools holding expense.
    pools: Vec<usize>,
}

fn cells(
    problem: &StackProblem,
    cell_pools: &BTreeMap<(usize, usize, usize), Vec<usize>>,
) -> Vec<Cell> {
    let mut cells = Vec::new();
    for (&(p, kind, year), pools) in cell_pools {
        let program = &problem.programs[p];
        let terms = &program.types[kind];
        if !terms.allowed.get(year).copied().unwrap_or(false) || terms.rate.get() <= Decimal::ZERO {
            continue;
        }
        let pools: Vec<usize> = pools
            .iter()
            .copied()
            .filter(|&k| problem.pools[k].amount.get() > 0)
            .collect();
        let expense: i64 = pools.iter().map(|&k| problem.pools[k].amount.get()).sum();
        let mut max = rate_cap(terms.rate, expense);
        for cap in [terms.cap_per_year, terms.cap_total, program.budget]
            .into_iter()
            .flatten()
        {
            max = max.min(cap.get());
        }
        if terms.co_funding {
            max = max.min(co_funding_bound(problem, year));
        }
        let unit = terms.rounding_unit.max(1);
        let max = round_down(max, unit);
        if max > 0 {
            cells.push(Cell {
                program: p,
                kind,
                year,
                unit,
                rate: terms.rate,
                co_funding: terms.co_funding,
                max,
                pools,
            });
        }
    }
    cells
}

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

/// How a type's cells are switched on.
enum Gate {
    /// Always allowed (one type, no binding consecutive limit).
    Open,
    /// `u`: the type is chosen.
    Choice(Variable),
    /// `z` per maximal window, as (index of its first cell in the type's
    /// list, one past its last cell, variable).
    Window(Vec<(usize, usize, Variable)>),
}

fn expr(terms: &[(f64, Variable)]) -> Expression {
    let mut e = Expression::with_capacity(terms.len());
    for &(c, v) in terms {
        e.add_mul(c, v);
    }
    e
}

/// The solver's answer, in yen, before repair.
struct Solved {
    /// Per cell: the amount rounded down to the unit, 0 if its gate is off.
    amounts: Vec<i64>,
    /// Per cell, per pool: the expense the solver assigned, in yen.
    preferred: Vec<Vec<f64>>,
    /// The proven bound on the objective, in yen.
    bound: i64,
}

/// The windows of `n` consecutive fiscal years a type's funded run can take:
/// one per start cell, keeping only those whose cells no other window
/// contains (a window is never worse with more cells, as amounts may be 0).
/// Returns (first cell, one past the last cell) in the type's year order.
fn maximal_windows(years: &[i64], n: i64) -> Vec<(usize, usize)> {
    let mut windows: Vec<(usize, usize)> = Vec::new();
    let mut end = 0;
    for (start, &fy) in years.iter().enumerate() {
        end = end.max(start);
        while end < years.len() && years[end] - fy < n {
            end += 1;
        }
        if windows.last().is_none_or(|&(_, last)| end > last) {
            windows.push((start, end));
        }
    }
    windows
}

/// Builds and solves the model; reads the answer back in yen.
#[expect(
    clippy::too_many_lines,
    reason = "one model, built in one place to read as the documented formulation"
)]
fn solve(
    problem: &StackProblem,
    cells: &[Cell],
    seed: &[Draft],
    time_limit: Duration,
    lp_yen: f64,
    perturb: bool,
) -> Result<Solved, StackError> {
    let mut vars = ProblemVariables::new();
    let mut constraints = Vec::new();
    let mut hints: Vec<(Variable, f64)> = Vec::new();
    let seeded: BTreeMap<(usize, usize, usize), i64> = seed
        .iter()
        .map(|d| ((d.program, d.kind, d.year), d.amount))
        .collect();
    let seed_of = |c: &Cell| {
        seeded
            .get(&(c.program, c.kind, c.year))
            .copied()
            .unwrap_or(0)
    };
    let lp = |yen: i64| yen as f64 / lp_yen;

    // S_c, in thousands of yen.
    let amount: Vec<Variable> = cells
        .iter()
        .map(|c| {
            let v = vars.add(variable().min(0.0).max(lp(c.max)));
            hints.push((v, lp(seed_of(c))));
            v
        })
        .collect();

    // Attributed subsidy per (cell, pool): a variable when the cell has
    // several pools, S_c itself otherwise; Σ_k s_ck = S_c.
    let rate_f: Vec<f64> = cells.iter().map(|c| c.rate.to_f64()).collect();
    let mut shares: Vec<Vec<Variable>> = Vec::with_capacity(cells.len());
    for (i, c) in cells.iter().enumerate() {
        if c.pools.len() == 1 {
            shares.push(vec![amount[i]]);
        } else {
            let list: Vec<Variable> = c
                .pools
                .iter()
                .map(|&k| {
                    vars.add(
                        variable()
                            .min(0.0)
                            .max(rate_f[i] * lp(problem.pools[k].amount.get())),
                    )
                })
                .collect();
            let mut link: Vec<(f64, Variable)> = list.iter().map(|&v| (1.0, v)).collect();
            link.push((-1.0, amount[i]));
            constraints.push(expr(&link).eq(0.0));
            shares.push(list);
        }
    }

    // Pools (重複受給の禁止): Σ_c s_ck ∕ rate_c ≤ amount_k; a pool with one
    // user is bounded by that user's share bound already.
    let mut users: Vec<Vec<(usize, usize)>> = vec![Vec::new(); problem.pools.len()];
    for (i, c) in cells.iter().enumerate() {
        for (j, &k) in c.pools.iter().enumerate() {
            users[k].push((i, j));
        }
    }
    for (k, list) in users.iter().enumerate() {
        if list.len() > 1 {
            let terms: Vec<(f64, Variable)> = list
                .iter()
                .map(|&(i, j)| (1.0 / rate_f[i], shares[i][j]))
                .collect();
            constraints.push(expr(&terms).leq(lp(problem.pools[k].amount.get())));
        }
    }

    // Types: gates and total caps.
    let mut by_type: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        by_type.entry((c.program, c.kind)).or_default().push(i);
    }
    let mut types_of: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for &(p, kind) in by_type.keys() {
        types_of.entry(p).or_default().push((p, kind));
    }
    let mut gates: BTreeMap<(usize, usize), Gate> = BTreeMap::new();
    for (&(p, kind), list) in &by_type {
        let terms = &problem.programs[p].types[kind];
        let years: Vec<i64> = list
            .iter()
            .map(|&i| fiscal(problem, cells[i].year))
            .collect();
        let seeded_cells: Vec<usize> = (0..list.len())
            .filter(|&j| seed_of(&cells[list[j]]) > 0)
            .collect();
        let windows = terms
            .max_consecutive_years
            .map(|n| maximal_windows(&years, i64::from(n)));
        let gate = match windows {
            Some(windows) if windows.len() > 1 => {
                // The seed's run lies in the last window starting at or
                // before its first cell (windows are maximal).
                let seed_window = seeded_cells
                    .first()
                    .map(|&first| windows.iter().rposition(|&(s, _)| s <= first));
                let z = windows
                    .iter()
                    .enumerate()
                    .map(|(w, &(start, end))| {
                        let v = vars.add(variable().binary());
                        hints.push((
                            v,
                            if seed_window == Some(Some(w)) {
                                1.0
                            } else {
                                0.0
                            },
                        ));
                        (start, end, v)
                    })
                    .collect();
                Gate::Window(z)
            }
            _ if types_of[&p].len() > 1 => {
                let u = vars.add(variable().binary());
                hints.push((u, if seeded_cells.is_empty() { 0.0 } else { 1.0 }));
                Gate::Choice(u)
            }
            _ => Gate::Open,
        };
        // S_c ≤ M_c × (Σ z over the windows containing c | u).
        for (j, &i) in list.iter().enumerate() {
            let mut terms = vec![(1.0, amount[i])];
            let m = -lp(cells[i].max);
            match &gate {
                Gate::Open => continue,
                Gate::Choice(u) => terms.push((m, *u)),
                Gate::Window(z) => {
                    terms.extend(
                        z.iter()
                            .filter(|&&(s, e, _)| (s..e).contains(&j))
                            .map(|&(_, _, v)| (m, v)),
                    );
                }
            }
            constraints.push(expr(&terms).leq(0.0));
            // The same per pool, where the pool alone bounds the share more
            // tightly than M_c: s_ck ≤ rate × amount_k × gate. Redundant for
            // whole gates, it stops the relaxation from spreading a type
            // thinly over many years of a scarce pool (this took the
            // municipality's benchmark from over 2 s to 38 ms).
            let gate: Vec<Variable> = terms[1..].iter().map(|&(_, v)| v).collect();
            for (k_at, &k) in cells[i].pools.iter().enumerate() {
                let top = rate_f[i] * lp(problem.pools[k].amount.get());
                if cells[i].pools.len() > 1 && top < lp(cells[i].max) {
                    let mut cut = vec![(1.0, shares[i][k_at])];
                    cut.extend(gate.iter().map(|&v| (-top, v)));
                    constraints.push(expr(&cut).leq(0.0));
                }
            }
        }
        // Σ_t S ≤ cap_total, unless the bounds imply it.
        if let Some(cap) = terms.cap_total
            && list.iter().map(|&i| cells[i].max).sum::<i64>() > cap.get()
        {
            let terms: Vec<(f64, Variable)> = list.iter().map(|&i| (1.0, amount[i])).collect();
            constraints.push(expr(&terms).leq(lp(cap.get())));
        }
        gates.insert((p, kind), gate);
    }
    for (&p, types) in &types_of {
        // One type, one run: Σ z + Σ u ≤ 1.
        let mut switch = Vec::new();
        for key in types {
            match &gates[key] {
                Gate::Open => {}
                Gate::Choice(u) => switch.push((1.0, *u)),
                Gate::Window(z) => switch.extend(z.iter().map(|&(_, _, v)| (1.0, v))),
            }
        }
        if switch.len() > 1 {
            constraints.push(expr(&switch).leq(1.0));
        }
        // Σ S ≤ budget, unless the bounds imply it (one type pays at most).
        if let Some(budget) = problem.programs[p].budget {
            let most = types
                .iter()
                .map(|key| by_type[key].iter().map(|&i| cells[i].max).sum::<i64>())
                .max();
            if most.unwrap_or(0) > budget.get() {
                let terms: Vec<(f64, Variable)> = types
                    .iter()
                    .flat_map(|key| by_type[key].iter().map(|&i| (1.0, amount[i])))
                    .collect();
                constraints.push(expr(&terms).leq(lp(budget.get())));
            }
        }
    }

    // Co-funding without own burden: S_c + Σ_{year} S ≤ cost − ½.
    if problem.own_burden.is_none() {
        let mut by_year: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, c) in cells.iter().enumerate() {
            by_year.entry(c.year).or_default().push(i);
        }
        for (&t, list) in &by_year {
            let cost = problem.project_cost[t].get();
            let sum_max: i64 = list.iter().map(|&i| cells[i].max).sum();
            for &i in list {
                let c = &cells[i];
                if !c.co_funding || sum_max + c.max < cost {
                    continue;
                }
                let mut terms: Vec<(f64, Variable)> =
                    list.iter().map(|&j| (1.0, amount[j])).collect();
                terms.push((1.0, amount[i]));
                let rhs = lp(cost - 1);
                if sum_max - c.max < cost {
                    constraints.push(expr(&terms).leq(rhs));
                } else {
                    // The other cells could reach the cost: apply the rule
                    // only when this cell pays (w_c = 1).
                    let w = vars.add(variable().binary());
                    hints.push((w, if seed_of(c) > 0 { 1.0 } else { 0.0 }));
                    constraints.push(expr(&[(1.0, amount[i]), (-lp(c.max), w)]).leq(0.0));
                    terms.push((lp(sum_max), w));
                    constraints.push(expr(&terms).leq(rhs + lp(sum_max)));
                }
            }
        }
    }

    // Objective.
    let mut objective: Vec<(f64, Variable)> = Vec::new();
    match problem.minimise {
        Minimise::Consortium => objective.extend(amount.iter().map(|&v| (1.0, v))),
        Minimise::Municipality => {
            for (i, c) in cells.iter().enumerate() {
                for (j, &k) in c.pools.iter().enumerate() {
                    let weight = if problem.pools[k].municipal {
                        1.0
                    } else {
                        TIE_BREAK
                    };
                    objective.push((weight, shares[i][j]));
                }
            }
        }
    }
    if perturb {
        for (n, (weight, _)) in objective.iter_mut().enumerate() {
            *weight *= 1.0 + 1e-6 * ((n * 7_919 % 1_000) as f64) / 1_000.0;
        }
    }

    let mut model = vars.maximise(expr(&objective)).using(microlp);
    for c in constraints {
        model.add_constraint(c);
    }
    let g = cells.iter().fold(0, |g, c| gcd(g, c.unit));
    // Solve the model to optimality (a relative gap of 10⁻⁹ only absorbs
    // floating-point noise): with continuous amounts, an incumbent a
    // fraction of a unit below the optimum can round down a whole unit
    // lower, or sit in another window.
    let gap = 1e-9;
    let model = model
        .with_initial_solution(hints)
        .with_time_limit(time_limit.as_secs_f64())
        .with_mip_gap(gap as f32)
        .map_err(|e| StackError::SolverFailed(e.to_string()))?;
    let solution = model.solve().map_err(|e| match e {
        ResolutionError::Infeasible => StackError::Infeasible,
        ResolutionError::Other(m) if m.starts_with("Time limit") => StackError::TimeLimit {
            seconds: time_limit.as_secs_f64(),
        },
        other => StackError::SolverFailed(other.to_string()),
    })?;

    // Read back in yen: amounts rounded down to their unit (every rule is
    // monotone in the amounts, so this keeps feasibility), off where the
    // gate is below ½.
    let mut amounts = Vec::with_capacity(cells.len());
    let mut preferred = Vec::with_capacity(cells.len());
    for (i, c) in cells.iter().enumerate() {
        let key = (c.program, c.kind);
        let on = match &gates[&key] {
            Gate::Open => 1.0,
            Gate::Choice(u) => solution.value(*u),
            Gate::Window(z) => {
                let j = by_type[&key]
                    .iter()
                    .position(|&other| other == i)
                    .expect("a cell of its type");
                z.iter()
                    .filter(|&&(s, e, _)| (s..e).contains(&j))
                    .map(|&(_, _, v)| solution.value(v))
                    .sum()
            }
        };
        let yen = solution.value(amount[i]) * lp_yen;
        let floored = if on < 0.5 {
            0
        } else {
            round_down((yen + ROUNDING_NUDGE).floor() as i64, c.unit)
        };
        amounts.push(floored.clamp(0, c.max));
        preferred.push(
            shares[i]
                .iter()
                .map(|&v| solution.value(v).max(0.0) * lp_yen / rate_f[i])
                .collect(),
        );
    }
    let stats = solution.into_inner().stats();
    let objective_bound = stats.best_bound.unwrap_or(f64::INFINITY);
    // The relaxation bounds every plan. The slack covers floating-point
    // noise in the solver's objective (a billionth of it, and a hundredth of
    // a yen), well below one rounding unit.
    let bound_f = objective_bound * lp_yen;
    let bound_yen = (bound_f + bound_f.abs() * 1e-9 + 0.01).floor().min(9e18) as i64;
    let bound = match problem.minimise {
        Minimise::Consortium => round_down(bound_yen, g),
        Minimise::Municipality => bound_yen.max(0),
    };
    Ok(Solved {
        amounts,
        preferred,
        bound,
    })
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

/// Makes the solver's amounts keep every rule in integer yen, assigns
/// whole-yen expenses and tops amounts up where rounding left room. Every
/// repair step only lowers amounts (each rule stays kept when an amount
/// falls), so a later step cannot break an earlier one; the top-up raises an
/// amount only after checking every rule.
fn repair(
    problem: &StackProblem,
    cells: &[Cell],
    amounts: &mut [i64],
    preferred: &[Vec<f64>],
    bound: i64,
) -> Vec<Draft> {
    for (a, c) in amounts.iter_mut().zip(cells) {
        *a = round_down((*a).clamp(0, c.max), c.unit);
    }
    // One type per program: keep the type with the largest total.
    let mut totals: BTreeMap<usize, BTreeMap<usize, i64>> = BTreeMap::new();
    for (a, c) in amounts.iter().zip(cells) {
        if *a > 0 {
            *totals
                .entry(c.program)
                .or_default()
                .entry(c.kind)
                .or_default() += a;
        }
    }
    for (p, kinds) in &totals {
        let keep = kinds
            .iter()
            .max_by_key(|&(kind, total)| (*total, std::cmp::Reverse(*kind)))
            .map(|(k, _)| *k);
        for (a, c) in amounts.iter_mut().zip(cells) {
            if c.program == *p && Some(c.kind) != keep {
                *a = 0;
            }
        }
    }
    let mut by_type: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        by_type.entry((c.program, c.kind)).or_default().push(i);
    }
    for (&(p, kind), list) in &by_type {
        let terms = &problem.programs[p].types[kind];
        // Consecutive years: keep the best window.
        if let Some(n) = terms.max_consecutive_years {
            let n = i64::from(n);
            let funded: Vec<usize> = list.iter().copied().filter(|&i| amounts[i] > 0).collect();
            let best = funded
                .iter()
                .map(|&s| {
                    let start = fiscal(problem, cells[s].year);
                    let total: i64 = funded
                        .iter()
                        .filter(|&&i| (0..n).contains(&(fiscal(problem, cells[i].year) - start)))
                        .map(|&i| amounts[i])
                        .sum();
                    (total, std::cmp::Reverse(start))
                })
                .max();
            if let Some((_, std::cmp::Reverse(start))) = best {
                for &i in &funded {
                    if !(0..n).contains(&(fiscal(problem, cells[i].year) - start)) {
                        amounts[i] = 0;
                    }
                }
            }
        }
        if let Some(cap) = terms.cap_total {
            trim_to(amounts, cells, list, cap.get());
        }
    }
    for (p, program) in problem.programs.iter().enumerate() {
        if let Some(budget) = program.budget {
            let list: Vec<usize> = (0..cells.len())
                .filter(|&i| cells[i].program == p)
                .collect();
            trim_to(amounts, cells, &list, budget.get());
        }
    }
    // Co-funding without own burden: S + Σ_year S ≤ cost − 1.
    if problem.own_burden.is_none() {
        for t in 0..problem.years.len() {
            let cost = problem.project_cost[t].get();
            let list: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].year == t).collect();
            loop {
                let total: i64 = list.iter().map(|&i| amounts[i]).sum();
                let worst = list
                    .iter()
                    .copied()
                    .filter(|&i| cells[i].co_funding && amounts[i] > 0)
                    .max_by_key(|&i| amounts[i]);
                let Some(i) = worst else { break };
                let over = amounts[i] + total - (cost - 1);
                if over <= 0 {
                    break;
                }
                // Lowering S by d lowers S + Σ S by 2d.
                amounts[i] = round_down(amounts[i] - (over + 1) / 2, cells[i].unit);
            }
        }
    }
    // Expenses, year by year, then the top-up.
    let mut flows: Vec<YearFlow> = (0..problem.years.len())
        .map(|t| YearFlow::new(problem, cells, t))
        .collect();
    for flow in &mut flows {
        flow.assign(cells, amounts, preferred);
    }
    let before = drafts_of(cells, amounts, &flows);
    let mut raised = amounts.to_vec();
    top_up(problem, cells, &mut raised, &mut flows);
    if problem.minimise == Minimise::Consortium {
        exchange(problem, cells, &mut raised, &mut flows, bound);
    }
    let after = drafts_of(cells, &raised, &flows);
    // Topping up re-routes expenses; keep it only if the objective does not
    // fall (it can move expense off municipal pools).
    if problem.minimise == Minimise::Municipality
        && finish(problem, after.clone()).municipal_total
            < finish(problem, before.clone()).municipal_total
    {
        return before;
    }
    amounts.copy_from_slice(&raised);
    after
}

fn drafts_of(cells: &[Cell], amounts: &[i64], flows: &[YearFlow]) -> Vec<Draft> {
    let mut drafts = Vec::new();
    for flow in flows {
        for (a, &i) in flow.list.iter().enumerate() {
            let c = &cells[i];
            if amounts[i] > 0 {
                drafts.push(Draft {
                    program: c.program,
                    kind: c.kind,
                    year: c.year,
                    amount: amounts[i],
                    expenses: c
                        .pools
                        .iter()
                        .copied()
                        .zip(flow.flow[a].iter().copied())
                        .filter(|&(_, e)| e > 0)
                        .collect(),
                });
            }
        }
    }
    drafts
}

/// Lowers the latest amounts of `list` until their sum is at most `cap`.
fn trim_to(amounts: &mut [i64], cells: &[Cell], list: &[usize], cap: i64) {
    loop {
        let sum: i64 = list.iter().map(|&i| amounts[i]).sum();
        if sum <= cap {
            return;
        }
        let Some(&last) = list
            .iter()
            .filter(|&&i| amounts[i] > 0)
            .max_by_key(|&&i| cells[i].year)
        else {
            return;
        };
        amounts[last] = round_down(amounts[last] - (sum - cap), cells[last].unit);
    }
}

/// Raises amounts where the rules and the unassigned expenses leave room
/// for more units: flooring each amount can lose up to one unit, and an
/// expense freed by one award can justify another's next unit. Cells are
/// visited in (program, type, year) order until a pass raises nothing.
fn top_up(problem: &StackProblem, cells: &[Cell], amounts: &mut [i64], flows: &mut [YearFlow]) {
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..cells.len() {
            changed |= raise(problem, cells, amounts, flows, i);
        }
        if !changed {
            break;
        }
    }
}

/// Raises cell `i` as far as every rule and the expense it can reach allow;
/// whether it rose.
fn raise(
    problem: &StackProblem,
    cells: &[Cell],
    amounts: &mut [i64],
    flows: &mut [YearFlow],
    i: usize,
) -> bool {
    let c = &cells[i];
    let terms = &problem.programs[c.program].types[c.kind];
    // One type per program, one run of years.
    let rival = (0..cells.len())
        .any(|j| cells[j].program == c.program && cells[j].kind != c.kind && amounts[j] > 0);
    if rival {
        return false;
    }
    let same_type: Vec<usize> = (0..cells.len())
        .filter(|&j| cells[j].program == c.program && cells[j].kind == c.kind)
        .collect();
    if let Some(n) = terms.max_consecutive_years {
        let funded = same_type
            .iter()
            .filter(|&&j| amounts[j] > 0 || j == i)
            .map(|&j| fiscal(problem, cells[j].year));
        let (lo, hi) = funded.fold((i64::MAX, i64::MIN), |(lo, hi), fy| {
            (lo.min(fy), hi.max(fy))
        });
        if hi - lo + 1 > i64::from(n) {
            return false;
        }
    }
    // Room under the caps.
    let mut room = c.max - amounts[i];
    if let Some(cap) = terms.cap_total {
        room = room.min(cap.get() - same_type.iter().map(|&j| amounts[j]).sum::<i64>());
    }
    if let Some(budget) = problem.programs[c.program].budget {
        let spent: i64 = (0..cells.len())
            .filter(|&j| cells[j].program == c.program)
            .map(|j| amounts[j])
            .sum();
        room = room.min(budget.get() - spent);
    }
    if problem.own_burden.is_none() {
        // Raising S_i by d raises every S + Σ S of the year by d (and
        // S_i + Σ S by 2d when i itself is co-funded).
        let cost = problem.project_cost[c.year].get();
        let year: Vec<usize> = (0..cells.len())
            .filter(|&j| cells[j].year == c.year)
            .collect();
        let total: i64 = year.iter().map(|&j| amounts[j]).sum();
        for &j in &year {
            if cells[j].co_funding && amounts[j] > 0 && j != i {
                room = room.min(cost - 1 - total - amounts[j]);
            }
        }
        if c.co_funding {
            room = room.min((cost - 1 - total - amounts[i]).div_euclid(2));
        }
    }
    let room = round_down(room, c.unit);
    if room <= 0 {
        return false;
    }
    let flow = &mut flows[c.year];
    let a = flow
        .list
        .iter()
        .position(|&j| j == i)
        .expect("a cell of its year");
    let have = flow.assigned(a);
    let target = expense_for(c.rate, amounts[i] + room).unwrap_or(have);
    flow.push(a, target - have);
    let got = flow.assigned(a);
    let raised = round_down(rate_cap(c.rate, got), c.unit).min(amounts[i] + room);
    let changed = raised > amounts[i];
    if changed {
        amounts[i] = raised;
    }
    flow.trim(a, expense_for(c.rate, amounts[i]).unwrap_or(got));
    changed
}

/// Trades units between awards, for [`Minimise::Consortium`] while the
/// total is below the solver's bound: lowers one award (by a unit, or to
/// zero), raises the other cells of its year and of its program (whose
/// total cap or budget it frees), then itself; keeps the trade when the
/// total grows. It mends what the top-up cannot: e.g. two awards each a
/// fraction of a unit short because they split a pool that one of them
/// alone could use in whole units.
fn exchange(
    problem: &StackProblem,
    cells: &[Cell],
    amounts: &mut [i64],
    flows: &mut [YearFlow],
    bound: i64,
) {
    for _ in 0..3 {
        let mut improved = false;
        for i in 0..cells.len() {
            let c = &cells[i];
            let a = flows[c.year]
                .list
                .iter()
                .position(|&j| j == i)
                .expect("a cell of its year");
            let neighbours: Vec<usize> = (0..cells.len())
                .filter(|&j| j != i && (cells[j].year == c.year || cells[j].program == c.program))
                .collect();
            for drop in [c.unit, amounts[i]] {
                let before: i64 = amounts.iter().sum();
                if before >= bound {
                    return;
                }
                if drop <= 0 || drop > amounts[i] {
                    continue;
                }
                let saved_amounts = amounts.to_vec();
                let saved_flows = flows.to_vec();
                amounts[i] -= drop;
                flows[c.year].trim(a, expense_for(c.rate, amounts[i]).unwrap_or(0));
                for &j in &neighbours {
                    raise(problem, cells, amounts, flows, j);
                }
                raise(problem, cells, amounts, flows, i);
                if amounts.iter().sum::<i64>() > before {
                    improved = true;
                } else {
                    amounts.copy_from_slice(&saved_amounts);
                    flows.clone_from_slice(&saved_flows);
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Whole-yen expenses for the cells of one year: who takes how much of
/// which pool.
#[derive(Clone)]
struct YearFlow {
    /// The cells of the year.
    list: Vec<usize>,
    /// Their pools (copied from the cells).
    pools: Vec<Vec<usize>>,
    /// Expense per cell, per its pools.
    flow: Vec<Vec<i64>>,
    /// Unassigned expense per pool.
    spare: BTreeMap<usize, i64>,
}

impl YearFlow {
    fn new(problem: &StackProblem, cells: &[Cell], year: usize) -> YearFlow {
        let list: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].year == year)
            .collect();
        let pools: Vec<Vec<usize>> = list.iter().map(|&i| cells[i].pools.clone()).collect();
        let flow = pools.iter().map(|p| vec![0; p.len()]).collect();
        let spare = pools
            .iter()
            .flatten()
            .map(|&k| (k, problem.pools[k].amount.get()))
            .collect();
        YearFlow {
            list,
            pools,
            flow,
            spare,
        }
    }

    fn assigned(&self, a: usize) -> i64 {
        self.flow[a].iter().sum()
    }

    /// Assigns each cell the least expense its amount needs: the solver's
    /// split rounded down first, the rest by augmenting paths. A cell still
    /// short falls to what its expense justifies.
    fn assign(&mut self, cells: &[Cell], amounts: &mut [i64], preferred: &[Vec<f64>]) {
        let mut need: Vec<i64> = self
            .list
            .iter()
            .map(|&i| expense_for(cells[i].rate, amounts[i]).unwrap_or(i64::MAX))
            .collect();
        for (a, &i) in self.list.iter().enumerate() {
            for (j, &k) in self.pools[a].iter().enumerate() {
                let want =
                    (preferred[i].get(j).copied().unwrap_or(0.0) + ROUNDING_NUDGE).floor() as i64;
                let room = self.spare.get_mut(&k).expect("a pool of the year");
                let take = want.clamp(0, need[a].min(*room));
                self.flow[a][j] += take;
                need[a] -= take;
                *room -= take;
            }
        }
        self.augment(&mut need);
        for (a, short) in need.iter().enumerate() {
            if *short > 0 {
                let i = self.list[a];
                let c = &cells[i];
                let have = self.assigned(a);
                amounts[i] = round_down(rate_cap(c.rate, have), c.unit);
                self.trim(a, expense_for(c.rate, amounts[i]).unwrap_or(have));
            }
        }
    }

    /// Pushes up to `extra` more expense into cell `a` along augmenting
    /// paths: a → pool → a cell holding expense there (which gives it up)
    /// → … → a pool with spare expense.
    fn push(&mut self, a: usize, extra: i64) {
        let mut need = vec![0; self.list.len()];
        need[a] = extra.max(0);
        self.augment(&mut need);
    }

    /// Multi-source augmenting paths until no cell with `need` can get more.
    fn augment(&mut self, need: &mut [i64]) {
        loop {
            let mut from_pool: BTreeMap<usize, usize> = BTreeMap::new();
            let mut via_pool: Vec<Option<usize>> = vec![None; self.list.len()];
            let mut seen: Vec<bool> = need.iter().map(|&n| n > 0).collect();
            let mut queue: std::collections::VecDeque<usize> =
                (0..self.list.len()).filter(|&a| need[a] > 0).collect();
            let mut end = None;
            'search: while let Some(a) = queue.pop_front() {
                for &k in &self.pools[a] {
                    if from_pool.contains_key(&k) {
                        continue;
                    }
                    from_pool.insert(k, a);
                    if self.spare[&k] > 0 {
                        end = Some(k);
                        break 'search;
                    }
                    for b in 0..self.list.len() {
                        if !seen[b] && self.holds(b, k) > 0 {
                            seen[b] = true;
                            via_pool[b] = Some(k);
                            queue.push_back(b);
                        }
                    }
                }
            }
            let Some(end) = end else { return };
            // Bottleneck along the path, then push.
            let mut delta = self.spare[&end];
            let mut a = from_pool[&end];
            while let Some(k) = via_pool[a] {
                delta = delta.min(self.holds(a, k));
                a = from_pool[&k];
            }
            delta = delta.min(need[a]);
            let mut a = from_pool[&end];
            self.add(a, end, delta);
            while let Some(k) = via_pool[a] {
                self.add(a, k, -delta);
                a = from_pool[&k];
                self.add(a, k, delta);
            }
            need[a] -= delta;
            *self.spare.get_mut(&end).expect("a pool of the year") -= delta;
        }
    }

    fn holds(&self, a: usize, k: usize) -> i64 {
        self.pools[a]
            .iter()
            .position(|&p| p == k)
            .map_or(0, |j| self.flow[a][j])
    }

    fn add(&mut self, a: usize, k: usize, delta: i64) {
        let j = self.pools[a]
            .iter()
            .position(|&p| p == k)
            .expect("an eligible pool");
        self.flow[a][j] += delta;
    }

    /// Gives back expense of cell `a` beyond `keep`, last pools first.
    fn trim(&mut self, a: usize, keep: i64) {
        let mut excess = self.assigned(a) - keep.max(0);
        for j in (0..self.flow[a].len()).rev() {
            let cut = excess.min(self.flow[a][j]).max(0);
            self.flow[a][j] -= cut;
            *self
                .spare
                .get_mut(&self.pools[a][j])
                .expect("a pool of the year") += cut;
            excess -= cut;
        }
    }
}

// ────────────────────────────────── checker ──────────────────────────────────

/// Every rule the plan breaks (see "Precise rules" in the module
/// documentation); empty when the plan is admissible. Independent of the
/// optimiser: it recomputes everything from the problem and the awards, and
/// never panics on malformed input (unknown indices are reported).
#[expect(
    clippy::too_many_lines,
    reason = "one checker for every rule, kept together so none is missed"
)]
pub fn violations(problem: &StackProblem, plan: &StackPlan) -> Vec<Violation> {
    let mut out = Vec::new();
    let n_years = problem.years.len();
    let mut pool_use = vec![0_i128; problem.pools.len()];
    // (program, kind, year) → (sum, number of awards)
    let mut per_cell: BTreeMap<(usize, usize, usize), (i128, usize)> = BTreeMap::new();
    let mut year_total = vec![0_i128; n_years];
    let mut total = 0_i128;
    let mut municipal = 0_i128;

    for (i, award) in plan.awards.iter().enumerate() {
        let amount = i128::from(award.amount.get());
        total += amount;
        let terms = problem
            .programs
            .get(award.program)
            .and_then(|p| p.types.get(award.kind));
        let (Some(terms), true) = (terms, award.year < n_years) else {
            out.push(Violation::UnknownIndex { award: i });
            continue;
        };
        if amount <= 0 {
            out.push(Violation::NonPositiveAward { award: i });
        }
        if amount % i128::from(terms.rounding_unit.max(1)) != 0 {
            out.push(Violation::Rounding { award: i });
        }
        if !terms.allowed.get(award.year).copied().unwrap_or(false) {
            out.push(Violation::YearNotAllowed { award: i });
        }
        let mut expense = 0_i128;
        let mut municipal_expense = 0_i128;
        let mut unknown = false;
        for &(k, e) in &award.expenses {
            let Some(pool) = problem.pools.get(k) else {
                unknown = true;
                continue;
            };
            let e = i128::from(e.get());
            if e < 0 {
                out.push(Violation::NegativeExpense { award: i, pool: k });
            }
            if pool.year != award.year || !pool.eligible.contains(&(award.program, award.kind)) {
                out.push(Violation::IneligibleExpense { award: i, pool: k });
            }
            pool_use[k] += e;
            expense += e;
            if pool.municipal {
                municipal_expense += e;
            }
        }
        if unknown {
            out.push(Violation::UnknownIndex { award: i });
        }
        let justified = Decimal::try_from_i128_with_scale(expense, 0)
            .ok()
            .and_then(|e| terms.rate.get().checked_mul(e));
        if justified.is_none_or(|j| Decimal::from(award.amount.get()) > j) {
            out.push(Violation::RateExceeded { award: i });
        }
        if expense > 0 && amount > 0 {
            municipal += amount * municipal_expense / expense;
        }
        let entry = per_cell
            .entry((award.program, award.kind, award.year))
            .or_default();
        entry.0 += amount;
        entry.1 += 1;
        year_total[award.year] += amount;
    }

    for (k, used) in pool_use.iter().enumerate() {
        if *used > i128::from(problem.pools[k].amount.get()) {
            out.push(Violation::DoubleFunding { pool: k });
        }
    }

    let mut per_type: BTreeMap<(usize, usize), (i128, Vec<usize>)> = BTreeMap::new();
    for (&(program, kind, year), &(sum, count)) in &per_cell {
        let terms = &problem.programs[program].types[kind];
        if count > 1 {
            out.push(Violation::DuplicateAward {
                program,
                kind,
                year,
            });
        }
        if terms
            .cap_per_year
            .is_some_and(|cap| sum > i128::from(cap.get()))
        {
            out.push(Violation::CapPerYear {
                program,
                kind,
                year,
            });
        }
        if terms.co_funding && sum > 0 {
            let burden = match &problem.own_burden {
                Some(own) => own.get(year).map_or(0, |b| i128::from(b.get())),
                None => {
                    problem
                        .project_cost
                        .get(year)
                        .map_or(0, |c| i128::from(c.get()))
                        - year_total[year]
                }
            };
            if sum >= burden {
                out.push(Violation::CoFunding {
                    program,
                    kind,
                    year,
                });
            }
        }
        let entry = per_type.entry((program, kind)).or_default();
        entry.0 += sum;
        if sum > 0 {
            entry.1.push(year);
        }
    }

    let mut per_program: BTreeMap<usize, (i128, Vec<usize>)> = BTreeMap::new();
    for (&(program, kind), (sum, years)) in &per_type {
        let terms = &problem.programs[program].types[kind];
        if terms
            .cap_total
            .is_some_and(|cap| *sum > i128::from(cap.get()))
        {
            out.push(Violation::CapTotal { program, kind });
        }
        if let (Some(n), Some(&first_year), Some(&last_year)) = (
            terms.max_consecutive_years,
            years.iter().min(),
            years.iter().max(),
        ) {
            let span = i64::from(problem.years[last_year].year())
                - i64::from(problem.years[first_year].year())
                + 1;
            if span > i64::from(n) {
                out.push(Violation::ConsecutiveYears {
                    program,
                    kind,
                    first_year,
                    last_year,
                });
            }
        }
        let entry = per_program.entry(program).or_default();
        entry.0 += sum;
        entry.1.push(kind);
    }
    for (&program, (sum, kinds)) in &per_program {
        if kinds.len() > 1 {
            out.push(Violation::MultipleTypes {
                program,
                kinds: kinds.clone(),
            });
        }
        if problem.programs[program]
            .budget
            .is_some_and(|b| *sum > i128::from(b.get()))
        {
            out.push(Violation::Budget { program });
        }
    }

    if total != i128::from(plan.total.get()) {
        out.push(Violation::TotalMismatch);
    }
    if municipal != i128::from(plan.municipal_total.get()) {
        out.push(Violation::MunicipalTotalMismatch);
    }
    out
}
