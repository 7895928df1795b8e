//! Eligibility, sizing, the donation relief and the optimiser's input,
//! checked against the shipped programs with numbers from the seeds:
//!
//! - Tokyo (seed 001): up to ¥20,000,000 per project per fiscal year, up to
//!   50 % of eligible expenses, up to three consecutive fiscal years;
//! - MLIT (seed 002): 定額補助 up to ¥20,000,000 (通常タイプ) / ¥50,000,000
//!   (都市サービス実装タイプ, implemented by FY2026); the consortium's own
//!   burden must exceed the subsidy;
//! - MIC (seed 004, secondary source): 1/2, minimum project cost ¥3,000,000;
//! - 企業版ふるさと納税: relief up to about 90 %, donations of at least ¥100,000;
//! - rounding down to the thousand yen (REFERENCE.md, general practice).

use machi_domain::{FiscalYear, Project, Rate, Yen};
use machi_programs::eligibility::{Status, Verdict};
use machi_programs::explain::{Arg, REASON_CODES, SIZING_CODES};
use machi_programs::sizing::LimitKind;
use machi_programs::stack::Minimise;
use machi_programs::{
    Catalogue, CheckReport, Program, TypeSizing, build_stack_problem, check, donation_relief, size,
};
use proptest::prelude::*;

const TOKYO: &str = "tokyo-smart-tokyo-local-issues";
const MLIT: &str = "mlit-smart-city-implementation";
const MIC: &str = "mic-smart-city-data-linkage";

fn catalogue() -> Catalogue {
    Catalogue::bundled().unwrap_or_else(|e| panic!("{e}"))
}

fn program(id: &str) -> Program {
    catalogue()
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is shipped"))
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("a fiscal year")
}

/// One cost line: kind, category, party, amounts by fiscal year.
struct Line<'a>(&'a str, &'a str, &'a str, &'a [(i32, i64)]);

/// A small project: a municipality (representative) and a company; the
/// municipality's local-government code, the horizon, the lines and the
/// `[consortium]` body are given.
struct Spec<'a> {
    code: &'a str,
    first: i32,
    last: i32,
    tax_included: bool,
    lines: &'a [Line<'a>],
    consortium: &'a str,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            code: "131016",
            first: 2025,
            last: 2029,
            tax_included: false,
            lines: &[],
            consortium: "",
        }
    }
}

fn project(spec: &Spec<'_>) -> Project {
    let mut t = format!(
        r#"
[project]
id = "test"
name = {{ ja = "試験事業", en = "Test project" }}
municipality = {{ name = {{ ja = "試験市" }}, code = "{code}" }}
category = "problem-solving"
site = "brownfield"
mlit_themes = ["safety-and-security"]

[horizon]
first = {first}
last = {last}

[finance]
discount_rate = "4%"
amounts_include_consumption_tax = {tax}

[consortium]
{consortium}

[[members]]
id = "city"
name = {{ ja = "市" }}
kind = "municipality"
role = "representative"

[[members]]
id = "vendor"
name = {{ ja = "事業者" }}
kind = "company"
"#,
        code = spec.code,
        first = spec.first,
        last = spec.last,
        tax = spec.tax_included,
        consortium = spec.consortium,
    );
    for (i, Line(kind, category, party, amounts)) in spec.lines.iter().enumerate() {
        let amounts: Vec<String> = amounts
            .iter()
            .map(|(y, a)| format!("FY{y} = {a}"))
            .collect();
        t.push_str(&format!(
            "\n[[line_items]]\nid = \"l{i}\"\nkind = \"{kind}\"\ncategory = \"{category}\"\nname = {{ ja = \"行{i}\" }}\nparty = \"{party}\"\namounts = {{ {} }}\n",
            amounts.join(", ")
        ));
    }
    Project::from_toml_str(&t)
        .unwrap_or_else(|e| panic!("test project does not validate:\n{e}\n{t}"))
}

/// Capex equipment held by the city, one amount per year from FY2025.
fn equipment(amounts: &[(i32, i64)]) -> Project {
    project(&Spec {
        lines: &[Line("capex", "equipment", "city", amounts)],
        ..Spec::default()
    })
}

fn sized(p: &Project, program: &Program, ty: Option<&str>) -> TypeSizing {
    let s = size(p, program, ty).unwrap_or_else(|e| panic!("{e}"));
    for y in &s.years {
        for e in &y.explanation {
            assert!(
                SIZING_CODES.contains(&e.code),
                "{} is not in SIZING_CODES",
                e.code
            );
        }
    }
    s
}

