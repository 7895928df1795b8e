//! What every handler shares: the store and the settings.

use std::sync::Arc;

use machi_store::Store;

use crate::auth;
use crate::error::AppResult;

/// Settings of the web application.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// How long a session lives.
    pub session_ttl: chrono::TimeDelta,
    /// Failed log-ins per e-mail within `login_window` before throttling.
    pub login_max_failures: u32,
    /// The throttling window.
    pub login_window: chrono::TimeDelta,
    /// argon2id cost of new password hashes.
    pub password_cost: auth::PasswordCost,
    /// The largest request body (project files are uploaded).
    pub max_upload_bytes: usize,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            secure_cookies: false,
            session_ttl: chrono::TimeDelta::hours(12),
            login_max_failures: 5,
            login_window: chrono::TimeDelta::minutes(15),
            password_cost: auth::PasswordCost::default(),
            max_upload_bytes: 5 * 1024 * 1024,
        }
    }
}

/// What every handler shares: the store and the settings.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: AppConfig,
    dummy_hash: String,
}

impl AppState {
    /// A state over `store`. Computes a dummy password hash (for timing-safe
    /// log-in failures), which takes a moment.
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> AppResult<AppState> {
        let dummy_hash = config.password_cost.hash("machi dummy password")?;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                config,
                dummy_hash,
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The settings.
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// A password hash that matches nothing, for timing-safe log-in failures.
    pub fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }
}
