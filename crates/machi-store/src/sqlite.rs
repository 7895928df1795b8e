//! The SQLite store: one file in WAL mode, the default for a laptop or a
//! single server. Several processes may open the same file; SQLite's locks
//! and the compare-and-set in [`Store::save_version`] keep them consistent.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use machi_domain::Project;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::common::{
    self, Columns, NewAudit, USER_COLUMNS, constraint, db, document_json, normalise_email, now,
    parse_sqlite_time, sqlite_time,
};
use crate::{
    AuditEntry, AuditFilter, NewOrganisation, NewSession, NewUser, OrgId, Organisation, ProjectKey,
    ProjectSummary, Result, Session, Store, StoreError, StoredVersion, User, UserId, VersionMeta,
};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How long a writer waits for another's transaction before giving up.
/// Write transactions here last milliseconds; five seconds rides out a burst
/// of concurrent saves (and a second process on the same file) without
/// hanging a request for long.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per process. SQLite allows one writer at a time anyway; more
/// connections only serve concurrent readers, which WAL lets run alongside.
const MAX_CONNECTIONS: u32 = 8;

/// The columns of a project summary, selected from `projects p` joined with
/// its latest version `v`.
const SUMMARY_SELECT: &str = "SELECT p.id, p.slug, p.owner_id, p.current_version AS version, \
     v.created_at AS updated_at, v.author_id AS updated_by, \
     json_extract(v.document, '$.project.name.ja') AS name_ja, \
     json_extract(v.document, '$.project.name.en') AS name_en \
     FROM projects p \
     JOIN project_versions v ON v.project_id = p.id AND v.version = p.current_version";

/// The [`Store`] on an SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `path_or_url`, a file
    /// path or an `sqlite:` URL, and brings its schema up to date.
    pub async fn open(path_or_url: &str) -> Result<SqliteStore> {
        let options = if path_or_url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(path_or_url).map_err(db)?
        } else {
            SqliteConnectOptions::new().filename(path_or_url)
        };
        let options = options
            .create_if_missing(true)
            // Readers do not block the writer nor the writer the readers.
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode and
            // loses at most the last transactions on power loss; FULL would
            // sync on every commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // Another process may be creating the same file right now: turning
        // a new file into WAL needs an exclusive lock that SQLite does not
        // wait for, and two migrators can race (SQLite has no advisory
        // lock). Both failures are momentary, so opening is retried with a
        // back-off; an error that persists is reported.
        let mut attempt = 0;
        loop {
            match connect_and_migrate(options.clone()).await {
                Ok(pool) => return Ok(SqliteStore { pool }),
                Err(Failure::Momentary(_)) if attempt < OPEN_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                }
                Err(Failure::Momentary(e) | Failure::Lasting(e)) => return Err(e),
            }
        }
    }

    /// Closes the connections (waiting for those in use to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction holding SQLite's write lock from the start.
    ///
    /// A deferred `BEGIN` would take the lock at the first write; if the
    /// transaction read first and another connection wrote in between, the
    /// upgrade fails at once with `SQLITE_BUSY` instead of waiting.
    /// `BEGIN IMMEDIATE` waits (up to [`BUSY_TIMEOUT`]) for the lock instead.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

/// How often [`SqliteStore::open`] retries a momentary failure; with the
/// doubling back-off from 50 ms that is about three seconds in all.
const OPEN_RETRIES: u32 = 6;

/// Why opening failed, and whether trying again may help.
enum Failure {
    /// The file was busy, or a concurrent migrator got there first.
    Momentary(StoreError),
    /// Anything else (a bad path, no permission, a broken file).
    Lasting(StoreError),
}

/// One attempt at connecting and migrating.
async fn connect_and_migrate(options: SqliteConnectOptions) -> Result<SqlitePool, Failure> {
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect_with(options)
        .await
        .map_err(|e| {
            if is_busy(&e) {
                Failure::Momentary(db(e))
            } else {
                Failure::Lasting(db(e))
            }
        })?;
    // A migration that fails because another process applied it meanwhile
    // succeeds on the next attempt (it is then found applied); one that is
    // broken fails every attempt and is reported after the last.
    if let Err(e) = MIGRATOR.run(&pool).await {
        pool.close().await;
        return Err(Failure::Momentary(StoreError::Database(format!(
            "migrating the SQLite database failed: {e}"
        ))));
    }
    Ok(pool)
}

