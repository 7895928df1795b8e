//! Expanding a line's amounts and generator into one amount per fiscal year.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, MathematicalOps};

use crate::project::{Generator, Horizon};
use crate::{FiscalYear, Rate, Yen};

/// Amounts per fiscal year of the horizon, index 0 = the first year.
///
/// The generator fills its years first; an explicit amount replaces the
/// generated one for its year. Years outside the horizon are ignored
/// (validation reports them). Generated amounts are computed as exact
/// decimals and rounded to whole yen half away from zero, like Excel's
/// `ROUND(x, 0)`.
pub fn expand(
    horizon: Horizon,
    amounts: &BTreeMap<FiscalYear, Yen>,
    generator: Option<&Generator>,
    inflation: Rate,
    base_year: FiscalYear,
) -> Vec<Yen> {
    let mut out = vec![Yen::ZERO; horizon.len()];
    if let Some(g) = generator {
        fill(&mut out, horizon, g, inflation, base_year);
    }
    for (fy, y) in amounts {
        if let Some(i) = horizon.index(*fy) {
            out[i] = *y;
        }
    }
    out
}

/// `(1 + r)^n` as an exact decimal (n may be negative for years before the base).
fn compound(r: Rate, n: i32) -> Decimal {
    let base = Decimal::ONE + r.get();
    let p = base
        .checked_powi(i64::from(n.unsigned_abs()))
        .unwrap_or(Decimal::MAX);
    if n >= 0 {
        p
    } else {
        Decimal::ONE.checked_div(p).unwrap_or(Decimal::ZERO)
    }
}

fn round(d: Decimal) -> Yen {
    Yen::from_decimal_round(d).unwrap_or(Yen(Yen::MAX_INPUT))
}

fn fill(out: &mut [Yen], h: Horizon, g: &Generator, inflation: Rate, base_year: FiscalYear) {
    let range = |from: &Option<FiscalYear>, to: &Option<FiscalYear>| {
        let from = from.unwrap_or(h.first).max(h.first);
        let to = to.unwrap_or(h.last).min(h.last);
        (from, to)
    };
    let mut set = |fy: FiscalYear, y: Yen| {
        if let Some(i) = h.index(fy) {
            out[i] = y;
        }
    };
    match g {
        Generator::Constant { amount, from, to } => {
            let (a, b) = range(from, to);
            for k in 0..=b.years_since(a).max(-1) {
                set(a.plus(k), *amount);
            }
        }
        Generator::Growth {
            amount,
            rate,
            from,
            to,
        } => {
            let (a, b) = range(from, to);
            let start = from.unwrap_or(h.first);
            for k in 0..=b.years_since(a).max(-1) {
                let fy = a.plus(k);
                set(
                    fy,
                    round(amount.to_decimal() * compound(*rate, fy.years_since(start))),
                );
            }
        }
        Generator::Ramp {
            target,
            years,
            start,
            from,
            to,
        } => {
            let (a, b) = range(from, to);
            let origin = from.unwrap_or(h.first);
            let n = Decimal::from((*years).max(1));
            for k in 0..=b.years_since(a).max(-1) {
                let fy = a.plus(k);
                let step = Decimal::from(fy.years_since(origin) + 1).min(n);
                let v = start.to_decimal() + (target.to_decimal() - start.to_decimal()) * step / n;
                set(fy, round(v));
            }
        }
        Generator::OneOff { amount, year } => set(*year, *amount),
        Generator::Step { steps, to } => {
            let mut sorted: Vec<_> = steps.iter().collect();
            sorted.sort_by_key(|s| s.from);
            let last = to.unwrap_or(h.last).min(h.last);
            for (i, s) in sorted.iter().enumerate() {
                let until = sorted
                    .get(i + 1)
                    .map_or(last, |next| next.from.plus(-1).min(last));
                for k in 0..=until.years_since(s.from).max(-1) {
                    set(s.from.plus(k), s.amount);
                }
            }
        }
        Generator::Escalation { amount, from, to } => {
            let (a, b) = range(from, to);
            for k in 0..=b.years_since(a).max(-1) {
                let fy = a.plus(k);
                set(
                    fy,
                    round(amount.to_decimal() * compound(inflation, fy.years_since(base_year))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Step;

    fn fy(y: i32) -> FiscalYear {
        FiscalYear::new(y).expect("valid")
    }
    fn h() -> Horizon {
        Horizon {
            first: fy(2024),
            last: fy(2030),
        }
    }
    fn run(g: Generator) -> Vec<i64> {
        expand(
            h(),
            &BTreeMap::new(),
            Some(&g),
            "0.02".parse().expect("rate"),
            fy(2024),
        )
        .iter()
        .map(|y| y.0)
        .collect()
    }

    #[test]
    fn generators() {
        assert_eq!(
            run(Generator::Constant {
                amount: Yen(100),
                from: Some(fy(2026)),
                to: Some(fy(2028))
            }),
            [0, 0, 100, 100, 100, 0, 0]
        );
        // 1,000,000 × 1.03^k, rounded half away from zero.
        assert_eq!(
            run(Generator::Growth {
                amount: Yen(1_000_000),
                rate: "3%".parse().expect("rate"),
                from: None,
                to: Some(fy(2027))
            }),
            [1_000_000, 1_030_000, 1_060_900, 1_092_727, 0, 0, 0]
        );
        assert_eq!(
            run(Generator::Ramp {
                target: Yen(900),
                years: 3,
                start: Yen(0),
                from: Some(fy(2025)),
                to: None
            }),
            [0, 300, 600, 900, 900, 900, 900]
        );
        assert_eq!(
            run(Generator::OneOff {
                amount: Yen(5),
                year: fy(2030)
            }),
            [0, 0, 0, 0, 0, 0, 5]
        );
        assert_eq!(
            run(Generator::Step {
                steps: vec![
                    Step {
                        from: fy(2028),
                        amount: Yen(20)
                    },
                    Step {
                        from: fy(2025),
                        amount: Yen(10)
                    }
                ],
                to: Some(fy(2029)),
            }),
            [0, 10, 10, 10, 20, 20, 0]
        );
        // 2% inflation from base year FY2024: 1,000,000 × 1.02^k.
        assert_eq!(
            run(Generator::Escalation {
                amount: Yen(1_000_000),
                from: Some(fy(2026)),
                to: Some(fy(2027))
            }),
            [0, 0, 1_040_400, 1_061_208, 0, 0, 0]
        );
    }

    #[test]
    fn explicit_amounts_override_the_generator() {
        let mut amounts = BTreeMap::new();
        amounts.insert(fy(2025), Yen(7));
        amounts.insert(fy(2040), Yen(9)); // outside: ignored here, reported by validation
        let g = Generator::Constant {
            amount: Yen(1),
            from: None,
            to: None,
        };
        let v: Vec<i64> = expand(h(), &amounts, Some(&g), Rate::ZERO, fy(2024))
            .iter()
            .map(|y| y.0)
            .collect();
        assert_eq!(v, [1, 7, 1, 1, 1, 1, 1]);
    }
}
