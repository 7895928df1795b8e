//! What changed between two versions of a project document, field by field.
//!
//! Both documents are turned into their JSON (the stored form) and
//! flattened into leaves with paths such as `application.vision.ja` or
//! `line_items[opex-cloud].amounts.FY2027`. Lists of things with an `id`
//! (members, line items, funding sources) are keyed by that id, so inserting
//! a line does not make every later line look changed. Amounts are shown in
//! yen with the difference.

use std::collections::HashMap;

use machi_domain::project::AppField;
use machi_domain::{Project, Yen};
use machi_i18n::Lang;
use serde_json::Value;

use crate::service::projects::evaluate;
use crate::view;

/// One changed leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The field's path.
    pub path: String,
    /// A label for people (the form field's name when it has one).
    pub label: String,
    /// The old value, shown; empty when the field was added.
    pub before: String,
    /// The new value, shown; empty when the field was removed.
    pub after: String,
    /// For amounts: the difference in yen.
    pub delta: String,
}

/// The changes from `a` to `b`, in the order of the project file (and of
/// the application form within `application`).
pub fn diff(a: &Project, b: &Project, lang: Lang) -> Vec<Change> {
    let mut changes = match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(va), Ok(vb)) => diff_values(Some(&va), Some(&vb), lang),
        _ => Vec::new(),
    };
    // JSON objects come back sorted by key; people read the file's order.
    changes.sort_by_key(|c| rank(&c.path));
    name_entries(&mut changes, a, b, lang);
    changes
}

/// What a conflict page shows side by side: every field `yours` changed
/// from `base`, with the other person's value (`theirs`) in `before` — their
/// new value where they changed the field too, else the common base value.
pub fn conflict_changes(
    base: &Project,
    theirs: &Project,
    yours: &Project,
    lang: Lang,
) -> Vec<Change> {
    let theirs_changes = diff(base, theirs, lang);
    diff(base, yours, lang)
        .into_iter()
        .map(|c| {
            let their_value = theirs_changes
                .iter()
                .find(|t| t.path == c.path)
                .map_or_else(|| c.before.clone(), |t| t.after.clone());
            Change {
                before: their_value,
                ..c
            }
        })
        .collect()
}

/// Two versions compared, as the versions page and the API show them: how
/// the headline metrics moved (empty when either version cannot be
/// evaluated) and every change, in document order.
pub fn compare(a: &Project, b: &Project, lang: Lang) -> (Vec<view::Moved>, Vec<Change>) {
    let metrics = match (evaluate(a), evaluate(b)) {
        (Ok(ea), Ok(eb)) => view::headline(lang, &ea, &eb),
        _ => Vec::new(),
    };
    (metrics, diff(a, b, lang))
}

/// Labels changes inside members, line items and funding sources by the
/// entry's name (from the newer document, else the older) and amounts by
/// their fiscal year: `line_items[gauges].amounts.FY2030` reads
/// 「水位計 · 令和12年度」. The path stays available as the tooltip.
fn name_entries(changes: &mut [Change], a: &Project, b: &Project, lang: Lang) {
    let en = lang == Lang::En;
    let mut names: HashMap<String, String> = HashMap::new();
    for p in [a, b] {
        for m in &p.members {
            names.insert(format!("members[{}]", m.id), m.name.get(en).to_owned());
        }
        for l in &p.line_items {
            names.insert(format!("line_items[{}]", l.id), l.name.get(en).to_owned());
        }
        for f in &p.funding {
            names.insert(format!("funding[{}]", f.id), f.name.get(en).to_owned());
        }
    }
    for c in changes.iter_mut() {
        let Some(end) = c.path.find(']') else {
            continue;
        };
        let (entry, rest) = c.path.split_at(end + 1);
        let Some(name) = names.get(entry) else {
            continue;
        };
        let rest = rest.trim_start_matches('.');
        let field = match rest
            .strip_prefix("amounts.")
            .and_then(|y| y.parse::<machi_domain::FiscalYear>().ok())
        {
            Some(fy) => view::fy(lang, fy),
            None => rest.to_owned(),
        };
        c.label = if field.is_empty() {
            name.clone()
        } else {
            format!("{name} · {field}")
        };
    }
}