fn checked(p: &Project, program: &Program, ty: Option<&str>) -> CheckReport {
    let r = check(p, program, ty).unwrap_or_else(|e| panic!("{e}"));
    for t in &r.types {
        for o in &t.outcomes {
            assert!(
                REASON_CODES.contains(&o.reason.code),
                "{} is not in REASON_CODES",
                o.reason.code
            );
        }
    }
    r
}

fn amounts(s: &TypeSizing) -> Vec<i64> {
    s.years.iter().map(|y| y.amount.get()).collect()
}

fn status_of(r: &CheckReport, rule: &str) -> Status {
    r.types[0]
        .outcomes
        .iter()
        .find(|o| o.rule == rule)
        .map(|o| o.status)
        .unwrap_or_else(|| panic!("no {rule}"))
}

// ------------------------------------------------------------------ Tokyo

#[test]
fn tokyo_caps_rates_and_stops_after_three_years() {
    // Eligible ¥50M → ¥20M (cap); ¥30M → ¥15M (50 %); ¥40M → ¥20M (the rate
    // and the cap agree); a fourth consecutive year → nothing.
    let p = equipment(&[
        (2025, 50_000_000),
        (2026, 30_000_000),
        (2027, 40_000_000),
        (2028, 30_000_000),
    ]);
    let s = sized(&p, &program(TOKYO), None);
    assert_eq!(amounts(&s), [20_000_000, 15_000_000, 20_000_000, 0, 0]);
    let y = &s.years;
    assert_eq!(y[0].binding, Some(LimitKind::CapPerYear));
    // "¥20,000,000: capped by the per-year limit; the 50% rate would give ¥25,000,000"
    assert_eq!(y[0].explanation[0].code, "binding-cap-per-year");
    assert_eq!(y[0].explanation[1].code, "other-rate");
    assert_eq!(
        y[0].explanation[1].get("value"),
        Some(&Arg::Yen(Yen(25_000_000)))
    );
    assert_eq!(y[1].binding, Some(LimitKind::Rate));
    assert_eq!(
        y[2].binding,
        Some(LimitKind::Rate),
        "a tie goes to the rate"
    );
    let blocked = y[3].blocked.as_ref().expect("the fourth year is blocked");
    assert_eq!(blocked.code, "blocked-beyond-duration");
    assert_eq!(blocked.get("first"), Some(&Arg::Year(fy(2025))));
    assert_eq!(
        y[4].blocked.as_ref().map(|b| b.code),
        Some("blocked-no-eligible-expenses")
    );
    assert_eq!(s.total, Yen(55_000_000));
}

#[test]
fn tokyo_rounds_down_to_the_thousand_yen() {
    // 50 % × ¥12,345,678 = ¥6,172,839 → ¥6,172,000.
    let s = sized(&equipment(&[(2025, 12_345_678)]), &program(TOKYO), None);
    assert_eq!(s.years[0].amount, Yen(6_172_000));
    assert!(s.years[0].explanation.iter().any(|e| e.code == "rounded"));
}

#[test]
fn tokyo_excludes_consumption_tax_when_amounts_include_it() {
    // ¥11,000,000 incl. 10 % tax → ¥10,000,000 eligible → ¥5,000,000.
    let p = project(&Spec {
        tax_included: true,
        lines: &[Line("capex", "equipment", "city", &[(2025, 11_000_000)])],
        ..Spec::default()
    });
    let s = sized(&p, &program(TOKYO), None);
    assert_eq!(
        (
            s.years[0].eligible_gross,
            s.years[0].eligible,
            s.years[0].amount
        ),
        (Yen(11_000_000), Yen(10_000_000), Yen(5_000_000))
    );
    assert!(
        s.years[0]
            .explanation
            .iter()
            .any(|e| e.code == "tax-excluded")
    );
}

#[test]
fn kurume_is_not_in_tokyo() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/kurume-flood-ai.toml"
    ))
    .expect("the Kurume example");
    let p = Project::from_toml_str(&text).expect("the example validates");
    let r = checked(&p, &program(TOKYO), None);
    assert_eq!(r.verdict, Verdict::NotEligible);
    let o = r.types[0]
        .outcomes
        .iter()
        .find(|o| o.rule == "located-in")
        .expect("located-in");
    assert_eq!(o.status, Status::Fail);
    assert_eq!(
        o.reason.get("prefecture"),
        Some(&Arg::Prefectures(vec![40]))
    );
    // Not eligible: nothing is sized.
    assert_eq!(r.types[0].sizing.as_ref().map(|s| s.total), Some(Yen::ZERO));
}

