//! `machi check` as text and JSON: every rule of a funding program checked
//! against a project (pass, fail or needs information, with the reason and
//! the source), and the largest subsidy per fiscal year with the rule that
//! binds.

use std::fmt::Write as _;

use machi_domain::{Project, Yen};
use machi_i18n::Lang;
use machi_programs::{CheckError, CheckReport, Program, Status, TypeReport, TypeSizing, Verdict};

use super::programs::{citation_short, describe_sources};
use super::{paren, t};
use crate::fy;
use crate::programs::explanation;
use crate::text::{pad_left, pad_right, width};

/// Why a check could not run, in `lang`: the type asked for is not one of
/// the program's.
pub fn check_error(e: &CheckError, lang: Lang) -> String {
    match e {
        CheckError::UnknownType {
            program,
            type_id,
            known,
        } => {
            let known = if known.is_empty() {
                lang.t("programs.label.none").to_owned()
            } else {
                known.join(", ")
            };
            lang.tf(
                "programs.error.unknown-type",
                &[("program", program), ("type", type_id), ("known", &known)],
            )
        }
    }
}

/// A verdict in `lang`.
pub fn verdict(v: Verdict, lang: Lang) -> &'static str {
    lang.t(&format!("programs.verdict.{}", v.as_str()))
}

/// The whole check as text: the project, the program and its verdict,
/// every rule of each checked type with its source, the largest subsidy
/// per fiscal year, and the sources.
pub fn text(project: &Project, program: &Program, report: &CheckReport, lang: Lang) -> String {
    let mut s = String::new();
    let l = |key: &str| lang.t(&format!("programs.label.{key}"));
    let _ = writeln!(s, "{}: {}", l("project"), t(&project.project.name, lang));
    let (issuer, year) = (t(&program.issuer, lang), fy(lang, program.fiscal_year));
    let details = paren(
        &format!(
            "{issuer}{}{year}",
            if lang == Lang::Ja { "、" } else { ", " }
        ),
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
        .map(|r| width(&fy(lang, r.year)))
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
                let years = format!("{}{range}{}", fy(lang, r.year), fy(lang, rows[j].year));
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
            pad_right(&fy(lang, r.year), yw),
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

/// The report as JSON, each reason and sizing line with its message in
/// `lang` next to its code and arguments.
pub fn json(report: &CheckReport, lang: Lang) -> serde_json::Value {
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
