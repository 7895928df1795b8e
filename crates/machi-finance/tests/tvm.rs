//! Table-driven tests of `machi_finance::tvm` against published values.
//!
//! Sources, cited per row:
//! * `npf`: numpy-financial's test suite (`tests/test_financial.py` and
//!   `numpy_financial/tests/test_coverage_expansion.py` in numpy/numpy-financial;
//!   values there come from Google Sheets, exact `Decimal` arithmetic or
//!   closed forms).
//! * `excel`: the examples on Microsoft's Excel function pages
//!   (support.microsoft.com, "NPV function", "IRR function", …), given there
//!   rounded; the tolerance is half a unit of the last printed digit.
//! * `pyxirr`: the Rust test suite of pyxirr (Anexen/pyxirr,
//!   `tests/test_payments.rs`), which checks against Excel and
//!   numpy-financial issue #35.
//! * `ref`: machi's `shared/design/REFERENCE.md` ("Finance conventions").
//! * others as named (Adobe FormCalc reference, Apple Numbers help, ISDA,
//!   Microsoft's implementer notes MS-OI29500).
//!
//! Expected values are quoted digit for digit from their sources, even
//! where that is more digits than an `f64` holds.
#![expect(
    clippy::excessive_precision,
    reason = "expected values are quoted exactly as their sources print them"
)]

use chrono::NaiveDate;
use machi_finance::tvm::{self, DayCount, InputRule, Timing, TvmError, When};
use proptest::prelude::*;

