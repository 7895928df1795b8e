//! The cash-flow engine against hand-computed values and invariants.
//!
//! Expected values were computed independently with Python floats from the
//! formulas in the engine's documentation (e.g. NPV = Σ vᵢ / 1.04ⁱ), not by
//! running the engine.

use machi_domain::{FiscalYear, LineItemId, Project, Yen};
use machi_finance::engine::{Evaluation, LeverKind, Options, evaluate};
use proptest::prelude::*;

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("valid year")
}

const HEAD: &str = r#"
[project]
id = "t"
name = { ja = "試験", en = "Test" }
municipality = { name = { ja = "久留米市" }, code = "402036" }
category = "problem-solving"
site = "brownfield"

[[members]]
id = "city"
name = { ja = "市" }
kind = "municipality"
role = "representative"

[[members]]
id = "op"
name = { ja = "運営会社" }
kind = "company"
"#;

fn project(body: &str) -> Project {
    Project::from_toml_str(&format!("{HEAD}\n{body}"))
        .unwrap_or_else(|e| panic!("invalid test project: {e}"))
}

fn eval(p: &Project) -> Evaluation {
    evaluate(p, &Options::default()).expect("evaluates")
}

/// Five years: ¥100M capex by the operator in FY2024, half subsidised and
/// half paid from the city's own funds; then fees ¥12M, city savings ¥5M
/// and opex ¥10M a year.
const BASE: &str = r#"
[horizon]
first = "FY2024"
last = "FY2028"
[finance]
discount_rate = "4%"

[[line_items]]
id = "build"
kind = "capex"
category = "equipment"
name = { ja = "整備" }
party = "op"
amounts = { FY2024 = 100_000_000 }

[[line_items]]
id = "run"
kind = "opex"
category = "operations"
name = { ja = "運営" }
party = "op"
generator = { type = "constant", amount = 10_000_000, from = "FY2025" }

[[line_items]]
id = "fees"
kind = "revenue"
category = "user-fees"
name = { ja = "利用料" }
party = "op"
payer = "residents"
generator = { type = "constant", amount = 12_000_000, from = "FY2025" }

[[line_items]]
id = "saved"
kind = "savings"
category = "administrative-cost-reduction"
name = { ja = "削減" }
party = "city"
generator = { type = "constant", amount = 5_000_000, from = "FY2025" }

[[funding]]
id = "grant"
kind = "subsidy"
name = { ja = "補助" }
amounts = { FY2024 = 50_000_000 }

[[funding]]
id = "own"
kind = "own-funds"
name = { ja = "一般財源" }
amounts = { FY2024 = 50_000_000 }
"#;

#[test]
fn statement_and_metrics_of_a_small_project() {
    let e = eval(&project(BASE));
    let net: Vec<i64> = e.statement.iter().map(|r| r.net_cash_flow.get()).collect();
    assert_eq!(net, [0, 7_000_000, 7_000_000, 7_000_000, 7_000_000]);
    let cum: Vec<i64> = e
        .statement
        .iter()
        .map(|r| r.cumulative_cash.get())
        .collect();
    assert_eq!(cum, [0, 7_000_000, 14_000_000, 21_000_000, 28_000_000]);
    assert_eq!(e.statement[0].subsidies, Yen(50_000_000));
    assert_eq!(e.statement[0].other_funding, Yen(50_000_000));
    assert_eq!(e.statement[1].self_sufficiency, Some(1.7));

    let m = &e.metrics;
    // −100M + 7M × Σ 1.04^−t, t = 1..4.
    assert_eq!(m.npv, Yen(-74_590_733));
    // The city: subsidy 50M received in FY2024, savings 5M a year.
    assert_eq!(m.municipal_npv, Yen(68_149_476));
    let bcr = m.benefit_cost_ratio.expect("costs exist");
    assert!((bcr - 0.452_741_696_081_020_66).abs() < 1e-9, "{bcr}");
    let fgr = m.funding_gap_rate.expect("investment exists");
    assert!((fgr - 0.745_907_334_302_020_3).abs() < 1e-9, "{fgr}");
    assert_eq!(m.funding_gap_dic, Yen(100_000_000));
    // One sign change: exactly one IRR, deeply negative.
    assert_eq!(m.irr_roots.len(), 1);
    let irr = m.irr.expect("a root");
    let npv_at_irr: f64 = [-100e6, 7e6, 7e6, 7e6, 7e6]
        .iter()
        .enumerate()
        .map(|(t, v)| v / (1.0 + irr).powi(t as i32))
        .sum();
    assert!(npv_at_irr.abs() < 1e-3, "NPV at IRR = {npv_at_irr}");
    assert_eq!(m.payback_years, None, "never pays back");
    assert_eq!(m.min_dscr, None, "no debt");

    // The subsidy ends in FY2024 and cash never turns negative.
    assert_eq!(e.cliff.last_subsidy_year, Some(fy(2024)));
    assert_eq!(e.cliff.cliff_year, None);
    assert_eq!(e.cliff.after.len(), 4);
    assert_eq!(e.cliff.max_deficit, Yen::ZERO);

    // Fees could fall by 7/12 = 58.33…%, rounded up to −58.33 %.
    let b = &e.break_even[0];
    assert_eq!(b.line.as_str(), "fees");
    assert_eq!(b.change.map(|c| c.to_string()), Some("-0.5833".to_owned()));
    assert_eq!(b.extra[0], Yen(-6_999_600));
}

