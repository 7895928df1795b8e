//! Internal rate of return: every real root of NPV(r) = 0 with r > −1.
//!
//! # Method
//!
//! NPV(r) = Σ vᵢ (1+r)^−i is a polynomial in x = 1/(1+r). Rather than work
//! on the unbounded x > 0 (where x^n overflows for rates near −100 %), the
//! domain r > −1 is split in two halves that are both the unit interval:
//!
//! * r ≥ 0 ⇔ x = 1/(1+r) ∈ (0, 1], polynomial p(x) = Σ vᵢ xⁱ;
//! * −1 < r < 0 ⇔ y = 1+r ∈ (0, 1), polynomial q(y) = Σ vᵢ y^(n−i)
//!   = (1+r)ⁿ·NPV(r).
//!
//! On [0, 1] powers never exceed 1, so Horner's scheme is well conditioned.
//!
//! *Fast path.* Leading and trailing zero flows are dropped (they only
//! multiply NPV by a power of 1+r). If the remaining flows change sign once,
//! Descartes' rule of signs says there is exactly one root with r > −1; the
//! sign of Σ vᵢ = NPV(0) tells which half holds it, and Newton's method
//! safeguarded by bisection on that bracket finds it in a few evaluations
//! without allocating.
//!
//! *General case.* With several sign changes the roots are isolated with
//! Bernstein coefficients and de Casteljau subdivision: the number of sign
//! changes of the Bernstein coefficients on an interval bounds the number of
//! roots in it (Descartes' rule in Bernstein form), so intervals with 0
//! changes hold no root, intervals with 1 change hold exactly one (solved
//! like the fast path, in x or y, from where the control polygon crosses
//! zero), and the rest are halved. In the variable z = 1/(2+r), which maps
//! r ∈ (−1, ∞) onto (0, 1), (1−z)ⁿ·NPV = Σ vᵢ zⁱ(1−z)^(n−i): the Bernstein
//! coefficients of the whole domain are simply vᵢ/C(n, i), and one split at
//! z = ½ (r = 0) yields both halves. (Past 170 flows, where C(n, i) leaves
//! the `f64` range, each half's polynomial is converted on its own unit
//! interval instead.) Roots closer together than the last bits of an `f64`
//! (multiple roots) are reported once, as the midpoint of the final tiny
//! interval. No eigenvalue solver is involved, so nothing is lost to
//! complex-pair rounding.

use super::{DEFAULT_GUESS, TvmError, all_finite, bracketed_newton, rate_above_minus_one};

/// Halvings after which an interval that still shows several sign changes is
/// taken to hold a multiple root: 2⁻⁴⁵ ≈ 3e−14, a few hundred units in the
/// last place of the unit interval, where rounding in the Bernstein
/// coefficients starts to blur the sign pattern.
const MAX_DEPTH: u32 = 45;

/// Roots closer than this (relative to 1 + |r|) are the same root reported
/// twice, for example from both sides of a multiple root.
const DUPLICATE_TOLERANCE: f64 = 1e-10;

/// Internal rate of return: the rate r > −1 at which the NPV of `values`
/// (first value at t = 0) is zero.
///
/// Flows with several sign changes can have several such rates
/// (`[-100, 100, 0, -7]` has about −0.679 and −0.0833); then the root
/// *nearest to `guess`* is returned (0.1 when `None`, Excel's and
/// numpy-financial's default), ties going to the lower rate. Excel reaches a
/// root by Newton's method from the guess; choosing the nearest of all roots
/// makes the answer deterministic and independent of how an iteration
/// happens to wander. Use [`irr_all`] to see every root.
///
/// Conventional flows (one sign change) have exactly one root, found on the
/// fast path without allocating.
///
/// Sources: Excel `IRR` (guess 0.1); numpy-financial `irr`; root location by
/// Descartes' rule of signs (see the module notes).
///
/// # Errors
/// `too-few-values` (fewer than two values), `same-sign-flows` (no positive
/// or no negative value), `no-root` (sign changes but no real root above
/// −100 %), `invalid-input` (non-finite value, guess ≤ −1).
pub fn irr(values: &[f64], guess: Option<f64>) -> Result<f64, TvmError> {
    let guess = rate_above_minus_one("guess", guess.unwrap_or(DEFAULT_GUESS))?;
    let flows = Flows::new(values)?;
    if flows.sign_changes == 1 {
        return Ok(flows.single_root());
    }
    let roots = flows.all_roots();
    roots
        .iter()
        .copied()
        // Sorted ascending, and `min_by` keeps the first of equal keys:
        // ties go to the lower rate.
        .min_by(|a, b| (a - guess).abs().total_cmp(&(b - guess).abs()))
        .ok_or(TvmError::NoRoot)
}

