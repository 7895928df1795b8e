//! The funding-stack optimiser, greedy plan and checker
//! (`machi_programs::stack`).
//!
//! Hand-computed cases first (each states the arithmetic), then the checker
//! on broken plans, then property tests on random small problems, including
//! a brute-force search that the optimiser must match.

use machi_domain::{FiscalYear, Rate, Yen};
use machi_programs::stack::{
    Award, ExpensePool, Minimise, ProgramTerms, StackError, StackPlan, StackProblem, TypeTerms,
    Violation, greedy, optimise, violations,
};
use proptest::prelude::*;

// ─────────────────────────────── builders ───────────────────────────────

const M: i64 = 1_000_000;

fn rate(s: &str) -> Rate {
    s.parse().expect("a valid rate")
}

fn years(n: usize) -> Vec<FiscalYear> {
    (0..n)
        .map(|i| {
            FiscalYear::new(2025 + i32::try_from(i).expect("few years")).expect("a fiscal year")
        })
        .collect()
}

/// A type paying `rate` with `cap` a year, in every year, ¥1,000 units.
fn kind(id: &str, r: &str, cap: Option<i64>, n_years: usize) -> TypeTerms {
    TypeTerms {
        id: id.to_owned(),
        rate: rate(r),
        cap_per_year: cap.map(Yen),
        cap_total: None,
        max_consecutive_years: None,
        allowed: vec![true; n_years],
        co_funding: false,
        rounding_unit: 1_000,
    }
}

/// Tokyo-type terms (seed 001): at most ¥20M a year, at most 1/2, at most 3
/// consecutive fiscal years.
fn tokyo(n_years: usize) -> TypeTerms {
    TypeTerms {
        max_consecutive_years: Some(3),
        ..kind("tokyo:standard", "1/2", Some(20 * M), n_years)
    }
}

fn program(id: &str, types: Vec<TypeTerms>) -> ProgramTerms {
    ProgramTerms {
        id: id.to_owned(),
        types,
        budget: None,
    }
}

fn pool(year: usize, amount: i64, eligible: &[(usize, usize)]) -> ExpensePool {
    ExpensePool {
        year,
        amount: Yen(amount),
        municipal: false,
        eligible: eligible.to_vec(),
    }
}

/// A problem whose project cost is large enough that co-funding never binds
/// unless a case sets it.
fn problem(n_years: usize, pools: Vec<ExpensePool>, programs: Vec<ProgramTerms>) -> StackProblem {
    StackProblem {
        years: years(n_years),
        project_cost: vec![Yen(1_000 * M); n_years],
        own_burden: None,
        pools,
        programs,
        minimise: Minimise::Consortium,
    }
}

fn solved(p: &StackProblem) -> StackPlan {
    let plan = optimise(p).expect("the problem solves");
    assert_eq!(
        violations(p, &plan),
        Vec::new(),
        "the optimised plan keeps every rule"
    );
    plan
}

fn funded_years(plan: &StackPlan, program: usize) -> Vec<usize> {
    plan.awards
        .iter()
        .filter(|a| a.program == program)
        .map(|a| a.year)
        .collect()
}

// ─────────────────────────── hand-computed cases ──────────────────────────

