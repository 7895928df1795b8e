//! machi's web application: the HTML pages (askama templates + htmx), the
//! REST API under `/api/v1` with its OpenAPI document, accounts, sessions
//! and permissions. `machi serve` (crate `machi-cli`) opens a
//! [`machi_store::Store`] and hands it to [`router`].
//!
//! # Code map
//!
//! Bottom to top; a file imports only files below it (a test holds it):
//!
//! | module | what |
//! |---|---|
//! | [`error`] | the one [`AppError`] with stable codes |
//! | `respond` | an error rendered: `respond/json.rs` (API) and `respond/html.rs` (pages, log-in redirect) |
//! | [`permissions`] | the pure `can(user, action, access)` and its matrix |
//! | [`auth`] | argon2id hashes, session tokens, cookies, constant-time comparison |
//! | [`state`] | [`AppState`] (the store, the settings) and [`AppConfig`] |
//! | `http` | small HTTP helpers: redirects, cookies on a response, downloads |
//! | [`ctx`] | [`ctx::Ctx`]: what a handler knows about its request |
//! | [`middleware`] | per request: tracing span, session, language, CSRF, error rendering |
//! | [`service`] | the rules pages and API share, per aggregate (`projects`, `session`, `admin`) |
//! | `extract` | the request extractors: signed-in user, project + permission, once |
//! | `view`, `diff`, `programs_view` | formatting for people: yen, fiscal years, tables, charts, changes, program verdicts |
//! | `pages` | HTML handlers per area (`session`, `projects/`, `admin`) and templates (`templates/`) |
//! | [`api`] | JSON handlers per area, `utoipa` annotations that are also the routes, the OpenAPI document |
//! | [`demo`] | demo organisations, users and projects (`machi serve --demo`) |
//! | `assets` | the CSS, JS and vendored libraries (`static/`), embedded in the binary |
//!
//! # Architecture invariants
//!
//! - **Handlers are thin**: an extractor decides who and may they, once;
//!   the handler parses, calls `service`, the domain or the engine, and
//!   renders. Rules live in `permissions`, `service` and the pure crates.
//! - **Every page action has an API twin** with the same permission
//!   ([`page_actions`], tested against the OpenAPI document).
//! - **Same rules for pages and API**: both go through `service`.
//! - **One error type** becomes every error response, in the user's language,
//!   with a stable code; nobody sees a panic or a stack trace.
//! - **No lost work**: every edit names the version it was based on; the
//!   store's compare-and-set refuses a stale save (HTTP 409), and the page
//!   shows both versions side by side.
//! - **Nothing from another host**: every script, style and font reference
//!   is served by machi itself (Content-Security-Policy `default-src 'self'`).

pub mod api;
mod assets;
pub mod auth;
pub mod ctx;
pub mod demo;
mod diff;
pub mod error;
mod extract;
mod http;
pub mod middleware;
mod pages;
pub mod permissions;
mod programs_view;
mod respond;
pub mod service;
pub mod state;
mod view;

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::{AppError, AppResult};
pub use pages::{PageAction, Twin};
pub use state::{AppConfig, AppState};

/// Every page action as declared, with its API twin (for the parity test).
pub fn page_actions() -> Vec<PageAction> {
    pages::actions()
}

/// The whole application: pages, API, static files, middleware.
pub fn router(state: AppState) -> Router {
    let dynamic = Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .fallback(not_found)
        // Innermost: a panic becomes an error response the middleware renders.
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("handler panicked");
            axum::response::IntoResponse::into_response(AppError::Internal("panic".into()))
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::middleware,
        ))
        .layer(DefaultBodyLimit::max(state.config().max_upload_bytes));
    dynamic
        .merge(assets::routes())
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .with_state(state)
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight. Expired sessions are purged every hour meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purger = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(e) = state.store().purge_sessions(chrono::Utc::now()).await {
                    tracing::warn!(error = %e, "purging sessions failed");
                }
            }
        })
    };
    // The peer's address reaches the log-in throttle (per-client limit).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    purger.abort();
    result
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tidy {
    use machi_i18n::Lang;

    /// Every literal message key (`"web.…"`, `"report.…"`) in the templates
    /// and the sources exists in both languages. Keys built at run time
    /// (`format!("web.app.{key}")`) are covered by the integration tests,
    /// which fail on any "missing message" in a response.
    #[test]
    fn literal_message_keys_exist() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "templates",
            "src",
            "src/pages",
            "src/pages/projects",
            "src/pages/projects/model",
            "src/api",
            "src/error",
            "src/respond",
            "src/service",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "html" || x == "rs") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 10, "found the sources");
        let mut checked = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for part in text.split('"').skip(1).step_by(2) {
                let is_key = (part.starts_with("web.") || part.starts_with("report."))
                    && part.len() > 6
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                    && !part.ends_with('.');
                if is_key {
                    checked += 1;
                    for &lang in Lang::ALL {
                        assert!(lang.has(part), "{}: {part} missing in {lang}", f.display());
                    }
                }
            }
        }
        assert!(checked > 100, "checked {checked} keys");
    }
}
