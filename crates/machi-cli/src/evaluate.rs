//! `machi evaluate FILE`: the statement and metrics of a project file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use machi_domain::{LineItemId, Project, ProjectErrors};
use machi_finance::{Options, evaluate};
use machi_i18n::Lang;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for the terminal.
    Table,
    /// The whole evaluation as JSON.
    Json,
    /// The statement as CSV (UTF-8 with BOM, for Excel).
    Csv,
    /// A workbook with a sheet per view (needs -o).
    Xlsx,
}

/// Arguments of `machi evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The project file (.toml or .json).
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Language of labels and messages: ja or en.
    #[arg(long, default_value = "ja")]
    lang: Lang,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Revenue line(s) to solve break-even for (default: every user-fee and
    /// levy line), comma-separated ids.
    #[arg(long = "break-even", value_delimiter = ',')]
    break_even: Vec<String>,
}

/// Reads a project file, choosing TOML or JSON by extension.
pub fn load(path: &Path, lang: Lang) -> Result<Project, String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| lang.tf("cli.error.read-file", &[("path", &shown), ("reason", &e)]))?;
    let text =
        String::from_utf8(bytes).map_err(|_| lang.tf("cli.error.not-utf8", &[("path", &shown)]))?;
    let parsed = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("toml") => Project::from_toml_str(&text),
        Some("json") => Project::from_json_str(&text),
        _ => return Err(lang.tf("cli.error.unknown-extension", &[("path", &shown)])),
    };
    parsed.map_err(|errs| describe(&shown, &errs, lang))
}

/// Every problem in a file, one per line, translated.
fn describe(path: &str, errs: &ProjectErrors, lang: Lang) -> String {
    let mut out = lang.tf(
        "cli.error.problems",
        &[("path", &path), ("count", &errs.0.len())],
    );
    for e in &errs.0 {
        out.push_str("\n  - ");
        out.push_str(&machi_report::project_error(lang, e));
    }
    out
}

/// Runs the command; exit status 0 on success, 2 for bad input, 1 when the
/// output cannot be written.
pub fn run(args: &EvaluateArgs) -> ExitCode {
    let lang = args.lang;
    let project = match load(&args.file, lang) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let mut break_even = Vec::new();
    for id in &args.break_even {
        match LineItemId::new(id.trim()) {
            Ok(id) => break_even.push(id),
            Err(_) => {
                eprintln!("{}", lang.tf("cli.error.break-even-line", &[("id", id)]));
                return ExitCode::from(2);
            }
        }
    }
    let options = Options {
        break_even: (!break_even.is_empty()).then_some(break_even),
    };
    let eval = match evaluate(&project, &options) {
        Ok(e) => e,
        Err(machi_finance::engine::EngineError::BreakEvenLine(id)) => {
            eprintln!("{}", lang.tf("cli.error.break-even-line", &[("id", &id)]));
            return ExitCode::from(2);
        }
        Err(machi_finance::engine::EngineError::Invalid(errs)) => {
            eprintln!(
                "{}",
                describe(&args.file.display().to_string(), &errs, lang)
            );
            return ExitCode::from(2);
        }
    };
    let bytes = match args.format {
        Format::Table => machi_report::text(&project, &eval, lang).into_bytes(),
        Format::Json => {
            let mut s = machi_report::json(&project, &eval);
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => machi_report::csv(&eval, lang).into_bytes(),
        Format::Xlsx => {
            if args.output.is_none() {
                eprintln!("{}", lang.t("cli.error.xlsx-needs-output"));
                return ExitCode::from(2);
            }
            match machi_report::xlsx(&project, &eval, lang) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{}", lang.tf("cli.error.xlsx", &[("detail", &e)]));
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    match &args.output {
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(&bytes).and_then(|()| out.flush());
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, &bytes) {
            Ok(()) => {
                eprintln!(
                    "{}",
                    lang.tf("cli.evaluate.written", &[("path", &path.display())])
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "{}",
                    lang.tf(
                        "cli.error.write-file",
                        &[("path", &path.display()), ("reason", &e)]
                    )
                );
                ExitCode::FAILURE
            }
        },
    }
}
