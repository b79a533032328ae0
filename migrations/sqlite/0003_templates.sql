-- Document templates: the record holds the editable draft; each published
-- version is a row of its own that never changes.
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
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
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES templates (id),
    number BIGINT NOT NULL,
    source TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id),
    UNIQUE (template_id, number)
);

CREATE TRIGGER template_versions_never_change BEFORE UPDATE ON template_versions
BEGIN
    SELECT RAISE(ABORT, 'published template versions never change');
END;

CREATE TRIGGER template_versions_never_go BEFORE DELETE ON template_versions
BEGIN
    SELECT RAISE(ABORT, 'published template versions never change');
END;
