-- Quotes: revisions of a chain on a deal, priced when saved. The lines,
-- groups, totals and approval are kept as the API shows them; a revision
-- number is taken once per chain.
CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    deal_id TEXT NOT NULL REFERENCES deals (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    price_book_id TEXT NOT NULL REFERENCES price_books (id),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    chain_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    discount_percent TEXT NOT NULL,
    valid_until TEXT,
    payment_terms TEXT,
    notes TEXT,
    groups TEXT NOT NULL,
    totals TEXT NOT NULL,
    approval_threshold TEXT NOT NULL,
    needs_approval BOOLEAN NOT NULL,
    approval TEXT,
    sent_at TEXT,
    sent_by TEXT REFERENCES users (id),
    UNIQUE (chain_id, revision)
);

CREATE INDEX quotes_deal_idx ON quotes (deal_id);

-- A document made with a quote records it and its revision.
ALTER TABLE documents ADD COLUMN quote_id TEXT;
ALTER TABLE documents ADD COLUMN quote_revision BIGINT;

-- The built-in templates a database has been given, so a release adds the
-- new ones and a deleted one stays deleted.
CREATE TABLE seeded_templates (
    key TEXT PRIMARY KEY
);
