//! Versions of a project: the list, the comparison of two (what changed in
//! the document, how the headline metrics moved) and restoring one (a new
//! version whose note says so; nothing is ever overwritten).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use machi_store::ProjectKey;
use serde::Deserialize;

use super::{Names, page, see_other};
use crate::AppState;
use crate::context::Ctx;
use crate::diff::{self, Change};
use crate::error::AppResult;
use crate::permissions::Action;
use crate::service;
use crate::view::{self, Moved};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/versions", get(list))
        .route("/projects/{id}/compare", get(compare))
        .route("/projects/{id}/versions/{version}/restore", post(restore))
}

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

async fn list(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let names = Names::load(&state, ctx.lang).await?;
    let versions = state.store().versions(key).await?;
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
        ctx: &ctx,
        id,
        name,
        versions: rows,
        latest,
        default_a: (latest - 1).max(1),
        default_b: latest,
        can_edit: allowed.may(me, Action::EditProject),
    })
}

#[derive(Deserialize)]
struct CompareQuery {
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

async fn compare(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::ViewProject).await?;
    let va = service::version(&state, key, Some(q.a)).await?;
    let vb = service::version(&state, key, Some(q.b)).await?;
    let lang = ctx.lang;
    let metrics = match (
        service::evaluate(&va.document),
        service::evaluate(&vb.document),
    ) {
        (Ok(ea), Ok(eb)) => view::headline(lang, &ea, &eb),
        _ => Vec::new(),
    };
    page(&ComparePage {
        ctx: &ctx,
        id,
        name: view::text(&vb.document.project.name, lang).to_owned(),
        heading: lang.tf("web.compare.heading", &[("a", &q.a), ("b", &q.b)]),
        a: q.a,
        b: q.b,
        metrics,
        changes: diff::diff(&va.document, &vb.document, lang),
    })
}

#[derive(Deserialize)]
struct RestoreForm {
    base_version: i64,
}

async fn restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, version)): Path<(i64, i64)>,
    Form(f): Form<RestoreForm>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let meta = service::restore(
        &state,
        me,
        ProjectKey(id),
        version,
        f.base_version,
        ctx.lang,
    )
    .await?;
    Ok(see_other(&format!(
        "/projects/{id}?version={}",
        meta.version
    )))
}