// Row types of the tables below: (source, inputs…, expected, tolerance).
type NpvCase = (&'static str, f64, &'static [f64], Timing, f64, f64);
type IrrCase = (&'static str, Vec<f64>, Option<f64>, f64, f64);
type RootsCase = (&'static str, &'static [f64], &'static [f64]);
type IrrErrorCase = (&'static str, &'static [f64], TvmError);
type MirrCase = (&'static str, &'static [f64], f64, f64, f64, f64);
type DayCountCase = (&'static str, DayCount, NaiveDate, NaiveDate, f64, f64);
/// (source, rate or nper, …, when, expected, tolerance) for the five-input
/// annuity functions.
type AnnuityCase = (&'static str, f64, f64, f64, f64, When, f64, f64);
/// As [`AnnuityCase`] with the period, for ipmt and ppmt.
type PeriodCase = (&'static str, f64, f64, f64, f64, f64, When, f64, f64);
type CodeCase = (TvmError, &'static str, &'static [&'static str]);

const END: When = When::End;
const BEGIN: When = When::Begin;

#[track_caller]
fn assert_close(actual: Result<f64, TvmError>, expected: f64, tolerance: f64, case: &str) {
    match actual {
        Ok(value) => assert!(
            (value - expected).abs() <= tolerance,
            "{case}: got {value}, expected {expected} ± {tolerance}"
        ),
        Err(e) => panic!("{case}: got error {e:?}, expected {expected}"),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid")
}

// ---------------------------------------------------------------- NPV --

#[test]
fn npv_matches_sources() {
    #[rustfmt::skip]
    let cases: &[NpvCase] = &[
        // (source, rate, values, timing, expected, tolerance)
        ("ref: t=0", 0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], Timing::Start, 3065.2227, 5e-5),
        ("ref: Excel", 0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], Timing::End, 2838.1691, 5e-5),
        ("pyxirr test_npv_works", 0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], Timing::Start, 3065.222668179, 1e-9),
        ("pyxirr test_npv_start_from_zero", 0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], Timing::End, 2838.169137203, 1e-9),
        ("pyxirr test_npv_zero_rate", 0.0, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], Timing::End, 15000.0, 1e-9),
        ("npf test_npv_decimal", 0.05, &[-15000.0, 1500.0, 2500.0, 3500.0, 4500.0, 6000.0], Timing::Start, 122.894854950942692, 1e-9),
        ("npf test_zero_rate_is_sum", 0.0, &[-1000.0, 200.0, 300.0, 400.0, 500.0], Timing::Start, 400.0, 1e-12),
        ("npf test_npv_known_value", 0.10, &[-100.0, 50.0, 50.0, 50.0], Timing::Start, -100.0 + 50.0 / 1.1 + 50.0 / 1.21 + 50.0 / 1.331, 1e-12),
        // Excel NPV example 1: initial cost one year from today.
        ("excel NPV ex.1", 0.10, &[-10000.0, 3000.0, 4200.0, 6800.0], Timing::End, 1188.44, 0.005),
        // Excel NPV example 2 adds the t=0 investment outside NPV(): that is
        // exactly the Start convention.
        ("excel NPV ex.2", 0.08, &[-40000.0, 8000.0, 9200.0, 10000.0, 12000.0, 14500.0], Timing::Start, 1922.06, 0.005),
        ("excel NPV ex.2 loss in year 6", 0.08, &[-40000.0, 8000.0, 9200.0, 10000.0, 12000.0, 14500.0, -9000.0], Timing::Start, -3749.47, 0.005),
        // Adobe LiveCycle FormCalc reference, NPV (end-of-period convention).
        ("FormCalc NPV", 0.10, &[500.0, 1500.0, 4000.0, 10000.0], Timing::End, 11529.60863329007, 1e-8),
        ("FormCalc NPV single", 0.065, &[5000.0], Timing::End, 4694.83568075117, 1e-9),
    ];
    for &(source, rate, values, timing, expected, tolerance) in cases {
        assert_close(tvm::npv(rate, values, timing), expected, tolerance, source);
    }
}

#[test]
fn npv_rejects_bad_input() {
    assert_eq!(
        tvm::npv(0.1, &[], Timing::Start),
        Err(TvmError::TooFewValues { min: 1, got: 0 })
    );
    assert_eq!(
        tvm::npv(-1.0, &[1.0], Timing::Start),
        Err(TvmError::InvalidInput {
            argument: "rate",
            rule: InputRule::AboveMinusOne
        })
    );
    assert_eq!(
        tvm::npv(0.1, &[1.0, f64::NAN], Timing::End),
        Err(TvmError::InvalidInput {
            argument: "values",
            rule: InputRule::Finite
        })
    );
}

// ---------------------------------------------------------------- IRR --

#[test]
fn irr_matches_sources() {
    let gh_15: Vec<f64> = vec![
        -3000.0,
        2.3926932267015667e-07,
        4.1672087103345505e-16,
        5.3965110036378706e-25,
        5.1962551071806174e-34,
        3.7202955645436402e-43,
        1.9804961711632469e-52,
        7.8393517651814181e-62,
        2.3072565113911438e-71,
        5.0491839233308912e-81,
        8.2159177668499263e-91,
        9.9403244366963527e-101,
        8.942410813633967e-111,
        5.9816122646481191e-121,
        2.9750309031844241e-131,
        1.1002067043497954e-141,
        3.0252876563518021e-152,
        6.1854121948207909e-163,
        9.4032980015353301e-174,
        1.0629218520017728e-184,
        8.9337141847171845e-196,
        5.5830607698467935e-207,
        2.5943122036622652e-218,
        8.9635842466507006e-230,
        2.3027710094332358e-241,
        4.3987510596745562e-253,
        6.2476630372575209e-265,
        6.598046841695288e-277,
        5.1811095266842017e-289,
        3.0250999925830644e-301,
        1.3133070599585015e-313,
    ];
    let gh_39: Vec<f64> = vec![
        -217500.0,
        -217500.0,
        108466.80462450592,
        101129.96439328062,
        93793.12416205535,
        86456.28393083003,
        79119.44369960476,
        71782.60346837944,
        64445.76323715414,
        57108.92300592884,
        49772.08277470355,
        42435.24254347826,
        35098.40231225296,
        27761.56208102766,
        20424.721849802358,
        13087.88161857707,
        5751.041387351768,
        -1585.7988438735192,
        -8922.639075098821,
        -16259.479306324123,
        -23596.31953754941,
        -30933.159768774713,
        -38270.0,
        -45606.8402312253,
        -52943.680462450604,
        -60280.520693675906,
        -67617.36092490121,
    ];
    let pyxirr_21: Vec<f64> = vec![
        -5099701.25,
        -22503.796875,
        -22503.79296875,
        -22503.79296875,
        -20907.26171875,
        -17899.7421875,
        -17899.7421875,
        -17899.7421875,
        -14660.69140625,
        -12447.80078125,
        -12447.796875,
        -12018.1640625,
        -5991.81640625,
        -5991.81640625,
        -5991.81640625,
        -2885.875,
        1653.125,
        1653.125,
        1653.125,
        8307.328125,
        11110408.45703125,
    ];
    #[rustfmt::skip]
    let cases: Vec<IrrCase> = vec![
        // (source, values, guess, expected, tolerance)
        ("npf+pyxirr", vec![-150000.0, 15000.0, 25000.0, 35000.0, 45000.0, 60000.0], None, 0.05243288885, 1e-10),
        ("npf+pyxirr", vec![-100.0, 0.0, 0.0, 74.0], None, -0.09549583034, 1e-10),
        ("npf+pyxirr", vec![-100.0, 39.0, 59.0, 55.0, 20.0], None, 0.28094842116, 1e-10),
        ("npf+pyxirr", vec![-100.0, 100.0, 0.0, -7.0], None, -0.08329966618, 1e-10),
        ("npf+pyxirr", vec![-100.0, 100.0, 0.0, 7.0], None, 0.06205848562, 1e-10),
        ("npf+pyxirr", vec![-5.0, 10.5, 1.0, -8.0, 1.0], None, 0.08859833852, 1e-10),
        ("npf test_trailing_zeros", vec![-5.0, 10.5, 1.0, -8.0, 1.0, 0.0, 0.0, 0.0], None, 0.08859833852, 1e-10),
        ("pyxirr", vec![-161445.03, 2113.73, 7626.73, 8619.84, 8612.92], None, -0.43658134635, 1e-10),
        ("pyxirr / npf congruence flows", vec![-40000.0, 5000.0, 8000.0, 12000.0, 30000.0], None, 0.10582259840, 1e-10),
        ("pyxirr", vec![-10.0, 2.0, 2.0, 2.0, 2.0], None, -0.08364541746615073, 1e-12),
        ("pyxirr 21 flows", pyxirr_21, None, 0.038039605693757084, 1e-7),
        // Rough value from numpy-financial issue #15; the test allows rtol 1e-9.
        ("npf test_gh_15", gh_15, None, -0.9999999990596069, 1e-9),
        ("npf test_gh_39", gh_39, None, 0.12, 1.5e-7),
        // Google Sheets value; numpy-financial asserts 4 decimals.
        ("npf test_gh_44", vec![-1678.87, 771.96, 1814.05, 3520.30, 3552.95, 3584.99, 4789.91, -1.0], None, 1.00426, 1.5e-4),
        ("npf coverage doubling", vec![-100.0, 200.0], None, 1.0, 1e-12),
        ("npf coverage zero", vec![-100.0, 100.0], None, 0.0, 1e-12),
        ("npf coverage halving", vec![-100.0, 50.0], None, -0.5, 1e-12),
        // -100 + 230x - 132x² has roots r = 0.1 and r = 0.2 (npf coverage
        // test_irr_custom_selection_logic); the guess picks one.
        ("npf coverage two roots, guess 0.1", vec![-100.0, 230.0, -132.0], None, 0.1, 1e-12),
        ("npf coverage two roots, guess 0.25", vec![-100.0, 230.0, -132.0], Some(0.25), 0.2, 1e-12),
        // Excel IRR page: −2.1 %, 8.7 %, −44.4 % (the last with guess −10 %).
        ("excel IRR 4 years", vec![-70000.0, 12000.0, 15000.0, 18000.0, 21000.0], None, -0.021, 0.0005),
        ("excel IRR 5 years", vec![-70000.0, 12000.0, 15000.0, 18000.0, 21000.0, 26000.0], None, 0.087, 0.0005),
        ("excel IRR 2 years", vec![-70000.0, 12000.0, 15000.0], Some(-0.1), -0.444, 0.0005),
        // machi REFERENCE: [-100, 100, 0, -7] has -0.679 and -0.0833; the
        // guess decides.
        ("ref two roots, guess -0.5", vec![-100.0, 100.0, 0.0, -7.0], Some(-0.5), -0.6788943736, 1e-9),
    ];
    for (source, values, guess, expected, tolerance) in cases {
        assert_close(tvm::irr(&values, guess), expected, tolerance, source);
    }
}

#[test]
fn irr_all_lists_every_root() {
    // Expected roots cross-checked with numpy.roots on the same polynomials.
    #[rustfmt::skip]
    let cases: &[RootsCase] = &[
        ("ref", &[-100.0, 100.0, 0.0, -7.0], &[-0.6788943736323867, -0.08329966618493279]),
        ("npf basic values", &[-5.0, 10.5, 1.0, -8.0, 1.0], &[-0.8702012474847411, 0.08859833852775467, 0.7095595276861832]),
        ("npf test_gh_44", &[-1678.87, 771.96, 1814.05, 3520.30, 3552.95, 3584.99, 4789.91, -1.0], &[-0.9997912604283283, 1.0042698487205568]),
        ("npf coverage", &[-100.0, 230.0, -132.0], &[0.1, 0.2]),
        // 1 − 3x + 2x² = (1 − x)(1 − 2x): r = 0 and r = 1, both exactly on
        // points where the search splits its interval.
        ("exact dyadic roots", &[1.0, -3.0, 2.0], &[0.0, 1.0]),
        // −(1 − x)²: NPV touches zero at r = 0 without crossing.
        ("double root", &[-1.0, 2.0, -1.0], &[0.0]),
        ("conventional", &[-150000.0, 15000.0, 25000.0, 35000.0, 45000.0, 60000.0], &[0.05243288885]),
    ];
    for &(source, values, expected) in cases {
        let roots = tvm::irr_all(values).unwrap_or_else(|e| panic!("{source}: {e:?}"));
        assert_eq!(roots.len(), expected.len(), "{source}: {roots:?}");
        for (root, want) in roots.iter().zip(expected) {
            assert!(
                (root - want).abs() < 1e-9,
                "{source}: {roots:?} vs {expected:?}"
            );
        }
    }
}

/// −100 + 230·u − 132·u² has roots u = 1/1.1 and 1/1.2 (the npf coverage
/// flows); placing the flows k periods apart (u = x^k) gives IRRs
/// 1.1^(1/k) − 1 and 1.2^(1/k) − 1 and k−1 complex pairs besides. k = 50
/// (51 … 101 flows) takes the single-Bernstein path, k = 100 (201 flows) the
/// per-half path used past 170 flows.
#[test]
fn irr_all_on_long_sparse_series() {
    for k in [1usize, 50, 100] {
        let mut values = vec![0.0; 2 * k + 1];
        values[0] = -100.0;
        values[k] = 230.0;
        values[2 * k] = -132.0;
        let roots = tvm::irr_all(&values).unwrap_or_else(|e| panic!("k = {k}: {e:?}"));
        let step = 1.0 / k as f64;
        let expected = [1.1_f64.powf(step) - 1.0, 1.2_f64.powf(step) - 1.0];
        assert_eq!(roots.len(), 2, "k = {k}: {roots:?}");
        for (got, want) in roots.iter().zip(expected) {
            assert!(
                (got - want).abs() < 1e-12,
                "k = {k}: {roots:?} vs {expected:?}"
            );
        }
    }
}

#[test]
fn irr_errors() {
    #[rustfmt::skip]
    let cases: &[IrrErrorCase] = &[
        ("npf test_numpy_gh_6744", &[-1.0, -2.0, -3.0], TvmError::SameSignFlows),
        ("npf test_numpy_gh_6744", &[1.0, 2.0, 3.0], TvmError::SameSignFlows),
        ("npf no real solution", &[40000.0, 5000.0, 8000.0, 12000.0, 30000.0], TvmError::SameSignFlows),
        ("all zero", &[0.0, 0.0, 0.0], TvmError::SameSignFlows),
        ("one value", &[-5.0], TvmError::TooFewValues { min: 2, got: 1 }),
        ("no values", &[], TvmError::TooFewValues { min: 2, got: 0 }),
        // −1 + x − x² < 0 for every x: sign changes, but no root.
        ("no real root", &[-1.0, 1.0, -1.0], TvmError::NoRoot),
    ];
    for (source, values, error) in cases {
        assert_eq!(tvm::irr(values, None).as_ref(), Err(error), "{source}");
        assert_eq!(tvm::irr_all(values).as_ref(), Err(error), "{source}");
    }
    assert_eq!(
        tvm::irr(&[-1.0, 2.0], Some(-1.0)).map_err(|e| e.code()),
        Err("invalid-input")
    );
}

// --------------------------------------------------------------- MIRR --

#[test]
fn mirr_matches_sources() {
    #[rustfmt::skip]
    let cases: &[MirrCase] = &[
        // (source, values, finance_rate, reinvest_rate, expected, tolerance)
        ("npf decimal", &[-4500.0, -800.0, 800.0, 800.0, 600.0, 600.0, 800.0, 800.0, 700.0, 3000.0], 0.08, 0.055, 0.066597175031553548874239618, 1e-14),
        ("npf decimal", &[-120000.0, 39000.0, 30000.0, 21000.0, 37000.0, 46000.0], 0.10, 0.12, 0.126094130365905145828421880, 1e-14),
        ("npf decimal", &[100.0, 200.0, -50.0, 300.0, -200.0], 0.05, 0.06, 0.342823387842176663647819868, 1e-14),
        // Excel MIRR page: 13 %, −5 %, 13 % (whole percent).
        ("excel MIRR 5 years", &[-120000.0, 39000.0, 30000.0, 21000.0, 37000.0, 46000.0], 0.10, 0.12, 0.13, 0.005),
        ("excel MIRR 3 years", &[-120000.0, 39000.0, 30000.0, 21000.0], 0.10, 0.12, -0.05, 0.005),
        ("excel MIRR 14% reinvest", &[-120000.0, 39000.0, 30000.0, 21000.0, 37000.0, 46000.0], 0.10, 0.14, 0.13, 0.005),
    ];
    for &(source, values, finance, reinvest, expected, tolerance) in cases {
        assert_close(
            tvm::mirr(values, finance, reinvest),
            expected,
            tolerance,
            source,
        );
    }
    // npf: all positive → NaN there; an error code here.
    assert_eq!(
        tvm::mirr(&[39000.0, 30000.0, 21000.0, 37000.0, 46000.0], 0.10, 0.12),
        Err(TvmError::SameSignFlows)
    );
    assert_eq!(
        tvm::mirr(&[-1.0], 0.1, 0.1),
        Err(TvmError::TooFewValues { min: 2, got: 1 })
    );
}

// ------------------------------------------------------- XNPV / XIRR --

fn excel_x_example() -> (Vec<f64>, Vec<NaiveDate>) {
    (
        vec![-10000.0, 2750.0, 4250.0, 3250.0, 2750.0],
        vec![
            date(2008, 1, 1),
            date(2008, 3, 1),
            date(2008, 10, 30),
            date(2009, 2, 15),
            date(2009, 4, 1),
        ],
    )
}

#[test]
fn xnpv_and_xirr_match_excel() {
    let (values, dates) = excel_x_example();
    // Excel XNPV page: 2086.6476 (2086.65).
    assert_close(
        tvm::xnpv(0.09, &values, &dates, DayCount::Act365F),
        2086.6476,
        5e-5,
        "excel XNPV",
    );
    // Excel XIRR page: 0.373362535. Excel stops iterating at 0.000001 %
    // accuracy, so its last printed digit is not exact (the root is
    // 0.37336253351…; pyxirr: 0.3733625335095556).
    assert_close(
        tvm::xirr(&values, &dates, None, DayCount::Act365F),
        0.373362535,
        5e-9,
        "excel XIRR",
    );
    assert_close(
        tvm::xirr(&values, &dates, Some(0.1), DayCount::Act365F),
        0.3733625335095556,
        1e-10,
        "pyxirr XIRR",
    );
    // XNPV at the XIRR is zero (Excel: "XIRR is the rate for XNPV = 0").
    let r = tvm::xirr(&values, &dates, None, DayCount::Act365F).expect("Excel example has a root");
    assert_close(
        tvm::xnpv(r, &values, &dates, DayCount::Act365F),
        0.0,
        1e-9,
        "XNPV at XIRR",
    );
    // Dates may come in any order after the first (Excel).
    let order = [0, 3, 1, 4, 2];
    let shuffled_values: Vec<f64> = order.iter().map(|&i| values[i]).collect();
    let shuffled_dates: Vec<NaiveDate> = order.iter().map(|&i| dates[i]).collect();
    assert_close(
        tvm::xirr(&shuffled_values, &shuffled_dates, None, DayCount::Act365F),
        0.3733625335095556,
        1e-10,
        "excel XIRR, unsorted dates",
    );
}

#[test]
fn xirr_finds_roots_near_minus_one_and_far_above() {
    // 1000 paid, 1 returned a year later: r = −0.999.
    let dates = [date(2021, 1, 1), date(2022, 1, 1)];
    assert_close(
        tvm::xirr(&[-1000.0, 1.0], &dates, None, DayCount::Act365F),
        -0.999,
        1e-12,
        "near -1",
    );
    // Tenfold in a year: r = 9.
    assert_close(
        tvm::xirr(&[-1.0, 10.0], &dates, None, DayCount::Act365F),
        9.0,
        1e-12,
        "tenfold",
    );
}

#[test]
fn xnpv_and_xirr_errors() {
    let (values, dates) = excel_x_example();
    assert_eq!(
        tvm::xnpv(0.09, &values, &dates[..4], DayCount::Act365F),
        Err(TvmError::DatesMismatch {
            values: 5,
            dates: 4
        })
    );
    let mut early = dates.clone();
    early[2] = date(2007, 12, 31);
    assert_eq!(
        tvm::xirr(&values, &early, None, DayCount::Act365F),
        Err(TvmError::DateBeforeStart {
            date: date(2007, 12, 31),
            start: date(2008, 1, 1)
        })
    );
    let positive: Vec<f64> = values.iter().map(|v| v.abs()).collect();
    assert_eq!(
        tvm::xirr(&positive, &dates, None, DayCount::Act365F),
        Err(TvmError::SameSignFlows)
    );
    assert_eq!(
        tvm::xirr(&[-1.0], &dates[..1], None, DayCount::Act365F),
        Err(TvmError::TooFewValues { min: 2, got: 1 })
    );
    // −1 now, +1 and −1 later: XNPV = −1 + d − d² < 0 for all rates.
    let three = [date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1)];
    assert_eq!(
        tvm::xirr(&[-1.0, 1.0, -1.0], &three, None, DayCount::Act365F),
        Err(TvmError::NoRoot)
    );
}

#[test]
fn day_counts_match_sources() {
    #[rustfmt::skip]
    let cases: &[DayCountCase] = &[
        // Excel YEARFRAC page: 2012-01-01 → 2012-07-30.
        ("excel YEARFRAC basis 0", DayCount::Thirty360, date(2012, 1, 1), date(2012, 7, 30), 0.58055556, 5e-9),
        ("excel YEARFRAC basis 3", DayCount::Act365F, date(2012, 1, 1), date(2012, 7, 30), 0.57808219, 5e-9),
        // Within one (leap) year Excel's basis 1 equals ISDA.
        ("excel YEARFRAC basis 1", DayCount::ActActIsda, date(2012, 1, 1), date(2012, 7, 30), 0.57650273, 5e-9),
        // Apple Numbers YEARFRAC help: 2009-12-15 → 2010-06-30.
        ("Numbers YEARFRAC 0", DayCount::Thirty360, date(2009, 12, 15), date(2010, 6, 30), 0.541666666666667, 1e-12),
        ("Numbers YEARFRAC 2", DayCount::Act360, date(2009, 12, 15), date(2010, 6, 30), 0.547222222222222, 1e-12),
        ("Numbers YEARFRAC 3", DayCount::Act365F, date(2009, 12, 15), date(2010, 6, 30), 0.53972602739726, 1e-12),
        // ISDA, "EMU and market conventions" (1998): 1 Nov 2003 – 1 May 2004
        // is 61/365 + 121/366 under Act/Act ISDA.
        ("ISDA act/act", DayCount::ActActIsda, date(2003, 11, 1), date(2004, 5, 1), 61.0 / 365.0 + 121.0 / 366.0, 1e-15),
        // MS-OI29500 §2.1.1011 rules: both dates the last day of February
        // become the 30th; a start on the 31st becomes the 30th.
        ("MS-OI29500 Feb ends", DayCount::Thirty360, date(2024, 2, 29), date(2025, 2, 28), 1.0, 1e-15),
        ("MS-OI29500 31st", DayCount::Thirty360, date(2024, 1, 31), date(2024, 3, 31), 60.0 / 360.0, 1e-15),
        ("MS-OI29500 30th then 31st", DayCount::Thirty360, date(2024, 4, 30), date(2024, 5, 31), 30.0 / 360.0, 1e-15),
    ];
    for &(source, basis, start, end, expected, tolerance) in cases {
        let got = basis.year_fraction(start, end);
        assert!(
            (got - expected).abs() <= tolerance,
            "{source}: {got} vs {expected}"
        );
        assert_eq!(basis.year_fraction(end, start), -got, "{source}: reversed");
    }
}

// ------------------------------------------------- annuity functions --

#[test]
fn pmt_matches_sources() {
    #[rustfmt::skip]
    let cases: &[AnnuityCase] = &[
        // (source, rate, nper, pv, fv, when, expected, tolerance)
        ("npf test_pmt_decimal_simple", 0.08 / 12.0, 60.0, 15000.0, 0.0, END, -304.1459143262052370, 1e-9),
        ("npf test_pmt_zero_rate", 0.0, 60.0, 15000.0, 0.0, END, -250.0, 1e-12),
        ("npf test_pmt_decimal_broadcast", 0.0, 12.0, 2000.0, 0.0, END, -166.6666666666666666, 1e-9),
        ("npf test_pmt_decimal_broadcast", 0.8, 3.0, 20000.0, 0.0, END, -19311.25827814569536, 1e-8),
        ("npf test_pmt_decimal_broadcast", 0.3, 12.0, 2000.0, 0.0, END, -626.9081401700757748, 1e-9),
        ("npf coverage", 0.0, 10.0, 1000.0, 0.0, END, -100.0, 1e-12),
        ("npf coverage", 0.0, 5.0, 100.0, 400.0, END, -100.0, 1e-12),
        // Excel PMT page.
        ("excel PMT monthly", 0.08 / 12.0, 10.0, 10000.0, 0.0, END, -1037.03, 0.005),
        ("excel PMT begin", 0.08 / 12.0, 10.0, 10000.0, 0.0, BEGIN, -1030.16, 0.005),
        ("excel PMT saving", 0.06 / 12.0, 18.0 * 12.0, 0.0, 50000.0, END, -129.08, 0.005),
        // pyxirr test_pmt_vec.
        ("pyxirr", 0.075 / 12.0, 180.0, 200000.0, 0.0, END, -1854.0247200054619, 1e-8),
        ("pyxirr", 0.01 / 12.0, 180.0, 200000.0, 0.0, END, -1196.9890290366611, 1e-8),
        ("pyxirr", 0.5 / 12.0, 180.0, 200000.0, 0.0, END, -8338.702667524864, 1e-8),
    ];
    for &(source, rate, nper, pv, fv, when, expected, tolerance) in cases {
        assert_close(
            tvm::pmt(rate, nper, pv, fv, when),
            expected,
            tolerance,
            source,
        );
    }
    assert_eq!(
        tvm::pmt(0.1, 0.0, 100.0, 0.0, END),
        Err(TvmError::InvalidInput {
            argument: "nper",
            rule: InputRule::NonZero
        })
    );
}

#[test]
fn ipmt_matches_sources() {
    let gh_17_rate = 0.001988079518355057;
    #[rustfmt::skip]
    let cases: &[PeriodCase] = &[
        // (source, rate, per, nper, pv, fv, when, expected, tolerance)
        ("npf TestIpmt decimal", 0.1 / 12.0, 1.0, 24.0, 2000.0, 0.0, END, -16.666666666666667, 1e-12),
        ("npf test_when_is_begin", 0.1 / 12.0, 1.0, 24.0, 2000.0, 0.0, BEGIN, 0.0, 0.0),
        ("npf test_gh_17", gh_17_rate, 2.0, 360.0, 300000.0, 0.0, BEGIN, -594.107158, 594.107158e-6),
        ("npf test_gh_17", gh_17_rate, 3.0, 360.0, 300000.0, 0.0, BEGIN, -592.971592, 592.971592e-6),
        ("npf test_broadcasting", 0.1 / 12.0, 2.0, 24.0, 2000.0, 0.0, END, -16.03647345, 2e-5),
        ("npf test_broadcasting", 0.1 / 12.0, 3.0, 24.0, 2000.0, 0.0, END, -15.40102862, 2e-5),
        ("npf test_broadcasting", 0.1 / 12.0, 4.0, 24.0, 2000.0, 0.0, END, -14.76028842, 2e-5),
        // Excel IPMT page.
        ("excel IPMT month 1", 0.1 / 12.0, 1.0, 36.0, 8000.0, 0.0, END, -66.67, 0.005),
        ("excel IPMT year 3", 0.1, 3.0, 3.0, 8000.0, 0.0, END, -292.45, 0.005),
        // pyxirr test_ipmt_*; the "large power" rows come from
        // numpy-financial issue #35, where the textbook formula cancels.
        ("pyxirr", 0.05, 2.0, 10.0, -50000.0, 0.0, END, 2301.238562586, 1e-8),
        ("pyxirr", 0.05, 2.0, 10.0, -50000.0, 0.0, BEGIN, 2191.6557738917, 1e-8),
        ("pyxirr", 0.05, 2.0, 10.0, -50000.0, 110000.0, BEGIN, 2608.108309425, 1e-8),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, 0.0, END, 16.9656277018672, 1e-10),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, -100.0, END, 8.447346936597, 1e-10),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, 0.0, BEGIN, 14.7797087741678, 1e-10),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, -100.0, BEGIN, 7.358957171005, 1e-10),
        ("pyxirr large power", 0.0, 297.0, 300.0, -270.51, 0.0, END, 0.0, 0.0),
    ];
    for &(source, rate, per, nper, pv, fv, when, expected, tolerance) in cases {
        assert_close(
            tvm::ipmt(rate, per, nper, pv, fv, when),
            expected,
            tolerance,
            source,
        );
    }
    // pyxirr test_ipmt_vec: 8.24 % a year, monthly, 25 000 over 12 months.
    let schedule = [
        -171.66666666666666,
        -157.89337457350777,
        -144.0255058746426,
        -130.06241114404526,
        -116.00343649629737,
        -101.84792355596869,
        -87.59520942678299,
        -73.2446266605768,
        -58.79550322604296,
        -44.24716247725825,
        -29.598923121998908,
        -14.850099189833006,
    ];
    for (i, &expected) in schedule.iter().enumerate() {
        let per = (i + 1) as f64;
        assert_close(
            tvm::ipmt(0.0824 / 12.0, per, 12.0, 25000.0, 0.0, END),
            expected,
            1e-9,
            "pyxirr test_ipmt_vec",
        );
    }
}

