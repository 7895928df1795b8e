//! The fiscal-year cash-flow engine: a validated [`Project`] in, an
//! [`Evaluation`] out (statement per fiscal year, metrics, funding cliff and
//! break-even).
//!
//! # Views
//! - **The statement** is the project's pooled cash account: every line item
//!   and funding source, whoever holds it. Net cash flow is revenue, savings,
//!   subsidies and other funding less opex, capex and debt service. Savings are
//!   avoided costs and count as cash the project keeps (EU Reg. 1303/2013
//!   art. 61(1): operating cost savings are treated as net revenue).
//! - **The whole-project view** (NPV, IRR, MIRR, payback, BCR, funding gap)
//!   uses the unlevered flows revenue + savings − opex − capex, plus the
//!   residual value in the last year: financing is left out, as in a
//!   financial analysis of the investment (EC *Guide to CBA of Investment
//!   Projects*, 2014, §2.6 FNPV(C)).
//! - **The municipality's view** keeps the lines held by a local-government
//!   member, counts fees and contracts that a local-government member pays to
//!   others as outflows, and adds the external money a local-government member
//!   receives (subsidies, donations, loans, bonds, equity, crowdfunding) less
//!   its debt service. Its own funds are not an inflow: they are its money.

mod debt;

#[cfg(test)]
mod tests {
    use super::{div_ceil, scale_ceil};

    #[test]
    fn scaling_rounds_up_on_both_paths() {
        for (amount, bp) in [
            (12_000_000, -5_833),
            (15_000_000, 3_334),
            (1, 1),
            (-7, 1),
            (0, 99),
            (10_000_000_000_000, 10_000_000_000),
        ] {
            assert_eq!(
                scale_ceil(amount, bp),
                Some(div_ceil(i128::from(amount) * bp, 10_000)),
                "{amount} × {bp}"
            );
        }
        assert_eq!(scale_ceil(12_000_000, -5_833), Some(-6_999_600));
        assert_eq!(scale_ceil(1, 1), Some(1));
        assert_eq!(scale_ceil(i64::MAX, i128::MAX), None);
        assert_eq!(div_ceil(-7, 2), -3);
    }
}

use machi_domain::project::{FundingKind, LineCategory, LineKind, MAX_SUM, NpvTiming};
use machi_domain::schedule::try_expand;
use machi_domain::{
    FiscalYear, FundingId, LineItemId, MemberId, Project, ProjectError, ProjectErrors, Rate, Yen,
};
use rust_decimal::Decimal;
use serde::Serialize;

pub use debt::{DebtYear, checked_schedule as checked_debt_schedule, schedule as debt_schedule};

use crate::tvm::{self, Timing};

/// Discount rate of the EU funding-gap method when the project sets none:
/// 4 % real, Commission Delegated Regulation (EU) No 480/2014, art. 19(2).
pub const EU_FINANCIAL_DISCOUNT_RATE: Decimal = Decimal::from_parts(4, 0, 0, false, 2);

/// The guess that picks the single IRR among several roots, as Excel's `IRR`.
pub const IRR_GUESS: f64 = 0.1;

/// What to evaluate beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lines to solve break-even for; `None` means every revenue line of
    /// category `user-fees` or `levy`.
    pub break_even: Option<Vec<LineItemId>>,
}

/// Everything the engine computes for a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The statement, one row per fiscal year.
    pub statement: Vec<YearRow>,
    /// Each line item's amounts per fiscal year.
    pub lines: Vec<LineRow>,
    /// Each funding source's inflows per fiscal year (loans: drawdowns).
    pub funding: Vec<FundingRow>,
    /// Each loan or bond's schedule within the horizon.
    pub debt: Vec<DebtRow>,
    /// The metrics.
    pub metrics: Metrics,
    /// When subsidies end and what follows.
    pub cliff: Cliff,
    /// The change in a fee or levy that keeps post-subsidy cash non-negative.
    pub break_even: Vec<BreakEven>,
}

