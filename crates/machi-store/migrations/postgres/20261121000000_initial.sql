-- machi's schema on PostgreSQL.
--
-- Timestamps are TIMESTAMPTZ (UTC in and out). Project documents and audit
-- states are JSONB; money inside the documents is integer yen, which JSONB
-- keeps exactly (its numbers are NUMERIC).

CREATE TABLE organisations (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name_ja        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    local_gov_code TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);
-- A local government is one organisation, known by its code; other
-- organisations are known by their Japanese name (two cities may share a
-- name, such as 府中市 in Tokyo and in Hiroshima, but not a code).
CREATE UNIQUE INDEX organisations_local_gov_code ON organisations (local_gov_code);
CREATE UNIQUE INDEX organisations_name_ja ON organisations (name_ja) WHERE local_gov_code IS NULL;

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- Lower-cased by the code before every write and look-up (Rust's
    -- Unicode lower-casing, the same on both backends), so a plain unique
    -- index makes e-mails unique case-insensitively.
    email           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE login_attempts (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email   TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_email_at ON login_attempts (email, at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE projects (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The latest document's `project.id`.
    slug            TEXT NOT NULL UNIQUE,
    owner_id        BIGINT NOT NULL REFERENCES organisations (id),
    current_version BIGINT NOT NULL CHECK (current_version >= 1),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE project_organisations (
    project_id      BIGINT NOT NULL REFERENCES projects (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (project_id, organisation_id)
);
CREATE INDEX project_organisations_organisation ON project_organisations (organisation_id);

CREATE TABLE project_versions (
    project_id BIGINT NOT NULL REFERENCES projects (id),
    version    BIGINT NOT NULL CHECK (version >= 1),
    author_id  BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    note       TEXT NOT NULL,
    document   JSONB NOT NULL,
    PRIMARY KEY (project_id, version)
);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    BIGINT REFERENCES users (id),
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    before_json JSONB,
    after_json  JSONB
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- Versions and the audit log are history: the code has no path that changes
-- or removes them, and these triggers refuse anyone else who tries
-- (TRUNCATE skips row triggers, hence the statement-level ones).
CREATE FUNCTION machi_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER project_versions_immutable BEFORE UPDATE OR DELETE ON project_versions
    FOR EACH ROW EXECUTE FUNCTION machi_refuse_change();
CREATE TRIGGER project_versions_no_truncate BEFORE TRUNCATE ON project_versions
    FOR EACH STATEMENT EXECUTE FUNCTION machi_refuse_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION machi_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION machi_refuse_change();