// ------------------------------------------------------------------- MLIT

#[test]
fn mlit_normal_stays_below_the_own_burden_and_the_cap() {
    // (own burden, eligible) → subsidy: strictly below the burden, at most
    // ¥20,000,000, rounded down to the thousand yen.
    let cases: &[(i64, i64, i64, LimitKind)] = &[
        (25_432_100, 60_000_000, 20_000_000, LimitKind::CapPerYear),
        (15_000_000, 60_000_000, 14_999_000, LimitKind::CoFunding),
        (20_000_001, 60_000_000, 20_000_000, LimitKind::CapPerYear),
        (20_000_000, 60_000_000, 19_999_000, LimitKind::CoFunding),
        (100_000_000, 5_500_500, 5_500_000, LimitKind::FixedAmount),
        (0, 60_000_000, 0, LimitKind::CoFunding),
    ];
    for &(burden, eligible, expected, binding) in cases {
        let consortium = format!(
            "execution_plan_url = \"https://example.jp/plan\"\nown_burden = {{ FY2025 = {burden} }}"
        );
        let p = project(&Spec {
            lines: &[Line("capex", "software", "city", &[(2025, eligible)])],
            consortium: &consortium,
            ..Spec::default()
        });
        let s = sized(&p, &program(MLIT), Some("normal"));
        assert_eq!(
            s.years[0].amount,
            Yen(expected),
            "burden {burden}, eligible {eligible}"
        );
        assert_eq!(
            s.years[0].binding,
            Some(binding),
            "burden {burden}, eligible {eligible}"
        );
        assert!(
            s.years[0].amount < Yen(burden) || burden == 0,
            "strictly below the burden"
        );
    }
}

#[test]
fn mlit_without_a_stated_burden_keeps_the_subsidy_below_half_the_cost() {
    // Burden = cost − subsidy, so subsidy < cost / 2.
    for (cost, expected) in [
        (30_000_000, 14_999_000),
        (30_000_001, 15_000_000),
        (100_000_000, 20_000_000),
    ] {
        let p = project(&Spec {
            lines: &[Line("capex", "equipment", "city", &[(2025, cost)])],
            consortium: "execution_plan_url = \"https://example.jp/plan\"",
            ..Spec::default()
        });
        let r = checked(&p, &program(MLIT), Some("normal"));
        assert_eq!(r.verdict, Verdict::Eligible);
        let co = r.types[0]
            .outcomes
            .iter()
            .find(|o| o.rule == "co-funding")
            .expect("co-funding outcome");
        assert_eq!(co.reason.code, "co-funding-assumed");
        let s = r.types[0].sizing.as_ref().expect("sized");
        assert_eq!(s.years[0].amount, Yen(expected), "cost {cost}");
        assert!(s.years[0].amount.get() * 2 < cost);
    }
}

#[test]
fn mlit_urban_service_needs_implementation_by_fy2026() {
    let lines = [Line(
        "capex",
        "equipment",
        "city",
        &[(2025, 80_000_000), (2026, 80_000_000), (2027, 80_000_000)],
    )];
    let base = "execution_plan_url = \"https://example.jp/plan\"\nimplementation_plan = { title = { ja = \"実装計画\" } }";
    // Implemented in FY2027: fails, and nothing is sized.
    let late = format!("{base}\nimplementation_year = \"FY2027\"");
    let p = project(&Spec {
        lines: &lines,
        consortium: &late,
        ..Spec::default()
    });
    let r = checked(&p, &program(MLIT), Some("urban-service"));
    assert_eq!(status_of(&r, "implemented-by"), Status::Fail);
    assert_eq!(r.verdict, Verdict::NotEligible);
    assert_eq!(r.types[0].sizing.as_ref().map(|s| s.total), Some(Yen::ZERO));
    // Implemented in FY2026: passes; ¥50M a year (cap) until FY2026, nothing after.
    let on_time = format!("{base}\nimplementation_year = \"令和8年度\"");
    let p = project(&Spec {
        lines: &lines,
        consortium: &on_time,
        ..Spec::default()
    });
    let r = checked(&p, &program(MLIT), Some("urban-service"));
    assert_eq!(r.verdict, Verdict::Eligible);
    let s = r.types[0].sizing.as_ref().expect("sized");
    assert_eq!(
        amounts(s),
        [39_999_000, 39_999_000, 0, 0, 0],
        "below half the cost of ¥80M, under the ¥50M cap"
    );
    assert_eq!(
        s.years[2].blocked.as_ref().map(|b| b.code),
        Some("blocked-after-deadline")
    );
    // No implementation year or plan: needs information.
    let p = project(&Spec {
        lines: &lines,
        consortium: "execution_plan_url = \"https://example.jp/plan\"",
        ..Spec::default()
    });
    let r = checked(&p, &program(MLIT), Some("urban-service"));
    assert_eq!(status_of(&r, "implemented-by"), Status::NeedsInformation);
    assert_eq!(
        status_of(&r, "implementation-plan"),
        Status::NeedsInformation
    );
    assert_eq!(r.verdict, Verdict::NeedsInformation);
}

