//! The REST API under `/api/v1`: the same rules as the pages (both go
//! through [`crate::service`]), JSON in and out, errors as
//! `{"error": {"code": "...", "message": "..."}}` with a stable code and a
//! message in the requested language (`?lang=`, else `Accept-Language`).
//!
//! Authentication: `POST /api/v1/session` with e-mail and password sets the
//! session cookie and returns the CSRF token, which every mutating call must
//! send as `X-CSRF-Token`. The OpenAPI document is generated from the
//! annotations here (`GET /api/v1/openapi.json`) and snapshot-tested.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use machi_domain::Project;
use machi_i18n::Lang;
use machi_store::{ProjectKey, ProjectSummary, User, VersionMeta};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::auth;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::permissions::Action;
use crate::service;

/// The API routes (nested under `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", get(whoami).post(login).delete(logout))
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(get_project).put(save_project))
        .route("/projects/{id}/versions", get(list_versions))
        .route("/projects/{id}/evaluation", get(evaluation))
}

/// An error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `unauthenticated`, `login-failed`, `throttled`, `csrf`,
    /// `forbidden`, `not-found`, `invalid-request`, `invalid-field`,
    /// `invalid-project`, `id-changed`, `duplicate`, `conflict`,
    /// `payload-too-large`, `internal`.
    pub code: String,
    /// The message, in the requested language.
    pub message: String,
    /// On `conflict`: the latest version now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// On `invalid-project`: every problem, with field and line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// On `invalid-request`: the parser's words (English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One problem of a project document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable code (`project.error.<code>` in the catalogue).
    pub code: String,
    /// The field, e.g. `line_items[2].party`.
    pub path: String,
    /// 1-based line within the document's text, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The problem, in the requested language.
    pub message: String,
}

/// The JSON response of an error.
pub fn error_response(lang: Lang, err: &AppError) -> Response {
    let problems = match err {
        AppError::InvalidProject(errs) => errs
            .0
            .iter()
            .map(|e| Problem {
                code: e.code.to_owned(),
                path: e.path.clone(),
                line: e.line,
                column: e.column,
                message: machi_report::project_error(lang, e),
            })
            .collect(),
        _ => Vec::new(),
    };
    let body = ErrorResponse {
        error: ErrorBody {
            code: err.code().to_owned(),
            message: err.message(lang),
            current_version: match err {
                AppError::Conflict { current, .. } => Some(*current),
                _ => None,
            },
            problems,
            detail: match err {
                AppError::InvalidRequest { detail } => Some(detail.clone()),
                _ => None,
            },
        },
    };
    let mut res = (err.status(), Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    if let AppError::Throttled { minutes } = err
        && let Ok(v) = HeaderValue::from_str(&(minutes * 60).to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The logged-in user and the CSRF token of the session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// The user.
    pub user: UserInfo,
    /// Send as `X-CSRF-Token` with every mutating call.
    pub csrf_token: String,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    /// Id.
    pub id: i64,
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role: `municipal-officer`, `provider`, `secretariat`, `reviewer`,
    /// `investor` or `admin`.
    pub role: String,
    /// Organisation id.
    pub organisation: i64,
    /// Preferred language.
    pub lang: String,
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        UserInfo {
            id: u.id.0,
            email: u.email.clone(),
            name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
            organisation: u.organisation.0,
            lang: u.lang.clone(),
        }
    }
}

/// A project as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectItem {
    /// Id (used in URLs).
    pub id: i64,
    /// The project file's own id.
    pub slug: String,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English (Japanese if none).
    pub name_en: String,
    /// Owning organisation's id.
    pub owner: i64,
    /// Latest version.
    pub version: i64,
    /// When the latest version was saved.
    pub updated_at: DateTime<Utc>,
    /// Who saved it (user id).
    pub updated_by: i64,
}

impl From<&ProjectSummary> for ProjectItem {
    fn from(p: &ProjectSummary) -> Self {
        ProjectItem {
            id: p.id.0,
            slug: p.slug.clone(),
            name_ja: p.name_ja.clone(),
            name_en: p.name_en.clone(),
            owner: p.owner.0,
            version: p.version,
            updated_at: p.updated_at,
            updated_by: p.updated_by.0,
        }
    }
}