/// One fiscal year of the statement. Amounts are positive; the sign is in
/// the row's meaning (uses are subtracted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YearRow {
    /// The fiscal year.
    pub fiscal_year: FiscalYear,
    /// Operating revenue (事業収入).
    pub revenue: Yen,
    /// Cost savings (コスト削減効果).
    pub savings: Yen,
    /// Running cost (運営費).
    pub opex: Yen,
    /// Investment (整備費).
    pub capex: Yen,
    /// Subsidies received (補助金).
    pub subsidies: Yen,
    /// Other funding received: own funds, loan and bond drawdowns, equity,
    /// crowdfunding, donations.
    pub other_funding: Yen,
    /// Interest paid.
    pub interest: Yen,
    /// Principal repaid.
    pub principal: Yen,
    /// Interest + principal.
    pub debt_service: Yen,
    /// Sources − uses of the year.
    pub net_cash_flow: Yen,
    /// Running sum of net cash flow (the project's cash balance).
    pub cumulative_cash: Yen,
    /// Total sources: revenue + savings + subsidies + other funding, plus
    /// cash drawn from the balance when the year runs a deficit.
    pub sources: Yen,
    /// Total uses: opex + capex + debt service, plus cash added to the
    /// balance when the year runs a surplus. Always equal to `sources`.
    pub uses: Yen,
    /// Unlevered project flow: revenue + savings − opex − capex (+ residual
    /// value in the last year).
    pub project_flow: Yen,
    /// The municipality's net flow (see the module documentation).
    pub municipal_flow: Yen,
    /// (revenue + savings) / opex; `None` without running cost.
    pub self_sufficiency: Option<f64>,
    /// Cash flow available for debt service: revenue + savings − opex.
    pub cfads: Yen,
    /// CFADS / debt service; `None` in years without debt service.
    pub dscr: Option<f64>,
    /// Debt outstanding at the end of the year.
    pub debt_outstanding: Yen,
}

/// A line item's amounts over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineRow {
    /// The line's id.
    pub id: LineItemId,
    /// Its kind.
    pub kind: LineKind,
    /// Its category.
    pub category: LineCategory,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English (Japanese when none is given).
    pub name_en: String,
    /// The member holding it.
    pub party: Option<MemberId>,
    /// Amount per fiscal year, index 0 = first year.
    pub amounts: Vec<Yen>,
    /// Sum over the horizon.
    pub total: Yen,
}

/// A funding source's inflows over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundingRow {
    /// The source's id.
    pub id: FundingId,
    /// Its kind.
    pub kind: FundingKind,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English (Japanese when none is given).
    pub name_en: String,
    /// The member receiving it.
    pub party: Option<MemberId>,
    /// Inflow per fiscal year.
    pub amounts: Vec<Yen>,
    /// Sum over the horizon.
    pub total: Yen,
}

/// A loan's or bond's schedule inside the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DebtRow {
    /// The source's id.
    pub id: FundingId,
    /// Annual interest rate.
    pub rate: Rate,
    /// The years of the schedule that fall inside the horizon.
    pub years: Vec<DebtYear>,
    /// Balance still owed after the last fiscal year of the horizon.
    pub outstanding_after_horizon: Yen,
}

/// The metrics of an evaluation. Rates are fractions (0.05 = 5 %).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Discount rate used for the whole-project view.
    pub discount_rate: Rate,
    /// NPV timing convention.
    pub npv_timing: NpvTiming,
    /// NPV of the unlevered project flows.
    pub npv: Yen,
    /// Discount rate used for the municipality's view.
    pub municipal_discount_rate: Rate,
    /// NPV of the municipality's flows.
    pub municipal_npv: Yen,
    /// Every real IRR root in (−1, ∞), ascending.
    pub irr_roots: Vec<f64>,
    /// The single IRR: the root nearest [`IRR_GUESS`], as Excel picks it.
    pub irr: Option<f64>,
    /// MIRR with the project's finance and reinvestment rates.
    pub mirr: Option<f64>,
    /// Years from the start of the first fiscal year until cumulative
    /// project flow turns non-negative for good, interpolated linearly within
    /// the year (flows assumed spread evenly over the year).
    pub payback_years: Option<f64>,
    /// The same on discounted flows.
    pub discounted_payback_years: Option<f64>,
    /// Smallest DSCR over the years with debt service.
    pub min_dscr: Option<f64>,
    /// Fiscal year of the smallest DSCR.
    pub min_dscr_year: Option<FiscalYear>,
    /// Loan-life coverage ratio at the first year of debt service.
    pub llcr: Option<f64>,
    /// PV(revenue + savings + residual) / PV(opex + capex).
    pub benefit_cost_ratio: Option<f64>,
    /// EU funding-gap method: discounted investment cost.
    pub funding_gap_dic: Yen,
    /// EU funding-gap method: discounted net revenue (incl. residual value).
    pub funding_gap_dnr: Yen,
    /// (DIC − DNR) / DIC, clamped to [0, 1]; `None` without investment.
    pub funding_gap_rate: Option<f64>,
    /// Discount rate of the funding-gap method.
    pub funding_gap_discount_rate: Rate,
    /// Smallest self-sufficiency ratio over the years with running cost.
    pub min_self_sufficiency: Option<f64>,
}

/// The funding cliff: what happens after the last subsidy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cliff {
    /// The last fiscal year with a subsidy; `None` if the project has none.
    pub last_subsidy_year: Option<FiscalYear>,
    /// The first fiscal year after it in which cumulative cash is negative.
    pub cliff_year: Option<FiscalYear>,
    /// The years after the last subsidy.
    pub after: Vec<CliffYear>,
    /// The largest cash deficit after the last subsidy (≥ 0).
    pub max_deficit: Yen,
    /// Sum of the annual shortfalls after the last subsidy (≥ 0).
    pub total_annual_shortfall: Yen,
    /// A new constant revenue per year that would close every post-subsidy
    /// year's gap: the largest annual shortfall.
    pub new_revenue_needed: Yen,
    /// The levers that would close the gap, each computed by the engine:
    /// every fee, levy, other revenue and savings line raised, every running
    /// cost cut. Empty when no post-subsidy year runs a deficit.
    pub levers: Vec<BreakEven>,
}