#[test]
fn cliff_and_break_even_when_the_service_does_not_pay_for_itself() {
    let body = BASE
        .replace("amount = 12_000_000", "amount = 8_000_000")
        .replace("amount = 5_000_000", "amount = 2_000_000")
        .replace("amount = 10_000_000", "amount = 15_000_000");
    let e = eval(&project(&body));
    assert_eq!(e.cliff.cliff_year, Some(fy(2025)));
    assert_eq!(e.cliff.max_deficit, Yen(20_000_000));
    assert_eq!(e.cliff.total_annual_shortfall, Yen(20_000_000));
    assert_eq!(e.cliff.after[0].annual_shortfall, Yen(5_000_000));
    // Fees must rise by 5/8 = 62.5 % to cover the ¥5M yearly gap.
    let b = &e.break_even[0];
    assert_eq!(b.change.map(|c| c.to_string()), Some("0.625".to_owned()));
    assert!(b.extra.iter().all(|&x| x == Yen(5_000_000)));
    assert_eq!(b.binding_year, Some(fy(2025)));

    // The cliff report's levers, each computed by the engine.
    assert_eq!(e.cliff.new_revenue_needed, Yen(5_000_000));
    let lever = |id: &str| {
        e.cliff
            .levers
            .iter()
            .find(|l| l.line.as_str() == id)
            .expect("lever")
    };
    // Opex 15M: a cut of 5/15 = 33.33…%, rounded to a 33.34 % cut (¥5,001,000).
    let cut = lever("run");
    assert_eq!(cut.lever, LeverKind::CostCut);
    assert_eq!(
        cut.change.map(|c| c.to_string()),
        Some("-0.3334".to_owned())
    );
    assert_eq!(cut.extra[0], Yen(-5_001_000));
    // Savings 2M must grow by 250 %.
    let saved = lever("saved");
    assert_eq!(
        (saved.lever, saved.change.map(|c| c.to_string())),
        (LeverKind::Savings, Some("2.5".to_owned()))
    );
    assert_eq!(lever("fees").lever, LeverKind::Fee);
    assert!(
        e.cliff.levers.iter().all(|l| l.line.as_str() != "build"),
        "capex is no lever after the subsidy"
    );
}

#[test]
fn a_cut_larger_than_the_cost_is_refused() {
    // Running cost 1M against fees of 0.5M and a 3M yearly gap: cutting all
    // of the 1M cannot close it.
    let body = BASE
        .replace("amount = 12_000_000", "amount = 500_000")
        .replace("amount = 5_000_000", "amount = 0")
        .replace("amount = 10_000_000", "amount = 1_000_000")
        + "\n[[line_items]]\nid = \"debt-like\"\nkind = \"opex\"\ncategory = \"other\"\nname = { ja = \"固定費\" }\nparty = \"op\"\ngenerator = { type = \"constant\", amount = 2_500_000, from = \"FY2025\" }\n";
    let e = eval(&project(&body));
    let run = e
        .cliff
        .levers
        .iter()
        .find(|l| l.line.as_str() == "run")
        .expect("lever");
    assert_eq!(run.infeasible, Some("exceeds-line"));
    assert_eq!(run.change, None);
}

