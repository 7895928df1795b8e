//! Versions of a project: the list, the comparison of two (what changed in
//! the document, how the headline metrics moved) and restoring one (a new
//! version whose note says so; nothing is ever overwritten).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::diff::{self, Change};
use crate::error::AppResult;
use crate::extract::{Edit, ProjectAt, View};
use crate::http::see_other;
use crate::pages::common::{Names, page};
use crate::permissions::Action;
use crate::service::projects as service;
use crate::view::{self, Moved};

struct VersionRow {
    version: i64,
    when: String,
    author: String,
    note: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "versions.html")]
struct VersionsPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    versions: Vec<VersionRow>,
    latest: i64,
    default_a: i64,
    default_b: i64,
    can_edit: bool,
}

pub async fn list(p: ProjectAt<View>) -> AppResult<Response> {
    let (ctx, allowed) = (&p.ctx, &p.allowed);
    let names = Names::load(&p.state, ctx.lang).await?;
    let versions = p.state.store().versions(p.key()).await?;
    let latest = allowed.summary.version;
    let rows = versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            when: view::when(v.created_at),
            author: names.user(v.author),
            note: v.note.clone(),
            confirm: ctx.tf1("web.versions.confirm-restore", "version", &v.version),
        })
        .collect();
    let name = if ctx.en() && !allowed.summary.name_en.is_empty() {
        allowed.summary.name_en.clone()
    } else {
        allowed.summary.name_ja.clone()
    };
    page(&VersionsPage {
        ctx,
        id: p.id(),
        name,
        versions: rows,
        latest,
        default_a: (latest - 1).max(1),
        default_b: latest,
        can_edit: p.may(Action::EditProject),
    })
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: i64,
    b: i64,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    heading: String,
    a: i64,
    b: i64,
    metrics: Vec<Moved>,
    changes: Vec<Change>,
}

pub async fn compare(p: ProjectAt<View>, Query(q): Query<CompareQuery>) -> AppResult<Response> {
    let (va, vb) = (p.version(Some(q.a)).await?, p.version(Some(q.b)).await?);
    let lang = p.lang();
    let (metrics, changes) = diff::compare(&va.document, &vb.document, lang);
    page(&ComparePage {
        ctx: &p.ctx,
        id: p.id(),
        name: view::text(&vb.document.project.name, lang).to_owned(),
        heading: lang.tf("web.compare.heading", &[("a", &q.a), ("b", &q.b)]),
        a: q.a,
        b: q.b,
        metrics,
        changes,
    })
}

#[derive(Deserialize)]
pub struct RestoreForm {
    base_version: i64,
}

pub async fn restore(
    p: ProjectAt<Edit>,
    Path((_, version)): Path<(i64, i64)>,
    Form(f): Form<RestoreForm>,
) -> AppResult<Response> {
    let (state, me, lang) = (&p.state, p.user(), p.lang());
    let meta = service::restore(state, me, &p.allowed, version, f.base_version, lang).await?;
    Ok(see_other(&format!(
        "/projects/{}?version={}",
        p.id(),
        meta.version
    )))
}
