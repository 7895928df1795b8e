//! Log-in, who am I, log-out and the language setting.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use machi_i18n::Lang;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::{UserInfo, json_body};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::extract::Signed;
use crate::http::set_cookie;
use crate::respond::json::ErrorResponse;
use crate::service::session;
use crate::state::AppState;

/// Log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The logged-in user and the CSRF token of the session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// The user.
    pub user: UserInfo,
    /// Send as `X-CSRF-Token` with every mutating call.
    pub csrf_token: String,
}

/// Opens a session.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionInfo),
        (status = 401, description = "Wrong e-mail or password", body = ErrorResponse),
        (status = 429, description = "Too many failed log-ins for this e-mail", body = ErrorResponse),
    ))]
pub async fn login(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> AppResult<Response> {
    let req: LoginRequest = json_body(&body)?;
    let issued = session::login(&state, &req.email, &req.password, ctx.client).await?;
    if let Some(old) = &ctx.user {
        state.store().delete_session(&old.token_hash).await?;
    }
    let mut res = Json(SessionInfo {
        user: UserInfo::from(&issued.user),
        csrf_token: issued.csrf,
    })
    .into_response();
    set_cookie(&mut res, &session::session_cookie(&state, &issued.token));
    Ok(res)
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    security(("session" = [])),
    responses(
        (status = 200, body = SessionInfo),
        (status = 401, body = ErrorResponse),
    ))]
pub async fn whoami(s: Signed) -> AppResult<Json<SessionInfo>> {
    Ok(Json(SessionInfo {
        user: UserInfo::from(s.user()),
        csrf_token: s.ctx.csrf.clone(),
    }))
}

/// Ends the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    security(("session" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = ErrorResponse),
        (status = 403, description = "Missing CSRF token", body = ErrorResponse),
    ))]
pub async fn logout(s: Signed) -> AppResult<Response> {
    s.state.store().delete_session(&s.me.token_hash).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut res, &session::clear_session_cookie(&s.state));
    Ok(res)
}

/// A language setting.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LangRequest {
    /// `ja` or `en`.
    pub lang: String,
}

/// Sets the user's language (pages and messages).
#[utoipa::path(put, path = "/api/v1/session/lang", tag = "session",
    security(("session" = [], "csrf" = [])),
    request_body = LangRequest,
    responses(
        (status = 200, body = UserInfo),
        (status = 400, description = "Not `ja` or `en`", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
    ))]
pub async fn set_lang(s: Signed, body: Bytes) -> AppResult<Json<UserInfo>> {
    let req: LangRequest = json_body(&body)?;
    let lang: Lang = req.lang.parse().map_err(|_| AppError::InvalidField {
        field: "lang".into(),
    })?;
    let store = s.state.store();
    store.set_user_lang(s.user().id, lang.code()).await?;
    let user = store.user(s.user().id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(UserInfo::from(&user)))
}
