//! `machi`: the command line of the machi smart-city workbench.

mod calc;
mod evaluate;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Calc(args) => calc::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
    }
}