/// Whether SQLite said the database is busy or locked (primary result codes
/// 5 and 6, whatever the extended code).
fn is_busy(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

impl Columns for SqliteRow {
    common::columns_via_try_get!();

    fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        let text: String = sqlx::Row::try_get(self, name).map_err(|e| common::column(name, e))?;
        parse_sqlite_time(&text, name)
    }
}

/// Appends an audit entry inside `tx`.
async fn audit(tx: &mut Transaction<'_, Sqlite>, entry: NewAudit) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, before_json, after_json) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(sqlite_time(entry.at))
    .bind(entry.actor.map(|a| a.0))
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(entry.before)
    .bind(entry.after)
    .execute(&mut **tx)
    .await
    .map_err(|e| constraint(e, "audit-entry", "user"))?;
    Ok(())
}

/// The organisations of a project, in id order.
async fn project_orgs(tx: &mut Transaction<'_, Sqlite>, id: ProjectKey) -> Result<Vec<OrgId>> {
    common::org_ids(
        sqlx::query_scalar(common::PROJECT_ORGS)
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await,
    )
}

/// Inserts a version whose document is the JSON text `json`.
async fn insert_version(
    tx: &mut Transaction<'_, Sqlite>,
    meta: &VersionMeta,
    json: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO project_versions (project_id, version, author_id, created_at, note, \
         document) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(meta.project.0)
    .bind(meta.version)
    .bind(meta.author.0)
    .bind(sqlite_time(meta.created_at))
    .bind(&meta.note)
    .bind(json)
    .execute(&mut **tx)
    .await
    .map_err(|e| constraint(e, "version", "user"))?;
    Ok(())
}

