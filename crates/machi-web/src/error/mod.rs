//! The one error type of the web layer.
//!
//! Handlers return `Result<_, AppError>`. [`AppError`] turns into a response
//! that carries the error itself as an extension and no body; the request
//! middleware ([`crate::context`]) then renders it once, in the user's
//! language, as a JSON body under `/api/` and as an HTML page elsewhere. So
//! every error a person or a program sees has a stable code (the `code`
//! field of the JSON, the `data-code` of the page) and a translated message,
//! and none shows a stack trace.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use machi_domain::ProjectErrors;
use machi_i18n::Lang;
use machi_store::StoreError;

/// Why a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// Not logged in (pages redirect to the log-in form).
    #[error("not logged in")]
    Unauthenticated,
    /// Wrong e-mail or password (deliberately not saying which).
    #[error("log-in failed")]
    LoginFailed,
    /// Too many failed log-ins for this e-mail recently.
    #[error("too many failed log-ins")]
    Throttled {
        /// Minutes of the throttling window.
        minutes: i64,
    },
    /// A mutating request without the session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The user's role or organisation does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// No such page, project or version (or one the user may not see).
    #[error("not found")]
    NotFound,
    /// The request is malformed; `detail` says how, in English.
    #[error("invalid request: {detail}")]
    InvalidRequest {
        /// Technical detail (from the parser), shown beside the translated message.
        detail: String,
    },
    /// A form field is missing or malformed.
    #[error("invalid field {field}")]
    InvalidField {
        /// The field's name.
        field: String,
    },
    /// The project document is invalid: every problem, with field and line.
    #[error("invalid project: {0}")]
    InvalidProject(ProjectErrors),
    /// An uploaded spreadsheet or CSV could not be read: every problem, with
    /// its sheet and cell.
    #[error("invalid import: {errors}")]
    InvalidImport {
        /// The uploaded file's name.
        file: String,
        /// What is wrong, where.
        errors: machi_report::import::ImportErrors,
    },
    /// A save changed the document's `project.id`, which names the project.
    #[error("the project id must stay {id}")]
    IdChanged {
        /// The project's id.
        id: String,
    },
    /// A unique value is already taken.
    #[error("{what} already exists")]
    Duplicate {
        /// `email`, `project-slug`, `organisation`.
        what: &'static str,
    },
    /// Someone saved a newer version since the one the edit was based on.
    #[error("version conflict: based on {base}, latest is {current}")]
    Conflict {
        /// The version the edit was based on.
        base: i64,
        /// The latest version.
        current: i64,
    },
    /// Every turn to parse an upload is taken; try again shortly.
    #[error("busy parsing other uploads")]
    Busy {
        /// Seconds to wait before trying again.
        seconds: u64,
    },
    /// An uploaded file took longer than allowed to read.
    #[error("parsing took longer than {seconds} s")]
    ParseTimeout {
        /// The limit.
        seconds: u64,
    },
    /// The body is larger than allowed.
    #[error("payload larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A write to the API that is not JSON.
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// Anything else; the detail goes to the log, never to the user.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The stable code, the same in JSON and HTML, and the message key
    /// suffix (`web.error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::LoginFailed => "login-failed",
            AppError::Throttled { .. } => "throttled",
            AppError::Csrf => "csrf",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not-found",
            AppError::InvalidRequest { .. } => "invalid-request",
            AppError::InvalidField { .. } => "invalid-field",
            AppError::InvalidProject(_) => "invalid-project",
            AppError::InvalidImport { .. } => "invalid-import",
            AppError::IdChanged { .. } => "id-changed",
            AppError::Duplicate { .. } => "duplicate",
            AppError::Conflict { .. } => "conflict",
            AppError::Busy { .. } => "busy",
            AppError::ParseTimeout { .. } => "parse-timeout",
            AppError::PayloadTooLarge { .. } => "payload-too-large",
            AppError::UnsupportedMediaType => "unsupported-media-type",
            AppError::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::LoginFailed => StatusCode::UNAUTHORIZED,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Csrf | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            // Well-formed, but a value does not hold (an unknown role, a
            // blank name, an organisation that does not exist).
            AppError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::InvalidProject(_)
            | AppError::InvalidImport { .. }
            | AppError::IdChanged { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Duplicate { .. } | AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::ParseTimeout { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds to wait before trying again, for a `Retry-After` header
    /// (RFC 9110 §10.2.3).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Throttled { minutes } => u64::try_from(*minutes).ok().map(|m| m * 60),
            AppError::Busy { seconds } => Some(*seconds),
            _ => None,
        }
    }

    /// The message a person reads, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let key = format!("web.error.{}", self.code());
        match self {
            AppError::Throttled { minutes } => lang.tf(&key, &[("minutes", minutes)]),
            AppError::Busy { seconds } | AppError::ParseTimeout { seconds } => {
                lang.tf(&key, &[("seconds", seconds)])
            }
            AppError::PayloadTooLarge { limit } => {
                lang.tf(&key, &[("limit", &bytes_label(*limit))])
            }
            AppError::InvalidField { field } => {
                let label = field_label(lang, field);
                lang.tf(&key, &[("field", &label)])
            }
            AppError::InvalidProject(errs) => lang.tf(&key, &[("count", &errs.0.len())]),
            AppError::InvalidImport { file, errors } => {
                lang.tf(&key, &[("file", file), ("count", &errors.0.len())])
            }
            AppError::IdChanged { id } => lang.tf(&key, &[("id", id)]),
            AppError::Duplicate { what } => {
                let specific = format!("web.error.duplicate-{what}");
                if lang.has(&specific) {
                    lang.t(&specific).to_owned()
                } else {
                    lang.t(&key).to_owned()
                }
            }
            AppError::Conflict { base, current } => {
                lang.tf(&key, &[("base", base), ("current", current)])
            }
            _ => lang.t(&key).to_owned(),
        }
    }

    /// The problems of an invalid project, each translated (field, line, what).
    pub fn problems(&self, lang: Lang) -> Vec<String> {
        match self {
            AppError::InvalidProject(errs) => errs
                .0
                .iter()
                .map(|e| machi_report::project_error(lang, e))
                .collect(),
            AppError::InvalidImport { errors, .. } => errors.messages(lang),
            _ => Vec::new(),
        }
    }
}

