//! Loan and bond schedules in whole yen.
//!
//! Conventions (stated because they change the numbers):
//! - the principal arrives in the drawdown fiscal year;
//! - payments are annual, at the end of each fiscal year, starting the year
//!   after drawdown and ending `tenor_years` after it;
//! - the first `grace_years` payments are interest only (据置期間);
//! - interest of a year = opening balance × rate, rounded to the yen half
//!   away from zero;
//! - annuity (元利均等): the level payment is `P·r / (1 − (1+r)^−n)` over the
//!   `n = tenor − grace` repayment years (the PMT formula, Excel `PMT` /
//!   numpy-financial `pmt`), rounded to the yen; straight-line (元金均等):
//!   `P / n` a year rounded down; bullet (満期一括): all principal in the last
//!   year. In every profile the last payment repays exactly the remaining
//!   balance, so rounding never leaves a yen outstanding.

use machi_domain::project::{DebtTerms, Repayment};
use machi_domain::{FiscalYear, Yen};
use rust_decimal::{Decimal, MathematicalOps};
use serde::Serialize;

/// One year of a debt schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DebtYear {
    /// The fiscal year.
    pub fiscal_year: FiscalYear,
    /// Balance at the start of the year (after any earlier drawdown).
    pub opening: Yen,
    /// Money borrowed this year.
    pub drawdown: Yen,
    /// Interest paid this year.
    pub interest: Yen,
    /// Principal repaid this year.
    pub principal: Yen,
    /// Balance at the end of the year.
    pub closing: Yen,
}

/// The full schedule of one loan or bond, from drawdown to maturity (which
/// may lie beyond the horizon: the engine then reports the balance left).
///
/// For terms that validation accepts this is [`checked_schedule`], which
/// cannot fail for them. For other terms whose arithmetic leaves the range
/// (a rate far above 100 %, a principal near `i64::MAX`) it is empty rather
/// than wrong: nothing is evaluated from such terms, since validation
/// refuses them.
pub fn schedule(t: &DebtTerms) -> Vec<DebtYear> {
    checked_schedule(t).unwrap_or_default()
}

/// The full schedule of one loan or bond with checked arithmetic, or `None`
/// if an amount leaves `i64` (or the maturity's year number leaves `i32`).
/// Years after FY[`FiscalYear::MAX`] may appear: a loan may mature after
/// every horizon machi accepts.
///
/// With a principal of at most [`Yen::MAX_INPUT`] and a rate of 0–100 %
/// (validation) nothing can: the balance never exceeds the principal,
/// interest is at most the balance, and the level payment is at most twice
/// the principal (`P·r / (1 − (1+r)^−n)` is largest at r = 100 %, n = 1).
pub fn checked_schedule(t: &DebtTerms) -> Option<Vec<DebtYear>> {
    let p = t.principal;
    let r = t.rate.get();
    let grace = t.grace_years.min(t.tenor_years);
    let n = t.tenor_years - grace;
    let tenor = i32::try_from(t.tenor_years).ok()?;
    t.drawdown.year().checked_add(tenor)?;
    let mut out = Vec::new();
    out.push(DebtYear {
        fiscal_year: t.drawdown,
        opening: Yen::ZERO,
        drawdown: p,
        interest: Yen::ZERO,
        principal: Yen::ZERO,
        closing: p,
    });
    let level = annuity_payment(p, r, n)?;
    let straight = if n == 0 {
        p
    } else {
        Yen(p.get() / i64::from(n))
    };
    let mut balance = p;
    for (k, year) in (1..=t.tenor_years).zip(1..) {
        let interest = Yen::from_decimal_round(balance.to_decimal().checked_mul(r)?)?;
        let last = k == t.tenor_years;
        let principal = if k <= grace {
            Yen::ZERO
        } else if last {
            balance
        } else {
            match t.repayment {
                Repayment::Annuity => level.checked_sub(interest)?.min(balance).max(Yen::ZERO),
                Repayment::StraightLine => straight.min(balance),
                Repayment::Bullet => Yen::ZERO,
            }
        };
        let closing = balance.checked_sub(principal)?;
        out.push(DebtYear {
            fiscal_year: t.drawdown.plus(year),
            opening: balance,
            drawdown: Yen::ZERO,
            interest,
            principal,
            closing,
        });
        balance = closing;
    }
    Some(out)
}

