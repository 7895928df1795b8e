//! The independent rule checker: [`violations`] recomputes every rule of
//! "Precise rules" (module documentation) from the problem and a plan, and
//! [`Violation`] names what it finds.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{StackPlan, StackProblem};

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
