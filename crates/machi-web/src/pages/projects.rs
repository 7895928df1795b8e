//! Project pages: create (form or file), show (document, evaluation,
//! charts, application), edit with conflict handling, consortium
//! organisations, download.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use machi_domain::project::{AppField, MemberRole};
use machi_domain::{Project, ProjectErrors};
use machi_i18n::Lang;
use machi_store::{OrgId, OrgKind, ProjectKey};
use serde::Deserialize;
use serde_json::json;

use super::edit::{self, EditForm, Submitted};
use super::{Names, Opt, kebab, page, page_with, see_other};
use crate::AppState;
use crate::context::{Ctx, org_name};
use crate::diff;
use crate::error::{AppError, AppResult};
use crate::permissions::Action;
use crate::service;
use crate::view::{self, EvalView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/new", get(new_form))
        .route("/projects", post(create_from_form))
        .route("/projects/upload", post(create_from_file))
        .route("/projects/{id}", get(show))
        .route("/projects/{id}/download.toml", get(download))
        .route("/projects/{id}/edit", get(edit_form).post(save))
        .route("/projects/{id}/organisations", post(set_organisations))
}

#[derive(Debug, Default, Deserialize)]
struct NewForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name_ja: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
    #[serde(default)]
    discount_rate: String,
}

#[derive(Template)]
#[template(path = "project_new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    form: NewForm,
    categories: Vec<Opt>,
    sites: Vec<Opt>,
    problems: Vec<String>,
    problems_title: String,
}

fn new_page(ctx: &Ctx, form: NewForm, problems: Vec<String>) -> NewPage<'_> {
    let lang = ctx.lang;
    let cat = if form.category.is_empty() {
        "problem-solving"
    } else {
        form.category.as_str()
    };
    let site = if form.site.is_empty() {
        "brownfield"
    } else {
        form.site.as_str()
    };
    let categories = ["problem-solving", "function-improvement", "demand-creation"]
        .iter()
        .map(|c| Opt::new(*c, lang.t(&format!("web.category.{c}")), *c == cat))
        .collect();
    let sites = ["brownfield", "greenfield"]
        .iter()
        .map(|s| Opt::new(*s, lang.t(&format!("web.site.{s}")), *s == site))
        .collect();
    let problems_title = lang.tf("web.error.invalid-project", &[("count", &problems.len())]);
    NewPage {
        ctx,
        form,
        categories,
        sites,
        problems,
        problems_title,
    }
}

async fn new_form(ctx: Ctx) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    if !crate::permissions::can(
        me,
        Action::CreateProject,
        crate::permissions::ProjectAccess::Outsider,
    ) {
        return Err(AppError::Forbidden);
    }
    let form = NewForm {
        discount_rate: "4%".into(),
        ..NewForm::default()
    };
    page(&new_page(&ctx, form, Vec::new()))
}

/// The consortium member a new project starts with: the creator's own
/// organisation as ◎ representative.
fn member_kind_of(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Municipality => "municipality",
        OrgKind::Company => "company",
        OrgKind::University => "university",
        OrgKind::Association => "association",
        OrgKind::Investor => "financial-institution",
        OrgKind::Secretariat => "other",
    }
}

/// Labels of the small form's fields by document path.
fn form_label(path: &str) -> Option<&'static str> {
    Some(match path {
        "project.id" => "web.field.project-id",
        "project.name.ja" | "project.name" => "web.field.name-ja",
        "project.municipality.name.ja" => "web.field.municipality",
        "project.municipality.code" => "web.field.municipality-code",
        "project.category" => "web.field.category",
        "project.site" => "web.field.site",
        "horizon.first" => "web.field.first-year",
        "horizon.last" => "web.field.last-year",
        "finance.discount_rate" => "web.field.discount-rate",
        _ => return None,
    })
}