/// The level annual payment of an annuity: `P·r / (1 − (1+r)^−n)`, or `P/n`
/// when r = 0. Source: the PMT formula (Excel `PMT`, numpy-financial `pmt`
/// with fv = 0, when = end), computed in exact decimals and rounded to the
/// yen; `None` if it leaves the range.
///
/// When `(1+r)^n` exceeds what a decimal holds (about 7.9 × 10^28, e.g.
/// r = 100 % over 96 years or more) it is taken as that maximum: the true
/// payment then differs from `P·r` by less than `P·r` × 1.3 × 10^−29, under
/// a yen in 10^15 for any principal machi accepts.
fn annuity_payment(p: Yen, r: Decimal, n: u32) -> Option<Yen> {
    if n == 0 {
        return Some(p);
    }
    if r.is_zero() {
        return Yen::from_decimal_round(p.to_decimal().checked_div(Decimal::from(n))?);
    }
    let growth = Decimal::ONE
        .checked_add(r)?
        .checked_powi(i64::from(n))
        .unwrap_or(Decimal::MAX);
    let denom = Decimal::ONE.checked_sub(Decimal::ONE.checked_div(growth)?)?;
    if denom.is_zero() {
        return Some(p);
    }
    Yen::from_decimal_round(p.to_decimal().checked_mul(r)?.checked_div(denom)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use machi_domain::Rate;

    fn terms(
        principal: i64,
        rate: &str,
        tenor: u32,
        grace: u32,
        repayment: Repayment,
    ) -> DebtTerms {
        DebtTerms {
            principal: Yen(principal),
            drawdown: FiscalYear::new(2024).expect("year"),
            rate: rate.parse::<Rate>().expect("rate"),
            tenor_years: tenor,
            grace_years: grace,
            repayment,
        }
    }

    #[test]
    fn annuity_matches_excel_pmt() {
        // Excel: =PMT(5%, 10, -10000000) = 1,295,045.75 → ¥1,295,046.
        let s = schedule(&terms(10_000_000, "0.05", 10, 0, Repayment::Annuity));
        assert_eq!(s.len(), 11);
        assert_eq!(s[1].interest, Yen(500_000));
        assert_eq!(s[1].interest + s[1].principal, Yen(1_295_046));
        assert_eq!(s.iter().map(|y| y.principal).sum::<Yen>(), Yen(10_000_000));
        assert_eq!(s.last().map(|y| y.closing), Some(Yen::ZERO));
    }

    #[test]
    fn grace_then_straight_line() {
        let s = schedule(&terms(9_000_000, "0.01", 5, 2, Repayment::StraightLine));
        let principal: Vec<i64> = s.iter().map(|y| y.principal.get()).collect();
        assert_eq!(principal, [0, 0, 0, 3_000_000, 3_000_000, 3_000_000]);
        let interest: Vec<i64> = s.iter().map(|y| y.interest.get()).collect();
        assert_eq!(interest, [0, 90_000, 90_000, 90_000, 60_000, 30_000]);
    }

    #[test]
    fn bullet_and_zero_rate() {
        let s = schedule(&terms(1_000_000, "0", 3, 0, Repayment::Bullet));
        let principal: Vec<i64> = s.iter().map(|y| y.principal.get()).collect();
        assert_eq!(principal, [0, 0, 0, 1_000_000]);
        let s = schedule(&terms(1_000_000, "0", 3, 0, Repayment::Annuity));
        let principal: Vec<i64> = s.iter().map(|y| y.principal.get()).collect();
        assert_eq!(principal, [0, 333_333, 333_333, 333_334]);
    }
}
