//! What every handler knows about its request ([`Ctx`]): the language, the
//! signed-in user, the CSRF token forms must echo. The middleware
//! ([`crate::middleware`]) builds it once per request.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use machi_i18n::Lang;
use machi_store::{Organisation, Role, User};

use crate::error::{AppError, AppResult};
use crate::permissions::{Action, ProjectAccess, can};

/// The logged-in user of a request.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The user.
    pub user: User,
    /// Their organisation.
    pub org: Option<Organisation>,
    /// The session's token hash (to end it).
    pub token_hash: String,
}

/// What every handler knows about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The language of the answer.
    pub lang: Lang,
    /// The logged-in user, if any.
    pub user: Option<Arc<SessionUser>>,
    /// The CSRF token forms must echo: the session's, or the pre-session one.
    pub csrf: String,
    /// Path and query of the request (where to come back after a switch).
    pub path: String,
    /// Whether the request is for the API.
    pub api: bool,
    /// The client's address (the TCP peer), when known.
    pub client: Option<std::net::IpAddr>,
    /// Whether `csrf` was issued by this very response (a pre-session token
    /// not yet in the browser's cookie), so no form can have echoed it.
    pub csrf_fresh: bool,
}

impl Ctx {
    /// The logged-in user, or [`AppError::Unauthenticated`].
    pub fn user(&self) -> AppResult<&SessionUser> {
        self.user.as_deref().ok_or(AppError::Unauthenticated)
    }

    /// A message from the catalogue.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A message with one placeholder filled.
    pub fn tf1(&self, key: &str, name: &str, value: &dyn std::fmt::Display) -> String {
        self.lang.tf(key, &[(name, value)])
    }

    /// Whether the page is in English.
    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }

    /// `ja` or `en`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// Name of the logged-in user (empty if none).
    pub fn user_name(&self) -> &str {
        self.user
            .as_deref()
            .map_or("", |u| u.user.display_name.as_str())
    }

    /// Name of the user's organisation in the page's language.
    pub fn org_name(&self) -> &str {
        self.user
            .as_deref()
            .and_then(|u| u.org.as_ref())
            .map_or("", |o| org_name(o, self.lang))
    }

    /// The user's role, translated.
    pub fn role_label(&self) -> &'static str {
        self.user
            .as_deref()
            .map_or("", |u| role_label(self.lang, u.user.role))
    }

    /// Whether someone is logged in.
    pub fn logged_in(&self) -> bool {
        self.user.is_some()
    }

    /// Whether the user may do a non-project action.
    pub fn may(&self, action: Action) -> bool {
        self.user
            .as_deref()
            .is_some_and(|u| can(&u.user, action, ProjectAccess::Outsider))
    }

    /// Whether the user may create projects (for the navigation).
    pub fn may_create(&self) -> bool {
        self.may(Action::CreateProject)
    }

    /// Whether the user may read the audit log.
    pub fn may_audit(&self) -> bool {
        self.may(Action::ViewAudit)
    }

    /// Whether the user may manage users.
    pub fn may_manage_users(&self) -> bool {
        self.may(Action::ManageUsers)
    }
}

/// An organisation's name in `lang` (Japanese if no English).
pub fn org_name(o: &Organisation, lang: Lang) -> &str {
    if lang == Lang::En && !o.name_en.trim().is_empty() {
        &o.name_en
    } else {
        &o.name_ja
    }
}

/// A role's label.
pub fn role_label(lang: Lang, role: Role) -> &'static str {
    lang.t(&format!("web.role.{}", role.as_str()))
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal("request context missing".into()))
    }
}
