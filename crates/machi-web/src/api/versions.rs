//! Comparing two versions and restoring one (a new version; nothing is
//! ever overwritten).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::projects::saved;
use super::types::{LangParam, Saved, json_body, whole_number};
use crate::diff;
use crate::error::AppResult;
use crate::extract::{Edit, ProjectAt, View};
use crate::respond::json::ErrorResponse;
use crate::service::projects as service;
use crate::view;

/// Which two versions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// The older version.
    #[param(minimum = 1)]
    pub a: i64,
    /// The newer version.
    #[param(minimum = 1)]
    pub b: i64,
    /// Language of labels: `ja` (default) or `en`.
    #[expect(dead_code, reason = "documents `?lang=`, which the middleware reads")]
    pub lang: Option<LangParam>,
}

/// One change between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeInfo {
    /// Where, for people (`機器保守・点検 · 令和12年度`).
    pub label: String,
    /// The field's path in the project file.
    pub path: String,
    /// Before (empty when added).
    pub before: String,
    /// After (empty when removed).
    pub after: String,
    /// For amounts: the difference in yen.
    pub delta: String,
}

/// A headline metric in both versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricMove {
    /// The metric, for people.
    pub label: String,
    /// In version `a`.
    pub a: String,
    /// In version `b`.
    pub b: String,
    /// The change, or empty when not comparable.
    pub delta: String,
}

/// What changed between two versions and how the headline metrics moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    /// The older version.
    pub a: i64,
    /// The newer version.
    pub b: i64,
    /// Every changed field, in document order.
    pub changes: Vec<ChangeInfo>,
    /// Headline metrics (empty when either version cannot be evaluated).
    pub metrics: Vec<MetricMove>,
}

/// Compares two versions (the versions page's comparison).
#[utoipa::path(get, path = "/api/v1/projects/{id}/compare", tag = "projects",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), CompareParams),
    responses(
        (status = 200, body = Comparison),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn compare(
    p: ProjectAt<View>,
    Query(q): Query<CompareParams>,
) -> AppResult<Json<Comparison>> {
    let (va, vb) = (p.version(Some(q.a)).await?, p.version(Some(q.b)).await?);
    let (metrics, changes) = diff::compare(&va.document, &vb.document, p.lang());
    Ok(Json(Comparison {
        a: q.a,
        b: q.b,
        changes: changes.into_iter().map(ChangeInfo::from).collect(),
        metrics: metrics.into_iter().map(MetricMove::from).collect(),
    }))
}

impl From<diff::Change> for ChangeInfo {
    fn from(c: diff::Change) -> Self {
        ChangeInfo {
            label: c.label,
            path: c.path,
            before: c.before,
            after: c.after,
            delta: c.delta,
        }
    }
}

impl From<view::Moved> for MetricMove {
    fn from(m: view::Moved) -> Self {
        MetricMove {
            label: m.label,
            a: m.before,
            b: m.after,
            delta: m.delta,
        }
    }
}

/// A restore.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The latest version as the client knows it; 409 if someone saved since.
    #[serde(deserialize_with = "whole_number")]
    #[schema(minimum = 1)]
    pub base_version: i64,
}

/// Restores an old version as the next version (its note says so).
#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version}/restore", tag = "projects",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Project id"), ("version" = i64, Path, description = "The version to restore")),
    request_body = RestoreRequest,
    responses(
        (status = 200, body = Saved),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse),
    ))]
pub async fn restore(
    p: ProjectAt<Edit>,
    Path((_, version)): Path<(i64, i64)>,
    body: Bytes,
) -> AppResult<Json<Saved>> {
    let req: RestoreRequest = json_body(&body)?;
    let (state, lang) = (&p.state, p.lang());
    let meta =
        service::restore(state, p.user(), &p.allowed, version, req.base_version, lang).await?;
    saved(&p, &meta).await
}
