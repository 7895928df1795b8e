//! What both backends share: reading rows into records, JSON and time
//! conversions, the mapping of database errors to [`StoreError`], the
//! records and audit entries each write produces, and the SQL text both
//! backends accept unchanged (`$N` parameters work in sqlx's SQLite too).
//!
//! SQL that differs (JSON casts and operators, `FOR UPDATE`, collations,
//! boolean and time comparisons) stays in each backend's module, as do the
//! bindings (SQLite stores times as text, PostgreSQL as `TIMESTAMPTZ`).

use chrono::{DateTime, SubsecRound, Utc};
use machi_domain::Project;
use serde::Serialize;
use sqlx::error::ErrorKind;

use crate::{
    AuditEntry, AuditFilter, NewOrganisation, NewUser, OrgId, OrgKind, Organisation, ProjectKey,
    ProjectSummary, Result, Role, Session, StoreError, User, UserId, VersionMeta,
};

/// How many audit entries [`crate::Store::audit`] returns without a limit.
pub(crate) const DEFAULT_AUDIT_LIMIT: u32 = 200;

/// The one form of an e-mail address that is stored and looked up: trimmed
/// and lower-cased with Rust's Unicode rules, so both backends agree (SQLite's
/// `lower()` folds ASCII only, PostgreSQL's depends on the collation).
pub(crate) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The current time at the precision both backends keep (microseconds:
/// PostgreSQL's `TIMESTAMPTZ`), so a record returned by a write equals the
/// same record read back.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A timestamp as SQLite stores it: RFC 3339 in UTC with exactly six
/// fractional digits. The fixed width makes text order equal time order,
/// which the `expires_at > ?` and `at >= ?` comparisons rely on.
pub(crate) fn sqlite_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Reads a timestamp written by [`sqlite_time`] (or any RFC 3339 text).
pub(crate) fn parse_sqlite_time(text: &str, column: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{column}: not a timestamp: {text:?} ({e})")))
}

/// A project document as the JSON text stored in a version.
pub(crate) fn document_json(document: &Project) -> Result<String> {
    // Serialising a `Project` cannot fail for documents built by the domain
    // crate (every map key is a string); the error is kept typed anyway.
    serde_json::to_string(document).map_err(|e| {
        StoreError::Corrupt(format!("project document cannot be written as JSON: {e}"))
    })
}

/// Any record as audit JSON text.
pub(crate) fn audit_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("audit state cannot be written as JSON: {e}")))
}

/// Reads a stored project document. It is not re-validated: a version is
/// history, and what was saved is what is shown.
pub(crate) fn parse_document(text: &str, project: i64, version: i64) -> Result<Project> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "project {project} version {version}: unreadable document: {e}"
        ))
    })
}

/// An error from a statement that may break a unique or a foreign-key
/// constraint: `duplicate` names what is taken, `missing` what a reference
/// points at that does not exist.
pub(crate) fn constraint(
    err: sqlx::Error,
    duplicate: &'static str,
    missing: &'static str,
) -> StoreError {
    match err.as_database_error().map(|e| e.kind()) {
        Some(ErrorKind::UniqueViolation) => StoreError::Duplicate { what: duplicate },
        Some(ErrorKind::ForeignKeyViolation) => StoreError::NotFound { what: missing },
        _ => db(err),
    }
}

/// Any other database error.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    match err {
        // A column that cannot be decoded into its Rust type means the data
        // is not what this code wrote.
        sqlx::Error::ColumnDecode { index, source } => {
            StoreError::Corrupt(format!("column {index}: {source}"))
        }
        other => StoreError::Database(other.to_string()),
    }
}

/// Typed column access shared by SQLite and PostgreSQL rows; decoding
/// failures become [`StoreError::Corrupt`]. Only timestamps differ between
/// the backends (text in SQLite, `TIMESTAMPTZ` in PostgreSQL); JSON columns
/// are read as text on both (`::text` in the PostgreSQL queries).
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, name: &str) -> Result<i64>;
    /// A nullable integer column.
    fn opt_int(&self, name: &str) -> Result<Option<i64>>;
    /// A text column.
    fn text(&self, name: &str) -> Result<String>;
    /// A nullable text column.
    fn opt_text(&self, name: &str) -> Result<Option<String>>;
    /// A boolean column.
    fn flag(&self, name: &str) -> Result<bool>;
    /// A timestamp column.
    fn time(&self, name: &str) -> Result<DateTime<Utc>>;
}