/// Every real internal rate of return r > −1 of `values` (first value at
/// t = 0), sorted ascending, each once. Never empty on success.
///
/// `[-100, 100, 0, -7]` gives about `[-0.679, -0.0833]`. See the module notes
/// for the method; every root it returns makes NPV zero to within rounding.
///
/// # Errors
/// `too-few-values`, `same-sign-flows`, `no-root` (for example
/// `[-1, 1, -1]`, whose NPV never reaches zero), `invalid-input`.
pub fn irr_all(values: &[f64]) -> Result<Vec<f64>, TvmError> {
    let flows = Flows::new(values)?;
    let roots = if flows.sign_changes == 1 {
        vec![flows.single_root()]
    } else {
        flows.all_roots()
    };
    if roots.is_empty() {
        Err(TvmError::NoRoot)
    } else {
        Ok(roots)
    }
}

/// Validated cash flows with leading and trailing zeros removed.
struct Flows<'a> {
    /// First and last entries are non-zero.
    values: &'a [f64],
    /// Sign changes between consecutive non-zero values (≥ 1).
    sign_changes: usize,
}

impl<'a> Flows<'a> {
    fn new(values: &'a [f64]) -> Result<Self, TvmError> {
        all_finite("values", values)?;
        if values.len() < 2 {
            return Err(TvmError::TooFewValues {
                min: 2,
                got: values.len(),
            });
        }
        let first = values.iter().position(|&v| v != 0.0);
        let last = values.iter().rposition(|&v| v != 0.0);
        let (Some(first), Some(last)) = (first, last) else {
            return Err(TvmError::SameSignFlows);
        };
        let values = &values[first..=last];
        let mut sign_changes = 0;
        let mut previous_positive = values[0] > 0.0;
        for &v in &values[1..] {
            if v != 0.0 {
                let positive = v > 0.0;
                if positive != previous_positive {
                    sign_changes += 1;
                }
                previous_positive = positive;
            }
        }
        if sign_changes == 0 {
            return Err(TvmError::SameSignFlows);
        }
        Ok(Flows {
            values,
            sign_changes,
        })
    }

    /// The root when there is exactly one (one sign change). The search
    /// always starts from the same point (the default guess), so the result
    /// is bit-for-bit the same whatever guess the caller gave: with one root
    /// the guess cannot change the answer, and it must not change its last
    /// digits either.
    fn single_root(&self) -> f64 {
        let v = self.values;
        let first_positive = v[0] > 0.0;
        let total: f64 = v.iter().sum();
        if total == 0.0 {
            return 0.0;
        }
        // p(0) = v₀ and p(1) = NPV(0): opposite signs put the root at r > 0.
        if (total > 0.0) != first_positive {
            let poly = Poly::new(v, Half::NonNegativeRates);
            let start = 1.0 / (1.0 + DEFAULT_GUESS);
            let x = bracketed_newton(|x| poly.eval(x), 0.0, 1.0, v[0], start);
            rate_from_x(x)
        } else {
            // q(0) = vₙ and q(1) = NPV(0) have opposite signs: −1 < r < 0.
            let poly = Poly::new(v, Half::NegativeRates);
            let start = 1.0 - DEFAULT_GUESS;
            let y = bracketed_newton(|y| poly.eval(y), 0.0, 1.0, v[v.len() - 1], start);
            y - 1.0
        }
    }

