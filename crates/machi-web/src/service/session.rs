//! Log-in with throttling, and the session cookie: what the log-in page and
//! `POST /api/v1/session` share.

use chrono::{DateTime, Utc};
use machi_store::{NewSession, User};

use crate::auth::{SESSION_COOKIE, random_token, set_cookie, token_hash, verify_password};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A new session: the token for the cookie and its CSRF token.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Cookie value (never stored).
    pub token: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The user logged in.
    pub user: User,
}

/// Checks an e-mail and password and opens a session.
///
/// Throttling: after `login_max_failures` failures for an e-mail within
/// `login_window`, further attempts are refused with
/// [`AppError::Throttled`] without looking at the password, until the window
/// has passed. Unknown e-mails are hashed against a dummy hash so that the
/// answer takes as long as for a known one, and both fail with the same
/// [`AppError::LoginFailed`].
pub async fn login(state: &AppState, email: &str, password: &str) -> AppResult<Issued> {
    let cfg = state.config();
    let store = state.store();
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    let since = now - cfg.login_window;
    if store.failed_logins_since(&email, since).await? >= cfg.login_max_failures {
        return Err(AppError::Throttled {
            minutes: cfg.login_window.num_minutes(),
        });
    }
    let user = store.user_by_email(&email).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => state.dummy_hash().to_owned(),
    };
    let pw = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
        .await
        .map_err(|e| AppError::Internal(format!("verify task: {e}")))?;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            store.record_login(&email, false, now).await?;
            return Err(AppError::LoginFailed);
        }
    };
    store.record_login(&email, true, now).await?;
    open_session(state, user, now).await
}

/// Stores a new session for `user`.
pub async fn open_session(state: &AppState, user: User, now: DateTime<Utc>) -> AppResult<Issued> {
    let token = random_token()?;
    let csrf = random_token()?;
    state
        .store()
        .create_session(NewSession {
            token_hash: token_hash(&token),
            user: user.id,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + state.config().session_ttl,
        })
        .await?;
    Ok(Issued { token, csrf, user })
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let cfg = state.config();
    set_cookie(
        SESSION_COOKIE,
        token,
        cfg.session_ttl.num_seconds(),
        cfg.secure_cookies,
        true,
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> String {
    set_cookie(SESSION_COOKIE, "", 0, state.config().secure_cookies, true)
}