/// Implements the backend-independent part of [`Columns`] for a row type.
macro_rules! columns_via_try_get {
    () => {
        fn int(&self, name: &str) -> crate::Result<i64> {
            sqlx::Row::try_get(self, name).map_err(|e| crate::common::column(name, e))
        }
        fn opt_int(&self, name: &str) -> crate::Result<Option<i64>> {
            sqlx::Row::try_get(self, name).map_err(|e| crate::common::column(name, e))
        }
        fn text(&self, name: &str) -> crate::Result<String> {
            sqlx::Row::try_get(self, name).map_err(|e| crate::common::column(name, e))
        }
        fn opt_text(&self, name: &str) -> crate::Result<Option<String>> {
            sqlx::Row::try_get(self, name).map_err(|e| crate::common::column(name, e))
        }
        fn flag(&self, name: &str) -> crate::Result<bool> {
            sqlx::Row::try_get(self, name).map_err(|e| crate::common::column(name, e))
        }
    };
}
pub(crate) use columns_via_try_get;

/// A column that could not be read.
pub(crate) fn column(name: &str, err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::ColumnNotFound(_) => {
            StoreError::Database(format!("column {name} missing from a query (a bug)"))
        }
        other => StoreError::Corrupt(format!("column {name}: {other}")),
    }
}

/// Reads a JSON text column as a value.
fn json_value(text: Option<String>, column: &str) -> Result<Option<serde_json::Value>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    })
    .transpose()
}

/// Columns `id, name_ja, name_en, kind, local_gov_code, created_at`.
pub(crate) fn organisation(row: &impl Columns) -> Result<Organisation> {
    let kind = row.text("kind")?;
    Ok(Organisation {
        id: OrgId(row.int("id")?),
        name_ja: row.text("name_ja")?,
        name_en: row.text("name_en")?,
        kind: OrgKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown organisation kind {kind:?}")))?,
        local_gov_code: row.opt_text("local_gov_code")?,
        created_at: row.time("created_at")?,
    })
}

/// The columns of `users` that [`user`] reads.
pub(crate) const USER_COLUMNS: &str =
    "id, organisation_id, email, display_name, role, lang, password_hash, disabled, created_at";

/// Columns [`USER_COLUMNS`].
pub(crate) fn user(row: &impl Columns) -> Result<User> {
    let role = row.text("role")?;
    Ok(User {
        id: UserId(row.int("id")?),
        organisation: OrgId(row.int("organisation_id")?),
        email: row.text("email")?,
        display_name: row.text("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        lang: row.text("lang")?,
        password_hash: row.text("password_hash")?,
        disabled: row.flag("disabled")?,
        created_at: row.time("created_at")?,
    })
}

/// Columns `token_hash, user_id, csrf_token, expires_at`.
pub(crate) fn session(row: &impl Columns) -> Result<Session> {
    Ok(Session {
        token_hash: row.text("token_hash")?,
        user: UserId(row.int("user_id")?),
        csrf_token: row.text("csrf_token")?,
        expires_at: row.time("expires_at")?,
    })
}

/// Columns `id, slug, owner_id, version, updated_at, updated_by, name_ja,
/// name_en` (the names extracted from the latest document).
pub(crate) fn project_summary(row: &impl Columns) -> Result<ProjectSummary> {
    let id = row.int("id")?;
    let name_ja = row.opt_text("name_ja")?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "project {id}: latest document has no project.name.ja"
        ))
    })?;
    // The same fallback as `Text::get`: a missing or blank English name
    // shows the Japanese one.
    let name_en = match row.opt_text("name_en")? {
        Some(en) if !en.trim().is_empty() => en,
        _ => name_ja.clone(),
    };
    Ok(ProjectSummary {
        id: ProjectKey(id),
        slug: row.text("slug")?,
        name_ja,
        name_en,
        owner: OrgId(row.int("owner_id")?),
        version: row.int("version")?,
        updated_at: row.time("updated_at")?,
        updated_by: UserId(row.int("updated_by")?),
    })
}