/// Projects.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    /// Newest first; only those the user may see.
    pub projects: Vec<ProjectItem>,
}

/// A version's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionInfo {
    /// Version number (1-based, no gaps).
    pub version: i64,
    /// Author (user id).
    pub author: i64,
    /// Saved.
    pub created_at: DateTime<Utc>,
    /// Note.
    pub note: String,
}

impl From<&VersionMeta> for VersionInfo {
    fn from(v: &VersionMeta) -> Self {
        VersionInfo {
            version: v.version,
            author: v.author.0,
            created_at: v.created_at,
            note: v.note.clone(),
        }
    }
}

/// Versions of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    /// Project id.
    pub project: i64,
    /// Newest first.
    pub versions: Vec<VersionInfo>,
}

/// A project with one version's document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDocument {
    /// The project.
    pub project: ProjectItem,
    /// The version shown.
    pub version: VersionInfo,
    /// The project file (see `docs/project-file.schema.json`).
    #[schema(value_type = Object)]
    pub document: Project,
}

/// A new project.
#[derive(Debug, ToSchema)]
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
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the body; parsed from raw JSON for line numbers"
)]
pub struct SaveProjectRequest {
    /// The version this edit is based on; the save fails with 409 if it is
    /// no longer the latest.
    base_version: i64,
    /// The whole project file as JSON; its `project.id` must not change.
    #[schema(value_type = Object)]
    document: serde_json::Value,
    /// A note for the new version.
    note: Option<String>,
}

#[derive(Deserialize)]
struct CreateRaw<'a> {
    #[serde(borrow)]
    document: &'a RawValue,
    note: Option<String>,
}

#[derive(Deserialize)]
struct SaveRaw<'a> {
    base_version: i64,
    #[serde(borrow)]
    document: &'a RawValue,
    note: Option<String>,
}

/// A saved version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// The project.
    pub project: ProjectItem,
    /// The new version.
    pub version: VersionInfo,
}

/// Which version (the latest when absent) and which language.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionParams {
    /// Version number; the latest when absent.
    pub version: Option<i64>,
    /// Language of messages: `ja` (default) or `en`.
    pub lang: Option<String>,
}

fn bad_json(e: &serde_json::Error) -> AppError {
    AppError::InvalidRequest {
        detail: e.to_string(),
    }
}

/// Opens a session.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionInfo),
        (status = 401, description = "Wrong e-mail or password", body = ErrorResponse),
        (status = 429, description = "Too many failed log-ins for this e-mail", body = ErrorResponse),
    ))]
async fn login(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> AppResult<Response> {
    let req: LoginRequest = serde_json::from_slice(&body).map_err(|e| bad_json(&e))?;
    let issued = auth::login(&state, &req.email, &req.password).await?;
    if let Some(old) = &ctx.user {
        state.store().delete_session(&old.token_hash).await?;
    }
    let mut res = Json(SessionInfo {
        user: UserInfo::from(&issued.user),
        csrf_token: issued.csrf,
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&state, &issued.token)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    security(("session" = [])),
    responses(
        (status = 200, body = SessionInfo),
        (status = 401, body = ErrorResponse),
    ))]
async fn whoami(ctx: Ctx) -> AppResult<Json<SessionInfo>> {
    let u = ctx.user()?;
    Ok(Json(SessionInfo {
        user: UserInfo::from(&u.user),
        csrf_token: ctx.csrf.clone(),
    }))
}

/// Ends the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    security(("session" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = ErrorResponse),
        (status = 403, description = "Missing CSRF token", body = ErrorResponse),
    ))]
async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let u = ctx.user()?;
    state.store().delete_session(&u.token_hash).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(&state)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The projects the user may see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    security(("session" = [])),
    responses(
        (status = 200, body = ProjectList),
        (status = 401, body = ErrorResponse),
    ))]