#[test]
fn period_out_of_range() {
    // npf test_per_zero_returns_nan / test_negative_per_returns_nan, pyxirr
    // test_ipmt_per_greater_than_nper: NaN there, an error code here.
    for per in [0.0, -1.0, 12.5, 13.0] {
        assert_eq!(
            tvm::ipmt(0.05, per, 12.0, 1000.0, 0.0, END),
            Err(TvmError::PeriodOutOfRange { per, nper: 12.0 })
        );
        assert_eq!(
            tvm::ppmt(0.05, per, 12.0, 1000.0, 0.0, BEGIN).map_err(|e| e.code()),
            Err("period-out-of-range")
        );
    }
}

#[test]
fn ppmt_matches_sources() {
    #[rustfmt::skip]
    let cases: &[PeriodCase] = &[
        ("npf TestPpmt decimal", 0.1 / 12.0, 1.0, 60.0, 55000.0, 0.0, END, -710.2541257864217612, 1e-9),
        ("npf test_when_is_begin", 0.1 / 12.0, 1.0, 60.0, 55000.0, 0.0, BEGIN, -1158.929712, 1158.929712e-9),
        ("npf test_when_is_begin_decimal", 0.08 / 12.0, 1.0, 60.0, 15000.0, 0.0, BEGIN, -302.131703, 1.5e-5),
        ("npf test_when_is_end_decimal", 0.08 / 12.0, 1.0, 60.0, 15000.0, 0.0, END, -204.145914, 1.5e-5),
        ("npf test_broadcast", 0.1 / 12.0, 1.0, 24.0, 2000.0, 0.0, END, -75.62318601, 1e-7),
        ("npf test_broadcast", 0.1 / 12.0, 2.0, 24.0, 2000.0, 0.0, BEGIN, -75.62318601, 1e-7),
        ("npf test_broadcast", 0.1 / 12.0, 3.0, 24.0, 2000.0, 0.0, END, -76.88882405, 1e-7),
        ("npf test_broadcast", 0.1 / 12.0, 4.0, 24.0, 2000.0, 0.0, BEGIN, -76.88882405, 1e-7),
        ("npf test_broadcast", 0.1 / 12.0, 4.0, 24.0, 2000.0, 0.0, END, -77.52956425, 1e-7),
        // numpy-financial's exact (Decimal) value; its own float result is
        // 8.5e-7 away from it.
        ("npf test_ppmt_special_rate_decimal", 0.23 / 12.0, 1.0, 60.0, 1e10, 0.0, END, -90238044.2322778884, 2e-6),
        // Excel PPMT page.
        ("excel PPMT month 1", 0.1 / 12.0, 1.0, 24.0, 2000.0, 0.0, END, -75.62, 0.005),
        ("excel PPMT year 10", 0.08, 10.0, 10.0, 200000.0, 0.0, END, -27598.05, 0.005),
        // pyxirr test_ppmt_*.
        ("pyxirr", 0.05, 2.0, 10.0, -50000.0, 0.0, END, 4173.9901856864, 1e-8),
        ("pyxirr", 0.05, 2.0, 10.0, -50000.0, 0.0, BEGIN, 3975.2287482728307, 1e-8),
        ("pyxirr zero rate", 0.0, 2.0, 10.0, -50000.0, 0.0, BEGIN, 5000.0, 1e-9),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, 0.0, END, 23.0428012981328, 1e-10),
        ("pyxirr large power", 0.1479, 297.0, 300.0, -270.51, 0.0, BEGIN, 20.0738751617151, 1e-10),
        ("pyxirr large power", 0.0, 297.0, 300.0, -270.51, 0.0, END, 0.9017, 1e-12),
    ];
    for &(source, rate, per, nper, pv, fv, when, expected, tolerance) in cases {
        assert_close(
            tvm::ppmt(rate, per, nper, pv, fv, when),
            expected,
            tolerance,
            source,
        );
    }
}