#[test]
fn loan_gives_dscr_and_llcr() {
    let body = format!(
        "{BASE}\n{}",
        r#"
[[funding]]
id = "bank"
kind = "loan"
name = { ja = "借入" }
party = "op"
principal = 20_000_000
drawdown = "FY2024"
rate = "5%"
tenor_years = 4
"#
    );
    let e = eval(&project(&body));
    // PMT(5%, 4, −20M) = 5,640,236.65 → ¥5,640,237 a year from FY2025.
    let ds: Vec<i64> = e.statement.iter().map(|r| r.debt_service.get()).collect();
    assert_eq!(ds[0], 0);
    assert_eq!(ds[1], 5_640_237);
    assert_eq!(
        e.debt[0].years.iter().map(|y| y.principal).sum::<Yen>(),
        Yen(20_000_000)
    );
    // CFADS = 12M + 5M − 10M = 7M; DSCR = 7M / 5,640,236.
    let dscr = e.metrics.min_dscr.expect("debt service");
    assert!((dscr - 7_000_000.0 / 5_640_237.0).abs() < 1e-4, "{dscr}");
    // LLCR = PV(7M × 4 at 5%, first at t=0) / 20M = 26,061,224.0 / 20M.
    let llcr = e.metrics.llcr.expect("debt");
    let pv: f64 = (0..4).map(|t| 7e6 / 1.05f64.powi(t)).sum();
    assert!((llcr - pv / 20e6).abs() < 1e-9, "{llcr}");
    assert_eq!(e.statement[0].other_funding, Yen(70_000_000));
}

#[test]
fn excel_timing_discounts_the_first_year() {
    let p = project(&BASE.replace(
        "discount_rate = \"4%\"",
        "discount_rate = \"4%\"\nnpv_timing = \"end\"",
    ));
    // Excel's NPV = the t=0 NPV / 1.04.
    assert_eq!(
        eval(&p).metrics.npv,
        Yen((-74_590_733.430_202_02_f64 / 1.04).round() as i64)
    );
}

#[test]
fn payback_interpolates_within_the_recovery_year() {
    use machi_finance::engine::payback;
    assert_eq!(payback(&[-100.0, 60.0, 60.0]), Some(1.0 + 40.0 / 60.0));
    assert_eq!(payback(&[-100.0, 50.0, 50.0]), Some(1.0 + 50.0 / 50.0));
    assert_eq!(payback(&[-100.0, 50.0]), None);
    assert_eq!(payback(&[10.0, 5.0]), None);
    // A relapse moves the payback to the final recovery.
    assert_eq!(
        payback(&[-10.0, 20.0, -30.0, 40.0]),
        Some(2.0 + 20.0 / 40.0)
    );
}

#[test]
fn break_even_refuses_a_line_that_is_not_revenue() {
    let p = project(BASE);
    let err = evaluate(
        &p,
        &Options {
            break_even: Some(vec![LineItemId::new("run").expect("id")]),
        },
    );
    assert!(
        matches!(err, Err(machi_finance::engine::EngineError::BreakEvenLine(id)) if id == "run")
    );
}

/// A random project: `years` fiscal years from FY2024, random amounts.
fn random_project(
    years: usize,
    lines: &[(usize, Vec<u32>)],
    subsidy: &[u32],
    loan: Option<(u32, u8, u8, bool)>,
) -> String {
    const KINDS: [(&str, &str, &str); 4] = [
        ("capex", "equipment", "op"),
        ("opex", "operations", "op"),
        ("revenue", "user-fees", "op"),
        ("savings", "administrative-cost-reduction", "city"),
    ];
    let last = 2024 + years as i32 - 1;
    let mut s =
        format!("[horizon]\nfirst = 2024\nlast = {last}\n[finance]\ndiscount_rate = 0.04\n");
    let amounts = |v: &[u32]| {
        let cells: Vec<String> = v
            .iter()
            .take(years)
            .enumerate()
            .map(|(i, a)| format!("FY{} = {}", 2024 + i, u64::from(*a) * 1000))
            .collect();
        format!("{{ {} }}", cells.join(", "))
    };
    for (i, (k, v)) in lines.iter().enumerate() {
        let (kind, cat, party) = KINDS[k % 4];
        s += &format!(
            "[[line_items]]\nid = \"l{i}\"\nkind = \"{kind}\"\ncategory = \"{cat}\"\nname = {{ ja = \"行{i}\" }}\nparty = \"{party}\"\namounts = {}\n",
            amounts(v)
        );
    }
    s += &format!(
        "[[funding]]\nid = \"grant\"\nkind = \"subsidy\"\nname = {{ ja = \"補助\" }}\namounts = {}\n",
        amounts(subsidy)
    );
    if let Some((p, tenor, grace, annuity)) = loan {
        let tenor = u32::from(tenor % 15) + 1;
        let grace = u32::from(grace) % tenor;
        let repayment = if annuity { "annuity" } else { "straight-line" };
        s += &format!(
            "[[funding]]\nid = \"bank\"\nkind = \"loan\"\nname = {{ ja = \"借入\" }}\nprincipal = {}\ndrawdown = 2024\nrate = \"1.5%\"\ntenor_years = {tenor}\ngrace_years = {grace}\nrepayment = \"{repayment}\"\n",
            u64::from(p.max(1)) * 1000
        );
    }
    s
}

