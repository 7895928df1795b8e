//! Level-payment (annuity) functions: `pmt`, `ipmt`, `ppmt`, `nper`, `rate`,
//! `fv`, `pv`.
//!
//! Sign convention (numpy-financial, Excel, OpenFormula): money paid out is
//! negative, money received positive. A loan of 15 000 received today
//! (`pv = 15000`) is repaid with negative payments.
//!
//! All of them satisfy the identity
//! `fv + pv·(1+r)^n + pmt·(1+r·w)·((1+r)^n − 1)/r = 0` (w = 0 at the end of
//! each period, 1 at the beginning). Powers are written as
//! `exp(n·ln_1p(r))` and `(1+r)^n − 1` as `expm1(n·ln_1p(r))`, and every
//! quotient of two such terms is rearranged so that neither overflows: this
//! is what keeps `ipmt(0.1479, 297, 300, -270.51)` at 16.9656… where the
//! textbook formula subtracts two numbers near 10²⁰ and returns noise.

use super::{
    DEFAULT_GUESS, InputRule, TvmError, When, finite, finite_result, nearest_root_by_scan,
    rate_above_minus_one,
};

/// Newton iterations allowed in [`rate`] (numpy-financial's `maxiter`).
const RATE_MAX_ITERATIONS: u32 = 100;
/// Step size below which [`rate`] has converged. numpy-financial stops at
/// 1e-6; Newton's method converges quadratically, so one more step costs
/// nothing and brings the result to full precision.
const RATE_TOLERANCE: f64 = 1e-12;
/// Largest |g(r)| relative to the sum of its terms' sizes that [`rate`]
/// accepts as a root.
const RATE_RESIDUAL: f64 = 1e-9;

fn nonzero(argument: &'static str, x: f64) -> Result<f64, TvmError> {
    if x == 0.0 {
        Err(TvmError::InvalidInput {
            argument,
            rule: InputRule::NonZero,
        })
    } else {
        Ok(x)
    }
}

/// Payment per period that turns `pv` into `fv` in `nper` periods
/// (numpy-financial `pmt(rate, nper, pv, fv=0, when='end')`, Excel `PMT`).
///
/// `pmt = −(pv·(1+r)^n + fv)·r / ((1 + r·w)·((1+r)^n − 1))`, and
/// `−(pv + fv)/n` when `rate` is 0.
///
/// Example (numpy-financial tests): `pmt(0.08/12, 60, 15000, 0, End)` =
/// −304.145914.
///
/// # Errors
/// `invalid-input` if an argument is not finite, `rate ≤ −1` or `nper = 0`.
pub fn pmt(rate: f64, nper: f64, pv: f64, fv: f64, when: When) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    nonzero("nper", finite("nper", nper)?)?;
    finite("pv", pv)?;
    finite("fv", fv)?;
    if rate == 0.0 {
        return finite_result(-(fv + pv) / nper);
    }
    let nl = nper * rate.ln_1p();
    // (1+r)^n / ((1+r)^n − 1) = −1/expm1(−nL) and 1/((1+r)^n − 1) =
    // 1/expm1(nL): both stay finite for any n·L.
    let pv_weight = -1.0 / (-nl).exp_m1();
    let fv_weight = 1.0 / nl.exp_m1();
    finite_result(-(rate / (1.0 + rate * when.factor())) * (pv * pv_weight + fv * fv_weight))
}

/// Future value after `nper` periods (numpy-financial
/// `fv(rate, nper, pmt, pv, when='end')`, Excel `FV`).
///
/// `fv = −(pv·(1+r)^n + pmt·(1 + r·w)·((1+r)^n − 1)/r)`, and
/// `−(pv + pmt·n)` when `rate` is 0.
///
/// # Errors
/// `invalid-input` for non-finite arguments or `rate ≤ −1`; `overflow` when
/// the compounded value exceeds the `f64` range.
pub fn fv(rate: f64, nper: f64, pmt: f64, pv: f64, when: When) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    finite("nper", nper)?;
    finite("pmt", pmt)?;
    finite("pv", pv)?;
    if rate == 0.0 {
        return finite_result(-(pv + pmt * nper));
    }
    let nl = nper * rate.ln_1p();
    let growth = nl.exp();
    let annuity = nl.exp_m1() / rate;
    finite_result(-(pv * growth + pmt * (1.0 + rate * when.factor()) * annuity))
}

