//! `machi check PROJECT --program ID[:TYPE]`: every rule of a funding
//! program checked against a project (pass, fail or needs information, with
//! the reason and the source), and the largest subsidy per fiscal year with
//! the rule that binds.
//!
//! Exit codes: 0 eligible (for at least one checked type), 1 not eligible,
//! 3 information missing, 2 when the project or a program file cannot be
//! read or the program or type is unknown.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use machi_domain::{Project, Yen};
use machi_i18n::Lang;
use machi_programs::{
    CheckError, CheckReport, Program, Status, TypeReport, TypeSizing, Verdict, check,
};

use crate::programs::{
    Format, citation_short, describe_sources, explanation, fail, find_program, json,
    load_catalogue, paren, print, t, year,
};

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
        Err(CheckError::UnknownType {
            program,
            type_id,
            known,
        }) => {
            let known = if known.is_empty() {
                lang.t("programs.label.none").to_owned()
            } else {
                known.join(", ")
            };
            return fail(&lang.tf(
                "programs.error.unknown-type",
                &[("program", &program), ("type", &type_id), ("known", &known)],
            ));
        }
    };
    let out = match args.format {
        Format::Text => text(&project, program, &report, lang),
        Format::Json => json(&to_json(&report, lang)),
    };
    let _ = print(&out);
    match report.verdict {
        Verdict::Eligible => ExitCode::SUCCESS,
        Verdict::NotEligible => ExitCode::from(1),
        Verdict::NeedsInformation => ExitCode::from(3),
    }
}

fn verdict(v: Verdict, lang: Lang) -> &'static str {
    lang.t(&format!("programs.verdict.{}", v.as_str()))
}

fn text(project: &Project, program: &Program, report: &CheckReport, lang: Lang) -> String {
    let mut s = String::new();
    let l = |key: &str| lang.t(&format!("programs.label.{key}"));
    let _ = writeln!(s, "{}: {}", l("project"), t(&project.project.name, lang));
    let (issuer, fy) = (t(&program.issuer, lang), year(program.fiscal_year, lang));
    let details = paren(
        &format!("{issuer}{}{fy}", if lang == Lang::Ja { "、" } else { ", " }),
        lang,
    );
    let _ = writeln!(s, "{}: {}{details}", l("program"), t(&program.name, lang));
    let _ = writeln!(s, "{}: {}", l("verdict"), verdict(report.verdict, lang));
    for ty in &report.types {
        s.push('\n');
        type_text(&mut s, program, ty, lang);
    }
    s.push('\n');
    describe_sources(&mut s, program, lang);
    s
}

fn type_text(s: &mut String, program: &Program, ty: &TypeReport, lang: Lang) {
    let title = match (&ty.type_id, &ty.name) {
        (Some(id), Some(name)) => lang.tf(
            "programs.label.checked-type",
            &[
                ("name", &t(name, lang)),
                ("id", &format!("{}:{id}", program.id)),
            ],
        ),
        _ => lang.t("programs.label.program-level").to_owned(),
    };
    let _ = writeln!(s, "■ {title}: {}", verdict(ty.verdict, lang));
    for o in &ty.outcomes {
        let mut status = lang
            .t(&format!("programs.status.{}", o.status.as_str()))
            .to_owned();
        if o.advisory {
            status = format!("{status}・{}", lang.t("programs.status.advisory"));
        }
        let mark = match (o.status, o.advisory) {
            (Status::Pass, _) => "✓",
            (_, true) => "·",
            (Status::Fail, false) => "✗",
            (Status::NeedsInformation, false) => "?",
        };
        let _ = writeln!(
            s,
            "  {mark} [{status}] {}: {}",
            lang.t(&format!("programs.rule.{}", o.rule)),
            explanation("reason", &o.reason, lang)
        );
        let _ = writeln!(
            s,
            "      {} {}",
            lang.t("programs.label.source"),
            citation_short(program, &o.source, lang)
        );
    }
    if let Some(sizing) = &ty.sizing {
        sizing_text(s, sizing, lang);
    }
}