    /// All roots, sorted and deduplicated (possibly none).
    fn all_roots(&self) -> Vec<f64> {
        let v = self.values;
        let n = v.len() - 1;
        let mut roots = Vec::new();
        // NPV(0) = Σ v exactly zero: r = 0, where the two halves meet.
        if v.iter().sum::<f64>() == 0.0 {
            roots.push(0.0);
        }
        // Scaling does not move roots; it keeps the Bernstein coefficients,
        // which are weighted averages, near 1.
        let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        let positive = Poly::new(v, Half::NonNegativeRates);
        let negative = Poly::new(v, Half::NegativeRates);
        if n < FACTORIALS.len() {
            // With z = 1/(2 + r), which maps r ∈ (−1, ∞) onto z ∈ (0, 1)
            // (x = z/(1−z)), (1−z)ⁿ·NPV = Σ vᵢ zⁱ (1−z)^(n−i): the flows
            // divided by C(n, i) are already Bernstein coefficients on the
            // whole domain. One split at z = ½ (r = 0) gives both halves,
            // half the work of converting each half separately.
            let mut right: Vec<f64> = v
                .iter()
                .enumerate()
                .map(|(i, &x)| x / scale * inverse_binomial(n, i))
                .collect();
            let mut left = vec![0.0; n + 1];
            de_casteljau_halves(&mut left, &mut right);
            positive.isolate(&left, 0.0, 0.5, 1, Chart::Mobius, &mut roots);
            negative.isolate(&right, 0.5, 1.0, 1, Chart::Mobius, &mut roots);
        } else {
            // Beyond 170! the binomial weights leave the f64 range: convert
            // each half's polynomial on its own unit interval instead.
            for poly in [&positive, &negative] {
                let a = (0..=n).map(|j| poly.power_coefficient(j) / scale).collect();
                poly.isolate(
                    &bernstein_from_power(a),
                    0.0,
                    1.0,
                    0,
                    Chart::Own,
                    &mut roots,
                );
            }
        }
        roots.sort_by(f64::total_cmp);
        roots.dedup_by(|later, earlier| {
            (*later - *earlier).abs() <= DUPLICATE_TOLERANCE * (1.0 + earlier.abs())
        });
        roots
    }
}

/// k! for k = 0..=170 (171! overflows an `f64`). Exact up to 22!, then
/// correctly rounded products: relative error below 2e−14 at 170!, which
/// only perturbs the coefficients used to *isolate* roots (they are then
/// polished on the exact flows).
const FACTORIALS: [f64; 171] = {
    let mut table = [1.0; 171];
    let mut k = 1;
    while k < table.len() {
        table[k] = table[k - 1] * k as f64;
        k += 1;
    }
    table
};

/// 1/C(n, i) = i!·(n−i)!/n!, for n ≤ 170; ordered so that nothing overflows.
fn inverse_binomial(n: usize, i: usize) -> f64 {
    FACTORIALS[i] / FACTORIALS[n] * FACTORIALS[n - i]
}

/// The parameter a Bernstein representation is written in.
#[derive(Clone, Copy)]
enum Chart {
    /// The half's own variable (x or y) on [0, 1].
    Own,
    /// z = 1/(2 + r): z ∈ [0, ½] is r ≥ 0, z ∈ [½, 1] is r ≤ 0.
    Mobius,
}

/// r = 1/x − 1, written to stay exact near x = 1 (r near 0).
fn rate_from_x(x: f64) -> f64 {
    (1.0 - x) / x
}

#[derive(Clone, Copy)]
enum Half {
    /// p(x) = Σ vᵢ xⁱ, x = 1/(1+r) ∈ (0, 1]: rates r ≥ 0.
    NonNegativeRates,
    /// q(y) = Σ vᵢ y^(n−i), y = 1+r ∈ (0, 1): rates −1 < r < 0.
    NegativeRates,
}

/// One half's polynomial on [0, 1], stored as the original flows.
struct Poly<'a> {
    values: &'a [f64],
    half: Half,
}

impl<'a> Poly<'a> {
    fn new(values: &'a [f64], half: Half) -> Self {
        Poly { values, half }
    }

    /// Value and derivative at t (0 < t ≤ 1).
    #[inline]
    fn eval(&self, t: f64) -> (f64, f64) {
        match self.half {
            Half::NonNegativeRates => eval_ascending(self.values, t),
            Half::NegativeRates => eval_descending(self.values, t),
        }
    }

    /// Coefficient of t^j in the power basis.
    fn power_coefficient(&self, j: usize) -> f64 {
        match self.half {
            Half::NonNegativeRates => self.values[j],
            Half::NegativeRates => self.values[self.values.len() - 1 - j],
        }
    }

