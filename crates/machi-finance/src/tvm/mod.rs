//! Spreadsheet-compatible time-value-of-money functions.
//!
//! Every function here is pure (`f64` in, `f64` out, no IO) and follows a
//! named convention, because the conventions change the numbers:
//!
//! | function | convention | source |
//! |---|---|---|
//! | [`npv`] | [`Timing::Start`]: first value at t = 0 (numpy-financial); [`Timing::End`]: first value discounted one period (Excel `NPV`) | numpy-financial `npv`, Excel `NPV` |
//! | [`irr`], [`irr_all`] | all real roots of NPV(r) = 0 in (−1, ∞); the single answer is the root nearest the guess (0.1 by default) | Excel `IRR`, numpy-financial `irr` |
//! | [`mirr`] | (FV of positives at the reinvestment rate / −PV of negatives at the finance rate)^(1/(n−1)) − 1 | Excel `MIRR`, numpy-financial `mirr` |
//! | [`xnpv`], [`xirr`] | Σ Pᵢ / (1 + r)^yearfrac(d₁, dᵢ), d₁ the first *listed* date; [`DayCount::Act365F`] by default | Excel `XNPV`/`XIRR` |
//! | [`pmt`], [`ipmt`], [`ppmt`], [`nper`], [`rate`], [`fv`], [`pv`] | argument order and signs of numpy-financial (money paid out is negative); [`When::End`] by default | numpy-financial, Excel, OpenFormula (ODF 1.2 part 2) |
//!
//! All functions return `Result`: an `Ok` value is always a finite number, and
//! a result that does not exist (no root, flows of one sign, a period out of
//! range, …) is a [`TvmError`] with a stable [`TvmError::code`] that the user
//! interface translates. Nothing here panics on user input.
//!
//! The annuity identity every function in this module agrees with (OpenFormula
//! 1.2 part 2, §4.11.7 "Financial functions", and numpy-financial):
//!
//! ```text
//! fv + pv·(1+r)^n + pmt·(1 + r·w)·((1+r)^n − 1)/r = 0      (r ≠ 0)
//! fv + pv + pmt·n = 0                                     (r = 0)
//! ```
//!
//! with `w = 0` for payments at the end of each period and `w = 1` at the
//! beginning. `(1+r)^n − 1` is computed as `expm1(n·ln_1p(r))` so that small
//! rates and long horizons do not lose their digits to cancellation.

mod annuity;
mod cashflow;
mod dated;
mod irr;

pub use annuity::{fv, ipmt, nper, pmt, ppmt, pv, rate};
pub use cashflow::{mirr, npv};
pub use dated::{xirr, xnpv};
pub use irr::{irr, irr_all};

use chrono::NaiveDate;

/// The guess that Excel, numpy-financial and machi use when none is given
/// (10 % per period).
pub const DEFAULT_GUESS: f64 = 0.1;

/// When the first value of a periodic series falls, for [`npv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Timing {
    /// The first value is at t = 0 and is not discounted (numpy-financial,
    /// textbooks, machi's default).
    #[default]
    Start,
    /// The first value is at the end of the first period and is discounted
    /// once (Excel's `NPV`).
    End,
}

/// When payments fall within each period, for the annuity functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum When {
    /// At the end of each period (ordinary annuity; numpy-financial `'end'`,
    /// Excel `type = 0`). The default.
    #[default]
    End,
    /// At the beginning of each period (annuity due; numpy-financial
    /// `'begin'`, Excel `type = 1`).
    Begin,
}

impl When {
    /// `w` in the annuity identity: 0 for [`When::End`], 1 for [`When::Begin`].
    fn factor(self) -> f64 {
        match self {
            When::End => 0.0,
            When::Begin => 1.0,
        }
    }
}

/// How the time between two dates becomes a fraction of a year, for [`xnpv`]
/// and [`xirr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DayCount {
    /// Actual days / 365 (Excel's `XNPV` and `XIRR`, `YEARFRAC` basis 3).
    /// The default.
    #[default]
    Act365F,
    /// Actual days / 360 (`YEARFRAC` basis 2).
    Act360,
    /// Actual/actual ISDA: the days falling in each calendar year divided by
    /// that year's length (365 or 366), summed.
    ActActIsda,
    /// 30/360 US (NASD), `YEARFRAC` basis 0, with the end-of-February rules
    /// of OpenFormula 1.2 part 2 §4.11.7.
    Thirty360,
}