/// Present value of `nper` payments and a final `fv` (numpy-financial
/// `pv(rate, nper, pmt, fv=0, when='end')`, Excel `PV`).
///
/// `pv = −(fv + pmt·(1 + r·w)·((1+r)^n − 1)/r) / (1+r)^n`, and
/// `−(fv + pmt·n)` when `rate` is 0. Computed as
/// `−(fv·(1+r)^−n − pmt·(1+r·w)·expm1(−nL)/r)` so that long horizons do not
/// overflow.
///
/// Example (numpy-financial tests): `pv(0.07, 20, 12000, 0, End)` =
/// −127128.17.
///
/// # Errors
/// `invalid-input` for non-finite arguments or `rate ≤ −1`.
pub fn pv(rate: f64, nper: f64, pmt: f64, fv: f64, when: When) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    finite("nper", nper)?;
    finite("pmt", pmt)?;
    finite("fv", fv)?;
    if rate == 0.0 {
        return finite_result(-(fv + pmt * nper));
    }
    let nl = nper * rate.ln_1p();
    let discount = (-nl).exp();
    let annuity_pv = -(-nl).exp_m1() / rate;
    finite_result(-(fv * discount + pmt * (1.0 + rate * when.factor()) * annuity_pv))
}

/// Number of periods (numpy-financial `nper(rate, pmt, pv, fv=0,
/// when='end')`, Excel `NPER`). May be fractional or negative, as in Excel.
///
/// `nper = ln((z − fv)/(z + pv)) / ln(1+r)` with `z = pmt·(1 + r·w)/r`,
/// computed as `ln_1p(−(fv + pv)/(z + pv)) / ln_1p(r)`; `−(fv + pv)/pmt` when
/// `rate` is 0.
///
/// # Errors
/// `no-solution` when no finite number of periods reaches `fv` (for example
/// `rate = 0` and `pmt = 0`, where numpy-financial returns ∞, or a balance
/// that moves away from the target); `invalid-input` for non-finite
/// arguments or `rate ≤ −1`.
pub fn nper(rate: f64, pmt: f64, pv: f64, fv: f64, when: When) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    finite("pmt", pmt)?;
    finite("pv", pv)?;
    finite("fv", fv)?;
    let n = if rate == 0.0 {
        -(fv + pv) / pmt
    } else {
        let z = pmt * (1.0 + rate * when.factor()) / rate;
        (-(fv + pv) / (z + pv)).ln_1p() / rate.ln_1p()
    };
    if n.is_finite() {
        Ok(n)
    } else {
        Err(TvmError::NoSolution)
    }
}

/// The balance after `k` of `n` level payments that take `pv` to `−fv`,
/// in the sign convention of `pv`; the same for payments at the end or the
/// beginning of periods.
///
/// `B_k = pv·(1+r)^k + pmt·(1+r·w)·((1+r)^k − 1)/r` with `pmt` from [`pmt`]
/// simplifies to `B_k = (pv·(Aₙ − A_k) − fv·(A_k − 1)) / (Aₙ − 1)`,
/// `A_j = (1+r)^j`, which has no difference of large numbers. The two
/// quotients are rewritten with `expm1` of non-positive arguments when
/// r > 0, so they stay in [0, 1] however long the horizon.
fn balance(rate: f64, k: f64, n: f64, pv: f64, fv: f64) -> f64 {
    if rate == 0.0 {
        return pv * (n - k) / n - fv * k / n;
    }
    let l = rate.ln_1p();
    let (pv_share, fv_share) = if l > 0.0 {
        let denominator = (-n * l).exp_m1();
        (
            (-(n - k) * l).exp_m1() / denominator,
            (-(n - k) * l).exp() * (-k * l).exp_m1() / denominator,
        )
    } else {
        let denominator = (n * l).exp_m1();
        (
            (k * l).exp() * ((n - k) * l).exp_m1() / denominator,
            (k * l).exp_m1() / denominator,
        )
    };
    pv * pv_share - fv * fv_share
}

fn check_period(per: f64, nper: f64) -> Result<(), TvmError> {
    // Written so that NaN also fails.
    if per >= 1.0 && per <= nper {
        Ok(())
    } else {
        Err(TvmError::PeriodOutOfRange { per, nper })
    }
}

