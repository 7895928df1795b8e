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
                AppError::InvalidRequest { detail } => Some(plain_words(detail)),
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

/// A parser's message in words a client's author reads, without Rust's type
/// names: `Cannot parse "abc" to a i64` → "abc" is not a whole number,
/// `expected i64` → expected a whole number.
pub fn plain_words(detail: &str) -> String {
    const WHOLE: [&str; 8] = ["i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8"];
    let mut out = detail.to_owned();
    if let Some(rest) = out.strip_prefix("Cannot parse ")
        && let Some((value, _)) = rest.rsplit_once(" to a ")
    {
        out = format!("{value} is not a whole number");
    }
    for t in WHOLE {
        for (from, to) in [
            (format!("`{t}`"), "a whole number"),
            (format!("expected {t}"), "expected a whole number"),
            (format!("a {t}"), "a whole number"),
        ] {
            out = out.replace(&from, to);
        }
    }
    out.replace("expected f64", "expected a number")
        .replace("floating point", "number")
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn parser_words_lose_rust_type_names() {
        assert_eq!(
            plain_words("Cannot parse `abc` to a `i64`"),
            "`abc` is not a whole number"
        );
        assert_eq!(
            plain_words("invalid type: floating point `312.5`, expected i64 at line 1 column 9"),
            "invalid type: number `312.5`, expected a whole number at line 1 column 9"
        );
        assert_eq!(
            plain_words("missing field `document` at line 1 column 2"),
            "missing field `document` at line 1 column 2"
        );
    }
}
