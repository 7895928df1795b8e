//! `machi programs list` and `machi programs show ID` as text and JSON: the
//! funding programs with their terms, rules, types and the source of each.

use std::fmt::Write as _;

use machi_domain::ProjectError;
use machi_domain::project::{LineCategory, Text};
use machi_i18n::Lang;
use machi_programs::explain::{Arg, Citation};
use machi_programs::program::{KindSelector, Method, Program, Sizing, SourceRef, Test};
use machi_programs::{Catalogue, CatalogueErrors, DonationRelief};

use super::{paren, t};
use crate::fy;
use crate::programs::arg;

/// The list of programs, each with its types, as text.
pub fn list_text(catalogue: &Catalogue, lang: Lang) -> String {
    let width = catalogue.iter().map(|p| p.id.len()).max().unwrap_or(0);
    let mut s = lang.tf("programs.label.list-header", &[("count", &catalogue.len())]);
    s.push('\n');
    for p in catalogue.iter() {
        let _ = writeln!(
            s,
            "  {:width$}  {}  [{}, {}] — {}",
            p.id,
            t(&p.name, lang),
            lang.t(&format!("programs.kind.{}", p.kind.as_str())),
            fy(lang, p.fiscal_year),
            t(&p.issuer, lang),
        );
        for ty in &p.types {
            let _ = writeln!(
                s,
                "  {:width$}    {}:{}  {}",
                "",
                p.id,
                ty.id,
                t(&ty.name, lang)
            );
        }
    }
    let _ = writeln!(s, "{}", lang.t("programs.label.show-hint"));
    s
}

