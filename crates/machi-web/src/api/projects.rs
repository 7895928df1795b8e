//! Projects: list, create, read, save (compare-and-set), versions, the
//! evaluation, the project file, the consortium's organisations, and the
//! evaluation of an unsaved edit (the model editor's preview).

use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use machi_store::OrgId;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::types::{
    ProjectDocument, ProjectItem, ProjectList, Saved, VersionInfo, VersionList, VersionParams,
    json_body, whole_number, whole_numbers,
};
use crate::error::{AppError, AppResult};
use crate::extract::{Can, CreateProject, Edit, ProjectAt, Signed, View};
use crate::respond::json::ErrorResponse;
use crate::service::projects as service;

/// A new project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "documents the body; parsed from raw JSON for line numbers"
)]
pub struct CreateProjectRequest {
    /// The project file as JSON (see `docs/project-file.schema.json`).
    #[schema(value_type = Object)]
    document: serde_json::Value,
    /// A note for version 1.
    note: Option<String>,
}

/// A save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "documents the body; parsed from raw JSON for line numbers"
)]
pub struct SaveProjectRequest {
    /// The version this edit is based on; the save fails with 409 if it is
    /// no longer the latest.
    #[schema(minimum = 1)]
    base_version: i64,
    /// The whole project file as JSON; its `project.id` must not change.
    #[schema(value_type = Object)]
    document: serde_json::Value,
    /// A note for the new version.
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRaw<'a> {
    #[serde(borrow)]
    document: &'a RawValue,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRaw<'a> {
    #[serde(deserialize_with = "whole_number")]
    base_version: i64,
    #[serde(borrow)]
    document: &'a RawValue,
    note: Option<String>,
}

/// The projects the user may see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", operation_id = "list_projects",
    security(("session" = [])),
    responses(
        (status = 200, body = ProjectList),
        (status = 401, body = ErrorResponse),
    ))]
pub async fn list(s: Signed) -> AppResult<Json<ProjectList>> {
    let projects = service::visible_projects(&s.state, s.user()).await?;
    Ok(Json(ProjectList {
        projects: projects.iter().map(ProjectItem::from).collect(),
    }))
}

/// Creates a project owned by the user's organisation.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", operation_id = "create_project",
    security(("session" = [], "csrf" = [])),
    request_body = CreateProjectRequest,
    responses(
        (status = 201, body = Saved),
        (status = 401, body = ErrorResponse),
        (status = 403, description = "Role may not create, or CSRF token missing", body = ErrorResponse),
        (status = 409, description = "A project with this id exists", body = ErrorResponse),
        (status = 422, description = "The document is invalid; lines count from the start of `document`", body = ErrorResponse),
    ))]
pub async fn create(s: Can<CreateProject>, body: Bytes) -> AppResult<Response> {
    let raw: CreateRaw<'_> = json_body(&body)?;
    let document = service::parse_upload(&s.state, raw.document.get().to_owned(), "json").await?;
    let note = raw
        .note
        .unwrap_or_else(|| s.ctx.t("web.note.created-api").to_owned());
    let meta = service::create(&s.state, s.user(), &document, &note).await?;
    let summary = s.state.store().project(meta.project).await?;
    let summary = summary.ok_or(AppError::NotFound)?;
    let location = format!("/api/v1/projects/{}", meta.project);
    let saved = Saved {
        project: ProjectItem::from(&summary),
        version: VersionInfo::from(&meta),
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(saved),
    )
        .into_response())
}

/// A project with the document of one version.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", operation_id = "get_project",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, body = ProjectDocument),
        (status = 401, body = ErrorResponse),
        (status = 404, description = "No such project or version, or not visible to the user", body = ErrorResponse),
    ))]
pub async fn get(
    p: ProjectAt<View>,
    Query(q): Query<VersionParams>,
) -> AppResult<Json<ProjectDocument>> {
    let stored = p.version(q.version).await?;
    Ok(Json(ProjectDocument {
        project: ProjectItem::from(&p.allowed.summary),
        version: VersionInfo::from(&stored.meta),
        document: stored.document,
    }))
}