#[test]
fn nper_matches_sources() {
    #[rustfmt::skip]
    let cases: &[AnnuityCase] = &[
        // (source, rate, pmt, pv, fv, when, expected, tolerance)
        ("npf TestNper / pyxirr", 0.075, -2000.0, 0.0, 100000.0, END, 21.544944197323336, 1e-10),
        ("npf TestNper zero rate", 0.0, -2000.0, 0.0, 100000.0, END, 50.0, 1e-12),
        ("npf test_broadcast begin", 0.075, -2000.0, 0.0, 100000.0, BEGIN, 20.76156441, 1.5e-4),
        ("npf test_gh_18", 0.1, 0.0, -500.0, 1500.0, END, 11.52670461, 1e-7),
        ("npf test_no_interest", 0.0, -100.0, 1000.0, 0.0, END, 10.0, 0.0),
        // Excel NPER page.
        ("excel NPER begin", 0.12 / 12.0, -100.0, -1000.0, 10000.0, BEGIN, 59.6738657, 5e-8),
        ("excel NPER end", 0.12 / 12.0, -100.0, -1000.0, 10000.0, END, 60.0821229, 5e-8),
        ("excel NPER no fv", 0.12 / 12.0, -100.0, -1000.0, 0.0, END, -9.57859404, 5e-9),
    ];
    for &(source, rate, pmt, pv, fv, when, expected, tolerance) in cases {
        assert_close(
            tvm::nper(rate, pmt, pv, fv, when),
            expected,
            tolerance,
            source,
        );
    }
    // npf test_infinite_payments returns +∞: no finite number of periods.
    assert_eq!(
        tvm::nper(0.0, -0.0, 1000.0, 0.0, END),
        Err(TvmError::NoSolution)
    );
    // Interest outgrows the payment: the balance never reaches zero.
    assert_eq!(
        tvm::nper(0.1, -50.0, 1000.0, 0.0, END),
        Err(TvmError::NoSolution)
    );
}

