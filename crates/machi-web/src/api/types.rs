//! The API's shared bodies: users, projects, versions, and reading a JSON
//! body with the parser's words on failure.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use machi_domain::Project;
use machi_store::{ProjectSummary, User, VersionMeta};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};
pub use crate::service::{whole_number, whole_numbers};

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
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Version number; the latest when absent.
    #[param(minimum = 1)]
    pub version: Option<i64>,
    /// Language of messages: `ja` (default) or `en`.
    #[expect(dead_code, reason = "documents `?lang=`, which the middleware reads")]
    pub lang: Option<LangParam>,
}

/// A language of messages.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LangParam {
    /// 日本語.
    Ja,
    /// English.
    En,
}

/// A JSON body, or [`AppError::InvalidRequest`] with the parser's words.
pub fn json_body<'a, T: Deserialize<'a>>(body: &'a Bytes) -> AppResult<T> {
    serde_json::from_slice(body).map_err(|e| AppError::InvalidRequest {
        detail: e.to_string(),
    })
}