/// One year after the subsidies end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CliffYear {
    /// The fiscal year.
    pub fiscal_year: FiscalYear,
    /// Net cash flow of the year.
    pub net_cash_flow: Yen,
    /// Cash balance at the end of the year.
    pub cumulative_cash: Yen,
    /// max(0, −net cash flow): what the year lacks on its own.
    pub annual_shortfall: Yen,
    /// max(0, −cumulative cash): the deficit to be covered by then.
    pub deficit: Yen,
}

/// What kind of lever a [`BreakEven`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeverKind {
    /// Change a user fee (利用料).
    Fee,
    /// Change a levy (負担金), e.g. an area-management levy.
    Levy,
    /// Change another revenue line.
    Revenue,
    /// Change a cost saving.
    Savings,
    /// Cut a running cost.
    CostCut,
}

/// The uniform change of one line that keeps every post-subsidy year's net
/// cash flow non-negative: the break-even of a fee or levy, or, for a running
/// cost, the cut that would do it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakEven {
    /// The line solved for.
    pub line: LineItemId,
    /// What kind of lever the line is.
    pub lever: LeverKind,
    /// The years the condition covers.
    pub years: Vec<FiscalYear>,
    /// Required change as a fraction of the line's amounts (0.25 = +25 %),
    /// rounded to 0.01 % in the direction that still suffices. Negative for
    /// revenue means there is room to lower it; for a cost it is the cut.
    /// `None` when the line alone cannot close the gap.
    pub change: Option<Rate>,
    /// The change in the line's yen per year (rounded so that it suffices),
    /// aligned with `years`. A raise whose yen exceed the `i64` range (only
    /// possible when `change` is above about 92 million per cent: a line of
    /// ¥1 in the binding year and up to ¥10兆 in another) shows as
    /// `i64::MAX` yen rather than wrapping; `change` stays exact.
    pub extra: Vec<Yen>,
    /// Why there is no answer, as a stable code: `no-years-after-subsidy`,
    /// `no-amount-in-deficit-year`, or `exceeds-line` (a cut above 100 %).
    pub infeasible: Option<&'static str>,
    /// The fiscal year that binds (needs the largest change).
    pub binding_year: Option<FiscalYear>,
}

/// Why a project could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The project is not valid; validate it first.
    #[error("the project is not valid: {0}")]
    Invalid(machi_domain::ProjectErrors),
    /// A break-even line does not exist or is not revenue.
    #[error("no revenue line {0:?} to solve break-even for")]
    BreakEvenLine(String),
}

impl EngineError {
    /// Stable code for translation.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Invalid(_) => "invalid-project",
            EngineError::BreakEvenLine(_) => "break-even-line",
        }
    }
}

fn is_local_government(project: &Project, id: Option<&MemberId>) -> bool {
    project
        .party_of(id)
        .is_some_and(|m| m.kind.is_local_government())
}

fn is_lg_member(project: &Project, s: Option<&str>) -> bool {
    s.and_then(|s| project.members.iter().find(|m| m.id.as_str() == s))
        .is_some_and(|m| m.kind.is_local_government())
}

/// The refusal of a project whose amounts leave the yen range: the
/// `total-range` error (whole file), naming [`MAX_SUM`].
///
/// Every sum, difference and present value in the engine is checked. For a
/// project that validation accepts none can leave the range: validation
/// bounds every cell by [`Yen::MAX_INPUT`] (written or generated) and every
/// present value by [`MAX_SUM`], and [`MAX_SUM`] bounds every undiscounted
/// sum (see its documentation). So this refusal is a second line of
/// defence: it replaces a panic or a wrapped number, and the property test
/// `every_valid_project_evaluates` holds the engine to never reaching it.
fn total_range() -> EngineError {
    EngineError::Invalid(ProjectErrors(vec![
        ProjectError::new("total-range", "").arg("max", Yen(MAX_SUM)),
    ]))
}

/// `a + b`, checked.
fn add(a: Yen, b: Yen) -> Result<Yen, EngineError> {
    a.checked_add(b).ok_or_else(total_range)
}

/// `a − b`, checked.
fn sub(a: Yen, b: Yen) -> Result<Yen, EngineError> {
    a.checked_sub(b).ok_or_else(total_range)
}

/// `−a`, checked.
fn neg(a: Yen) -> Result<Yen, EngineError> {
    a.checked_neg().ok_or_else(total_range)
}

