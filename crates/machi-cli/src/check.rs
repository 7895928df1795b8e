//! `machi check PROJECT --program ID[:TYPE]`: every rule of a funding
//! program checked against a project (pass, fail or needs information, with
//! the reason and the source), and the largest subsidy per fiscal year with
//! the rule that binds.
//!
//! Exit codes: 0 eligible (for at least one checked type), 1 not eligible,
//! 3 information missing, 2 when the project or a program file cannot be
//! read or the program or type is unknown.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use machi_i18n::Lang;
use machi_programs::{Verdict, check};
use machi_report::cli;
use machi_report::cli::programs::find_program;

use crate::programs::{Format, fail, load_catalogue, print};

/// Arguments of `machi check`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    machi check examples/kurume-flood-ai.toml --program mlit-smart-city-implementation\n  \
    machi check examples/hino-mimamori.toml --program tokyo-smart-tokyo-local-issues --lang en\n  \
    machi check examples/kashiwanoha-area-services.toml --program mlit-smart-city-implementation:urban-service --format json\n\
    Exit status: 0 eligible, 1 not eligible, 3 information missing, 2 unreadable input.")]
pub struct CheckArgs {
    /// The project file (.toml or .json).
    project: PathBuf,
    /// The program: ID, or ID:TYPE for one type (see `machi programs list`).
    #[arg(long, value_name = "ID[:TYPE]")]
    program: String,
    /// Also read program files (*.toml) from this directory; a program with
    /// the id of a shipped one replaces it.
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
pub fn run(args: &CheckArgs) -> ExitCode {
    let lang = args.lang;
    let (id, type_id) = match args.program.split_once(':') {
        Some((id, ty)) => (id.trim(), Some(ty.trim())),
        None => (args.program.trim(), None),
    };
    if id.is_empty() || type_id.is_some_and(str::is_empty) {
        return fail(&lang.tf(
            "programs.error.bad-program-arg",
            &[("value", &args.program)],
        ));
    }
    let project = match crate::evaluate::load(&args.project, lang) {
        Ok(p) => p,
        Err(msg) => return fail(&msg),
    };
    let catalogue = match load_catalogue(args.programs_dir.as_deref(), lang) {
        Ok(c) => c,
        Err(msg) => return fail(&msg),
    };
    let program = match find_program(&catalogue, id, lang) {
        Ok(p) => p,
        Err(msg) => return fail(&msg),
    };
    let report = match check(&project, program, type_id) {
        Ok(r) => r,
        Err(e) => return fail(&cli::check::check_error(&e, lang)),
    };
    let out = match args.format {
        Format::Text => cli::check::text(&project, program, &report, lang),
        Format::Json => cli::json(&cli::check::json(&report, lang)),
    };
    let _ = print(&out);
    match report.verdict {
        Verdict::Eligible => ExitCode::SUCCESS,
        Verdict::NotEligible => ExitCode::from(1),
        Verdict::NeedsInformation => ExitCode::from(3),
    }
}
