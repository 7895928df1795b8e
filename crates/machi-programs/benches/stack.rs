//! The funding-stack optimiser on a realistic problem
//! (`cargo bench -p machi-programs --bench stack`).
//!
//! 10 programs (rates 1/2, 2/3 and 定額 with caps of ¥5M–¥50M a year,
//! consecutive limits of 2–5 years, three with two types, four co-funded)
//! over 20 fiscal years with 6 expense pools a year. `greedy` is the named
//! peer: the plan a person would draw up by hand. The numbers are recorded
//! in `docs/PERFORMANCE.md` ("Funding stack: 10 programs × 20 fiscal years").
//!
//! Before timing, both plans are checked ([`violations`]) and printed with
//! their totals and the optimiser's bound; `STACK_BENCH_CHECK_ONLY=1` stops
//! there.

use std::sync::LazyLock;

use divan::black_box;
use machi_domain::{FiscalYear, Rate, Yen};
use machi_programs::stack::{
    ExpensePool, Minimise, ProgramTerms, StackProblem, TypeTerms, greedy, optimise, violations,
};

fn main() {
    // Check the plans once before timing them: a fast wrong answer is no
    // benchmark.
    for problem in [&*CONSORTIUM, &*MUNICIPALITY] {
        let best = optimise(problem).expect("the realistic problem solves");
        let simple = greedy(problem);
        assert!(
            violations(problem, &best).is_empty(),
            "optimised plan keeps every rule"
        );
        assert!(
            violations(problem, &simple).is_empty(),
            "greedy plan keeps every rule"
        );
        if problem.minimise == Minimise::Consortium {
            assert!(best.total >= simple.total, "the optimum is at least greedy");
        }
        assert!(best.bound.is_some(), "the solver's bound is consistent");
        eprintln!(
            "{:?}: optimise total {} (municipal {}, bound {:?}), \
             greedy total {} (municipal {}), {} awards",
            problem.minimise,
            best.total,
            best.municipal_total,
            best.bound,
            simple.total,
            simple.municipal_total,
            best.awards.len()
        );
    }
    if std::env::var_os("STACK_BENCH_CHECK_ONLY").is_none() {
        divan::main();
    }
}

static CONSORTIUM: LazyLock<StackProblem> = LazyLock::new(|| realistic(Minimise::Consortium));
static MUNICIPALITY: LazyLock<StackProblem> = LazyLock::new(|| realistic(Minimise::Municipality));

const YEARS: usize = 20;

fn man(n: i64) -> Yen {
    Yen(n * 10_000)
}

struct Spec {
    id: &'static str,
    types: &'static [(&'static str, &'static str, i64)],
    consecutive: Option<u32>,
    first: usize,
    last: usize,
    co_funding: bool,
    budget_man: Option<i64>,
    cap_total_man: Option<i64>,
}

/// 10 programs: their types as (type, rate, cap per year in 万円), the
/// consecutive-years limit, the allowed years `first..=last`, co-funding,
/// the budget and the total cap per type (in 万円).
const PROGRAMS: [Spec; 10] = [
    Spec {
        id: "mlit-smart-city",
        types: &[("normal", "1/2", 5_000), ("service", "1/2", 3_000)],
        consecutive: Some(2),
        first: 0,
        last: 7,
        co_funding: true,
        budget_man: None,
        cap_total_man: None,
    },
    Spec {
        id: "tokyo-dx",
        types: &[("standard", "1/2", 2_000)],
        consecutive: Some(3),
        first: 0,
        last: 19,
        co_funding: false,
        budget_man: None,
        cap_total_man: None,
    },
    Spec {
        id: "digiden",
        types: &[("type1", "1/2", 4_000), ("type2", "2/3", 2_500)],
        consecutive: Some(3),
        first: 1,
        last: 10,
        co_funding: true,
        budget_man: Some(9_000),
        cap_total_man: None,
    },
    Spec {
        id: "chiho-sosei",
        types: &[("promotion", "1/2", 3_500)],
        consecutive: Some(5),
        first: 0,
        last: 19,
        co_funding: false,
        budget_man: None,
        cap_total_man: Some(12_000),
    },
    Spec {
        id: "meti-iot",
        types: &[("demo", "2/3", 3_000)],
        consecutive: Some(2),
        first: 2,
        last: 12,
        co_funding: true,
        budget_man: None,
        cap_total_man: None,
    },
    Spec {
        id: "fs-grant",
        types: &[("study", "1", 500)],
        consecutive: Some(3),
        first: 0,
        last: 5,
        co_funding: false,
        budget_man: None,
        cap_total_man: None,
    },
    Spec {
        id: "env-decarb",
        types: &[("equipment", "2/3", 5_000), ("software", "1/2", 2_000)],
        consecutive: Some(3),
        first: 3,
        last: 15,
        co_funding: false,
        budget_man: None,
        cap_total_man: Some(10_000),
    },
    Spec {
        id: "soumu-local5g",
        types: &[("fixed", "1", 1_000)],
        consecutive: Some(2),
        first: 0,
        last: 9,
        co_funding: false,
        budget_man: None,
        cap_total_man: None,
    },
    Spec {
        id: "pref-dx",
        types: &[("half", "1/2", 1_500)],
        consecutive: Some(4),
        first: 0,
        last: 19,
        co_funding: true,
        budget_man: Some(5_000),
        cap_total_man: None,
    },
    Spec {
        id: "foundation",
        types: &[("grant", "1", 800)],
        consecutive: Some(5),
        first: 5,
        last: 19,
        co_funding: false,
        budget_man: None,
        cap_total_man: None,
    },
];