/// `*acc += y`, checked.
fn acc(acc: &mut Yen, y: Yen) -> Result<(), EngineError> {
    *acc = add(*acc, y)?;
    Ok(())
}

/// `Σ amounts`, checked.
fn sum(amounts: impl IntoIterator<Item = Yen>) -> Result<Yen, EngineError> {
    Yen::checked_sum(amounts).ok_or_else(total_range)
}

/// Evaluates a project. The project is validated first; an invalid one is
/// refused rather than evaluated on wrong assumptions.
///
/// Every amount is computed with checked arithmetic: nothing panics and
/// nothing wraps. A generated amount outside ±[`Yen::MAX_INPUT`] is refused
/// as `generated-amount-range`, a sum outside `i64` as `total-range`, both
/// as [`EngineError::Invalid`]; validation already refuses every project
/// for which that could happen.
pub fn evaluate(project: &Project, options: &Options) -> Result<Evaluation, EngineError> {
    project.validate().map_err(EngineError::Invalid)?;
    let h = project.horizon;
    let n = h.len();
    let years: Vec<FiscalYear> = h.years().collect();
    let fin = &project.finance;
    let base = fin.base_year_or(h.first);

    let mut rows: Vec<YearRow> = years
        .iter()
        .map(|&fy| YearRow {
            fiscal_year: fy,
            revenue: Yen::ZERO,
            savings: Yen::ZERO,
            opex: Yen::ZERO,
            capex: Yen::ZERO,
            subsidies: Yen::ZERO,
            other_funding: Yen::ZERO,
            interest: Yen::ZERO,
            principal: Yen::ZERO,
            debt_service: Yen::ZERO,
            net_cash_flow: Yen::ZERO,
            cumulative_cash: Yen::ZERO,
            sources: Yen::ZERO,
            uses: Yen::ZERO,
            project_flow: Yen::ZERO,
            municipal_flow: Yen::ZERO,
            self_sufficiency: None,
            cfads: Yen::ZERO,
            dscr: None,
            debt_outstanding: Yen::ZERO,
        })
        .collect();

    // Line items.
    let mut lines = Vec::with_capacity(project.line_items.len());
    for (i, li) in project.line_items.iter().enumerate() {
        let amounts = try_expand(h, &li.amounts, li.generator.as_ref(), fin.inflation, base)
            .map_err(|o| {
                EngineError::Invalid(ProjectErrors(vec![
                    o.error(format!("line_items[{i}].generator")),
                ]))
            })?;
        let held_by_lg = is_local_government(project, li.party.as_ref());
        let paid_by_lg = li.kind == LineKind::Revenue
            && !held_by_lg
            && is_lg_member(project, li.payer.as_deref());
        for (row, &y) in rows.iter_mut().zip(&amounts) {
            let cell = match li.kind {
                LineKind::Revenue => &mut row.revenue,
                LineKind::Savings => &mut row.savings,
                LineKind::Opex => &mut row.opex,
                LineKind::Capex => &mut row.capex,
            };
            acc(cell, y)?;
            let signed = match li.kind {
                LineKind::Revenue | LineKind::Savings => y,
                LineKind::Opex | LineKind::Capex => neg(y)?,
            };
            if held_by_lg {
                acc(&mut row.municipal_flow, signed)?;
            } else if paid_by_lg {
                acc(&mut row.municipal_flow, neg(y)?)?;
            }
        }
        let total = sum(amounts.iter().copied())?;
        lines.push(LineRow {
            id: li.id.clone(),
            kind: li.kind,
            category: li.category,
            name_ja: li.name.ja.clone(),
            name_en: li.name.get(true).to_owned(),
            party: li.party.clone(),
            amounts,
            total,
        });
    }

    // Funding sources.
    let mut funding = Vec::with_capacity(project.funding.len());
    let mut debt = Vec::new();
    for (k, f) in project.funding.iter().enumerate() {
        let to_lg = is_local_government(project, f.party.as_ref());
        let mut amounts = vec![Yen::ZERO; n];
        if let Some(terms) = f.debt_terms() {
            let sched = debt::checked_schedule(&terms).ok_or_else(total_range)?;
            let mut inside = Vec::new();
            let mut outstanding_after = Yen::ZERO;
            for y in &sched {
                if let Some(i) = h.index(y.fiscal_year) {
                    acc(&mut amounts[i], y.drawdown)?;
                    let row = &mut rows[i];
                    acc(&mut row.interest, y.interest)?;
                    acc(&mut row.principal, y.principal)?;
                    acc(&mut row.debt_outstanding, y.closing)?;
                    if to_lg {
                        let net = sub(sub(y.drawdown, y.interest)?, y.principal)?;
                        acc(&mut row.municipal_flow, net)?;
                    }
                    inside.push(*y);
                    outstanding_after = y.closing;
                }
            }
            debt.push(DebtRow {
                id: f.id.clone(),
                rate: terms.rate,
                years: inside,
                outstanding_after_horizon: outstanding_after,
            });
        } else {
            amounts = try_expand(h, &f.amounts, f.generator.as_ref(), fin.inflation, base)
                .map_err(|o| {
                    EngineError::Invalid(ProjectErrors(vec![
                        o.error(format!("funding[{k}].generator")),
                    ]))
                })?;
        }
        for (row, &y) in rows.iter_mut().zip(&amounts) {
            if f.kind == FundingKind::Subsidy {
                acc(&mut row.subsidies, y)?;
            } else {
                acc(&mut row.other_funding, y)?;
            }
            if to_lg && f.kind != FundingKind::OwnFunds && !f.kind.is_debt() {
                acc(&mut row.municipal_flow, y)?;
            }
        }
        let total = sum(amounts.iter().copied())?;
        funding.push(FundingRow {
            id: f.id.clone(),
            kind: f.kind,
            name_ja: f.name.ja.clone(),
            name_en: f.name.get(true).to_owned(),
            party: f.party.clone(),
            amounts,
            total,
        });
    }

    // Totals per year.
    let mut cumulative = Yen::ZERO;
    for (i, row) in rows.iter_mut().enumerate() {
        row.debt_service = add(row.interest, row.principal)?;
        let inflow = sum([row.revenue, row.savings, row.subsidies, row.other_funding])?;
        let outflow = sum([row.opex, row.capex, row.debt_service])?;
        row.net_cash_flow = sub(inflow, outflow)?;
        cumulative = add(cumulative, row.net_cash_flow)?;
        row.cumulative_cash = cumulative;
        row.sources = add(inflow, neg(row.net_cash_flow)?.max(Yen::ZERO))?;
        row.uses = add(outflow, row.net_cash_flow.max(Yen::ZERO))?;
        let benefits = add(row.revenue, row.savings)?;
        row.cfads = sub(benefits, row.opex)?;
        row.project_flow = sub(row.cfads, row.capex)?;
        if i + 1 == n {
            acc(&mut row.project_flow, fin.residual_value)?;
        }
        row.self_sufficiency = ratio(benefits, row.opex);
        row.dscr = ratio(row.cfads, row.debt_service);
    }

    let metrics = metrics(project, &rows, &debt)?;
    let mut cliff = cliff(&rows)?;
    let targets: Vec<&LineRow> = match &options.break_even {
        Some(ids) => ids
            .iter()
            .map(|id| {
                lines
                    .iter()
                    .find(|l| &l.id == id && l.kind == LineKind::Revenue)
                    .ok_or_else(|| EngineError::BreakEvenLine(id.to_string()))
            })
            .collect::<Result<_, _>>()?,
        None => lines
            .iter()
            .filter(|l| {
                l.kind == LineKind::Revenue
                    && matches!(l.category, LineCategory::UserFees | LineCategory::Levy)
            })
            .collect(),
    };
    let window = post_subsidy_window(&rows, cliff.last_subsidy_year);
    let break_even: Vec<BreakEven> = targets
        .into_iter()
        .map(|l| solve_lever(&rows, l, &window))
        .collect::<Result<_, _>>()?;
    if cliff.new_revenue_needed > Yen::ZERO {
        cliff.levers = lines
            .iter()
            .filter(|l| {
                l.kind != LineKind::Capex && window.iter().any(|&i| l.amounts[i] > Yen::ZERO)
            })
            .map(|l| solve_lever(&rows, l, &window))
            .collect::<Result<_, _>>()?;
    }

    Ok(Evaluation {
        statement: rows,
        lines,
        funding,
        debt,
        metrics,
        cliff,
        break_even,
    })
}