/// Columns `project_id, version, author_id, created_at, note`.
pub(crate) fn version_meta(row: &impl Columns) -> Result<VersionMeta> {
    Ok(VersionMeta {
        project: ProjectKey(row.int("project_id")?),
        version: row.int("version")?,
        author: UserId(row.int("author_id")?),
        created_at: row.time("created_at")?,
        note: row.text("note")?,
    })
}

/// Columns of [`version_meta`] and `document`.
pub(crate) fn stored_version(row: &impl Columns) -> Result<crate::StoredVersion> {
    let meta = version_meta(row)?;
    let document = parse_document(&row.text("document")?, meta.project.0, meta.version)?;
    Ok(crate::StoredVersion { meta, document })
}

/// Columns `id, at, actor_id, action, entity, entity_id, before_json,
/// after_json`.
pub(crate) fn audit_entry(row: &impl Columns) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.int("id")?,
        at: row.time("at")?,
        actor: row.opt_int("actor_id")?.map(UserId),
        action: row.text("action")?,
        entity: row.text("entity")?,
        entity_id: row.text("entity_id")?,
        before: json_value(row.opt_text("before_json")?, "before_json")?,
        after: json_value(row.opt_text("after_json")?, "after_json")?,
    })
}

/// The owner and the consortium, each once, in id order: what
/// `project_organisations` holds for a project.
pub(crate) fn consortium_with_owner(owner: OrgId, consortium: &[OrgId]) -> Vec<OrgId> {
    let mut orgs: Vec<OrgId> = consortium.iter().copied().chain([owner]).collect();
    orgs.sort_unstable();
    orgs.dedup();
    orgs
}

/// One audit entry about to be written.
pub(crate) struct NewAudit {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<UserId>,
    /// What (a stable code such as `project.save`).
    pub action: &'static str,
    /// The kind of entity.
    pub entity: &'static str,
    /// Its id.
    pub entity_id: String,
    /// The state before, as JSON text.
    pub before: Option<String>,
    /// The state after, as JSON text.
    pub after: Option<String>,
}

