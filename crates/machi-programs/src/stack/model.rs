//! The mixed-integer model of the module documentation ("The optimisation
//! model"): the cells that can pay, the formulation in `good_lp`, one
//! `microlp` solve, and the answer read back in yen before repair.

use std::collections::BTreeMap;
use std::time::Duration;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable,
    WithInitialSolution, WithMipGap, WithTimeLimit, microlp, variable,
};
use machi_domain::Rate;
use rust_decimal::Decimal;

use super::arith::{co_funding_bound, fiscal, rate_cap, round_down};
use super::draft::Draft;
use super::{Minimise, StackError, StackProblem, TIE_BREAK};

/// Yen added before rounding a solver value down, so that a value a hair
/// below a whole unit counts as that unit: ten times microlp's feasibility
/// tolerance (10⁻⁷ model units, 10⁻³ yen at the coarsest scale). Should
/// this overshoot, repair lowers the amount again.
pub(super) const ROUNDING_NUDGE: f64 = 1e-2;

/// A (program, type, year) that can pay: the model's unit of decision.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) program: usize,
    pub(super) kind: usize,
    pub(super) year: usize,
    pub(super) unit: i64,
    pub(super) rate: Rate,
    pub(super) co_funding: bool,
    /// Largest subsidy alone, a multiple of `unit`, > 0.
    pub(super) max: i64,
    /// Eligible pools holding expense.
    pub(super) pools: Vec<usize>,
}

pub(super) fn cells(
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
pub(super) struct Solved {
    /// Per cell: the amount rounded down to the unit, 0 if its gate is off.
    pub(super) amounts: Vec<i64>,
    /// Per cell, per pool: the expense the solver assigned, in yen.
    pub(super) preferred: Vec<Vec<f64>>,
    /// The proven bound on the objective, in yen.
    pub(super) bound: i64,
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
pub(super) fn solve(
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