/// The list of programs as JSON: id, kind, fiscal year, names and types.
pub fn list_json(catalogue: &Catalogue) -> serde_json::Value {
    let items: Vec<serde_json::Value> = catalogue
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id,
                "kind": p.kind,
                "fiscal_year": p.fiscal_year,
                "name": p.name,
                "issuer": p.issuer,
                "types": p.types.iter().map(|t| serde_json::json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::Value::Array(items)
}

/// One program described as text and, with a donation, the donor's relief
/// and net cost.
pub fn show_text(program: &Program, relief: Option<&DonationRelief>, lang: Lang) -> String {
    let mut s = describe_program(program, lang);
    if let Some(r) = relief {
        s.push('\n');
        if r.qualifies {
            let _ = writeln!(
                s,
                "{}",
                lang.tf(
                    "programs.label.relief-example",
                    &[
                        ("donation", &r.donation),
                        ("relief", &r.relief),
                        ("net", &r.net_cost)
                    ]
                )
            );
            for p in &r.parts {
                let bound = if p.upper_bound {
                    format!("{} ", lang.t("programs.label.upper-bound"))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "  - {}: {bound}{} ({})",
                    t(&p.name, lang),
                    p.amount,
                    p.rate.percent(2)
                );
            }
        } else {
            let _ = writeln!(
                s,
                "{}",
                lang.tf(
                    "programs.label.relief-below-min",
                    &[("donation", &r.donation), ("min", &r.min_donation)]
                )
            );
        }
    }
    s
}

/// One program as JSON, with the relief on a donation if one was given.
pub fn show_json(program: &Program, relief: Option<&DonationRelief>) -> serde_json::Value {
    serde_json::json!({ "program": program, "donation_relief": relief })
}

/// The whole description of a program, as text.
pub fn describe_program(p: &Program, lang: Lang) -> String {
    let mut s = String::new();
    let l = |key: &str| lang.t(&format!("programs.label.{key}"));
    let _ = writeln!(s, "{}{}", t(&p.name, lang), paren(&p.id, lang));
    let _ = writeln!(s, "  {}: {}", l("issuer"), t(&p.issuer, lang));
    let _ = writeln!(
        s,
        "  {}: {}",
        l("kind"),
        lang.t(&format!("programs.kind.{}", p.kind.as_str()))
    );
    let _ = writeln!(s, "  {}: {}", l("fiscal-year"), fy(lang, p.fiscal_year));
    if let Some(summary) = &p.summary {
        let _ = writeln!(s, "  {}: {}", l("summary"), t(summary, lang));
    }
    if let Some(b) = &p.budget {
        let _ = writeln!(
            s,
            "  {}: {} {}",
            l("budget"),
            b.amount,
            cite_short(p, &b.source, lang)
        );
    }
    if let Some(w) = &p.application_window {
        let d = |d: Option<machi_programs::program::Date>| {
            d.map_or_else(String::new, |d| d.to_string())
        };
        let range = lang.tf(
            "programs.label.window-range",
            &[("opens", &d(w.opens)), ("closes", &d(w.closes))],
        );
        let _ = writeln!(
            s,
            "  {}: {range} {}",
            l("window"),
            cite_short(p, &w.source, lang)
        );
    }
    if !p.themes.is_empty() {
        let _ = writeln!(s, "  {}:", l("themes"));
        for th in &p.themes {
            let examples = th
                .examples
                .as_ref()
                .map_or_else(String::new, |e| format!(" — {}", t(e, lang)));
            let _ = writeln!(
                s,
                "    - {} ({}){examples} {}",
                t(&th.name, lang),
                th.id,
                cite_short(p, &th.source, lang)
            );
        }
    }
    if !p.rules.is_empty() {
        let key = if p.types.is_empty() {
            "rules"
        } else {
            "rules-all-types"
        };
        let _ = writeln!(s, "  {}:", l(key));
        describe_rules(&mut s, p, &p.rules, "    ", lang);
    }
    if !p.sizing.is_empty() {
        let _ = writeln!(s, "  {}:", l("sizing"));
        describe_sizing(&mut s, p, &p.sizing, "    ", lang);
    }
    if !p.types.is_empty() {
        let _ = writeln!(s, "  {}:", l("types"));
        for ty in &p.types {
            let _ = writeln!(
                s,
                "    ■ {}{}",
                t(&ty.name, lang),
                paren(&format!("{}:{}", p.id, ty.id), lang)
            );
            if let Some(summary) = &ty.summary {
                let _ = writeln!(s, "      {}", t(summary, lang));
            }
            // The type's own terms; the shared ones are listed above.
            if !ty.sizing.is_empty() {
                let _ = writeln!(s, "      {}:", l("sizing"));
                describe_sizing(&mut s, p, &ty.sizing, "        ", lang);
            }
            if !ty.rules.is_empty() {
                let _ = writeln!(s, "      {}:", l("rules"));
                describe_rules(&mut s, p, &ty.rules, "        ", lang);
            }
        }
    }
    if let Some(d) = &p.donation {
        let _ = writeln!(s, "  {}:", l("donation"));
        let _ = writeln!(
            s,
            "    - {}: {} {}",
            l("min-donation"),
            d.min_donation.amount,
            cite_short(p, &d.min_donation.source, lang)
        );
        for part in &d.relief {
            let bound = if part.upper_bound {
                format!("{} ", l("upper-bound"))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "    - {}: {bound}{} {}",
                t(&part.name, lang),
                part.rate.percent(2),
                cite_short(p, &part.source, lang)
            );
            note(&mut s, part.source.note.as_ref(), "      ", lang);
        }
    }
    if let Some(levy) = &p.levy {
        let _ = writeln!(s, "  {}: {}", l("levy"), cite_short(p, &levy.source, lang));
        let kind = |k: KindSelector| {
            lang.t(&format!("programs.member-kind.{}", k.as_str()))
                .to_owned()
        };
        let _ = writeln!(s, "    - {}: {}", l("collector"), kind(levy.collector));
        let _ = writeln!(s, "    - {}: {}", l("recipient"), kind(levy.recipient));
        let _ = writeln!(
            s,
            "    - {}: {}",
            l("payers"),
            lang.t(&format!("programs.stakeholder.{}", levy.payers))
        );
        let _ = writeln!(s, "    - {}: {}", l("limit"), t(&levy.limit, lang));
        if let Some(n) = levy.max_plan_years {
            let _ = writeln!(
                s,
                "    - {}: {}",
                l("max-plan-years"),
                lang.tf("programs.label.n-years", &[("n", &n)])
            );
        }
    }
    describe_sources(&mut s, p, lang);
    s
}

fn describe_rules(
    s: &mut String,
    p: &Program,
    rules: &[machi_programs::Rule],
    indent: &str,
    lang: Lang,
) {
    for r in rules {
        let name = lang.t(&format!("programs.rule.{}", r.test.name()));
        let advisory = if r.advisory {
            paren(lang.t("programs.status.advisory"), lang)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{indent}- {name}{advisory}: {} {}",
            describe_test(p, &r.test, lang),
            cite_short(p, &r.source, lang)
        );
        note(
            s,
            r.note.as_ref().or(r.source.note.as_ref()),
            &format!("{indent}  "),
            lang,
        );
    }
}

/// A rule's parameters in words.
fn describe_test(p: &Program, test: &Test, lang: Lang) -> String {
    let key = format!("programs.describe.{}", test.name());
    match test {
        Test::ConsortiumIncludes { each_of } => {
            let groups: Vec<String> = each_of
                .iter()
                .map(|g| arg(&Arg::Kinds(g.clone()), lang))
                .collect();
            lang.tf(&key, &[("groups", &groups.join("; "))])
        }
        Test::ImplementedBy { year: y } => lang.tf(&key, &[("year", &fy(lang, *y))]),
        Test::LocatedIn { prefectures } => lang.tf(
            &key,
            &[(
                "prefectures",
                &arg(&Arg::Prefectures(prefectures.clone()), lang),
            )],
        ),
        Test::MinProjectCost { amount } => lang.tf(&key, &[("amount", amount)]),
        Test::ThemesAny { themes } => {
            let names: Vec<Text> = p
                .themes
                .iter()
                .filter(|th| themes.contains(&th.id))
                .map(|th| th.name.clone())
                .collect();
            lang.tf(&key, &[("themes", &arg(&Arg::Texts(names), lang))])
        }
        Test::RecipientKind { kinds } => {
            lang.tf(&key, &[("kinds", &arg(&Arg::Kinds(kinds.clone()), lang))])
        }
        Test::ConsentShare { min } => lang.tf(&key, &[("min", &min.percent(2))]),
        Test::Condition { text } => lang.tf(&key, &[("text", &t(text, lang))]),
        Test::ExecutionPlanPublished {} | Test::ImplementationPlan {} | Test::PlanApproved {} => {
            lang.t(&key).to_owned()
        }
    }
}

fn describe_sizing(s: &mut String, p: &Program, z: &Sizing, indent: &str, lang: Lang) {
    let mut line = |text: String, src: &SourceRef| {
        let _ = writeln!(s, "{indent}- {text} {}", cite_short(p, src, lang));
        note(s, src.note.as_ref(), &format!("{indent}  "), lang);
    };
    if let Some(b) = &z.subsidy {
        let text = match b.method {
            Method::FixedAmount => lang.t("programs.term.fixed-amount").to_owned(),
            Method::Rate => lang.tf(
                "programs.term.rate",
                &[("rate", &b.effective_rate().percent(2))],
            ),
        };
        line(text, &b.source);
    }
    if let Some(c) = &z.cap_per_year {
        line(
            lang.tf("programs.term.cap-per-year", &[("amount", &c.amount)]),
            &c.source,
        );
    }
    if let Some(c) = &z.cap_total {
        line(
            lang.tf("programs.term.cap-total", &[("amount", &c.amount)]),
            &c.source,
        );
    }
    if let Some(y) = &z.max_consecutive_years {
        line(
            lang.tf(
                "programs.term.max-consecutive-years",
                &[("years", &y.years)],
            ),
            &y.source,
        );
    }
    if let Some(e) = &z.eligible_expenses {
        let what = match &e.categories {
            None => lang.t("programs.term.eligible-all").to_owned(),
            Some(cats) => lang.tf(
                "programs.term.eligible-categories",
                &[("categories", &categories(cats, lang))],
            ),
        };
        let tax = lang.t(if e.consumption_tax {
            "programs.term.tax-included"
        } else {
            "programs.term.tax-excluded"
        });
        line(format!("{what}{}", paren(tax, lang)), &e.source);
    }
    if let Some(c) = &z.co_funding {
        line(lang.t("programs.term.co-funding").to_owned(), &c.source);
    }
    if let Some(r) = &z.rounding {
        line(
            lang.tf("programs.term.rounding", &[("unit", &r.unit)]),
            &r.source,
        );
    }
}

/// The numbered list of a program's sources.
pub fn describe_sources(s: &mut String, p: &Program, lang: Lang) {
    let _ = writeln!(s, "  {}:", lang.t("programs.label.sources"));
    for (i, src) in p.sources.iter().enumerate() {
        let mut flags = Vec::new();
        if src.secondary {
            flags.push(lang.t("programs.label.secondary"));
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        let issuer = src
            .issuer
            .as_ref()
            .map_or_else(String::new, |x| format!(" — {}", t(x, lang)));
        let date = src.date.map_or_else(String::new, |d| format!(" ({d})"));
        let _ = writeln!(
            s,
            "    [{}] {}{issuer}{date}{flags}",
            i + 1,
            t(&src.title, lang)
        );
        if let Some(url) = &src.url {
            let _ = writeln!(s, "        {url}");
        }
        note(s, src.note.as_ref(), "        ", lang);
    }
}

fn note(s: &mut String, n: Option<&Text>, indent: &str, lang: Lang) {
    if let Some(n) = n {
        let _ = writeln!(
            s,
            "{indent}{}: {}",
            lang.t("programs.label.note"),
            t(n, lang)
        );
    }
}

/// `[1: 補助要件等 支援条件①, 未確認]`: the source's number in the list,
/// the place in it, and the flags.
pub fn cite_short(p: &Program, r: &SourceRef, lang: Lang) -> String {
    cite_with(
        p,
        &r.doc,
        r.page,
        r.section.as_deref(),
        r.unverified || p.source(&r.doc).is_some_and(|s| s.secondary),
        lang,
    )
}

/// The same for a resolved citation.
pub fn citation_short(p: &Program, c: &Citation, lang: Lang) -> String {
    cite_with(p, &c.doc, c.page, c.section.as_deref(), c.unverified, lang)
}

fn cite_with(
    p: &Program,
    doc: &str,
    page: Option<u32>,
    section: Option<&str>,
    unverified: bool,
    lang: Lang,
) -> String {
    let n = p
        .sources
        .iter()
        .position(|s| s.id == doc)
        .map_or_else(|| doc.to_owned(), |i| (i + 1).to_string());
    let mut parts = vec![n];
    if let Some(pg) = page {
        parts.push(lang.tf("programs.label.page", &[("page", &pg)]));
    }
    if let Some(sec) = section {
        parts.push(sec.to_owned());
    }
    if unverified {
        parts.push(lang.t("programs.label.unverified").to_owned());
    }
    format!("[{}]", parts.join(", "))
}

/// Every problem in the program files, one per line, translated.
pub fn catalogue_errors(errs: &CatalogueErrors, lang: Lang) -> String {
    let mut out = String::new();
    for (i, f) in errs.0.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&lang.tf(
            "programs.error.problems",
            &[("path", &f.file), ("count", &f.errors.len())],
        ));
        for e in &f.errors {
            out.push_str("\n  - ");
            out.push_str(&program_error(lang, e));
        }
    }
    out
}

