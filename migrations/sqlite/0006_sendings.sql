-- Drafts are kept like any document, marked as drafts: they are previews
-- with the blanks shown, never for the customer.
ALTER TABLE documents ADD COLUMN draft BOOLEAN NOT NULL DEFAULT FALSE;

-- Every attempt to e-mail a document: to whom, by whom, and what the mail
-- server answered. A document has been sent when one of its attempts is
-- `sent`. Attempts never change or go.
CREATE TABLE document_sendings (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents (id),
    to_email TEXT NOT NULL,
    to_name TEXT,
    status TEXT NOT NULL,
    reply TEXT,
    sent_by TEXT NOT NULL REFERENCES users (id)
);

CREATE INDEX document_sendings_document_idx ON document_sendings (document_id);

CREATE TRIGGER document_sendings_never_change BEFORE UPDATE ON document_sendings
BEGIN
    SELECT RAISE(ABORT, 'document sendings never change');
END;

CREATE TRIGGER document_sendings_never_go BEFORE DELETE ON document_sendings
BEGIN
    SELECT RAISE(ABORT, 'document sendings never change');
END;