#[test]
fn a_missing_execution_plan_url_needs_information() {
    let p = equipment(&[(2025, 10_000_000)]);
    let r = checked(&p, &program(MLIT), None);
    assert_eq!(r.types.len(), 2, "without :TYPE every type is checked");
    for t in &r.types {
        let o = t
            .outcomes
            .iter()
            .find(|o| o.rule == "execution-plan-published")
            .expect("rule");
        assert_eq!(o.status, Status::NeedsInformation);
        assert_eq!(
            o.reason.get("field"),
            Some(&Arg::Str("consortium.execution_plan_url".into()))
        );
    }
    assert_eq!(r.verdict, Verdict::NeedsInformation);
}

#[test]
fn mlit_needs_a_local_government_and_a_private_member() {
    // A consortium of a municipality and a university only.
    let text = r#"
[project]
id = "t"
name = { ja = "試験" }
municipality = { name = { ja = "試験市" }, code = "131016" }
category = "problem-solving"
site = "brownfield"
[horizon]
first = 2025
last = 2026
[finance]
discount_rate = "4%"
[consortium]
execution_plan_url = "https://example.jp/plan"
[[members]]
id = "city"
name = { ja = "市" }
kind = "municipality"
role = "representative"
[[members]]
id = "uni"
name = { ja = "大学" }
kind = "university"
"#;
    let p = Project::from_toml_str(text).expect("valid");
    let r = checked(&p, &program(MLIT), Some("normal"));
    assert_eq!(status_of(&r, "consortium-includes"), Status::Fail);
    assert_eq!(r.verdict, Verdict::NotEligible);
}

// -------------------------------------------------------------------- MIC

#[test]
fn mic_minimum_project_cost() {
    // The minimum compares the year's eligible expenses (urban OS, software,
    // equipment); running costs do not count.
    let cases: &[(i64, i64, i64)] = &[
        (2_999_999, 50_000_000, 0),
        (3_000_000, 0, 1_500_000),
        (10_000_001, 0, 5_000_000),
    ];
    for &(platform, cloud, expected) in cases {
        let p = project(&Spec {
            lines: &[
                Line("capex", "data-platform", "city", &[(2025, platform)]),
                Line("opex", "cloud", "city", &[(2025, cloud)]),
            ],
            ..Spec::default()
        });
        let r = checked(&p, &program(MIC), None);
        let s = r.types[0].sizing.as_ref().expect("sized");
        assert_eq!(s.years[0].amount, Yen(expected), "platform {platform}");
        let min = status_of(&r, "min-project-cost");
        assert_eq!(
            min,
            if expected == 0 {
                Status::Fail
            } else {
                Status::Pass
            },
            "platform {platform}"
        );
    }
}

// ------------------------------------------------- custom terms (as data)

