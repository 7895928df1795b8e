//! Expanding a line's amounts and generator into one amount per fiscal year.
//!
//! Every generated amount is computed with checked arithmetic. One that
//! leaves the range machi supports for a cell (±[`Yen::MAX_INPUT`], ¥10兆 —
//! machi's own bound, not a rule of public finance; see [`Yen::MAX_INPUT`])
//! is reported by [`try_expand`] with its fiscal year, and validation refuses
//! the project with `generated-amount-range` ([`OutOfRange::error`]). A
//! growth of 100 % a year doubles an amount every year, so over a horizon of
//! up to 100 fiscal years even ¥1,000 passes ¥10兆 (in its 35th year).

use std::collections::BTreeMap;

use rust_decimal::{Decimal, MathematicalOps};

use crate::error::ProjectError;
use crate::project::{Generator, Horizon};
use crate::{FiscalYear, Rate, Yen};

/// A generated amount outside ±[`Yen::MAX_INPUT`]: the first fiscal year of
/// the horizon, in order, whose amount as the generator computes it (and no
/// explicit amount replaces) leaves the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// The first fiscal year whose generated amount leaves the range.
    pub year: FiscalYear,
}

impl OutOfRange {
    /// The project error `generated-amount-range` at `path`, the generator's
    /// path (e.g. `line_items[0].generator`), with the arguments `year` (the
    /// first fiscal year out of range) and `max` (¥10兆).
    pub fn error(self, path: impl Into<String>) -> ProjectError {
        ProjectError::new("generated-amount-range", path)
            .arg("year", self.year)
            .arg("max", Yen(Yen::MAX_INPUT))
    }
}

/// Amounts per fiscal year of the horizon, index 0 = the first year, or the
/// first year whose generated amount leaves ±[`Yen::MAX_INPUT`].
///
/// The generator fills its years first; an explicit amount replaces the
/// generated one for its year (explicit amounts are returned as they are:
/// validation checks them on their own, `amount-range`). Years outside the
/// horizon are ignored (validation reports them). Generated amounts are
/// computed as exact decimals and rounded to whole yen half away from zero,
/// like Excel's `ROUND(x, 0)`.
pub fn try_expand(
    horizon: Horizon,
    amounts: &BTreeMap<FiscalYear, Yen>,
    generator: Option<&Generator>,
    inflation: Rate,
    base_year: FiscalYear,
) -> Result<Vec<Yen>, OutOfRange> {
    let cells = cells(horizon, amounts, generator, inflation, base_year);
    horizon
        .years()
        .zip(cells)
        .map(|(year, c)| c.map_err(|_| OutOfRange { year }))
        .collect()
}

/// [`try_expand`] for a project that validation accepted, where the two are
/// equal. A generated amount out of range (which validation refuses) is
/// shown as ±[`Yen::MAX_INPUT`] with the sign it would have had, so that an
/// editor can still display a refused model; nothing is evaluated from it.
pub fn expand(
    horizon: Horizon,
    amounts: &BTreeMap<FiscalYear, Yen>,
    generator: Option<&Generator>,
    inflation: Rate,
    base_year: FiscalYear,
) -> Vec<Yen> {
    cells(horizon, amounts, generator, inflation, base_year)
        .into_iter()
        .map(|c| {
            c.unwrap_or_else(|o| {
                Yen(if o.negative {
                    -Yen::MAX_INPUT
                } else {
                    Yen::MAX_INPUT
                })
            })
        })
        .collect()
}

/// A generated amount that left ±[`Yen::MAX_INPUT`], with its sign.
#[derive(Debug, Clone, Copy)]
struct Overflow {
    negative: bool,
}

/// One cell: whole yen, or the overflow of a generated amount.
type Cell = Result<Yen, Overflow>;

/// The generator's cells with the explicit amounts laid over them.
fn cells(
    horizon: Horizon,
    amounts: &BTreeMap<FiscalYear, Yen>,
    generator: Option<&Generator>,
    inflation: Rate,
    base_year: FiscalYear,
) -> Vec<Cell> {
    let mut out = vec![Ok(Yen::ZERO); horizon.len()];
    if let Some(g) = generator {
        fill(&mut out, horizon, g, inflation, base_year);
    }
    for (fy, y) in amounts {
        if let Some(i) = horizon.index(*fy) {
            out[i] = Ok(*y);
        }
    }
    out
}

