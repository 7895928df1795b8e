//! The project's costs as the programs see them: every capex and opex line
//! expanded to one amount per fiscal year, who holds it, and the
//! consumption-tax exclusion.

use machi_domain::project::{FundingKind, LineCategory, LineKind};
use machi_domain::schedule::expand;
use machi_domain::{FiscalYear, Project, Yen};
use rust_decimal::Decimal;

use crate::program::EligibleExpenses;

/// The standard consumption-tax rate, in percent: 消費税 7.8 % (消費税法
/// art. 29) plus 地方消費税 at 22/78 of it (地方税法 art. 72-83), 10 % in
/// all since 2019-10-01. Programs that do not fund deductible consumption
/// tax size on amounts × 100/110 (REFERENCE.md, "Finance conventions").
pub const CONSUMPTION_TAX_PERCENT: i64 = 10;

/// `amount` without consumption tax: ⌊amount × 100 / 110⌋ (rounded down,
/// so the eligible amount is never overstated).
pub fn excluding_consumption_tax(amount: Yen) -> Yen {
    let net =
        amount.to_decimal() * Decimal::from(100) / Decimal::from(100 + CONSUMPTION_TAX_PERCENT);
    Yen::from_decimal_floor(net).unwrap_or(Yen::ZERO)
}

/// One cost line of the project.
#[derive(Debug, Clone)]
pub struct CostLine {
    /// Index in `project.line_items`.
    pub index: usize,
    /// Capex or opex.
    pub kind: LineKind,
    /// Category.
    pub category: LineCategory,
    /// Whether a local government holds it (its `party`, or the
    /// representative).
    pub municipal: bool,
    /// Amount per fiscal year of the horizon.
    pub amounts: Vec<Yen>,
}

/// The project's costs by fiscal year.
#[derive(Debug, Clone)]
pub struct Costs {
    /// The fiscal years of the horizon.
    pub years: Vec<FiscalYear>,
    /// Capex and opex lines.
    pub lines: Vec<CostLine>,
    /// Total capex + opex per year.
    pub total: Vec<Yen>,
    /// Whether the amounts include consumption tax.
    pub tax_included: bool,
    /// The consortium's own burden per year, when the project states it
    /// (years it leaves out count as zero).
    pub own_burden: Option<Vec<Yen>>,
}

impl Costs {
    /// Reads the costs of a (validated) project.
    pub fn of(project: &Project) -> Costs {
        let h = project.horizon;
        let fin = &project.finance;
        let base = fin.base_year_or(h.first);
        let years: Vec<FiscalYear> = h.years().collect();
        let mut total = vec![Yen::ZERO; years.len()];
        let mut lines = Vec::new();
        for (index, li) in project.line_items.iter().enumerate() {
            if !matches!(li.kind, LineKind::Capex | LineKind::Opex) {
                continue;
            }
            let amounts = expand(h, &li.amounts, li.generator.as_ref(), fin.inflation, base);
            for (t, a) in total.iter_mut().zip(&amounts) {
                *t += *a;
            }
            let municipal = project
                .party_of(li.party.as_ref())
                .is_some_and(|m| m.kind.is_local_government());
            lines.push(CostLine {
                index,
                kind: li.kind,
                category: li.category,
                municipal,
                amounts,
            });
        }
        let own = &project.consortium.own_burden;
        let own_burden = (!own.is_empty()).then(|| {
            years
                .iter()
                .map(|y| own.get(y).copied().unwrap_or(Yen::ZERO))
                .collect()
        });
        Costs {
            years,
            lines,
            total,
            tax_included: fin.amounts_include_consumption_tax,
            own_burden,
        }
    }

    /// Whether consumption tax must be taken out of lines for `e`.
    pub fn excludes_tax(&self, e: &EligibleExpenses) -> bool {
        self.tax_included && !e.consumption_tax
    }

    /// Eligible expenses per year for `e`: (as written, after the
    /// consumption-tax exclusion, applied line by line).
    pub fn eligible(&self, e: &EligibleExpenses) -> Vec<(Yen, Yen)> {
        let exclude = self.excludes_tax(e);
        let mut out = vec![(Yen::ZERO, Yen::ZERO); self.years.len()];
        for line in self.lines.iter().filter(|l| e.covers(l.kind, l.category)) {
            for (o, a) in out.iter_mut().zip(&line.amounts) {
                o.0 += *a;
                o.1 += if exclude {
                    excluding_consumption_tax(*a)
                } else {
                    *a
                };
            }
        }
        out
    }
}

/// The amounts per year the project plans to receive from `program_id`
/// (its subsidy funding sources with `program = program_id`).
pub fn planned(project: &Project, program_id: &str) -> Vec<Yen> {
    let h = project.horizon;
    let fin = &project.finance;
    let base = fin.base_year_or(h.first);
    let mut out = vec![Yen::ZERO; h.len()];
    for f in &project.funding {
        if f.kind == FundingKind::Subsidy && f.program.as_deref() == Some(program_id) {
            let amounts = expand(h, &f.amounts, f.generator.as_ref(), fin.inflation, base);
            for (o, a) in out.iter_mut().zip(amounts) {
                *o += a;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_consumption_tax_out() {
        assert_eq!(excluding_consumption_tax(Yen(11_000_000)), Yen(10_000_000));
        // 1,000 × 100/110 = 909.09…, down to 909.
        assert_eq!(excluding_consumption_tax(Yen(1_000)), Yen(909));
        assert_eq!(excluding_consumption_tax(Yen::ZERO), Yen::ZERO);
    }
}
