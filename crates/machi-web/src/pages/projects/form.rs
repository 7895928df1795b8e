//! The edit form of a project: name, summary, consortium members (◎/○) and
//! the MLIT application template's narrative fields, each in Japanese and
//! English.
//!
//! The form is applied to the version it was based on (`base_version`), never
//! to the latest, so that the store's compare-and-set can tell when someone
//! else saved in between. On a conflict, [`merge`] keeps the other person's
//! version and lays the fields this user changed on top; both are shown side
//! by side and nothing is saved until the user submits again.
//!
//! Extension point: the per-fiscal-year model table (line items, funding)
//! gets its own form and handler beside this one, applied to the base
//! version the same way.

use std::collections::HashMap;

use machi_domain::project::{AppField, Contact, Member, MemberKind, MemberRole, Text};
use machi_domain::{MemberId, Project, ProjectError, ProjectErrors};
use machi_i18n::Lang;

use crate::error::{AppError, AppResult};
use crate::pages::common::{Opt, kebab};

const MEMBER_KINDS: [MemberKind; 8] = [
    MemberKind::Municipality,
    MemberKind::Prefecture,
    MemberKind::Company,
    MemberKind::University,
    MemberKind::Association,
    MemberKind::AreaManagement,
    MemberKind::FinancialInstitution,
    MemberKind::Other,
];

const MEMBER_ROLES: [MemberRole; 3] = [
    MemberRole::Representative,
    MemberRole::Key,
    MemberRole::Member,
];

/// A narrative field in the form.
#[derive(Debug, Clone)]
pub struct FieldRow {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub ja: String,
    pub en: String,
    /// Changed by both people (shown highlighted on the conflict page).
    pub conflict: bool,
}

/// A member row in the form.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    pub kinds: Vec<Opt>,
    pub roles: Vec<Opt>,
    pub remove: bool,
    pub is_new: bool,
}

/// The whole form's values.
#[derive(Debug, Clone)]
pub struct EditForm {
    pub base_version: i64,
    pub note: String,
    pub name_ja: String,
    pub name_en: String,
    pub summary_ja: String,
    pub summary_en: String,
    pub members: Vec<MemberRow>,
    pub fields: Vec<FieldRow>,
    pub contact_name: String,
    pub contact_tel: String,
    pub contact_email: String,
}

/// A member row (not marked for removal, not new).
fn member_row(lang: Lang, id: &str, (ja, en): (&str, &str), kind: &str, role: &str) -> MemberRow {
    MemberRow {
        id: id.to_owned(),
        name_ja: ja.to_owned(),
        name_en: en.to_owned(),
        kinds: MEMBER_KINDS
            .iter()
            .map(|k| {
                let v = kebab(k);
                let label = lang.t(&format!("web.member-kind.{v}"));
                let sel = v == kind;
                Opt::new(v, label, sel)
            })
            .collect(),
        roles: MEMBER_ROLES
            .iter()
            .map(|r| {
                let v = kebab(r);
                let label = lang.t(&format!("web.member-role.{v}"));
                let sel = v == role;
                Opt::new(v, label, sel)
            })
            .collect(),
        remove: false,
        is_new: false,
    }
}

/// The empty row for a new member at the end of the table.
fn new_member_row(lang: Lang) -> MemberRow {
    MemberRow {
        is_new: true,
        ..member_row(lang, "", ("", ""), "company", "member")
    }
}

fn field_rows(lang: Lang, get: impl Fn(AppField) -> (String, String)) -> Vec<FieldRow> {
    AppField::ALL
        .iter()
        .copied()
        .map(|f| {
            let (ja, en) = get(f);
            let key = f.key();
            FieldRow {
                key,
                label: f.label(lang == Lang::En),
                hint: lang.t(&format!("web.app-hint.{key}")),
                ja,
                en,
                conflict: false,
            }
        })
        .collect()
}

