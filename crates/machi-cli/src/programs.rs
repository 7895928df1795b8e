//! `machi programs list` and `machi programs show ID`: the funding programs
//! machi knows (shipped in `programs/`, plus `--programs-dir`), in Japanese
//! or English, with the source of every rule (rendered by
//! `machi_report::cli::programs`). Also the pieces `machi check` and
//! `machi fund` share: the output format, loading the catalogue, printing.
//!
//! Exit codes: 0 on success; 2 when a program file or the directory cannot
//! be read, the program is unknown, or an argument is invalid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use machi_domain::Yen;
use machi_i18n::Lang;
use machi_programs::{Catalogue, donation_relief};
use machi_report::cli::json;
use machi_report::cli::programs::{self, find_program};

/// Output formats of `programs` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for the terminal.
    Text,
    /// JSON (codes, arguments and translated messages).
    Json,
}

/// Arguments of `machi programs`.
#[derive(Debug, Args)]
pub struct ProgramsArgs {
    #[command(subcommand)]
    command: ProgramsCommand,
}

#[derive(Debug, Subcommand)]
enum ProgramsCommand {
    /// List the known programs.
    List(ListArgs),
    /// Describe one program: terms, rules, types and sources.
    Show(ShowArgs),
}

/// Options shared by the `programs` subcommands.
#[derive(Debug, Args)]
struct CommonArgs {
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

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Program id (see `machi programs list`).
    id: String,
    /// For a donation incentive: the donor's relief and net cost for this
    /// donation (e.g. 1000000 or 100万円).
    #[arg(long, value_name = "AMOUNT")]
    donation: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

/// Runs `machi programs`.
pub fn run(args: &ProgramsArgs) -> ExitCode {
    match &args.command {
        ProgramsCommand::List(a) => list(a),
        ProgramsCommand::Show(a) => show(a),
    }
}

fn list(args: &ListArgs) -> ExitCode {
    let lang = args.common.lang;
    let catalogue = match load_catalogue(args.common.programs_dir.as_deref(), lang) {
        Ok(c) => c,
        Err(msg) => return fail(&msg),
    };
    let out = match args.common.format {
        Format::Json => json(&programs::list_json(&catalogue)),
        Format::Text => programs::list_text(&catalogue, lang),
    };
    print(&out)
}

fn show(args: &ShowArgs) -> ExitCode {
    let lang = args.common.lang;
    let catalogue = match load_catalogue(args.common.programs_dir.as_deref(), lang) {
        Ok(c) => c,
        Err(msg) => return fail(&msg),
    };
    let program = match find_program(&catalogue, &args.id, lang) {
        Ok(p) => p,
        Err(msg) => return fail(&msg),
    };
    let relief = match &args.donation {
        None => None,
        Some(text) => {
            let Ok(amount) = text.parse::<Yen>() else {
                return fail(&lang.tf("programs.error.bad-amount", &[("value", text)]));
            };
            match donation_relief(program, amount) {
                Some(r) => Some(r),
                None => {
                    return fail(&lang.tf("programs.error.not-a-donation", &[("id", &program.id)]));
                }
            }
        }
    };
    let out = match args.common.format {
        Format::Json => json(&programs::show_json(program, relief.as_ref())),
        Format::Text => programs::show_text(program, relief.as_ref(), lang),
    };
    print(&out)
}

/// Reads the shipped programs and, if given, the directory's `*.toml`.
pub fn load_catalogue(dir: Option<&Path>, lang: Lang) -> Result<Catalogue, String> {
    let mut catalogue = Catalogue::bundled().map_err(|e| programs::catalogue_errors(&e, lang))?;
    let Some(dir) = dir else { return Ok(catalogue) };
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        lang.tf(
            "programs.error.programs-dir",
            &[("path", &shown), ("reason", &e)],
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|e| {
            lang.tf(
                "cli.error.read-file",
                &[("path", &path.display()), ("reason", &e)],
            )
        })?;
        files.push((path.display().to_string(), text));
    }
    catalogue
        .add_files(
            files
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
        .map_err(|e| programs::catalogue_errors(&e, lang))?;
    Ok(catalogue)
}

/// Writes to standard output (a closed pipe is not an error).
pub fn print(s: &str) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
    ExitCode::SUCCESS
}

/// Prints a message to standard error; exit status 2 (bad input).
pub fn fail(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(2)
}
