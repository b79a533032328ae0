-- Image assets and brand themes. An asset row is one uploaded version of a
-- name and never changes; its bytes are kept apart so lists stay light.
-- A theme record is editable; every state it was saved in is a theme
-- version that never changes, kept even when the theme is deleted, so a
-- document can always be made again with the look it had.
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL,
    number BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    width_px BIGINT NOT NULL,
    height_px BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    UNIQUE (name, number)
);

CREATE TABLE asset_contents (
    asset_id TEXT PRIMARY KEY REFERENCES assets (id),
    bytes BLOB NOT NULL
);

CREATE TABLE themes (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    theme TEXT NOT NULL
);

CREATE TABLE theme_versions (
    id TEXT PRIMARY KEY,
    theme_id TEXT NOT NULL,
    key TEXT NOT NULL,
    number BIGINT NOT NULL,
    theme TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL REFERENCES users (id),
    UNIQUE (theme_id, number)
);

CREATE TRIGGER assets_never_change BEFORE UPDATE ON assets
BEGIN
    SELECT RAISE(ABORT, 'uploaded assets never change');
END;

CREATE TRIGGER assets_never_go BEFORE DELETE ON assets
BEGIN
    SELECT RAISE(ABORT, 'uploaded assets never change');
END;

CREATE TRIGGER asset_contents_never_change BEFORE UPDATE ON asset_contents
BEGIN
    SELECT RAISE(ABORT, 'uploaded assets never change');
END;

CREATE TRIGGER asset_contents_never_go BEFORE DELETE ON asset_contents
BEGIN
    SELECT RAISE(ABORT, 'uploaded assets never change');
END;

CREATE TRIGGER theme_versions_never_change BEFORE UPDATE ON theme_versions
BEGIN
    SELECT RAISE(ABORT, 'saved theme versions never change');
END;

CREATE TRIGGER theme_versions_never_go BEFORE DELETE ON theme_versions
BEGIN
    SELECT RAISE(ABORT, 'saved theme versions never change');
END;