/// Problems of the small form, by its field labels (a line number in the
/// JSON built from the form would mean nothing to the user).
fn form_problems(errs: &ProjectErrors, lang: Lang) -> Vec<String> {
    errs.0
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.line = None;
            e.column = None;
            match form_label(&e.path) {
                Some(key) => {
                    let args: Vec<(&str, &dyn std::fmt::Display)> = e
                        .args
                        .iter()
                        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
                        .collect();
                    format!(
                        "{}: {}",
                        lang.t(key),
                        lang.tf(&format!("project.error.{}", e.code), &args)
                    )
                }
                None => machi_report::project_error(lang, &e),
            }
        })
        .collect()
}

async fn create_from_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewForm>,
) -> AppResult<Response> {
    let su = ctx.user()?;
    let me = &su.user;
    let (org_ja, org_en, kind) = su.org.as_ref().map_or(("—", "", OrgKind::Company), |o| {
        (o.name_ja.as_str(), o.name_en.as_str(), o.kind)
    });
    let year = |s: &str| -> serde_json::Value {
        let s = s.trim();
        s.parse::<i64>().map_or_else(|_| s.into(), Into::into)
    };
    let mut name = json!({ "ja": f.name_ja.trim() });
    if !f.name_en.trim().is_empty() {
        name["en"] = f.name_en.trim().into();
    }
    let mut member_name = json!({ "ja": org_ja });
    if !org_en.is_empty() {
        member_name["en"] = org_en.into();
    }
    let doc = json!({
        "schema_version": 1,
        "project": {
            "id": f.id.trim(),
            "name": name,
            "municipality": { "name": { "ja": f.municipality.trim() }, "code": f.code.trim() },
            "category": f.category,
            "site": f.site,
        },
        "horizon": { "first": year(&f.first), "last": year(&f.last) },
        "finance": { "discount_rate": f.discount_rate.trim() },
        "members": [{
            "id": "lead",
            "name": member_name,
            "kind": member_kind_of(kind),
            "role": "representative",
        }],
    });
    let parsed = Project::from_json_str(&doc.to_string());
    let project = match parsed {
        Ok(p) => p,
        Err(errs) => {
            let problems = form_problems(&errs, ctx.lang);
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_page(&ctx, f, problems),
            );
        }
    };
    let note = ctx.t("web.note.created-form");
    match service::create(&state, me, &project, note).await {
        Ok(meta) => Ok(see_other(&format!("/projects/{}", meta.project))),
        Err(AppError::Duplicate { what }) => {
            let msg = ctx.t(&format!("web.error.duplicate-{what}")).to_owned();
            page_with(StatusCode::CONFLICT, &new_page(&ctx, f, vec![msg]))
        }
        Err(e) => Err(e),
    }
}

