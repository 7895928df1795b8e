//! The static files, embedded in the binary: machi's CSS and script, and the
//! vendored htmx and Chart.js (from the npm registry, with their licences;
//! see `static/vendor/README.md`). Nothing is fetched from any other host.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// (path under `/static/`, content type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../static/favicon.svg"),
    ),
    (
        "vendor/htmx/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/htmx/htmx.min.js"),
    ),
    (
        "vendor/htmx/LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../static/vendor/htmx/LICENSE"),
    ),
    (
        "vendor/chart.js/chart.umd.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/chart.js/chart.umd.min.js"),
    ),
    (
        "vendor/chart.js/LICENSE.md",
        "text/plain; charset=utf-8",
        include_bytes!("../static/vendor/chart.js/LICENSE.md"),
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(file))
        // Browsers ask for it whatever the page says.
        .route("/favicon.ico", get(|| file(Path("favicon.svg".to_owned()))))
}

async fn file(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(p, _, _)| *p == path) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, *ct),
                // Files change only with a new binary; an hour keeps
                // upgrades visible soon enough.
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
