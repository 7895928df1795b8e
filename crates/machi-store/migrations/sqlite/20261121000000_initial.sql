-- machi's schema on SQLite.
--
-- Timestamps are UTC text in one fixed-width RFC 3339 form
-- (`2026-11-21T09:30:00.000000Z`, written by the Rust code) so that text
-- order is time order. JSON columns hold UTF-8 JSON text; money inside the
-- project documents is integer yen.

CREATE TABLE organisations (
    id             INTEGER PRIMARY KEY,
    name_ja        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    local_gov_code TEXT,
    created_at     TEXT NOT NULL
);
-- A local government is one organisation, known by its code; other
-- organisations are known by their Japanese name (two cities may share a
-- name, such as 府中市 in Tokyo and in Hiroshima, but not a code).
CREATE UNIQUE INDEX organisations_local_gov_code ON organisations (local_gov_code);
CREATE UNIQUE INDEX organisations_name_ja ON organisations (name_ja) WHERE local_gov_code IS NULL;

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    -- Lower-cased by the code before every write and look-up, so a plain
    -- unique index makes e-mails unique case-insensitively (SQLite's own
    -- lower() and NOCASE fold ASCII only).
    email           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    email   TEXT NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1)),
    at      TEXT NOT NULL
);
CREATE INDEX login_attempts_email_at ON login_attempts (email, at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE projects (
    id              INTEGER PRIMARY KEY,
    -- The latest document's `project.id`.
    slug            TEXT NOT NULL UNIQUE,
    owner_id        INTEGER NOT NULL REFERENCES organisations (id),
    current_version INTEGER NOT NULL CHECK (current_version >= 1),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE project_organisations (
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (project_id, organisation_id)
);
CREATE INDEX project_organisations_organisation ON project_organisations (organisation_id);

CREATE TABLE project_versions (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    author_id  INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    note       TEXT NOT NULL,
    document   TEXT NOT NULL CHECK (json_valid(document)),
    PRIMARY KEY (project_id, version)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users (id),
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
    after_json  TEXT CHECK (after_json IS NULL OR json_valid(after_json))
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- Versions and the audit log are history: the code has no path that changes
-- or removes them, and these triggers refuse anyone else who tries.
CREATE TRIGGER project_versions_no_update BEFORE UPDATE ON project_versions
BEGIN
    SELECT RAISE(ABORT, 'project versions are immutable');
END;
CREATE TRIGGER project_versions_no_delete BEFORE DELETE ON project_versions
BEGIN
    SELECT RAISE(ABORT, 'project versions are immutable');
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
