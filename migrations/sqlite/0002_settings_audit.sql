-- Workspace settings and the audit log. Kept in step with the PostgreSQL twin
-- of this file: the two differ only in column types and trigger syntax.

-- One row: the settings document (JSON), versioned like every record.
CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    document TEXT NOT NULL
);

INSERT INTO settings (id, version, updated_at, updated_by, document)
VALUES (1, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '{}');

-- Every change to the data, field by field. Rows are only ever added.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    via TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    request_id TEXT
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