/// `amount × (1 + r)^n` as an exact decimal (n may be negative for years
/// before the base), or `None` when it exceeds what a decimal holds (about
/// 7.9 × 10^28, far beyond any cell).
fn grown(amount: Yen, r: Rate, n: i32) -> Option<Decimal> {
    if amount == Yen::ZERO {
        return Some(Decimal::ZERO);
    }
    let base = Decimal::ONE.checked_add(r.get())?;
    let factor = match base.checked_powi(i64::from(n.unsigned_abs())) {
        Some(p) if n >= 0 => p,
        // 1 / (1 + r)^|n|; a zero power (r = −100 %) has no inverse.
        Some(p) => Decimal::ONE.checked_div(p)?,
        None if n >= 0 => return None,
        // (1 + r)^|n| beyond 7.9 × 10^28: its inverse is below one yen in
        // 10^15 of any amount, so the amount rounds to zero.
        None => Decimal::ZERO,
    };
    amount.to_decimal().checked_mul(factor)
}

/// A computed decimal as a cell: rounded half away from zero, within
/// ±[`Yen::MAX_INPUT`]; `negative` is the sign of an amount too large for a
/// decimal.
fn cell(d: Option<Decimal>, negative: bool) -> Cell {
    match d {
        Some(d) => Yen::from_decimal_round(d)
            .filter(|y| y.is_valid_input())
            .ok_or(Overflow {
                negative: d.is_sign_negative(),
            }),
        None => Err(Overflow { negative }),
    }
}

/// An amount copied from the generator's input, checked like a computed one.
fn copied(y: Yen) -> Cell {
    if y.is_valid_input() {
        Ok(y)
    } else {
        Err(Overflow {
            negative: y < Yen::ZERO,
        })
    }
}

