//! Funding programs against a project: every shipped program checked and
//! sized (`machi check`), and the funding stack solved (`machi fund`).

use axum::Json;
use axum::extract::Query;
use machi_programs::stack::{Minimise, StackPlan, optimise};
use machi_programs::{CheckReport, ProgramKind, build_stack_problem, check};
use serde::Serialize;
use utoipa::ToSchema;

use super::types::VersionParams;
use crate::error::{AppError, AppResult};
use crate::extract::{ProjectAt, View};
use crate::respond::json::ErrorResponse;
use crate::service::projects as service;

/// Every shipped program's verdict on a version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Checks {
    /// One report per program: each type's rules (pass / fail /
    /// needs-information, with reason and source) and, for a subsidy, the
    /// largest amount per fiscal year and what bounds it.
    #[schema(value_type = Vec<Object>)]
    pub programs: Vec<CheckReport>,
}

/// Checks a version against every shipped program (the project page's
/// programs section; `machi check`).
#[utoipa::path(get, path = "/api/v1/projects/{id}/check", tag = "programs",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, body = Checks),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn check_all(
    p: ProjectAt<View>,
    Query(q): Query<VersionParams>,
) -> AppResult<Json<Checks>> {
    let stored = p.version(q.version).await?;
    let programs = service::catalogue()?
        .iter()
        .filter_map(|program| check(&stored.document, program, None).ok())
        .collect();
    Ok(Json(Checks { programs }))
}

/// The funding stack of a version.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingPlan {
    /// The optimised plan: awards per program, type and fiscal year, the
    /// consortium's remaining burden, and the proven bound.
    #[schema(value_type = Object)]
    pub plan: StackPlan,
}

/// Solves the funding stack over every shipped subsidy (`machi fund`):
/// no expense funded twice, caps, rates, consecutive years, co-funding.
#[utoipa::path(get, path = "/api/v1/projects/{id}/fund", tag = "programs",
    security(("session" = [])),
    params(("id" = i64, Path, description = "Project id"), VersionParams),
    responses(
        (status = 200, body = FundingPlan),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 422, description = "The project cannot be sized", body = ErrorResponse),
    ))]
pub async fn fund(
    p: ProjectAt<View>,
    Query(q): Query<VersionParams>,
) -> AppResult<Json<FundingPlan>> {
    let stored = p.version(q.version).await?;
    let candidates: Vec<_> = service::catalogue()?
        .iter()
        .filter(|p| p.kind == ProgramKind::Subsidy)
        .map(|p| (p, None))
        .collect();
    let problem = build_stack_problem(&stored.document, &candidates, Minimise::Consortium)
        .map_err(|e| AppError::InvalidRequest {
            detail: e.to_string(),
        })?;
    let plan = optimise(&problem).map_err(|e| AppError::Internal(format!("stack: {e}")))?;
    Ok(Json(FundingPlan { plan }))
}
