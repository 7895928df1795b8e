//! The REST API under `/api/v1`, one module per area (`session`,
//! `projects`, `versions`, `transfer`, `programs`, `admin`): the same rules
//! as the pages (both go through [`crate::service`] and the extractors of
//! [`crate::extract`]), JSON in and out, errors as
//! `{"error": {"code": "...", "message": "..."}}` with a stable code and a
//! message in the requested language (`?lang=`, else `Accept-Language`).
//!
//! Each route is declared once: its `#[utoipa::path]` annotation is both
//! the route (through `utoipa-axum`'s `routes!`) and its documentation, so
//! the OpenAPI document (`GET /api/v1/openapi.json`, snapshot-tested) cannot
//! drift from the router.
//!
//! Authentication: `POST /api/v1/session` with e-mail and password sets the
//! session cookie and returns the CSRF token, which every mutating call must
//! send as `X-CSRF-Token`.
//!
//! Lifecycle areas (calls, applications, reviews, matching, KPIs, risk) get
//! a module (or directory) here each, added to [`routes`].

mod admin;
mod programs;
mod projects;
mod session;
mod transfer;
mod types;
mod versions;

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::respond::json::{ErrorBody, ErrorResponse, Problem};
use crate::state::AppState;

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

/// The document's head; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "machi API",
        version = "1",
        description = "Smart-city projects, their versions and their evaluation. Errors are `{\"error\": {\"code\", \"message\"}}` with stable codes; messages follow `?lang=` or `Accept-Language` (ja, en).",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorResponse, ErrorBody, Problem)),
    modifiers(&Security),
    tags(
        (name = "session", description = "Log-in and log-out"),
        (name = "projects", description = "Projects, versions and evaluations"),
        (name = "transfer", description = "Excel and CSV in and out"),
        (name = "programs", description = "Funding programs: eligibility, sizing and the funding stack"),
        (name = "admin", description = "Users, organisations and the audit log"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// Every API route with its documentation, declared once.
fn declared() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi))
        .routes(routes!(session::login, session::whoami, session::logout))
        .routes(routes!(session::set_lang))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get, projects::save))
        .routes(routes!(projects::versions))
        .routes(routes!(projects::evaluation))
        .routes(routes!(projects::document_toml))
        .routes(routes!(projects::set_organisations))
        .routes(routes!(projects::preview))
        .routes(routes!(versions::compare))
        .routes(routes!(versions::restore))
        .routes(routes!(transfer::export_xlsx))
        .routes(routes!(transfer::export_csv))
        .routes(routes!(transfer::import))
        .routes(routes!(programs::check_all))
        .routes(routes!(programs::fund))
        .routes(routes!(admin::users, admin::create_user))
        .routes(routes!(admin::create_org))
        .routes(routes!(admin::audit))
}

/// The API routes (full paths, `/api/v1/…`).
pub fn routes() -> Router<AppState> {
    declared().split_for_parts().0
}

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        declared()
            .split_for_parts()
            .1
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
    .clone()
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}