    /// The half's own variable (x or y) at chart parameter `s`.
    fn variable(&self, chart: Chart, s: f64) -> f64 {
        match (chart, self.half) {
            (Chart::Own, _) => s,
            (Chart::Mobius, Half::NonNegativeRates) => s / (1.0 - s),
            (Chart::Mobius, Half::NegativeRates) => (1.0 - s) / s,
        }
    }

    /// The rate at the half's variable `t`, if `t` lies in the half (which
    /// excludes r = ∞ and r = −1, and r = 0 from the negative half).
    fn rate(&self, t: f64) -> Option<f64> {
        match self.half {
            Half::NonNegativeRates => (t > 0.0 && t <= 1.0).then(|| rate_from_x(t)),
            Half::NegativeRates => (t > 0.0 && t < 1.0).then_some(t - 1.0),
        }
    }

    /// Push the rate of every root whose chart parameter lies in (lo, hi),
    /// given the Bernstein coefficients `b` of the polynomial there.
    fn isolate(&self, b: &[f64], lo: f64, hi: f64, depth: u32, chart: Chart, out: &mut Vec<f64>) {
        let (changes, first_sign, last_sign) = sign_changes(b);
        let mut push = |t: f64| out.extend(self.rate(t));
        match changes {
            0 => {}
            1 => {
                let (mut a, mut c) = (self.variable(chart, lo), self.variable(chart, hi));
                let mut sign_a = first_sign;
                // y = (1−z)/z falls as z grows: the bracket turns round.
                if matches!((chart, self.half), (Chart::Mobius, Half::NegativeRates)) {
                    (a, c) = (c, a);
                    sign_a = last_sign;
                }
                let start = self.variable(chart, control_polygon_crossing(b, lo, hi));
                push(bracketed_newton(|t| self.eval(t), a, c, sign_a, start));
            }
            _ if depth >= MAX_DEPTH => push(self.variable(chart, 0.5 * (lo + hi))),
            _ => {
                let n = b.len() - 1;
                let mut left = vec![0.0; n + 1];
                let mut right = b.to_vec();
                de_casteljau_halves(&mut left, &mut right);
                let mid = 0.5 * (lo + hi);
                // A root exactly on the split point belongs to neither open
                // half; the zero coefficient it leaves at their shared end
                // is skipped by the sign count.
                if right[0] == 0.0 {
                    push(self.variable(chart, mid));
                }
                self.isolate(&left, lo, mid, depth + 1, chart, out);
                self.isolate(&right, mid, hi, depth + 1, chart, out);
            }
        }
    }
}

/// p(t) = Σ cᵢ tⁱ and p'(t), with the coefficients in ascending order.
///
/// One Horner chain costs a multiply and an add of latency per coefficient.
/// Here p is split by residue class, p(t) = Σⱼ tʲ·Pⱼ(t⁴) with
/// Pⱼ(y) = Σₘ c₄ₘ₊ⱼ yᵐ, and the four Pⱼ (with their derivatives, by the
/// usual second Horner chain) run as independent chains that the processor
/// overlaps; then p'(t) = Σⱼ j·t^(j−1)·Pⱼ + 4t³·Σⱼ tʲ·Pⱼ'. On 0 < t ≤ 1 this
/// rounds like plain Horner and makes the IRR fast path about three times
/// faster.
#[inline]
fn eval_ascending(c: &[f64], t: f64) -> (f64, f64) {
    let full = c.len() / 4;
    let (body, top) = c.split_at(4 * full);
    let mut p = [0.0; 4];
    let mut d = [0.0; 4];
    p[..top.len()].copy_from_slice(top);
    let y = (t * t) * (t * t);
    for chunk in body.chunks_exact(4).rev() {
        for j in 0..4 {
            d[j] = d[j] * y + p[j];
            p[j] = p[j] * y + chunk[j];
        }
    }
    combine(p, d, t)
}