fn sizing_text(s: &mut String, z: &TypeSizing, lang: Lang) {
    let l = |key: &str| lang.t(&format!("programs.label.{key}"));
    let _ = writeln!(s, "  {}:", l("max-subsidy"));
    let rows: Vec<_> = z
        .years
        .iter()
        .filter(|y| y.eligible_gross > Yen::ZERO || y.planned > Yen::ZERO)
        .collect();
    if rows.is_empty() {
        let _ = writeln!(s, "    {}", l("no-years"));
        return;
    }
    let money = |y: Yen| y.to_string();
    // Amounts are ASCII, so byte length is display width.
    let w = rows
        .iter()
        .flat_map(|r| {
            [
                money(r.eligible).len(),
                money(r.amount).len(),
                money(r.planned).len(),
            ]
        })
        .chain([l("eligible"), l("amount"), l("planned")].map(width))
        .max()
        .unwrap_or(0);
    let yw = rows
        .iter()
        .map(|r| width(&year(r.year, lang)))
        .chain([width(l("year"))])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        s,
        "    {}  {}  {}  {}",
        pad_right(l("year"), yw),
        pad_left(l("eligible"), w),
        pad_left(l("amount"), w),
        pad_left(l("planned"), w)
    );
    let sep = if lang == Lang::Ja { "；" } else { "; " };
    let mut i = 0;
    while i < rows.len() {
        let r = rows[i];
        // A run of years that get nothing for the same reason is one line.
        let quiet = |x: &machi_programs::YearSizing| {
            x.amount == Yen::ZERO && x.planned == Yen::ZERO && x.blocked.is_some()
        };
        if quiet(r) {
            let mut j = i;
            while j + 1 < rows.len() && quiet(rows[j + 1]) && rows[j + 1].blocked == r.blocked {
                j += 1;
            }
            if j > i {
                let range = if lang == Lang::Ja { "〜" } else { "–" };
                let years = format!("{}{range}{}", year(r.year, lang), year(rows[j].year, lang));
                let reason = r
                    .blocked
                    .as_ref()
                    .map(|b| explanation("sizing", b, lang))
                    .unwrap_or_default();
                let _ = writeln!(s, "    {years}  {reason}");
                i = j + 1;
                continue;
            }
        }
        let flag = if r.planned > r.amount {
            format!("  ← {}", l("over-plan"))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "    {}  {:>w$}  {:>w$}  {:>w$}{flag}",
            pad_right(&year(r.year, lang), yw),
            money(r.eligible),
            money(r.amount),
            money(r.planned),
        );
        let lines: Vec<String> = r
            .explanation
            .iter()
            .map(|e| explanation("sizing", e, lang))
            .collect();
        let _ = writeln!(s, "      {}: {}", r.amount, lines.join(sep));
        i += 1;
    }
    let _ = writeln!(
        s,
        "    {}",
        lang.tf(
            "programs.label.total-line",
            &[("total", &z.total), ("planned", &z.planned_total)]
        )
    );
}

/// Display width in terminal cells: East Asian characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if u32::from(c) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// The report as JSON, each reason and sizing line with its message in
/// `lang` next to its code and arguments.
fn to_json(report: &CheckReport, lang: Lang) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap_or_default();
    v["lang"] = lang.code().into();
    v["verdict_message"] = verdict(report.verdict, lang).into();
    for (ti, ty) in report.types.iter().enumerate() {
        let jt = &mut v["types"][ti];
        jt["verdict_message"] = verdict(ty.verdict, lang).into();
        for (oi, o) in ty.outcomes.iter().enumerate() {
            jt["outcomes"][oi]["reason"]["message"] = explanation("reason", &o.reason, lang).into();
            jt["outcomes"][oi]["rule_name"] = lang.t(&format!("programs.rule.{}", o.rule)).into();
        }
        if let Some(z) = &ty.sizing {
            for (yi, y) in z.years.iter().enumerate() {
                let jy = &mut jt["sizing"]["years"][yi];
                for (ei, e) in y.explanation.iter().enumerate() {
                    jy["explanation"][ei]["message"] = explanation("sizing", e, lang).into();
                }
                if let Some(b) = &y.blocked {
                    jy["blocked"]["message"] = explanation("sizing", b, lang).into();
                }
            }
        }
    }
    v
}