struct Case {
    name: &'static str,
    problem: StackProblem,
    /// The optimum, computed by hand.
    optimum: i64,
    /// What the greedy plan reaches, computed by hand.
    greedy: i64,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            // min(½ × 50M, 20M) = 20M.
            name: "tokyo alone, ¥50M eligible: the per-year cap binds",
            problem: problem(
                1,
                vec![pool(0, 50 * M, &[(0, 0)])],
                vec![program("tokyo", vec![tokyo(1)])],
            ),
            optimum: 20 * M,
            greedy: 20 * M,
        },
        Case {
            // min(½ × 30M, 20M) = 15M.
            name: "tokyo alone, ¥30M eligible: the rate binds",
            problem: problem(
                1,
                vec![pool(0, 30 * M, &[(0, 0)])],
                vec![program("tokyo", vec![tokyo(1)])],
            ),
            optimum: 15 * M,
            greedy: 15 * M,
        },
        Case {
            // Per year: ½ × [6, 40, 30, 40, 8]M capped at 20M = [3, 20, 15,
            // 20, 4]M. Windows of 3: 38, 55, 39 → years 1–3, 55M. Greedy
            // starts in year 0: 3 + 20 + 15 = 38M.
            name: "tokyo over 5 years: only the best 3 consecutive years",
            problem: problem(
                5,
                [6, 40, 30, 40, 8]
                    .iter()
                    .enumerate()
                    .map(|(t, &m)| pool(t, m * M, &[(0, 0)]))
                    .collect(),
                vec![program("tokyo", vec![tokyo(5)])],
            ),
            optimum: 55 * M,
            greedy: 38 * M,
        },
        Case {
            // One ¥30M pool, A and B both at 1/2: at most ½ × 30M = 15M in
            // all, however it is split (no expense funded twice).
            name: "two programs on one pool: no double funding",
            problem: problem(
                1,
                vec![pool(0, 30 * M, &[(0, 0), (1, 0)])],
                vec![
                    program("a", vec![kind("a", "1/2", Some(20 * M), 1)]),
                    program("b", vec![kind("b", "1/2", Some(5 * M), 1)]),
                ],
            ),
            optimum: 15 * M,
            greedy: 15 * M,
        },
        Case {
            // A (定額, cap 20M) may fund X and Y; B (定額, cap 10M) only X.
            // Greedy: A first (larger cap) takes X in pool order, B finds
            // nothing: 20M. Optimum: A on Y, B on X: 30M.
            name: "greedy takes the pool the smaller program needed",
            problem: problem(
                1,
                vec![
                    pool(0, 20 * M, &[(0, 0), (1, 0)]),
                    pool(0, 20 * M, &[(0, 0)]),
                ],
                vec![
                    program("a", vec![kind("a", "1", Some(20 * M), 1)]),
                    program("b", vec![kind("b", "1", Some(10 * M), 1)]),
                ],
            ),
            optimum: 30 * M,
            greedy: 20 * M,
        },
        Case {
            // Co-funded 定額 with own burden ¥15,000,000: S < 15,000,000,
            // rounded down to ¥1,000: 14,999,000 (MLIT, seed 002).
            name: "co-funding below the own burden",
            problem: StackProblem {
                own_burden: Some(vec![Yen(15 * M)]),
                ..problem(
                    1,
                    vec![pool(0, 40 * M, &[(0, 0)])],
                    vec![program(
                        "mlit",
                        vec![TypeTerms {
                            co_funding: true,
                            ..kind("mlit", "1", Some(50 * M), 1)
                        }],
                    )],
                )
            },
            optimum: 14_999_000,
            greedy: 14_999_000,
        },
        Case {
            // Cost 40M, no own burden. A co-funded 定額 on a 30M pool, B
            // 定額 capped at 10M on its own 10M pool. Rule: S_A < 40M −
            // S_A − S_B, i.e. 2 S_A + S_B ≤ 39,999,999. B = 10M, then
            // S_A ≤ 14,999,999.5 → 14,999,000: 24,999,000. Greedy: A first
            // (cap 50M): ⌊39,999,999 / 2⌋ → 19,999,000; then B: 39,999,999
            // − 19,999,000 − 19,999,000 = 1,999 → 1,000: 20,000,000.
            name: "co-funding against the consortium's burden",
            problem: StackProblem {
                project_cost: vec![Yen(40 * M)],
                ..problem(
                    1,
                    vec![pool(0, 30 * M, &[(0, 0)]), pool(0, 10 * M, &[(1, 0)])],
                    vec![
                        program(
                            "a",
                            vec![TypeTerms {
                                co_funding: true,
                                ..kind("a", "1", Some(50 * M), 1)
                            }],
                        ),
                        program("b", vec![kind("b", "1", Some(10 * M), 1)]),
                    ],
                )
            },
            optimum: 24_999_000,
            greedy: 20_000_000,
        },
        Case {
            // One program, two types, ¥30M a year for 2 years: type 0 (1/2,
            // cap 10M) only in year 0 → 10M; type 1 (1/2, cap 6M) in both
            // years → 12M. Only one type: 12M (not 10 + 6 + 6). Greedy
            // applies with the larger cap: 10M.
            name: "alternative types: one chosen",
            problem: problem(
                2,
                vec![
                    pool(0, 30 * M, &[(0, 0), (0, 1)]),
                    pool(1, 30 * M, &[(0, 0), (0, 1)]),
                ],
                vec![program(
                    "p",
                    vec![
                        TypeTerms {
                            allowed: vec![true, false],
                            ..kind("p:big", "1/2", Some(10 * M), 2)
                        },
                        kind("p:long", "1/2", Some(6 * M), 2),
                    ],
                )],
            ),
            optimum: 12 * M,
            greedy: 10 * M,
        },
        Case {
            // ½ × 33,333,333 = 16,666,666.5 → ¥1,000 units: 16,666,000.
            name: "rounding down to ¥1,000 (千円未満切捨て)",
            problem: problem(
                1,
                vec![pool(0, 33_333_333, &[(0, 0)])],
                vec![program("p", vec![kind("p", "1/2", None, 1)])],
            ),
            optimum: 16_666_000,
            greedy: 16_666_000,
        },
        Case {
            // 2/3 × 30M = 20M exactly; caps 8M a year, 25M in total over 4
            // years: 8 + 8 + 8 + 1 = 25M.
            name: "total cap over the years",
            problem: problem(
                4,
                (0..4).map(|t| pool(t, 30 * M, &[(0, 0)])).collect(),
                vec![program(
                    "p",
                    vec![TypeTerms {
                        cap_total: Some(Yen(25 * M)),
                        ..kind("p", "2/3", Some(8 * M), 4)
                    }],
                )],
            ),
            optimum: 25 * M,
            greedy: 25 * M,
        },
        Case {
            // Budget 12M, ½ of 10M a year for 3 years = 15M → 12M.
            name: "program budget",
            problem: problem(
                3,
                (0..3).map(|t| pool(t, 10 * M, &[(0, 0)])).collect(),
                vec![ProgramTerms {
                    budget: Some(Yen(12 * M)),
                    ..program("p", vec![kind("p", "1/2", None, 3)])
                }],
            ),
            optimum: 12 * M,
            greedy: 12 * M,
        },
    ]
}

#[test]
fn hand_computed_optima() {
    for case in cases() {
        let best = optimise(&case.problem).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            violations(&case.problem, &best),
            Vec::new(),
            "{}: optimised plan",
            case.name
        );
        assert_eq!(best.total, Yen(case.optimum), "{}: optimum", case.name);
        // The bound is proven and, here, tight.
        assert_eq!(best.bound, Some(Yen(case.optimum)), "{}: bound", case.name);
        let simple = greedy(&case.problem);
        assert_eq!(
            violations(&case.problem, &simple),
            Vec::new(),
            "{}: greedy plan",
            case.name
        );
        assert_eq!(simple.total, Yen(case.greedy), "{}: greedy", case.name);
        assert_eq!(simple.bound, None, "{}: greedy proves nothing", case.name);
    }
}

#[test]
fn tokyo_funds_the_best_window() {
    let case = &cases()[2];
    let plan = solved(&case.problem);
    assert_eq!(funded_years(&plan, 0), vec![1, 2, 3]);
    let amounts: Vec<Yen> = plan.awards.iter().map(|a| a.amount).collect();
    assert_eq!(amounts, vec![Yen(20 * M), Yen(15 * M), Yen(20 * M)]);
}

