//! Signing in and out, the language switch and the dashboard.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use machi_i18n::Lang;
use serde::Deserialize;

use super::common::{Names, PageRoutes, Twin, page, page_with};
use crate::auth::{self, LANG_COOKIE};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::extract::Signed;
use crate::http::{safe_next, see_other, set_cookie};
use crate::permissions::{Action, ProjectAccess, can};
use crate::service::{projects as service, session};
use crate::state::AppState;
use crate::view;

pub fn routes() -> PageRoutes {
    PageRoutes::new()
        .get(
            "/",
            home,
            Twin::PageOnly("redirects to the dashboard or the log-in form"),
        )
        .get(
            "/healthz",
            healthz,
            Twin::PageOnly("a liveness probe for load balancers"),
        )
        .get(
            "/login",
            login_form,
            Twin::PageOnly("the log-in form itself"),
        )
        .post("/login", login, Twin::Api("POST /api/v1/session"))
        .post("/logout", logout, Twin::Api("DELETE /api/v1/session"))
        .post("/lang", switch_lang, Twin::Api("PUT /api/v1/session/lang"))
        .get("/dashboard", dashboard, Twin::Api("GET /api/v1/projects"))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn home(ctx: Ctx) -> Response {
    if ctx.logged_in() {
        see_other("/dashboard")
    } else {
        see_other("/login")
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    error: Option<String>,
    error_code: &'static str,
    email: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> AppResult<Response> {
    if ctx.logged_in() {
        return Ok(see_other(&safe_next(q.next.as_deref())));
    }
    page(&LoginPage {
        ctx: &ctx,
        error: None,
        error_code: "",
        email: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Logs in. A language chosen on the log-in page (the `machi_lang`
/// cookie) is the user's latest explicit choice, so it is saved on the user.
async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    match session::login(&state, &f.email, &f.password, ctx.client).await {
        Ok(issued) => signed_in(&state, &ctx, &headers, &issued, f.next.as_deref()).await,
        Err(e @ (AppError::LoginFailed | AppError::Throttled { .. })) => refused(&ctx, &e, &f),
        Err(e) => Err(e),
    }
}

/// After a log-in: the previous session ends, a language chosen on the
/// log-in page (the `machi_lang` cookie) is the user's latest explicit
/// choice and is saved on the user, and the browser goes where it wanted.
async fn signed_in(
    state: &AppState,
    ctx: &Ctx,
    headers: &axum::http::HeaderMap,
    issued: &session::Issued,
    next: Option<&str>,
) -> AppResult<Response> {
    if let Some(old) = &ctx.user {
        state.store().delete_session(&old.token_hash).await?;
    }
    let chosen = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| auth::cookie(c, LANG_COOKIE))
        .and_then(|l| l.parse::<Lang>().ok());
    if let Some(lang) = chosen
        && lang.code() != issued.user.lang
    {
        let store = state.store();
        store.set_user_lang(issued.user.id, lang.code()).await?;
    }
    let mut res = see_other(&safe_next(next));
    set_cookie(&mut res, &session::session_cookie(state, &issued.token));
    Ok(res)
}

/// The log-in form again with why not (and `Retry-After` when throttled).
fn refused(ctx: &Ctx, e: &AppError, f: &LoginForm) -> AppResult<Response> {
    let t = LoginPage {
        ctx,
        error: Some(e.message(ctx.lang)),
        error_code: e.code(),
        email: f.email.clone(),
        next: safe_next(f.next.as_deref()),
    };
    let mut res = page_with(e.status(), &t)?;
    if let Some(s) = e.retry_after() {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    Ok(res)
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    if let Some(u) = &ctx.user {
        state.store().delete_session(&u.token_hash).await?;
    }
    let mut res = see_other("/login");
    set_cookie(&mut res, &session::clear_session_cookie(&state));
    Ok(res)
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    next: Option<String>,
}

/// Switches the language: stored on the user when logged in, and in a
/// cookie either way (so the log-in page keeps it too).
async fn switch_lang(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LangForm>,
) -> AppResult<Response> {
    let lang: Lang = f.lang.parse().map_err(|_| AppError::InvalidField {
        field: "lang".into(),
    })?;
    if let Some(u) = &ctx.user {
        state.store().set_user_lang(u.user.id, lang.code()).await?;
    }
    let mut res = see_other(&safe_next(f.next.as_deref()));
    set_cookie(
        &mut res,
        &auth::set_cookie(
            LANG_COOKIE,
            lang.code(),
            60 * 60 * 24 * 365,
            state.config().secure_cookies,
            true,
        ),
    );
    Ok(res)
}

struct ProjectRow {
    id: i64,
    name: String,
    owner: String,
    version_label: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a Ctx,
    projects: Vec<ProjectRow>,
    scope: &'static str,
    empty: &'static str,
}

async fn dashboard(s: Signed) -> AppResult<Response> {
    let (state, ctx, me) = (&s.state, &s.ctx, s.user());
    let projects = service::visible_projects(state, me).await?;
    let names = Names::load(state, ctx.lang).await?;
    let rows = projects
        .iter()
        .map(|p| ProjectRow {
            id: p.id.0,
            name: if ctx.en() && !p.name_en.is_empty() {
                p.name_en.clone()
            } else {
                p.name_ja.clone()
            },
            owner: names.org(p.owner),
            version_label: ctx.tf1("web.versions.label", "version", &p.version),
            updated: format!(
                "{} · {}",
                view::when(p.updated_at),
                names.user(p.updated_by)
            ),
        })
        .collect();
    let (scope, empty) = if can(me, Action::ViewProject, ProjectAccess::Outsider) {
        ("web.dashboard.scope-all", "web.dashboard.empty")
    } else if can(me, Action::ViewProject, ProjectAccess::Member) {
        ("web.dashboard.scope-consortium", "web.dashboard.empty")
    } else {
        ("web.dashboard.scope-none", "web.dashboard.later")
    };
    page(&DashboardPage {
        ctx,
        projects: rows,
        scope: ctx.t(scope),
        empty: ctx.t(empty),
    })
}