/// A size for people: `5 MB`, `512 KB` (binary units, as file managers
/// show them), or bytes.
fn bytes_label(n: usize) -> String {
    const MB: usize = 1024 * 1024;
    if n >= MB && n.is_multiple_of(MB) {
        format!("{} MB", n / MB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// The label of a form field for messages: `web.field.<name>` when the
/// catalogue has it, else the name itself.
fn field_label(lang: Lang, field: &str) -> String {
    let key = format!("web.field.{field}");
    if lang.has(&key) {
        lang.t(&key).to_owned()
    } else {
        field.to_owned()
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { base, current } => AppError::Conflict { base, current },
            StoreError::Duplicate { what } => AppError::Duplicate { what },
            StoreError::NotFound { .. } => AppError::NotFound,
            StoreError::Corrupt(d) => AppError::Internal(format!("corrupt data: {d}")),
            StoreError::Database(d) => AppError::Internal(format!("database: {d}")),
        }
    }
}

impl From<ProjectErrors> for AppError {
    fn from(e: ProjectErrors) -> Self {
        AppError::InvalidProject(e)
    }
}

/// Marks a response as an unrendered error; the middleware renders it.
#[derive(Debug, Clone)]
pub struct ErrorMarker(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(ErrorMarker(Arc::new(self)));
        res
    }
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        let all = [
            AppError::Unauthenticated,
            AppError::LoginFailed,
            AppError::Throttled { minutes: 15 },
            AppError::Csrf,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::InvalidRequest { detail: "x".into() },
            AppError::InvalidField {
                field: "email".into(),
            },
            AppError::InvalidProject(ProjectErrors(vec![])),
            AppError::InvalidImport {
                file: "a.csv".into(),
                errors: machi_report::import::ImportErrors(vec![]),
            },
            AppError::IdChanged { id: "x".into() },
            AppError::Duplicate { what: "email" },
            AppError::Duplicate {
                what: "project-slug",
            },
            AppError::Duplicate {
                what: "organisation",
            },
            AppError::Conflict {
                base: 1,
                current: 2,
            },
            AppError::Busy { seconds: 10 },
            AppError::ParseTimeout { seconds: 15 },
            AppError::PayloadTooLarge {
                limit: 5 * 1024 * 1024,
            },
            AppError::UnsupportedMediaType,
            AppError::Internal("boom".into()),
        ];
        for e in all {
            for &lang in Lang::ALL {
                let m = e.message(lang);
                assert!(!m.contains("⟦missing"), "{lang} {}: {m}", e.code());
                assert!(
                    !m.contains('{'),
                    "{lang} {}: unfilled placeholder in {m}",
                    e.code()
                );
            }
        }
        assert_eq!(
            AppError::Throttled { minutes: 15 }.message(Lang::En),
            "Too many failed log-ins. Try again in 15 minutes."
        );
    }

    #[test]
    fn store_errors_map_to_statuses() {
        let e: AppError = StoreError::Conflict {
            base: 1,
            current: 3,
        }
        .into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.code(), "conflict");
        let e: AppError = StoreError::NotFound { what: "project" }.into();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e: AppError = StoreError::Database("gone".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // The database's words never reach the user.
        assert!(!e.message(Lang::En).contains("gone"));
    }
}