fn fill(out: &mut [Cell], h: Horizon, g: &Generator, inflation: Rate, base_year: FiscalYear) {
    let range = |from: &Option<FiscalYear>, to: &Option<FiscalYear>| {
        let from = from.unwrap_or(h.first).max(h.first);
        let to = to.unwrap_or(h.last).min(h.last);
        (from, to)
    };
    let mut set = |fy: FiscalYear, y: Cell| {
        if let Some(i) = h.index(fy) {
            out[i] = y;
        }
    };
    match g {
        Generator::Constant { amount, from, to } => {
            let (a, b) = range(from, to);
            for k in 0..=b.years_since(a).max(-1) {
                set(a.plus(k), copied(*amount));
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
                let v = grown(*amount, *rate, fy.years_since(start));
                set(fy, cell(v, *amount < Yen::ZERO));
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
            let (s, t) = (start.to_decimal(), target.to_decimal());
            for k in 0..=b.years_since(a).max(-1) {
                let fy = a.plus(k);
                let step = Decimal::from(fy.years_since(origin) + 1).min(n);
                // start + (target − start) × step / n, between start and target.
                let v = t
                    .checked_sub(s)
                    .and_then(|d| d.checked_mul(step))
                    .and_then(|d| d.checked_div(n))
                    .and_then(|d| s.checked_add(d));
                set(fy, cell(v, *target < Yen::ZERO));
            }
        }
        Generator::OneOff { amount, year } => set(*year, copied(*amount)),
        Generator::Step { steps, to } => {
            let mut sorted: Vec<_> = steps.iter().collect();
            sorted.sort_by_key(|s| s.from);
            let last = to.unwrap_or(h.last).min(h.last);
            for (i, s) in sorted.iter().enumerate() {
                let until = sorted
                    .get(i + 1)
                    .map_or(last, |next| next.from.plus(-1).min(last));
                for k in 0..=until.years_since(s.from).max(-1) {
                    set(s.from.plus(k), copied(s.amount));
                }
            }
        }
        Generator::Escalation { amount, from, to } => {
            let (a, b) = range(from, to);
            for k in 0..=b.years_since(a).max(-1) {
                let fy = a.plus(k);
                let v = grown(*amount, inflation, fy.years_since(base_year));
                set(fy, cell(v, *amount < Yen::ZERO));
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

    fn century() -> Horizon {
        Horizon {
            first: fy(2025),
            last: fy(2124),
        }
    }

    fn growth(amount: i64, rate: &str) -> Generator {
        Generator::Growth {
            amount: Yen(amount),
            rate: rate.parse().expect("rate"),
            from: None,
            to: None,
        }
    }

    #[test]
    fn the_first_year_out_of_range_is_named() {
        // ¥1,000 × 2^k: 2^33 × 1,000 = ¥8,589,934,592,000 ≤ ¥10兆 in FY2058,
        // 2^34 × 1,000 = ¥17,179,869,184,000 > ¥10兆 in FY2059.
        let g = growth(1_000, "100%");
        let none = BTreeMap::new();
        let r = try_expand(century(), &none, Some(&g), Rate::ZERO, fy(2025));
        assert_eq!(r, Err(OutOfRange { year: fy(2059) }));
        let to = Generator::Growth {
            amount: Yen(1_000),
            rate: "100%".parse().expect("rate"),
            from: None,
            to: Some(fy(2058)),
        };
        let v = try_expand(century(), &none, Some(&to), Rate::ZERO, fy(2025)).expect("in range");
        assert_eq!(v[33], Yen(8_589_934_592_000));
        // An explicit amount replaces the generated one: the next year is named.
        let explicit = BTreeMap::from([(fy(2059), Yen(5))]);
        let r = try_expand(century(), &explicit, Some(&g), Rate::ZERO, fy(2025));
        assert_eq!(r, Err(OutOfRange { year: fy(2060) }));
        // Shown saturated, never wrapped or panicking.
        let shown = expand(century(), &none, Some(&g), Rate::ZERO, fy(2025));
        assert_eq!(shown[33], Yen(8_589_934_592_000));
        assert!(shown[34..].iter().all(|y| *y == Yen(Yen::MAX_INPUT)));
        // Nothing grows from zero.
        let zero = growth(0, "100%");
        let v = try_expand(century(), &none, Some(&zero), Rate::ZERO, fy(2025)).expect("zero");
        assert!(v.iter().all(|y| *y == Yen::ZERO));
    }

    #[test]
    fn escalation_counts_from_the_base_year() {
        let g = Generator::Escalation {
            amount: Yen(100_000_000),
            from: None,
            to: None,
        };
        let none = BTreeMap::new();
        let doubling: Rate = "100%".parse().expect("rate");
        // ¥1億 × 2^17 = ¥13,107,200,000,000 > ¥10兆: FY2042 from FY2025, FY2047 from FY2030.
        let r = try_expand(century(), &none, Some(&g), doubling, fy(2025));
        assert_eq!(r, Err(OutOfRange { year: fy(2042) }));
        let r = try_expand(century(), &none, Some(&g), doubling, fy(2030));
        assert_eq!(r, Err(OutOfRange { year: fy(2047) }));
        // Deflating towards a late base year divides: ¥1億 / 0.0001^k leaves
        // the range at once; the inverse power underflowing is no zero.
        let shrink: Rate = "-99.99%".parse().expect("rate");
        let r = try_expand(century(), &none, Some(&g), shrink, fy(2200));
        assert_eq!(r, Err(OutOfRange { year: fy(2025) }));
        // Years far after a base year at −99.99 % round to zero.
        let v = try_expand(century(), &none, Some(&g), shrink, fy(1926)).expect("tiny");
        assert!(v.iter().all(|y| *y == Yen::ZERO));
    }

    #[test]
    fn extreme_inputs_neither_panic_nor_wrap() {
        let none = BTreeMap::new();
        for g in [
            growth(i64::MAX, "100%"),
            growth(i64::MIN, "100%"),
            growth(1, "79228162514264337593543950335"),
            growth(1, "-3"),
            Generator::Ramp {
                target: Yen(i64::MAX),
                years: u32::MAX,
                start: Yen(i64::MIN),
                from: None,
                to: None,
            },
            Generator::Constant {
                amount: Yen(Yen::MAX_INPUT + 1),
                from: None,
                to: None,
            },
        ] {
            let r = try_expand(century(), &none, Some(&g), Rate::ZERO, fy(2025));
            assert!(r.is_err(), "{g:?}");
            let shown = expand(century(), &none, Some(&g), Rate::ZERO, fy(2025));
            assert!(shown.iter().all(|y| y.is_valid_input()), "{g:?}");
        }
    }
}