/// Interest part of payment number `per` (numpy-financial
/// `ipmt(rate, per, nper, pv, fv=0, when='end')`, Excel `IPMT`).
///
/// `ipmt = −B_{per−1}·r`, where `B_{per−1}` is the balance before the
/// payment; with [`When::Begin`] the result is divided by `(1+r)` and is 0
/// for the first period (no interest has accrued yet), as in numpy-financial
/// and Google Sheets.
///
/// Examples: `ipmt(0.1/12, 1, 24, 2000, 0, End)` = −16.666667 (numpy-financial
/// tests); `ipmt(0.1479, 297, 300, -270.51, 0, End)` = 16.9656277018672
/// (numpy-financial issue #35, pyxirr tests), where the usual formula loses
/// every digit.
///
/// # Errors
/// `period-out-of-range` unless `1 ≤ per ≤ nper`; `invalid-input` for
/// non-finite arguments or `rate ≤ −1`.
pub fn ipmt(rate: f64, per: f64, nper: f64, pv: f64, fv: f64, when: When) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    finite("per", per)?;
    finite("nper", nper)?;
    finite("pv", pv)?;
    finite("fv", fv)?;
    check_period(per, nper)?;
    let interest = -balance(rate, per - 1.0, nper, pv, fv) * rate;
    finite_result(match when {
        When::End => interest,
        When::Begin if per == 1.0 => 0.0,
        When::Begin => interest / (1.0 + rate),
    })
}

/// Principal part of payment number `per` (numpy-financial
/// `ppmt(rate, per, nper, pv, fv=0, when='end')`, Excel `PPMT`):
/// `ppmt = pmt − ipmt`.
///
/// Example (numpy-financial tests): `ppmt(0.1/12, 1, 60, 55000, 0, End)` =
/// −710.254126.
///
/// # Errors
/// As [`ipmt`].
pub fn ppmt(rate: f64, per: f64, nper: f64, pv: f64, fv: f64, when: When) -> Result<f64, TvmError> {
    let interest = ipmt(rate, per, nper, pv, fv, when)?;
    let payment = pmt(rate, nper, pv, fv, when)?;
    finite_result(payment - interest)
}

/// Interest rate per period (numpy-financial `rate(nper, pmt, pv, fv,
/// when='end', guess=0.1, tol, maxiter=100)`, Excel `RATE`).
///
/// Solves `g(r) = fv + pv·(1+r)^n + pmt·(1 + r·w)·((1+r)^n − 1)/r = 0`.
///
/// 1. Like numpy-financial: Newton's method on g from `guess` (0.1 when
///    `None`, as Excel and numpy-financial), with the analytic derivative, at
///    most 100 iterations, until a step is below 1e-12; the result must also
///    satisfy g to 1e-9 of the size of its terms (approaching r = −1 steps
///    shrink without there being a root).
/// 2. Where that diverges (Newton on g overshoots badly from a guess on the
///    wrong side, for example 11 payments at 26 %, where numpy-financial
///    returns NaN), machi scans outwards from the guess in ln(1+r) for the
///    nearest sign change and solves that bracket by safeguarded Newton.
///
/// So whenever numpy-financial converges machi returns the same root, and
/// it also finds a root where numpy-financial gives up.
///
/// Example (numpy-financial tests): `rate(10, 0, -3500, 10000, End, None)` =
/// 0.1107.
///
/// # Errors
/// `no-convergence` when neither finds a root (numpy-financial NaN, Excel
/// `#NUM!`), for example when `pv`, `pmt` and `fv` have the same sign;
/// `invalid-input` for non-finite arguments, `nper = 0` or a guess ≤ −1.
pub fn rate(
    nper: f64,
    pmt: f64,
    pv: f64,
    fv: f64,
    when: When,
    guess: Option<f64>,
) -> Result<f64, TvmError> {
    nonzero("nper", finite("nper", nper)?)?;
    finite("pmt", pmt)?;
    finite("pv", pv)?;
    finite("fv", fv)?;
    let guess = rate_above_minus_one("guess", guess.unwrap_or(DEFAULT_GUESS))?;
    let equation = RateEquation {
        n: nper,
        pmt,
        pv,
        fv,
        w: when.factor(),
    };
    if let Some(r) = equation.newton(guess) {
        return finite_result(r);
    }
    nearest_root_by_scan(|u| equation.scaled_in_log_rate(u), guess).map_or(
        Err(TvmError::NoConvergence {
            iterations: RATE_MAX_ITERATIONS,
        }),
        finite_result,
    )
}

/// The annuity identity as an equation in the rate.
struct RateEquation {
    n: f64,
    pmt: f64,
    pv: f64,
    fv: f64,
    w: f64,
}

