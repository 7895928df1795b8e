//! Cash flows on arbitrary dates: `xnpv`, `xirr` and the day counts behind
//! them.

use chrono::{Datelike, NaiveDate};

use super::{
    DEFAULT_GUESS, DayCount, TvmError, all_finite, finite_result, nearest_root_by_scan,
    rate_above_minus_one,
};

impl DayCount {
    /// The length of the period from `start` to `end` in years under this
    /// convention; negative when `end` is before `start`.
    ///
    /// * `Act365F`: days / 365.
    /// * `Act360`: days / 360.
    /// * `ActActIsda`: days in each calendar year / that year's length
    ///   (ISDA 2006 §4.16(b)); 1 Nov 2003 → 1 May 2004 is
    ///   61/365 + 121/366.
    /// * `Thirty360`: 30/360 US as Excel's `YEARFRAC` basis 0 computes it,
    ///   following Microsoft's implementer notes (MS-OI29500 §2.1.1011,
    ///   "US (NASD) 30/360"): if both days are the 31st, both become 30;
    ///   otherwise a start on the 31st becomes 30; otherwise an end on the
    ///   31st after a start on the 30th becomes 30; otherwise if both dates
    ///   are the last day of February both become 30; otherwise a start on
    ///   the last day of February becomes 30. Then
    ///   `(360·Δyears + 30·Δmonths + Δdays) / 360`.
    pub fn year_fraction(self, start: NaiveDate, end: NaiveDate) -> f64 {
        if end < start {
            return -self.year_fraction(end, start);
        }
        let days = (end - start).num_days() as f64;
        match self {
            DayCount::Act365F => days / 365.0,
            DayCount::Act360 => days / 360.0,
            DayCount::ActActIsda => act_act_isda(start, end),
            DayCount::Thirty360 => thirty_360_us(start, end),
        }
    }
}

fn days_in_year(year: i32) -> f64 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366.0
    } else {
        365.0
    }
}

fn act_act_isda(start: NaiveDate, end: NaiveDate) -> f64 {
    if start.year() == end.year() {
        return (end - start).num_days() as f64 / days_in_year(start.year());
    }
    // First partial year, whole years in between, last partial year. The
    // 1 January of a year after `start` always exists, so the `map_or`
    // fallbacks (a year beyond chrono's range) are never taken in practice.
    let next_new_year = NaiveDate::from_ymd_opt(start.year() + 1, 1, 1);
    let last_new_year = NaiveDate::from_ymd_opt(end.year(), 1, 1);
    let head =
        next_new_year.map_or(0.0, |d| (d - start).num_days() as f64) / days_in_year(start.year());
    let tail =
        last_new_year.map_or(0.0, |d| (end - d).num_days() as f64) / days_in_year(end.year());
    head + tail + f64::from(end.year() - start.year() - 1)
}

fn is_last_of_february(date: NaiveDate) -> bool {
    date.month() == 2 && date.succ_opt().is_none_or(|next| next.month() == 3)
}

fn thirty_360_us(start: NaiveDate, end: NaiveDate) -> f64 {
    let (mut d1, mut d2) = (start.day(), end.day());
    if d1 == 31 && d2 == 31 {
        d1 = 30;
        d2 = 30;
    } else if d1 == 31 {
        d1 = 30;
    } else if d1 == 30 && d2 == 31 {
        d2 = 30;
    } else if is_last_of_february(start) && is_last_of_february(end) {
        d1 = 30;
        d2 = 30;
    } else if is_last_of_february(start) {
        d1 = 30;
    }
    let days = 360 * (end.year() - start.year())
        + 30 * (end.month() as i32 - start.month() as i32)
        + (d2 as i32 - d1 as i32);
    f64::from(days) / 360.0
}

/// Validated dated flows: year fractions from the first listed date.
fn year_fractions(
    values: &[f64],
    dates: &[NaiveDate],
    day_count: DayCount,
    min: usize,
) -> Result<Vec<f64>, TvmError> {
    all_finite("values", values)?;
    if values.len() != dates.len() {
        return Err(TvmError::DatesMismatch {
            values: values.len(),
            dates: dates.len(),
        });
    }
    if values.len() < min {
        return Err(TvmError::TooFewValues {
            min,
            got: values.len(),
        });
    }
    let start = dates[0];
    dates
        .iter()
        .map(|&date| {
            if date < start {
                Err(TvmError::DateBeforeStart { date, start })
            } else {
                Ok(day_count.year_fraction(start, date))
            }
        })
        .collect()
}

