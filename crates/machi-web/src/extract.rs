//! The request extractors: the one place where a handler's preamble — who
//! is signed in, which project, may they do this — is written.
//!
//! - [`Signed`]: the signed-in user (else 401, which a page turns into the
//!   log-in form).
//! - [`Can<A>`]: the signed-in user, allowed an action outside any project
//!   ([`CreateProject`], [`ManageUsers`], [`ViewAudit`]), else 403 — decided
//!   before the body is read, like a project's permission.
//! - [`ProjectAt<A>`]: the signed-in user, the project of the `{id}` path
//!   parameter and the permission decision for the action `A` ([`View`] or
//!   [`Edit`]), looked up once. A project the user may not see is 404 (its
//!   existence is not revealed), one they may see but not act on is 403.
//!   Extractors run before the body is read, so an outsider learns nothing
//!   from a body's errors.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use machi_i18n::Lang;
use machi_store::{ProjectKey, StoredVersion, User};

use crate::ctx::{Ctx, SessionUser};
use crate::error::{AppError, AppResult};
use crate::permissions::{Action, ProjectAccess, can};
use crate::service::projects::{self, Allowed};
use crate::state::AppState;

/// The signed-in user of a request, with its context.
pub struct Signed {
    /// The request's context (language, CSRF token, path).
    pub ctx: Ctx,
    /// The signed-in user and their organisation.
    pub me: Arc<SessionUser>,
    /// The shared state.
    pub state: AppState,
}

impl Signed {
    /// The user.
    pub fn user(&self) -> &User {
        &self.me.user
    }

    /// The language of the answer.
    pub fn lang(&self) -> Lang {
        self.ctx.lang
    }

    /// [`AppError::Forbidden`] unless the user may do `action` (an action
    /// outside any project: create, audit, manage users).
    pub fn require(&self, action: Action) -> AppResult<()> {
        if can(self.user(), action, ProjectAccess::Outsider) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let me = ctx.user.clone().ok_or(AppError::Unauthenticated)?;
        Ok(Signed {
            ctx,
            me,
            state: state.clone(),
        })
    }
}

/// The signed-in user, allowed `A::ACTION` (an action outside any project).
pub struct Can<A: Need> {
    /// The signed-in user and the request.
    pub signed: Signed,
    need: PhantomData<A>,
}

impl<A: Need> std::ops::Deref for Can<A> {
    type Target = Signed;

    fn deref(&self) -> &Signed {
        &self.signed
    }
}

impl<A: Need> FromRequestParts<AppState> for Can<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let signed = Signed::from_request_parts(parts, state).await?;
        signed.require(A::ACTION)?;
        Ok(Can {
            signed,
            need: PhantomData,
        })
    }
}

/// The action a [`ProjectAt`] or [`Can`] was allowed for.
pub trait Need: Send + Sync {
    /// The action.
    const ACTION: Action;
}

/// Reading a project.
pub struct View;
/// Changing a project.
pub struct Edit;

/// Creating a project.
pub struct CreateProject;
/// Managing users and organisations.
pub struct ManageUsers;
/// Reading the audit log.
pub struct ViewAudit;

impl Need for View {
    const ACTION: Action = Action::ViewProject;
}
impl Need for Edit {
    const ACTION: Action = Action::EditProject;
}
impl Need for CreateProject {
    const ACTION: Action = Action::CreateProject;
}
impl Need for ManageUsers {
    const ACTION: Action = Action::ManageUsers;
}
impl Need for ViewAudit {
    const ACTION: Action = Action::ViewAudit;
}

/// The project of the `{id}` path parameter, which the signed-in user may
/// do `A::ACTION` on.
pub struct ProjectAt<A: Need> {
    /// The request's context.
    pub ctx: Ctx,
    /// The signed-in user.
    pub me: Arc<SessionUser>,
    /// The project and how the user relates to it.
    pub allowed: Allowed,
    /// The shared state.
    pub state: AppState,
    need: PhantomData<A>,
}

impl<A: Need> ProjectAt<A> {
    /// The user.
    pub fn user(&self) -> &User {
        &self.me.user
    }

    /// The project's key.
    pub fn key(&self) -> ProjectKey {
        self.allowed.key
    }

    /// The project's id as in URLs.
    pub fn id(&self) -> i64 {
        self.allowed.key.0
    }

    /// The language of the answer.
    pub fn lang(&self) -> Lang {
        self.ctx.lang
    }

    /// Whether the user may also do `action` on the project.
    pub fn may(&self, action: Action) -> bool {
        self.allowed.may(self.user(), action)
    }

    /// A version (the latest when `None`).
    pub async fn version(&self, version: Option<i64>) -> AppResult<StoredVersion> {
        projects::version(&self.state, self.key(), version).await
    }
}

impl<A: Need> FromRequestParts<AppState> for ProjectAt<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let me = ctx.user.clone().ok_or(AppError::Unauthenticated)?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::InvalidRequest {
                detail: e.body_text(),
            })?;
        let raw = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v);
        let id = raw.ok_or(AppError::NotFound)?.parse::<i64>().map_err(|_| {
            AppError::InvalidRequest {
                detail: format!(
                    "the project id must be a whole number: {}",
                    raw.unwrap_or("")
                ),
            }
        })?;
        let allowed = projects::project(state, &me.user, ProjectKey(id), A::ACTION).await?;
        Ok(ProjectAt {
            ctx,
            me,
            allowed,
            state: state.clone(),
            need: PhantomData,
        })
    }
}
