//! The PostgreSQL store, for deployments where several app servers share
//! one database. Every piece of state (sessions included) is in the
//! database, so any server can answer any request.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use machi_domain::Project;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Transaction};

use crate::common::{
    self, Columns, NewAudit, USER_COLUMNS, constraint, db, document_json, normalise_email, now,
};
use crate::{
    AuditEntry, AuditFilter, NewOrganisation, NewSession, NewUser, OrgId, Organisation, ProjectKey,
    ProjectSummary, Result, Session, Store, StoreError, StoredVersion, User, UserId, VersionMeta,
};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per app server. Requests hold a connection for one short
/// transaction; ten per server keeps a few servers well inside PostgreSQL's
/// default `max_connections` of 100.
const MAX_CONNECTIONS: u32 = 10;

/// The columns of a project summary, selected from `projects p` joined with
/// its latest version `v`.
const SUMMARY_SELECT: &str = "SELECT p.id, p.slug, p.owner_id, p.current_version AS version, \
     v.created_at AS updated_at, v.author_id AS updated_by, \
     v.document #>> '{project,name,ja}' AS name_ja, \
     v.document #>> '{project,name,en}' AS name_en \
     FROM projects p \
     JOIN project_versions v ON v.project_id = p.id AND v.version = p.current_version";

/// Newest first; the id breaks ties between saves in the same microsecond.
const SUMMARY_ORDER: &str = " ORDER BY v.created_at DESC, p.id DESC";

/// The [`Store`] on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`)
    /// and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url).map_err(db)?;
        PostgresStore::connect_with(options).await
    }

    /// Like [`PostgresStore::connect`], with options already parsed (tests
    /// use it to point at a database of their own).
    pub async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(db)?;
        // The migrator holds a PostgreSQL advisory lock while it runs, so
        // app servers starting together apply each migration once; the
        // others wait and then find it applied.
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Database(format!("migrating the PostgreSQL database failed: {e}"))
        })?;
        Ok(PostgresStore { pool })
    }

    /// Closes the connections (waiting for those in use to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction. PostgreSQL's default READ COMMITTED is enough:
    /// the compare-and-set `UPDATE` waits for a concurrent writer of the same
    /// row and re-checks its condition against the committed result, and
    /// read-then-write methods lock their row with `FOR UPDATE` first.
    async fn write(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }
}

impl Columns for PgRow {
    common::columns_via_try_get!();

    fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        sqlx::Row::try_get(self, name).map_err(|e| common::column(name, e))
    }
}

/// Appends an audit entry inside `tx`.
async fn audit(tx: &mut Transaction<'_, Postgres>, entry: NewAudit) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
    )
    .bind(entry.at)
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