/// `num / den` as f64, `None` when `den` is zero.
fn ratio(num: Yen, den: Yen) -> Option<f64> {
    if den == Yen::ZERO {
        None
    } else {
        Some(num.to_f64() / den.to_f64())
    }
}

fn timing(t: NpvTiming) -> Timing {
    match t {
        NpvTiming::Start => Timing::Start,
        NpvTiming::End => Timing::End,
    }
}

/// Present value of `values` at `rate`, rounded to the yen. Validation
/// bounds it by [`MAX_SUM`] (`present-value-range`), so it is finite and
/// fits in yen; otherwise the project is refused (`total-range`).
fn pv(rate: Rate, values: &[f64], t: Timing) -> Result<Yen, EngineError> {
    Yen::from_f64_round(pv_f64(rate, values, t)?).ok_or_else(total_range)
}

/// Present value of `values` at `rate`, unrounded (for ratios of PVs).
/// `npv` fails only for a rate ≤ −100 % or a non-finite sum, which
/// validation rules out.
fn pv_f64(rate: Rate, values: &[f64], t: Timing) -> Result<f64, EngineError> {
    tvm::npv(rate.to_f64(), values, t).map_err(|_| total_range())
}

/// The flow of each row, as `f64` for discounting; `f` is checked.
fn row_flows(
    rows: &[YearRow],
    f: impl Fn(&YearRow) -> Result<Yen, EngineError>,
) -> Result<Vec<f64>, EngineError> {
    rows.iter().map(|r| f(r).map(Yen::to_f64)).collect()
}