/// As [`eval_ascending`] for cᵢ = v[len − 1 − i]: the flows read in their
/// own order are the coefficients from the highest power down.
#[inline]
fn eval_descending(v: &[f64], t: f64) -> (f64, f64) {
    let full = v.len() / 4;
    let (top, body) = v.split_at(v.len() - 4 * full);
    let mut p = [0.0; 4];
    let mut d = [0.0; 4];
    // top[s] is the coefficient of t^(4·full + top.len() − 1 − s).
    for (s, &x) in top.iter().enumerate() {
        p[top.len() - 1 - s] = x;
    }
    let y = (t * t) * (t * t);
    // Each chunk holds the powers 4m+3, 4m+2, 4m+1, 4m, m decreasing.
    for chunk in body.chunks_exact(4) {
        for j in 0..4 {
            d[j] = d[j] * y + p[j];
            p[j] = p[j] * y + chunk[3 - j];
        }
    }
    combine(p, d, t)
}

#[inline]
fn combine(p: [f64; 4], d: [f64; 4], t: f64) -> (f64, f64) {
    let t2 = t * t;
    let value = (p[0] + t * p[1]) + t2 * (p[2] + t * p[3]);
    let own = p[1] + t * (2.0 * p[2] + 3.0 * t * p[3]);
    let inner = (d[0] + t * d[1]) + t2 * (d[2] + t * d[3]);
    (value, own + 4.0 * t2 * t * inner)
}

/// Bernstein coefficients on [0, 1] of p(t) = Σ aⱼ tʲ:
/// b_k = Σ_{j≤k} C(k,j)/C(n,j)·aⱼ.
///
/// Up to degree 1000 this divides each aⱼ by C(n,j) and then applies
/// b_k = Σⱼ C(k,j)·cⱼ as n passes of neighbour additions (Pascal's rule),
/// O(n²) additions without a dependency chain; every intermediate sum is
/// bounded by (n+1)·max|a| because C(i,l) ≤ C(n,i−l) for i ≤ n. Beyond
/// degree 1000, 1/C(n,j) underflows, so the weights C(k,j)/C(n,j) are built
/// as products of ratios instead (slower, same values).
fn bernstein_from_power(mut a: Vec<f64>) -> Vec<f64> {
    let n = a.len() - 1;
    if n <= 1000 {
        let mut inverse_binomial = 1.0;
        for (j, aj) in a.iter_mut().enumerate() {
            *aj *= inverse_binomial;
            if j < n {
                inverse_binomial *= (j + 1) as f64 / (n - j) as f64;
            }
        }
        // Each pass adds to every entry its left neighbour from before the
        // pass; walking left to right with the old value in a register
        // keeps the adds independent of each other.
        for pass in 1..=n {
            let mut left = a[pass - 1];
            for x in &mut a[pass..] {
                let old = *x;
                *x += left;
                left = old;
            }
        }
        a
    } else {
        (0..=n)
            .map(|k| {
                let mut weight = 1.0;
                let mut sum = 0.0;
                for (j, &aj) in a.iter().enumerate().take(k + 1) {
                    sum += weight * aj;
                    weight *= (k - j) as f64 / (n - j) as f64;
                }
                sum
            })
            .collect()
    }
}

/// Where the control polygon of Bernstein coefficients `b` on [lo, hi]
/// first crosses zero: a good first guess for the single root of an
/// interval whose coefficients change sign once (exact for a straight line).
fn control_polygon_crossing(b: &[f64], lo: f64, hi: f64) -> f64 {
    let n = (b.len() - 1) as f64;
    for (k, pair) in b.windows(2).enumerate() {
        let (left, right) = (pair[0], pair[1]);
        if left != 0.0 && (right == 0.0 || (left > 0.0) != (right > 0.0)) {
            let s = (k as f64 + left / (left - right)) / n;
            return lo + (hi - lo) * s;
        }
    }
    0.5 * (lo + hi)
}

/// Number of sign changes among the non-zero entries, and the signs of the
/// first and last non-zero entries (the signs of the polynomial just inside
/// the interval's two ends).
fn sign_changes(b: &[f64]) -> (usize, f64, f64) {
    let mut changes = 0;
    let mut first = 0.0;
    let mut previous = 0.0;
    for &c in b {
        if c != 0.0 {
            if previous == 0.0 {
                first = c;
            } else if (c > 0.0) != (previous > 0.0) {
                changes += 1;
            }
            previous = c;
        }
    }
    (changes, first, previous)
}