#[test]
fn each_award_is_justified_by_its_expenses() {
    // The greedy-is-worse case: B can only fund X, so it takes ¥10M of X;
    // A takes ¥20M from what is left of X and Y.
    let case = &cases()[4];
    let plan = solved(&case.problem);
    let a = plan
        .awards
        .iter()
        .find(|a| a.program == 0)
        .expect("A is funded");
    let b = plan
        .awards
        .iter()
        .find(|a| a.program == 1)
        .expect("B is funded");
    assert_eq!(b.expenses, vec![(0, Yen(10 * M))]);
    assert_eq!(a.expenses.iter().map(|e| e.1).sum::<Yen>(), Yen(20 * M));
    let x: Yen = plan
        .awards
        .iter()
        .flat_map(|a| &a.expenses)
        .filter(|e| e.0 == 0)
        .map(|e| e.1)
        .sum();
    assert!(x <= Yen(20 * M), "pool X funds at most what it holds");
}

#[test]
fn only_one_type_of_a_program_is_chosen() {
    let case = &cases()[7];
    let plan = solved(&case.problem);
    assert!(plan.awards.iter().all(|a| a.kind == 1), "{:?}", plan.awards);
    assert_eq!(funded_years(&plan, 0), vec![0, 1]);
}

#[test]
fn co_funding_with_own_burden_keeps_the_subsidy_strictly_below() {
    let case = &cases()[5];
    let plan = solved(&case.problem);
    assert_eq!(plan.awards.len(), 1);
    assert_eq!(plan.awards[0].amount, Yen(14_999_000));
    // One yen more would break the rule: the checker says so.
    let mut bent = plan.clone();
    bent.awards[0].amount = Yen(15 * M);
    bent.total = Yen(15 * M);
    assert!(
        violations(&case.problem, &bent)
            .iter()
            .any(|v| v.code() == "co-funding")
    );
}

/// A municipal pool M (¥20M) and a private pool C (¥40M). A (定額, cap 20M)
/// may fund both; B (1/2, cap 20M) only M.
fn municipal_case(minimise: Minimise) -> StackProblem {
    StackProblem {
        minimise,
        ..problem(
            1,
            vec![
                ExpensePool {
                    municipal: true,
                    ..pool(0, 20 * M, &[(0, 0), (1, 0)])
                },
                pool(0, 40 * M, &[(0, 0)]),
            ],
            vec![
                program("a", vec![kind("a", "1", Some(20 * M), 1)]),
                program("b", vec![kind("b", "1/2", Some(20 * M), 1)]),
            ],
        )
    }
}

#[test]
fn the_objectives_choose_differently() {
    // Consortium: A on C (20M) and B on all of M (10M): total 30M, of which
    // 10M on municipal expenses. The only plan reaching 30M.
    let p = municipal_case(Minimise::Consortium);
    let consortium = solved(&p);
    assert_eq!(
        (consortium.total, consortium.municipal_total),
        (Yen(30 * M), Yen(10 * M))
    );
    // Municipality: A on all of M: 20M municipal (B would need 2 yen of M
    // per yen); the total is only 20M.
    let p = municipal_case(Minimise::Municipality);
    let municipality = solved(&p);
    assert_eq!(
        (municipality.total, municipality.municipal_total),
        (Yen(20 * M), Yen(20 * M))
    );
    assert_eq!(municipality.bound, Some(Yen(20 * M)));
}

#[test]
fn an_empty_problem_gives_an_empty_plan() {
    let p = problem(
        2,
        Vec::new(),
        vec![program("p", vec![kind("p", "1/2", None, 2)])],
    );
    let plan = solved(&p);
    assert!(plan.awards.is_empty());
    assert_eq!((plan.total, plan.bound), (Yen::ZERO, Some(Yen::ZERO)));
}

// ─────────────── regressions found by stress-testing ───────────────
// Each was a failing case of the property tests below at 50,000–100,000
// cases per run; kept here so that they run every time.

fn one_kind(
    r: &str,
    cap_total: Option<i64>,
    consecutive: Option<u32>,
    co_funding: bool,
) -> TypeTerms {
    TypeTerms {
        cap_total: cap_total.map(Yen),
        max_consecutive_years: consecutive,
        co_funding,
        ..kind("t", r, None, 2)
    }
}

#[test]
fn a_pool_split_in_fractions_is_traded_back_to_whole_units() {
    // X (¥2,000) may fund A and B, Y (¥2,000) only B; both at 3/4 in ¥1,000
    // units. B alone on X and Y: ¾ × 4,000 = 3,000. The relaxation splits X
    // between A and B, which round down to 1,000 + 1,000; lowering A lets B
    // take all of X.
    let p = problem(
        1,
        vec![pool(0, 2_000, &[(0, 0), (1, 0)]), pool(0, 2_000, &[(1, 0)])],
        vec![
            program(
                "a",
                vec![TypeTerms {
                    allowed: vec![true],
                    ..one_kind("3/4", None, None, false)
                }],
            ),
            program(
                "b",
                vec![TypeTerms {
                    allowed: vec![true],
                    ..one_kind("3/4", None, None, false)
                }],
            ),
        ],
    );
    assert_eq!(solved(&p).total, Yen(3_000));
}

#[test]
fn a_trade_across_years_under_a_total_cap() {
    // A (定額, co-funded, ¥3,000 in total), B (1/2); costs ¥6,000 and ¥5,000,
    // pools ¥5,000 and ¥2,000 for both. Best: year 0 A 1,000 + B 2,000
    // (2 × 1,000 + 3,000 < 6,000), year 1 A 2,000 (2 × 2,000 < 5,000): 5,000.
    // A's larger share of year 0 wastes its total cap.
    let p = StackProblem {
        project_cost: vec![Yen(6_000), Yen(5_000)],
        ..problem(
            2,
            vec![
                pool(1, 2_000, &[(0, 0), (1, 0)]),
                pool(0, 5_000, &[(0, 0), (1, 0)]),
            ],
            vec![
                program("a", vec![one_kind("1", Some(3_000), None, true)]),
                program("b", vec![one_kind("1/2", None, None, false)]),
            ],
        )
    };
    assert_eq!(solved(&p).total, Yen(5_000));
}