async fn create_from_file(
    State(state): State<AppState>,
    ctx: Ctx,
    mut mp: Multipart,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::InvalidRequest {
            detail: e.to_string(),
        })?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("project.toml").to_owned();
            let bytes = field.bytes().await.map_err(|e| AppError::InvalidRequest {
                detail: e.to_string(),
            })?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((name, bytes)) = file else {
        return Err(AppError::InvalidField {
            field: "file".into(),
        });
    };
    let fail = |problems: Vec<String>, status: StatusCode| {
        page_with(
            status,
            &new_page(
                &ctx,
                NewForm {
                    discount_rate: "4%".into(),
                    ..NewForm::default()
                },
                problems,
            ),
        )
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return fail(
            vec![ctx.t("web.error.not-utf8").to_owned()],
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let text = text.trim_start_matches('\u{feff}');
    let project = match service::parse_project(text, Some(&name)) {
        Ok(p) => p,
        Err(e) => {
            let mut problems = vec![ctx.tf1("web.new.file-problems", "file", &name)];
            problems.extend(e.problems(ctx.lang));
            return fail(problems, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let note = ctx.tf1("web.note.uploaded", "file", &name);
    match service::create(&state, me, &project, &note).await {
        Ok(meta) => Ok(see_other(&format!("/projects/{}", meta.project))),
        Err(AppError::Duplicate { what }) => fail(
            vec![ctx.t(&format!("web.error.duplicate-{what}")).to_owned()],
            StatusCode::CONFLICT,
        ),
        Err(e) => Err(e),
    }
}

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

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    let lang = ctx.lang;
    let en = ctx.en();
    let doc = &stored.document;
    let names = Names::load(&state, lang).await?;
    let eval = service::evaluate(doc)
        .map(|e| view::eval_view(doc, &e, lang))
        .map_err(|e| {
            let mut m = e.message(lang);
            for p in e.problems(lang) {
                m.push_str(" / ");
                m.push_str(&p);
            }
            m
        });
    let p = &doc.project;
    let latest = allowed.summary.version;
    let version = stored.meta.version;
    let members = doc
        .members
        .iter()
        .map(|m| MemberView {
            mark: role_mark(m.role),
            name: view::text(&m.name, lang).to_owned(),
            kind: lang.t(&format!("web.member-kind.{}", kebab(&m.kind))),
        })
        .collect();
    let fields = doc
        .application
        .fields()
        .into_iter()
        .map(|(k, t)| FieldView {
            label: AppField::from_key(k).map_or(k, |f| f.label(en)),
            value: t
                .map(|t| view::text(t, lang).to_owned())
                .unwrap_or_default(),
        })
        .collect();
    let contact = doc.application.contact.as_ref().map(|c| {
        [Some(c.name.clone()), c.tel.clone(), c.email.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    });
    let orgs = names
        .orgs()
        .iter()
        .map(|o| OrgView {
            id: o.id.0,
            name: org_name(o, lang).to_owned(),
            kind: lang.t(&format!("web.org-kind.{}", o.kind.as_str())),
            member: allowed.orgs.contains(&o.id),
            owner: o.id == allowed.summary.owner,
        })
        .collect();
    let version_line = lang.tf(
        "web.project.version-line",
        &[
            ("version", &version),
            ("when", &view::when(stored.meta.created_at)),
            ("author", &names.user(stored.meta.author)),
            ("note", &stored.meta.note),
        ],
    );
    page(&ProjectPage {
        ctx: &ctx,
        id,
        name: view::text(&p.name, lang).to_owned(),
        municipality: format!(
            "{} ({})",
            view::text(&p.municipality.name, lang),
            p.municipality.code
        ),
        area: p.area.as_ref().map(|a| a.get(en).to_owned()),
        category: lang.t(&format!("web.category.{}", kebab(&p.category))),
        horizon: format!(
            "{}–{} ({})",
            view::fy(lang, doc.horizon.first),
            view::fy(lang, doc.horizon.last),
            lang.tf("report.n_years", &[("n", &doc.horizon.len())])
        ),
        version,
        latest,
        is_latest: version == latest,
        can_edit: allowed.may(me, Action::EditProject),
        version_line,
        old_version_banner: lang.tf(
            "web.project.old-version",
            &[("version", &version), ("latest", &latest)],
        ),
        restore_confirm: lang.tf("web.versions.confirm-restore", &[("version", &version)]),
        summary: p.summary.as_ref().map(|s| s.get(en).to_owned()),
        eval,
        programs: crate::programs_view::program_views(doc, lang),
        members,
        fields,
        contact,
        orgs,
    })
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    let text =
        toml::to_string(&stored.document).map_err(|e| AppError::Internal(format!("toml: {e}")))?;
    let file = format!("{}-v{}.toml", allowed.summary.slug, stored.meta.version);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "project_edit.html")]
struct EditPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    based_on: String,
    form: EditForm,
    problems: Vec<String>,
    problems_title: String,
    save_label: &'static str,
}

fn edit_page<'a>(
    ctx: &'a Ctx,
    id: i64,
    name: String,
    form: EditForm,
    problems: Vec<String>,
) -> EditPage<'a> {
    EditPage {
        based_on: ctx.tf1("web.edit.based-on", "version", &form.base_version),
        problems_title: ctx.tf1("web.error.invalid-project", "count", &problems.len()),
        ctx,
        id,
        name,
        form,
        problems,
        save_label: ctx.t("web.edit.save"),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let stored = service::version(&state, key, None).await?;
    let form = EditForm::from_project(&stored.document, stored.meta.version, ctx.lang);
    let name = view::text(&stored.document.project.name, ctx.lang).to_owned();
    page(&edit_page(&ctx, id, name, form, Vec::new()))
}

#[derive(Template)]
#[template(path = "conflict.html")]
struct ConflictPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    message: String,
    theirs_label: String,
    changes: Vec<diff::Change>,
    both_changed: String,
    form: EditForm,
    save_label: &'static str,
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let lang = ctx.lang;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let base_version: i64 = pairs
        .iter()
        .find(|(k, _)| k == "base_version")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(AppError::InvalidField {
            field: "base_version".into(),
        })?;
    let base = service::version(&state, key, Some(base_version)).await?;
    let submitted = Submitted::new(pairs, &base.document);
    let name = view::text(&base.document.project.name, lang).to_owned();
    let invalid = |errs: ProjectErrors| {
        let problems = errs
            .0
            .iter()
            .map(|e| machi_report::project_error(lang, e))
            .collect();
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_page(
                &ctx,
                id,
                name.clone(),
                EditForm::from_submitted(&submitted, lang),
                problems,
            ),
        )
    };
    let yours = match edit::apply(&base.document, &submitted) {
        Ok(p) => p,
        Err(errs) => return invalid(errs),
    };
    let note = match submitted.get("note").trim() {
        "" => ctx.t("web.note.edited").to_owned(),
        n => n.to_owned(),
    };
    match service::save(&state, me, key, base_version, &yours, &note).await {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{}?version={}",
            id, meta.version
        ))),
        Err(AppError::Conflict { .. }) => {
            let theirs = service::version(&state, key, None).await?;
            let names = Names::load(&state, lang).await?;
            let (merged, both, both_keys) =
                edit::merge(&base.document, &theirs.document, &yours, lang);
            let mut form = EditForm::from_project(&merged, theirs.meta.version, lang);
            form.note = submitted.get("note").to_owned();
            for f in &mut form.fields {
                f.conflict = both_keys.contains(&f.key);
            }
            // Side by side: every field this user changed, with the other
            // person's value beside it.
            let changes = diff::conflict_changes(&base.document, &theirs.document, &yours, lang);
            let (message, theirs_label) =
                super::conflict_header(lang, &names, base_version, &theirs.meta);
            let t = ConflictPage {
                ctx: &ctx,
                id,
                message,
                theirs_label,
                changes,
                both_changed: both.join("、"),
                form,
                save_label: ctx.t("web.conflict.save-merged"),
            };
            page_with(StatusCode::CONFLICT, &t)
        }
        Err(AppError::InvalidProject(errs)) => invalid(errs),
        Err(e) => Err(e),
    }
}

async fn set_organisations(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let mut orgs = Vec::new();
    for (k, v) in &pairs {
        if k == "org" {
            let n: i64 = v.parse().map_err(|_| AppError::InvalidField {
                field: "organisations".into(),
            })?;
            orgs.push(OrgId(n));
        }
    }
    service::set_organisations(&state, me, ProjectKey(id), orgs).await?;
    Ok(see_other(&format!("/projects/{id}#organisations")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_round_trip_through_the_toml_download() {
        for text in [
            include_str!("../../../../examples/kurume-flood-ai.toml"),
            include_str!("../../../../examples/hino-mimamori.toml"),
            include_str!("../../../../examples/kashiwanoha-area-services.toml"),
            include_str!("../../../../examples/sano-urban-os.toml"),
        ] {
            let p = Project::from_toml_str(text).expect("example");
            let out = toml::to_string(&p).expect("toml");
            assert_eq!(Project::from_toml_str(&out).expect("reread"), p);
        }
    }
}
