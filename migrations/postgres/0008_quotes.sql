-- Quotes: revisions of a chain on a deal, priced when saved. The lines,
-- groups, totals and approval are kept as the API shows them; a revision
-- number is taken once per chain.
CREATE TABLE quotes (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    deal_id UUID NOT NULL REFERENCES deals (id),
    owner_id UUID NOT NULL REFERENCES users (id),
    price_book_id UUID NOT NULL REFERENCES price_books (id),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    chain_id UUID NOT NULL,
    lines TEXT NOT NULL,
    discount_percent NUMERIC NOT NULL,
    valid_until DATE,
    payment_terms TEXT,
    notes TEXT,
    groups TEXT NOT NULL,
    totals TEXT NOT NULL,
    approval_threshold NUMERIC NOT NULL,
    needs_approval BOOLEAN NOT NULL,
    approval TEXT,
    sent_at TIMESTAMPTZ,
    sent_by UUID REFERENCES users (id),
    UNIQUE (chain_id, revision)
);

CREATE INDEX quotes_deal_idx ON quotes (deal_id);

-- A document made with a quote records it and its revision.
ALTER TABLE documents ADD COLUMN quote_id UUID;
ALTER TABLE documents ADD COLUMN quote_revision BIGINT;

-- The built-in templates a database has been given, so a release adds the
-- new ones and a deleted one stays deleted.
CREATE TABLE seeded_templates (
    key TEXT PRIMARY KEY
);