/// Saves a new version, if `base_version` is still the latest.
#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects", operation_id = "save_project",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Project id")),
    request_body = SaveProjectRequest,
    responses(
        (status = 200, body = Saved),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "Someone saved since `base_version`; `current_version` says which is latest. Nothing was saved.", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn save(p: ProjectAt<Edit>, body: Bytes) -> AppResult<Json<Saved>> {
    let raw: SaveRaw<'_> = json_body(&body)?;
    let document = service::parse_upload(&p.state, raw.document.get().to_owned(), "json").await?;
    let note = raw
        .note
        .unwrap_or_else(|| p.ctx.t("web.note.saved-api").to_owned());
    let meta = service::save(
        &p.state,
        p.user(),
        &p.allowed,
        raw.base_version,
        &document,
        &note,
    )
    .await?;
    saved(&p, &meta).await
}

/// The answer to a save: the project as it now is and the new version.
pub async fn saved<A: crate::extract::Need>(
    p: &ProjectAt<A>,
    meta: &machi_store::VersionMeta,
) -> AppResult<Json<Saved>> {
    let summary = p.state.store().project(p.key()).await?;
    let summary = summary.ok_or(AppError::NotFound)?;
    Ok(Json(Saved {
        project: ProjectItem::from(&summary),
        version: VersionInfo::from(meta),
    }))
}

/// Every version of a project, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/versions", tag = "projects", operation_id = "list_versions",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = VersionList),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn versions(p: ProjectAt<View>) -> AppResult<Json<VersionList>> {
    let versions = p.state.store().versions(p.key()).await?;
    Ok(Json(VersionList {
        project: p.id(),
        versions: versions.iter().map(VersionInfo::from).collect(),
    }))
}

/// The evaluation of a version: statement by fiscal year, metrics, funding
/// cliff, break-even — the document `machi evaluate --format json` prints,
/// and what the project page's charts are drawn from.
#[utoipa::path(get, path = "/api/v1/projects/{id}/evaluation", tag = "projects",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, description = "The evaluation (report_version 1)", body = Object, content_type = "application/json"),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn evaluation(p: ProjectAt<View>, Query(q): Query<VersionParams>) -> AppResult<Response> {
    let stored = p.version(q.version).await?;
    let eval = service::evaluate(&stored.document)?;
    let json = machi_report::json(&stored.document, &eval);
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The project file of a version (TOML), as `machi evaluate` reads it.
#[utoipa::path(get, path = "/api/v1/projects/{id}/document.toml", tag = "projects",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, description = "The project file", body = String, content_type = "application/toml"),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn document_toml(
    p: ProjectAt<View>,
    Query(q): Query<VersionParams>,
) -> AppResult<Response> {
    let stored = p.version(q.version).await?;
    Ok(service::project_file(&p.allowed, &stored)?.into_response())
}

/// The organisations of a project's consortium (who may see and edit it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisations {
    /// Organisation ids; the owner always stays in.
    #[serde(deserialize_with = "whole_numbers")]
    pub organisations: Vec<i64>,
}

/// Replaces the consortium's organisations.
#[utoipa::path(put, path = "/api/v1/projects/{id}/organisations", tag = "projects",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Project id")),
    request_body = Organisations,
    responses(
        (status = 200, description = "The organisations now", body = Organisations),
        (status = 400, description = "An unknown organisation", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn set_organisations(p: ProjectAt<Edit>, body: Bytes) -> AppResult<Json<Organisations>> {
    let req: Organisations = json_body(&body)?;
    let orgs = req.organisations.into_iter().map(OrgId).collect();
    service::set_organisations(&p.state, p.user(), &p.allowed, orgs).await?;
    let now = p.state.store().project_organisations(p.key()).await?;
    Ok(Json(Organisations {
        organisations: now.iter().map(|o| o.0).collect(),
    }))
}

/// An edit to evaluate without saving.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "documents the body; parsed from raw JSON for line numbers"
)]
pub struct PreviewRequest {
    /// The whole project file as JSON.
    #[schema(value_type = Object)]
    document: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRaw<'a> {
    #[serde(borrow)]
    document: &'a RawValue,
}

/// Evaluates an edited document **without saving it** (what the model
/// editor shows as the user types). Needs edit access to the project.
#[utoipa::path(post, path = "/api/v1/projects/{id}/preview", tag = "projects",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Project id")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The evaluation (report_version 1)", body = Object, content_type = "application/json"),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn preview(p: ProjectAt<Edit>, body: Bytes) -> AppResult<Response> {
    let raw: PreviewRaw<'_> = json_body(&body)?;
    let document = service::parse_upload(&p.state, raw.document.get().to_owned(), "json").await?;
    document.validate()?;
    let eval = service::evaluate(&document)?;
    let json = machi_report::json(&document, &eval);
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}