#[test]
fn rate_matches_sources() {
    #[rustfmt::skip]
    let cases: &[AnnuityCase] = &[
        // (source, nper, pmt, pv, fv, when, expected, tolerance)
        // npf test_rate asserts 0.1107 (4 decimals); the exact root is
        // (10000/3500)^(1/10) − 1 = 0.11069085371075280625… (npf's own
        // `Decimal` value, 0.110690853714…, stops at its 1e-6 step
        // tolerance and is 3.5e-12 off).
        ("npf test_rate", 10.0, 0.0, -3500.0, 10000.0, END, 0.1107, 5e-5),
        ("npf test_rate, exact", 10.0, 0.0, -3500.0, 10000.0, END, 0.110690853710752806, 1e-15),
        ("npf test_gh48", 2.0, 0.0, -593.06, 214.07, END, -0.39920185, 5e-9),
        ("npf test_gh48", 2.0, 0.0, -4725.38, 4509.97, END, -0.02305873, 5e-9),
        ("npf test_gh48", 2.0, 0.0, -662.05, 224.11, END, -0.41818459, 5e-9),
        ("npf test_gh48", 2.0, 0.0, -428.78, 686.29, END, 0.26513414, 5e-9),
        ("npf coverage", 2.0, 0.0, -1000.0, 1100.0, END, 1.1_f64.sqrt() - 1.0, 1e-14),
        // Excel RATE page: 4-year loan of 8000 at 200 a month: 1 % a month
        // (0.77 %), 9.24 % a year.
        ("excel RATE monthly", 48.0, -200.0, 8000.0, 0.0, END, 0.0077, 5e-5),
        ("excel RATE yearly (×12)", 48.0, -200.0, 8000.0, 0.0, END, 0.0924 / 12.0, 5e-5 / 12.0),
    ];
    for &(source, nper, pmt, pv, fv, when, expected, tolerance) in cases {
        assert_close(
            tvm::rate(nper, pmt, pv, fv, when, None),
            expected,
            tolerance,
            source,
        );
    }
    // npf test_rate_with_infeasible_solution (both timings) and the NaN of
    // test_gh48: pv, pmt, fv of one sign cannot balance.
    for when in [END, BEGIN] {
        assert_eq!(
            tvm::rate(12.0, 400.0, 10000.0, 5000.0, when, None),
            Err(TvmError::NoConvergence { iterations: 100 })
        );
    }
    assert_eq!(
        tvm::rate(2.0, 0.0, -13.65, -329.67, END, None).map_err(|e| e.code()),
        Err("no-convergence")
    );
}

