//! Amounts out of range: a project that validation accepts always
//! evaluates, and one whose generated amounts or present values leave the
//! range machi supports is refused at validation, with the line and the
//! first fiscal year (issue 15, item 3: "a project that saves but can no
//! longer be opened").
//!
//! The bound per cell is machi's own, `Yen::MAX_INPUT` = ¥10兆; the years
//! below were computed by hand from the generators' formulas
//! (`amount × (1 + rate)^k`), not by running the code.

use machi_domain::project::MAX_SUM;
use machi_domain::{Project, ProjectError, Yen};
use machi_finance::engine::{EngineError, Options, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A project over `first`–`last` with the given line items and funding, in
/// the JSON the API takes (`PUT /api/v1/projects/{id}`).
fn project(first: i32, last: i32, finance: Value, lines: Value, funding: Value) -> Project {
    let v = json!({
        "project": {
            "id": "t",
            "name": {"ja": "試験", "en": "Test"},
            "municipality": {"name": {"ja": "久留米市"}, "code": "402036"},
            "category": "problem-solving",
            "site": "brownfield"
        },
        "horizon": {"first": format!("FY{first}"), "last": format!("FY{last}")},
        "finance": finance,
        "members": [
            {"id": "city", "name": {"ja": "市"}, "kind": "municipality", "role": "representative"},
            {"id": "op", "name": {"ja": "運営会社"}, "kind": "company"}
        ],
        "line_items": lines,
        "funding": funding
    });
    serde_json::from_value(v).unwrap_or_else(|e| panic!("a project file: {e}"))
}

/// One revenue line with `generator`.
fn one_line(generator: Value) -> Value {
    json!([{
        "id": "fees", "kind": "revenue", "category": "user-fees",
        "name": {"ja": "利用料"}, "party": "op", "generator": generator
    }])
}

/// The only error validation reports, which evaluation reports too.
fn refused(p: &Project) -> ProjectError {
    let errs = p.validate().expect_err("validation refuses the project").0;
    assert_eq!(errs.len(), 1, "{errs:?}");
    match evaluate(p, &Options::default()) {
        Err(EngineError::Invalid(e)) => assert_eq!(e.0, errs, "the engine refuses it alike"),
        other => panic!("the engine should refuse it: {other:?}"),
    }
    errs.into_iter().next().expect("one error")
}

fn assert_generated_out_of_range(e: &ProjectError, path: &str, year: &str) {
    assert_eq!(e.code, "generated-amount-range");
    assert_eq!(e.path, path);
    assert_eq!(e.get("year"), Some(year));
    assert_eq!(e.get("max"), Some("¥10,000,000,000,000"));
}

#[test]
fn growth_of_100_percent_from_1000_yen_over_a_century() {
    // ¥1,000 × 2^k: k = 33 (FY2058) gives ¥8,589,934,592,000 ≤ ¥10兆,
    // k = 34 (FY2059) gives ¥17,179,869,184,000 > ¥10兆.
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "4%"}),
        one_line(json!({"type": "growth", "amount": 1000, "rate": "100%"})),
        json!([]),
    );
    assert_generated_out_of_range(&refused(&p), "line_items[0].generator", "FY2059");
}

#[test]
fn growth_of_50_percent_from_10_trillion_yen() {
    // ¥10兆 itself is accepted in FY2025; ×1.5 is ¥15兆 in FY2026.
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "4%"}),
        one_line(json!({"type": "growth", "amount": "10兆円", "rate": "50%"})),
        json!([]),
    );
    assert_generated_out_of_range(&refused(&p), "line_items[0].generator", "FY2026");
}

#[test]
fn escalation_with_100_percent_inflation() {
    // ¥1億 × 2^k from the base year: k = 16 gives ¥6,553,600,000,000,
    // k = 17 gives ¥13,107,200,000,000 > ¥10兆, in FY2042 from FY2025 …
    let finance = json!({"discount_rate": "4%", "inflation": "100%"});
    let line = one_line(json!({"type": "escalation", "amount": "1億円"}));
    let p = project(2025, 2124, finance, line.clone(), json!([]));
    assert_generated_out_of_range(&refused(&p), "line_items[0].generator", "FY2042");
    // … and in FY2047 from a base year of FY2030.
    let finance = json!({"discount_rate": "4%", "inflation": "100%", "base_year": "FY2030"});
    let p = project(2025, 2124, finance, line, json!([]));
    assert_generated_out_of_range(&refused(&p), "line_items[0].generator", "FY2047");
}