/// Why a time-value function has no answer. The [`code`](TvmError::code) is
/// stable and is what user interfaces translate; the English `Display` text
/// is for logs and developers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TvmError {
    /// Fewer values than the function needs.
    #[error("at least {min} values are needed, got {got}")]
    TooFewValues {
        /// The minimum number of values.
        min: usize,
        /// How many were given.
        got: usize,
    },
    /// The cash flows do not contain both a positive and a negative value,
    /// so no rate can make their present value zero.
    #[error("the cash flows need at least one positive and one negative value")]
    SameSignFlows,
    /// The flows change sign, but NPV(r) = 0 has no real root with r > −1.
    #[error("there is no rate above -100% at which the net present value is zero")]
    NoRoot,
    /// An iterative solver (`rate`) did not converge.
    #[error("the solver did not converge within {iterations} iterations")]
    NoConvergence {
        /// The iteration limit that was reached.
        iterations: u32,
    },
    /// The period asked for lies outside `1..=nper`.
    #[error("period {per} is outside 1..={nper}")]
    PeriodOutOfRange {
        /// The period asked for.
        per: f64,
        /// The number of periods.
        nper: f64,
    },
    /// No finite number of periods (or other quantity) solves the equation,
    /// for example a balance that never reaches the target.
    #[error("no finite solution exists for these arguments")]
    NoSolution,
    /// An argument breaks a rule of the function's domain.
    #[error("invalid {argument}: {rule}")]
    InvalidInput {
        /// The argument's name, as in the function signature
        /// (`rate`, `nper`, `values`, …).
        argument: &'static str,
        /// The rule it breaks.
        rule: InputRule,
    },
    /// `values` and `dates` have different lengths.
    #[error("{values} values but {dates} dates")]
    DatesMismatch {
        /// Number of values.
        values: usize,
        /// Number of dates.
        dates: usize,
    },
    /// A date precedes the first listed date (Excel's `#NUM!` for `XNPV`).
    #[error("date {date} is before the first date {start}")]
    DateBeforeStart {
        /// The offending date.
        date: NaiveDate,
        /// The first listed date.
        start: NaiveDate,
    },
    /// The result exists but is too large for a 64-bit float.
    #[error("the result is too large to represent")]
    Overflow,
}

/// A rule of an argument's domain, carried by [`TvmError::InvalidInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum InputRule {
    /// The number must be finite (not NaN or ±∞).
    Finite,
    /// A rate must be greater than −1 (−100 %).
    AboveMinusOne,
    /// The number must not be zero.
    NonZero,
}

impl InputRule {
    /// Every rule, for catalogues that must translate them all.
    pub const ALL: &[InputRule] = <InputRule as strum::VariantArray>::VARIANTS;

    /// Stable kebab-case code, translated as `calc.rule.<code>`.
    pub fn code(self) -> &'static str {
        match self {
            InputRule::Finite => "finite",
            InputRule::AboveMinusOne => "above-minus-one",
            InputRule::NonZero => "non-zero",
        }
    }
}

impl std::fmt::Display for InputRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputRule::Finite => "must be a finite number",
            InputRule::AboveMinusOne => "must be greater than -1",
            InputRule::NonZero => "must not be zero",
        })
    }
}

impl TvmError {
    /// Every code [`TvmError::code`] can return, for catalogues that must
    /// translate them all.
    pub const CODES: [&'static str; 10] = [
        "too-few-values",
        "same-sign-flows",
        "no-root",
        "no-convergence",
        "period-out-of-range",
        "no-solution",
        "invalid-input",
        "dates-mismatch",
        "date-before-start",
        "overflow",
    ];