fn strategy() -> impl Strategy<Value = String> {
    (3usize..25)
        .prop_flat_map(|years| {
            (
                Just(years),
                prop::collection::vec(
                    (0usize..4, prop::collection::vec(0u32..2_000_000, years)),
                    1..12,
                ),
                prop::collection::vec(0u32..500_000, 1..4),
                prop::option::of((1u32..5_000_000, any::<u8>(), any::<u8>(), any::<bool>())),
            )
        })
        .prop_map(|(years, lines, subsidy, loan)| random_project(years, &lines, &subsidy, loan))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Sources equal uses every year; the statement adds up from its inputs.
    #[test]
    fn sources_equal_uses(body in strategy()) {
        let p = project(&body);
        let e = eval(&p);
        let mut cumulative = Yen::ZERO;
        for (i, r) in e.statement.iter().enumerate() {
            prop_assert_eq!(r.sources, r.uses, "{}", r.fiscal_year);
            let by_kind = |k: machi_domain::project::LineKind| e.lines.iter().filter(|l| l.kind == k).map(|l| l.amounts[i]).sum::<Yen>();
            prop_assert_eq!(r.revenue, by_kind(machi_domain::project::LineKind::Revenue));
            prop_assert_eq!(r.capex, by_kind(machi_domain::project::LineKind::Capex));
            let funded: Yen = e.funding.iter().map(|f| f.amounts[i]).sum();
            prop_assert_eq!(r.subsidies + r.other_funding, funded);
            prop_assert_eq!(r.net_cash_flow, r.revenue + r.savings + funded - r.opex - r.capex - r.interest - r.principal);
            cumulative += r.net_cash_flow;
            prop_assert_eq!(r.cumulative_cash, cumulative);
        }
        for d in &e.debt {
            let repaid: Yen = d.years.iter().map(|y| y.principal).sum();
            let borrowed: Yen = d.years.iter().map(|y| y.drawdown).sum();
            prop_assert_eq!(repaid + d.outstanding_after_horizon, borrowed);
            prop_assert!(d.years.iter().all(|y| y.closing >= Yen::ZERO));
        }
    }

    /// Applying the break-even change really makes every post-subsidy year
    /// non-negative, and the cliff agrees with the statement.
    #[test]
    fn break_even_closes_the_gap(body in strategy()) {
        let p = project(&body);
        let e = eval(&p);
        prop_assert_eq!(e.cliff.cliff_year.is_none(), e.cliff.after.iter().all(|y| y.cumulative_cash >= Yen::ZERO));
        for b in e.break_even.iter().chain(&e.cliff.levers) {
            let Some(_) = b.change else { continue };
            let mut q = p.clone();
            let line = q.line_items.iter_mut().find(|l| l.id == b.line).expect("line exists");
            let row = e.lines.iter().find(|l| l.id == b.line).expect("row exists");
            line.generator = None;
            line.amounts = p.horizon.years().zip(&row.amounts).map(|(y, a)| (y, *a)).collect();
            for (y, extra) in b.years.iter().zip(&b.extra) {
                let a = line.amounts.get_mut(y).expect("year in horizon");
                *a += *extra;
            }
            // A negative change may not push a line below zero, nor may a huge
            // required increase leave the range a project file accepts.
            if line.amounts.values().any(|a| *a < Yen::ZERO || !a.is_valid_input()) { continue; }
            let e2 = eval(&q);
            for y in &b.years {
                let r = e2.statement.iter().find(|r| r.fiscal_year == *y).expect("year");
                prop_assert!(r.net_cash_flow >= Yen::ZERO, "{} still negative: {}", y, r.net_cash_flow);
            }
        }
    }

    /// NPV at every IRR root is zero (relative to the size of the flows).
    #[test]
    fn npv_is_zero_at_each_irr(body in strategy()) {
        let e = eval(&project(&body));
        let flows: Vec<f64> = e.statement.iter().map(|r| r.project_flow.to_f64()).collect();
        for r in &e.metrics.irr_roots {
            // The size of the terms being summed: near r = −1 they are huge.
            let scale: f64 = flows.iter().enumerate().map(|(t, v)| (v / (1.0 + r).powi(t as i32)).abs()).sum::<f64>().max(1.0);
            let npv = machi_finance::tvm::npv(*r, &flows, machi_finance::tvm::Timing::Start).expect("npv");
            prop_assert!(npv.abs() / scale < 1e-6, "npv {} at {}", npv, r);
        }
    }
}
