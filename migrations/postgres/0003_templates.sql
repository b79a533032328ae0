-- Document templates: the record holds the editable draft; each published
-- version is a row of its own that never changes.
CREATE TABLE templates (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    formats TEXT NOT NULL,
    draft TEXT,
    published_version BIGINT
);

CREATE TABLE template_versions (
    id UUID PRIMARY KEY,
    template_id UUID NOT NULL REFERENCES templates (id),
    number BIGINT NOT NULL,
    source TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by UUID NOT NULL REFERENCES users (id),
    UNIQUE (template_id, number)
);

CREATE FUNCTION template_versions_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published template versions never change';
END;
$$;

CREATE TRIGGER template_versions_never_change BEFORE UPDATE OR DELETE ON template_versions
FOR EACH ROW EXECUTE FUNCTION template_versions_never_change();