    /// Stable kebab-case code (`no-root`, `same-sign-flows`, …). User
    /// interfaces translate it as `calc.error.<code>`.
    pub fn code(&self) -> &'static str {
        match self {
            TvmError::TooFewValues { .. } => "too-few-values",
            TvmError::SameSignFlows => "same-sign-flows",
            TvmError::NoRoot => "no-root",
            TvmError::NoConvergence { .. } => "no-convergence",
            TvmError::PeriodOutOfRange { .. } => "period-out-of-range",
            TvmError::NoSolution => "no-solution",
            TvmError::InvalidInput { .. } => "invalid-input",
            TvmError::DatesMismatch { .. } => "dates-mismatch",
            TvmError::DateBeforeStart { .. } => "date-before-start",
            TvmError::Overflow => "overflow",
        }
    }

    /// The named arguments of the message, for `{name}` placeholders in a
    /// translated text. Every variant always yields the same names.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            TvmError::TooFewValues { min, got } => {
                vec![("min", min.to_string()), ("got", got.to_string())]
            }
            TvmError::NoConvergence { iterations } => vec![("iterations", iterations.to_string())],
            TvmError::PeriodOutOfRange { per, nper } => {
                vec![("per", per.to_string()), ("nper", nper.to_string())]
            }
            TvmError::InvalidInput { argument, rule } => vec![
                ("argument", (*argument).to_owned()),
                ("rule", rule.code().to_owned()),
            ],
            TvmError::DatesMismatch { values, dates } => {
                vec![("values", values.to_string()), ("dates", dates.to_string())]
            }
            TvmError::DateBeforeStart { date, start } => {
                vec![("date", date.to_string()), ("start", start.to_string())]
            }
            TvmError::SameSignFlows
            | TvmError::NoRoot
            | TvmError::NoSolution
            | TvmError::Overflow => Vec::new(),
        }
    }
}

/// `Err(InvalidInput)` unless `x` is finite.
fn finite(argument: &'static str, x: f64) -> Result<f64, TvmError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(TvmError::InvalidInput {
            argument,
            rule: InputRule::Finite,
        })
    }
}

/// `Err(InvalidInput)` unless `r` is a finite rate above −100 %.
fn rate_above_minus_one(argument: &'static str, r: f64) -> Result<f64, TvmError> {
    finite(argument, r)?;
    if r > -1.0 {
        Ok(r)
    } else {
        Err(TvmError::InvalidInput {
            argument,
            rule: InputRule::AboveMinusOne,
        })
    }
}

/// `Err(InvalidInput)` unless every value is finite.
fn all_finite(argument: &'static str, values: &[f64]) -> Result<(), TvmError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(TvmError::InvalidInput {
            argument,
            rule: InputRule::Finite,
        })
    }
}

/// Turn an arithmetic result into `Ok` only when it is finite, so that no
/// NaN or infinity reaches a caller (JSON cannot carry them, and a person
/// cannot act on them).
fn finite_result(x: f64) -> Result<f64, TvmError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(TvmError::Overflow)
    }
}

/// Newton/bisection steps allowed when polishing one bracketed root. A
/// bisection happens at least every other step, and 1100 halvings exhaust
/// any `f64` interval within [0, 1] down to the smallest subnormal, so the
/// limit is never the reason a search stops.
const MAX_BRACKETED_STEPS: u32 = 2200;

/// Find the root of `f` in (lo, hi), given a number with the sign of `f`
/// just right of `lo` (`sign_lo`) and knowing that `f` has the opposite sign
/// just left of `hi`. `f` returns the value and the derivative.
///
/// Newton's method from `start`, with the safeguard of Numerical Recipes'
/// `rtsafe`: a bisection replaces the Newton step whenever that step would
/// leave the bracket (which shrinks with every evaluation) or would not at
/// least halve the previous step. The second rule matters for IRR: NPV of a
/// long series near r = −1 behaves like y^n, on which plain Newton creeps
/// by a factor (1 − 1/n) per step. It stops when a step no longer changes
/// the iterate beyond rounding, so the result is as precise as `f` can be
/// evaluated.
#[inline]
fn bracketed_newton(
    f: impl Fn(f64) -> (f64, f64),
    mut lo: f64,
    mut hi: f64,
    sign_lo: f64,
    start: f64,
) -> f64 {
    let lo_positive = sign_lo > 0.0;
    let mut t = if start > lo && start < hi {
        start
    } else {
        0.5 * (lo + hi)
    };
    let mut previous_step = hi - lo;
    // The last Newton correction, for the convergence-rate estimate below.
    let mut previous_newton = f64::NAN;
    for _ in 0..MAX_BRACKETED_STEPS {
        let (value, slope) = f(t);
        if value == 0.0 {
            return t;
        }
        if (value > 0.0) == lo_positive {
            lo = t;
        } else {
            hi = t;
        }
        let newton_step = value / slope;
        if newton_step.abs() <= 2.0 * f64::EPSILON * t.abs() {
            // Newton's correction is below the resolution of t: t is the
            // root to working precision. (Without this test a root that
            // lands on a bracket end makes the next Newton point coincide
            // with that end, and ~20 bisections would follow for nothing.)
            return t;
        }
        let newton = t - newton_step;
        // NaN or ±∞ (slope = 0) fails these comparisons and bisects.
        let use_newton = newton > lo && newton < hi && 2.0 * newton_step.abs() <= previous_step;
        if use_newton {
            // In the quadratic regime eₖ₊₁ ≈ K·eₖ², with K estimated from
            // the last two corrections. When the error predicted after this
            // step is below the resolution of t, one more evaluation would
            // only confirm it: return now. (Near a multiple root convergence
            // is linear, K·step² stays large, and this never fires.)
            let k = newton_step.abs() / (previous_newton * previous_newton);
            if k * newton_step * newton_step <= 0.25 * f64::EPSILON * newton.abs() {
                return newton;
            }
            previous_newton = newton_step;
        } else {
            previous_newton = f64::NAN;
        }
        let next = if use_newton { newton } else { 0.5 * (lo + hi) };
        previous_step = (next - t).abs();
        if previous_step <= 2.0 * f64::EPSILON * next.abs() || next == lo || next == hi {
            return next;
        }
        t = next;
    }
    t
}

