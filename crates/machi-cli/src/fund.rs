//! `machi fund PROJECT`: which subsidy programs to apply for, in which
//! fiscal years and for how much, so as to minimise the consortium's or the
//! municipality's net cost under every rule; the optimised plan beside a
//! simple greedy choice; and the evaluation with the plan in place, so the
//! funding cliff and the levers that close it reflect the chosen subsidies.
//!
//! Exit codes: 0 with a plan, 1 when the solver fails (the greedy plan is
//! still shown), 2 for unreadable input or an unknown program.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use machi_domain::Yen;
use machi_finance::{Evaluation, Options, evaluate};
use machi_i18n::Lang;
use machi_programs::stack::{Minimise, StackPlan, StackProblem, greedy, optimise, violations};
use machi_programs::{Program, ProgramKind, apply_plan, build_stack_problem};

use crate::programs::{Format, fail, find_program, json, load_catalogue, print, year};

/// Whose net cost to minimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Party {
    /// The consortium's: every subsidy yen counts.
    Consortium,
    /// The municipality's: subsidy on the municipality's own expenses first.
    Municipality,
}

/// Arguments of `machi fund`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    machi fund examples/kurume-flood-ai.toml\n  \
    machi fund examples/hino-mimamori.toml --programs tokyo-smart-tokyo-local-issues,mic-smart-city-data-linkage --lang en\n  \
    machi fund examples/sano-urban-os.toml --minimise municipality --format json")]
pub struct FundArgs {
    /// The project file (.toml or .json).
    project: PathBuf,
    /// Candidate programs, comma-separated ID or ID:TYPE (default: every
    /// subsidy program in the catalogue).
    #[arg(long, value_delimiter = ',', value_name = "ID[:TYPE],…")]
    programs: Vec<String>,
    /// Whose net cost to minimise.
    #[arg(long, value_enum, default_value_t = Party::Consortium)]
    minimise: Party,
    /// Also read program files (*.toml) from this directory.
    #[arg(long = "programs-dir", value_name = "DIR")]
    programs_dir: Option<PathBuf>,
    /// Language: ja or en.
    #[arg(long, default_value = "ja")]
    lang: Lang,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs the command.
pub fn run(args: &FundArgs) -> ExitCode {
    let lang = args.lang;
    let project = match crate::evaluate::load(&args.project, lang) {
        Ok(p) => p,
        Err(msg) => return fail(&msg),
    };
    let catalogue = match load_catalogue(args.programs_dir.as_deref(), lang) {
        Ok(c) => c,
        Err(msg) => return fail(&msg),
    };
    let mut candidates: Vec<(&Program, Option<&str>)> = Vec::new();
    if args.programs.is_empty() {
        candidates.extend(
            catalogue
                .iter()
                .filter(|p| p.kind == ProgramKind::Subsidy)
                .map(|p| (p, None)),
        );
    } else {
        for spec in &args.programs {
            let (id, ty) = match spec.split_once(':') {
                Some((id, ty)) => (id.trim(), Some(ty.trim())),
                None => (spec.trim(), None),
            };
            match find_program(&catalogue, id, lang) {
                Ok(p) if p.kind == ProgramKind::Subsidy => candidates.push((p, ty)),
                Ok(_) => return fail(&lang.tf("cli.fund.not-a-subsidy", &[("id", &id)])),
                Err(msg) => return fail(&msg),
            }
        }
    }
    let minimise = match args.minimise {
        Party::Consortium => Minimise::Consortium,
        Party::Municipality => Minimise::Municipality,
    };
    let problem = match build_stack_problem(&project, &candidates, minimise) {
        Ok(p) => p,
        Err(e) => return fail(&lang.tf("cli.fund.problem", &[("detail", &e)])),
    };

    let simple = greedy(&problem);
    let (best, solver_error) = match optimise(&problem) {
        Ok(plan) => (plan, None),
        Err(e) => (simple.clone(), Some(e)),
    };
    // The optimiser checks its own answer; this guards the whole path.
    for plan in [&best, &simple] {
        let broken = violations(&problem, plan);
        if !broken.is_empty() {
            return fail(&lang.tf("cli.fund.violation", &[("detail", &format!("{broken:?}"))]));
        }
    }
    let funded = apply_plan(&project, &candidates, &problem, &best);
    let greedy_funded = apply_plan(&project, &candidates, &problem, &simple);
    let (eval, greedy_eval) = match (
        evaluate(&funded, &Options::default()),
        evaluate(&greedy_funded, &Options::default()),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(&lang.tf("cli.error.engine", &[("detail", &e)])),
    };

    let status = if solver_error.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "minimise": minimise,
                "candidates": candidates.iter().map(|(p, t)| match t { Some(t) => format!("{}:{t}", p.id), None => p.id.clone() }).collect::<Vec<_>>(),
                "optimised": plan_json(&problem, &best),
                "greedy": plan_json(&problem, &simple),
                "solver_error": solver_error.as_ref().map(|e| serde_json::json!({"code": e.code(), "message": e.to_string()})),
                "project": funded,
                "evaluation": eval,
            });
            print(&json(&doc));
        }
        Format::Text => {
            let mut o = String::new();
            let en = lang == Lang::En;
            let _ = writeln!(o, "{}", project.project.name.get(en));
            let names: Vec<String> = candidates
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
                if minimise == Minimise::Consortium {
                    "consortium"
                } else {
                    "municipality"
                }
            ));
            let _ = writeln!(
                o,
                "\n■ {} ({objective}; {})",
                lang.t("cli.fund.optimised"),
                machi_report::label(lang, "unit.sen")
            );
            o.push_str(&plan_table(&problem, &best, lang));
            if let Some(e) = &solver_error {
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
                machi_report::label(lang, "unit.sen")
            );
            o.push_str(&plan_table(&problem, &simple, lang));
            let _ = writeln!(
                o,
                "\n  {}",
                lang.tf(
                    "cli.fund.compare",
                    &[
                        ("optimised", &best.total),
                        ("greedy", &simple.total),
                        ("gain", &(best.total - simple.total)),
                        ("municipal", &best.municipal_total),
                    ]
                )
            );
            if let Some(bound) = best.bound {
                let _ = writeln!(o, "  {}", lang.tf("cli.fund.bound", &[("bound", &bound)]));
            }
            let _ = writeln!(
                o,
                "  {}",
                lang.tf(
                    "cli.fund.cliff-compare",
                    &[
                        ("optimised", &cliff_summary(&eval, lang)),
                        ("greedy", &cliff_summary(&greedy_eval, lang))
                    ]
                )
            );
            let _ = writeln!(o, "\n{}", lang.t("cli.fund.with-plan"));
            o.push_str(&machi_report::cliff_text(&eval, lang));
            print(&o);
        }
    }
    status
}

