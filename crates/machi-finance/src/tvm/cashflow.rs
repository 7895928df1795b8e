//! Present value and modified IRR of a periodic series of cash flows.

use super::{Timing, TvmError, all_finite, finite_result, rate_above_minus_one};

/// Net present value of periodic cash flows at `rate` per period.
///
/// * [`Timing::Start`] (numpy-financial `npv`, textbooks):
///   `NPV = Σᵢ valuesᵢ / (1 + rate)^i`, i = 0, 1, …; the first value is at
///   t = 0 and is not discounted.
/// * [`Timing::End`] (Excel `NPV`): `NPV = Σᵢ valuesᵢ / (1 + rate)^(i+1)`;
///   "the investment begins one period before the date of the value1 cash
///   flow" (Microsoft, *NPV function*).
///
/// The two differ by exactly one factor `(1 + rate)`. Example from machi's
/// reference notes: `[-40000, 5000, 8000, 12000, 30000]` at 8 % gives
/// 3065.2227 with `Start` and 2838.1691 with `End`.
///
/// # Errors
/// `too-few-values` for an empty series; `invalid-input` for a non-finite
/// value or a rate ≤ −1 (the discount factor would be infinite or undefined);
/// `overflow` if the sum does not fit in an `f64`.
pub fn npv(rate: f64, values: &[f64], timing: Timing) -> Result<f64, TvmError> {
    rate_above_minus_one("rate", rate)?;
    all_finite("values", values)?;
    if values.is_empty() {
        return Err(TvmError::TooFewValues { min: 1, got: 0 });
    }
    // Horner's scheme in the discount factor d = 1/(1+r): one division in
    // total instead of one power per value, and no intermediate
    // (1+r)^i that could overflow before the sum does. (Plain `*` and `+`
    // rather than `mul_add`: without a target FMA feature `mul_add` is a
    // library call per value.)
    let d = 1.0 / (1.0 + rate);
    let at_start = values.iter().rev().fold(0.0, |acc, &v| acc * d + v);
    finite_result(match timing {
        Timing::Start => at_start,
        Timing::End => at_start * d,
    })
}

/// Modified internal rate of return.
///
/// `MIRR = (FV⁺ / −PV⁻)^(1/(n−1)) − 1`, where FV⁺ is the value at the last
/// period of the positive flows compounded at `reinvest_rate`, PV⁻ the value
/// at t = 0 of the negative flows discounted at `finance_rate`, and n the
/// number of values. This is the formula of Excel `MIRR` and of
/// numpy-financial `mirr` (they agree).
///
/// # Errors
/// `too-few-values` for fewer than two values; `same-sign-flows` unless there
/// is at least one positive and one negative value (Excel `#DIV/0!`,
/// numpy-financial NaN); `invalid-input` for non-finite values or a rate
/// ≤ −1.
pub fn mirr(values: &[f64], finance_rate: f64, reinvest_rate: f64) -> Result<f64, TvmError> {
    rate_above_minus_one("finance_rate", finance_rate)?;
    rate_above_minus_one("reinvest_rate", reinvest_rate)?;
    all_finite("values", values)?;
    if values.len() < 2 {
        return Err(TvmError::TooFewValues {
            min: 2,
            got: values.len(),
        });
    }
    let growth = 1.0 + reinvest_rate;
    let discount = 1.0 / (1.0 + finance_rate);
    // FV⁺ = Σ max(vᵢ, 0)·(1+rr)^(n−1−i): Horner forward.
    let fv_positive = values.iter().fold(0.0, |acc, &v| acc * growth + v.max(0.0));
    // PV⁻ = Σ min(vᵢ, 0)/(1+fr)^i: Horner backward.
    let pv_negative = values
        .iter()
        .rev()
        .fold(0.0, |acc, &v| acc * discount + v.min(0.0));
    if !(fv_positive > 0.0 && pv_negative < 0.0) {
        return Err(TvmError::SameSignFlows);
    }
    // Ratio through logarithms so that long series with large compounding
    // do not overflow the quotient before the root brings it back down.
    let periods = (values.len() - 1) as f64;
    let log_ratio = fv_positive.ln() - (-pv_negative).ln();
    finite_result((log_ratio / periods).exp_m1())
}
