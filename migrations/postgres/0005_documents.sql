-- Generated documents: what went to a customer, exactly. The row holds
-- what the document was made from (template, theme and asset versions, the
-- program version); its bytes and the context it was made from are kept
-- apart. Neither ever changes or goes: documents outlive the records they
-- were about, so the subject ids are plain values, not references.
CREATE TABLE documents (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    sources TEXT NOT NULL,
    deal_id UUID,
    contact_id UUID,
    account_id UUID,
    owner_id UUID NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    theme TEXT NOT NULL,
    theme_version_id UUID NOT NULL REFERENCES theme_versions (id),
    assets TEXT NOT NULL,
    clause_versions TEXT NOT NULL,
    program_version TEXT NOT NULL,
    generated_by UUID NOT NULL REFERENCES users (id)
);

CREATE INDEX documents_deal_idx ON documents (deal_id);
CREATE INDEX documents_contact_idx ON documents (contact_id);
CREATE INDEX documents_account_idx ON documents (account_id);

CREATE TABLE document_contents (
    document_id UUID PRIMARY KEY REFERENCES documents (id),
    bytes BYTEA NOT NULL,
    context TEXT NOT NULL
);

CREATE FUNCTION documents_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'generated documents never change';
END;
$$;

CREATE TRIGGER documents_never_change BEFORE UPDATE OR DELETE ON documents
FOR EACH ROW EXECUTE FUNCTION documents_never_change();
CREATE TRIGGER document_contents_never_change BEFORE UPDATE OR DELETE ON document_contents
FOR EACH ROW EXECUTE FUNCTION documents_never_change();
