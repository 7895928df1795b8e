//! The per-fiscal-year model editor: line items and funding sources as a
//! table, one input per fiscal year, recalculated as the user types.
//!
//! The page posts the whole form (debounced by htmx) to
//! `POST /projects/{id}/model/preview`, which applies it to the version it
//! was based on, evaluates the result **without saving** and answers with
//! the results fragment (cliff, headline metrics, charts, statement) plus
//! out-of-band updates of the row totals and the status bar. Saving posts
//! the same form to `POST /projects/{id}/model`, which goes through
//! [`service::save`] with the base version, so a stale save gets the 409
//! page (both versions side by side and a merged form) and never overwrites.
//!
//! The rules of the form (pure, tested below):
//! - a cell accepts what [`Yen`] reads (`1,200,000`, `120万円`); blank is 0;
//! - a line with a generator shows the generated amounts; a year whose
//!   value differs from what the base version gives becomes an explicit
//!   amount, which overrides the generator (the domain's rule); untouched
//!   years stay generated — so what is saved always evaluates to what the
//!   table shows;
//! - loans and bonds are edited through their terms, not per year;
//! - names are edited in the page's language; the other language, payer,
//!   beneficiary, note, program and donor are kept from the base version by
//!   the row's original id (so renaming an id keeps them too);
//! - a new row without an id gets `<kind>-<n>`.

mod apply;
mod grid;
mod results;
#[cfg(test)]
mod tests;

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use machi_domain::Project;
use machi_i18n::Lang;
use machi_store::StoredVersion;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::diff;
use crate::error::{AppError, AppResult};
use crate::extract::{Edit, ProjectAt};
use crate::http::see_other;
use crate::pages::common::{Names, conflict_header, page, page_with};
use crate::service::projects as service;
use crate::view::{self};

use apply::{Applied, Problem, Submitted, apply, merge};
use grid::ModelForm;
use results::{Results, entry_name};

/// The other person's save, shown above the merged form.
pub struct ConflictView {
    pub message: String,
    pub theirs_label: String,
    pub changes: Vec<diff::Change>,
    pub both_changed: String,
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    based_on: String,
    saved: Option<String>,
    conflict: Option<ConflictView>,
    form: ModelForm,
    results: Results,
    /// The status bar is part of the page (not an out-of-band swap).
    oob: bool,
}

#[derive(Template)]
#[template(path = "model_preview.html")]
struct PreviewFragment<'a> {
    ctx: &'a Ctx,
    results: Results,
    oob: bool,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<i64>,
}

pub async fn show(p: ProjectAt<Edit>, Query(q): Query<ShowQuery>) -> AppResult<Response> {
    let (ctx, lang) = (&p.ctx, p.lang());
    let stored = p.version(None).await?;
    let doc = &stored.document;
    let applied = Applied::unchanged(doc);
    page(&ModelPage {
        id: p.id(),
        name: view::text(&doc.project.name, lang).to_owned(),
        based_on: ctx.tf1("web.edit.based-on", "version", &stored.meta.version),
        saved: q.saved.map(|v| ctx.tf1("web.model.saved", "version", &v)),
        conflict: None,
        results: Results::of(&applied, lang).saved(stored.meta.version, lang),
        form: ModelForm::from_project(doc, stored.meta.version, lang),
        oob: false,
        ctx,
    })
}

/// The base version a form names.
fn base_version(f: &Submitted) -> AppResult<i64> {
    f.get("base_version")
        .parse()
        .map_err(|_| AppError::InvalidField {
            field: "base_version".into(),
        })
}

pub async fn preview(
    p: ProjectAt<Edit>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = Submitted::new(pairs);
    let base = p.version(Some(base_version(&f)?)).await?;
    let applied = apply(&base.document, &f, p.lang());
    page(&PreviewFragment {
        results: Results::from(&applied, p.lang()),
        oob: true,
        ctx: &p.ctx,
    })
}

pub async fn submit(
    p: ProjectAt<Edit>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (ctx, lang) = (&p.ctx, p.lang());
    let f = Submitted::new(pairs);
    let base_v = base_version(&f)?;
    let base = p.version(Some(base_v)).await?;
    let doc = &base.document;
    let applied = match (f.get("op"), apply(doc, &f, lang)) {
        ("save", Ok(applied)) => applied,
        (op, applied) => return again(&p, doc, &f, &applied, op),
    };
    let note = match f.get("note").trim() {
        "" => ctx.t("web.note.model-edited").to_owned(),
        n => n.to_owned(),
    };
    match service::save(
        &p.state,
        p.user(),
        &p.allowed,
        base_v,
        &applied.project,
        &note,
    )
    .await
    {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{}/model?saved={}",
            p.id(),
            meta.version
        ))),
        Err(AppError::Conflict { .. }) => {
            conflict(&p, &base, &applied.project, f.get("note")).await
        }
        Err(e) => Err(e),
    }
}

/// The form again, nothing saved: after "add a row" or "recalculate" (200),
/// or a save whose grid has problems (422, each named by row and year).
fn again(
    p: &ProjectAt<Edit>,
    doc: &Project,
    f: &Submitted,
    applied: &Result<Applied, Vec<Problem>>,
    op: &str,
) -> AppResult<Response> {
    let lang = p.lang();
    let problems = applied.as_ref().err().cloned().unwrap_or_default();
    if op == "save" {
        let form = ModelForm::from_submitted(f, doc, lang, &problems, None);
        let results = Results::failed(&problems, lang);
        return render(
            p,
            doc,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            results,
            None,
        );
    }
    let form = ModelForm::from_submitted(f, doc, lang, &problems, op.strip_prefix("add-"));
    render(
        p,
        doc,
        StatusCode::OK,
        form,
        Results::from(applied, lang),
        None,
    )
}

/// The editor page with `form` and `results`.
fn render(
    p: &ProjectAt<Edit>,
    doc: &Project,
    status: StatusCode,
    form: ModelForm,
    results: Results,
    conflict: Option<ConflictView>,
) -> AppResult<Response> {
    let t = ModelPage {
        id: p.id(),
        name: view::text(&doc.project.name, p.lang()).to_owned(),
        based_on: p
            .ctx
            .tf1("web.edit.based-on", "version", &form.base_version),
        saved: None,
        conflict,
        form,
        results,
        oob: false,
        ctx: &p.ctx,
    };
    page_with(status, &t)
}

/// The 409 page: the other person's version with this user's rows on top,
/// what each changed, and the results of the merge.
async fn conflict(
    p: &ProjectAt<Edit>,
    base: &StoredVersion,
    yours: &Project,
    note: &str,
) -> AppResult<Response> {
    let lang = p.lang();
    let doc = &base.document;
    let theirs = p.version(None).await?;
    let names = Names::load(&p.state, lang).await?;
    let (merged, both) = merge(doc, &theirs.document, yours);
    let changes = diff::conflict_changes(doc, &theirs.document, yours, lang);
    let (message, theirs_label) = conflict_header(lang, &names, base.meta.version, &theirs.meta);
    let conflict = ConflictView {
        message,
        theirs_label,
        changes,
        // Entries both people changed, by name (ids mean little to a reader).
        both_changed: both
            .iter()
            .map(|id| entry_name(&merged, id, lang))
            .collect::<Vec<_>>()
            .join(if lang == Lang::En { ", " } else { "、" }),
    };
    let mut form = ModelForm::from_project(&merged, theirs.meta.version, lang);
    form.note = note.to_owned();
    let results = Results::of_merged(&merged, lang);
    render(p, doc, StatusCode::CONFLICT, form, results, Some(conflict))
}