#[test]
fn the_window_is_chosen_by_the_exact_optimum() {
    // A (定額, ¥5,000 a year and in total), B (定額, co-funded, 1 year);
    // costs ¥7,000 and ¥5,000, pools ¥5,000 and ¥2,000. B in year 1 (B ≤
    // 2,000) and A 5,000 in year 0: 7,000. B in year 0 reaches 6,999.5
    // before rounding and 6,000 after: a search stopped half a unit short
    // of the optimum picks the wrong window.
    let p = StackProblem {
        project_cost: vec![Yen(7_000), Yen(5_000)],
        ..problem(
            2,
            vec![
                pool(0, 5_000, &[(0, 0), (1, 0)]),
                pool(1, 2_000, &[(0, 0), (1, 0)]),
            ],
            vec![
                program(
                    "a",
                    vec![TypeTerms {
                        cap_per_year: Some(Yen(5_000)),
                        ..one_kind("1", Some(5_000), None, false)
                    }],
                ),
                program("b", vec![one_kind("1", None, Some(1), true)]),
            ],
        )
    };
    let plan = solved(&p);
    assert_eq!(plan.total, Yen(7_000));
    assert_eq!(funded_years(&plan, 1), vec![1]);
}

#[test]
fn a_degenerate_model_is_solved_despite_a_singular_basis() {
    // microlp finds a basis singular with money at every scale tried
    // unperturbed (10³, 10⁴, 10² yen): a 1/2 and a 定額 type of one
    // program tie on the same pools. The perturbed attempt solves it: the
    // 定額 type takes all of year 1's pool (one year only).
    let allowed = vec![false, true, true, false];
    let p = problem(
        4,
        vec![
            pool(1, 43_331_004, &[(0, 0), (0, 1), (1, 0)]),
            pool(2, 31_022_355, &[(0, 0), (0, 1)]),
        ],
        vec![
            program(
                "p",
                vec![
                    TypeTerms {
                        max_consecutive_years: Some(1),
                        allowed: allowed.clone(),
                        rounding_unit: 1,
                        ..kind("half", "1/2", None, 4)
                    },
                    TypeTerms {
                        cap_total: Some(Yen(45_749_614)),
                        max_consecutive_years: Some(1),
                        allowed,
                        rounding_unit: 1,
                        ..kind("fixed", "1", None, 4)
                    },
                ],
            ),
            program(
                "q",
                vec![TypeTerms {
                    allowed: vec![false, false, true, false],
                    rounding_unit: 1,
                    ..kind("q", "3/4", Some(20_390_000), 4)
                }],
            ),
        ],
    );
    let plan = solved(&p);
    assert_eq!(plan.total, Yen(43_331_004));
    assert!(plan.bound.is_some_and(|b| b >= plan.total));
}

#[test]
fn a_wrongly_pruned_search_is_caught_and_solved_again() {
    // On this problem microlp's first search (money in thousands of yen)
    // claims ¥70,915,014 as a proven bound, and the rounded plan reaches
    // ¥70,915,203: the claim is false (the search pruned a better branch).
    // The next attempt (money in tens of thousands) proves ¥73,330,775 and
    // finds ¥73,330,104. Without the check the plan would stay near ¥70.9M.
    let t =
        |r: &str, cap: i64, total: Option<i64>, n: Option<u32>, allowed: [bool; 2], unit: i64| {
            TypeTerms {
                cap_total: total.map(Yen),
                max_consecutive_years: n,
                allowed: allowed.to_vec(),
                rounding_unit: unit,
                ..kind("t", r, (cap > 0).then_some(cap), 2)
            }
        };
    let y = true;
    let p = StackProblem {
        project_cost: vec![Yen(115_851_204), Yen(27_816_145)],
        ..problem(
            2,
            vec![
                pool(0, 3_433_820, &[(0, 0), (1, 0), (2, 0)]),
                ExpensePool {
                    municipal: true,
                    ..pool(0, 7_244_620, &[(0, 1), (1, 1), (2, 0), (2, 1)])
                },
                ExpensePool {
                    municipal: true,
                    ..pool(0, 4_431_185, &[(0, 0), (0, 1), (1, 1), (2, 0)])
                },
                pool(1, 1_188_470, &[(0, 1)]),
                pool(0, 47_747_848, &[(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]),
                ExpensePool {
                    municipal: true,
                    ..pool(0, 46_672_693, &[(0, 1), (1, 0), (1, 1)])
                },
            ],
            vec![
                program(
                    "p0",
                    vec![
                        t("3/4", 20_182_783, None, Some(3), [y, y], 1),
                        t(
                            "2/3",
                            25_165_550,
                            Some(8_895_908),
                            Some(3),
                            [y, false],
                            1_000,
                        ),
                    ],
                ),
                program(
                    "p1",
                    vec![
                        t("3/4", 14_819_201, Some(55_691_894), Some(2), [y, y], 10_000),
                        t("1/3", 22_306_892, None, None, [y, y], 1_000),
                    ],
                ),
                ProgramTerms {
                    budget: Some(Yen(50_979_787)),
                    ..program(
                        "p2",
                        vec![
                            TypeTerms {
                                co_funding: true,
                                ..t("1", 0, None, Some(2), [y, y], 1_000)
                            },
                            t("2/3", 15_909_148, None, Some(3), [y, y], 1_000),
                        ],
                    )
                },
            ],
        )
    };
    let plan = solved(&p);
    assert!(plan.total >= Yen(73_000_000), "{}", plan.total);
    assert!(plan.total >= greedy(&p).total);
    assert!(
        plan.bound.is_some_and(|b| b >= plan.total),
        "{} {:?}",
        plan.total,
        plan.bound
    );
}

// ───────────────────────────────── errors ─────────────────────────────────

#[test]
fn invalid_problems_are_refused_with_the_field() {
    let good = cases().swap_remove(0).problem;
    let mut bad = good.clone();
    bad.programs[0].types[0].rate = rate("3/2");
    let err = optimise(&bad).expect_err("a rate above 1 is refused");
    assert_eq!(err.code(), "invalid-problem");
    assert_eq!(
        err,
        StackError::InvalidProblem {
            field: "programs[0].types[0].rate".into(),
            reason: "must lie between 0 and 1"
        }
    );
    // greedy cannot fail: it gives an empty plan.
    assert!(greedy(&bad).awards.is_empty());

    let mut bad = good.clone();
    bad.pools[0].eligible.push((3, 0));
    assert_eq!(optimise(&bad).map_err(|e| e.code()), Err("invalid-problem"));
    let mut bad = good.clone();
    bad.programs[0].types[0].allowed.push(true);
    assert_eq!(optimise(&bad).map_err(|e| e.code()), Err("invalid-problem"));
    let mut bad = good;
    bad.programs[0].types[0].rounding_unit = 0;
    assert_eq!(optimise(&bad).map_err(|e| e.code()), Err("invalid-problem"));
}

#[test]
fn error_codes_are_stable_and_listed() {
    let errors = [
        StackError::InvalidProblem {
            field: "years".into(),
            reason: "must strictly increase",
        },
        StackError::Infeasible,
        StackError::TimeLimit { seconds: 1.0 },
        StackError::SolverFailed("x".into()),
        StackError::RepairFailed(vec!["rounding"]),
    ];
    let codes: Vec<&str> = errors.iter().map(StackError::code).collect();
    assert_eq!(codes, StackError::CODES);
}

// ──────────────────────────────── checker ─────────────────────────────────

fn codes(p: &StackProblem, plan: &StackPlan) -> Vec<&'static str> {
    violations(p, plan).iter().map(Violation::code).collect()
}