/// Where a path sits in the project file: its section, then (inside
/// `application`) the form's field order. Ties keep their order.
fn rank(path: &str) -> (usize, usize) {
    const SECTIONS: [&str; 9] = [
        "schema_version",
        "project",
        "horizon",
        "finance",
        "consortium",
        "application",
        "members",
        "line_items",
        "funding",
    ];
    let head = path.split(['.', '[']).next().unwrap_or(path);
    let section = SECTIONS
        .iter()
        .position(|s| *s == head)
        .unwrap_or(SECTIONS.len());
    let field = path
        .strip_prefix("application.")
        .and_then(|rest| {
            let key = rest.split('.').next().unwrap_or(rest);
            AppField::from_key(key).map(|f| f as usize + 1)
        })
        .unwrap_or(0);
    (section, field)
}

/// A problem of a project as a form shows it: the field by the label the
/// form gives it (not the project file's path), then what is wrong.
pub fn form_problem(lang: Lang, e: &machi_domain::ProjectError) -> String {
    let args: Vec<(&str, &dyn std::fmt::Display)> = e
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    let message = lang.tf(&format!("project.error.{}", e.code), &args);
    let field = label(&e.path, lang);
    if field == e.path {
        // Not a field of the form: the full explanation, path and all.
        machi_report::project_error(lang, e)
    } else {
        format!("{field}: {message}")
    }
}

/// The changes between two JSON values (either may be absent: a creation
/// or a deletion), in document order.
pub fn diff_values(a: Option<&Value>, b: Option<&Value>, lang: Lang) -> Vec<Change> {
    let mut la = Vec::new();
    let mut lb = Vec::new();
    if let Some(a) = a {
        flatten("", a, &mut la);
    }
    if let Some(b) = b {
        flatten("", b, &mut lb);
    }
    let ia: HashMap<&str, &Value> = la.iter().map(|(p, v)| (p.as_str(), v)).collect();
    let ib: HashMap<&str, &Value> = lb.iter().map(|(p, v)| (p.as_str(), v)).collect();
    let mut out = Vec::new();
    for (path, x) in &la {
        let y = ib.get(path.as_str()).copied();
        if y != Some(x) {
            out.push(change(path, Some(x), y, lang));
        }
    }
    for (path, y) in &lb {
        if !ia.contains_key(path.as_str()) {
            out.push(change(path, None, Some(y), lang));
        }
    }
    out
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items)
            if items
                .iter()
                .all(|i| i.get("id").is_some_and(Value::is_string))
                && !items.is_empty() =>
        {
            for item in items {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                flatten(&format!("{prefix}[{id}]"), item, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, out);
            }
        }
        leaf => out.push((prefix.to_owned(), leaf.clone())),
    }
}

/// Whether a path holds an amount of yen.
fn is_amount(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    path.contains(".amounts.")
        || path.contains("own_burden.")
        || matches!(
            last,
            "amount" | "principal" | "residual_value" | "target" | "start"
        )
        || path.contains(".steps[") && last == "amount"
}