#[test]
fn fv_and_pv_match_sources() {
    #[rustfmt::skip]
    let fv_cases: &[AnnuityCase] = &[
        // (source, rate, nper, pmt, pv, when, expected, tolerance)
        ("npf TestFv", 0.075, 20.0, -2000.0, 0.0, END, 86609.362673042924, 86609.36 * 1e-10),
        ("npf TestFv begin", 0.075, 20.0, -2000.0, 0.0, BEGIN, 93105.064874, 93105.06 * 1e-10),
        ("npf test_broadcast", 0.1, 5.0, 100.0, 0.0, END, -610.51, 1e-9),
        ("npf test_broadcast", 0.1, 5.0, 100.0, 0.0, BEGIN, -671.561, 1e-9),
        ("npf test_broadcast", 0.2, 5.0, 100.0, 0.0, END, -744.16, 1e-9),
        ("npf test_broadcast", 0.2, 5.0, 100.0, 0.0, BEGIN, -892.992, 1e-9),
        ("npf test_some_rates_zero", 0.0, 5.0, 100.0, 0.0, END, -500.0, 0.0),
        ("npf coverage", 0.0, 10.0, 0.0, -1000.0, END, 1000.0, 0.0),
        ("npf coverage", 0.0, 12.0, -100.0, -500.0, END, 1700.0, 1e-12),
        // Excel FV page.
        ("excel FV ex.1", 0.06 / 12.0, 10.0, -200.0, -500.0, BEGIN, 2581.40, 0.005),
        ("excel FV ex.2", 0.12 / 12.0, 12.0, -1000.0, 0.0, END, 12682.50, 0.005),
        ("excel FV ex.3", 0.11 / 12.0, 35.0, -2000.0, 0.0, BEGIN, 82846.25, 0.005),
        // pyxirr test_fv_*.
        ("pyxirr", 0.05 / 12.0, 120.0, -100.0, -100.0, END, 15692.9288943357, 1e-9),
        ("pyxirr", 0.05 / 12.0, 120.0, -100.0, -100.0, BEGIN, 15757.6298441047, 1e-9),
    ];
    for &(source, rate, nper, pmt, pv, when, expected, tolerance) in fv_cases {
        assert_close(
            tvm::fv(rate, nper, pmt, pv, when),
            expected,
            tolerance,
            source,
        );
    }
    #[rustfmt::skip]
    let pv_cases: &[AnnuityCase] = &[
        // (source, rate, nper, pmt, fv, when, expected, tolerance)
        ("npf test_pv_decimal", 0.07, 20.0, 12000.0, 0.0, END, -127128.1709461939327, 1e-8),
        ("npf coverage", 0.0, 10.0, -100.0, 500.0, END, 500.0, 1e-12),
        ("npf coverage", 0.05, 10.0, 0.0, 1000.0, END, -1000.0 / 1.05_f64.powi(10), 1e-10),
        // Excel PV page: annuity of 500 a month for 20 years at 8 %.
        ("excel PV", 0.08 / 12.0, 12.0 * 20.0, 500.0, 0.0, END, -59777.15, 0.005),
        // pyxirr test_pv_*.
        ("pyxirr", 0.05 / 12.0, 120.0, -100.0, 15692.93, END, -100.0006713162, 1e-9),
        ("pyxirr", 0.05 / 12.0, 120.0, -100.0, 15692.93, BEGIN, -60.71677534615, 1e-9),
        ("pyxirr zero rate", 0.0, 120.0, -100.0, 15692.93, END, -3692.93, 1e-9),
        ("pyxirr", 0.05 / 12.0, 120.0, -100.0, 0.0, END, 9428.1350328234, 1e-9),
    ];
    for &(source, rate, nper, pmt, fv, when, expected, tolerance) in pv_cases {
        assert_close(
            tvm::pv(rate, nper, pmt, fv, when),
            expected,
            tolerance,
            source,
        );
    }
    // npf coverage test_pv_when_begin_lower_magnitude: an annuity due is
    // worth more.
    let end = tvm::pv(0.05, 10.0, -100.0, 0.0, END).expect("finite");
    let begin = tvm::pv(0.05, 10.0, -100.0, 0.0, BEGIN).expect("finite");
    assert!(begin.abs() > end.abs());
    assert_eq!(tvm::fv(0.1, 1e6, -1.0, -1.0, END), Err(TvmError::Overflow));
}