fn plan_of(p: &StackProblem, awards: Vec<Award>) -> StackPlan {
    let total = awards.iter().map(|a| a.amount).sum();
    let mut plan = StackPlan {
        awards,
        total,
        municipal_total: Yen::ZERO,
        bound: None,
    };
    // Municipal share pro rata to expenses, floored per award.
    plan.municipal_total = Yen(plan
        .awards
        .iter()
        .map(|a| {
            let all: i64 = a.expenses.iter().map(|e| e.1.get()).sum();
            let muni: i64 = a
                .expenses
                .iter()
                .filter(|e| p.pools.get(e.0).is_some_and(|k| k.municipal))
                .map(|e| e.1.get())
                .sum();
            if all > 0 {
                a.amount.get() * muni / all
            } else {
                0
            }
        })
        .sum());
    plan
}

fn award(
    program: usize,
    kind: usize,
    year: usize,
    amount: i64,
    expenses: &[(usize, i64)],
) -> Award {
    Award {
        program,
        kind,
        year,
        amount: Yen(amount),
        expenses: expenses.iter().map(|&(k, e)| (k, Yen(e))).collect(),
    }
}

#[test]
fn the_checker_finds_each_broken_rule() {
    let n = 4;
    let p = StackProblem {
        project_cost: vec![Yen(100 * M); n],
        ..problem(
            n,
            (0..n)
                .map(|t| pool(t, 50 * M, &[(0, 0), (0, 1), (1, 0)]))
                .collect(),
            vec![
                program(
                    "tokyo",
                    vec![tokyo(n), kind("other", "1/2", Some(20 * M), n)],
                ),
                ProgramTerms {
                    budget: Some(Yen(30 * M)),
                    ..program(
                        "b",
                        vec![TypeTerms {
                            co_funding: true,
                            cap_total: Some(Yen(35 * M)),
                            allowed: vec![true, true, true, false],
                            ..kind("b", "1", Some(60 * M), n)
                        }],
                    )
                },
            ],
        )
    };
    let ok = plan_of(&p, vec![award(0, 0, 0, 20 * M, &[(0, 40 * M)])]);
    assert_eq!(codes(&p, &ok), Vec::<&str>::new(), "a sound plan passes");

    let table: Vec<(&str, Vec<Award>)> = vec![
        ("cap-per-year", vec![award(0, 0, 0, 21 * M, &[(0, 42 * M)])]),
        (
            "rate-exceeded",
            vec![award(0, 0, 0, 20 * M, &[(0, 39_999_999)])],
        ),
        ("rounding", vec![award(0, 0, 0, 19_999_999, &[(0, 40 * M)])]),
        (
            "double-funding",
            vec![
                // 40M + 11M of a 50M pool.
                award(0, 0, 0, 20 * M, &[(0, 40 * M)]),
                award(1, 0, 0, 11 * M, &[(0, 11 * M)]),
            ],
        ),
        (
            "consecutive-years",
            (0..4)
                .map(|t| award(0, 0, t, 10 * M, &[(t, 20 * M)]))
                .collect(),
        ),
        (
            "multiple-types",
            vec![
                award(0, 0, 0, 10 * M, &[(0, 20 * M)]),
                award(0, 1, 1, 10 * M, &[(1, 20 * M)]),
            ],
        ),
        ("co-funding", vec![award(1, 0, 0, 50 * M, &[(0, 50 * M)])]),
        (
            "budget",
            vec![
                award(1, 0, 0, 20 * M, &[(0, 20 * M)]),
                award(1, 0, 1, 20 * M, &[(1, 20 * M)]),
            ],
        ),
        (
            "cap-total",
            vec![
                award(1, 0, 0, 12 * M, &[(0, 12 * M)]),
                award(1, 0, 1, 12 * M, &[(1, 12 * M)]),
                award(1, 0, 2, 12 * M, &[(2, 12 * M)]),
            ],
        ),
        ("year-not-allowed", vec![award(1, 0, 3, M, &[(3, M)])]),
        (
            "ineligible-expense",
            vec![award(0, 0, 0, 10 * M, &[(1, 20 * M)])],
        ),
        (
            "negative-expense",
            vec![award(0, 0, 0, M, &[(0, 4 * M), (0, -M)])],
        ),
        ("non-positive-award", vec![award(0, 0, 0, 0, &[])]),
        (
            "duplicate-award",
            vec![
                award(0, 0, 0, 5 * M, &[(0, 10 * M)]),
                award(0, 0, 0, 5 * M, &[(0, 10 * M)]),
            ],
        ),
        ("unknown-index", vec![award(5, 0, 0, M, &[(0, 2 * M)])]),
        ("unknown-index", vec![award(0, 0, 0, M, &[(99, 2 * M)])]),
    ];
    for (code, awards) in table {
        let plan = plan_of(&p, awards);
        let found = codes(&p, &plan);
        assert!(found.contains(&code), "{code}: found {found:?}");
    }

    let mut wrong_total = ok.clone();
    wrong_total.total = Yen(1);
    assert_eq!(codes(&p, &wrong_total), vec!["total-mismatch"]);
    let mut wrong_share = ok;
    wrong_share.municipal_total = Yen(1);
    assert_eq!(codes(&p, &wrong_share), vec!["municipal-total-mismatch"]);
}

