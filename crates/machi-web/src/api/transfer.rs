//! The model in and out of Excel: the workbook or CSV of a version, and an
//! import saved as the next version after `base_version` (409 when stale).

use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use machi_report::import::Format;
use serde::Deserialize;
use utoipa::ToSchema;

use super::projects::saved;
use super::types::{Saved, VersionParams, json_body, whole_number};
use crate::error::{AppError, AppResult};
use crate::extract::{Edit, ProjectAt, View};
use crate::respond::json::ErrorResponse;
use crate::service::projects as service;

/// The workbook of a version (statement, metrics, line items, funding).
#[utoipa::path(get, path = "/api/v1/projects/{id}/export.xlsx", tag = "transfer",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, description = "The workbook", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn export_xlsx(
    p: ProjectAt<View>,
    Query(q): Query<VersionParams>,
) -> AppResult<Response> {
    export(&p, q.version, Format::Xlsx).await
}

/// The CSV of a version's model (line items and funding by fiscal year).
#[utoipa::path(get, path = "/api/v1/projects/{id}/export.csv", tag = "transfer",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, description = "The CSV", body = String, content_type = "text/csv"),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn export_csv(p: ProjectAt<View>, Query(q): Query<VersionParams>) -> AppResult<Response> {
    export(&p, q.version, Format::Csv).await
}

async fn export(p: &ProjectAt<View>, version: Option<i64>, format: Format) -> AppResult<Response> {
    let stored = p.version(version).await?;
    Ok(service::export(&p.allowed, &stored, format, p.lang())?.into_response())
}

/// A spreadsheet to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The version the file was edited from; 409 if someone saved since.
    #[serde(deserialize_with = "whole_number")]
    #[schema(minimum = 1)]
    pub base_version: i64,
    /// The file's name (`.xlsx` or `.csv`; else the content decides).
    #[serde(default)]
    pub file_name: String,
    /// The file, base64-encoded (RFC 4648 §4).
    #[schema(format = Byte)]
    pub content_base64: String,
}

/// Imports an XLSX workbook or a CSV in the export's layout and saves it as
/// the next version. The body is JSON, like every write to the API.
#[utoipa::path(post, path = "/api/v1/projects/{id}/import", tag = "transfer",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Project id")),
    request_body = ImportRequest,
    responses(
        (status = 200, body = Saved),
        (status = 400, description = "The body is not JSON of this shape, or `content_base64` is not base64", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
        (status = 422, description = "The file cannot be read, or the result is invalid; `import_problems` or `problems` say where", body = ErrorResponse),
    ))]
pub async fn import(p: ProjectAt<Edit>, body: Bytes) -> AppResult<Json<Saved>> {
    let req: ImportRequest = json_body(&body)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(req.content_base64.trim())
        .map_err(|e| AppError::InvalidRequest {
            detail: format!("content_base64: {e}"),
        })?;
    let base = p.version(Some(req.base_version)).await?;
    let (state, lang, file) = (&p.state, p.lang(), &req.file_name);
    let meta = service::import(state, p.user(), &p.allowed, &base, file, &bytes, lang).await?;
    saved(&p, &meta).await
}