#[test]
fn error_codes_are_stable() {
    #[rustfmt::skip]
    let cases: &[CodeCase] = &[
        (TvmError::TooFewValues { min: 2, got: 1 }, "too-few-values", &["min", "got"]),
        (TvmError::SameSignFlows, "same-sign-flows", &[]),
        (TvmError::NoRoot, "no-root", &[]),
        (TvmError::NoConvergence { iterations: 100 }, "no-convergence", &["iterations"]),
        (TvmError::PeriodOutOfRange { per: 0.0, nper: 1.0, }, "period-out-of-range", &["per", "nper"]),
        (TvmError::NoSolution, "no-solution", &[]),
        (TvmError::InvalidInput { argument: "rate", rule: InputRule::Finite, }, "invalid-input", &["argument", "rule"]),
        (TvmError::DatesMismatch { values: 1, dates: 2, }, "dates-mismatch", &["values", "dates"]),
        (TvmError::DateBeforeStart { date: date(2020, 1, 1), start: date(2021, 1, 1), }, "date-before-start", &["date", "start"]),
        (TvmError::Overflow, "overflow", &[]),
    ];
    assert_eq!(cases.len(), TvmError::CODES.len());
    for (error, code, names) in cases {
        assert_eq!(error.code(), *code);
        assert!(TvmError::CODES.contains(code), "{code} missing from CODES");
        let args: Vec<&str> = error.args().iter().map(|(name, _)| *name).collect();
        assert_eq!(&args, names, "{code}");
    }
}

// ------------------------------------------------------- invariants --

/// Cash flows of 2 to 40 periods in whole yen, up to ±10⁸.
fn flows() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        (-100_000_000i64..=100_000_000).prop_map(|v| v as f64),
        2..40,
    )
}