async fn list_projects(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<ProjectList>> {
    let me = &ctx.user()?.user;
    let projects = service::visible_projects(&state, me).await?;
    Ok(Json(ProjectList {
        projects: projects.iter().map(ProjectItem::from).collect(),
    }))
}

/// Creates a project owned by the user's organisation.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects",
    security(("session" = [], "csrf" = [])),
    request_body = CreateProjectRequest,
    responses(
        (status = 201, body = Saved),
        (status = 401, body = ErrorResponse),
        (status = 403, description = "Role may not create, or CSRF token missing", body = ErrorResponse),
        (status = 409, description = "A project with this id exists", body = ErrorResponse),
        (status = 422, description = "The document is invalid; lines count from the start of `document`", body = ErrorResponse),
    ))]
async fn create_project(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let raw: CreateRaw<'_> = serde_json::from_slice(&body).map_err(|e| bad_json(&e))?;
    let document = service::parse_project(raw.document.get(), Some("json"))?;
    let note = raw
        .note
        .unwrap_or_else(|| ctx.t("web.note.created-api").to_owned());
    let meta = service::create(&state, me, &document, &note).await?;
    let summary = state
        .store()
        .project(meta.project)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/projects/{}", meta.project),
        )],
        Json(Saved {
            project: ProjectItem::from(&summary),
            version: VersionInfo::from(&meta),
        }),
    )
        .into_response())
}

/// A project with the document of one version.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, body = ProjectDocument),
        (status = 401, body = ErrorResponse),
        (status = 404, description = "No such project or version, or not visible to the user", body = ErrorResponse),
    ))]
async fn get_project(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionParams>,
) -> AppResult<Json<ProjectDocument>> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    Ok(Json(ProjectDocument {
        project: ProjectItem::from(&allowed.summary),
        version: VersionInfo::from(&stored.meta),
        document: stored.document,
    }))
}

/// Saves a new version, if `base_version` is still the latest.
#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects",
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
async fn save_project(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Json<Saved>> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    // Permission first: an outsider learns nothing from the body's errors.
    service::project(&state, me, key, Action::EditProject).await?;
    let raw: SaveRaw<'_> = serde_json::from_slice(&body).map_err(|e| bad_json(&e))?;
    let document = service::parse_project(raw.document.get(), Some("json"))?;
    let note = raw
        .note
        .unwrap_or_else(|| ctx.t("web.note.saved-api").to_owned());
    let meta = service::save(&state, me, key, raw.base_version, &document, &note).await?;
    let summary = state
        .store()
        .project(key)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(Saved {
        project: ProjectItem::from(&summary),
        version: VersionInfo::from(&meta),
    }))
}

/// Every version of a project, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/versions", tag = "projects",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = VersionList),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
async fn list_versions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Json<VersionList>> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::ViewProject).await?;
    let versions = state.store().versions(key).await?;
    Ok(Json(VersionList {
        project: id,
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
async fn evaluation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionParams>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    let eval = service::evaluate(&stored.document)?;
    let json = machi_report::json(&stored.document, &eval);
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "Session cookie set by POST /api/v1/session",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token (csrf_token of the session), required on every mutating call",
            ))),
        );
    }
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "machi API",
        version = "1",
        description = "Smart-city projects, their versions and their evaluation. Errors are `{\"error\": {\"code\", \"message\"}}` with stable codes; messages follow `?lang=` or `Accept-Language` (ja, en).",
        license(name = "Apache-2.0")
    ),
    paths(openapi, login, whoami, logout, list_projects, create_project, get_project, save_project, list_versions, evaluation),
    components(schemas(
        ErrorResponse, ErrorBody, Problem, LoginRequest, SessionInfo, UserInfo, ProjectItem,
        ProjectList, VersionInfo, VersionList, ProjectDocument, CreateProjectRequest,
        SaveProjectRequest, Saved
    )),
    modifiers(&Security),
    tags(
        (name = "session", description = "Log-in and log-out"),
        (name = "projects", description = "Projects, versions and evaluations"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}