#[test]
fn a_funding_generator_is_named_by_its_own_path() {
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "4%"}),
        one_line(json!({"type": "constant", "amount": 1000})),
        json!([{
            "id": "grant", "kind": "subsidy", "name": {"ja": "補助"},
            "generator": {"type": "growth", "amount": 1000, "rate": "100%"}
        }]),
    );
    assert_generated_out_of_range(&refused(&p), "funding[0].generator", "FY2059");
}

#[test]
fn ending_before_the_range_is_left_evaluates() {
    // The same growth, stopped in FY2058, stays within ¥10兆 and evaluates.
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "4%"}),
        one_line(json!({"type": "growth", "amount": 1000, "rate": "100%", "to": "FY2058"})),
        json!([]),
    );
    let e = evaluate(&p, &Options::default()).expect("evaluates");
    assert_eq!(e.lines[0].amounts[33], Yen(8_589_934_592_000));
    // Σ 1,000 × 2^k for k = 0..=33 = 1,000 × (2^34 − 1).
    assert_eq!(e.lines[0].total, Yen(1_000 * ((1 << 34) - 1)));
}

#[test]
fn an_explicit_amount_replaces_the_first_year_out_of_range() {
    let lines = json!([{
        "id": "fees", "kind": "revenue", "category": "user-fees",
        "name": {"ja": "利用料"}, "party": "op",
        "amounts": {"FY2059": 1},
        "generator": {"type": "growth", "amount": 1000, "rate": "100%"}
    }]);
    let p = project(2025, 2124, json!({"discount_rate": "4%"}), lines, json!([]));
    assert_generated_out_of_range(&refused(&p), "line_items[0].generator", "FY2060");
}

#[test]
fn a_negative_discount_rate_that_would_overflow_the_present_value() {
    // At −50 % the k-th year weighs 2^k: ¥1,000 a year over 100 years has a
    // present value of ¥1,000 × (2^100 − 1), far beyond MAX_SUM.
    let line = one_line(json!({"type": "constant", "amount": 1000}));
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "-50%"}),
        line.clone(),
        json!([]),
    );
    let e = refused(&p);
    assert_eq!(
        (e.code, e.path.as_str(), e.get("value")),
        ("present-value-range", "finance.discount_rate", Some("-0.5"))
    );
    assert_eq!(e.get("max"), Some(Yen(MAX_SUM).to_string().as_str()));
    // The municipality's and the funding gap's rates are checked too.
    for field in ["municipal_discount_rate", "funding_gap_discount_rate"] {
        let p = project(
            2025,
            2124,
            json!({"discount_rate": "4%", field: "-50%"}),
            line.clone(),
            json!([]),
        );
        assert_eq!(refused(&p).path, format!("finance.{field}"));
    }
    // A small negative rate over the same century is fine: ¥1,000 ×
    // Σ 0.99^−k for k < 100 is about ¥173,000.
    let p = project(2025, 2124, json!({"discount_rate": "-1%"}), line, json!([]));
    let e = evaluate(&p, &Options::default()).expect("evaluates");
    assert!(e.metrics.npv > Yen(100_000), "{}", e.metrics.npv);
}

#[test]
fn a_project_at_the_limits_evaluates() {
    // 1,000 entries of ¥10兆 a year over 100 fiscal years: every sum stays
    // within MAX_SUM. 400 loans borrow ¥10兆 each at 100 % for 99 years.
    let mut lines = Vec::new();
    for i in 0..600 {
        let (kind, category) = if i % 2 == 0 {
            ("capex", "equipment")
        } else {
            ("opex", "operations")
        };
        lines.push(json!({
            "id": format!("l{i}"), "kind": kind, "category": category,
            "name": {"ja": "行"}, "party": "op",
            "generator": {"type": "constant", "amount": Yen::MAX_INPUT}
        }));
    }
    let mut funding = Vec::new();
    for i in 0..400 {
        funding.push(json!({
            "id": format!("f{i}"), "kind": "loan", "name": {"ja": "借入"}, "party": "city",
            "principal": Yen::MAX_INPUT, "drawdown": "FY2025", "rate": "100%",
            "tenor_years": 99, "grace_years": 98, "repayment": "bullet"
        }));
    }
    let p = project(
        2025,
        2124,
        json!({"discount_rate": "4%", "residual_value": Yen::MAX_INPUT}),
        Value::Array(lines),
        Value::Array(funding),
    );
    let e = evaluate(&p, &Options::default()).expect("evaluates");
    let last = e.statement.last().expect("a year");
    // Each year: 600 × ¥10兆 of costs, 400 × ¥10兆 interest (the last year
    // also repays 400 × ¥10兆); the first year borrows 400 × ¥10兆.
    let cell = Yen::MAX_INPUT;
    assert_eq!(last.debt_service, Yen(800 * cell));
    assert!(last.cumulative_cash.get().abs() <= MAX_SUM);
    assert_eq!(
        last.cumulative_cash,
        Yen(400 * cell - 99 * 400 * cell - 100 * 600 * cell - 400 * cell)
    );
}

