//! The application form of a project (name, summary, consortium, the MLIT
//! narrative fields) with its conflict page, and the consortium's
//! organisations.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;
use machi_domain::{Project, ProjectErrors};
use machi_store::{OrgId, StoredVersion};

use super::form::{self, EditForm, Submitted};
use crate::ctx::Ctx;
use crate::diff;
use crate::error::{AppError, AppResult};
use crate::extract::{Edit, ProjectAt};
use crate::http::see_other;
use crate::pages::common::{Names, conflict_header, page, page_with};
use crate::service::projects as service;
use crate::view;

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

pub async fn form(p: ProjectAt<Edit>) -> AppResult<Response> {
    let stored = p.version(None).await?;
    let form = EditForm::from_project(&stored.document, stored.meta.version, p.lang());
    let name = view::text(&stored.document.project.name, p.lang()).to_owned();
    page(&edit_page(&p.ctx, p.id(), name, form, Vec::new()))
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

pub async fn save(
    p: ProjectAt<Edit>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (ctx, lang, id) = (&p.ctx, p.lang(), p.id());
    let base_version = form::base_version(&pairs)?;
    let base = p.version(Some(base_version)).await?;
    let submitted = Submitted::new(pairs, &base.document);
    let name = view::text(&base.document.project.name, lang).to_owned();
    let invalid = |errs: ProjectErrors| {
        let problems = errs.0.iter().map(|e| diff::form_problem(lang, e));
        let form = EditForm::from_submitted(&submitted, lang);
        let t = edit_page(ctx, id, name.clone(), form, problems.collect());
        page_with(StatusCode::UNPROCESSABLE_ENTITY, &t)
    };
    let yours = match form::apply(&base.document, &submitted) {
        Ok(y) => y,
        Err(errs) => return invalid(errs),
    };
    let note = match submitted.get("note").trim() {
        "" => ctx.t("web.note.edited").to_owned(),
        n => n.to_owned(),
    };
    match service::save(&p.state, p.user(), &p.allowed, base_version, &yours, &note).await {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{id}?version={}",
            meta.version
        ))),
        Err(AppError::Conflict { .. }) => conflict(&p, &base, &yours, submitted.get("note")).await,
        Err(AppError::InvalidProject(errs)) => invalid(errs),
        Err(e) => Err(e),
    }
}

/// The 409 page: the other person's version with this user's changes on
/// top, and every field this user changed beside the other person's value.
async fn conflict(
    p: &ProjectAt<Edit>,
    base: &StoredVersion,
    yours: &Project,
    note: &str,
) -> AppResult<Response> {
    let lang = p.lang();
    let theirs = p.version(None).await?;
    let names = Names::load(&p.state, lang).await?;
    let (merged, both, both_keys) = form::merge(&base.document, &theirs.document, yours, lang);
    let mut form = EditForm::from_project(&merged, theirs.meta.version, lang);
    form.note = note.to_owned();
    for f in &mut form.fields {
        f.conflict = both_keys.contains(&f.key);
    }
    let changes = diff::conflict_changes(&base.document, &theirs.document, yours, lang);
    let (message, theirs_label) = conflict_header(lang, &names, base.meta.version, &theirs.meta);
    let t = ConflictPage {
        ctx: &p.ctx,
        id: p.id(),
        message,
        theirs_label,
        changes,
        both_changed: both.join("、"),
        form,
        save_label: p.ctx.t("web.conflict.save-merged"),
    };
    page_with(StatusCode::CONFLICT, &t)
}

pub async fn set_organisations(
    p: ProjectAt<Edit>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut orgs = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "org") {
        let n: i64 = v.parse().map_err(|_| AppError::InvalidField {
            field: "organisations".into(),
        })?;
        orgs.push(OrgId(n));
    }
    service::set_organisations(&p.state, p.user(), &p.allowed, orgs).await?;
    Ok(see_other(&format!("/projects/{}#organisations", p.id())))
}
