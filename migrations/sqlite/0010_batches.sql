-- Segments: saved filters over accounts, contacts or deals, written in the
-- rule language over each record's document context.
CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    rule TEXT,
    description TEXT
);

-- Batches: one template, format and segment; the segment's members are
-- fixed as the batch's items when it is made, so running it again makes
-- exactly the documents still missing.
CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    sources TEXT NOT NULL,
    format TEXT NOT NULL,
    draft BOOLEAN NOT NULL,
    segment_id TEXT NOT NULL REFERENCES segments (id),
    segment_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    rule TEXT,
    total BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    finished_at TEXT
);

CREATE INDEX batches_status_idx ON batches (status);

-- One row per member. A worker claims rows for a lease it renews while it
-- works; a row whose lease ran out (its worker died) is claimed again. A
-- row becomes `done` in the same write as its document, and only by the
-- worker holding it, so a document is never made twice.
CREATE TABLE batch_items (
    batch_id TEXT NOT NULL REFERENCES batches (id),
    position BIGINT NOT NULL,
    subject_id TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL,
    claimed_by TEXT,
    lease_until TEXT,
    attempts BIGINT NOT NULL,
    document_id TEXT,
    reason TEXT,
    missing TEXT,
    finished_at TEXT,
    PRIMARY KEY (batch_id, position),
    UNIQUE (batch_id, subject_id)
);

CREATE INDEX batch_items_status_idx ON batch_items (batch_id, status, position);
