//! The HTML pages, one module per area: `session` (log-in, language,
//! dashboard), `projects` (a project, its application form, model editor,
//! versions, Excel/CSV), `admin` (users, organisations, audit log). Each
//! handler takes an extractor from [`crate::extract`] (who, which project,
//! may they), calls a `service` function and renders an askama template from
//! `templates/`. Every text comes from the catalogue (`web.*`, `report.*`).
//!
//! Every route is declared once, with its API twin ([`Twin`]); the parity
//! test holds the twins to the OpenAPI document.
//!
//! Lifecycle areas (calls, applications, reviews, matching, KPIs, risk) get
//! a directory here each, with the same shape as `projects/`.

mod admin;
mod common;
mod projects;
mod session;

pub use common::{PageAction, Twin};

use common::PageRoutes;

fn declared() -> PageRoutes {
    session::routes()
        .merge(projects::routes())
        .merge(admin::routes())
}

/// Every page route.
pub fn routes() -> axum::Router<crate::state::AppState> {
    declared().router
}

/// Every page action as declared, with its API twin.
pub fn actions() -> Vec<PageAction> {
    declared().actions
}
