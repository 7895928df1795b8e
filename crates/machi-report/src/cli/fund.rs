//! `machi fund` as text and JSON: which subsidy programs to apply for, in
//! which fiscal years and for how much, the optimised plan beside a simple
//! greedy choice, and the funding cliff with the plan in place.

use std::fmt::Write as _;

use machi_domain::{Project, Yen};
use machi_finance::Evaluation;
use machi_i18n::Lang;
use machi_programs::Program;
use machi_programs::stack::{Minimise, StackError, StackPlan, StackProblem};

use crate::{cliff_text, fy, label, sen, table};

/// What `machi fund` found: the candidates, both plans and the project
/// evaluated with each.
#[derive(Debug, Clone, Copy)]
pub struct Funding<'a> {
    /// The project as read.
    pub project: &'a Project,
    /// The candidate programs, each with the type asked for, if any.
    pub candidates: &'a [(&'a Program, Option<&'a str>)],
    /// Whose net cost is minimised.
    pub minimise: Minimise,
    /// The problem both plans solve.
    pub problem: &'a StackProblem,
    /// The optimised plan (the greedy one when the solver failed).
    pub optimised: &'a StackPlan,
    /// The greedy plan.
    pub greedy: &'a StackPlan,
    /// Why the solver failed, if it did.
    pub solver_error: Option<&'a StackError>,
    /// The project with the optimised plan in place.
    pub funded: &'a Project,
    /// The evaluation of `funded`.
    pub evaluation: &'a Evaluation,
    /// The evaluation with the greedy plan in place.
    pub greedy_evaluation: &'a Evaluation,
}

/// Both plans as text, compared, with the funding cliff and the levers of
/// the project with the optimised plan in place.
pub fn text(f: &Funding<'_>, lang: Lang) -> String {
    let mut o = String::new();
    let en = lang == Lang::En;
    let _ = writeln!(o, "{}", f.project.project.name.get(en));
    let names: Vec<String> = f
        .candidates
        .iter()
        .map(|(p, t)| {
            format!(
                "{}{}",
                p.name.get(en),
                t.map(|t| format!(":{t}")).unwrap_or_default()
            )
        })
        .collect();
    let _ = writeln!(o, "{}: {}", lang.t("cli.fund.candidates"), names.join("、"));
    let objective = lang.t(&format!(
        "cli.fund.minimise.{}",
        if f.minimise == Minimise::Consortium {
            "consortium"
        } else {
            "municipality"
        }
    ));
    let _ = writeln!(
        o,
        "\n■ {} ({objective}; {})",
        lang.t("cli.fund.optimised"),
        label(lang, "unit.sen")
    );
    o.push_str(&plan_table(f.problem, f.optimised, lang));
    if let Some(e) = f.solver_error {
        let _ = writeln!(
            o,
            "  {}",
            lang.tf("cli.fund.solver-failed", &[("detail", e)])
        );
    }
    let _ = writeln!(
        o,
        "\n■ {} ({})",
        lang.t("cli.fund.greedy"),
        label(lang, "unit.sen")
    );
    o.push_str(&plan_table(f.problem, f.greedy, lang));
    let _ = writeln!(
        o,
        "\n  {}",
        lang.tf(
            "cli.fund.compare",
            &[
                ("optimised", &f.optimised.total),
                ("greedy", &f.greedy.total),
                ("gain", &(f.optimised.total - f.greedy.total)),
                ("municipal", &f.optimised.municipal_total),
            ]
        )
    );
    if let Some(bound) = f.optimised.bound {
        let _ = writeln!(o, "  {}", lang.tf("cli.fund.bound", &[("bound", &bound)]));
    }
    let _ = writeln!(
        o,
        "  {}",
        lang.tf(
            "cli.fund.cliff-compare",
            &[
                ("optimised", &cliff_summary(f.evaluation, lang)),
                ("greedy", &cliff_summary(f.greedy_evaluation, lang))
            ]
        )
    );
    let _ = writeln!(o, "\n{}", lang.t("cli.fund.with-plan"));
    o.push_str(&cliff_text(f.evaluation, lang));
    o
}