impl EditForm {
    /// The form showing `p`, based on version `base_version`.
    pub fn from_project(p: &Project, base_version: i64, lang: Lang) -> EditForm {
        let text = |t: Option<&Text>| {
            t.map_or_else(
                || (String::new(), String::new()),
                |t| (t.ja.clone(), t.en.clone().unwrap_or_default()),
            )
        };
        let (summary_ja, summary_en) = text(p.project.summary.as_ref());
        let mut members: Vec<MemberRow> = p
            .members
            .iter()
            .map(|m| {
                member_row(
                    lang,
                    m.id.as_str(),
                    (&m.name.ja, m.name.en.as_deref().unwrap_or("")),
                    &kebab(&m.kind),
                    &kebab(&m.role),
                )
            })
            .collect();
        members.push(new_member_row(lang));
        let contact = p.application.contact.as_ref();
        EditForm {
            base_version,
            note: String::new(),
            name_ja: p.project.name.ja.clone(),
            name_en: p.project.name.en.clone().unwrap_or_default(),
            summary_ja,
            summary_en,
            members,
            fields: field_rows(lang, |f| text(p.application.get(f))),
            contact_name: contact.map(|c| c.name.clone()).unwrap_or_default(),
            contact_tel: contact.and_then(|c| c.tel.clone()).unwrap_or_default(),
            contact_email: contact.and_then(|c| c.email.clone()).unwrap_or_default(),
        }
    }

    /// The form showing what was submitted (after an error).
    pub fn from_submitted(f: &Submitted, lang: Lang) -> EditForm {
        let mut members: Vec<MemberRow> = (0..f.member_count())
            .map(|i| {
                let g = |k: &str| f.get(&format!("m.{i}.{k}"));
                MemberRow {
                    remove: !g("remove").is_empty(),
                    ..member_row(
                        lang,
                        g("id"),
                        (g("name_ja"), g("name_en")),
                        g("kind"),
                        g("role"),
                    )
                }
            })
            .collect();
        // Rows whose id was typed in the form stay editable.
        for (i, m) in members.iter_mut().enumerate() {
            m.is_new = f.is_new_member(i);
        }
        if !members.last().is_some_and(|m| m.is_new && m.id.is_empty()) {
            members.push(new_member_row(lang));
        }
        EditForm {
            base_version: f.get("base_version").parse().unwrap_or(0),
            note: f.get("note").to_owned(),
            name_ja: f.get("name.ja").to_owned(),
            name_en: f.get("name.en").to_owned(),
            summary_ja: f.get("summary.ja").to_owned(),
            summary_en: f.get("summary.en").to_owned(),
            members,
            fields: field_rows(lang, |k| {
                (
                    f.get(&format!("app.{k}.ja")).to_owned(),
                    f.get(&format!("app.{k}.en")).to_owned(),
                )
            }),
            contact_name: f.get("contact.name").to_owned(),
            contact_tel: f.get("contact.tel").to_owned(),
            contact_email: f.get("contact.email").to_owned(),
        }
    }
}

/// A submitted form: field name → value (the last one when repeated).
pub struct Submitted {
    map: HashMap<String, String>,
    /// Member ids present in the base document (to tell new rows).
    known_members: Vec<String>,
}

impl Submitted {
    /// The submitted fields; `base` tells existing members from new ones.
    pub fn new(pairs: Vec<(String, String)>, base: &Project) -> Submitted {
        Submitted {
            map: crate::http::form_text(pairs),
            known_members: base.members.iter().map(|m| m.id.to_string()).collect(),
        }
    }

    /// A field's value, or "".
    pub fn get(&self, k: &str) -> &str {
        self.map.get(k).map_or("", String::as_str)
    }

    fn member_count(&self) -> usize {
        (0..)
            .take_while(|i| self.map.contains_key(&format!("m.{i}.id")))
            .count()
    }

    fn is_new_member(&self, i: usize) -> bool {
        let id = self.get(&format!("m.{i}.id"));
        !self.known_members.iter().any(|k| k == id)
    }
}

fn opt_text(ja: &str, en: &str) -> Option<Text> {
    let (ja, en) = (ja.trim(), en.trim());
    if ja.is_empty() && en.is_empty() {
        None
    } else {
        Some(Text {
            ja: ja.to_owned(),
            en: (!en.is_empty()).then(|| en.to_owned()),
        })
    }
}