/// A subsidy written in the test, to exercise terms no shipped program has.
fn grant(sizing: &str, rules: &str) -> Program {
    let text = format!(
        r#"
id = "test-grant"
kind = "subsidy"
name = {{ ja = "試験補助" }}
issuer = {{ ja = "試験" }}
fiscal_year = 2025
{rules}
[sizing]
{sizing}
[[sources]]
id = "s"
title = {{ ja = "試験資料" }}
"#
    );
    machi_programs::catalogue::parse_file("test-grant.toml", &text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

#[test]
fn the_total_cap_and_the_budget_bind_over_the_years() {
    let p = equipment(&[(2025, 20_000_000), (2026, 20_000_000), (2027, 20_000_000)]);
    let g = grant(
        r#"subsidy = { method = "fixed-amount", source = { doc = "s" } }
cap_per_year = { amount = 20_000_000, source = { doc = "s" } }
cap_total = { amount = 30_000_000, source = { doc = "s" } }
eligible_expenses = { source = { doc = "s" } }"#,
        "",
    );
    let s = sized(&p, &g, None);
    assert_eq!(amounts(&s), [20_000_000, 10_000_000, 0, 0, 0]);
    assert_eq!(s.years[1].binding, Some(LimitKind::CapTotal));
    let with_budget = grant(
        r#"subsidy = { method = "rate", rate = "100%", source = { doc = "s" } }
eligible_expenses = { source = { doc = "s" } }"#,
        "budget = { amount = 25_000_000, source = { doc = \"s\" } }",
    );
    let s = sized(&p, &with_budget, None);
    assert_eq!(amounts(&s), [20_000_000, 5_000_000, 0, 0, 0]);
    assert_eq!(s.years[1].binding, Some(LimitKind::Budget));
}

// ---------------------------------------------- donation incentive, levy

#[test]
fn hometown_tax_relief_and_net_cost() {
    let p = program("corporate-hometown-tax");
    // (donation, relief, net cost): 30 % + 40 % + 20 % = 90 % at most; below
    // ¥100,000 no relief. Each part is rounded down on its own: ¥123,457 →
    // ¥37,037 + ¥49,382 + ¥24,691 = ¥111,110 (not ⌊90 %⌋ = ¥111,111).
    for (donation, relief, net) in [
        (10_000_000, 9_000_000, 1_000_000),
        (100_000, 90_000, 10_000),
        (99_999, 0, 99_999),
        (123_457, 111_110, 12_347),
    ] {
        let r = donation_relief(&p, Yen(donation)).expect("a donation incentive");
        assert_eq!(
            (r.relief, r.net_cost),
            (Yen(relief), Yen(net)),
            "donation {donation}"
        );
        assert_eq!(r.qualifies, donation >= 100_000);
    }
    assert!(
        donation_relief(&program(TOKYO), Yen(1_000_000)).is_none(),
        "a subsidy has no relief"
    );
}

#[test]
fn hometown_tax_needs_an_approved_plan() {
    let p = program("corporate-hometown-tax");
    let cases = [
        ("regional_revitalisation_plan = true", Verdict::Eligible),
        ("regional_revitalisation_plan = false", Verdict::NotEligible),
        ("", Verdict::NeedsInformation),
    ];
    for (consortium, verdict) in cases {
        let r = checked(
            &project(&Spec {
                consortium,
                ..Spec::default()
            }),
            &p,
            None,
        );
        assert_eq!(r.verdict, verdict, "{consortium:?}");
        assert!(
            r.types[0].sizing.is_none(),
            "no sizing for a donation incentive"
        );
        // The conditions machi cannot check are advice, not the verdict.
        assert!(
            r.types[0]
                .outcomes
                .iter()
                .filter(|o| o.rule == "condition")
                .all(|o| o.advisory)
        );
    }
}

#[test]
fn the_levy_needs_two_thirds_consent_and_an_area_management_body() {
    let p = program("area-management-levy");
    // The test project has no area-management body: always not eligible.
    let r = checked(
        &project(&Spec {
            consortium: "levy_consent_share = \"3/4\"\nregional_revitalisation_plan = true",
            ..Spec::default()
        }),
        &p,
        None,
    );
    assert_eq!(status_of(&r, "consortium-includes"), Status::Fail);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/kashiwanoha-area-services.toml"
    ))
    .expect("the Kashiwanoha example");
    for (share, status) in [
        ("3/4", Status::Pass),
        ("2/3", Status::Pass),
        ("3/5", Status::Fail),
    ] {
        let t = text.replacen(
            "levy_consent_share = \"3/4\"",
            &format!("levy_consent_share = \"{share}\""),
            1,
        );
        let r = checked(&Project::from_toml_str(&t).expect("valid"), &p, None);
        assert_eq!(status_of(&r, "consent-share"), status, "{share}");
    }
    let t = text.replacen("levy_consent_share = \"3/4\"", "", 1);
    let r = checked(&Project::from_toml_str(&t).expect("valid"), &p, None);
    assert_eq!(status_of(&r, "consent-share"), Status::NeedsInformation);
}