/// A count from the database as `u32`, saturating (a count never goes
/// negative; one above `u32::MAX` only needs to be "very many").
pub(crate) fn count_u32(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl NewAudit {
    /// An entry about something that did not exist before.
    fn created(
        at: DateTime<Utc>,
        actor: Option<UserId>,
        action: &'static str,
        entity: &'static str,
        entity_id: String,
        after: String,
    ) -> NewAudit {
        NewAudit {
            at,
            actor,
            action,
            entity,
            entity_id,
            before: None,
            after: Some(after),
        }
    }

    /// `organisation.create`.
    pub(crate) fn organisation_created(actor: Option<UserId>, org: &Organisation) -> Result<Self> {
        Ok(NewAudit::created(
            org.created_at,
            actor,
            "organisation.create",
            "organisation",
            org.id.0.to_string(),
            audit_json(org)?,
        ))
    }

    /// `user.create`.
    pub(crate) fn user_created(actor: Option<UserId>, user: &User) -> Result<Self> {
        Ok(NewAudit::created(
            user.created_at,
            actor,
            "user.create",
            "user",
            user.id.0.to_string(),
            // `User` skips the password hash when serialised.
            audit_json(user)?,
        ))
    }

    /// `user.lang`.
    pub(crate) fn user_lang(at: DateTime<Utc>, before: &User, after: &User) -> Result<Self> {
        Ok(NewAudit {
            at,
            // The trait names no actor: users change their own language.
            actor: Some(before.id),
            action: "user.lang",
            entity: "user",
            entity_id: before.id.to_string(),
            before: Some(audit_json(before)?),
            after: Some(audit_json(after)?),
        })
    }

    /// `project.create`, with the document as JSON text.
    pub(crate) fn project_created(
        at: DateTime<Utc>,
        actor: UserId,
        id: ProjectKey,
        json: String,
    ) -> Self {
        NewAudit::created(
            at,
            Some(actor),
            "project.create",
            "project",
            id.to_string(),
            json,
        )
    }

    /// `project.organisations`; `before` is `None` for a new project.
    pub(crate) fn project_organisations(
        at: DateTime<Utc>,
        actor: UserId,
        id: ProjectKey,
        before: Option<&[OrgId]>,
        after: &[OrgId],
    ) -> Result<Self> {
        Ok(NewAudit {
            at,
            actor: Some(actor),
            action: "project.organisations",
            entity: "project",
            entity_id: id.to_string(),
            before: before.map(|b| audit_json(&b)).transpose()?,
            after: Some(audit_json(&after)?),
        })
    }
}

/// The record of an organisation just inserted as `id`.
pub(crate) fn created_organisation(
    id: i64,
    new: NewOrganisation,
    at: DateTime<Utc>,
) -> Organisation {
    Organisation {
        id: OrgId(id),
        name_ja: new.name_ja,
        name_en: new.name_en,
        kind: new.kind,
        local_gov_code: new.local_gov_code,
        created_at: at,
    }
}

/// The record of a user just inserted as `id` with the normalised `email`.
pub(crate) fn created_user(id: i64, new: NewUser, email: String, at: DateTime<Utc>) -> User {
    User {
        id: UserId(id),
        organisation: new.organisation,
        email,
        display_name: new.display_name,
        role: new.role,
        lang: new.lang,
        password_hash: new.password_hash,
        disabled: false,
        created_at: at,
    }
}

/// The metadata of a version just written.
pub(crate) fn written_version(
    project: ProjectKey,
    version: i64,
    author: UserId,
    at: DateTime<Utc>,
    note: &str,
) -> VersionMeta {
    VersionMeta {
        project,
        version,
        author,
        created_at: at,
        note: note.to_owned(),
    }
}

/// Decodes the row a `fetch_optional` returned, if any.
pub(crate) fn optional<R, T>(
    row: std::result::Result<Option<R>, sqlx::Error>,
    decode: impl Fn(&R) -> Result<T>,
) -> Result<Option<T>> {
    row.map_err(db)?.as_ref().map(decode).transpose()
}

/// Decodes the rows a `fetch_all` returned.
pub(crate) fn all<R, T>(
    rows: std::result::Result<Vec<R>, sqlx::Error>,
    decode: impl Fn(&R) -> Result<T>,
) -> Result<Vec<T>> {
    rows.map_err(db)?.iter().map(decode).collect()
}

/// Organisation ids as read from the database.
pub(crate) fn org_ids(ids: std::result::Result<Vec<i64>, sqlx::Error>) -> Result<Vec<OrgId>> {
    Ok(ids.map_err(db)?.into_iter().map(OrgId).collect())
}

// SQL text both backends accept as it is: sqlx numbers SQLite's `$N`
// parameters like PostgreSQL's, and a repeated `$N` is one parameter.

/// An organisation by id (`$1`).
pub(crate) const ORGANISATION_BY_ID: &str = "SELECT id, name_ja, name_en, kind, local_gov_code, created_at FROM organisations \
     WHERE id = $1";

/// The organisations of a project (`$1`), in id order.
pub(crate) const PROJECT_ORGS: &str = "SELECT organisation_id FROM project_organisations WHERE project_id = $1 \
     ORDER BY organisation_id";

/// Removes every organisation of a project (`$1`).
pub(crate) const DELETE_PROJECT_ORGS: &str =
    "DELETE FROM project_organisations WHERE project_id = $1";

/// The version counter of a project (`$1`).
pub(crate) const CURRENT_VERSION: &str = "SELECT current_version FROM projects WHERE id = $1";

/// The metadata of a project's (`$1`) versions, newest first.
pub(crate) const VERSIONS: &str = "SELECT project_id, version, author_id, created_at, note FROM project_versions \
     WHERE project_id = $1 ORDER BY version DESC";

/// Sets a user's (`$2`) language (`$1`).
pub(crate) const SET_USER_LANG: &str = "UPDATE users SET lang = $1 WHERE id = $2";

/// Deletes a session by token hash (`$1`).
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

/// Inserts an organisation (`$1` to `$5`: names ja and en, kind, local
/// government code, creation time), returning its id.
pub(crate) const INSERT_ORGANISATION: &str = "INSERT INTO organisations (name_ja, name_en, kind, local_gov_code, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

/// Inserts an enabled user (`$1` to `$7`: organisation, e-mail, display name,
/// role, language, password hash, creation time), returning its id.
pub(crate) const INSERT_USER: &str = "INSERT INTO users (organisation_id, email, display_name, role, lang, password_hash, \
     disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7) RETURNING id";

/// Records a login attempt (`$1` e-mail, `$2` success, `$3` time).
pub(crate) const INSERT_LOGIN_ATTEMPT: &str =
    "INSERT INTO login_attempts (email, success, at) VALUES ($1, $2, $3)";

/// Takes one attempt from a throttling bucket (`$1` key, `$2` now, `$3` the
/// start of the current window: now minus its length), returning the
/// attempts its window holds. The `CASE`s read the row as it was, on both
/// backends, so a stale window restarts at 1.
pub(crate) const TAKE_LOGIN_ATTEMPT: &str = "INSERT INTO login_throttle (key, window_start, attempts) VALUES ($1, $2, 1) \
     ON CONFLICT (key) DO UPDATE SET \
     attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.attempts + 1 END, \
     window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END \
     RETURNING attempts";

/// Gives one attempt back to a bucket (`$1` key).
pub(crate) const RELEASE_LOGIN_ATTEMPT: &str =
    "UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";

/// Empties a bucket (`$1` key).
pub(crate) const CLEAR_LOGIN_ATTEMPTS: &str = "DELETE FROM login_throttle WHERE key = $1";

/// Inserts a session (`$1` to `$5`: token hash, user, CSRF token, creation
/// and expiry times).
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5)";