/// Terms of the identity at one rate.
struct RateTerms {
    /// (1+r)^n.
    growth: f64,
    /// F = ((1+r)^n − 1)/r, the accumulation factor (n at r = 0).
    accumulation: f64,
    /// dF/dr.
    accumulation_slope: f64,
}

impl RateEquation {
    fn terms(&self, r: f64) -> RateTerms {
        let n = self.n;
        let l = r.ln_1p();
        let growth = (n * l).exp();
        // F' = (n·(1+r)^(n−1) − F)/r cancels for small r, so there a series
        // takes over (F' = n(n−1)/2 + n(n−1)(n−2)/6·r + O(r²)). F' only
        // steers Newton's steps; g itself is always evaluated exactly.
        let (accumulation, accumulation_slope) = if r == 0.0 {
            (n, n * (n - 1.0) / 2.0)
        } else {
            let f = (n * l).exp_m1() / r;
            let slope = if r.abs() < 1e-6 {
                n * (n - 1.0) / 2.0 + n * (n - 1.0) * (n - 2.0) / 6.0 * r
            } else {
                (n * growth / (1.0 + r) - f) / r
            };
            (f, slope)
        };
        RateTerms {
            growth,
            accumulation,
            accumulation_slope,
        }
    }

    /// g(r), g'(r), and the sum of the sizes of g's terms.
    fn g(&self, r: f64) -> (f64, f64, f64) {
        let t = self.terms(r);
        let payments = self.pmt * (1.0 + r * self.w) * t.accumulation;
        let value = self.fv + self.pv * t.growth + payments;
        let slope = self.pv * self.n * t.growth / (1.0 + r)
            + self.pmt * (self.w * t.accumulation + (1.0 + r * self.w) * t.accumulation_slope);
        (
            value,
            slope,
            self.fv.abs() + (self.pv * t.growth).abs() + payments.abs(),
        )
    }

    /// numpy-financial's iteration, with a root check at the end.
    fn newton(&self, guess: f64) -> Option<f64> {
        let mut r = guess;
        for _ in 0..RATE_MAX_ITERATIONS {
            let (value, slope, _) = self.g(r);
            let step = value / slope;
            if !step.is_finite() {
                return None;
            }
            let next = r - step;
            if next <= -1.0 {
                return None;
            }
            if (next - r).abs() <= RATE_TOLERANCE {
                let (residual, _, scale) = self.g(next);
                return (residual.abs() <= RATE_RESIDUAL * scale).then_some(next);
            }
            r = next;
        }
        None
    }

    /// A positive multiple of g as a function of u = ln(1+r), finite for
    /// every u, with its derivative d/du. For u < 0 it is g itself, whose
    /// powers (1+r)^n ≤ 1; for u ≥ 0 it is the present-value form
    /// h = g·(1+r)^−n = pv + pmt·(1 + r·w)·G + fv·(1+r)^−n with
    /// G = (1 − (1+r)^−n)/r, whose powers are ≤ 1 too. (Multiplying g by
    /// e^−nu after the fact would give ∞·0 = NaN at large rates.)
    fn scaled_in_log_rate(&self, u: f64) -> (f64, f64) {
        if u < 0.0 {
            let r = u.exp_m1();
            let (value, slope, _) = self.g(r);
            return (value, slope * (1.0 + r));
        }
        let (n, w) = (self.n, self.w);
        let r = u.exp_m1();
        let discount = (-n * u).exp();
        // dG/dr = (n·(1+r)^(−n−1) − G)/r, or its series near r = 0
        // (−n(n+1)/2 + n(n+1)(n+2)/3·r), as in `terms`.
        let (annuity, annuity_slope) = if r == 0.0 {
            (n, -n * (n + 1.0) / 2.0)
        } else {
            let g = -(-n * u).exp_m1() / r;
            let slope = if r < 1e-6 {
                -n * (n + 1.0) / 2.0 + n * (n + 1.0) * (n + 2.0) / 3.0 * r
            } else {
                (n * discount / (1.0 + r) - g) / r
            };
            (g, slope)
        };
        let value = self.pv + self.pmt * (1.0 + r * w) * annuity + self.fv * discount;
        let slope_r = self.pmt * (w * annuity + (1.0 + r * w) * annuity_slope)
            - self.fv * n * discount / (1.0 + r);
        (value, slope_r * (1.0 + r))
    }
}
