-- The clause library: clauses by a stable key, and their versions, each
-- the text (and, for a variant other than `default`, the rule choosing
-- it) that legal reviews. A version's text and rule never change once it
-- has left draft; versions are never deleted, as documents name them.
CREATE TABLE clauses (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT
);

CREATE TABLE clause_versions (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    clause_id UUID NOT NULL REFERENCES clauses (id),
    clause_key TEXT NOT NULL,
    variant TEXT NOT NULL,
    number BIGINT NOT NULL,
    rule TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    author_id UUID NOT NULL REFERENCES users (id),
    submitted_by UUID REFERENCES users (id),
    submitted_at TIMESTAMPTZ,
    reviewed_by UUID REFERENCES users (id),
    reviewed_at TIMESTAMPTZ,
    review_comment TEXT,
    retired_by UUID REFERENCES users (id),
    retired_at TIMESTAMPTZ,
    UNIQUE (clause_id, variant, number)
);

CREATE INDEX clause_versions_status_idx ON clause_versions (status);

-- A variant has at most one approved version, and one in review.
CREATE UNIQUE INDEX clause_versions_one_approved ON clause_versions (clause_id, variant)
    WHERE status = 'approved';
CREATE UNIQUE INDEX clause_versions_one_in_review ON clause_versions (clause_id, variant)
    WHERE status = 'in_review';

CREATE FUNCTION clause_versions_text_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'clause versions are never deleted';
    END IF;
    IF OLD.status <> 'draft' AND (NEW.body IS DISTINCT FROM OLD.body
        OR NEW.rule IS DISTINCT FROM OLD.rule OR NEW.variant IS DISTINCT FROM OLD.variant
        OR NEW.clause_id IS DISTINCT FROM OLD.clause_id) THEN
        RAISE EXCEPTION 'a clause version out of draft keeps its text';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER clause_versions_text_is_kept BEFORE UPDATE OR DELETE ON clause_versions
FOR EACH ROW EXECUTE FUNCTION clause_versions_text_is_kept();

-- Which clause versions each document printed: legal's "where used".
CREATE TABLE document_clauses (
    document_id UUID NOT NULL REFERENCES documents (id),
    clause_version_id UUID NOT NULL REFERENCES clause_versions (id),
    PRIMARY KEY (document_id, clause_version_id)
);

CREATE INDEX document_clauses_version_idx ON document_clauses (clause_version_id, document_id);

CREATE FUNCTION document_clauses_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'generated documents never change';
END;
$$;

CREATE TRIGGER document_clauses_never_change BEFORE UPDATE OR DELETE ON document_clauses
FOR EACH ROW EXECUTE FUNCTION document_clauses_never_change();
