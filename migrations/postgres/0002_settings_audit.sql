-- Workspace settings and the audit log. Kept in step with the SQLite twin of
-- this file: the two differ only in column types and trigger syntax.

-- One row: the settings document (JSON), versioned like every record.
CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID REFERENCES users (id),
    document TEXT NOT NULL
);

INSERT INTO settings (id, version, updated_at, updated_by, document)
VALUES (1, 1, now(), NULL, '{}');

-- Every change to the data, field by field. Rows are only ever added.
CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID NOT NULL REFERENCES users (id),
    via TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    request_id TEXT
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