// ---------------------------------------------------------------------------
// Property: every project validation accepts evaluates.

/// An amount of yen: mostly ordinary, often extreme (up to exactly ¥10兆).
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 0i64..100_000_000,
        2 => 0i64..=Yen::MAX_INPUT,
        1 => Just(Yen::MAX_INPUT),
        1 => Just(1_000i64),
    ]
}

/// A rate in per cent, as a string, between −99.99 % and 100 %, with the
/// extremes often.
fn rate() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (-500i32..=1_000).prop_map(|bp| format!("{}%", f64::from(bp) / 100.0)),
        1 => (-9_999i32..=10_000).prop_map(|bp| format!("{}%", f64::from(bp) / 100.0)),
        1 => Just("100%".to_owned()),
        1 => Just("50%".to_owned()),
        1 => Just("-99%".to_owned()),
    ]
}

/// A discount rate: mostly positive, sometimes negative.
fn discount_rate() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0i32..=2_000).prop_map(|bp| format!("{}%", f64::from(bp) / 100.0)),
        1 => (-9_999i32..0).prop_map(|bp| format!("{}%", f64::from(bp) / 100.0)),
        1 => (-300i32..0).prop_map(|bp| format!("{}%", f64::from(bp) / 100.0)),
    ]
}

/// A generator over a horizon of `years` fiscal years from `first`.
fn generator(first: i32, years: i32) -> impl Strategy<Value = Value> {
    let year = move || (0..years).prop_map(move |k| json!(format!("FY{}", first + k)));
    let range = move || {
        (0..years, 0..years).prop_map(move |(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            (
                json!(format!("FY{}", first + a)),
                json!(format!("FY{}", first + b)),
            )
        })
    };
    prop_oneof![
        (amount(), rate(), range(), any::<bool>()).prop_map(|(a, r, (from, to), whole)| {
            if whole {
                json!({"type": "growth", "amount": a, "rate": r})
            } else {
                json!({"type": "growth", "amount": a, "rate": r, "from": from, "to": to})
            }
        }),
        (amount(), any::<bool>(), range()).prop_map(|(a, whole, (from, to))| {
            if whole {
                json!({"type": "escalation", "amount": a})
            } else {
                json!({"type": "escalation", "amount": a, "from": from, "to": to})
            }
        }),
        (amount(), range()).prop_map(
            |(a, (from, to))| json!({"type": "constant", "amount": a, "from": from, "to": to})
        ),
        (amount(), amount(), 1u32..=100, range()).prop_map(|(t, s, n, (from, _))| {
            json!({"type": "ramp", "target": t, "start": s, "years": n, "from": from})
        }),
        (amount(), year()).prop_map(|(a, y)| json!({"type": "one-off", "amount": a, "year": y})),
        prop::collection::vec((year(), amount()), 1..4).prop_map(|steps| {
            let steps: Vec<Value> = steps
                .into_iter()
                .map(|(from, a)| json!({"from": from, "amount": a}))
                .collect();
            json!({"type": "step", "steps": steps})
        }),
    ]
}

/// Explicit amounts in some years of the horizon.
fn amounts(first: i32, years: i32) -> impl Strategy<Value = Value> {
    prop::collection::vec((0..years, amount()), 0..5).prop_map(move |cells| {
        let map: serde_json::Map<String, Value> = cells
            .into_iter()
            .map(|(k, a)| (format!("FY{}", first + k), json!(a)))
            .collect();
        Value::Object(map)
    })
}

