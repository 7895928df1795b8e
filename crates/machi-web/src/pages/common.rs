//! What every page shares: rendering a template, `<select>` options, the
//! names behind ids, the header of a conflict page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use machi_i18n::Lang;
use machi_store::{OrgId, Organisation, Role, User, UserId, VariantArray as _};

use crate::ctx::{org_name, role_label};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::view;

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
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

/// Role options for a select.
pub fn role_options(lang: Lang, selected: Option<Role>) -> Vec<Opt> {
    Role::VARIANTS
        .iter()
        .map(|r| Opt::new(r.as_str(), role_label(lang, *r), Some(*r) == selected))
        .collect()
}

/// A page action and its API twin: every action a page offers is also an
/// API operation with the same permission, or says why it is page-only.
#[derive(Debug, Clone, Copy)]
pub enum Twin {
    /// The API operation (`"GET /api/v1/projects/{id}"`).
    Api(&'static str),
    /// Page furniture with nothing to do through the API (a form to fill,
    /// a redirect); the reason is the sentence.
    PageOnly(&'static str),
}

/// One page route as declared.
#[derive(Debug, Clone, Copy)]
pub struct PageAction {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The route.
    pub path: &'static str,
    /// Its API twin.
    pub twin: Twin,
}

/// Page routes, each declared once with its API twin.
pub struct PageRoutes {
    /// The router.
    pub router: axum::Router<AppState>,
    /// What was declared.
    pub actions: Vec<PageAction>,
}

impl PageRoutes {
    /// No routes yet.
    pub fn new() -> PageRoutes {
        PageRoutes {
            router: axum::Router::new(),
            actions: Vec::new(),
        }
    }

    /// A GET page.
    pub fn get<H, T>(self, path: &'static str, handler: H, twin: Twin) -> PageRoutes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, axum::routing::get(handler), twin)
    }

    /// A POST action.
    pub fn post<H, T>(self, path: &'static str, handler: H, twin: Twin) -> PageRoutes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, axum::routing::post(handler), twin)
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: axum::routing::MethodRouter<AppState>,
        twin: Twin,
    ) -> PageRoutes {
        self.router = self.router.route(path, crate::middleware::guarded(route));
        self.actions.push(PageAction { method, path, twin });
        self
    }

    /// Both sets of routes.
    pub fn merge(mut self, other: PageRoutes) -> PageRoutes {
        self.router = self.router.merge(other.router);
        self.actions.extend(other.actions);
        self
    }
}
