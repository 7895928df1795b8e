//! Funding-program results as people read them: explanations (a stable code
//! and typed arguments from `machi-programs`) rendered through the message
//! catalogue (`programs.<domain>.<code>`). Shared by the command line and the
//! web pages so both say the same thing.

use machi_i18n::Lang;
use machi_programs::{Arg, Explanation};

use crate::fy;

/// An explanation argument in `lang`: yen as ¥, rates as %, fiscal years as
/// 令和7年度 / FY2025, member kinds and prefectures by their names.
pub fn arg(a: &Arg, lang: Lang) -> String {
    let en = lang == Lang::En;
    let sep = if en { ", " } else { "、" };
    let or = if en { " or " } else { "・" };
    match a {
        Arg::Str(s) => s.clone(),
        Arg::Yen(y) => y.to_string(),
        Arg::Rate(r) => r.percent(2),
        Arg::Year(y) => fy(lang, *y),
        Arg::Years(ys) => ys
            .iter()
            .map(|y| fy(lang, *y))
            .collect::<Vec<_>>()
            .join(sep),
        Arg::Count(n) => n.to_string(),
        Arg::Text(x) => x.get(en).to_owned(),
        Arg::Texts(xs) => xs
            .iter()
            .map(|x| x.get(en).to_owned())
            .collect::<Vec<_>>()
            .join(sep),
        Arg::Kinds(ks) => ks
            .iter()
            .map(|k| {
                lang.t(&format!("programs.member-kind.{}", k.as_str()))
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join(or),
        Arg::Prefectures(ps) => ps
            .iter()
            .map(|p| lang.t(&format!("programs.prefecture.{p:02}")).to_owned())
            .collect::<Vec<_>>()
            .join(sep),
    }
}

/// An explanation in `lang`: message key `programs.<domain>.<code>` with its
/// arguments (`domain` is `reason` for rule outcomes, `sizing` for amounts).
pub fn explanation(domain: &str, e: &Explanation, lang: Lang) -> String {
    let values: Vec<(&str, String)> = e.args.iter().map(|(k, v)| (*k, arg(v, lang))).collect();
    let args: Vec<(&str, &dyn std::fmt::Display)> = values
        .iter()
        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
        .collect();
    lang.tf(&format!("programs.{domain}.{}", e.code), &args)
}