/// The `base_version` a form names.
pub fn base_version(pairs: &[(String, String)]) -> AppResult<i64> {
    pairs
        .iter()
        .find(|(k, _)| k == "base_version")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(AppError::InvalidField {
            field: "base_version".into(),
        })
}

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// Applies the form to `base`; the result is validated. Errors name the
/// document's fields (`members[2].name.ja`).
pub fn apply(base: &Project, f: &Submitted) -> Result<Project, ProjectErrors> {
    let mut p = base.clone();
    let mut errs = Vec::new();
    p.project.name = Text {
        ja: f.get("name.ja").trim().to_owned(),
        en: Some(f.get("name.en").trim().to_owned()).filter(|s| !s.is_empty()),
    };
    p.project.summary = opt_text(f.get("summary.ja"), f.get("summary.en"));
    for &field in AppField::ALL {
        let key = field.key();
        *p.application.get_mut(field) = opt_text(
            f.get(&format!("app.{key}.ja")),
            f.get(&format!("app.{key}.en")),
        );
    }
    let name = f.get("contact.name").trim();
    let tel = f.get("contact.tel").trim();
    let email = f.get("contact.email").trim();
    p.application.contact = if name.is_empty() && tel.is_empty() && email.is_empty() {
        None
    } else {
        Some(Contact {
            name: name.to_owned(),
            tel: (!tel.is_empty()).then(|| tel.to_owned()),
            email: (!email.is_empty()).then(|| email.to_owned()),
        })
    };

    let mut members = Vec::new();
    for i in 0..f.member_count() {
        let g = |k: &str| f.get(&format!("m.{i}.{k}")).trim().to_owned();
        let id = g("id");
        if !g("remove").is_empty() {
            continue;
        }
        let existing = base.members.iter().find(|m| m.id.as_str() == id);
        // An empty new row is not a member.
        if existing.is_none() && id.is_empty() && g("name_ja").is_empty() {
            continue;
        }
        let path = format!("members[{}]", members.len());
        let member_id = match MemberId::new(&id) {
            Ok(m) => m,
            Err(_) => {
                errs.push(ProjectError::new("invalid-id", format!("{path}.id")).arg("value", &id));
                continue;
            }
        };
        let Some(kind) = parse_enum::<MemberKind>(&g("kind")) else {
            errs.push(
                ProjectError::new("unknown-value", format!("{path}.kind"))
                    .arg("value", g("kind"))
                    .arg(
                        "expected",
                        MEMBER_KINDS
                            .iter()
                            .map(kebab)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
            );
            continue;
        };
        let Some(role) = parse_enum::<MemberRole>(&g("role")) else {
            errs.push(
                ProjectError::new("unknown-value", format!("{path}.role"))
                    .arg("value", g("role"))
                    .arg(
                        "expected",
                        MEMBER_ROLES
                            .iter()
                            .map(kebab)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
            );
            continue;
        };
        members.push(Member {
            id: member_id,
            name: Text {
                ja: g("name_ja"),
                en: Some(g("name_en")).filter(|s| !s.is_empty()),
            },
            kind,
            role,
        });
    }
    p.members = members;
    if !errs.is_empty() {
        return Err(ProjectErrors(errs));
    }
    p.validate()?;
    Ok(p)
}

/// What the form edits, as comparable parts.
#[derive(PartialEq)]
enum Part {
    Name,
    Summary,
    Members,
    Contact,
    App(AppField),
}

fn parts() -> Vec<Part> {
    let mut v = vec![Part::Name, Part::Summary, Part::Members, Part::Contact];
    v.extend(AppField::ALL.iter().copied().map(Part::App));
    v
}

fn same(a: &Project, b: &Project, part: &Part) -> bool {
    match part {
        Part::Name => a.project.name == b.project.name,
        Part::Summary => a.project.summary == b.project.summary,
        Part::Members => a.members == b.members,
        Part::Contact => a.application.contact == b.application.contact,
        Part::App(k) => a.application.get(*k) == b.application.get(*k),
    }
}

fn take(into: &mut Project, from: &Project, part: &Part) {
    match part {
        Part::Name => into.project.name = from.project.name.clone(),
        Part::Summary => into.project.summary = from.project.summary.clone(),
        Part::Members => into.members = from.members.clone(),
        Part::Contact => into.application.contact = from.application.contact.clone(),
        Part::App(k) => *into.application.get_mut(*k) = from.application.get(*k).cloned(),
    }
}

fn part_label(part: &Part, lang: Lang) -> String {
    match part {
        Part::Name => lang.t("web.field.name-ja").to_owned(),
        Part::Summary => lang.t("web.field.summary-ja").to_owned(),
        Part::Members => lang.t("web.app.consortium").to_owned(),
        Part::Contact => lang.t("web.app.contact").to_owned(),
        Part::App(k) => k.label(lang == Lang::En).to_owned(),
    }
}

/// The other person's version with this user's changes on top: for each
/// part of the form, `yours` where it differs from `base`, else `theirs`.
/// Also returns the labels of the parts both changed (differently).
pub fn merge(
    base: &Project,
    theirs: &Project,
    yours: &Project,
    lang: Lang,
) -> (Project, Vec<String>, Vec<&'static str>) {
    let mut merged = theirs.clone();
    let mut both = Vec::new();
    let mut both_keys = Vec::new();
    for part in parts() {
        if !same(yours, base, &part) {
            take(&mut merged, yours, &part);
            if !same(theirs, base, &part) && !same(theirs, yours, &part) {
                both.push(part_label(&part, lang));
                if let Part::App(k) = part {
                    both_keys.push(k.key());
                }
            }
        }
    }
    (merged, both, both_keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kurume() -> Project {
        Project::from_toml_str(include_str!("../../../../../examples/kurume-flood-ai.toml"))
            .expect("example")
    }

    fn submitted_from(p: &Project) -> Vec<(String, String)> {
        let f = EditForm::from_project(p, 1, Lang::Ja);
        let mut v = vec![
            ("base_version".to_owned(), "1".to_owned()),
            ("name.ja".to_owned(), f.name_ja.clone()),
            ("name.en".to_owned(), f.name_en.clone()),
            ("summary.ja".to_owned(), f.summary_ja.clone()),
            ("summary.en".to_owned(), f.summary_en.clone()),
            ("contact.name".to_owned(), f.contact_name.clone()),
            ("contact.tel".to_owned(), f.contact_tel.clone()),
            ("contact.email".to_owned(), f.contact_email.clone()),
        ];
        for r in &f.fields {
            v.push((format!("app.{}.ja", r.key), r.ja.clone()));
            v.push((format!("app.{}.en", r.key), r.en.clone()));
        }
        for (i, m) in f.members.iter().enumerate() {
            let sel = |o: &[Opt]| {
                o.iter()
                    .find(|o| o.selected)
                    .map(|o| o.value.clone())
                    .unwrap_or_default()
            };
            v.push((format!("m.{i}.id"), m.id.clone()));
            v.push((format!("m.{i}.name_ja"), m.name_ja.clone()));
            v.push((format!("m.{i}.name_en"), m.name_en.clone()));
            v.push((format!("m.{i}.kind"), sel(&m.kinds)));
            v.push((format!("m.{i}.role"), sel(&m.roles)));
        }
        v
    }

    #[test]
    fn an_unchanged_form_gives_back_the_document() {
        let p = kurume();
        let f = Submitted::new(submitted_from(&p), &p);
        assert_eq!(apply(&p, &f).expect("valid"), p);
    }

    #[test]
    fn edits_fields_and_adds_a_member() {
        let p = kurume();
        let mut pairs = submitted_from(&p);
        for (k, v) in &mut pairs {
            if k == "app.key_concept.ja" {
                *v = "水位を3時間先まで予測する".into();
            }
        }
        let n = p.members.len();
        pairs.retain(|(k, _)| !k.starts_with(&format!("m.{n}.")));
        pairs.extend([
            (format!("m.{n}.id"), "bank".to_owned()),
            (format!("m.{n}.name_ja"), "地元銀行".to_owned()),
            (format!("m.{n}.name_en"), String::new()),
            (format!("m.{n}.kind"), "financial-institution".to_owned()),
            (format!("m.{n}.role"), "member".to_owned()),
        ]);
        let q = apply(&p, &Submitted::new(pairs, &p)).expect("valid");
        assert_eq!(
            q.application.key_concept.as_ref().map(|t| t.ja.as_str()),
            Some("水位を3時間先まで予測する")
        );
        assert_eq!(q.members.len(), n + 1);
        assert_eq!(q.members[n].kind, MemberKind::FinancialInstitution);
    }

    #[test]
    fn invalid_edits_are_reported_by_field() {
        let p = kurume();
        let mut pairs = submitted_from(&p);
        for (k, v) in &mut pairs {
            if k == "m.1.role" {
                *v = "representative".into(); // a second ◎
            }
        }
        let errs = apply(&p, &Submitted::new(pairs, &p)).expect_err("two representatives");
        assert!(
            errs.0.iter().any(|e| e.code == "representative-count"),
            "{errs}"
        );
    }

    #[test]
    fn merge_keeps_theirs_and_lays_yours_on_top() {
        let base = kurume();
        let mut theirs = base.clone();
        theirs.application.vision = Some(Text {
            ja: "彼らのビジョン".into(),
            en: None,
        });
        theirs.application.story = Some(Text {
            ja: "彼らのストーリー".into(),
            en: None,
        });
        let mut yours = base.clone();
        yours.application.vision = Some(Text {
            ja: "私のビジョン".into(),
            en: None,
        });
        let (merged, both, keys) = merge(&base, &theirs, &yours, Lang::Ja);
        assert_eq!(merged.application.vision, yours.application.vision);
        assert_eq!(merged.application.story, theirs.application.story);
        assert_eq!(keys, vec!["vision"]);
        assert_eq!(both.len(), 1);
    }
}
