//! The solver's continuous answer made whole: amounts rounded down and
//! mended until every rule holds, whole-yen expenses assigned by augmenting
//! paths, amounts topped up and exchanged where rounding left room (steps
//! 1 to 3 of "Rounding" in the module documentation).

use std::collections::BTreeMap;

use super::arith::{expense_for, fiscal, rate_cap, round_down};
use super::draft::{Draft, finish};
use super::model::{Cell, ROUNDING_NUDGE};
use super::{Minimise, StackProblem};

/// Makes the solver's amounts keep every rule in integer yen, assigns
/// whole-yen expenses and tops amounts up where rounding left room. Every
/// repair step only lowers amounts (each rule stays kept when an amount
/// falls), so a later step cannot break an earlier one; the top-up raises an
/// amount only after checking every rule.
pub(super) fn repair(
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
