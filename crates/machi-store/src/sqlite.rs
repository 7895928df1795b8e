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
use sqlx::{QueryBuilder, Sqlite, Transaction};

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

/// Newest first; the id breaks ties between saves in the same microsecond.
const SUMMARY_ORDER: &str = " ORDER BY v.created_at DESC, p.id DESC";

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
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT organisation_id FROM project_organisations WHERE project_id = ? \
         ORDER BY organisation_id",
    )
    .bind(id.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(OrgId).collect())
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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (name_ja, name_en, kind, local_gov_code, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&new.name_ja)
        .bind(&new.name_en)
        .bind(new.kind.as_str())
        .bind(&new.local_gov_code)
        .bind(sqlite_time(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| constraint(e, "organisation", "organisation"))?;
        let org = Organisation {
            id: OrgId(id),
            name_ja: new.name_ja,
            name_en: new.name_en,
            kind: new.kind,
            local_gov_code: new.local_gov_code,
            created_at: at,
        };
        audit(
            &mut tx,
            NewAudit {
                at,
                actor,
                action: "organisation.create",
                entity: "organisation",
                entity_id: id.to_string(),
                before: None,
                after: Some(common::audit_json(&org)?),
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(org)
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        sqlx::query(
            "SELECT id, name_ja, name_en, kind, local_gov_code, created_at FROM organisations \
             ORDER BY name_ja, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(common::organisation)
        .collect()
    }

    async fn organisation(&self, id: OrgId) -> Result<Option<Organisation>> {
        sqlx::query(
            "SELECT id, name_ja, name_en, kind, local_gov_code, created_at FROM organisations \
             WHERE id = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::organisation)
        .transpose()
    }

    async fn create_user(&self, actor: Option<UserId>, new: NewUser) -> Result<User> {
        let at = now();
        let email = normalise_email(&new.email);
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (organisation_id, email, display_name, role, lang, password_hash, \
             disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?) RETURNING id",
        )
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
        let user = User {
            id: UserId(id),
            organisation: new.organisation,
            email,
            display_name: new.display_name,
            role: new.role,
            lang: new.lang,
            password_hash: new.password_hash,
            disabled: false,
            created_at: at,
        };
        audit(
            &mut tx,
            NewAudit {
                at,
                actor,
                action: "user.create",
                entity: "user",
                entity_id: id.to_string(),
                before: None,
                // `User` skips the password hash when serialised.
                after: Some(common::audit_json(&user)?),
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?"))
            .bind(normalise_email(email))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(common::user)
            .transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(common::user)
            .transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY organisation_id, display_name, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(common::user)
        .collect()
    }

    async fn set_user_lang(&self, id: UserId, lang: &str) -> Result<()> {
        let at = now();
        let mut tx = self.write().await?;
        let before = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .as_ref()
            .map(common::user)
            .transpose()?
            .ok_or(StoreError::NotFound { what: "user" })?;
        sqlx::query("UPDATE users SET lang = ? WHERE id = ?")
            .bind(lang)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let after = User {
            lang: lang.to_owned(),
            ..before.clone()
        };
        audit(
            &mut tx,
            NewAudit {
                at,
                // The trait names no actor: users change their own language.
                actor: Some(id),
                action: "user.lang",
                entity: "user",
                entity_id: id.to_string(),
                before: Some(common::audit_json(&before)?),
                after: Some(common::audit_json(&after)?),
            },
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn record_login(&self, email: &str, success: bool, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO login_attempts (email, success, at) VALUES (?, ?, ?)")
            .bind(normalise_email(email))
            .bind(success)
            .bind(sqlite_time(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn failed_logins_since(&self, email: &str, since: DateTime<Utc>) -> Result<u32> {
        let email = normalise_email(email);
        // Strictly after the last success: a success resets the count.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts \
             WHERE email = ? AND success = 0 AND at >= ? \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempts \
                                WHERE email = ? AND success = 1), '')",
        )
        .bind(&email)
        .bind(sqlite_time(since))
        .bind(&email)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(common::count_u32(n))
    }

    async fn create_session(&self, session: NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
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
        sqlx::query(
            "SELECT token_hash, user_id, csrf_token, expires_at FROM sessions \
             WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(sqlite_time(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::session)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO projects (slug, owner_id, current_version, created_at, updated_at) \
             VALUES (?, ?, 1, ?, ?) RETURNING id",
        )
        .bind(document.project.id.as_str())
        .bind(owner.0)
        .bind(sqlite_time(at))
        .bind(sqlite_time(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| constraint(e, "project-slug", "organisation"))?;
        let key = ProjectKey(id);
        sqlx::query(
            "INSERT INTO project_versions (project_id, version, author_id, created_at, note, \
             document) VALUES (?, 1, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(actor.0)
        .bind(sqlite_time(at))
        .bind(note)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "version", "user"))?;
        insert_project_orgs(&mut tx, key, &orgs).await?;
        audit(
            &mut tx,
            NewAudit {
                at,
                actor: Some(actor),
                action: "project.create",
                entity: "project",
                entity_id: id.to_string(),
                before: None,
                after: Some(json),
            },
        )
        .await?;
        // Who may see the project is part of its history too.
        audit(
            &mut tx,
            NewAudit {
                at,
                actor: Some(actor),
                action: "project.organisations",
                entity: "project",
                entity_id: id.to_string(),
                before: None,
                after: Some(common::audit_json(&orgs)?),
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(VersionMeta {
            project: key,
            version: 1,
            author: actor,
            created_at: at,
            note: note.to_owned(),
        })
    }

    async fn projects(&self) -> Result<Vec<ProjectSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT}{SUMMARY_ORDER}"))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(common::project_summary)
            .collect()
    }

    async fn projects_of_organisation(&self, org: OrgId) -> Result<Vec<ProjectSummary>> {
        sqlx::query(&format!(
            "{SUMMARY_SELECT} WHERE p.owner_id = ? OR EXISTS (SELECT 1 FROM project_organisations \
             po WHERE po.project_id = p.id AND po.organisation_id = ?){SUMMARY_ORDER}"
        ))
        .bind(org.0)
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(common::project_summary)
        .collect()
    }

    async fn project(&self, id: ProjectKey) -> Result<Option<ProjectSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE p.id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(common::project_summary)
            .transpose()
    }

    async fn project_organisations(&self, id: ProjectKey) -> Result<Vec<OrgId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT organisation_id FROM project_organisations WHERE project_id = ? \
             ORDER BY organisation_id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(ids.into_iter().map(OrgId).collect())
    }

    async fn set_project_organisations(
        &self,
        actor: UserId,
        id: ProjectKey,
        orgs: &[OrgId],
    ) -> Result<()> {
        let at = now();
        let mut tx = self.write().await?;
        let owner: i64 = sqlx::query_scalar("SELECT owner_id FROM projects WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound { what: "project" })?;
        let before = project_orgs(&mut tx, id).await?;
        // The owner always stays in its own project's consortium.
        let after = common::consortium_with_owner(OrgId(owner), orgs);
        sqlx::query("DELETE FROM project_organisations WHERE project_id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_project_orgs(&mut tx, id, &after).await?;
        audit(
            &mut tx,
            NewAudit {
                at,
                actor: Some(actor),
                action: "project.organisations",
                entity: "project",
                entity_id: id.to_string(),
                before: Some(common::audit_json(&before)?),
                after: Some(common::audit_json(&after)?),
            },
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn latest_version(&self, id: ProjectKey) -> Result<Option<StoredVersion>> {
        sqlx::query(
            "SELECT v.project_id, v.version, v.author_id, v.created_at, v.note, v.document \
             FROM projects p \
             JOIN project_versions v ON v.project_id = p.id AND v.version = p.current_version \
             WHERE p.id = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::stored_version)
        .transpose()
    }

    async fn version(&self, id: ProjectKey, version: i64) -> Result<Option<StoredVersion>> {
        sqlx::query(
            "SELECT project_id, version, author_id, created_at, note, document \
             FROM project_versions WHERE project_id = ? AND version = ?",
        )
        .bind(id.0)
        .bind(version)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::stored_version)
        .transpose()
    }

    async fn versions(&self, id: ProjectKey) -> Result<Vec<VersionMeta>> {
        sqlx::query(
            "SELECT project_id, version, author_id, created_at, note FROM project_versions \
             WHERE project_id = ? ORDER BY version DESC",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(common::version_meta)
        .collect()
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
        let moved = sqlx::query(
            "UPDATE projects SET current_version = current_version + 1, updated_at = ?, slug = ? \
             WHERE id = ? AND current_version = ?",
        )
        .bind(sqlite_time(at))
        .bind(document.project.id.as_str())
        .bind(id.0)
        .bind(base)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "project-slug", "project"))?
        .rows_affected();
        if moved == 0 {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT current_version FROM projects WHERE id = ?")
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
        sqlx::query(
            "INSERT INTO project_versions (project_id, version, author_id, created_at, note, \
             document) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(version)
        .bind(actor.0)
        .bind(sqlite_time(at))
        .bind(note)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "version", "user"))?;
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
        Ok(VersionMeta {
            project: id,
            version,
            author: actor,
            created_at: at,
            note: note.to_owned(),
        })
    }

    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT id, at, actor_id, action, entity, entity_id, before_json, after_json \
             FROM audit_log WHERE 1 = 1",
        );
        if let Some(entity) = filter.entity {
            query.push(" AND entity = ").push_bind(entity);
        }
        if let Some(entity_id) = filter.entity_id {
            query.push(" AND entity_id = ").push_bind(entity_id);
        }
        query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(
            filter.limit.unwrap_or(common::DEFAULT_AUDIT_LIMIT),
        ));
        query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(common::audit_entry)
            .collect()
    }
}