/// A session by token hash (`$1`) that has not expired at `$2`.
pub(crate) const LIVE_SESSION: &str = "SELECT token_hash, user_id, csrf_token, expires_at FROM sessions \
     WHERE token_hash = $1 AND expires_at > $2";

/// Deletes the sessions expired at `$1`.
pub(crate) const PURGE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";

/// Inserts a project at version 1 (`$1` slug, `$2` owner, `$3` time),
/// returning its id.
pub(crate) const INSERT_PROJECT: &str = "INSERT INTO projects (slug, owner_id, current_version, created_at, updated_at) \
     VALUES ($1, $2, 1, $3, $3) RETURNING id";

/// The owner of a project (`$1`).
pub(crate) const PROJECT_OWNER: &str = "SELECT owner_id FROM projects WHERE id = $1";

/// The compare-and-set of a save: moves project `$3` from version `$4` to
/// the next, setting `updated_at` to `$1` and the slug to `$2`.
pub(crate) const MOVE_VERSION: &str = "UPDATE projects SET current_version = current_version + 1, updated_at = $1, \
     slug = $2 WHERE id = $3 AND current_version = $4";

/// After the summary columns: the projects organisation `$1` owns or is in.
pub(crate) const SUMMARY_OF_ORGANISATION: &str = " WHERE p.owner_id = $1 OR EXISTS (SELECT 1 \
     FROM project_organisations po WHERE po.project_id = p.id AND po.organisation_id = $1)";

/// After the summary columns: project `$1`.
pub(crate) const SUMMARY_BY_ID: &str = " WHERE p.id = $1";

/// Newest first; the id breaks ties between saves in the same microsecond.
pub(crate) const SUMMARY_ORDER: &str = " ORDER BY v.created_at DESC, p.id DESC";

/// A user by e-mail address (`$1`, normalised).
pub(crate) fn user_by_email_sql() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")
}

/// A user by id (`$1`).
pub(crate) fn user_by_id_sql() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")
}

/// The query for the audit entries `filter` asks for, newest first;
/// `select` is the backend's `SELECT … FROM audit_log WHERE <true>`.
pub(crate) fn audit_query<'a, DB>(select: &str, filter: AuditFilter) -> sqlx::QueryBuilder<'a, DB>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::QueryBuilder::new(select);
    if let Some(entity) = filter.entity {
        query.push(" AND entity = ").push_bind(entity);
    }
    if let Some(entity_id) = filter.entity_id {
        query.push(" AND entity_id = ").push_bind(entity_id);
    }
    query
        .push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::from(filter.limit.unwrap_or(DEFAULT_AUDIT_LIMIT)));
    query
}
