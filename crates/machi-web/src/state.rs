//! What every handler shares: the store and the settings.

use std::sync::Arc;

use machi_store::Store;

use crate::auth;
use crate::error::{AppError, AppResult};

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
    /// Failed log-ins from one client address (any accounts) within
    /// `login_window` before throttling.
    pub login_max_per_client: u32,
    /// argon2id cost of new password hashes.
    pub password_cost: auth::PasswordCost,
    /// The largest request body (project files are uploaded).
    pub max_upload_bytes: usize,
    /// Uploaded files parsed at once (spreadsheets, project files); more
    /// wait for a turn, up to `parse_wait`.
    pub max_concurrent_parses: usize,
    /// How long an upload waits for a turn before the answer is "busy".
    pub parse_wait: std::time::Duration,
    /// How long one upload may take to parse before it is refused.
    pub parse_timeout: std::time::Duration,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            secure_cookies: false,
            session_ttl: chrono::TimeDelta::hours(12),
            login_max_failures: 5,
            login_window: chrono::TimeDelta::minutes(15),
            login_max_per_client: 20,
            password_cost: auth::PasswordCost::default(),
            max_upload_bytes: 5 * 1024 * 1024,
            // One per core of the 2-core machines machi is sized for, so
            // parsing never takes every core from page requests.
            max_concurrent_parses: 1,
            parse_wait: std::time::Duration::from_secs(10),
            parse_timeout: std::time::Duration::from_secs(15),
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
    parses: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// A state over `store`. Computes a dummy password hash (for timing-safe
    /// log-in failures), which takes a moment.
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> AppResult<AppState> {
        let dummy_hash = config.password_cost.hash("machi dummy password")?;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                parses: Arc::new(tokio::sync::Semaphore::new(
                    config.max_concurrent_parses.max(1),
                )),
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

    /// Runs `parse` (CPU-bound work on an uploaded file) off the request
    /// threads: on a blocking thread, at most `max_concurrent_parses` at
    /// once, each within `parse_timeout`. Pages and API calls of other users
    /// keep their threads meanwhile. [`AppError::Busy`] when no turn comes
    /// within `parse_wait`; [`AppError::ParseTimeout`] when the parse takes
    /// too long (its thread finishes in the background and only then frees
    /// its turn, so the bound on concurrent parses holds).
    pub async fn parse<T, F>(&self, parse: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let cfg = self.config();
        let permit = tokio::time::timeout(
            cfg.parse_wait,
            Arc::clone(&self.inner.parses).acquire_owned(),
        )
        .await
        .map_err(|_| AppError::Busy {
            seconds: cfg.parse_wait.as_secs().max(1),
        })?
        .map_err(|_| AppError::Internal("parse semaphore closed".into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let out = parse();
            drop(permit);
            out
        });
        match tokio::time::timeout(cfg.parse_timeout, task).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(AppError::Internal(format!("parse task: {e}"))),
            Err(_) => Err(AppError::ParseTimeout {
                seconds: cfg.parse_timeout.as_secs(),
            }),
        }
    }

    /// A password hash that matches nothing, for timing-safe log-in failures.
    pub fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn state(wait_ms: u64, timeout_ms: u64) -> AppState {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let store = machi_store::SqliteStore::open(&path.to_string_lossy())
            .await
            .expect("store");
        std::mem::forget(dir);
        let config = AppConfig {
            password_cost: auth::PasswordCost::insecure_fast(),
            max_concurrent_parses: 1,
            parse_wait: Duration::from_millis(wait_ms),
            parse_timeout: Duration::from_millis(timeout_ms),
            ..AppConfig::default()
        };
        AppState::new(Arc::new(store), config).expect("state")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parses_take_turns_wait_a_bounded_time_and_time_out() {
        let s = state(100, 400).await;
        assert_eq!(s.parse(|| 41 + 1).await.expect("parsed"), 42);
        // One turn: while a slow parse holds it, another waits, then is busy.
        let slow = {
            let s = s.clone();
            tokio::spawn(async move {
                s.parse(|| std::thread::sleep(Duration::from_millis(1500)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = s.parse(|| ()).await;
        assert!(matches!(second, Err(AppError::Busy { .. })), "{second:?}");
        // The slow one is refused after its time limit…
        let slow = slow.await.expect("joined");
        assert!(
            matches!(slow, Err(AppError::ParseTimeout { .. })),
            "{slow:?}"
        );
        // …and its turn comes back only when its thread has finished.
        assert!(matches!(s.parse(|| ()).await, Err(AppError::Busy { .. })));
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert!(s.parse(|| ()).await.is_ok());
    }
}
