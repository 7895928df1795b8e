//! An [`AppError`] as the API's JSON body:
//! `{"error": {"code", "message", …}}` with a stable code and a message in
//! the request's language.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use machi_i18n::Lang;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

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
    /// `invalid-project`, `invalid-import`, `id-changed`, `duplicate`, `conflict`,
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
    /// On `invalid-import`: every problem of the file, with sheet and cell,
    /// in the requested language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_problems: Vec<String>,
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
pub fn render(lang: Lang, err: &AppError) -> Response {
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
            import_problems: match err {
                AppError::InvalidImport { errors, .. } => errors.messages(lang),
                _ => Vec::new(),
            },
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
    res
}