/// Pools per year: (name, municipal, programs that may fund it).
const POOLS: [(&str, bool, &[usize]); 6] = [
    ("capex-municipal", true, &[0, 2, 3, 6, 8]),
    ("capex-private", false, &[0, 1, 2, 4, 6]),
    ("system-development", false, &[0, 1, 2, 4, 7, 9]),
    ("operations-municipal", true, &[3, 8, 9]),
    ("operations-private", false, &[1, 4, 9]),
    ("study-and-planning", true, &[2, 5, 7, 8]),
];

fn realistic(minimise: Minimise) -> StackProblem {
    let years: Vec<FiscalYear> = (0..YEARS)
        .map(|i| FiscalYear::new(2025 + i as i32).expect("a valid fiscal year"))
        .collect();
    // Build-out in the first years, then running costs that grow; amounts in
    // 万円, uneven on purpose (a deterministic pseudo-random wobble).
    let wobble = |t: usize, k: usize| ((t * 7 + k * 13) % 11) as i64;
    let mut pools = Vec::new();
    for t in 0..YEARS {
        for (k, (_, municipal, programs)) in POOLS.iter().enumerate() {
            let base = match (k, t) {
                (0, 0..=2) => 12_000 - 3_000 * t as i64,
                (0, _) => 800,
                (1, 0..=3) => 9_000 - 1_500 * t as i64,
                (1, _) => 1_200,
                (2, _) => 3_000 + 150 * t as i64,
                (3, _) => 2_500 + 100 * t as i64,
                (4, _) => 4_000 + 120 * t as i64,
                _ => {
                    if t < 4 {
                        1_500
                    } else {
                        300
                    }
                }
            };
            let eligible = programs
                .iter()
                .flat_map(|&p| (0..PROGRAMS[p].types.len()).map(move |kind| (p, kind)))
                .collect();
            pools.push(ExpensePool {
                year: t,
                amount: Yen(man(base + 97 * wobble(t, k)).get() + 123_456),
                municipal: *municipal,
                eligible,
            });
        }
    }
    let programs = PROGRAMS
        .iter()
        .map(|spec| ProgramTerms {
            id: spec.id.to_owned(),
            budget: spec.budget_man.map(man),
            types: spec
                .types
                .iter()
                .map(|&(kind, rate, cap)| TypeTerms {
                    id: format!("{}:{kind}", spec.id),
                    rate: rate.parse::<Rate>().expect("a valid rate"),
                    cap_per_year: Some(man(cap)),
                    cap_total: spec.cap_total_man.map(man),
                    max_consecutive_years: spec.consecutive,
                    allowed: (0..YEARS)
                        .map(|t| (spec.first..=spec.last).contains(&t))
                        .collect(),
                    co_funding: spec.co_funding,
                    rounding_unit: 1_000,
                })
                .collect(),
        })
        .collect();
    let project_cost = (0..YEARS)
        .map(|t| {
            let year: i64 = pools
                .iter()
                .filter(|p| p.year == t)
                .map(|p| p.amount.get())
                .sum();
            Yen(year + man(2_000).get())
        })
        .collect();
    StackProblem {
        years,
        project_cost,
        own_burden: None,
        pools,
        programs,
        minimise,
    }
}

#[divan::bench]
fn optimise_consortium(bencher: divan::Bencher<'_, '_>) {
    bencher.bench(|| optimise(black_box(&*CONSORTIUM)));
}

#[divan::bench]
fn optimise_municipality(bencher: divan::Bencher<'_, '_>) {
    bencher.bench(|| optimise(black_box(&*MUNICIPALITY)));
}

#[divan::bench]
fn greedy_consortium(bencher: divan::Bencher<'_, '_>) {
    bencher.bench(|| greedy(black_box(&*CONSORTIUM)));
}

#[divan::bench]
fn greedy_municipality(bencher: divan::Bencher<'_, '_>) {
    bencher.bench(|| greedy(black_box(&*MUNICIPALITY)));
}