/// |NPV(r)| relative to the size of the discounted terms. For r < 0 every
/// term is multiplied by (1+r)^n, which leaves the ratio unchanged and keeps
/// the powers from overflowing near r = −1.
fn relative_npv(r: f64, values: &[f64]) -> f64 {
    let (mut sum, mut scale, mut factor) = (0.0, 0.0, 1.0);
    let mut add = |v: f64, factor: f64| {
        sum += v * factor;
        scale += (v * factor).abs();
    };
    if r >= 0.0 {
        for &v in values {
            add(v, factor);
            factor /= 1.0 + r;
        }
    } else {
        for &v in values.iter().rev() {
            add(v, factor);
            factor *= 1.0 + r;
        }
    }
    sum.abs() / scale
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// NPV at every IRR root is zero (numpy-financial coverage
    /// "npv(irr(x), x) == 0", extended to all roots).
    #[test]
    fn npv_is_zero_at_every_root(values in flows()) {
        if let Ok(roots) = tvm::irr_all(&values) {
            prop_assert!(roots.windows(2).all(|w| w[0] < w[1]), "{roots:?}");
            for r in roots {
                prop_assert!(r > -1.0);
                prop_assert!(relative_npv(r, &values) < 1e-9, "r = {r}, {values:?}");
            }
        }
    }

    /// The same past 170 flows, where the roots are isolated half by half.
    #[test]
    fn npv_is_zero_at_every_root_of_long_series(
        values in prop::collection::vec((-100_000_000i64..=100_000_000).prop_map(|v| v as f64), 171..230),
    ) {
        if let Ok(roots) = tvm::irr_all(&values) {
            prop_assert!(roots.windows(2).all(|w| w[0] < w[1]), "{roots:?}");
            for r in roots {
                prop_assert!(relative_npv(r, &values) < 1e-9, "r = {r}");
            }
        }
    }

    /// The chosen IRR is one of all the roots, and the nearest to the guess.
    #[test]
    fn irr_is_the_root_nearest_the_guess(values in flows(), guess in -0.9f64..2.0) {
        match (tvm::irr(&values, Some(guess)), tvm::irr_all(&values)) {
            (Ok(r), Ok(all)) => {
                let nearest = all.iter().map(|x| (x - guess).abs()).fold(f64::INFINITY, f64::min);
                prop_assert!(((r - guess).abs() - nearest).abs() <= 1e-12 * (1.0 + r.abs()));
                prop_assert!(all.contains(&r));
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "irr {a:?} but irr_all {b:?}"),
        }
    }

    /// Flows built from chosen IRRs have exactly those IRRs: NPV(x) with
    /// x = 1/(1+r) is the product of (1 − x·(1+rₖ)) over the chosen rₖ,
    /// optionally times 1 + x² (a pair of complex roots, which must not be
    /// reported).
    #[test]
    fn irr_all_recovers_constructed_roots(
        mut rates in prop::collection::vec(-0.9f64..3.0, 1..7),
        complex_pair in any::<bool>(),
    ) {
        rates.sort_by(f64::total_cmp);
        prop_assume!(rates.windows(2).all(|w| w[1] - w[0] > 0.01));
        let mut values = vec![1.0];
        let mut factors: Vec<Vec<f64>> = rates.iter().map(|r| vec![1.0, -(1.0 + r)]).collect();
        if complex_pair {
            factors.push(vec![1.0, 0.0, 1.0]);
        }
        for factor in factors {
            let mut product = vec![0.0; values.len() + factor.len() - 1];
            for (i, a) in values.iter().enumerate() {
                for (j, b) in factor.iter().enumerate() {
                    product[i + j] += a * b;
                }
            }
            values = product;
        }
        let roots = tvm::irr_all(&values);
        prop_assert!(roots.is_ok(), "{roots:?} for {rates:?}");
        let roots = roots.unwrap_or_default();
        prop_assert_eq!(roots.len(), rates.len(), "{:?} vs {:?}", roots, rates);
        // Clustered roots are ill-conditioned (a relative change of 1e-16
        // in the coefficients can move them by ~1e-6), so the forward check
        // is loose and the backward check, NPV ≈ 0, is tight.
        for (got, want) in roots.iter().zip(&rates) {
            prop_assert!((got - want).abs() < 1e-4 * (1.0 + want.abs()), "{roots:?} vs {rates:?}");
            prop_assert!(relative_npv(*got, &values) < 1e-9, "{roots:?} vs {rates:?}");
        }
    }

    /// An investment followed by returns has exactly one IRR (Descartes),
    /// whatever the guess.
    #[test]
    fn conventional_flows_have_one_root(
        outlay in 1.0f64..1e9,
        returns in prop::collection::vec(0.0f64..1e8, 1..60),
        guess in -0.5f64..1.0,
    ) {
        prop_assume!(returns.iter().any(|&v| v > 0.0));
        let mut values = vec![-outlay];
        values.extend(returns);
        let all = tvm::irr_all(&values);
        prop_assert!(matches!(&all, Ok(roots) if roots.len() == 1), "{all:?}");
        let r = tvm::irr(&values, Some(guess));
        prop_assert_eq!(r, all.map(|roots| roots[0]));
    }

    /// pmt, fv, pv, nper and rate invert each other. The final value is a
    /// balloon the borrower pays (fv ≤ 0 with pv > 0): then the borrower's
    /// flows change sign once and `rate` has a single root (with fv > 0 a
    /// second root can exist, and Newton's method may rightly find it).
    #[test]
    fn annuity_round_trip(
        rate in 0.0005f64..0.3,
        nper in 1u32..480,
        pv in 1.0f64..1e9,
        fv_share in -0.5f64..=0.0,
        begin in any::<bool>(),
    ) {
        let when = if begin { BEGIN } else { END };
        // Past (1+r)^n ≈ e^20 the payment barely exceeds the interest and
        // nper becomes ill-conditioned in pmt (a relative change of 1e-16
        // in pmt moves nper by ~1e-16·(1+r)^n): no solver can invert that,
        // so the horizon is capped there.
        let nper = f64::from(nper).min((20.0 / rate.ln_1p()).floor()).max(1.0);
        let fv = fv_share * pv;
        let pmt = tvm::pmt(rate, nper, pv, fv, when).expect("pmt");
        let scale = pv.abs() + fv.abs();
        let growth = (1.0 + rate).powf(nper);
        let back_fv = tvm::fv(rate, nper, pmt, pv, when).expect("fv");
        prop_assert!((back_fv - fv).abs() <= 1e-9 * scale * growth, "fv {back_fv} vs {fv}");
        let back_pv = tvm::pv(rate, nper, pmt, fv, when).expect("pv");
        prop_assert!((back_pv - pv).abs() <= 1e-9 * scale, "pv {back_pv} vs {pv}");
        let back_nper = tvm::nper(rate, pmt, pv, fv, when).expect("nper");
        prop_assert!((back_nper - nper).abs() <= 1e-12 * nper * growth, "nper {back_nper} vs {nper}");
        let back_rate = tvm::rate(nper, pmt, pv, fv, when, None).expect("rate");
        prop_assert!((back_rate - rate).abs() <= 1e-12 * growth, "rate {back_rate} vs {rate}");
    }

    /// Interest plus principal is the payment, and the principal parts
    /// repay the loan down to the final value: pv + fv with payments at the
    /// end of periods; pv + fv/(1+r) at the beginning, because the last
    /// period's interest accrues after the last payment.
    #[test]
    fn ipmt_plus_ppmt_is_pmt(
        rate in 0.0f64..0.25,
        nper in 1u32..360,
        pv in -1e8f64..1e8,
        fv_share in -0.5f64..0.5,
        begin in any::<bool>(),
    ) {
        let when = if begin { BEGIN } else { END };
        let fv = fv_share * pv;
        let n = f64::from(nper);
        let pmt = tvm::pmt(rate, n, pv, fv, when).expect("pmt");
        let mut principal = 0.0;
        for per in 1..=nper {
            let per = f64::from(per);
            let i = tvm::ipmt(rate, per, n, pv, fv, when).expect("ipmt");
            let p = tvm::ppmt(rate, per, n, pv, fv, when).expect("ppmt");
            prop_assert!((i + p - pmt).abs() <= 1e-9 * (pmt.abs() + 1.0));
            principal += p;
        }
        let repaid = if begin { pv + fv / (1.0 + rate) } else { pv + fv };
        prop_assert!((principal + repaid).abs() <= 1e-7 * (pv.abs() + 1.0), "{principal} vs {}", -repaid);
    }

    /// With dates exactly 365 days apart, XNPV (Act/365F) is the periodic
    /// NPV and XIRR the periodic IRR.
    #[test]
    fn dated_functions_reduce_to_periodic(
        outlay in 1.0f64..1e6,
        returns in prop::collection::vec(1.0f64..1e5, 1..20),
        rate in -0.5f64..1.0,
    ) {
        let mut values = vec![-outlay];
        values.extend(returns);
        let start = date(2001, 1, 1);
        let dates: Vec<NaiveDate> = (0..values.len())
            .map(|i| start + chrono::Duration::days(365 * i as i64))
            .collect();
        let periodic = tvm::npv(rate, &values, Timing::Start).expect("npv");
        let dated = tvm::xnpv(rate, &values, &dates, DayCount::Act365F).expect("xnpv");
        prop_assert!((periodic - dated).abs() <= 1e-9 * values.iter().map(|v| v.abs()).sum::<f64>() * (1.0 + rate).powi(-(values.len() as i32)).max(1.0));
        let r = tvm::irr(&values, None).expect("one root");
        let x = tvm::xirr(&values, &dates, None, DayCount::Act365F).expect("xirr");
        prop_assert!((r - x).abs() <= 1e-9 * (1.0 + r.abs()), "irr {r} xirr {x}");
    }
}