const KINDS: [(&str, &str, &str); 4] = [
    ("capex", "equipment", "op"),
    ("opex", "operations", "op"),
    ("revenue", "user-fees", "op"),
    ("savings", "administrative-cost-reduction", "city"),
];

fn random_project() -> impl Strategy<Value = Project> {
    (2000i32..=2100, 1i32..=100)
        .prop_flat_map(|(first, years)| {
            let entry = move || {
                (
                    amounts(first, years),
                    prop::option::weighted(0.8, generator(first, years)),
                )
            };
            let finance = (
                discount_rate(),
                prop::option::of(discount_rate()),
                rate(),
                prop::option::of(-30i32..=130),
                any::<bool>(),
                amount(),
            );
            let loan = (
                amount(),
                0..years,
                0u32..=100,
                1u32..=100,
                0u32..100,
                0usize..3,
            );
            (
                Just((first, years)),
                finance,
                prop::collection::vec((0usize..4, entry()), 1..8),
                prop::collection::vec(entry(), 0..3),
                prop::option::of(loan),
            )
        })
        .prop_map(|((first, years), finance, lines, grants, loan)| {
            let (discount, municipal, inflation, base, end, residual) = finance;
            let mut fin = json!({
                "discount_rate": discount,
                "inflation": inflation,
                "residual_value": residual,
                "npv_timing": if end { "end" } else { "start" },
            });
            if let Some(m) = municipal {
                fin["municipal_discount_rate"] = json!(m);
            }
            if let Some(b) = base {
                fin["base_year"] = json!(format!("FY{}", (first + b).min(2200)));
            }
            let with_schedule = |mut v: Value, (amounts, generator): (Value, Option<Value>)| {
                v["amounts"] = amounts;
                if let Some(g) = generator {
                    v["generator"] = g;
                }
                v
            };
            let lines: Vec<Value> = lines
                .into_iter()
                .enumerate()
                .map(|(i, (k, entry))| {
                    let (kind, category, party) = KINDS[k];
                    with_schedule(
                        json!({"id": format!("l{i}"), "kind": kind, "category": category,
                               "name": {"ja": "行"}, "party": party}),
                        entry,
                    )
                })
                .collect();
            let mut funding: Vec<Value> = grants
                .into_iter()
                .enumerate()
                .map(|(i, entry)| {
                    with_schedule(
                        json!({"id": format!("g{i}"), "kind": "subsidy", "name": {"ja": "補助"},
                               "party": "city"}),
                        entry,
                    )
                })
                .collect();
            if let Some((principal, drawdown, rate, tenor, grace, repayment)) = loan {
                let repayment = ["annuity", "straight-line", "bullet"][repayment];
                funding.push(json!({
                    "id": "bank", "kind": "loan", "name": {"ja": "借入"}, "party": "city",
                    "principal": principal.max(1),
                    "drawdown": format!("FY{}", first + drawdown),
                    "rate": format!("{rate}%"),
                    "tenor_years": tenor,
                    "grace_years": grace % tenor,
                    "repayment": repayment,
                }));
            }
            project(
                first,
                first + years - 1,
                fin,
                Value::Array(lines),
                Value::Array(funding),
            )
        })
}

proptest! {
    // Cases from PROPTEST_CASES (200 in CI), as for every property test.
    #![proptest_config(ProptestConfig::default())]

    /// Validation either refuses a project, and the engine refuses it with
    /// the same errors, or the engine evaluates it: no panic, no other
    /// error, no amount outside the range.
    #[test]
    fn every_valid_project_evaluates(p in random_project()) {
        let result = evaluate(&p, &Options::default());
        match p.validate() {
            Err(errs) => prop_assert_eq!(result, Err(EngineError::Invalid(errs))),
            Ok(()) => {
                let e = result.map_err(|err| TestCaseError::fail(format!("{err}")))?;
                for l in &e.lines {
                    prop_assert!(l.amounts.iter().all(|y| y.is_valid_input()), "{}", l.id);
                }
                for r in &e.statement {
                    prop_assert_eq!(r.sources, r.uses);
                    prop_assert!(r.cumulative_cash.get().abs() <= MAX_SUM);
                }
                prop_assert!(e.metrics.npv.get().abs() <= MAX_SUM);
                prop_assert!(e.metrics.municipal_npv.get().abs() <= MAX_SUM);
            }
        }
    }
}