// ------------------------------------------------------ the optimiser's input

#[test]
fn pools_group_by_year_type_set_and_holder_and_split_the_tax() {
    // Tokyo excludes consumption tax; the test grant funds it.
    let tax_grant = grant(
        r#"subsidy = { method = "rate", rate = "1/3", source = { doc = "s" } }
eligible_expenses = { categories = ["data-platform", "cloud"], consumption_tax = true, source = { doc = "s" } }"#,
        "",
    );
    let tokyo = program(TOKYO);
    let p = project(&Spec {
        tax_included: true,
        lines: &[
            Line("capex", "data-platform", "city", &[(2025, 11_000_000)]),
            Line("capex", "equipment", "city", &[(2025, 5_500_000)]),
            Line("opex", "cloud", "vendor", &[(2026, 2_200_000)]),
        ],
        consortium: "own_burden = { FY2025 = 9_000_000 }",
        ..Spec::default()
    });
    let problem = build_stack_problem(
        &p,
        &[(&tokyo, None), (&tax_grant, None)],
        Minimise::Municipality,
    )
    .expect("builds");
    assert_eq!(problem.years.len(), 5);
    assert_eq!(problem.project_cost[0], Yen(16_500_000));
    assert_eq!(
        problem.own_burden.as_ref().map(|b| b[0]),
        Some(Yen(9_000_000))
    );
    assert_eq!(problem.programs.len(), 2);
    assert_eq!(problem.programs[0].types[0].id, TOKYO);
    assert_eq!(
        problem.programs[0].types[0].rate,
        "1/2".parse::<Rate>().expect("rate")
    );
    assert_eq!(
        problem.programs[0].types[0].cap_per_year,
        Some(Yen(20_000_000))
    );
    assert_eq!(problem.programs[0].types[0].max_consecutive_years, Some(3));
    assert_eq!(problem.programs[0].types[0].rounding_unit, 1_000);
    // (year index, amount, held by a local government, funding types)
    type Row = (usize, i64, bool, Vec<(usize, usize)>);
    let pools: Vec<Row> = problem
        .pools
        .iter()
        .map(|p| (p.year, p.amount.get(), p.municipal, p.eligible.clone()))
        .collect();
    assert_eq!(
        pools,
        [
            // FY2025, city: equipment without tax (Tokyo only), the platform
            // without tax (both).
            (0, 5_000_000, true, vec![(0, 0)]),
            (0, 10_000_000, true, vec![(0, 0), (1, 0)]),
            // The platform's tax: only the grant that funds consumption tax.
            (0, 1_000_000, true, vec![(1, 0)]),
            // FY2026, the vendor's cloud: without tax (both), its tax (the grant).
            (1, 2_000_000, false, vec![(0, 0), (1, 0)]),
            (1, 200_000, false, vec![(1, 0)]),
        ]
    );
    // Single-program sizing sees the same eligible expenses as the pools.
    let s = sized(&p, &tokyo, None);
    assert_eq!(s.years[0].eligible, Yen(15_000_000));
}

#[test]
fn allowed_years_follow_deadlines_minimum_cost_and_eligibility() {
    let lines = [Line(
        "capex",
        "data-platform",
        "city",
        &[
            (2025, 10_000_000),
            (2026, 2_000_000),
            (2027, 10_000_000),
            (2028, 10_000_000),
        ],
    )];
    let p = project(&Spec {
        lines: &lines,
        consortium: "execution_plan_url = \"https://example.jp/plan\"\nimplementation_year = 2026\nimplementation_plan = { title = { ja = \"計画\" } }",
        ..Spec::default()
    });
    let (mlit, mic, tokyo) = (program(MLIT), program(MIC), program(TOKYO));
    let problem = build_stack_problem(
        &p,
        &[(&mlit, None), (&mic, None), (&tokyo, None)],
        Minimise::Consortium,
    )
    .expect("builds");
    let allowed = |pi: usize, ti: usize| problem.programs[pi].types[ti].allowed.clone();
    assert_eq!(allowed(0, 0), [true; 5], "MLIT normal: no deadline");
    assert_eq!(
        allowed(0, 1),
        [true, true, false, false, false],
        "MLIT urban-service: implemented by FY2026"
    );
    assert_eq!(
        allowed(1, 0),
        [true, false, true, true, false],
        "MIC: below ¥3M in FY2026 and FY2029"
    );
    assert_eq!(allowed(2, 0), [true; 5], "Tokyo: the project is in Tokyo");
    assert!(problem.programs[0].types[0].co_funding);
    assert_eq!(problem.programs[0].budget, Some(Yen(250_000_000)));
    // Kurume (not in Tokyo): no year allowed.
    let kurume = project(&Spec {
        code: "402036",
        lines: &lines,
        ..Spec::default()
    });
    let problem =
        build_stack_problem(&kurume, &[(&tokyo, None)], Minimise::Consortium).expect("builds");
    assert_eq!(problem.programs[0].types[0].allowed, [false; 5]);
    // One type only, and an unknown type.
    let problem =
        build_stack_problem(&p, &[(&mlit, Some("normal"))], Minimise::Consortium).expect("builds");
    assert_eq!(problem.programs[0].types.len(), 1);
    assert_eq!(
        problem.programs[0].types[0].id,
        "mlit-smart-city-implementation:normal"
    );
    assert!(build_stack_problem(&p, &[(&mlit, Some("special"))], Minimise::Consortium).is_err());
    let levy = program("area-management-levy");
    assert!(
        build_stack_problem(&p, &[(&levy, None)], Minimise::Consortium).is_err(),
        "not a subsidy"
    );
}