/// Both plans, the project with the optimised plan in place and its
/// evaluation, as JSON.
pub fn json(f: &Funding<'_>) -> serde_json::Value {
    serde_json::json!({
        "minimise": f.minimise,
        "candidates": f.candidates.iter().map(|(p, t)| match t { Some(t) => format!("{}:{t}", p.id), None => p.id.clone() }).collect::<Vec<_>>(),
        "optimised": plan_json(f.problem, f.optimised),
        "greedy": plan_json(f.problem, f.greedy),
        "solver_error": f.solver_error.map(|e| serde_json::json!({"code": e.code(), "message": e.to_string()})),
        "project": f.funded,
        "evaluation": f.evaluation,
    })
}

/// A plan as a table: one row per program type, one column per fiscal year
/// that receives anything, and the total (thousands of yen).
pub fn plan_table(problem: &StackProblem, plan: &StackPlan, lang: Lang) -> String {
    let mut years: Vec<usize> = plan.awards.iter().map(|a| a.year).collect();
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        return format!("  {}\n", lang.t("cli.fund.nothing"));
    }
    let mut header = vec![lang.t("cli.fund.program").to_owned()];
    header.extend(
        years
            .iter()
            .filter_map(|&y| problem.years.get(y))
            .map(|&y| fy(lang, y)),
    );
    header.push(label(lang, "col.total").to_owned());
    let mut keys: Vec<(usize, usize)> = plan.awards.iter().map(|a| (a.program, a.kind)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut rows = Vec::new();
    for (p, k) in keys {
        let id = problem
            .programs
            .get(p)
            .and_then(|pr| pr.types.get(k))
            .map_or("?", |t| t.id.as_str());
        let mut row = vec![id.to_owned()];
        let mut total = Yen::ZERO;
        for &y in &years {
            let amount: Yen = plan
                .awards
                .iter()
                .filter(|a| a.program == p && a.kind == k && a.year == y)
                .map(|a| a.amount)
                .sum();
            total += amount;
            row.push(sen(amount));
        }
        row.push(sen(total));
        rows.push(row);
    }
    let mut sum = vec![label(lang, "col.total").to_owned()];
    for &y in &years {
        sum.push(sen(plan
            .awards
            .iter()
            .filter(|a| a.year == y)
            .map(|a| a.amount)
            .sum()));
    }
    sum.push(sen(plan.total));
    rows.push(sum);
    table(&header, &rows)
}

/// "令和9年度 (最大不足 ¥27,140,000)" or "none".
pub fn cliff_summary(eval: &Evaluation, lang: Lang) -> String {
    match eval.cliff.cliff_year {
        Some(y) => lang.tf(
            "cli.fund.cliff-at",
            &[("year", &fy(lang, y)), ("deficit", &eval.cliff.max_deficit)],
        ),
        None => lang.t("cli.fund.no-cliff").to_owned(),
    }
}

/// A plan as JSON, with program type ids and fiscal years spelt out.
pub fn plan_json(problem: &StackProblem, plan: &StackPlan) -> serde_json::Value {
    let awards: Vec<serde_json::Value> = plan
        .awards
        .iter()
        .map(|a| {
            serde_json::json!({
                "program": problem.programs.get(a.program).and_then(|p| p.types.get(a.kind)).map(|t| t.id.clone()),
                "fiscal_year": problem.years.get(a.year),
                "amount": a.amount,
                "expenses": a.expenses.iter().map(|(pool, e)| serde_json::json!({"pool": pool, "municipal": problem.pools.get(*pool).map(|p| p.municipal), "amount": e})).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({ "total": plan.total, "municipal_total": plan.municipal_total, "bound": plan.bound, "awards": awards })
}
