//! `machi`: the command line of the machi smart-city workbench.

mod calc;
mod check;
mod evaluate;
mod fund;
mod programs;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// machi — smart-city projects from a local issue to a service that pays for itself.
#[derive(Debug, Parser)]
#[command(name = "machi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Spreadsheet-compatible financial functions (npv, irr, xirr, pmt, …).
    Calc(calc::CalcArgs),
    /// Evaluate a project file: statement by fiscal year, metrics, funding
    /// cliff and break-even (table, JSON, CSV or XLSX; Japanese or English).
    Evaluate(evaluate::EvaluateArgs),
    /// Check a project against a funding program: every rule (pass, fail,
    /// needs information) with its source, and the largest subsidy per
    /// fiscal year. Exit status 0 eligible, 1 not eligible, 3 information
    /// missing, 2 unreadable input.
    Check(check::CheckArgs),
    /// The funding programs machi knows: list, show.
    Programs(programs::ProgramsArgs),
    /// Choose the funding stack: which subsidies to apply for, in which
    /// fiscal years and for how much (optimised beside a greedy choice), and
    /// the funding cliff and levers with that plan in place.
    Fund(fund::FundArgs),
    /// Run the web application: pages and the REST API, on an SQLite file
    /// (created on first start) or PostgreSQL; `--demo` loads demo data.
    Serve(serve::ServeArgs),
    /// Administration: create the first user outside demo mode.
    Admin(serve::AdminArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Calc(args) => calc::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Programs(args) => programs::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Admin(args) => serve::run_admin(&args),
        Command::Fund(args) => fund::run(&args),
    }
}