#[test]
fn violation_codes_match_their_json() {
    let all = [
        Violation::UnknownIndex { award: 0 },
        Violation::NonPositiveAward { award: 0 },
        Violation::DuplicateAward {
            program: 0,
            kind: 0,
            year: 0,
        },
        Violation::Rounding { award: 0 },
        Violation::YearNotAllowed { award: 0 },
        Violation::NegativeExpense { award: 0, pool: 0 },
        Violation::IneligibleExpense { award: 0, pool: 0 },
        Violation::RateExceeded { award: 0 },
        Violation::DoubleFunding { pool: 0 },
        Violation::CapPerYear {
            program: 0,
            kind: 0,
            year: 0,
        },
        Violation::CapTotal {
            program: 0,
            kind: 0,
        },
        Violation::Budget { program: 0 },
        Violation::ConsecutiveYears {
            program: 0,
            kind: 0,
            first_year: 0,
            last_year: 3,
        },
        Violation::MultipleTypes {
            program: 0,
            kinds: vec![0, 1],
        },
        Violation::CoFunding {
            program: 0,
            kind: 0,
            year: 0,
        },
        Violation::TotalMismatch,
        Violation::MunicipalTotalMismatch,
    ];
    let codes: Vec<&str> = all.iter().map(Violation::code).collect();
    assert_eq!(codes, Violation::CODES);
    for v in &all {
        let json = serde_json::to_value(v).expect("serialises");
        assert_eq!(json["code"], v.code(), "{v}");
    }
}

// ──────────────────────────── property tests ─────────────────────────────

const RATES: [&str; 5] = ["1/2", "2/3", "1", "1/3", "3/4"];

prop_compose! {
    fn arb_type(n_years: usize)(
        r in 0..RATES.len(),
        cap in proptest::option::weighted(0.8, 1_000_000_i64..30_000_000),
        cap_total in proptest::option::weighted(0.3, 5_000_000_i64..60_000_000),
        consecutive in proptest::option::weighted(0.5, 1_u32..4),
        allowed in proptest::collection::vec(proptest::bool::weighted(0.8), n_years),
        co_funding in proptest::bool::weighted(0.3),
        unit in prop_oneof![Just(1_i64), Just(1_000), Just(10_000)],
    ) -> TypeTerms {
        TypeTerms {
            id: "t".into(),
            rate: rate(RATES[r]),
            cap_per_year: cap.map(Yen),
            cap_total: cap_total.map(Yen),
            max_consecutive_years: consecutive,
            allowed,
            co_funding,
            rounding_unit: unit,
        }
    }
}

fn arb_program(n_years: usize) -> impl Strategy<Value = ProgramTerms> {
    (
        proptest::collection::vec(arb_type(n_years), 1..3),
        proptest::option::weighted(0.2, 5_000_000_i64..80_000_000),
    )
        .prop_map(|(types, budget)| ProgramTerms {
            id: "p".into(),
            types,
            budget: budget.map(Yen),
        })
}

fn arb_problem(max_years: usize, max_programs: usize) -> impl Strategy<Value = StackProblem> {
    (1..=max_years, 1..=max_programs)
        .prop_flat_map(|(n_years, n_programs)| {
            (
                Just(n_years),
                proptest::collection::vec(arb_program(n_years), n_programs),
                proptest::collection::vec(
                    (0..n_years, 0_i64..50_000_000, any::<bool>(), any::<u16>()),
                    1..8,
                ),
                proptest::collection::vec(0_i64..120_000_000, n_years),
                proptest::option::weighted(
                    0.4,
                    proptest::collection::vec(0_i64..40_000_000, n_years),
                ),
                any::<bool>(),
            )
        })
        .prop_map(
            |(n_years, programs, raw_pools, cost, burden, municipality)| {
                let all: Vec<(usize, usize)> = programs
                    .iter()
                    .enumerate()
                    .flat_map(|(p, prog)| (0..prog.types.len()).map(move |k| (p, k)))
                    .collect();
                let pools = raw_pools
                    .into_iter()
                    .map(|(year, amount, municipal, mask)| ExpensePool {
                        year,
                        amount: Yen(amount),
                        municipal,
                        // A random subset of the types, from the bits of `mask`.
                        eligible: all
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask >> (i % 16) & 1 == 1)
                            .map(|(_, &e)| e)
                            .collect(),
                    })
                    .collect();
                StackProblem {
                    years: years(n_years),
                    project_cost: cost.into_iter().map(Yen).collect(),
                    own_burden: burden.map(|b| b.into_iter().map(Yen).collect()),
                    pools,
                    programs,
                    minimise: if municipality {
                        Minimise::Municipality
                    } else {
                        Minimise::Consortium
                    },
                }
            },
        )
}