/// Lowest and highest u = ln(1+r) that the outward scans search: r from
/// e^−36 − 1 ≈ −1 + 2.3e−16 (the last rates above −100 % that an `f64` can
/// tell from −1) to e^700 − 1 (just inside the `f64` range).
const LOG_RATE_RANGE: (f64, f64) = (-36.0, 700.0);
/// First step of the outward scan, in u = ln(1+r), and its growth per step.
const SCAN_FIRST_STEP: f64 = 0.01;
const SCAN_STEP_GROWTH: f64 = 1.5;

/// The rate nearest `guess` at which `f` changes sign, where `f(u)` gives
/// the value and derivative of a function of u = ln(1+r) (any positive
/// multiple of the NPV-like function whose root is sought).
///
/// Scans outwards from u₀ = ln(1+guess) on both sides with steps of 0.01
/// growing 1.5-fold, stops at the first step that shows a sign change on
/// either side (the nearer in rate terms if both do, ties to the lower
/// rate), and solves that bracket with [`bracketed_newton`]. Two roots
/// closer together than the step at that distance cancel out and are not
/// seen; periodic flows use the exact polynomial method of
/// [`irr_all`] instead. `None` when no sign change exists in the range.
fn nearest_root_by_scan(f: impl Fn(f64) -> (f64, f64), guess: f64) -> Option<f64> {
    let (u_min, u_max) = LOG_RATE_RANGE;
    let u0 = guess.ln_1p().clamp(u_min, u_max);
    let (f0, _) = f(u0);
    if f0 == 0.0 {
        return Some(u0.exp_m1());
    }
    let (mut left, mut f_left) = (u0, f0);
    let (mut right, mut f_right) = (u0, f0);
    let mut step = SCAN_FIRST_STEP;
    while left > u_min || right < u_max {
        let mut found_left = None;
        let mut found_right = None;
        if right < u_max {
            let u = (u0 + step).min(u_max);
            let (fu, _) = f(u);
            if fu.is_nan() {
                // No sign information beyond this point: stop this side.
                right = u_max;
            } else if fu == 0.0 {
                found_right = Some(u);
            } else if (fu > 0.0) != (f_right > 0.0) {
                found_right = Some(bracketed_newton(&f, right, u, f_right, 0.5 * (right + u)));
            }
            if !fu.is_nan() {
                (right, f_right) = (u, fu);
            }
        }
        if left > u_min {
            let u = (u0 - step).max(u_min);
            let (fu, _) = f(u);
            if fu.is_nan() {
                left = u_min;
            } else if fu == 0.0 {
                found_left = Some(u);
            } else if (fu > 0.0) != (f_left > 0.0) {
                found_left = Some(bracketed_newton(&f, u, left, fu, 0.5 * (u + left)));
            }
            if !fu.is_nan() {
                (left, f_left) = (u, fu);
            }
        }
        let found = match (found_left.map(f64::exp_m1), found_right.map(f64::exp_m1)) {
            (Some(l), Some(r)) => Some(if (r - guess).abs() < (l - guess).abs() {
                r
            } else {
                l
            }),
            (l, r) => l.or(r),
        };
        if found.is_some() {
            return found;
        }
        step *= SCAN_STEP_GROWTH;
    }
    None
}