/// Inserts the rows of `project_organisations` for `id`.
async fn insert_project_orgs(
    tx: &mut Transaction<'_, Sqlite>,
    id: ProjectKey,
    orgs: &[OrgId],
) -> Result<()> {
    for org in orgs {
        sqlx::query(
            "INSERT INTO project_organisations (project_id, organisation_id) VALUES (?, ?)",
        )
        .bind(id.0)
        .bind(org.0)
        .execute(&mut **tx)
        .await
        .map_err(|e| constraint(e, "project-organisation", "organisation"))?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn create_organisation(
        &self,
        actor: Option<UserId>,
        new: NewOrganisation,
    ) -> Result<Organisation> {
        let at = now();
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(common::INSERT_ORGANISATION)
            .bind(&new.name_ja)
            .bind(&new.name_en)
            .bind(new.kind.as_str())
            .bind(&new.local_gov_code)
            .bind(sqlite_time(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| constraint(e, "organisation", "organisation"))?;
        let org = common::created_organisation(id, new, at);
        audit(&mut tx, NewAudit::organisation_created(actor, &org)?).await?;
        tx.commit().await.map_err(db)?;
        Ok(org)
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        common::all(
            sqlx::query(
                "SELECT id, name_ja, name_en, kind, local_gov_code, created_at FROM organisations \
                 ORDER BY name_ja, id",
            )
            .fetch_all(&self.pool)
            .await,
            common::organisation,
        )
    }

    async fn organisation(&self, id: OrgId) -> Result<Option<Organisation>> {
        common::optional(
            sqlx::query(common::ORGANISATION_BY_ID)
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await,
            common::organisation,
        )
    }

    async fn create_user(&self, actor: Option<UserId>, new: NewUser) -> Result<User> {
        let at = now();
        let email = normalise_email(&new.email);
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(common::INSERT_USER)
            .bind(new.organisation.0)
            .bind(&email)
            .bind(&new.display_name)
            .bind(new.role.as_str())
            .bind(&new.lang)
            .bind(&new.password_hash)
            .bind(sqlite_time(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| constraint(e, "email", "organisation"))?;
        let user = common::created_user(id, new, email, at);
        audit(&mut tx, NewAudit::user_created(actor, &user)?).await?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        common::optional(
            sqlx::query(&common::user_by_email_sql())
                .bind(normalise_email(email))
                .fetch_optional(&self.pool)
                .await,
            common::user,
        )
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        common::optional(
            sqlx::query(&common::user_by_id_sql())
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await,
            common::user,
        )
    }

    async fn users(&self) -> Result<Vec<User>> {
        common::all(
            sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY organisation_id, display_name, id"
            ))
            .fetch_all(&self.pool)
            .await,
            common::user,
        )
    }

    async fn set_user_lang(&self, id: UserId, lang: &str) -> Result<()> {
        let at = now();
        let mut tx = self.write().await?;
        let before = common::optional(
            sqlx::query(&common::user_by_id_sql())
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await,
            common::user,
        )?
        .ok_or(StoreError::NotFound { what: "user" })?;
        sqlx::query(common::SET_USER_LANG)
            .bind(lang)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let after = User {
            lang: lang.to_owned(),
            ..before.clone()
        };
        audit(&mut tx, NewAudit::user_lang(at, &before, &after)?).await?;
        tx.commit().await.map_err(db)
    }

    async fn record_login(&self, email: &str, success: bool, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(common::INSERT_LOGIN_ATTEMPT)
            .bind(normalise_email(email))
            .bind(success)
            .bind(sqlite_time(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn take_login_attempt(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::TimeDelta,
    ) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(common::TAKE_LOGIN_ATTEMPT)
            .bind(key)
            .bind(sqlite_time(now))
            .bind(sqlite_time(now - window))
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(common::count_u32(n))
    }

    async fn release_login_attempt(&self, key: &str) -> Result<()> {
        sqlx::query(common::RELEASE_LOGIN_ATTEMPT)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn clear_login_attempts(&self, key: &str) -> Result<()> {
        sqlx::query(common::CLEAR_LOGIN_ATTEMPTS)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_session(&self, session: NewSession) -> Result<()> {
        sqlx::query(common::INSERT_SESSION)
            .bind(&session.token_hash)
            .bind(session.user.0)
            .bind(&session.csrf_token)
            .bind(sqlite_time(session.created_at))
            .bind(sqlite_time(session.expires_at))
            .execute(&self.pool)
            .await
            .map_err(|e| constraint(e, "session", "user"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        common::optional(
            sqlx::query(common::LIVE_SESSION)
                .bind(token_hash)
                .bind(sqlite_time(now))
                .fetch_optional(&self.pool)
                .await,
            common::session,
        )
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query(common::DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(common::PURGE_SESSIONS)
            .bind(sqlite_time(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn create_project(
        &self,
        actor: UserId,
        owner: OrgId,
        consortium: &[OrgId],
        document: &Project,
        note: &str,
    ) -> Result<VersionMeta> {
        let at = now();
        let json = document_json(document)?;
        let orgs = common::consortium_with_owner(owner, consortium);
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(common::INSERT_PROJECT)
            .bind(document.project.id.as_str())
            .bind(owner.0)
            .bind(sqlite_time(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| constraint(e, "project-slug", "organisation"))?;
        let key = ProjectKey(id);
        let meta = common::written_version(key, 1, actor, at, note);
        insert_version(&mut tx, &meta, &json).await?;
        insert_project_orgs(&mut tx, key, &orgs).await?;
        audit(&mut tx, NewAudit::project_created(at, actor, key, json)).await?;
        // Who may see the project is part of its history too.
        let entry = NewAudit::project_organisations(at, actor, key, None, &orgs)?;
        audit(&mut tx, entry).await?;
        tx.commit().await.map_err(db)?;
        Ok(meta)
    }

    async fn projects(&self) -> Result<Vec<ProjectSummary>> {
        common::all(
            sqlx::query(&format!("{SUMMARY_SELECT}{}", common::SUMMARY_ORDER))
                .fetch_all(&self.pool)
                .await,
            common::project_summary,
        )
    }

    async fn projects_of_organisation(&self, org: OrgId) -> Result<Vec<ProjectSummary>> {
        common::all(
            sqlx::query(&format!(
                "{SUMMARY_SELECT}{}{}",
                common::SUMMARY_OF_ORGANISATION,
                common::SUMMARY_ORDER
            ))
            .bind(org.0)
            .fetch_all(&self.pool)
            .await,
            common::project_summary,
        )
    }

    async fn project(&self, id: ProjectKey) -> Result<Option<ProjectSummary>> {
        common::optional(
            sqlx::query(&format!("{SUMMARY_SELECT}{}", common::SUMMARY_BY_ID))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await,
            common::project_summary,
        )
    }

    async fn project_organisations(&self, id: ProjectKey) -> Result<Vec<OrgId>> {
        common::org_ids(
            sqlx::query_scalar(common::PROJECT_ORGS)
                .bind(id.0)
                .fetch_all(&self.pool)
                .await,
        )
    }

    async fn set_project_organisations(
        &self,
        actor: UserId,
        id: ProjectKey,
        orgs: &[OrgId],
    ) -> Result<()> {
        let at = now();
        let mut tx = self.write().await?;
        let owner: i64 = sqlx::query_scalar(common::PROJECT_OWNER)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound { what: "project" })?;
        let before = project_orgs(&mut tx, id).await?;
        // The owner always stays in its own project's consortium.
        let after = common::consortium_with_owner(OrgId(owner), orgs);
        sqlx::query(common::DELETE_PROJECT_ORGS)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_project_orgs(&mut tx, id, &after).await?;
        let entry = NewAudit::project_organisations(at, actor, id, Some(&before), &after)?;
        audit(&mut tx, entry).await?;
        tx.commit().await.map_err(db)
    }

    async fn latest_version(&self, id: ProjectKey) -> Result<Option<StoredVersion>> {
        common::optional(
            sqlx::query(
                "SELECT v.project_id, v.version, v.author_id, v.created_at, v.note, v.document \
                 FROM projects p \
                 JOIN project_versions v ON v.project_id = p.id AND v.version = p.current_version \
                 WHERE p.id = ?",
            )
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await,
            common::stored_version,
        )
    }

    async fn version(&self, id: ProjectKey, version: i64) -> Result<Option<StoredVersion>> {
        common::optional(
            sqlx::query(
                "SELECT project_id, version, author_id, created_at, note, document \
                 FROM project_versions WHERE project_id = ? AND version = ?",
            )
            .bind(id.0)
            .bind(version)
            .fetch_optional(&self.pool)
            .await,
            common::stored_version,
        )
    }

    async fn versions(&self, id: ProjectKey) -> Result<Vec<VersionMeta>> {
        common::all(
            sqlx::query(common::VERSIONS)
                .bind(id.0)
                .fetch_all(&self.pool)
                .await,
            common::version_meta,
        )
    }

    async fn save_version(
        &self,
        actor: UserId,
        id: ProjectKey,
        base: i64,
        document: &Project,
        note: &str,
    ) -> Result<VersionMeta> {
        let at = now();
        let json = document_json(document)?;
        let mut tx = self.write().await?;
        // The compare-and-set: only the writer whose base is still the
        // latest moves the counter; everyone else changes nothing.
        let moved = sqlx::query(common::MOVE_VERSION)
            .bind(sqlite_time(at))
            .bind(document.project.id.as_str())
            .bind(id.0)
            .bind(base)
            .execute(&mut *tx)
            .await
            .map_err(|e| constraint(e, "project-slug", "project"))?
            .rows_affected();
        if moved == 0 {
            let current: Option<i64> = sqlx::query_scalar(common::CURRENT_VERSION)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            // Dropping `tx` rolls back (nothing was written anyway).
            return Err(match current {
                None => StoreError::NotFound { what: "project" },
                Some(current) => StoreError::Conflict { base, current },
            });
        }
        // `base` matched a stored counter, which never reaches i64::MAX, so
        // this cannot overflow; saturate rather than assume.
        let version = base.saturating_add(1);
        let meta = common::written_version(id, version, actor, at, note);
        insert_version(&mut tx, &meta, &json).await?;
        // The before state is copied inside the database rather than read
        // into Rust and written back: documents can be large.
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, before_json, \
             after_json) VALUES (?, ?, 'project.save', 'project', ?, \
             (SELECT document FROM project_versions WHERE project_id = ? AND version = ?), ?)",
        )
        .bind(sqlite_time(at))
        .bind(actor.0)
        .bind(id.0.to_string())
        .bind(id.0)
        .bind(base)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "audit-entry", "user"))?;
        tx.commit().await.map_err(db)?;
        Ok(meta)
    }

    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut query = common::audit_query::<Sqlite>(
            "SELECT id, at, actor_id, action, entity, entity_id, before_json, after_json \
             FROM audit_log WHERE 1 = 1",
            filter,
        );
        common::all(
            query.build().fetch_all(&self.pool).await,
            common::audit_entry,
        )
    }
}
