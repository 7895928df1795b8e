//! The HTML pages. Each handler parses its input, asks `service` (which asks
//! `permissions::can`), and renders an askama template from `templates/`.
//! Every text comes from the catalogue (`web.*`, `report.*` keys).

mod admin;
mod edit;
mod model;
mod projects;
mod transfer;
mod versions;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use machi_i18n::Lang;
use machi_store::{OrgId, Organisation, Role, User, UserId, VariantArray as _};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, LANG_COOKIE};
use crate::context::{Ctx, org_name, role_label};
use crate::error::{AppError, AppResult};
use crate::permissions::{Action, ProjectAccess, can};
use crate::service;
use crate::view;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
        .route("/dashboard", get(dashboard))
        .merge(projects::routes())
        .merge(model::routes())
        .merge(transfer::routes())
        .merge(versions::routes())
        .merge(admin::routes())
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
        Opt {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// Renders a template as a page with `status`.
pub fn page_with(status: StatusCode, t: &impl Template) -> AppResult<Response> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok((status, Html(html)).into_response())
}

/// Renders a template as a 200 page.
pub fn page(t: &impl Template) -> AppResult<Response> {
    page_with(StatusCode::OK, t)
}

/// A redirect after a POST (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|q| q.trim_start_matches("x=").to_owned())
        .unwrap_or_default()
}

/// Where to go after log-in or a language switch: a local path only, so the
/// form cannot be used to send people to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/dashboard".to_owned(),
    }
}

/// The kebab-case name of a serde enum value (`problem-solving`).
pub fn kebab<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The header of a conflict page: who saved which version since the one the
/// user edited, and the label of their column. Both conflict pages (the
/// application form and the model editor) say it the same way.
pub fn conflict_header(
    lang: Lang,
    names: &Names,
    base: i64,
    theirs: &machi_store::VersionMeta,
) -> (String, String) {
    let message = lang.tf(
        "web.conflict.message",
        &[
            ("base", &base),
            ("current", &theirs.version),
            ("author", &names.user(theirs.author)),
            ("when", &view::when(theirs.created_at)),
        ],
    );
    let label = lang.tf("web.conflict.theirs", &[("version", &theirs.version)]);
    (message, label)
}

/// Names of organisations and users, for showing ids.
pub struct Names {
    orgs: Vec<Organisation>,
    users: Vec<User>,
    lang: Lang,
}

impl Names {
    pub async fn load(state: &AppState, lang: Lang) -> AppResult<Names> {
        Ok(Names {
            orgs: state.store().organisations().await?,
            users: state.store().users().await?,
            lang,
        })
    }

    pub fn org(&self, id: OrgId) -> String {
        self.orgs
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| format!("#{id}"), |o| org_name(o, self.lang).to_owned())
    }

    pub fn user(&self, id: UserId) -> String {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("#{id}"), |u| u.display_name.clone())
    }

    pub fn orgs(&self) -> &[Organisation] {
        &self.orgs
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    code: &'static str,
    title: &'static str,
    message: String,
    problems: Vec<String>,
}

/// The page of an error (the middleware calls this).
pub fn error_page(_state: &AppState, ctx: &Ctx, err: &AppError) -> Response {
    let status = err.status();
    let title_key = format!("web.error.title.{}", status.as_u16());
    let title = if ctx.lang.has(&title_key) {
        ctx.t(&title_key)
    } else {
        ctx.t("web.error.title.other")
    };
    let t = ErrorPage {
        ctx,
        code: err.code(),
        title,
        message: err.message(ctx.lang),
        problems: err.problems(ctx.lang),
    };
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        // The error page itself failed: plain text in both languages.
        Err(_) => (
            status,
            "エラーが発生しました / An error occurred".to_owned(),
        )
            .into_response(),
    }
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
    match auth::login(&state, &f.email, &f.password).await {
        Ok(issued) => {
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
                state
                    .store()
                    .set_user_lang(issued.user.id, lang.code())
                    .await?;
            }
            let mut res = see_other(&safe_next(f.next.as_deref()));
            set_cookie(&mut res, &auth::session_cookie(&state, &issued.token));
            Ok(res)
        }
        Err(e @ (AppError::LoginFailed | AppError::Throttled { .. })) => {
            let mut res = page_with(
                e.status(),
                &LoginPage {
                    ctx: &ctx,
                    error: Some(e.message(ctx.lang)),
                    error_code: e.code(),
                    email: f.email.clone(),
                    next: safe_next(f.next.as_deref()),
                },
            )?;
            if let AppError::Throttled { minutes } = e
                && let Ok(v) = HeaderValue::from_str(&(minutes * 60).to_string())
            {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

pub fn set_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    if let Some(u) = &ctx.user {
        state.store().delete_session(&u.token_hash).await?;
    }
    let mut res = see_other("/login");
    set_cookie(&mut res, &auth::clear_session_cookie(&state));
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

async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let projects = service::visible_projects(&state, me).await?;
    let names = Names::load(&state, ctx.lang).await?;
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
        ctx: &ctx,
        projects: rows,
        scope: ctx.t(scope),
        empty: ctx.t(empty),
    })
}

/// Role options for a select.
pub fn role_options(lang: Lang, selected: Option<Role>) -> Vec<Opt> {
    Role::VARIANTS
        .iter()
        .map(|r| Opt::new(r.as_str(), role_label(lang, *r), Some(*r) == selected))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/projects/1")), "/projects/1");
        assert_eq!(safe_next(Some("//evil.example/")), "/dashboard");
        assert_eq!(safe_next(Some("https://evil.example/")), "/dashboard");
        assert_eq!(safe_next(Some("/\\evil.example")), "/dashboard");
        assert_eq!(safe_next(None), "/dashboard");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            url_encode("/projects/1?version=2"),
            "%2Fprojects%2F1%3Fversion%3D2"
        );
    }
}