fn show(v: &Value, amount: bool) -> String {
    match v {
        Value::Number(n) if amount => n
            .as_i64()
            .map_or_else(|| n.to_string(), |y| view::yen(Yen(y))),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items
            .iter()
            .map(|i| show(i, amount))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn change(path: &str, a: Option<&Value>, b: Option<&Value>, lang: Lang) -> Change {
    let amount = is_amount(path);
    let delta = if amount {
        let n = |v: Option<&Value>| v.and_then(Value::as_i64).unwrap_or(0);
        view::yen_delta(Yen(n(b).saturating_sub(n(a))))
    } else {
        String::new()
    };
    Change {
        path: path.to_owned(),
        label: label(path, lang),
        before: a.map(|v| show(v, amount)).unwrap_or_default(),
        after: b.map(|v| show(v, amount)).unwrap_or_default(),
        delta,
    }
}

/// A label for people: application fields by their form name and language
/// (`ビジョン（English）`), everything else by its path.
fn label(path: &str, lang: Lang) -> String {
    let paren = |s: &str| match lang {
        Lang::Ja => format!("（{s}）"),
        Lang::En => format!(" ({s})"),
    };
    let language = |part: Option<&str>| match part {
        Some("ja") => paren(lang.t("web.lang.ja")),
        Some("en") => paren(lang.t("web.lang.en")),
        _ => String::new(),
    };
    // The edit form's own fields, by the labels the form shows.
    for (prefix, key) in [
        ("project.name", "web.field.name-ja"),
        ("project.summary", "web.field.summary-ja"),
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let base = lang
                .t(key)
                .split(['（', ' ', '('])
                .next()
                .unwrap_or_default()
                .to_owned();
            return format!("{base}{}", language(rest.strip_prefix('.')));
        }
    }
    if let Some(rest) = path.strip_prefix("members[")
        && let Some((n, tail)) = rest.split_once(']')
        && let Ok(i) = n.parse::<usize>()
    {
        let member = lang.tf("web.edit.member-n", &[("n", &(i + 1))]);
        let part = tail.trim_start_matches('.').split('.');
        let mut it = part;
        return match (it.next(), it.next()) {
            (Some("name"), lang_part) => format!("{member}{}", language(lang_part)),
            (Some(""), _) | (None, _) => member,
            (Some(other), _) => format!("{member} · {other}"),
        };
    }
    if let Some(rest) = path.strip_prefix("application.") {
        let mut it = rest.split('.');
        let field = it.next().unwrap_or_default();
        let heading = match AppField::from_key(field) {
            Some(f) => Some(f.label(lang == Lang::En)),
            None => (field == "contact").then(|| lang.t("web.app.contact")),
        };
        if let Some(heading) = heading {
            let paren = |s: &str| match lang {
                Lang::Ja => format!("（{s}）"),
                Lang::En => format!(" ({s})"),
            };
            let part = match it.next() {
                Some("ja") => paren(lang.t("web.lang.ja")),
                Some("en") => paren(lang.t("web.lang.en")),
                Some(other) => format!(" · {other}"),
                None => String::new(),
            };
            return format!("{heading}{part}");
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Form errors name the form's fields, not the file's paths (issue 15
    /// item 11).
    #[test]
    fn form_problems_use_the_form_s_words() {
        let e = machi_domain::ProjectError::new("empty-text", "members[1].name.ja");
        let m = form_problem(Lang::Ja, &e);
        assert!(m.starts_with("構成員2（日本語）: "), "{m}");
        let e = machi_domain::ProjectError::new("empty-text", "project.name.ja");
        assert!(form_problem(Lang::En, &e).starts_with("Name (Japanese): "));
        let e = machi_domain::ProjectError::new("empty-text", "application.vision.en")
            .arg("char", "U+0000");
        assert!(form_problem(Lang::Ja, &e).starts_with("都市・まちづくりのビジョン（英語）"));
    }
    use machi_domain::project::Text;

    fn kurume() -> Project {
        Project::from_toml_str(include_str!("../../../examples/kurume-flood-ai.toml"))
            .expect("example")
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let p = kurume();
        assert!(diff(&p, &p, Lang::Ja).is_empty());
    }

    #[test]
    fn text_and_amount_changes_are_reported_with_paths() {
        let a = kurume();
        let mut b = a.clone();
        // Only the Japanese text changes; the English (if any) stays.
        b.application.key_concept = Some(Text {
            ja: "新しいキーコンセプト".into(),
            en: a
                .application
                .key_concept
                .as_ref()
                .and_then(|t| t.en.clone()),
        });
        let line = &mut b.line_items[0];
        let (fy, old) = line
            .amounts
            .iter()
            .next()
            .map(|(k, v)| (*k, *v))
            .unwrap_or_else(|| ("FY2025".parse().expect("fy"), Yen(0)));
        line.amounts.insert(fy, Yen(old.get() + 1_000_000));
        let id = line.id.to_string();
        let changes = diff(&a, &b, Lang::Ja);
        let amount = changes
            .iter()
            .find(|c| c.path == format!("line_items[{id}].amounts.{fy}"))
            .expect("amount change");
        assert_eq!(amount.delta, "+¥1,000,000");
        let name = b.line_items[0].name.ja.clone();
        assert_eq!(
            amount.label,
            format!("{name} · {}", fy.label_ja()),
            "amounts read by name and year"
        );
        assert!(amount.after.starts_with('¥'), "{amount:?}");
        let text = changes
            .iter()
            .find(|c| c.path.starts_with("application.key_concept"))
            .expect("text change");
        assert_eq!(text.after, "新しいキーコンセプト");
        assert!(text.label.starts_with("キーコンセプト"), "{}", text.label);
    }

    #[test]
    fn lists_with_ids_are_matched_by_id() {
        let a = kurume();
        let mut b = a.clone();
        // Moving a line changes nothing that matters.
        b.line_items.rotate_left(1);
        assert!(diff(&a, &b, Lang::En).is_empty());
        // Removing one reports only its fields.
        let removed = b.line_items.remove(0);
        let changes = diff(&a, &b, Lang::En);
        assert!(!changes.is_empty());
        assert!(
            changes.iter().all(
                |c| c.path.starts_with(&format!("line_items[{}]", removed.id))
                    && c.after.is_empty()
            ),
            "{changes:?}"
        );
    }
}