/// Split Bernstein coefficients on an interval into those of its two halves.
/// `right` holds the input on entry; on exit `left` and `right` hold the
/// halves. Every step is an average, so rounding errors stay at the level of
/// the largest coefficient.
fn de_casteljau_halves(left: &mut [f64], right: &mut [f64]) {
    let n = right.len() - 1;
    left[0] = right[0];
    for (level, slot) in left.iter_mut().enumerate().skip(1) {
        for i in 0..=n - level {
            right[i] = 0.5 * (right[i] + right[i + 1]);
        }
        *slot = right[0];
    }
    // After level j, right[n−j] is final: it is the right half's
    // coefficient n−j; so `right` now holds the whole right half.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_casteljau_halves_match_direct_evaluation() {
        // p(t) = 1 − 3t + 2t² has Bernstein coefficients [1, −0.5, 0] on
        // [0, 1]; the left half [0, ½] of p, reparametrised, starts at p(0)
        // and ends at p(½) = 0.
        let mut left = [0.0; 3];
        let mut right = [1.0, -0.5, 0.0];
        de_casteljau_halves(&mut left, &mut right);
        assert_eq!(left, [1.0, 0.25, 0.0]);
        assert_eq!(right, [0.0, -0.25, 0.0]);
    }

    /// Both split-Horner evaluators agree with the plain sums for every
    /// length modulo 4.
    #[test]
    fn split_horner_matches_plain_sums() {
        for len in 1..=11 {
            let c: Vec<f64> = (0..len)
                .map(|i| (i as f64 * 1.7 - 3.0) * if i % 3 == 0 { -1.0 } else { 1.0 })
                .collect();
            let t: f64 = 0.83;
            let value: f64 = c
                .iter()
                .enumerate()
                .map(|(i, x)| x * t.powi(i as i32))
                .sum();
            let slope: f64 = c
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, x)| i as f64 * x * t.powi(i as i32 - 1))
                .sum();
            let (v, d) = eval_ascending(&c, t);
            assert!(
                (v - value).abs() < 1e-12 && (d - slope).abs() < 1e-12,
                "ascending {len}"
            );
            let reversed: Vec<f64> = c.iter().rev().copied().collect();
            let (v, d) = eval_descending(&reversed, t);
            assert!(
                (v - value).abs() < 1e-12 && (d - slope).abs() < 1e-12,
                "descending {len}"
            );
        }
    }

    /// The Pascal-rule conversion and the product-of-ratios conversion give
    /// the same Bernstein coefficients, and b₀ = p(0), bₙ = p(1).
    #[test]
    fn bernstein_conversions_agree() {
        let a: Vec<f64> = (0..30).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let fast = bernstein_from_power(a.clone());
        let n = a.len() - 1;
        let slow: Vec<f64> = (0..=n)
            .map(|k| {
                let mut weight = 1.0;
                let mut sum = 0.0;
                for (j, &aj) in a.iter().enumerate().take(k + 1) {
                    sum += weight * aj;
                    weight *= (k - j) as f64 / (n - j) as f64;
                }
                sum
            })
            .collect();
        for (f, s) in fast.iter().zip(&slow) {
            assert!((f - s).abs() < 1e-12, "{f} vs {s}");
        }
        assert_eq!(fast[0], a[0]);
        assert!((fast[n] - a.iter().sum::<f64>()).abs() < 1e-12);
        let long = vec![1.0; 1101];
        // All-ones power coefficients: p(1) = 1101.
        let b = bernstein_from_power(long);
        assert!((b[1100] - 1101.0).abs() < 1e-9, "{}", b[1100]);
    }

    #[test]
    fn sign_changes_skip_zeros() {
        assert_eq!(sign_changes(&[1.0, 0.0, -2.0, 0.0, 3.0]), (2, 1.0, 3.0));
        assert_eq!(sign_changes(&[0.0, -1.0, -2.0, 0.0]), (0, -1.0, -2.0));
    }

    #[test]
    fn double_root_is_reported_once() {
        // NPV = −(1 − x)²·(…) style: [-1, 2, -1] touches zero at r = 0 only.
        assert_eq!(irr_all(&[-1.0, 2.0, -1.0]), Ok(vec![0.0]));
    }
}