// -------------------------------------------------------- property tests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// No sized subsidy exceeds its cap or its rate × eligible expenses, or
    /// reaches the own burden; every amount is a multiple of the unit.
    #[test]
    fn sizing_respects_every_bound(
        percent in 1u32..=100,
        cap in prop::option::of(1i64..=60_000_000),
        unit in prop::sample::select(vec![1i64, 1_000, 10_000]),
        co_funding in any::<bool>(),
        tax_included in any::<bool>(),
        eligible in prop::collection::vec(0i64..=100_000_000, 3),
        other in prop::collection::vec(0i64..=30_000_000, 3),
        burden in prop::option::of(prop::collection::vec(0i64..=50_000_000, 3)),
    ) {
        let cap_line = cap.map_or(String::new(), |c| format!("cap_per_year = {{ amount = {c}, source = {{ doc = \"s\" }} }}"));
        let co_line = if co_funding { "co_funding = { source = { doc = \"s\" } }" } else { "" };
        let g = grant(
            &format!(
                "subsidy = {{ method = \"rate\", rate = \"{percent}%\", source = {{ doc = \"s\" }} }}\n{cap_line}\n{co_line}\n\
                 rounding = {{ unit = {unit}, source = {{ doc = \"s\" }} }}\n\
                 eligible_expenses = {{ categories = [\"equipment\"], source = {{ doc = \"s\" }} }}"
            ),
            "",
        );
        let by_year = |v: &[i64]| -> Vec<(i32, i64)> { v.iter().enumerate().map(|(i, a)| (2025 + i as i32, *a)).collect() };
        let (e, o) = (by_year(&eligible), by_year(&other));
        let consortium = burden.as_ref().map_or(String::new(), |b| {
            let cells: Vec<String> = b.iter().enumerate().map(|(i, a)| format!("FY{} = {a}", 2025 + i)).collect();
            format!("own_burden = {{ {} }}", cells.join(", "))
        });
        let p = project(&Spec {
            first: 2025,
            last: 2027,
            tax_included,
            lines: &[Line("capex", "equipment", "city", &e), Line("opex", "operations", "vendor", &o)],
            consortium: &consortium,
            ..Spec::default()
        });
        let s = sized(&p, &g, None);
        let rate = rust_decimal::Decimal::from(percent) / rust_decimal::Decimal::ONE_HUNDRED;
        for (i, y) in s.years.iter().enumerate() {
            let a = y.amount;
            prop_assert!(a >= Yen::ZERO);
            prop_assert_eq!(a.get() % unit, 0, "multiple of the unit");
            if let Some(c) = cap { prop_assert!(a <= Yen(c), "cap"); }
            prop_assert!(a.to_decimal() <= rate * y.eligible.to_decimal(), "rate × eligible");
            prop_assert!(y.eligible <= y.eligible_gross);
            if co_funding && a > Yen::ZERO {
                match &burden {
                    Some(b) => prop_assert!(a.get() < b[i], "below the own burden"),
                    None => prop_assert!(2 * a.get() < eligible[i] + other[i], "below half the cost"),
                }
            }
        }
        prop_assert_eq!(s.total, s.years.iter().map(|y| y.amount).sum::<Yen>());
    }
}
