//! A project's page (document, evaluation, charts, application, programs)
//! and its project file.

use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use machi_domain::Project;
use machi_domain::project::{AppField, MemberRole};
use machi_i18n::Lang;
use machi_store::StoredVersion;
use serde::Deserialize;

use crate::ctx::{Ctx, org_name};
use crate::error::AppResult;
use crate::extract::{ProjectAt, View};
use crate::pages::common::{Names, kebab, page};
use crate::permissions::Action;
use crate::service::projects::{self as service, Allowed};
use crate::view::{self, EvalView};

#[derive(Deserialize)]
pub struct VersionQuery {
    pub version: Option<i64>,
}

struct MemberView {
    mark: &'static str,
    name: String,
    kind: &'static str,
}

struct FieldView {
    label: &'static str,
    value: String,
}

struct OrgView {
    id: i64,
    name: String,
    kind: &'static str,
    member: bool,
    owner: bool,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    municipality: String,
    area: Option<String>,
    category: &'static str,
    horizon: String,
    version: i64,
    latest: i64,
    is_latest: bool,
    can_edit: bool,
    version_line: String,
    old_version_banner: String,
    restore_confirm: String,
    summary: Option<String>,
    eval: Result<EvalView, String>,
    members: Vec<MemberView>,
    fields: Vec<FieldView>,
    contact: Option<String>,
    orgs: Vec<OrgView>,
    programs: Vec<crate::programs_view::ProgramView>,
}

/// The ◎/○ mark of a member role (MLIT form, 事業実施体制).
pub fn role_mark(role: MemberRole) -> &'static str {
    match role {
        MemberRole::Representative => "◎",
        MemberRole::Key => "○",
        MemberRole::Member => "・",
    }
}

pub async fn show(p: ProjectAt<View>, Query(q): Query<VersionQuery>) -> AppResult<Response> {
    let stored = p.version(q.version).await?;
    let names = Names::load(&p.state, p.lang()).await?;
    page(&ProjectPage::new(&p, &stored, &names))
}

fn member_views(doc: &Project, lang: Lang) -> Vec<MemberView> {
    doc.members
        .iter()
        .map(|m| MemberView {
            mark: role_mark(m.role),
            name: view::text(&m.name, lang).to_owned(),
            kind: lang.t(&format!("web.member-kind.{}", kebab(&m.kind))),
        })
        .collect()
}

fn field_views(doc: &Project, lang: Lang) -> Vec<FieldView> {
    let en = lang == Lang::En;
    doc.application
        .fields()
        .into_iter()
        .map(|(k, t)| FieldView {
            label: AppField::from_key(k).map_or(k, |f| f.label(en)),
            value: t
                .map(|t| view::text(t, lang).to_owned())
                .unwrap_or_default(),
        })
        .collect()
}

fn org_views(allowed: &Allowed, names: &Names, lang: Lang) -> Vec<OrgView> {
    names
        .orgs()
        .iter()
        .map(|o| OrgView {
            id: o.id.0,
            name: org_name(o, lang).to_owned(),
            kind: lang.t(&format!("web.org-kind.{}", o.kind.as_str())),
            member: allowed.orgs.contains(&o.id),
            owner: o.id == allowed.summary.owner,
        })
        .collect()
}

impl<'a> ProjectPage<'a> {
    /// The page of version `stored` of the project `p` shows.
    fn new(p: &'a ProjectAt<View>, stored: &StoredVersion, names: &Names) -> ProjectPage<'a> {
        let (lang, en) = (p.lang(), p.ctx.en());
        let doc = &stored.document;
        let eval = service::evaluate(doc)
            .map(|e| view::eval_view(doc, &e, lang))
            .map_err(|e| {
                let mut m = e.message(lang);
                for problem in e.problems(lang) {
                    m.push_str(" / ");
                    m.push_str(&problem);
                }
                m
            });
        let project = &doc.project;
        let latest = p.allowed.summary.version;
        let version = stored.meta.version;
        let contact = doc.application.contact.as_ref().map(|c| {
            [Some(c.name.clone()), c.tel.clone(), c.email.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        });
        let version_line = lang.tf(
            "web.project.version-line",
            &[
                ("version", &version),
                ("when", &view::when(stored.meta.created_at)),
                ("author", &names.user(stored.meta.author)),
                ("note", &stored.meta.note),
            ],
        );
        ProjectPage {
            ctx: &p.ctx,
            id: p.id(),
            name: view::text(&project.name, lang).to_owned(),
            municipality: format!(
                "{} ({})",
                view::text(&project.municipality.name, lang),
                project.municipality.code
            ),
            area: project.area.as_ref().map(|a| a.get(en).to_owned()),
            category: lang.t(&format!("web.category.{}", kebab(&project.category))),
            horizon: format!(
                "{}–{} ({})",
                view::fy(lang, doc.horizon.first),
                view::fy(lang, doc.horizon.last),
                lang.tf("report.n_years", &[("n", &doc.horizon.len())])
            ),
            version,
            latest,
            is_latest: version == latest,
            can_edit: p.may(Action::EditProject),
            version_line,
            old_version_banner: lang.tf(
                "web.project.old-version",
                &[("version", &version), ("latest", &latest)],
            ),
            restore_confirm: lang.tf("web.versions.confirm-restore", &[("version", &version)]),
            summary: project.summary.as_ref().map(|s| s.get(en).to_owned()),
            eval,
            programs: crate::programs_view::program_views(doc, lang),
            members: member_views(doc, lang),
            fields: field_views(doc, lang),
            contact,
            orgs: org_views(&p.allowed, names, lang),
        }
    }
}

pub async fn download(p: ProjectAt<View>, Query(q): Query<VersionQuery>) -> AppResult<Response> {
    let stored = p.version(q.version).await?;
    Ok(service::project_file(&p.allowed, &stored)?.into_response())
}

#[cfg(test)]
mod tests {
    use machi_domain::Project;

    #[test]
    fn examples_round_trip_through_the_toml_download() {
        for text in [
            include_str!("../../../../../examples/kurume-flood-ai.toml"),
            include_str!("../../../../../examples/hino-mimamori.toml"),
            include_str!("../../../../../examples/kashiwanoha-area-services.toml"),
            include_str!("../../../../../examples/sano-urban-os.toml"),
        ] {
            let p = Project::from_toml_str(text).expect("example");
            let out = toml::to_string(&p).expect("toml");
            assert_eq!(Project::from_toml_str(&out).expect("reread"), p);
        }
    }
}