fn metrics(project: &Project, rows: &[YearRow], debt: &[DebtRow]) -> Result<Metrics, EngineError> {
    let fin = &project.finance;
    let t = timing(fin.npv_timing);
    let flows: Vec<f64> = rows.iter().map(|r| r.project_flow.to_f64()).collect();
    let municipal: Vec<f64> = rows.iter().map(|r| r.municipal_flow.to_f64()).collect();
    let municipal_rate = fin.municipal_discount_rate.unwrap_or(fin.discount_rate);
    let irr_roots = tvm::irr_all(&flows).unwrap_or_default();
    let irr = irr_roots
        .iter()
        .copied()
        .min_by(|a, b| (a - IRR_GUESS).abs().total_cmp(&(b - IRR_GUESS).abs()));
    let finance_rate = fin.finance_rate.unwrap_or(fin.discount_rate).to_f64();
    let reinvest_rate = fin.reinvest_rate.unwrap_or(fin.discount_rate).to_f64();
    let mirr = tvm::mirr(&flows, finance_rate, reinvest_rate)
        .ok()
        .filter(|m| m.is_finite());

    // Discount factors of the whole-project view, for discounted payback.
    let r = fin.discount_rate.to_f64();
    let shift = if fin.npv_timing == NpvTiming::End {
        1
    } else {
        0
    };
    let factor = |i: usize| {
        (1.0 + r)
            .powi(i32::try_from(i).unwrap_or(i32::MAX) + shift)
            .recip()
    };
    let discounted: Vec<f64> = flows
        .iter()
        .enumerate()
        .map(|(i, v)| v * factor(i))
        .collect();

    let (min_dscr, min_dscr_year) = rows
        .iter()
        .filter_map(|r| r.dscr.map(|d| (d, r.fiscal_year)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or((None, None), |(d, y)| (Some(d), Some(y)));

    // EU funding gap, always with t = 0 in the first year (Reg. 480/2014 art. 15–19).
    let fg_rate = fin
        .funding_gap_discount_rate
        .unwrap_or(Rate::new(EU_FINANCIAL_DISCOUNT_RATE));
    let capex: Vec<f64> = rows.iter().map(|r| r.capex.to_f64()).collect();
    // CFADS is revenue + savings − opex: the net revenue of the EU method.
    let mut net_revenue: Vec<f64> = rows.iter().map(|r| r.cfads.to_f64()).collect();
    if let Some(last) = net_revenue.last_mut() {
        *last += fin.residual_value.to_f64();
    }
    let (dic_f, dnr_f) = (
        pv_f64(fg_rate, &capex, Timing::Start)?,
        pv_f64(fg_rate, &net_revenue, Timing::Start)?,
    );
    let dic = Yen::from_f64_round(dic_f).ok_or_else(total_range)?;
    let dnr = Yen::from_f64_round(dnr_f).ok_or_else(total_range)?;
    let funding_gap_rate = (dic_f > 0.0).then(|| ((dic_f - dnr_f) / dic_f).clamp(0.0, 1.0));

    let mut benefits = row_flows(rows, |r| add(r.revenue, r.savings))?;
    if let Some(last) = benefits.last_mut() {
        *last += fin.residual_value.to_f64();
    }
    let costs = row_flows(rows, |r| add(r.opex, r.capex))?;
    let pv_costs = pv_f64(fin.discount_rate, &costs, t)?;
    let pv_benefits = pv_f64(fin.discount_rate, &benefits, t)?;

    Ok(Metrics {
        discount_rate: fin.discount_rate,
        npv_timing: fin.npv_timing,
        npv: pv(fin.discount_rate, &flows, t)?,
        municipal_discount_rate: municipal_rate,
        municipal_npv: pv(municipal_rate, &municipal, t)?,
        irr_roots,
        irr,
        mirr,
        payback_years: payback(&flows),
        discounted_payback_years: payback(&discounted),
        min_dscr,
        min_dscr_year,
        llcr: llcr(rows, debt, t),
        benefit_cost_ratio: (pv_costs != 0.0).then(|| pv_benefits / pv_costs),
        funding_gap_dic: dic,
        funding_gap_dnr: dnr,
        funding_gap_rate,
        funding_gap_discount_rate: fg_rate,
        min_self_sufficiency: rows
            .iter()
            .filter_map(|r| r.self_sufficiency)
            .min_by(f64::total_cmp),
    })
}

/// Payback period in years, counted like the NPV convention `start`: the
/// first fiscal year is t = 0. It is the year before recovery plus the
/// unrecovered amount over the flow of the recovery year — the textbook and
/// spreadsheet formula, which interpolates linearly within the year. The
/// recovery year is the one after which the cumulative flow stays
/// non-negative (a later relapse moves it). `None` if the cumulative flow
/// ends negative or never was negative (nothing to pay back).
///
/// Example: [−100, 60, 60] → cumulative −100, −40, +20 → 1 + 40/60 = 1.667.
pub fn payback(flows: &[f64]) -> Option<f64> {
    let mut cumulative = 0.0;
    let mut last_negative = None; // (index, cumulative at its end)
    for (i, f) in flows.iter().enumerate() {
        cumulative += f;
        if cumulative < 0.0 {
            last_negative = Some((i, cumulative));
        }
    }
    if cumulative < 0.0 {
        return None;
    }
    let (i, unrecovered) = last_negative?;
    let recovery = *flows.get(i + 1)?;
    Some(i as f64 + (-unrecovered / recovery))
}

/// LLCR at the first fiscal year with debt service: PV of CFADS from that
/// year to the last year of debt service, discounted at the debt-weighted
/// interest rate, over the debt outstanding at the start of that year
/// (REFERENCE.md: LLCR = NPV(CFADS over remaining loan life) / debt
/// outstanding). `None` without debt service inside the horizon.
fn llcr(rows: &[YearRow], debt: &[DebtRow], t: Timing) -> Option<f64> {
    let first = rows.iter().position(|r| r.debt_service > Yen::ZERO)?;
    let last = rows.iter().rposition(|r| r.debt_service > Yen::ZERO)?;
    // Payments start the year after drawdown, so `first` ≥ 1.
    let outstanding = rows[first.checked_sub(1)?].debt_outstanding;
    if outstanding <= Yen::ZERO {
        return None;
    }
    // Weighted by principal: Σ rate·principal / Σ principal.
    let (num, den) = debt.iter().fold((0.0, 0.0), |(n, d), row| {
        let p = row.years.first().map_or(0.0, |y| y.drawdown.to_f64());
        (n + row.rate.to_f64() * p, d + p)
    });
    let rate = if den > 0.0 { num / den } else { 0.0 };
    let cfads: Vec<f64> = rows[first..=last]
        .iter()
        .map(|r| r.cfads.to_f64())
        .collect();
    let pv = tvm::npv(rate, &cfads, t).ok()?;
    Some(pv / outstanding.to_f64())
}

fn cliff(rows: &[YearRow]) -> Result<Cliff, EngineError> {
    let last_subsidy_year = rows
        .iter()
        .rev()
        .find(|r| r.subsidies > Yen::ZERO)
        .map(|r| r.fiscal_year);
    let after: Vec<CliffYear> = match last_subsidy_year {
        Some(end) => rows
            .iter()
            .filter(|r| r.fiscal_year > end)
            .map(|r| {
                Ok(CliffYear {
                    fiscal_year: r.fiscal_year,
                    net_cash_flow: r.net_cash_flow,
                    cumulative_cash: r.cumulative_cash,
                    annual_shortfall: neg(r.net_cash_flow)?.max(Yen::ZERO),
                    deficit: neg(r.cumulative_cash)?.max(Yen::ZERO),
                })
            })
            .collect::<Result<_, EngineError>>()?,
        None => Vec::new(),
    };
    Ok(Cliff {
        last_subsidy_year,
        cliff_year: after
            .iter()
            .find(|y| y.cumulative_cash < Yen::ZERO)
            .map(|y| y.fiscal_year),
        max_deficit: after.iter().map(|y| y.deficit).max().unwrap_or(Yen::ZERO),
        total_annual_shortfall: sum(after.iter().map(|y| y.annual_shortfall))?,
        new_revenue_needed: after
            .iter()
            .map(|y| y.annual_shortfall)
            .max()
            .unwrap_or(Yen::ZERO),
        levers: Vec::new(),
        after,
    })
}

/// The years break-even must hold: after the last subsidy; without any
/// subsidy, after the last year of investment; with neither, every year.
fn post_subsidy_window(rows: &[YearRow], last_subsidy: Option<FiscalYear>) -> Vec<usize> {
    let start = match last_subsidy {
        Some(end) => rows.iter().position(|r| r.fiscal_year > end),
        None => Some(
            rows.iter()
                .rposition(|r| r.capex > Yen::ZERO)
                .map_or(0, |i| i + 1),
        ),
    };
    start.map_or_else(Vec::new, |s| (s..rows.len()).collect())
}

/// The lever a line offers.
fn lever_kind(line: &LineRow) -> LeverKind {
    match (line.kind, line.category) {
        (LineKind::Revenue, LineCategory::UserFees) => LeverKind::Fee,
        (LineKind::Revenue, LineCategory::Levy) => LeverKind::Levy,
        (LineKind::Revenue, _) => LeverKind::Revenue,
        (LineKind::Savings, _) => LeverKind::Savings,
        (LineKind::Opex | LineKind::Capex, _) => LeverKind::CostCut,
    }
}

/// Solves for the uniform change x of one line (a fraction of its amounts)
/// that keeps `net_t + σ·x·line_t ≥ 0` in every year t of the window, where
/// σ = +1 for revenue and savings and −1 for costs. Net cash flow is linear
/// in the line's amounts, so with y = σ·x the condition is
/// `y ≥ −net_t / line_t` for years with an amount, and the answer is
/// `y = max_t (−net_t / line_t)`; a deficit year where the line has no amount
/// cannot be closed by this lever. y is rounded up to 0.01 % and the yen
/// change per year up to the yen, so the rounded answer still suffices.
///
/// The arithmetic is exact in `i128` and checked: with every net cash flow
/// within [`MAX_SUM`] and every amount within [`Yen::MAX_INPUT`], the
/// products stay below about 10^33, far inside `i128` (≈ 1.7 × 10^38).
fn solve_lever(
    rows: &[YearRow],
    line: &LineRow,
    window: &[usize],
) -> Result<BreakEven, EngineError> {
    let years: Vec<FiscalYear> = window.iter().map(|&i| rows[i].fiscal_year).collect();
    let lever = lever_kind(line);
    let sign: i128 = if lever == LeverKind::CostCut { -1 } else { 1 };
    let unsolved = |code| BreakEven {
        line: line.id.clone(),
        lever,
        years: years.clone(),
        change: None,
        extra: Vec::new(),
        infeasible: Some(code),
        binding_year: None,
    };
    if window.is_empty() {
        return Ok(unsolved("no-years-after-subsidy"));
    }
    // The largest −net/amount, kept as an exact fraction (num, den > 0) and
    // compared by cross-multiplication in i128: no rounding until the end.
    let mut need: Option<(i128, i128, FiscalYear)> = None;
    for &i in window {
        let net = rows[i].net_cash_flow;
        let amount = line.amounts[i];
        if amount == Yen::ZERO {
            if net < Yen::ZERO {
                return Ok(unsolved("no-amount-in-deficit-year"));
            }
            continue;
        }
        let (num, den) = (-i128::from(net.get()), i128::from(amount.get()));
        let larger = match need {
            None => true,
            Some((n, d, _)) => {
                num.checked_mul(d).ok_or_else(total_range)?
                    > n.checked_mul(den).ok_or_else(total_range)?
            }
        };
        if larger {
            need = Some((num, den, rows[i].fiscal_year));
        }
    }
    // y in units of 0.01 %, rounded up so that it still suffices.
    let y_bp = match need {
        None => 0,
        Some((num, den, _)) => div_ceil(num.checked_mul(10_000).ok_or_else(total_range)?, den),
    };
    if sign < 0 && y_bp > 10_000 {
        return Ok(unsolved("exceeds-line"));
    }
    let extra = window
        .iter()
        .map(|&i| {
            let effect = scale_ceil(line.amounts[i].get(), y_bp).ok_or_else(total_range)?;
            // A cut is at most the line (y ≤ 100 %), so only a raise can
            // exceed the yen range: one year's amount × a required change of
            // more than about 92 million per cent. It saturates at the
            // largest yen, as documented on `BreakEven::extra`.
            Ok(Yen(i64::try_from(sign * effect).unwrap_or(if sign < 0 {
                i64::MIN
            } else {
                i64::MAX
            })))
        })
        .collect::<Result<_, EngineError>>()?;
    let change = Decimal::try_from_i128_with_scale(sign * y_bp, 4).map_err(|_| total_range())?;
    Ok(BreakEven {
        line: line.id.clone(),
        lever,
        years,
        change: Some(Rate::new(change.normalize())),
        extra,
        infeasible: None,
        binding_year: need.map(|n| n.2),
    })
}

/// ⌈amount × bp / 10,000⌉: an amount scaled by a change in units of 0.01 %,
/// rounded up. Exact; in i64 (where division by the constant compiles to a
/// multiplication) whenever the product fits, which is every realistic case;
/// `None` only if the product leaves `i128`.
fn scale_ceil(amount: i64, bp: i128) -> Option<i128> {
    if let Ok(bp) = i64::try_from(bp)
        && let Some(p) = amount.checked_mul(bp)
    {
        return Some(i128::from(
            p.div_euclid(10_000) + i64::from(p.rem_euclid(10_000) != 0),
        ));
    }
    Some(div_ceil(i128::from(amount).checked_mul(bp)?, 10_000))
}

/// ⌈a / b⌉ for b > 0, rounding towards +∞ for either sign of a. Cannot
/// overflow: a remainder exists only when b > 1, and then the quotient is
/// below `i128::MAX`.
fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

impl BreakEven {
    /// The change as f64, for display.
    pub fn change_f64(&self) -> Option<f64> {
        self.change.map(Rate::to_f64)
    }
}