/// One program-file error: `path (line L): message`. Program-specific codes
/// are under `programs.error.`, the ones shared with project files under
/// `project.error.`.
pub fn program_error(lang: Lang, e: &ProjectError) -> String {
    let args: Vec<(&str, &dyn std::fmt::Display)> = e
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    let own = format!("programs.error.{}", e.code);
    let key = if lang.has(&own) {
        own
    } else {
        format!("project.error.{}", e.code)
    };
    let message = lang.tf(&key, &args);
    let path = if e.path.is_empty() {
        lang.t("project.location.file").to_owned()
    } else {
        e.path.clone()
    };
    let location = match e.line {
        Some(line) => lang.tf("project.location.line", &[("path", &path), ("line", &line)]),
        None => lang.tf("project.location.path", &[("path", &path)]),
    };
    format!("{location}: {message}")
}

/// The program `id`, or a translated error listing the known ids.
pub fn find_program<'a>(
    catalogue: &'a Catalogue,
    id: &str,
    lang: Lang,
) -> Result<&'a Program, String> {
    catalogue.get(id).ok_or_else(|| {
        let known: Vec<&str> = catalogue.iter().map(|p| p.id.as_str()).collect();
        lang.tf(
            "programs.error.unknown-program",
            &[("id", &id), ("known", &known.join(", "))],
        )
    })
}

fn categories(cats: &[LineCategory], lang: Lang) -> String {
    let sep = if lang == Lang::Ja { "、" } else { ", " };
    cats.iter()
        .map(|c| {
            lang.t(&format!("programs.category.{}", c.as_str()))
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join(sep)
}
