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
use crate::middleware;
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

/// Answers every operation can give, documented once here rather than on
/// each: 400 for a malformed path, query or body; 401 where a session is
/// needed; 404 where a path names a project; and for writes 403 (CSRF
/// token or another site's `Origin`), 413 (over the size limit) and 415
/// (not JSON). An operation's own description of a status wins.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, ResponseBuilder};
        let answer = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorResponse")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.delete.as_mut()),
            ];
            for (write, op) in ops {
                let Some(op) = op else { continue };
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut add = |code: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| answer(description).into());
                };
                if path.ends_with("openapi.json") {
                    continue;
                }
                add(
                    "400",
                    "The path, query or body is malformed; `detail` says where",
                );
                if secured {
                    add("401", "Not logged in");
                }
                if path.contains("{id}") {
                    add(
                        "404",
                        "No such project or version, or not visible to the user",
                    );
                }
                if write {
                    add(
                        "403",
                        "Not allowed, a missing CSRF token, or a request from another site",
                    );
                    add("413", "The body is larger than the limit");
                    add("415", "The body is not JSON");
                    add(
                        "422",
                        "Well-formed, but a value does not hold (an unknown reference, a rule of the domain); the message and `problems` say which",
                    );
                }
            }
        }
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
    components(schemas(ErrorResponse, ErrorBody, Problem, types::LangParam, admin::AuditEntity)),
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
        .routes(guarded(routes!(openapi)))
        .routes(guarded(routes!(
            session::login,
            session::whoami,
            session::logout
        )))
        .routes(guarded(routes!(session::set_lang)))
        .routes(guarded(routes!(projects::list, projects::create)))
        .routes(guarded(routes!(projects::get, projects::save)))
        .routes(guarded(routes!(projects::versions)))
        .routes(guarded(routes!(projects::evaluation)))
        .routes(guarded(routes!(projects::document_toml)))
        .routes(guarded(routes!(projects::set_organisations)))
        .routes(guarded(routes!(projects::preview)))
        .routes(guarded(routes!(versions::compare)))
        .routes(guarded(routes!(versions::restore)))
        .routes(guarded(routes!(transfer::export_xlsx)))
        .routes(guarded(routes!(transfer::export_csv)))
        .routes(guarded(routes!(transfer::import)))
        .routes(guarded(routes!(programs::check_all)))
        .routes(guarded(routes!(programs::fund)))
        .routes(guarded(routes!(admin::users, admin::create_user)))
        .routes(guarded(routes!(admin::create_org)))
        .routes(guarded(routes!(admin::audit)))
}

/// A route with the write guard on its methods.
fn guarded(
    (schemas, paths, route): utoipa_axum::router::UtoipaMethodRouter<AppState>,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (schemas, paths, middleware::guarded(route))
}

/// The API routes (full paths, `/api/v1/…`).
pub fn routes() -> Router<AppState> {
    declared().split_for_parts().0
}

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = declared().split_for_parts().1;
        // After the routes are in: it walks their operations.
        CommonAnswers.modify(&mut doc);
        let mut json = serde_json::to_value(&doc).unwrap_or_default();
        with_project_file_schema(&mut json);
        serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
    .clone()
}

/// Puts the project file's own JSON Schema (`docs/project-file.schema.json`,
/// generated from the domain types) into the document as the schema
/// `ProjectFile` — its parts as `ProjectFile.<name>` — and makes every
/// `document` field of the API refer to it. So the API says exactly what a
/// document must be: the keys it allows, their types and values (OpenAPI
/// 3.1 schemas are JSON Schema 2020-12, as the file's is).
fn with_project_file_schema(doc: &mut serde_json::Value) {
    let mut file = machi_domain::project::json_schema();
    let defs = file
        .as_object_mut()
        .and_then(|o| {
            o.remove("$schema");
            o.remove("$id");
            o.remove("$defs")
        })
        .unwrap_or_default();
    fn rename_refs(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(serde_json::Value::String(r)) = o.get_mut("$ref")
                    && let Some(name) = r.strip_prefix("#/$defs/")
                {
                    *r = format!("#/components/schemas/ProjectFile.{name}");
                }
                o.values_mut().for_each(rename_refs);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(rename_refs),
            _ => {}
        }
    }
    rename_refs(&mut file);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    if let serde_json::Value::Object(defs) = defs {
        for (name, mut def) in defs {
            rename_refs(&mut def);
            schemas.insert(format!("ProjectFile.{name}"), def);
        }
    }
    schemas.insert("ProjectFile".into(), file);
    for holder in [
        "CreateProjectRequest",
        "SaveProjectRequest",
        "PreviewRequest",
        "ProjectDocument",
    ] {
        if let Some(field) = schemas
            .get_mut(holder)
            .and_then(|h| h.pointer_mut("/properties/document"))
        {
            let description = field.get("description").cloned();
            let mut r = serde_json::json!({ "$ref": "#/components/schemas/ProjectFile" });
            if let Some(d) = description {
                r["description"] = d;
            }
            *field = r;
        }
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}