/// The (program, type, year) that could pay: allowed, with an eligible pool
/// holding expense.
fn cells(p: &StackProblem) -> Vec<(usize, usize, usize)> {
    let mut cells: Vec<(usize, usize, usize)> = p
        .pools
        .iter()
        .filter(|k| k.amount.get() > 0)
        .flat_map(|k| k.eligible.iter().map(move |&(pi, ki)| (pi, ki, k.year)))
        .filter(|&(pi, ki, t)| p.programs[pi].types[ki].allowed[t])
        .collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

fn amounts_keep_units_and_caps(p: &StackProblem, plan: &StackPlan) -> Result<(), TestCaseError> {
    for a in &plan.awards {
        let terms = &p.programs[a.program].types[a.kind];
        prop_assert_eq!(
            a.amount.get() % terms.rounding_unit,
            0,
            "multiple of its unit: {:?}",
            a
        );
        prop_assert!(a.amount.get() > 0);
        if let Some(cap) = terms.cap_per_year {
            prop_assert!(a.amount <= cap, "within its cap: {:?}", a);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn optimised_plans_keep_every_rule(p in arb_problem(5, 4)) {
        let plan = optimise(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(violations(&p, &plan), Vec::new());
        amounts_keep_units_and_caps(&p, &plan)?;
        let value = match p.minimise {
            Minimise::Consortium => plan.total,
            Minimise::Municipality => plan.municipal_total,
        };
        let bound = plan.bound.expect("optimise proves a bound");
        prop_assert!(value <= bound, "value {} above its bound {}", value, bound);
    }

    #[test]
    fn greedy_plans_keep_every_rule(p in arb_problem(5, 4)) {
        let plan = greedy(&p);
        prop_assert_eq!(violations(&p, &plan), Vec::new());
        amounts_keep_units_and_caps(&p, &plan)?;
    }

    #[test]
    fn the_optimiser_never_does_worse_than_greedy(p in arb_problem(5, 4)) {
        let p = StackProblem { minimise: Minimise::Consortium, ..p };
        let best = optimise(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let simple = greedy(&p);
        // optimise returns the greedy plan when rounding leaves its own
        // worse, and reports a bound only above the plans in hand, so these
        // two hold by construction (a regression guard on that code).
        prop_assert!(
            best.total >= simple.total,
            "optimise {} < greedy {}",
            best.total,
            simple.total
        );
        let bound = best.bound.expect("a bound");
        // What this checks about the solver: its plan is near-optimal.
        // Rounding each (program, type, year) down to its unit and the
        // whole-yen expenses cost less than two units each.
        let slack: i64 = cells(&p)
            .iter()
            .map(|&(pi, ki, _)| 2 * p.programs[pi].types[ki].rounding_unit)
            .sum();
        prop_assert!(
            bound.get() - best.total.get() <= slack,
            "total {} bound {} slack {}",
            best.total,
            bound,
            slack
        );
    }
}

// ───────────────────── brute force on tiny problems ──────────────────────

/// Exact rates only, so that the oracle can use fractions: (numerator,
/// denominator).
const EXACT_RATES: [(&str, i64, i64); 4] =
    [("1/2", 1, 2), ("1", 1, 1), ("1/4", 1, 4), ("3/4", 3, 4)];
const UNIT: i64 = 1_000;

#[derive(Debug, Clone)]
struct Tiny {
    problem: StackProblem,
    /// Per type (program, kind): (numerator, denominator) of its rate.
    rates: Vec<Vec<(i64, i64)>>,
}

/// At most 2 years, 2 (program, type) pairs and 2 pools of at most 5 units:
/// at most 4 cells of at most 11 amounts each, so the search visits at most
/// 14,641 plans.
fn arb_tiny() -> impl Strategy<Value = Tiny> {
    (1_usize..=2, any::<bool>())
        .prop_flat_map(|(n_years, two_programs)| {
            let n_types = 2;
            (
                Just(n_years),
                Just(two_programs),
                proptest::collection::vec(
                    (
                        0..EXACT_RATES.len(),
                        proptest::option::of(1_i64..=8),
                        proptest::option::weighted(0.3, 1_i64..=12),
                        proptest::option::weighted(0.5, Just(1_u32)),
                        proptest::collection::vec(proptest::bool::weighted(0.85), n_years),
                        proptest::bool::weighted(0.3),
                    ),
                    n_types,
                ),
                proptest::collection::vec((0..n_years, 0_i64..=5, 1_u8..4), 1..=2),
                proptest::collection::vec(0_i64..=20, n_years),
                proptest::option::weighted(0.3, proptest::collection::vec(0_i64..=8, n_years)),
                proptest::option::weighted(0.3, 1_i64..=10),
            )
        })
        .prop_map(
            |(n_years, two_programs, types, raw_pools, cost, burden, budget)| {
                let terms: Vec<(TypeTerms, (i64, i64))> = types
                    .into_iter()
                    .map(|(r, cap, cap_total, consecutive, allowed, co_funding)| {
                        let (text, num, den) = EXACT_RATES[r];
                        (
                            TypeTerms {
                                id: "t".into(),
                                rate: rate(text),
                                cap_per_year: cap.map(|c| Yen(c * UNIT)),
                                cap_total: cap_total.map(|c| Yen(c * UNIT)),
                                max_consecutive_years: consecutive,
                                allowed,
                                co_funding,
                                rounding_unit: UNIT,
                            },
                            (num, den),
                        )
                    })
                    .collect();
                // Either two programs of one type, or one program of two types.
                let (programs, rates, pairs) = if two_programs {
                    (
                        terms
                            .iter()
                            .map(|(t, _)| ProgramTerms {
                                id: "p".into(),
                                types: vec![t.clone()],
                                budget: None,
                            })
                            .collect::<Vec<_>>(),
                        terms.iter().map(|(_, r)| vec![*r]).collect::<Vec<_>>(),
                        vec![(0, 0), (1, 0)],
                    )
                } else {
                    (
                        vec![ProgramTerms {
                            id: "p".into(),
                            types: terms.iter().map(|(t, _)| t.clone()).collect(),
                            budget: budget.map(|b| Yen(b * UNIT)),
                        }],
                        vec![terms.iter().map(|(_, r)| *r).collect()],
                        vec![(0, 0), (0, 1)],
                    )
                };
                let pools = raw_pools
                    .into_iter()
                    .map(|(year, amount, mask)| ExpensePool {
                        year,
                        amount: Yen(amount * UNIT),
                        municipal: false,
                        eligible: pairs
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask >> i & 1 == 1)
                            .map(|(_, &e)| e)
                            .collect(),
                    })
                    .collect();
                Tiny {
                    problem: StackProblem {
                        years: years(n_years),
                        project_cost: cost.into_iter().map(|c| Yen(c * UNIT)).collect(),
                        own_burden: burden.map(|b| b.into_iter().map(|x| Yen(x * UNIT)).collect()),
                        pools,
                        programs,
                        minimise: Minimise::Consortium,
                    },
                    rates,
                }
            },
        )
}

/// The largest total over every assignment of amounts to (program, type,
/// year), written from the rules alone: the same expense is never funded
/// twice when, for every set of awards of a year, their least expenses fit
/// in the pools any of them may use (Hall's condition for the assignment of
/// expenses to awards).
fn brute_force(t: &Tiny) -> i64 {
    let p = &t.problem;
    let n_years = p.years.len();
    let mut cells: Vec<(usize, usize, usize, i64)> = Vec::new(); // (program, kind, year, largest)
    for (pi, prog) in p.programs.iter().enumerate() {
        for (ki, terms) in prog.types.iter().enumerate() {
            for year in 0..n_years {
                // No feasible amount exceeds rate × the year's pools.
                let pools: i64 = p
                    .pools
                    .iter()
                    .filter(|k| k.year == year)
                    .map(|k| k.amount.get())
                    .sum();
                let (num, den) = t.rates[pi][ki];
                let largest = terms
                    .cap_per_year
                    .map_or(i64::MAX, |c| c.get())
                    .min(pools * num / den);
                cells.push((pi, ki, year, largest));
            }
        }
    }
    let mut best = 0;
    let mut amounts = vec![0_i64; cells.len()];
    loop {
        if feasible(t, &cells, &amounts) {
            best = best.max(amounts.iter().sum());
        }
        // Next assignment (odometer over multiples of the unit).
        let mut i = 0;
        loop {
            if i == cells.len() {
                return best;
            }
            if amounts[i] + UNIT <= cells[i].3 {
                amounts[i] += UNIT;
                break;
            }
            amounts[i] = 0;
            i += 1;
        }
    }
}

fn feasible(t: &Tiny, cells: &[(usize, usize, usize, i64)], amounts: &[i64]) -> bool {
    let p = &t.problem;
    let funded = |i: usize| amounts[i] > 0;
    for (i, &(pi, ki, year, _)) in cells.iter().enumerate() {
        if !funded(i) {
            continue;
        }
        let terms = &p.programs[pi].types[ki];
        if !terms.allowed[year] {
            return false;
        }
        // One type per program.
        if cells
            .iter()
            .enumerate()
            .any(|(j, &(pj, kj, _, _))| funded(j) && pj == pi && kj != ki)
        {
            return false;
        }
        // One consecutive year at most, when limited to 1.
        if terms.max_consecutive_years == Some(1)
            && cells
                .iter()
                .enumerate()
                .any(|(j, &(pj, kj, yj, _))| funded(j) && pj == pi && kj == ki && yj != year)
        {
            return false;
        }
        let year_total: i64 = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 == year)
            .map(|(j, _)| amounts[j])
            .sum();
        if terms.co_funding {
            let burden = match &p.own_burden {
                Some(b) => b[year].get(),
                None => p.project_cost[year].get() - year_total,
            };
            if amounts[i] >= burden {
                return false;
            }
        }
    }
    for (pi, prog) in p.programs.iter().enumerate() {
        let mut program_total = 0;
        for (ki, terms) in prog.types.iter().enumerate() {
            let type_total: i64 = cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.0 == pi && c.1 == ki)
                .map(|(j, _)| amounts[j])
                .sum();
            if terms.cap_total.is_some_and(|c| type_total > c.get()) {
                return false;
            }
            program_total += type_total;
        }
        if prog.budget.is_some_and(|b| program_total > b.get()) {
            return false;
        }
    }
    // Hall's condition per year.
    for year in 0..p.years.len() {
        let awards: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].2 == year && funded(i))
            .collect();
        for subset in 1_u32..(1 << awards.len()) {
            let chosen: Vec<usize> = (0..awards.len())
                .filter(|b| subset >> b & 1 == 1)
                .map(|b| awards[b])
                .collect();
            let need: i64 = chosen
                .iter()
                .map(|&i| {
                    let (num, den) = t.rates[cells[i].0][cells[i].1];
                    (amounts[i] * den + num - 1) / num // ⌈S ∕ rate⌉
                })
                .sum();
            let reach: i64 = p
                .pools
                .iter()
                .filter(|k| {
                    k.year == year
                        && chosen
                            .iter()
                            .any(|&i| k.eligible.contains(&(cells[i].0, cells[i].1)))
                })
                .map(|k| k.amount.get())
                .sum();
            if need > reach {
                return false;
            }
        }
    }
    true
}

proptest! {
    #[test]
    fn the_optimiser_matches_a_brute_force_search(t in arb_tiny()) {
        let best = optimise(&t.problem).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(violations(&t.problem, &best), Vec::new());
        let exact = brute_force(&t);
        prop_assert_eq!(best.total.get(), exact, "optimiser against brute force");
        prop_assert!(best.bound.expect("a bound").get() >= exact, "the bound holds");
    }
}
