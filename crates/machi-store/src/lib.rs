//! machi's storage.
//!
//! One async [`Store`] trait, two implementations: SQLite (embedded, the
//! default for a laptop; WAL mode) and PostgreSQL (for a ministry, several
//! app servers sharing one database). Each backend has its own migrations
//! under `migrations/<backend>/`. One suite of storage tests runs against
//! both (PostgreSQL when `MACHI_TEST_DATABASE_URL` is set).
//!
//! # Invariants
//! - **Nothing is overwritten.** A project's content lives in immutable
//!   versions; saving appends version n+1 only if the caller's base version
//!   is still the latest (compare-and-set in one transaction), otherwise it
//!   fails with [`StoreError::Conflict`] carrying the current version.
//! - **Everything is audited.** Every mutating method appends an
//!   [`AuditEntry`] (who, when, what, before and after) in the same
//!   transaction as the change; the audit log is append-only.
//! - **Money is integer yen.** Project documents are stored as the JSON of
//!   [`machi_domain::Project`], whose amounts are integers.
//! - **Sessions live in the database**, so any app server can serve any
//!   request. Session tokens are stored only as SHA-256 hashes.

mod common;
mod model;
pub mod postgres;
pub mod sqlite;

pub use model::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use machi_domain::Project;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone saved a newer version since the caller's base version.
    #[error("version conflict: based on {base}, latest is {current}")]
    Conflict {
        /// The version the caller edited.
        base: i64,
        /// The latest version now.
        current: i64,
    },
    /// A unique value (e-mail, slug) is already taken.
    #[error("{what} already exists")]
    Duplicate {
        /// What is duplicated: `email`, `project-slug`, `organisation`.
        what: &'static str,
    },
    /// The referenced row does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for: `project`, `version`, `user`, `organisation`.
        what: &'static str,
    },
    /// A stored document could not be read back (corruption or a newer format).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Stable code for translation and for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Conflict { .. } => "conflict",
            StoreError::Duplicate { .. } => "duplicate",
            StoreError::NotFound { .. } => "not-found",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Database(_) => "database",
        }
    }
}

/// Result of a storage operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens the store named by `url`: PostgreSQL for a `postgres://` or
/// `postgresql://` URL, otherwise SQLite (a file path or an `sqlite:` URL;
/// the file is created if missing). Migrations run before it returns.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    }
}

/// Storage of organisations, users, sessions, projects with their versions,
/// and the audit log. Implementations: SQLite and PostgreSQL.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    // Organisations and users.

    /// Creates an organisation (audited).
    async fn create_organisation(
        &self,
        actor: Option<UserId>,
        new: NewOrganisation,
    ) -> Result<Organisation>;
    /// Every organisation, by name.
    async fn organisations(&self) -> Result<Vec<Organisation>>;
    /// One organisation.
    async fn organisation(&self, id: OrgId) -> Result<Option<Organisation>>;
    /// Creates a user with an already-hashed password (audited, without the
    /// hash). `Duplicate { what: "email" }` if the e-mail is taken
    /// (case-insensitively).
    async fn create_user(&self, actor: Option<UserId>, new: NewUser) -> Result<User>;
    /// A user by e-mail, case-insensitively.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// Every user, by organisation then name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Sets a user's preferred language (`ja` or `en`) (audited).
    async fn set_user_lang(&self, id: UserId, lang: &str) -> Result<()>;

    // Log-in throttling.

    /// Records a log-in attempt (the history; throttling uses the buckets
    /// below).
    async fn record_login(&self, email: &str, success: bool, at: DateTime<Utc>) -> Result<()>;
    /// Takes one attempt from the throttling bucket `key` and returns how
    /// many attempts its window now holds, this one included. Atomic (one
    /// upsert), so concurrent attempts — on any number of app servers
    /// sharing the database — each see a different count. A window that
    /// started at or before `now - window` starts again at 1.
    async fn take_login_attempt(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::TimeDelta,
    ) -> Result<u32>;
    /// Gives one attempt back to the bucket `key`.
    async fn release_login_attempt(&self, key: &str) -> Result<()>;
    /// Empties the bucket `key`.
    async fn clear_login_attempts(&self, key: &str) -> Result<()>;

    // Sessions.

    /// Stores a session under the SHA-256 hash of its token.
    async fn create_session(&self, session: NewSession) -> Result<()>;
    /// The live session with this token hash (expired ones are not returned).
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Removes expired sessions; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64>;

    // Projects and versions.

    /// Creates a project from its first version, owned by `owner`, visible
    /// to the organisations in `consortium` (audited).
    async fn create_project(
        &self,
        actor: UserId,
        owner: OrgId,
        consortium: &[OrgId],
        document: &Project,
        note: &str,
    ) -> Result<VersionMeta>;
    /// Every project (the web layer filters by permission).
    async fn projects(&self) -> Result<Vec<ProjectSummary>>;
    /// The projects an organisation owns or belongs to the consortium of.
    async fn projects_of_organisation(&self, org: OrgId) -> Result<Vec<ProjectSummary>>;
    /// One project's summary.
    async fn project(&self, id: ProjectKey) -> Result<Option<ProjectSummary>>;
    /// The organisations in a project's consortium (the owner included).
    async fn project_organisations(&self, id: ProjectKey) -> Result<Vec<OrgId>>;
    /// Replaces a project's consortium organisations (audited).
    async fn set_project_organisations(
        &self,
        actor: UserId,
        id: ProjectKey,
        orgs: &[OrgId],
    ) -> Result<()>;
    /// The latest version with its document.
    async fn latest_version(&self, id: ProjectKey) -> Result<Option<StoredVersion>>;
    /// One version with its document.
    async fn version(&self, id: ProjectKey, version: i64) -> Result<Option<StoredVersion>>;
    /// Every version's metadata, newest first.
    async fn versions(&self, id: ProjectKey) -> Result<Vec<VersionMeta>>;
    /// Appends version `base + 1` if `base` is still the latest; otherwise
    /// `Conflict` and nothing changes (audited with before and after).
    async fn save_version(
        &self,
        actor: UserId,
        id: ProjectKey,
        base: i64,
        document: &Project,
        note: &str,
    ) -> Result<VersionMeta>;

    // Audit.

    /// Audit entries, newest first, optionally for one entity.
    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>>;
}
