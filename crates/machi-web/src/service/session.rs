//! Log-in with throttling, and the session cookie: what the log-in page and
//! `POST /api/v1/session` share.

use std::net::IpAddr;

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
/// Throttling (OWASP Authentication Cheat Sheet, "Login Throttling"): each
/// attempt first takes a turn from two buckets in the database — the
/// account's (`login_max_failures` per `login_window`, emptied by a
/// successful log-in) and the client address's (`login_max_per_client`, all
/// accounts together; a successful log-in gives its turn back). An attempt
/// beyond either limit is refused with [`AppError::Throttled`] without
/// looking at the password. Taking a turn is one atomic upsert, so the
/// limits hold for concurrent attempts and across app servers sharing a
/// PostgreSQL database. Unknown e-mails are hashed against a dummy hash so
/// that the answer takes as long as for a known one, and both fail with the
/// same [`AppError::LoginFailed`].
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
) -> AppResult<Issued> {
    let cfg = state.config();
    let store = state.store();
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    let throttled = AppError::Throttled {
        minutes: cfg.login_window.num_minutes(),
    };
    let client_key = client.map(|ip| format!("client:{ip}"));
    if let Some(key) = &client_key
        && store.take_login_attempt(key, now, cfg.login_window).await? > cfg.login_max_per_client
    {
        return Err(throttled);
    }
    let account_key = format!("account:{email}");
    if store
        .take_login_attempt(&account_key, now, cfg.login_window)
        .await?
        > cfg.login_max_failures
    {
        return Err(throttled);
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
    store.clear_login_attempts(&account_key).await?;
    if let Some(key) = &client_key {
        store.release_login_attempt(key).await?;
    }
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