/// Inserts the rows of `project_organisations` for `id`.
async fn insert_project_orgs(
    tx: &mut Transaction<'_, Postgres>,
    id: ProjectKey,
    orgs: &[OrgId],
) -> Result<()> {
    let ids: Vec<i64> = orgs.iter().map(|o| o.0).collect();
    sqlx::query(
        "INSERT INTO project_organisations (project_id, organisation_id) \
         SELECT $1, org FROM UNNEST($2::bigint[]) AS org",
    )
    .bind(id.0)
    .bind(ids)
    .execute(&mut **tx)
    .await
    .map_err(|e| constraint(e, "project-organisation", "organisation"))?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&new.name_ja)
        .bind(&new.name_en)
        .bind(new.kind.as_str())
        .bind(&new.local_gov_code)
        .bind(at)
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
        // COLLATE "C" orders by code point, as SQLite does, whatever the
        // database's locale.
        sqlx::query(
            "SELECT id, name_ja, name_en, kind, local_gov_code, created_at FROM organisations \
             ORDER BY name_ja COLLATE \"C\", id",
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
             WHERE id = $1",
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
             disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7) RETURNING id",
        )
        .bind(new.organisation.0)
        .bind(&email)
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.lang)
        .bind(&new.password_hash)
        .bind(at)
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
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
        ))
        .bind(normalise_email(email))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::user)
        .transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
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
            "SELECT {USER_COLUMNS} FROM users \
             ORDER BY organisation_id, display_name COLLATE \"C\", id"
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
        let before = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE"
        ))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::user)
        .transpose()?
        .ok_or(StoreError::NotFound { what: "user" })?;
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
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
        sqlx::query("INSERT INTO login_attempts (email, success, at) VALUES ($1, $2, $3)")
            .bind(normalise_email(email))
            .bind(success)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn failed_logins_since(&self, email: &str, since: DateTime<Utc>) -> Result<u32> {
        // Strictly after the last success: a success resets the count.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts \
             WHERE email = $1 AND NOT success AND at >= $2 \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempts \
                                WHERE email = $1 AND success), '-infinity'::timestamptz)",
        )
        .bind(normalise_email(email))
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(common::count_u32(n))
    }

    async fn create_session(&self, session: NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.user.0)
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| constraint(e, "session", "user"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        sqlx::query(
            "SELECT token_hash, user_id, csrf_token, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(common::session)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
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
             VALUES ($1, $2, 1, $3, $3) RETURNING id",
        )
        .bind(document.project.id.as_str())
        .bind(owner.0)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| constraint(e, "project-slug", "organisation"))?;
        let key = ProjectKey(id);
        sqlx::query(
            "INSERT INTO project_versions (project_id, version, author_id, created_at, note, \
             document) VALUES ($1, 1, $2, $3, $4, $5::jsonb)",
        )
        .bind(id)
        .bind(actor.0)
        .bind(at)
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
            "{SUMMARY_SELECT} WHERE p.owner_id = $1 OR EXISTS (SELECT 1 FROM \
             project_organisations po WHERE po.project_id = p.id AND po.organisation_id = $1)\
             {SUMMARY_ORDER}"
        ))
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(common::project_summary)
        .collect()
    }

    async fn project(&self, id: ProjectKey) -> Result<Option<ProjectSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE p.id = $1"))
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
            "SELECT organisation_id FROM project_organisations WHERE project_id = $1 \
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
        // Locking the project row serialises concurrent replacements, so
        // each audit entry's before state is the previous one's after state.
        let owner: i64 =
            sqlx::query_scalar("SELECT owner_id FROM projects WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?
                .ok_or(StoreError::NotFound { what: "project" })?;
        let before: Vec<i64> = sqlx::query_scalar(
            "SELECT organisation_id FROM project_organisations WHERE project_id = $1 \
             ORDER BY organisation_id",
        )
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let before: Vec<OrgId> = before.into_iter().map(OrgId).collect();
        // The owner always stays in its own project's consortium.
        let after = common::consortium_with_owner(OrgId(owner), orgs);
        sqlx::query("DELETE FROM project_organisations WHERE project_id = $1")
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
            "SELECT v.project_id, v.version, v.author_id, v.created_at, v.note, \
             v.document::text AS document \
             FROM projects p \
             JOIN project_versions v ON v.project_id = p.id AND v.version = p.current_version \
             WHERE p.id = $1",
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
            "SELECT project_id, version, author_id, created_at, note, document::text AS document \
             FROM project_versions WHERE project_id = $1 AND version = $2",
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
             WHERE project_id = $1 ORDER BY version DESC",
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
        // latest moves the counter. A concurrent writer of the same row
        // waits for this one's commit, then re-checks `current_version` and
        // matches nothing.
        let moved = sqlx::query(
            "UPDATE projects SET current_version = current_version + 1, updated_at = $1, \
             slug = $2 WHERE id = $3 AND current_version = $4",
        )
        .bind(at)
        .bind(document.project.id.as_str())
        .bind(id.0)
        .bind(base)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "project-slug", "project"))?
        .rows_affected();
        if moved == 0 {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT current_version FROM projects WHERE id = $1")
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
             document) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        )
        .bind(id.0)
        .bind(version)
        .bind(actor.0)
        .bind(at)
        .bind(note)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, "version", "user"))?;
        // The before state is copied inside the database rather than read
        // into Rust and written back: documents can be large.
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, before_json, \
             after_json) VALUES ($1, $2, 'project.save', 'project', $3, \
             (SELECT document FROM project_versions WHERE project_id = $4 AND version = $5), \
             $6::jsonb)",
        )
        .bind(at)
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
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT id, at, actor_id, action, entity, entity_id, before_json::text AS before_json, \
             after_json::text AS after_json FROM audit_log WHERE TRUE",
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
