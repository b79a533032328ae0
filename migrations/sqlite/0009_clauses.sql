-- The clause library: clauses by a stable key, and their versions, each
-- the text (and, for a variant other than `default`, the rule choosing
-- it) that legal reviews. A version's text and rule never change once it
-- has left draft; versions are never deleted, as documents name them.
CREATE TABLE clauses (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT
);

CREATE TABLE clause_versions (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    clause_id TEXT NOT NULL REFERENCES clauses (id),
    clause_key TEXT NOT NULL,
    variant TEXT NOT NULL,
    number BIGINT NOT NULL,
    rule TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id),
    submitted_by TEXT REFERENCES users (id),
    submitted_at TEXT,
    reviewed_by TEXT REFERENCES users (id),
    reviewed_at TEXT,
    review_comment TEXT,
    retired_by TEXT REFERENCES users (id),
    retired_at TEXT,
    UNIQUE (clause_id, variant, number)
);

CREATE INDEX clause_versions_status_idx ON clause_versions (status);

-- A variant has at most one approved version, and one in review.
CREATE UNIQUE INDEX clause_versions_one_approved ON clause_versions (clause_id, variant)
    WHERE status = 'approved';
CREATE UNIQUE INDEX clause_versions_one_in_review ON clause_versions (clause_id, variant)
    WHERE status = 'in_review';

CREATE TRIGGER clause_versions_text_is_kept BEFORE UPDATE ON clause_versions
WHEN OLD.status <> 'draft' AND (NEW.body IS NOT OLD.body OR NEW.rule IS NOT OLD.rule
    OR NEW.variant IS NOT OLD.variant OR NEW.clause_id IS NOT OLD.clause_id)
BEGIN
    SELECT RAISE(ABORT, 'a clause version out of draft keeps its text');
END;

CREATE TRIGGER clause_versions_never_go BEFORE DELETE ON clause_versions
BEGIN
    SELECT RAISE(ABORT, 'clause versions are never deleted');
END;

-- Which clause versions each document printed: legal's "where used".
CREATE TABLE document_clauses (
    document_id TEXT NOT NULL REFERENCES documents (id),
    clause_version_id TEXT NOT NULL REFERENCES clause_versions (id),
    PRIMARY KEY (document_id, clause_version_id)
);

CREATE INDEX document_clauses_version_idx ON document_clauses (clause_version_id, document_id);

CREATE TRIGGER document_clauses_never_change BEFORE UPDATE ON document_clauses
BEGIN
    SELECT RAISE(ABORT, 'generated documents never change');
END;

CREATE TRIGGER document_clauses_never_go BEFORE DELETE ON document_clauses
BEGIN
    SELECT RAISE(ABORT, 'generated documents never change');
END;
