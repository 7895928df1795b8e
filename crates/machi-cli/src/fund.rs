//! `machi fund PROJECT`: which subsidy programs to apply for, in which
//! fiscal years and for how much, so as to minimise the consortium's or the
//! municipality's net cost under every rule; the optimised plan beside a
//! simple greedy choice; and the evaluation with the plan in place, so the
//! funding cliff and the levers that close it reflect the chosen subsidies.
//!
//! Exit codes: 0 with a plan, 1 when the solver fails (the greedy plan is
//! still shown), 2 for unreadable input or an unknown program.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use machi_finance::{Options, evaluate};
use machi_i18n::Lang;
use machi_programs::stack::{Minimise, greedy, optimise, violations};
use machi_programs::{Program, ProgramKind, apply_plan, build_stack_problem};
use machi_report::cli;
use machi_report::cli::programs::find_program;

use crate::programs::{Format, fail, load_catalogue, print};

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
    let funding = cli::fund::Funding {
        project: &project,
        candidates: &candidates,
        minimise,
        problem: &problem,
        optimised: &best,
        greedy: &simple,
        solver_error: solver_error.as_ref(),
        funded: &funded,
        evaluation: &eval,
        greedy_evaluation: &greedy_eval,
    };
    print(&match args.format {
        Format::Json => cli::json(&cli::fund::json(&funding)),
        Format::Text => cli::fund::text(&funding, lang),
    });
    status
}