/// A plan as a table: one row per program type, one column per fiscal year
/// that receives anything, and the total (thousands of yen).
fn plan_table(problem: &StackProblem, plan: &StackPlan, lang: Lang) -> String {
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
            .map(|&fy| year(fy, lang)),
    );
    header.push(machi_report::label(lang, "col.total").to_owned());
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
            row.push(machi_report::sen(amount));
        }
        row.push(machi_report::sen(total));
        rows.push(row);
    }
    let mut sum = vec![machi_report::label(lang, "col.total").to_owned()];
    for &y in &years {
        sum.push(machi_report::sen(
            plan.awards
                .iter()
                .filter(|a| a.year == y)
                .map(|a| a.amount)
                .sum(),
        ));
    }
    sum.push(machi_report::sen(plan.total));
    rows.push(sum);
    machi_report::table(&header, &rows)
}

/// "令和9年度 (最大不足 ¥27,140,000)" or "none".
fn cliff_summary(eval: &Evaluation, lang: Lang) -> String {
    match eval.cliff.cliff_year {
        Some(y) => lang.tf(
            "cli.fund.cliff-at",
            &[
                ("year", &year(y, lang)),
                ("deficit", &eval.cliff.max_deficit),
            ],
        ),
        None => lang.t("cli.fund.no-cliff").to_owned(),
    }
}

/// A plan as JSON, with program type ids and fiscal years spelt out.
fn plan_json(problem: &StackProblem, plan: &StackPlan) -> serde_json::Value {
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