/// Net present value of cash flows on arbitrary dates (Excel `XNPV`).
///
/// `XNPV = Σᵢ Pᵢ / (1 + rate)^yearfrac(d₁, dᵢ)`, where d₁ is the *first listed*
/// date (not the earliest: Excel's rule, and every other date must not be
/// before it) and `yearfrac` follows `day_count` ([`DayCount::Act365F`],
/// `(dᵢ − d₁)/365`, is Excel's).
///
/// Example (Microsoft, *XNPV function*): −10 000, 2 750, 4 250, 3 250, 2 750
/// on 2008-01-01, 03-01, 10-30, 2009-02-15, 04-01 at 9 % → 2086.6476.
///
/// # Errors
/// `dates-mismatch` (lengths differ), `too-few-values` (empty),
/// `date-before-start`, `invalid-input` (non-finite value or rate ≤ −1),
/// `overflow`.
pub fn xnpv(
    rate: f64,
    values: &[f64],
    dates: &[NaiveDate],
    day_count: DayCount,
) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    let times = year_fractions(values, dates, day_count, 1)?;
    let log_growth = rate.ln_1p();
    let sum = values
        .iter()
        .zip(&times)
        .map(|(p, t)| p * (-t * log_growth).exp())
        .sum();
    finite_result(sum)
}

/// Internal rate of return of cash flows on arbitrary dates (Excel `XIRR`):
/// the rate r > −1 at which [`xnpv`] is zero.
///
/// Excel iterates Newton's method from `guess` (0.1 by default). machi
/// scans outwards from the guess in u = ln(1+r), with steps of 0.01 growing
/// 1.5-fold, for the first sign change of the XNPV on either side, and
/// solves that bracket by safeguarded Newton's method; if both sides change
/// sign at the same step, the root nearer the guess wins. So the answer is
/// the root nearest the guess among those the scan can separate: two roots
/// closer together than the scan's step at that distance can be missed
/// (the periodic [`irr_all`](super::irr_all) has no such limit). XNPV is
/// scaled by a positive factor per u so that no power overflows near
/// r = −1.
///
/// Example (Microsoft, *XIRR function*): the flows of the [`xnpv`] example
/// give 0.373362535.
///
/// # Errors
/// `same-sign-flows`, `no-root` (no sign change anywhere in the searched
/// range), `dates-mismatch`, `too-few-values` (fewer than two),
/// `date-before-start`, `invalid-input` (non-finite value, guess ≤ −1).
pub fn xirr(
    values: &[f64],
    dates: &[NaiveDate],
    guess: Option<f64>,
    day_count: DayCount,
) -> Result<f64, TvmError> {
    let guess = rate_above_minus_one("guess", guess.unwrap_or(DEFAULT_GUESS))?;
    let times = year_fractions(values, dates, day_count, 2)?;
    let has_positive = values.iter().any(|&v| v > 0.0);
    let has_negative = values.iter().any(|&v| v < 0.0);
    if !(has_positive && has_negative) {
        return Err(TvmError::SameSignFlows);
    }
    let t_max = times.iter().fold(0.0_f64, |m, &t| m.max(t));
    if t_max <= 0.0 {
        // All flows on the first date: NPV does not depend on the rate.
        return Err(TvmError::NoRoot);
    }
    // g(u) = Σ Pᵢ·exp(−u·tᵢ − c(u)) with c(u) = max(0, −u·t_max) = the
    // largest exponent, so every term is at most |Pᵢ|. The factor e^−c(u)
    // is positive: g has the roots and signs of XNPV.
    let g = |u: f64| -> (f64, f64) {
        let (shift, shift_slope) = if u < 0.0 {
            (-u * t_max, -t_max)
        } else {
            (0.0, 0.0)
        };
        values
            .iter()
            .zip(&times)
            .fold((0.0, 0.0), |(value, slope), (&p, &t)| {
                let term = p * (-u * t - shift).exp();
                (value + term, slope - (t + shift_slope) * term)
            })
    };
    nearest_root_by_scan(g, guess).map_or(Err(TvmError::NoRoot), finite_result)
}
