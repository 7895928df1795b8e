//! Administration: users, organisations and the audit log (admins only).

use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use machi_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::{UserInfo, json_body};
use crate::error::{AppError, AppResult};
use crate::extract::{Can, ManageUsers, ViewAudit};
use crate::respond::json::ErrorResponse;
use crate::service::admin::{self as service, NewOrgInput, NewUserInput};

/// Every user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Users, by name.
    pub users: Vec<UserInfo>,
}

/// Lists every user.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("session" = [])),
    responses(
        (status = 200, body = UserList),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
    ))]
pub async fn users(s: Can<ManageUsers>) -> AppResult<Json<UserList>> {
    let users = s.state.store().users().await?;
    Ok(Json(UserList {
        users: users.iter().map(UserInfo::from).collect(),
    }))
}

/// A created account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    /// The account.
    pub user: UserInfo,
    /// The generated password, shown this once (absent when one was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    security(("session" = [], "csrf" = [])),
    request_body = NewUserInput,
    responses(
        (status = 201, body = CreatedUser),
        (status = 400, description = "A field is missing or malformed", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "The e-mail is taken", body = ErrorResponse),
    ))]
pub async fn create_user(
    s: Can<ManageUsers>,
    body: Bytes,
) -> AppResult<(StatusCode, Json<CreatedUser>)> {
    let input: NewUserInput = json_body(&body)?;
    let (user, password) = service::create_user(&s.state, s.user(), &input).await?;
    let created = CreatedUser {
        user: UserInfo::from(&user),
        password,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgInfo {
    /// Id.
    pub id: i64,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// Kind.
    pub kind: String,
}

/// Creates an organisation.
#[utoipa::path(post, path = "/api/v1/admin/organisations", tag = "admin",
    security(("session" = [], "csrf" = [])),
    request_body = NewOrgInput,
    responses(
        (status = 201, body = OrgInfo),
        (status = 400, description = "A field is missing or malformed", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "The name is taken", body = ErrorResponse),
    ))]
pub async fn create_org(
    s: Can<ManageUsers>,
    body: Bytes,
) -> AppResult<(StatusCode, Json<OrgInfo>)> {
    let input: NewOrgInput = json_body(&body)?;
    let o = service::create_org(&s.state, s.user(), &input).await?;
    let info = OrgInfo {
        id: o.id.0,
        name_ja: o.name_ja,
        name_en: o.name_en,
        kind: o.kind.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(info)))
}

/// Which audit entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `project`, `user` or `organisation`.
    pub entity: Option<AuditEntity>,
    /// The entity's id.
    pub id: Option<String>,
    /// At most this many, newest first (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The kinds of audited entity.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditEntity {
    /// A project (its versions and consortium).
    Project,
    /// A user account.
    User,
    /// An organisation.
    Organisation,
}

impl AuditEntity {
    fn as_str(self) -> &'static str {
        match self {
            AuditEntity::Project => "project",
            AuditEntity::User => "user",
            AuditEntity::Organisation => "organisation",
        }
    }
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditInfo {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id; absent for the system).
    pub actor: Option<i64>,
    /// What was done (`project.save`, `user.create`, …).
    pub action: String,
    /// Of what kind.
    pub entity: String,
    /// Which.
    pub entity_id: String,
    /// The record before (any JSON: a document, a list of ids…).
    pub before: Option<serde_json::Value>,
    /// The record after.
    pub after: Option<serde_json::Value>,
}

/// The audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Entries, newest first.
    pub entries: Vec<AuditInfo>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    security(("session" = [])),
    params(AuditParams),
    responses(
        (status = 200, body = AuditList),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
    ))]
pub async fn audit(s: Can<ViewAudit>, Query(q): Query<AuditParams>) -> AppResult<Json<AuditList>> {
    if q.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
        return Err(AppError::InvalidRequest {
            detail: "limit: from 1 to 1000".into(),
        });
    }
    let filter = AuditFilter {
        entity: q.entity.map(|e| e.as_str().to_owned()),
        entity_id: q.id.filter(|e| !e.trim().is_empty()),
        limit: Some(q.limit.unwrap_or(200).clamp(1, 1000)),
    };
    let entries = s.state.store().audit(filter).await?;
    let entries = entries
        .into_iter()
        .map(|e| AuditInfo {
            at: e.at,
            actor: e.actor.map(|a| a.0),
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
        })
        .collect();
    Ok(Json(AuditList { entries }))
}
